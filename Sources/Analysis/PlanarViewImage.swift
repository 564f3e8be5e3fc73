import Foundation
import Imaging

/// The one error type of the planar analyses (gated blood pool, thyroid uptake, parathyroid, sentinel node, bone scan,
/// Krenning, MIBG), each naming what is wrong: which input, which view or frame, what was expected.
public struct PlanarAnalysisError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Human explanation (which input, which view, what was expected).
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// Human explanation.
    public var description: String { message }
}

/// The one planar image type of the analyses: counts on a pixel grid (row-major, row 0 the top of the image), the
/// view's name and, when the camera wrote it, the detector plane's patient geometry (Image Position/Orientation of the
/// Detector Information item). A frame of a gated study, a static view and a whole-body view are all this type.
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

    /// Creates an image after checking it: a matrix of 1…4096 rows and columns, as many counts as pixels, finite and
    /// non-negative. `pixelSpacingMM` (square pixels) may be unknown (nil: an empty ``pixelSpacing``).
    public init(rows: Int, columns: Int, counts: [Float], pixelSpacingMM: Double? = nil, name: String = "") throws(PlanarAnalysisError) {
        guard rows > 0, columns > 0, rows <= 4096, columns <= 4096 else { throw PlanarAnalysisError("image matrix \(rows)×\(columns) is not usable") }
        guard counts.count == rows * columns else {
            throw PlanarAnalysisError("image has \(counts.count) counts for a \(rows)×\(columns) matrix")
        }
        guard counts.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw PlanarAnalysisError("image holds negative or non-finite counts") }
        self.init(uncheckedRows: rows, columns: columns, counts: counts, pixelSpacingMM: pixelSpacingMM, name: name)
    }

    /// From a planar frame of an acquisition (checked as ``init(rows:columns:counts:pixelSpacingMM:name:)``).
    public init(_ p: PlanarImage, name: String = "") throws(PlanarAnalysisError) {
        try self.init(rows: p.rows, columns: p.columns, counts: p.counts, pixelSpacingMM: p.pixelSpacing.first, name: name)
        if let d = p.frameDurationMs { durationSeconds = d / 1000 }
    }

    init(uncheckedRows rows: Int, columns: Int, counts: [Float], pixelSpacingMM: Double?, name: String = "") {
        self.init(name: name, rows: rows, columns: columns, pixelSpacing: pixelSpacingMM.map { [$0, $0] } ?? [], counts: counts)
    }

    /// Row spacing (mm) when known (nil when the file wrote no Pixel Spacing).
    public var pixelSpacingMM: Double? { pixelSpacing.first }

    /// Value at (column, row), 0 outside.
    @inline(__always) func at(_ c: Int, _ r: Int) -> Float {
        (c < 0 || r < 0 || c >= columns || r >= rows) ? 0 : counts[r * columns + c]
    }

    /// This image with other counts (same grid, name and geometry).
    func with(counts: [Float]) -> PlanarViewImage { var o = self; o.counts = counts; return o }

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

    /// A copy smoothed `passes` times with the 1-2-1 (9-point binomial) kernel, edges replicated.
    public func smoothed(passes: Int = 1) -> PlanarViewImage {
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
        return with(counts: a)
    }

    /// The image moved by (dx, dy) pixels (bilinear, zero outside): output(c, r) = input(c − dx, r − dy).
    public func shifted(dx: Double, dy: Double) -> PlanarViewImage {
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
        return with(counts: out)
    }
}
