import Foundation
import Imaging

/// Errors of the part-A analyses (LVEF, thyroid uptake, parathyroid), each naming what is wrong.
public struct StudyAnalysisError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What went wrong, with its context (file, frame, attribute).
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// One planar image as the analyses see it: rows × columns of counts (row-major, row 0 the top of the image).
public struct PlanarCounts: Sendable, Equatable {
    /// Rows.
    public var rows: Int
    /// Columns.
    public var columns: Int
    /// Counts, rows × columns, row-major.
    public var counts: [Float]
    /// Pixel spacing (mm), when known.
    public var pixelSpacingMM: Double?

    /// Creates an image; throws when the counts do not fill the matrix or hold negative / non-finite values.
    public init(rows: Int, columns: Int, counts: [Float], pixelSpacingMM: Double? = nil) throws(StudyAnalysisError) {
        guard rows > 0, columns > 0, rows <= 4096, columns <= 4096 else { throw StudyAnalysisError("image matrix \(rows)×\(columns) is not usable") }
        guard counts.count == rows * columns else {
            throw StudyAnalysisError("image has \(counts.count) counts for a \(rows)×\(columns) matrix")
        }
        guard counts.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw StudyAnalysisError("image holds negative or non-finite counts") }
        self.rows = rows; self.columns = columns; self.counts = counts; self.pixelSpacingMM = pixelSpacingMM
    }

    /// From a planar frame of an acquisition.
    public init(_ p: PlanarImage) throws(StudyAnalysisError) {
        try self.init(rows: p.rows, columns: p.columns, counts: p.counts, pixelSpacingMM: p.pixelSpacing.first)
    }

    init(uncheckedRows rows: Int, columns: Int, counts: [Float], pixelSpacingMM: Double?) {
        self.rows = rows; self.columns = columns; self.counts = counts; self.pixelSpacingMM = pixelSpacingMM
    }

    /// Total counts.
    public var total: Double { counts.reduce(0) { $0 + Double($1) } }

    /// Value at (column, row), 0 outside.
    @inline(__always) func at(_ c: Int, _ r: Int) -> Float {
        (c < 0 || r < 0 || c >= columns || r >= rows) ? 0 : counts[r * columns + c]
    }

    /// A copy smoothed `passes` times with the 1-2-1 (9-point binomial) kernel, edges replicated.
    public func smoothed(passes: Int = 1) -> PlanarCounts {
        var a = counts
        var b = [Float](repeating: 0, count: a.count)
        for _ in 0..<max(0, passes) {
            for r in 0..<rows {
                for c in 0..<columns {
                    let cl = max(0, c - 1), cr = min(columns - 1, c + 1)
                    b[r * columns + c] = 0.25 * a[r * columns + cl] + 0.5 * a[r * columns + c] + 0.25 * a[r * columns + cr]
                }
            }
            for r in 0..<rows {
                let ru = max(0, r - 1), rd = min(rows - 1, r + 1)
                for c in 0..<columns {
                    a[r * columns + c] = 0.25 * b[ru * columns + c] + 0.5 * b[r * columns + c] + 0.25 * b[rd * columns + c]
                }
            }
        }
        return PlanarCounts(uncheckedRows: rows, columns: columns, counts: a, pixelSpacingMM: pixelSpacingMM)
    }

    /// The image moved by (dx, dy) pixels (bilinear, zero outside): output(c, r) = input(c − dx, r − dy).
    public func shifted(dx: Double, dy: Double) -> PlanarCounts {
        var out = [Float](repeating: 0, count: counts.count)
        for r in 0..<rows {
            let y = Double(r) - dy
            let y0 = Int(floor(y)), fy = Float(y - Double(y0))
            for c in 0..<columns {
                let x = Double(c) - dx
                let x0 = Int(floor(x)), fx = Float(x - Double(x0))
                let v = (1 - fx) * (1 - fy) * at(x0, y0) + fx * (1 - fy) * at(x0 + 1, y0)
                    + (1 - fx) * fy * at(x0, y0 + 1) + fx * fy * at(x0 + 1, y0 + 1)
                out[r * columns + c] = v
            }
        }
        return PlanarCounts(uncheckedRows: rows, columns: columns, counts: out, pixelSpacingMM: pixelSpacingMM)
    }
}

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
    public func sum(_ image: PlanarCounts) -> Double {
        var s = 0.0
        for i in inside.indices where inside[i] { s += Double(image.counts[i]) }
        return s
    }

    /// Mean of `image` over the mask (0 when empty).
    public func mean(_ image: PlanarCounts) -> Double { count == 0 ? 0 : sum(image) / Double(count) }

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

/// Integer-and-subpixel translation registration of two planar images by normalised cross-correlation.
public enum PlanarRegistration {
    /// The shift (dx, dy) in pixels to apply to `moving` (``PlanarCounts/shifted(dx:dy:)``) so that it best matches
    /// `fixed`: exhaustive search over ±`maxShift` pixels of the Pearson correlation of the two images over
    /// `region` (or the whole image), refined to a parabola's vertex in each direction.
    public static func translation(fixed: PlanarCounts, moving: PlanarCounts, maxShift: Int = 6,
                                   region: PlanarROI? = nil) -> (dx: Double, dy: Double, correlation: Double) {
        let idx = region?.indices ?? Array(0..<(fixed.rows * fixed.columns))
        func ncc(_ dx: Int, _ dy: Int) -> Double {
            var sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0, n = 0.0
            for i in idx {
                let r = i / fixed.columns, c = i % fixed.columns
                let a = Double(fixed.counts[i]), b = Double(moving.at(c - dx, r - dy))
                sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b; n += 1
            }
            let va = saa - sa * sa / n, vb = sbb - sb * sb / n
            return va > 0 && vb > 0 ? (sab - sa * sb / n) / (va * vb).squareRoot() : -1
        }
        var best = (0, 0), bestV = -Double.infinity
        var table: [Int: Double] = [:]
        for dy in -maxShift...maxShift { for dx in -maxShift...maxShift {
            let v = ncc(dx, dy)
            table[(dy + maxShift) * 1000 + dx + maxShift] = v
            if v > bestV { bestV = v; best = (dx, dy) }
        } }
        func value(_ dx: Int, _ dy: Int) -> Double? { table[(dy + maxShift) * 1000 + dx + maxShift] }
        func vertex(_ m: Double?, _ c: Double, _ p: Double?) -> Double {
            guard let m, let p else { return 0 }
            let d = m - 2 * c + p
            return d < 0 ? max(-0.5, min(0.5, 0.5 * (m - p) / d)) : 0
        }
        let fx = vertex(value(best.0 - 1, best.1), bestV, value(best.0 + 1, best.1))
        let fy = vertex(value(best.0, best.1 - 1), bestV, value(best.0, best.1 + 1))
        return (Double(best.0) + fx, Double(best.1) + fy, bestV)
    }
}
