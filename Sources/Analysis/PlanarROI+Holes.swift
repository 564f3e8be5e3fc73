import Foundation

extension PlanarROI {
    /// The mask with its holes filled: every pixel not reachable (4-neighbours) from the image border through
    /// pixels outside the mask is added (a ring becomes a disc).
    public func filledHoles() -> PlanarROI {
        var outside = [Bool](repeating: false, count: inside.count)
        var stack: [Int] = []
        func visit(_ i: Int) { if !inside[i] && !outside[i] { outside[i] = true; stack.append(i) } }
        for c in 0..<columns { visit(c); visit((rows - 1) * columns + c) }
        for r in 0..<rows { visit(r * columns); visit(r * columns + columns - 1) }
        while let i = stack.popLast() {
            let r = i / columns, c = i % columns
            if r > 0 { visit(i - columns) }
            if r < rows - 1 { visit(i + columns) }
            if c > 0 { visit(i - 1) }
            if c < columns - 1 { visit(i + 1) }
        }
        var m = self
        for i in inside.indices { m.inside[i] = !outside[i] }
        return m
    }

    /// The pixels of this mask that are not in `other` (same grid).
    public func subtracting(_ other: PlanarROI) -> PlanarROI {
        var m = self
        for i in inside.indices where other.inside[i] { m.inside[i] = false }
        return m
    }
}
