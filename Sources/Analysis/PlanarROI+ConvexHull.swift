import Foundation

extension PlanarROI {
    /// The pixels whose centres lie inside or on the convex hull of the pixel centres of the mask (Andrew's monotone chain).
    public func convexHull() -> PlanarROI {
        let m = self
        let cols = m.columns
        let pts = m.indices.map { (x: Double($0 % cols), y: Double($0 / cols)) }.sorted { $0.x != $1.x ? $0.x < $1.x : $0.y < $1.y }
        guard pts.count >= 3 else { return m }
        func cross(_ o: (x: Double, y: Double), _ a: (x: Double, y: Double), _ b: (x: Double, y: Double)) -> Double {
            (a.x - o.x) * (b.y - o.y) - (a.y - o.y) * (b.x - o.x)
        }
        var lower: [(x: Double, y: Double)] = [], upper: [(x: Double, y: Double)] = []
        for p in pts {
            while lower.count >= 2 && cross(lower[lower.count - 2], lower[lower.count - 1], p) <= 0 { lower.removeLast() }
            lower.append(p)
        }
        for p in pts.reversed() {
            while upper.count >= 2 && cross(upper[upper.count - 2], upper[upper.count - 1], p) <= 0 { upper.removeLast() }
            upper.append(p)
        }
        let hull = Array(lower.dropLast()) + Array(upper.dropLast())
        guard hull.count >= 3 else { return m }
        var out = m
        let xs = hull.map(\.x), ys = hull.map(\.y)
        for r in Int(ys.min()!)...Int(ys.max()!) { for c in Int(xs.min()!)...Int(xs.max()!) {
            let p = (x: Double(c), y: Double(r))
            var inside = true
            for k in hull.indices where cross(hull[k], hull[(k + 1) % hull.count], p) < -1e-9 { inside = false; break }
            if inside { out.inside[r * cols + c] = true }
        } }
        return out
    }
}
