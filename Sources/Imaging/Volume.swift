/// The size of a voxel grid: columns (x), rows (y) and slices (z).
public struct GridSize: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Number of columns (fastest-varying index).
    public var x: Int
    /// Number of rows.
    public var y: Int
    /// Number of slices (slowest-varying index).
    public var z: Int
    /// Creates a size.
    public init(x: Int, y: Int, z: Int) { self.x = x; self.y = y; self.z = z }
    /// Total number of voxels.
    public var count: Int { x * y * z }
    /// `XxYxZ`.
    public var description: String { "\(x)×\(y)×\(z)" }
}

/// Errors building domain images from arrays.
public enum ImagingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The number of values does not match the declared size.
    case sizeMismatch(expected: Int, actual: Int)
    /// A requested selection (window, detector, frame, …) does not exist.
    case notFound(String)
    /// Human explanation.
    public var description: String {
        switch self {
        case .sizeMismatch(let e, let a): return "expected \(e) values, got \(a)"
        case .notFound(let m): return m
        }
    }
}

/// A scalar 3-D image in patient space: contiguous `Float` voxels, x (columns) fastest, then y (rows), then z
/// (slices), with an affine ``ImageGeometry`` in DICOM LPS millimetres.
public struct Volume: Sendable, Equatable {
    /// Grid size.
    public var size: GridSize
    /// Voxel values, `size.count` long; index `x + size.x·(y + size.y·z)`.
    public var voxels: [Float]
    /// Index ↔ patient transform.
    public var geometry: ImageGeometry
    /// Units of the voxel values, e.g. `HU`, `BQML`, `Bq/mL`, `Gy`; nil when unknown.
    public var units: String?
    /// Frame of Reference UID (patient coordinate system the geometry refers to), as a plain string.
    public var frameOfReferenceUID: String?

    /// Creates a volume; throws when `voxels.count != size.count`.
    public init(size: GridSize, voxels: [Float], geometry: ImageGeometry, units: String? = nil,
                frameOfReferenceUID: String? = nil) throws(ImagingError) {
        guard voxels.count == size.count else { throw .sizeMismatch(expected: size.count, actual: voxels.count) }
        self.size = size; self.voxels = voxels; self.geometry = geometry; self.units = units
        self.frameOfReferenceUID = frameOfReferenceUID
    }

    /// Creates a volume whose voxel count the caller guarantees equals `size.count` (checked in debug builds).
    public init(unchecked size: GridSize, voxels: [Float], geometry: ImageGeometry, units: String? = nil,
                frameOfReferenceUID: String? = nil) {
        assert(voxels.count == size.count)
        self.size = size; self.voxels = voxels; self.geometry = geometry; self.units = units
        self.frameOfReferenceUID = frameOfReferenceUID
    }

    /// Linear index of voxel `(x, y, z)`.
    @inlinable public func index(_ x: Int, _ y: Int, _ z: Int) -> Int { x + size.x * (y + size.y * z) }

    /// The voxel value at `(x, y, z)` (column, row, slice).
    public subscript(x: Int, y: Int, z: Int) -> Float {
        get { voxels[index(x, y, z)] }
        set { voxels[index(x, y, z)] = newValue }
    }

    /// The voxels of slice `z` (rows × columns, row-major).
    public func slice(_ z: Int) -> ArraySlice<Float> {
        let n = size.x * size.y
        return voxels[(z * n)..<((z + 1) * n)]
    }

    /// Patient position (mm) of the centre of voxel `(x, y, z)`.
    public func patientPosition(_ x: Int, _ y: Int, _ z: Int) -> Vector3 { geometry.patientPosition(x, y, z) }

    /// Smallest and largest voxel value (nil for an empty volume).
    public var range: ClosedRange<Float>? {
        guard var lo = voxels.first else { return nil }
        var hi = lo
        for v in voxels { if v < lo { lo = v }; if v > hi { hi = v } }
        return lo...hi
    }

    /// Sum of all voxel values (accumulated in `Double`).
    public var sum: Double { voxels.reduce(0) { $0 + Double($1) } }
}
