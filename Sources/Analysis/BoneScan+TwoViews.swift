import Foundation
import Imaging

extension BoneScanAnalysis {
    /// Hot spots of all views, with anterior–posterior agreement: the single-view detector (``detect(_:body:)`` at
    /// ``Options/thresholdFactor``), plus the foci that pass the lower ``Options/twoViewThresholdFactor`` on one view
    /// **and** show focal excess on the opposite view at the conjugate place (mirrored column, same row, ±2 px) of at
    /// least ``Options/twoViewConfirmFactor`` × that view's 95th-percentile top-hat. A metastasis is in both views'
    /// line of sight (fainter in the farther one); Poisson noise maxima of the two views are independent, so
    /// requiring both lets the threshold come down without the noise peaks. Off when the second factor is not below
    /// the first or there are not two views.
    func detectViews(_ views: [PlanarViewImage], geometry: [BodyGeometry]) -> [Detection] {
        var dets = zip(views, geometry).map { detect($0, body: $1) }
        let o = options
        guard views.count == 2, o.twoViewThresholdFactor < o.thresholdFactor else { return dets }
        var low = self
        low.options.thresholdFactor = o.twoViewThresholdFactor
        let lows = zip(views, geometry).map { low.detect($0, body: $1) }
        // Top-hat and its body 95th percentile per view.
        let tops: [([Float], Float)] = dets.map { d in
            let th = d.topHat
            return (th, RegionTools.quantile(zip(th, d.body).compactMap { $1 ? $0 : nil }, 0.95))
        }
        for k in 0..<2 {
            let j = 1 - k, v = views[k], oj = views[j]
            let px = (v.rowSpacingMM + v.columnSpacingMM) / 2
            let (thj, t95j) = tops[j]
            for l in lows[k].lesions where !dets[k].lesions.contains(where: { hypot($0.column - l.column, $0.row - l.row) * px < o.minimumSeparationMM }) {
                let mc = Int((Double(oj.columns - 1) - l.column).rounded()), r0 = Int(l.row.rounded())
                var best: Float = -.infinity
                for r in (r0 - 2)...(r0 + 2) where r >= 0 && r < oj.rows {
                    for c in (mc - 2)...(mc + 2) where c >= 0 && c < oj.columns { best = max(best, thj[r * oj.columns + c]) }
                }
                guard best >= Float(o.twoViewConfirmFactor) * max(t95j, 1e-6) else { continue }
                dets[k].lesions.append(l)
            }
        }
        return dets
    }
}
