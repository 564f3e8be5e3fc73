import Dispatch
import Foundation
import Imaging

/// Errors of the planar analyses (sentinel node, bone scan, Krenning, MIBG), each naming what is wrong.
public struct PlanarAnalysisError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Human explanation (which input, which view, what was expected).
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// Human explanation.
    public var description: String { message }
}

/// One planar view as the planar analyses see it: counts on a pixel grid, the view's name and, when the camera
/// wrote it, the detector plane's patient geometry (Image Position/Orientation of the Detector Information item).
public struct PlanarViewImage: Sendable, Equatable {
    /// View name (View Code Sequence meaning, e.g. `Anterior projection`, `Left lateral projection`).
    public var name: String
    /// Rows.
    public var rows: Int
    /// Columns.
    public var columns: Int
    /// Pixel spacing (row spacing, column spacing) in mm.
    public var pixelSpacing: [Double]
    /// Counts, rows × columns, row-major.
    public var counts: [Float]
    /// Patient position (LPS, mm) of the centre of pixel (column 0, row 0) on the detector plane, when known.
    public var origin: Vector3?
    /// Direction in which the column index grows (first triplet of Image Orientation (Patient)).
    public var rowDirection: Vector3?
    /// Direction in which the row index grows (second triplet of Image Orientation (Patient)).
    public var columnDirection: Vector3?
    /// Acquisition duration of the view (s), when known.
    public var durationSeconds: Double?

    /// Creates a view.
    public init(name: String, rows: Int, columns: Int, pixelSpacing: [Double], counts: [Float], origin: Vector3? = nil,
                rowDirection: Vector3? = nil, columnDirection: Vector3? = nil, durationSeconds: Double? = nil) {
        self.name = name; self.rows = rows; self.columns = columns; self.pixelSpacing = pixelSpacing; self.counts = counts
        self.origin = origin; self.rowDirection = rowDirection; self.columnDirection = columnDirection
        self.durationSeconds = durationSeconds
    }

    /// Column spacing (mm); 1 when unknown.
    public var columnSpacingMM: Double { pixelSpacing.count > 1 ? pixelSpacing[1] : (pixelSpacing.first ?? 1) }
    /// Row spacing (mm); 1 when unknown.
    public var rowSpacingMM: Double { pixelSpacing.first ?? 1 }
    /// Total counts.
    public var totalCounts: Double { counts.reduce(0) { $0 + Double($1) } }

    /// Patient position (mm) on the detector plane of a (fractional) pixel position; nil without geometry. The
    /// depth along the viewing direction is unknown in a planar image: the point lies on the plane through the
    /// detector's Image Position.
    public func patientPosition(column: Double, row: Double) -> Vector3? {
        guard let o = origin, let r = rowDirection, let c = columnDirection else { return nil }
        return o + r * (column * columnSpacingMM) + c * (row * rowSpacingMM)
    }

    /// Checks that the view is usable: a non-empty matrix, as many counts as pixels, finite, non-negative, not all
    /// zero.
    public func validate() throws(PlanarAnalysisError) {
        guard rows > 0, columns > 0 else { throw PlanarAnalysisError("view \(name): empty matrix \(columns)×\(rows)") }
        guard counts.count == rows * columns else {
            throw PlanarAnalysisError("view \(name): \(counts.count) counts for a \(columns)×\(rows) matrix")
        }
        guard counts.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
            throw PlanarAnalysisError("view \(name): counts must be finite and non-negative")
        }
        guard counts.contains(where: { $0 > 0 }) else { throw PlanarAnalysisError("view \(name): the image has zero counts") }
    }

    /// The view mirrored left–right (column c ↔ columns − 1 − c): a posterior view on the anterior view's grid.
    public func mirroredColumns() -> PlanarViewImage {
        var out = self
        for r in 0..<rows { for c in 0..<columns { out.counts[r * columns + c] = counts[r * columns + columns - 1 - c] } }
        if let o = origin, let rd = rowDirection { out.origin = o + rd * (Double(columns - 1) * columnSpacingMM); out.rowDirection = -rd }
        return out
    }
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

/// Image helpers shared by the planar analyses of part B (smoothing, grey-scale opening, local maxima, regions).
public enum ROIToolsB {
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
