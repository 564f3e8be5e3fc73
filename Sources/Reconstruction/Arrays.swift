import Foundation
import Imaging

/// An image on a ``SPECTGeometry`` grid in the projector's layout: index `(x·n + y)·slices + z` (`[x][y][z]`,
/// z fastest, the rotation axis contiguous). This is also PyTomography's object layout.
public struct ReconVolume: Sendable, Equatable {
    /// Grid side (x and y).
    public let n: Int
    /// Slices.
    public let slices: Int
    /// Values, `n·n·slices` long.
    public var values: [Float]

    /// A volume of zeros (or a constant).
    public init(n: Int, slices: Int, value: Float = 0) {
        self.n = n; self.slices = slices; values = Array(repeating: value, count: n * n * slices)
    }
    /// A volume of zeros matching a geometry.
    public init(geometry g: SPECTGeometry, value: Float = 0) { self.init(n: g.n, slices: g.slices, value: value) }

    /// Wraps values already in `[x][y][z]` order.
    public init(n: Int, slices: Int, values: [Float]) throws(ReconstructionError) {
        guard values.count == n * n * slices else {
            throw .sizeMismatch(what: "volume", expected: n * n * slices, actual: values.count)
        }
        self.n = n; self.slices = slices; self.values = values
    }

    /// Converts an ``Imaging/Volume`` (x fastest) on the same grid size (its geometry is not resampled).
    public init(volume: Volume) throws(ReconstructionError) {
        guard volume.size.x == volume.size.y else {
            throw .invalidParameter("volume must be square transaxially, got \(volume.size)")
        }
        let n = volume.size.x, nz = volume.size.z
        var out = [Float](repeating: 0, count: n * n * nz)
        volume.voxels.withUnsafeBufferPointer { src in
            for z in 0..<nz { for y in 0..<n { for x in 0..<n { out[(x * n + y) * nz + z] = src[x + n * (y + n * z)] } } }
        }
        self.n = n; slices = nz; values = out
    }

    /// Linear index of voxel `(x, y, z)`.
    @inlinable public func index(_ x: Int, _ y: Int, _ z: Int) -> Int { (x * n + y) * slices + z }
    /// Voxel value at `(x, y, z)`.
    public subscript(x x: Int, y y: Int, z z: Int) -> Float {
        get { values[index(x, y, z)] }
        set { values[index(x, y, z)] = newValue }
    }

    /// The image as an ``Imaging/Volume`` (x fastest) with the geometry's patient coordinates.
    public func volume(geometry g: SPECTGeometry, units: String? = nil) -> Volume {
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { src in
            for x in 0..<n { for y in 0..<n { for z in 0..<slices { out[x + n * (y + n * z)] = src[(x * n + y) * slices + z] } } }
        }
        // Sizes agree by construction.
        return try! Volume(size: GridSize(x: n, y: n, z: slices), voxels: out, geometry: g.imageGeometry, units: units)
    }

    /// Sum of the values (Double accumulation).
    public var sum: Double { values.reduce(0) { $0 + Double($1) } }
    /// Value scaled by a factor.
    public func scaled(_ s: Float) -> ReconVolume { var c = self; c.values = values.map { $0 * s }; return c }
}

/// Projections on a ``SPECTGeometry`` detector in the projector's layout: index `(v·columns + c)·rows + ρ'` with
/// `ρ' = rows − 1 − ρ` (z ascending), so a detector column is contiguous along the rotation axis. This matches the
/// PyTomography `[view, r, z]` layout (with θ = −β, see `docs/recon-bench-notes.md`).
public struct Projections: Sendable, Equatable {
    /// Views.
    public let views: Int
    /// Columns per view.
    public let columns: Int
    /// Rows per view.
    public let rows: Int
    /// Values.
    public var values: [Float]

    /// Zeros (or a constant) for a geometry.
    public init(geometry g: SPECTGeometry, value: Float = 0) {
        views = g.views; columns = g.columns; rows = g.rows
        values = Array(repeating: value, count: g.views * g.columns * g.rows)
    }

    /// Wraps values already in `[view][column][z-ascending row]` order.
    public init(geometry g: SPECTGeometry, values: [Float]) throws(ReconstructionError) {
        guard values.count == g.views * g.pixelsPerView else {
            throw .sizeMismatch(what: "projections", expected: g.views * g.pixelsPerView, actual: values.count)
        }
        views = g.views; columns = g.columns; rows = g.rows; self.values = values
    }

    /// From counts in display order: views × rows × columns, columns fastest, row 0 most superior
    /// (the layout of ``Imaging/ProjectionSet/counts``).
    public init(viewsRowsColumns counts: [Float], geometry g: SPECTGeometry) throws(ReconstructionError) {
        guard counts.count == g.views * g.pixelsPerView else {
            throw .sizeMismatch(what: "projections", expected: g.views * g.pixelsPerView, actual: counts.count)
        }
        views = g.views; columns = g.columns; rows = g.rows
        var out = [Float](repeating: 0, count: counts.count)
        let c = g.columns, r = g.rows
        for v in 0..<g.views { for row in 0..<r { for col in 0..<c {
            out[(v * c + col) * r + (r - 1 - row)] = counts[(v * r + row) * c + col]
        } } }
        values = out
    }

    /// From an ``Imaging/ProjectionSet`` whose views, rows and columns match the geometry.
    public init(projectionSet p: ProjectionSet, geometry g: SPECTGeometry) throws(ReconstructionError) {
        guard p.views == g.views, p.rows == g.rows, p.columns == g.columns else {
            throw .invalidParameter("projection set \(p.views)×\(p.rows)×\(p.columns) does not match the geometry "
                                    + "\(g.views)×\(g.rows)×\(g.columns)")
        }
        try self.init(viewsRowsColumns: p.counts, geometry: g)
    }

    /// Counts in display order (views × rows × columns, row 0 most superior).
    public func viewsRowsColumns() -> [Float] {
        var out = [Float](repeating: 0, count: values.count)
        let c = columns, r = rows
        for v in 0..<views { for row in 0..<r { for col in 0..<c {
            out[(v * r + row) * c + col] = values[(v * c + col) * r + (r - 1 - row)]
        } } }
        return out
    }

    /// Value at view `v`, column `c`, display row `row` (0 = most superior).
    public subscript(view v: Int, column c: Int, row row: Int) -> Float {
        get { values[(v * columns + c) * rows + (rows - 1 - row)] }
        set { values[(v * columns + c) * rows + (rows - 1 - row)] = newValue }
    }

    /// Sum of all values (Double accumulation).
    public var sum: Double { values.reduce(0) { $0 + Double($1) } }
}
