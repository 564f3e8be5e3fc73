import Foundation
import Imaging

/// A region of interest on a planar image: a set of pixels.
public struct PlanarROI: Sendable, Equatable {
    /// Rows of the image it belongs to.
    public var rows: Int
    /// Columns of the image it belongs to.
    public var columns: Int
    /// Membership, rows × columns, row-major.
    public var inside: [Bool]

    /// An empty mask.
    public init(rows: Int, columns: Int) {
        self.rows = rows; self.columns = columns; inside = [Bool](repeating: false, count: rows * columns)
    }

    /// Number of pixels.
    public var count: Int { inside.reduce(0) { $0 + ($1 ? 1 : 0) } }

    /// Sum of `image` over the mask.
    public func sum(_ image: PlanarViewImage) -> Double {
        var s = 0.0
        for i in inside.indices where inside[i] { s += Double(image.counts[i]) }
        return s
    }

    /// Mean of `image` over the mask (0 when empty).
    public func mean(_ image: PlanarViewImage) -> Double { count == 0 ? 0 : sum(image) / Double(count) }

    /// Centre of the pixels (column, row), nil when empty.
    public var centroid: (column: Double, row: Double)? {
        var n = 0.0, sc = 0.0, sr = 0.0
        for i in inside.indices where inside[i] { n += 1; sc += Double(i % columns); sr += Double(i / columns) }
        return n == 0 ? nil : (sc / n, sr / n)
    }

    /// A disc of `radius` pixels around (column, row).
    public static func disc(rows: Int, columns: Int, column: Double, row: Double, radius: Double) -> PlanarROI {
        var m = PlanarROI(rows: rows, columns: columns)
        for r in 0..<rows { for c in 0..<columns {
            let dc = Double(c) - column, dr = Double(r) - row
            if dc * dc + dr * dr <= radius * radius { m.inside[r * columns + c] = true }
        } }
        return m
    }

    /// Pixels within `pixels` (chessboard distance) of the mask.
    public func dilated(_ pixels: Int = 1) -> PlanarROI {
        var m = self
        for _ in 0..<max(0, pixels) {
            var n = m
            for r in 0..<rows { for c in 0..<columns where m.inside[r * columns + c] {
                for dr in -1...1 { for dc in -1...1 {
                    let rr = r + dr, cc = c + dc
                    if rr >= 0, cc >= 0, rr < rows, cc < columns { n.inside[rr * columns + cc] = true }
                } }
            } }
            m = n
        }
        return m
    }

    /// Pixels of the mask that touch a pixel outside it (4-neighbourhood): the outline to draw.
    public var boundary: [Int] {
        var out: [Int] = []
        for r in 0..<rows { for c in 0..<columns where inside[r * columns + c] {
            if r == 0 || c == 0 || r == rows - 1 || c == columns - 1 || !inside[(r - 1) * columns + c] || !inside[(r + 1) * columns + c]
                || !inside[r * columns + c - 1] || !inside[r * columns + c + 1] { out.append(r * columns + c) }
        } }
        return out
    }

    /// The 8-connected component of `allowed` pixels that contains `seed` (empty when the seed is not allowed).
    public static func component(of allowed: [Bool], rows: Int, columns: Int, seed: Int) -> PlanarROI {
        var m = PlanarROI(rows: rows, columns: columns)
        guard seed >= 0, seed < allowed.count, allowed[seed] else { return m }
        var stack = [seed]
        m.inside[seed] = true
        while let i = stack.popLast() {
            let r = i / columns, c = i % columns
            for dr in -1...1 { for dc in -1...1 where dr != 0 || dc != 0 {
                let rr = r + dr, cc = c + dc
                guard rr >= 0, cc >= 0, rr < rows, cc < columns else { continue }
                let j = rr * columns + cc
                if allowed[j] && !m.inside[j] { m.inside[j] = true; stack.append(j) }
            } }
        }
        return m
    }

    /// Pixel indices (row-major) of the mask.
    public var indices: [Int] { inside.indices.filter { inside[$0] } }
}

