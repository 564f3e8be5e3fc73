import Foundation

/// A 3-vector of `Double`, used for positions and directions in DICOM patient coordinates (LPS, millimetres).
///
/// In LPS, +x points to the patient's left, +y to posterior and +z to superior (head).
public struct Vector3: Sendable, Hashable, Codable, CustomStringConvertible {
    /// First component (LPS: towards patient left).
    public var x: Double
    /// Second component (LPS: towards posterior).
    public var y: Double
    /// Third component (LPS: towards the head).
    public var z: Double

    /// Creates a vector from components.
    public init(_ x: Double, _ y: Double, _ z: Double) { self.x = x; self.y = y; self.z = z }

    /// Creates a vector from the first three values of an array (nil when fewer than three).
    public init?(_ values: [Double]) {
        guard values.count >= 3 else { return nil }
        self.init(values[0], values[1], values[2])
    }

    /// The zero vector.
    public static let zero = Vector3(0, 0, 0)

    /// Sum of two vectors.
    public static func + (a: Vector3, b: Vector3) -> Vector3 { Vector3(a.x + b.x, a.y + b.y, a.z + b.z) }
    /// Difference of two vectors.
    public static func - (a: Vector3, b: Vector3) -> Vector3 { Vector3(a.x - b.x, a.y - b.y, a.z - b.z) }
    /// Vector scaled by a number.
    public static func * (a: Vector3, s: Double) -> Vector3 { Vector3(a.x * s, a.y * s, a.z * s) }
    /// Vector scaled by a number.
    public static func * (s: Double, a: Vector3) -> Vector3 { a * s }
    /// Negated vector.
    public static prefix func - (a: Vector3) -> Vector3 { Vector3(-a.x, -a.y, -a.z) }

    /// Dot product.
    public func dot(_ b: Vector3) -> Double { x * b.x + y * b.y + z * b.z }
    /// Cross product `self × b` (right-handed).
    public func cross(_ b: Vector3) -> Vector3 { Vector3(y * b.z - z * b.y, z * b.x - x * b.z, x * b.y - y * b.x) }
    /// Euclidean length.
    public var length: Double { dot(self).squareRoot() }
    /// Unit vector in the same direction (the zero vector stays zero).
    public var normalized: Vector3 { let l = length; return l > 0 ? self * (1 / l) : self }
    /// Components as an array `[x, y, z]`.
    public var array: [Double] { [x, y, z] }
    /// `(x, y, z)` with up to 4 decimals.
    public var description: String { String(format: "(%.4g, %.4g, %.4g)", x, y, z) }
}

/// Errors of geometric operations.
public enum GeometryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The axes do not span 3-D space (parallel or zero directions, or zero spacing), so no inverse exists.
    case singular(String)
    /// Human explanation.
    public var description: String {
        switch self { case .singular(let m): return "singular image geometry: \(m)" }
    }
}

/// An affine map between voxel indices and patient coordinates (DICOM LPS, mm).
///
/// Index `(i, j, k)` is (column, row, slice), zero-based; integer indices address voxel centres. The patient
/// position of index `(i, j, k)` is
/// `origin + i·spacing.x·rowDirection + j·spacing.y·columnDirection + k·spacing.z·sliceDirection`.
///
/// The names follow DICOM Image Orientation (Patient) (0020,0037): ``rowDirection`` is the direction cosine of a
/// *row* (the direction in which the column index `i` grows), ``columnDirection`` the direction cosine of a
/// *column* (the direction in which the row index `j` grows).
public struct ImageGeometry: Sendable, Hashable, Codable {
    /// Patient position of the centre of the first voxel `(0, 0, 0)` (DICOM Image Position (Patient)).
    public var origin: Vector3
    /// Unit direction in which the column index `i` increases (first triplet of Image Orientation (Patient)).
    public var rowDirection: Vector3
    /// Unit direction in which the row index `j` increases (second triplet of Image Orientation (Patient)).
    public var columnDirection: Vector3
    /// Unit direction in which the slice index `k` increases (usually `rowDirection × columnDirection`).
    public var sliceDirection: Vector3
    /// Voxel spacing in mm: x = between columns, y = between rows, z = between slice centres.
    public var spacing: Vector3

