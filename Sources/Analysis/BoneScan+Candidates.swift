import Foundation
import Imaging

extension BoneScanAnalysis {
    /// How a second-pass candidate (atlas pass, conjugate-view pass) is admitted as a lesion of view `k`; what the
    /// passes differ in.
    struct Admission {
        /// Keep an organ-sized region as a candidate when it lies on the spine above the bladder (a vertebral lesion
        /// whose half-maximum region runs along the spine; ``BodyGeometry/onSpineAboveBladder(column:row:)``).
        var spineException: Bool
        /// The net counts must reach ``Options/minimumSignificance`` Poisson standard deviations.
        var significanceCheck: Bool
        /// The lesion's area is capped at ``Options/maximumLesionAreaCM2``.
        var capArea: Bool
    }

    /// Admits a candidate of a second detection pass as a lesion of view `k`, or leaves it out, by the steps every such
    /// candidate goes through:
    /// - its half-maximum `region` (pixel indices) larger than ``Options/maximumLesionAreaCM2`` is an organ: listed as
    ///   excluded (once within 60 mm) and not a lesion (unless ``Admission/spineException`` applies);
    /// - within ``Options/minimumSeparationMM`` of a lesion already found on either view (the opposite view at the
    ///   mirrored column), or within 40 mm of an excluded region on either view: not added;
    /// - net counts (disc of ``Options/roiRadiusMM`` minus the annulus mean) below ``Options/minimumSignificance`` σ
    ///   (with ``Admission/significanceCheck``): not added;
    /// - otherwise the region is added to the lesion mask and the lesion (`uptakeRatio` = smoothed ÷ local normal level at
    ///   pixel index `peak`) is appended after `configure` has set the pass's own fields.
    /// Views `k` and `1 − k` are the two opposite views of one scan on the same grid. Returns whether it was added.
    @discardableResult
    func admit(_ dets: inout [Detection], view k: Int, views: [PlanarViewImage], geometry: [BodyGeometry],
               position pos: (column: Double, row: Double), peak i: Int, region: [Int], rules: Admission,
               configure: (inout Lesion) -> Void) -> Bool {
        let o = options
        let v = views[k]
        let rows = v.rows, cols = v.columns
        let px = geometry[k].pixelMM
        let pixelCM2 = v.rowSpacingMM * v.columnSpacingMM / 100
        let maxArea = o.maximumLesionAreaCM2 / pixelCM2
        if Double(region.count) > maxArea && !(rules.spineException && geometry[k].onSpineAboveBladder(column: pos.column, row: pos.row)) {
            if !dets[k].excluded.contains(where: { hypot($0.column - pos.column, $0.row - pos.row) * px < 60 }) {
                dets[k].excluded.append(ExcludedRegion(view: v.name, column: pos.column, row: pos.row, areaCM2: Double(region.count) * pixelCM2))
            }
            return false
        }
        let mirrored = Double(cols - 1) - pos.column
        if dets[k].lesions.contains(where: { hypot($0.column - pos.column, $0.row - pos.row) * px < o.minimumSeparationMM })
            || dets[1 - k].lesions.contains(where: { hypot($0.column - mirrored, $0.row - pos.row) * px < o.minimumSeparationMM }) { return false }
        if dets[k].excluded.contains(where: { hypot($0.column - pos.column, $0.row - pos.row) * px < 40 })
            || dets[1 - k].excluded.contains(where: { hypot($0.column - mirrored, $0.row - pos.row) * px < 40 }) { return false }
        let roiR = max(1.5, o.roiRadiusMM / px)
        let (net, sig) = netCounts(v.counts, rows: rows, columns: cols, column: pos.column, row: pos.row, radius: roiR)
        if rules.significanceCheck && sig < o.minimumSignificance { return false }
        for p in region { dets[k].lesionMask[p] = true }
        dets[k].lesionPixels += region.count
        var l = Lesion(view: v.name, column: pos.column, row: pos.row, counts: net,
                       uptakeRatio: Double(dets[k].smoothed[i]) / max(Double(dets[k].normal[i]), 1e-6),
                       areaCM2: (rules.capArea ? min(Double(region.count), maxArea) : Double(region.count)) * pixelCM2,
                       patientPositionMM: v.patientPosition(column: pos.column, row: pos.row)?.array)
        configure(&l)
        dets[k].lesions.append(l)
        return true
    }
}
