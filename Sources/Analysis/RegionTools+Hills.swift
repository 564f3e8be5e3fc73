import Foundation

extension RegionTools {
    /// For every pixel, the index of the local maximum (8-neighbours) that its steepest ascent on `img` ends on
    /// (a pixel with no brighter neighbour is its own maximum).
    public static func hills(_ img: [Float], rows: Int, columns: Int) -> [Int] {
        var up = [Int](repeating: -1, count: img.count)
        for i in img.indices {
            let r = i / columns, c = i % columns
            var best = i
            for dr in -1...1 { for dc in -1...1 where dr != 0 || dc != 0 {
                let rr = r + dr, cc = c + dc
                guard rr >= 0, cc >= 0, rr < rows, cc < columns else { continue }
                if img[rr * columns + cc] > img[best] { best = rr * columns + cc }
            } }
            up[i] = best
        }
        var top = [Int](repeating: -1, count: img.count)
        for i in img.indices where top[i] < 0 {
            var path: [Int] = [], j = i
            while top[j] < 0 && up[j] != j { path.append(j); j = up[j] }
            let t = top[j] >= 0 ? top[j] : j
            top[j] = t
            for k in path { top[k] = t }
        }
        return top
    }
}
