import Foundation
import Imaging

extension BoneScanAnalysis {
    /// Atlas pass of the single-scan detection: the ICRP-110 normal skeleton (``NormalBoneAtlas``) fitted to the
    /// patient (``fitAtlas(_:views:geometry:body:)``) is the expected normal image of each view; a lesion is a place
    /// where the measured counts exceed it.
    ///
    /// Convention: M = mean counts over a disc of ``Options/newLesionDiscMM`` (the smallest lesion of interest), E the
    /// same mean of the expected image, n the disc's pixels; per view z = (M − E) ÷ √(E ÷ n) (Poisson), and for the two
    /// views together (posterior at the mirrored column) z = (M_A + M_P − E_A − E_P) ÷ √((E_A + E_P) ÷ n). A local
    /// maximum (±2 px) of the largest of the three z at or above ``Options/atlasSignificance``, whose M ÷ E (on the
    /// view with the larger z, or both views together) is at least ``Options/atlasRatio``, is a candidate on the view
    /// with the larger z. Its excess region (smoothed counts − smoothed expected image above half its peak) larger than
    /// ``Options/maximumLesionAreaCM2`` is an organ (kidney, bladder: excluded, labelled by ``separatePhysiology``);
    /// a candidate within ``Options/minimumSeparationMM`` of a lesion already found (either view) or 40 mm of an
    /// excluded organ is not added. Candidates then go through the physiology separation like every other focus.
    /// Returns the fit (nil without an atlas or two opposite views).
    func atlasLesions(_ dets: inout [Detection], views: [PlanarViewImage], geometry: [BodyGeometry]) -> AtlasFit? {
        let o = options
        guard o.atlasPass, !atlases.isEmpty,
              let fit = fitAtlas(atlases, views: views, geometry: geometry, body: dets.map(\.body)) else { return nil }
        let ka = geometry[0].posterior ? 1 : 0, kp = 1 - ka
        let rows = views[ka].rows, cols = views[ka].columns
        guard views[kp].rows == rows, views[kp].columns == cols else { return nil }
        let px = geometry[ka].pixelMM
        let radius = max(1, o.newLesionDiscMM / 2 / px)
        let n = Float(Self.discOffsets(radius: radius).count)
        let mI = views.map { Self.discMean($0.counts, rows: rows, columns: cols, radius: radius) }
        let mE = fit.expected.map { Self.discMean($0, rows: rows, columns: cols, radius: radius) }
        for k in 0..<2 {
            let e = RegionTools.gaussian(fit.expected[k], rows: rows, columns: cols, sigma: o.smoothingSigmaPixels)
            dets[k].residual = zip(dets[k].smoothed, e).map { $0 - $1 }
        }
        // Score on the anterior grid; the posterior view at the mirrored column.
        var score = [Float](repeating: 0, count: rows * cols)
        var onPosterior = [Bool](repeating: false, count: rows * cols)
        var ratios = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for c in 0..<cols {
                let i = r * cols + c, j = r * cols + (cols - 1 - c)
                guard dets[ka].body[i] || dets[kp].body[j] else { continue }
                let ia = mI[ka][i], ea = max(mE[ka][i], 0.5), ip = mI[kp][j], ep = max(mE[kp][j], 0.5)
                let za = (ia - ea) / (ea / n).squareRoot(), zp = (ip - ep) / (ep / n).squareRoot()
                let zs = (ia + ip - ea - ep) / ((ea + ep) / n).squareRoot()
                let ratio = max(za >= zp ? ia / ea : ip / ep, (ia + ip) / (ea + ep))
                guard Double(ratio) >= o.atlasRatio else { continue }
                score[i] = max(za, zp, zs)
                ratios[i] = ratio
                onPosterior[i] = zp > za
            }
        }
        let maxArea = o.maximumLesionAreaCM2 / (views[ka].rowSpacingMM * views[ka].columnSpacingMM / 100)
        for cand in RegionTools.localMaxima(score, rows: rows, columns: cols, radius: 2, threshold: Float(o.atlasSignificance)) {
            let k = onPosterior[cand.row * cols + cand.column] ? kp : ka
            guard let res = dets[k].residual else { continue }
            let c0 = k == ka ? cand.column : cols - 1 - cand.column
            // The peak of the excess within ±1 px, its centroid and its half-maximum region.
            var peak = (c0, cand.row)
            for dr in -1...1 { for dc in -1...1 {
                let rr = cand.row + dr, cc = c0 + dc
                if rr >= 0, rr < rows, cc >= 0, cc < cols, res[rr * cols + cc] > res[peak.1 * cols + peak.0] { peak = (cc, rr) }
            } }
            let top = res[peak.1 * cols + peak.0]
            guard top > 0 else { continue }
            let pos = RegionTools.centroid(res, rows: rows, columns: cols, column: peak.0, row: peak.1, radius: 1.5, floor: 0)
            let region = RegionTools.region(res, rows: rows, columns: cols, column: peak.0, row: peak.1, threshold: top / 2,
                                            maxRadius: (2 * maxArea / Double.pi).squareRoot() + 2)
            let i = peak.1 * cols + peak.0
            let sigma = Double(score[cand.row * cols + cand.column]), ratio = Double(ratios[cand.row * cols + cand.column])
            admit(&dets, view: k, views: views, geometry: geometry, position: pos, peak: i, region: region,
                  rules: Admission(spineException: false, significanceCheck: false, capArea: false)) {
                $0.sigmaOverNormalAtlas = sigma
                $0.ratioToNormalAtlas = ratio
            }
        }
        return fit
    }
}
