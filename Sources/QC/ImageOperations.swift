import Foundation
import Imaging

/// A row-major grid of values used inside the QC tests (binned, smoothed or masked copies of a planar image's
/// counts). Internal working storage: the public inputs are `Imaging.PlanarImage` and `Imaging.Volume`.
struct Grid: Sendable, Equatable {
    var rows: Int
    var columns: Int
    var values: [Double]

    init(rows: Int, columns: Int, values: [Double]) { self.rows = rows; self.columns = columns; self.values = values }
    init(rows: Int, columns: Int, repeating v: Double = 0) {
        self.init(rows: rows, columns: columns, values: [Double](repeating: v, count: rows * columns))
    }
    init(_ image: PlanarImage) {
        self.init(rows: image.rows, columns: image.columns, values: image.counts.map(Double.init))
    }

    subscript(r: Int, c: Int) -> Double {
        get { values[r * columns + c] }
        set { values[r * columns + c] = newValue }
    }

    /// Sums blocks of `factor` × `factor` pixels; a partial block at the bottom/right edge is summed with zeros
    /// (as skimage's `block_reduce` pads).
    func blockSum(_ factor: Int) -> Grid {
        guard factor > 1 else { return self }
        let r = (rows + factor - 1) / factor, c = (columns + factor - 1) / factor
        var out = Grid(rows: r, columns: c)
        for i in 0..<rows { for j in 0..<columns { out[i / factor, j / factor] += self[i, j] } }
        return out
    }

    /// NEMA NU 1 nine-point smoothing: kernel (1 2 1; 2 4 2; 1 2 1)/16, pixels outside the grid count as 0.
    func ninePointSmoothed() -> Grid {
        let w: [[Double]] = [[1, 2, 1], [2, 4, 2], [1, 2, 1]]
        var out = Grid(rows: rows, columns: columns)
        for i in 0..<rows {
            for j in 0..<columns {
                var s = 0.0
                for di in -1...1 {
                    let ii = i + di
                    guard ii >= 0, ii < rows else { continue }
                    for dj in -1...1 {
                        let jj = j + dj
                        guard jj >= 0, jj < columns else { continue }
                        s += w[di + 1][dj + 1] * self[ii, jj]
                    }
                }
                out[i, j] = s / 16
            }
        }
        return out
    }

    /// 4-connected components of the pixels where `mask` is true: a label per pixel (0 = background) and the
    /// number of pixels per label (index 0 unused).
    static func label(_ mask: [Bool], rows: Int, columns: Int) -> (labels: [Int], sizes: [Int]) {
        var labels = [Int](repeating: 0, count: mask.count)
        var sizes = [0]
        var stack = [Int]()
        for start in 0..<mask.count where mask[start] && labels[start] == 0 {
            let l = sizes.count
            sizes.append(0)
            labels[start] = l
            stack.append(start)
            while let p = stack.popLast() {
                sizes[l] += 1
                let r = p / columns, c = p % columns
                for (rr, cc) in [(r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)]
                where rr >= 0 && rr < rows && cc >= 0 && cc < columns {
                    let q = rr * columns + cc
                    if mask[q] && labels[q] == 0 { labels[q] = l; stack.append(q) }
                }
            }
        }
        return (labels, sizes)
    }

    /// Exact Euclidean distance (pixels) from each true pixel of `mask` to the nearest false pixel (0 on false
    /// pixels); pixels beyond the grid do not count as background (as `scipy.ndimage.distance_transform_edt`).
    /// Felzenszwalb & Huttenlocher's separable lower-envelope algorithm.
    static func distanceToBackground(_ mask: [Bool], rows: Int, columns: Int) -> [Double] {
        let inf = 1e20
        var f = mask.map { $0 ? inf : 0.0 }
        func pass(_ line: [Double]) -> [Double] {
            let n = line.count
            var d = [Double](repeating: 0, count: n)
            var v = [Int](repeating: 0, count: n), z = [Double](repeating: 0, count: n + 1)
            var k = 0
            // Only finite parabolas take part; an all-infinite line stays infinite.
            guard let first = line.firstIndex(where: { $0 < inf }) else { return line }
            v[0] = first; z[0] = -inf; z[1] = inf
            if first + 1 < n {
                for q in (first + 1)..<n where line[q] < inf {
                    var s = 0.0
                    while true {
                        let p = v[k]
                        s = ((line[q] + Double(q * q)) - (line[p] + Double(p * p))) / Double(2 * q - 2 * p)
                        if s <= z[k] && k > 0 { k -= 1 } else { break }
                    }
                    if s <= z[k] { // k == 0 and the new parabola hides the first one everywhere
                        v[0] = q; z[0] = -inf; z[1] = inf; continue
                    }
                    k += 1; v[k] = q; z[k] = s; z[k + 1] = inf
                }
            }
            k = 0
            for q in 0..<n {
                while z[k + 1] < Double(q) { k += 1 }
                let p = v[k]
                d[q] = Double((q - p) * (q - p)) + line[p]
            }
            return d
        }
        for c in 0..<columns {
            let col = (0..<rows).map { f[$0 * columns + c] }
            let out = pass(col)
            for r in 0..<rows { f[r * columns + c] = out[r] }
        }
        for r in 0..<rows {
            let out = pass(Array(f[(r * columns)..<((r + 1) * columns)]))
            for c in 0..<columns { f[r * columns + c] = out[c] }
        }
        return f.map { $0 >= inf ? Double.infinity : $0.squareRoot() }
    }
}

/// Intensity-weighted centroid (column, row) in pixel-index units of the pixels at or above `threshold`.
func weightedCentroid(_ values: ArraySlice<Float>, rows: Int, columns: Int, threshold: Float) -> (column: Double, row: Double, sum: Double)? {
    var s = 0.0, sx = 0.0, sy = 0.0
    var i = values.startIndex
    for r in 0..<rows {
        for c in 0..<columns {
            let v = values[i]; i += 1
            guard v >= threshold, v > 0 else { continue }
            s += Double(v); sx += Double(v) * Double(c); sy += Double(v) * Double(r)
        }
    }
    guard s > 0 else { return nil }
    return (sx / s, sy / s, s)
}