/// A circular region of interest on a planar view, in pixel units (0-based pixel centres).
public struct PlanarDisk: Sendable, Codable, Equatable {
    /// Centre column (0-based, pixel centres at integers).
    public var column: Double
    /// Centre row.
    public var row: Double
    /// Radius (pixels); a pixel belongs when its centre is within the radius.
    public var radius: Double
    /// Creates a region.
    public init(column: Double, row: Double, radius: Double) { self.column = column; self.row = row; self.radius = radius }
}

/// What a region holds.
public struct PlanarRegionSum: Sendable, Codable, Equatable {
    /// Sum of counts.
    public var counts: Double
    /// Pixels in the region.
    public var pixels: Int
    /// Mean counts per pixel.
    public var mean: Double { pixels > 0 ? counts / Double(pixels) : 0 }
}

/// The region toolkit of the planar analyses on count arrays (rows × columns, row-major): Gaussian smoothing,
/// grey-scale opening, local maxima, disk and annulus sums, centroids, connected regions, quantiles, shifts.
/// Pixel masks are ``PlanarROI``, circles ``PlanarDisk``.
public enum RegionTools {
    /// Separable Gaussian smoothing (σ in pixels, kernel ±3σ, edges renormalised).
    public static func gaussian(_ img: [Float], rows: Int, columns: Int, sigma: Double) -> [Float] {
        guard sigma > 0 else { return img }
        let h = max(1, Int((3 * sigma).rounded(.up)))
        let k = (-h...h).map { Float(exp(-Double($0 * $0) / (2 * sigma * sigma))) }
        var tmp = [Float](repeating: 0, count: img.count), out = tmp
        img.withUnsafeBufferPointer { src in
            tmp.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    for c in 0..<columns {
                        var s: Float = 0, w: Float = 0
                        for d in -h...h { let cc = c + d; if cc >= 0 && cc < columns { s += src[r * columns + cc] * k[d + h]; w += k[d + h] } }
                        dst[r * columns + c] = s / w
                    }
                }
            }
        }
        tmp.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for r in 0..<rows {
                    for c in 0..<columns {
                        var s: Float = 0, w: Float = 0
                        for d in -h...h { let rr = r + d; if rr >= 0 && rr < rows { s += src[rr * columns + c] * k[d + h]; w += k[d + h] } }
                        dst[r * columns + c] = s / w
                    }
                }
            }
        }
        return out
    }

    /// Running minimum (`useMax` false) or maximum over a window of `2·half + 1` pixels along rows then columns
    /// (a square structuring element).
    static func squareFilter(_ img: [Float], rows: Int, columns: Int, half: Int, useMax: Bool) -> [Float] {
        var tmp = img, out = img
        for r in 0..<rows {
            for c in 0..<columns {
                var v = img[r * columns + c]
                for cc in max(0, c - half)...min(columns - 1, c + half) {
                    let x = img[r * columns + cc]; v = useMax ? max(v, x) : min(v, x)
                }
                tmp[r * columns + c] = v
            }
        }
        for r in 0..<rows {
            for c in 0..<columns {
                var v = tmp[r * columns + c]
                for rr in max(0, r - half)...min(rows - 1, r + half) {
                    let x = tmp[rr * columns + c]; v = useMax ? max(v, x) : min(v, x)
                }
                out[r * columns + c] = v
            }
        }
        return out
    }

    /// Grey-scale opening (erosion then dilation) with a square of side `2·half + 1` pixels: removes bright
    /// structures narrower than the square and keeps broader ones.
    public static func opening(_ img: [Float], rows: Int, columns: Int, half: Int) -> [Float] {
        let e = squareFilter(img, rows: rows, columns: columns, half: half, useMax: false)
        return squareFilter(e, rows: rows, columns: columns, half: half, useMax: true)
    }

    /// The (row, column) offsets of the pixels whose centre lies within `radius` pixels of a pixel centre: a flat
    /// disc centred on a pixel.
    public static func discOffsets(radius: Double) -> [(row: Int, column: Int)] {
        let reach = Int(radius.rounded(.down))
        var offsets: [(row: Int, column: Int)] = []
        for dr in -reach...reach { for dc in -reach...reach where Double(dr * dr + dc * dc) <= radius * radius { offsets.append((dr, dc)) } }
        return offsets
    }

    /// Grey-scale opening (erosion then dilation) with a flat DISC of `radius` pixels (``opening(_:rows:columns:half:)``
    /// is the same with a square): the upper envelope of the
    /// discs that fit under the image — the smooth surface a bump narrower than the disc sits on. On a linear slope it
    /// equals the image (a bump on an organ's shoulder is measured against the slope, not against the organ's top);
    /// a bump narrower than the disc is cut off at the level of its surroundings. Windows are clipped at the edges.
    public static func discOpening(_ img: [Float], rows: Int, columns: Int, radius: Double) -> [Float] {
        let offsets = discOffsets(radius: radius)
        func filter(_ src: [Float], useMax: Bool) -> [Float] {
            var out = src
            for r in 0..<rows {
                for c in 0..<columns {
                    var v = src[r * columns + c]
                    for (dr, dc) in offsets {
                        let rr = r + dr, cc = c + dc
                        guard rr >= 0, cc >= 0, rr < rows, cc < columns else { continue }
                        let x = src[rr * columns + cc]; v = useMax ? max(v, x) : min(v, x)
                    }
                    out[r * columns + c] = v
                }
            }
            return out
        }
        return filter(filter(img, useMax: false), useMax: true)
    }

    /// Pixels that are the strict maximum within a square of ±`radius` pixels (ties broken towards the first
    /// pixel in row-major order), above `threshold`, optionally outside a mask, as (column, row) pairs sorted by
    /// value, highest first.
    public static func localMaxima(_ img: [Float], rows: Int, columns: Int, radius: Int, threshold: Float,
                                   excluded: [Bool]? = nil) -> [(column: Int, row: Int)] {
        var out: [(Int, Int, Float)] = []
        for r in 0..<rows {
            for c in 0..<columns {
                let v = img[r * columns + c]
                guard v > threshold, excluded?[r * columns + c] != true else { continue }
                var isMax = true
                search: for rr in max(0, r - radius)...min(rows - 1, r + radius) {
                    for cc in max(0, c - radius)...min(columns - 1, c + radius) where rr != r || cc != c {
                        let w = img[rr * columns + cc]
                        if w > v || (w == v && (rr * columns + cc) < (r * columns + c)) { isMax = false; break search }
                    }
                }
                if isMax { out.append((c, r, v)) }
            }
        }
        return out.sorted { $0.2 > $1.2 }.map { (column: $0.0, row: $0.1) }
    }

    /// Sum and pixel count of a disk region.
    public static func disk(_ img: [Float], rows: Int, columns: Int, _ roi: PlanarDisk) -> PlanarRegionSum {
        var s = 0.0, n = 0
        let r2 = roi.radius * roi.radius
        let r0 = max(0, Int((roi.row - roi.radius).rounded(.down))), r1 = min(rows - 1, Int((roi.row + roi.radius).rounded(.up)))
        let c0 = max(0, Int((roi.column - roi.radius).rounded(.down))), c1 = min(columns - 1, Int((roi.column + roi.radius).rounded(.up)))
        guard r0 <= r1, c0 <= c1 else { return PlanarRegionSum(counts: 0, pixels: 0) }
        for r in r0...r1 {
            for c in c0...c1 {
                let dr = Double(r) - roi.row, dc = Double(c) - roi.column
                if dr * dr + dc * dc <= r2 { s += Double(img[r * columns + c]); n += 1 }
            }
        }
        return PlanarRegionSum(counts: s, pixels: n)
    }

    /// Sum and pixel count of an annulus (inner < distance ≤ outer) around a centre, skipping excluded pixels.
    public static func annulus(_ img: [Float], rows: Int, columns: Int, column: Double, row: Double, inner: Double,
                               outer: Double, excluded: [Bool]? = nil) -> PlanarRegionSum {
        var s = 0.0, n = 0
        let r0 = max(0, Int((row - outer).rounded(.down))), r1 = min(rows - 1, Int((row + outer).rounded(.up)))
        let c0 = max(0, Int((column - outer).rounded(.down))), c1 = min(columns - 1, Int((column + outer).rounded(.up)))
        guard r0 <= r1, c0 <= c1 else { return PlanarRegionSum(counts: 0, pixels: 0) }
        for r in r0...r1 {
            for c in c0...c1 {
                let dr = Double(r) - row, dc = Double(c) - column
                let d2 = dr * dr + dc * dc
                if d2 > inner * inner && d2 <= outer * outer && excluded?[r * columns + c] != true {
                    s += Double(img[r * columns + c]); n += 1
                }
            }
        }
        return PlanarRegionSum(counts: s, pixels: n)
    }

    /// Background-subtracted centroid of the pixels within `radius` of a peak (weights: value − `floor`, negatives
    /// dropped); the peak itself when all weights vanish.
    public static func centroid(_ img: [Float], rows: Int, columns: Int, column: Int, row: Int, radius: Double,
                                floor: Float) -> (column: Double, row: Double) {
        var sw = 0.0, sc = 0.0, sr = 0.0
        let h = Int(radius.rounded(.up))
        for r in max(0, row - h)...min(rows - 1, row + h) {
            for c in max(0, column - h)...min(columns - 1, column + h) {
                let dr = Double(r - row), dc = Double(c - column)
                guard dr * dr + dc * dc <= radius * radius else { continue }
                let w = Double(img[r * columns + c] - floor)
                if w > 0 { sw += w; sc += w * Double(c); sr += w * Double(r) }
            }
        }
        return sw > 0 ? (sc / sw, sr / sw) : (Double(column), Double(row))
    }

    /// Pixels connected (4-neighbours) to a seed whose value is above `threshold`, within `maxRadius` pixels of the
    /// seed; returns their linear indices (bounded by the disk, so bounded work on any input).
    public static func region(_ img: [Float], rows: Int, columns: Int, column: Int, row: Int, threshold: Float,
                              maxRadius: Double) -> [Int] {
        var seen = Set<Int>(), stack = [row * columns + column], out: [Int] = []
        guard img[row * columns + column] > threshold else { return [] }
        seen.insert(stack[0])
        while let p = stack.popLast() {
            out.append(p)
            let r = p / columns, c = p % columns
            for (dr, dc) in [(0, 1), (0, -1), (1, 0), (-1, 0)] {
                let rr = r + dr, cc = c + dc
                guard rr >= 0, rr < rows, cc >= 0, cc < columns else { continue }
                let q = rr * columns + cc
                let d2 = Double((rr - row) * (rr - row) + (cc - column) * (cc - column))
                if !seen.contains(q) && img[q] > threshold && d2 <= maxRadius * maxRadius { seen.insert(q); stack.append(q) }
            }
        }
        return out
    }

    /// The `p`-quantile (0…1) of values (nearest rank); 0 for an empty list.
    public static func quantile(_ values: [Float], _ p: Double) -> Float {
        guard !values.isEmpty else { return 0 }
        let s = values.sorted()
        return s[min(s.count - 1, max(0, Int((p * Double(s.count - 1)).rounded())))]
    }

    /// Shifts an image by whole pixels (`dc` columns right, `dr` rows down); uncovered pixels get 0.
    public static func shifted(_ img: [Float], rows: Int, columns: Int, dc: Int, dr: Int) -> [Float] {
        var out = [Float](repeating: 0, count: img.count)
        for r in 0..<rows {
            let sr = r - dr
            guard sr >= 0, sr < rows else { continue }
            for c in 0..<columns {
                let sc = c - dc
                if sc >= 0 && sc < columns { out[r * columns + c] = img[sr * columns + sc] }
            }
        }
        return out
    }
}

extension PlanarDisk {
    /// The disk as a pixel mask on a rows × columns grid (a pixel belongs when its centre is within the radius).
    public func mask(rows: Int, columns: Int) -> PlanarROI { PlanarROI.disc(rows: rows, columns: columns, column: column, row: row, radius: radius) }
}
