import Foundation
import Imaging

/// A 2D plane of values with its pixel spacing (mm), rows top to bottom.
public struct Plane: Sendable, Equatable {
    /// Columns.
    public var width: Int
    /// Rows.
    public var height: Int
    /// Values, row-major.
    public var values: [Float]
    /// Pixel size along columns and rows, mm.
    public var spacing: (Double, Double)
    /// Creates a plane.
    public init(width: Int, height: Int, values: [Float], spacing: (Double, Double) = (1, 1)) {
        self.width = width; self.height = height; self.values = values; self.spacing = spacing
    }
    public static func == (a: Plane, b: Plane) -> Bool { a.width == b.width && a.height == b.height && a.values == b.values }
}

/// Anatomical viewing planes of an axis-aligned LPS volume.
public enum Orientation: String, Sendable, CaseIterable, Codable {
    /// Transverse slice (constant z), shown with the patient's right on the left and anterior at the top.
    case axial
    /// Constant y, shown with superior at the top and the patient's right on the left (anterior view).
    case coronal
    /// Constant x, shown with superior at the top and anterior on the left.
    case sagittal
}

/// Slices, maximum-intensity projections, windowing and fusion.
public enum Render {
    /// A slice through voxel index `index` along the orientation's normal (radiological display conventions).
    public static func slice(_ v: Volume, _ o: Orientation, index: Int) -> Plane {
        let (nx, ny, nz) = (v.size.x, v.size.y, v.size.z)
        let sp = v.geometry.spacing
        switch o {
        case .axial:
            let k = min(max(index, 0), nz - 1)
            return Plane(width: nx, height: ny, values: Array(v.voxels[(k * nx * ny)..<((k + 1) * nx * ny)]), spacing: (sp.x, sp.y))
        case .coronal:
            let j = min(max(index, 0), ny - 1)
            var out = [Float](repeating: 0, count: nx * nz)
            for k in 0..<nz { for i in 0..<nx { out[(nz - 1 - k) * nx + i] = v.voxels[(k * ny + j) * nx + i] } }
            return Plane(width: nx, height: nz, values: out, spacing: (sp.x, sp.z))
        case .sagittal:
            let i = min(max(index, 0), nx - 1)
            var out = [Float](repeating: 0, count: ny * nz)
            for k in 0..<nz { for j in 0..<ny { out[(nz - 1 - k) * ny + j] = v.voxels[(k * ny + j) * nx + i] } }
            return Plane(width: ny, height: nz, values: out, spacing: (sp.y, sp.z))
        }
    }

    /// Maximum-intensity projection along the orientation's normal (coronal MIP = anterior view).
    public static func mip(_ v: Volume, _ o: Orientation) -> Plane {
        let (nx, ny, nz) = (v.size.x, v.size.y, v.size.z)
        let sp = v.geometry.spacing
        switch o {
        case .axial:
            var out = [Float](repeating: -.infinity, count: nx * ny)
            for k in 0..<nz { for p in 0..<(nx * ny) { out[p] = max(out[p], v.voxels[k * nx * ny + p]) } }
            return Plane(width: nx, height: ny, values: out, spacing: (sp.x, sp.y))
        case .coronal:
            var out = [Float](repeating: -.infinity, count: nx * nz)
            for k in 0..<nz { for j in 0..<ny { for i in 0..<nx { let o = (nz - 1 - k) * nx + i; out[o] = max(out[o], v.voxels[(k * ny + j) * nx + i]) } } }
            return Plane(width: nx, height: nz, values: out, spacing: (sp.x, sp.z))
        case .sagittal:
            var out = [Float](repeating: -.infinity, count: ny * nz)
            for k in 0..<nz { for j in 0..<ny { for i in 0..<nx { let o = (nz - 1 - k) * ny + j; out[o] = max(out[o], v.voxels[(k * ny + j) * nx + i]) } } }
            return Plane(width: ny, height: nz, values: out, spacing: (sp.y, sp.z))
        }
    }

    /// Maps values through a window [low, high] and a colour map to an RGB raster.
    public static func colour(_ p: Plane, low: Float, high: Float, map: ColorMap) -> Raster {
        let lut = map.table
        var px = [UInt8](repeating: 0, count: p.width * p.height * 3)
        let scale = high > low ? 255 / (high - low) : 0
        for (n, v) in p.values.enumerated() {
            let idx = Int(min(max((v - low) * scale, 0), 255))
            let c = lut[v.isFinite ? idx : 0]
            px[3 * n] = c.0; px[3 * n + 1] = c.1; px[3 * n + 2] = c.2
        }
        return Raster(width: p.width, height: p.height, channels: 3, pixels: px)
    }

    /// Fuses an emission plane over an anatomical one of the same size: CT in grey (window centre/width, HU),
    /// emission in a colour map, blended with `alpha` where the emission is above `threshold` of its window.
    public static func fuse(ct: Plane, ctCentre: Float = 40, ctWidth: Float = 400, emission: Plane, low: Float, high: Float,
                            map: ColorMap = .hot, alpha: Float = 0.6, threshold: Float = 0.05) -> Raster {
        precondition(ct.width == emission.width && ct.height == emission.height)
        let base = colour(ct, low: ctCentre - ctWidth / 2, high: ctCentre + ctWidth / 2, map: .gray)
        let top = colour(emission, low: low, high: high, map: map)
        var px = base.pixels
        let span = max(high - low, .leastNonzeroMagnitude)
        for n in 0..<(ct.width * ct.height) where (emission.values[n] - low) / span > threshold {
            for c in 0..<3 { px[3 * n + c] = UInt8(Float(base.pixels[3 * n + c]) * (1 - alpha) + Float(top.pixels[3 * n + c]) * alpha) }
        }
        return Raster(width: ct.width, height: ct.height, channels: 3, pixels: px)
    }

    /// Resizes a raster by an integer factor (nearest neighbour), for readable small images.
    public static func upscale(_ r: Raster, factor: Int) -> Raster {
        guard factor > 1 else { return r }
        let w = r.width * factor, h = r.height * factor
        var px = [UInt8](repeating: 0, count: w * h * r.channels)
        for y in 0..<h { for x in 0..<w { for c in 0..<r.channels {
            px[(y * w + x) * r.channels + c] = r.pixels[((y / factor) * r.width + x / factor) * r.channels + c]
        } } }
        return Raster(width: w, height: h, channels: r.channels, pixels: px)
    }

    /// Places rasters (same height) side by side with a gap.
    public static func hstack(_ rs: [Raster], gap: Int = 4) -> Raster {
        let h = rs.map(\.height).max() ?? 0
        let w = rs.reduce(0) { $0 + $1.width } + gap * max(0, rs.count - 1)
        var px = [UInt8](repeating: 0, count: w * h * 3)
        var x0 = 0
        for r in rs {
            for y in 0..<r.height { for x in 0..<r.width { for c in 0..<3 {
                px[(y * w + x0 + x) * 3 + c] = r.pixels[(y * r.width + x) * r.channels + (r.channels == 1 ? 0 : c)]
            } } }
            x0 += r.width + gap
        }
        return Raster(width: w, height: h, channels: 3, pixels: px)
    }
}
