import Foundation
import Imaging

extension SentinelNodeAnalysis {
    /// A node located in three dimensions from an anterior and a lateral view (issue 18: depth and skin marker).
    public struct LocatedNode: Sendable, Codable, Equatable {
        /// Drainage order (1 = the first node along the lymphatic channel: the sentinel node).
        public var drainageOrder: Int
        /// Index of the node in ``Result/nodes`` on the anterior and on the lateral view.
        public var anteriorIndex: Int
        public var lateralIndex: Int
        /// Position (LPS mm): x from the anterior view, y from the lateral view, z the mean of the two.
        public var positionMM: [Double]
        /// Depth below the anterior skin (mm) along the anterior direction.
        public var depthMM: Double
        /// Where to mark the skin (LPS mm): the node projected anteriorly onto the skin surface seen on the lateral view.
        public var skinMarkerMM: [Double]
    }

    /// The anterior skin position y (LPS mm) at the height of `row` of a lateral view: along the row (mean of ±1
    /// row, 1-2-1 smoothed), the tissue level is the median of the profile over the body (pixels ≥ 10 % of the
    /// profile's 90th percentile, outside `mask`: a node or two do not move it); the skin is the most anterior pixel at ≥ a quarter of the tissue level (where the projected thickness of a rounded
    /// body falls towards zero; the body's
    /// faint diffuse activity and its scatter outline the patient). Nil without geometry or body.
    static func anteriorSkinY(_ v: PlanarViewImage, row: Double, mask: [Bool]) -> Double? {
        let rows = v.rows, cols = v.columns
        let r0 = min(rows - 1, max(0, Int(row.rounded())))
        var prof = [Double](repeating: 0, count: cols)
        var n = 0.0
        for r in max(0, r0 - 1)...min(rows - 1, r0 + 1) { n += 1; for c in 0..<cols { prof[c] += Double(v.counts[r * cols + c]) } }
        prof = prof.map { $0 / n }
        var sm = prof
        for c in 1..<max(1, cols - 1) { sm[c] = (prof[c - 1] + 2 * prof[c] + prof[c + 1]) / 4 }
        let usable = (0..<cols).filter { !mask[r0 * cols + $0] }
        let vals = usable.map { sm[$0] }.sorted()
        guard vals.count >= 10 else { return nil }
        let p90 = vals[Int(0.9 * Double(vals.count - 1))]
        guard p90 > 0 else { return nil }
        let body = vals.filter { $0 >= 0.1 * p90 }
        guard !body.isEmpty else { return nil }
        let tissue = body[body.count / 2]
        var best: Double? = nil
        for c in 0..<cols where sm[c] >= 0.25 * tissue && !mask[r0 * cols + c] {
            guard let p = v.patientPosition(column: Double(c), row: Double(r0)) else { return nil }
            best = min(best ?? p.y, p.y)
        }
        return best
    }

    /// Pairs the nodes of an anterior and a lateral view (same drainage order; heights within
    /// `toleranceMM`) and locates them: position, depth below the anterior skin and the skin marker.
    static func locate(_ nodes: [Node], order: [Int], anterior: PlanarViewImage, lateral: PlanarViewImage, lateralMask: [Bool],
                       toleranceMM: Double = 20) -> [LocatedNode] {
        let ant = nodes.indices.filter { nodes[$0].view == anterior.name }.sorted { order[$0] < order[$1] }
        var lat = nodes.indices.filter { nodes[$0].view == lateral.name }.sorted { order[$0] < order[$1] }
        var out: [LocatedNode] = []
        for a in ant {
            guard let pa = nodes[a].patientPositionMM, pa.count == 3 else { continue }
            // The lateral node of the nearest height, first in drainage order among equals.
            guard let k = lat.indices.min(by: { i, j in
                abs((nodes[lat[i]].patientPositionMM?[2] ?? .infinity) - pa[2]) < abs((nodes[lat[j]].patientPositionMM?[2] ?? .infinity) - pa[2])
            }), let pl = nodes[lat[k]].patientPositionMM, pl.count == 3, abs(pl[2] - pa[2]) <= toleranceMM else { continue }
            let l = lat.remove(at: k)
            let z = (pa[2] + pl[2]) / 2
            guard let skin = anteriorSkinY(lateral, row: nodes[l].row, mask: lateralMask) else { continue }
            out.append(LocatedNode(drainageOrder: out.count + 1, anteriorIndex: a, lateralIndex: l, positionMM: [pa[0], pl[1], z],
                                   depthMM: max(0, pl[1] - skin), skinMarkerMM: [pa[0], skin, z]))
        }
        return out
    }
}
