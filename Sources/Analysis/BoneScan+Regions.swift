import Foundation
import Imaging

extension BoneScanAnalysis {
    /// A lesion region given from outside (drawn or edited by a reader, issue 13/18): the view it lies on and its
    /// pixels on that view's grid.
    public struct GivenLesion: Sendable, Equatable {
        /// View name (as in ``PlanarViewImage/name``, e.g. `anterior`).
        public var view: String
        /// The lesion's pixels.
        public var roi: PlanarROI
        /// Creates a region.
        public init(view: String, roi: PlanarROI) { self.view = view; self.roi = roi }
    }

    /// Analyses a baseline scan with the lesion list given from outside instead of the detected one: each region is
    /// measured (net counts = region sum − annulus background mean × pixels, the annulus 1.5–2.5 equivalent radii
    /// around its centroid; uptake ratio = smoothed peak in the region ÷ local normal level at the peak; area = its
    /// pixels) and then goes through the same finishing step as detected lesions (region, side, size, opposite-view
    /// agreement, findings, quality). Physiology found automatically is kept, except where a given region covers
    /// it (the reader called it a lesion). The tumour-burden index counts the given regions' pixels.
    public func analyze(_ views: [PlanarViewImage], minutesAfterInjection: Double? = nil,
                        lesions given: [GivenLesion]) throws(PlanarAnalysisError) -> Result {
        guard !views.isEmpty else { throw PlanarAnalysisError("bone scan: no views given") }
        for v in views { try v.validate() }
        for (k, g) in given.enumerated() {
            guard let v = views.first(where: { $0.name == g.view }) else {
                throw PlanarAnalysisError("bone scan: given lesion \(k + 1) is on view '\(g.view)' (allowed: \(views.map(\.name).joined(separator: ", ")))")
            }
            guard g.roi.rows == v.rows, g.roi.columns == v.columns, g.roi.inside.count == v.rows * v.columns, g.roi.count > 0 else {
                throw PlanarAnalysisError("bone scan: given lesion \(k + 1) is empty or not on the \(v.columns)×\(v.rows) grid of view '\(v.name)'")
            }
        }
        let phase = decidePhase(views, minutesAfterInjection: minutesAfterInjection)
        let geometry = views.map { BodyGeometry($0, smoothingSigma: options.smoothingSigmaPixels) }
        let dets = zip(views, geometry).map { detect($0, body: $1) }
        // The automatic physiology, for the list beside the given lesions.
        var r = Result(lesions: dets.flatMap(\.lesions), tumourBurdenIndexPercent: 0, excludedRegions: dets.flatMap(\.excluded),
                       conventions: conventions, options: options, notes: [], phase: phase)
        separatePhysiology(&r, views: views, geometry: geometry, detections: dets)
        var lesions: [Lesion] = []
        var lesionPixels = 0
        for g in given {
            guard let k = views.firstIndex(where: { $0.name == g.view }) else { continue }
            let l = measure(g.roi, on: views[k], detection: dets[k])
            lesions.append(l)
            lesionPixels += g.roi.count
        }
        r.physiology.removeAll { p in
            given.contains { g in
                let i = Int(p.row.rounded()) * g.roi.columns + Int(p.column.rounded())
                return g.view == p.view && i >= 0 && i < g.roi.inside.count && g.roi.inside[i]
            }
        }
        r.lesions = lesions
        r.tumourBurdenIndexPercent = 100 * Double(lesionPixels) / Double(max(1, dets.reduce(0) { $0 + $1.skeletonPixels - $1.lesionPixels } + lesionPixels))
        finish(&r, views: views, geometry: geometry)
        r.notes.append("lesions given from outside (edited): \(given.count) region\(given.count == 1 ? "" : "s") replace the detected lesions")
        if phase.decision == "early" {
            r.quality.append("early (blood-pool) phase: the given lesions are measured, but the image is not a delayed skeletal image")
        }
        return r
    }

    /// One lesion measured on a region of its view (the conventions of ``analyze(_:minutesAfterInjection:lesions:)``).
    func measure(_ roi: PlanarROI, on v: PlanarViewImage, detection d: Detection) -> Lesion {
        let c = roi.centroid ?? (0, 0)
        let n = Double(roi.count)
        let rEq = max(1, (n / Double.pi).squareRoot())
        let bg = RegionTools.annulus(v.counts, rows: v.rows, columns: v.columns, column: c.column, row: c.row, inner: 1.5 * rEq, outer: 2.5 * rEq)
        let net = roi.sum(v) - bg.mean * n
        var peak = -Float.infinity, at = 0
        for i in roi.indices where d.smoothed[i] > peak { peak = d.smoothed[i]; at = i }
        let ratio = Double(peak) / max(Double(d.normal[at]), 1e-6)
        return Lesion(view: v.name, column: c.column, row: c.row, counts: net, uptakeRatio: ratio,
                      areaCM2: n * v.rowSpacingMM * v.columnSpacingMM / 100,
                      patientPositionMM: v.patientPosition(column: c.column, row: c.row)?.array)
    }
}