    /// Creates a geometry. `sliceDirection` defaults to `rowDirection × columnDirection`.
    public init(origin: Vector3, rowDirection: Vector3, columnDirection: Vector3, sliceDirection: Vector3? = nil,
                spacing: Vector3) {
        self.origin = origin
        self.rowDirection = rowDirection
        self.columnDirection = columnDirection
        self.sliceDirection = sliceDirection ?? rowDirection.cross(columnDirection).normalized
        self.spacing = spacing
    }

    /// An axis-aligned geometry (directions +x, +y, +z) with the given origin and spacing.
    public static func axisAligned(origin: Vector3 = .zero, spacing: Vector3 = Vector3(1, 1, 1)) -> ImageGeometry {
        ImageGeometry(origin: origin, rowDirection: Vector3(1, 0, 0), columnDirection: Vector3(0, 1, 0),
                      sliceDirection: Vector3(0, 0, 1), spacing: spacing)
    }

    /// Patient position (mm) of a possibly fractional index `(i, j, k)` = (column, row, slice).
    public func patientPosition(i: Double, j: Double, k: Double) -> Vector3 {
        origin + rowDirection * (i * spacing.x) + columnDirection * (j * spacing.y) + sliceDirection * (k * spacing.z)
    }

    /// Patient position (mm) of the centre of voxel `(i, j, k)`.
    public func patientPosition(_ i: Int, _ j: Int, _ k: Int) -> Vector3 {
        patientPosition(i: Double(i), j: Double(j), k: Double(k))
    }

    /// The continuous index `(i, j, k)` of a patient position (inverse of ``patientPosition(i:j:k:)``).
    /// Works for non-orthogonal axes; throws when the axes are degenerate.
    public func continuousIndex(of p: Vector3) throws(GeometryError) -> Vector3 {
        // Columns of M are the scaled axes; solve M · idx = p − origin by Cramer's rule.
        let a = rowDirection * spacing.x, b = columnDirection * spacing.y, c = sliceDirection * spacing.z
        let det = a.dot(b.cross(c))
        guard abs(det) > 1e-12 else {
            throw .singular("axes \(rowDirection), \(columnDirection), \(sliceDirection) with spacing \(spacing)")
        }
        let d = p - origin
        return Vector3(d.dot(b.cross(c)) / det, a.dot(d.cross(c)) / det, a.dot(b.cross(d)) / det)
    }

    /// The nearest integer index of a patient position (no bounds check).
    public func nearestIndex(of p: Vector3) throws(GeometryError) -> (i: Int, j: Int, k: Int) {
        let c = try continuousIndex(of: p)
        return (Int(c.x.rounded()), Int(c.y.rounded()), Int(c.z.rounded()))
    }

    /// Whether the three directions are unit length and mutually orthogonal within `tolerance`.
    public func isOrthonormal(tolerance: Double = 1e-4) -> Bool {
        let dirs = [rowDirection, columnDirection, sliceDirection]
        for d in dirs where abs(d.length - 1) > tolerance { return false }
        return abs(rowDirection.dot(columnDirection)) <= tolerance
            && abs(rowDirection.dot(sliceDirection)) <= tolerance
            && abs(columnDirection.dot(sliceDirection)) <= tolerance
    }

    /// The 4×4 affine matrix (row-major) mapping homogeneous index `(i, j, k, 1)` to patient mm.
    public var indexToPatientMatrix: [[Double]] {
        let a = rowDirection * spacing.x, b = columnDirection * spacing.y, c = sliceDirection * spacing.z
        return [[a.x, b.x, c.x, origin.x], [a.y, b.y, c.y, origin.y], [a.z, b.z, c.z, origin.z], [0, 0, 0, 1]]
    }
}

/// Rotations given as Euler angles.
public enum EulerRotation {
    /// The rotation matrix (rows) for angles about x, y and z in degrees, composed Rz·Ry·Rx (x applied first).
    public static func matrixZYX(degrees r: Vector3) -> [[Double]] {
        let a = r.x * .pi / 180, b = r.y * .pi / 180, g = r.z * .pi / 180
        let (ca, sa, cb, sb, cg, sg) = (cos(a), sin(a), cos(b), sin(b), cos(g), sin(g))
        return [[cg * cb, cg * sb * sa - sg * ca, cg * sb * ca + sg * sa],
                [sg * cb, sg * sb * sa + cg * ca, sg * sb * ca - cg * sa],
                [-sb, cb * sa, cb * ca]]
    }
}
