import Foundation
import Imaging

/// An axis-aligned box in patient coordinates (LPS, mm).
public struct Box3: Sendable, Codable, Equatable {
    /// Lower corner.
    public var min: Vector3
    /// Upper corner.
    public var max: Vector3
    /// Creates a box.
    public init(min: Vector3, max: Vector3) { self.min = min; self.max = max }
    /// The smallest box containing both.
    public func union(_ b: Box3) -> Box3 {
        Box3(min: Vector3(Swift.min(min.x, b.min.x), Swift.min(min.y, b.min.y), Swift.min(min.z, b.min.z)),
             max: Vector3(Swift.max(max.x, b.max.x), Swift.max(max.y, b.max.y), Swift.max(max.z, b.max.z)))
    }
    /// Whether two boxes overlap.
    public func intersects(_ b: Box3) -> Bool {
        min.x <= b.max.x && max.x >= b.min.x && min.y <= b.max.y && max.y >= b.min.y && min.z <= b.max.z && max.z >= b.min.z
    }
}

/// An analytic solid in patient coordinates (LPS, mm). Voxelised by sub-voxel sampling (``Voxelizer``).
public indirect enum Shape: Sendable, Codable, Equatable {
    /// A sphere.
    case sphere(center: Vector3, radius: Double)
    /// An ellipsoid with semi-axes `semiAxes` along the orthonormal directions `axisX`, `axisY`, `axisZ`
    /// (default: the patient axes).
    case ellipsoid(center: Vector3, semiAxes: Vector3, axisX: Vector3, axisY: Vector3, axisZ: Vector3)
    /// An elliptic cylinder along z: centre (x, y), radii along x and y, from `zMin` to `zMax`.
    case cylinder(centerX: Double, centerY: Double, radiusX: Double, radiusY: Double, zMin: Double, zMax: Double)
    /// An axis-aligned box.
    case box(Box3)
    /// The interior of the NEMA NU 2 / IEC 61675-1 body phantom: a half circle of radius 147 mm on the anterior
    /// side (y ≤ 0, centre at the origin of x and y) joined to a 294 × 77 mm posterior part whose lower corners are
    /// rounded with radius 77 mm (centres at x = ±70, y = 0); from `zMin` to `zMax`.
    case iecBody(zMin: Double, zMax: Double)
    /// Hexagonally packed rods of a Jaszczak phantom: six 60° sectors, sector k (counted from +x towards −y) with
    /// rods of `diameters[k]`, centre-to-centre spacing twice the diameter, inside radius `radius` about the z axis.
    case rodSectors(radius: Double, zMin: Double, zMax: Double, diameters: [Double])
    /// Points in every listed shape.
    case union([Shape])
    /// Points in the first shape and not in the second.
    case difference(Shape, Shape)
    /// Points in both shapes.
    case intersection(Shape, Shape)

    /// A patient-axis-aligned ellipsoid.
    public static func ellipsoid(center: Vector3, semiAxes: Vector3) -> Shape {
        .ellipsoid(center: center, semiAxes: semiAxes, axisX: Vector3(1, 0, 0), axisY: Vector3(0, 1, 0), axisZ: Vector3(0, 0, 1))
    }

    /// An ellipsoid whose long (`semiAxes.z`) axis points along `longAxis`.
    public static func ellipsoid(center: Vector3, semiAxes: Vector3, longAxis: Vector3) -> Shape {
        let w = longAxis.normalized
        let helper = abs(w.z) < 0.9 ? Vector3(0, 0, 1) : Vector3(1, 0, 0)
        let u = helper.cross(w).normalized
        let v = w.cross(u)
        return .ellipsoid(center: center, semiAxes: semiAxes, axisX: u, axisY: v, axisZ: w)
    }

    /// Whether `p` lies inside.
    public func contains(_ p: Vector3) -> Bool {
        switch self {
        case .sphere(let c, let r):
            let d = p - c
            return d.dot(d) <= r * r
        case .ellipsoid(let c, let s, let ax, let ay, let az):
            let d = p - c
            let a = d.dot(ax) / s.x, b = d.dot(ay) / s.y, e = d.dot(az) / s.z
            return a * a + b * b + e * e <= 1
        case .cylinder(let cx, let cy, let rx, let ry, let z0, let z1):
            guard p.z >= z0 && p.z <= z1 else { return false }
            let a = (p.x - cx) / rx, b = (p.y - cy) / ry
            return a * a + b * b <= 1
        case .box(let b):
            return p.x >= b.min.x && p.x <= b.max.x && p.y >= b.min.y && p.y <= b.max.y && p.z >= b.min.z && p.z <= b.max.z
        case .iecBody(let z0, let z1):
            guard p.z >= z0 && p.z <= z1 else { return false }
            if p.y <= 0 { return p.x * p.x + p.y * p.y <= 147 * 147 }
            guard p.y <= 77, abs(p.x) <= 147 else { return false }
            if abs(p.x) <= 70 { return true }
            let dx = abs(p.x) - 70
            return dx * dx + p.y * p.y <= 77 * 77
        case .rodSectors(let radius, let z0, let z1, let diameters):
            guard p.z >= z0 && p.z <= z1, !diameters.isEmpty else { return false }
            let rho = (p.x * p.x + p.y * p.y).squareRoot()
            guard rho <= radius else { return false }
            // Sector k spans angles [60k, 60(k+1)) measured from +x towards −y (the anterior side).
            var phi = atan2(-p.y, p.x) * 180 / .pi
            if phi < 0 { phi += 360 }
            let k = min(diameters.count - 1, Int(phi / 60) % 6)
            let d = diameters[k]
            let pitch = 2 * d
            // Sector-local frame: bisector along +x'.
            let bis = (Double(k) * 60 + 30) * .pi / 180
            let bx = cos(bis), by = -sin(bis)           // bisector direction in LPS (towards −y for positive angles)
            let nx = -by, ny = bx                       // perpendicular (90° further in the same sense)
            let lx = p.x * bx + p.y * by, ly = -(p.x * nx + p.y * ny)
            // Lattice along the two sector edges (±30°), offset one pitch from the apex.
            let c30 = cos(Double.pi / 6), s30 = 0.5
            let qx = lx - pitch, qy = ly
            let fi = (qx / (pitch * c30) + qy / (pitch * s30)) / 2
            let fj = (qx / (pitch * c30) - qy / (pitch * s30)) / 2
            for i in [floor(fi), ceil(fi)] where i >= 0 {
                for j in [floor(fj), ceil(fj)] where j >= 0 {
                    let cx = pitch + (i + j) * pitch * c30, cy = (i - j) * pitch * s30
                    guard (cx * cx + cy * cy).squareRoot() <= radius - d / 2 else { continue }
                    let dx = lx - cx, dy = ly - cy
                    if dx * dx + dy * dy <= d * d / 4 { return true }
                }
            }
            return false
        case .union(let shapes):
            return shapes.contains { $0.contains(p) }
        case .difference(let a, let b):
            return a.contains(p) && !b.contains(p)
        case .intersection(let a, let b):
            return a.contains(p) && b.contains(p)
        }
    }

    /// A box that contains the shape.
    public var boundingBox: Box3 {
        switch self {
        case .sphere(let c, let r):
            return Box3(min: c - Vector3(r, r, r), max: c + Vector3(r, r, r))
        case .ellipsoid(let c, let s, let ax, let ay, let az):
            // Half-extent along patient axis e: sqrt(Σ (s_i · a_i·e)²).
            func ext(_ e: (Vector3) -> Double) -> Double {
                let a = s.x * e(ax), b = s.y * e(ay), d = s.z * e(az)
                return (a * a + b * b + d * d).squareRoot()
            }
            let h = Vector3(ext { $0.x }, ext { $0.y }, ext { $0.z })
            return Box3(min: c - h, max: c + h)
        case .cylinder(let cx, let cy, let rx, let ry, let z0, let z1):
            return Box3(min: Vector3(cx - rx, cy - ry, z0), max: Vector3(cx + rx, cy + ry, z1))
        case .box(let b):
            return b
        case .iecBody(let z0, let z1):
            return Box3(min: Vector3(-147, -147, z0), max: Vector3(147, 77, z1))
        case .rodSectors(let r, let z0, let z1, _):
            return Box3(min: Vector3(-r, -r, z0), max: Vector3(r, r, z1))
        case .union(let shapes):
            return shapes.dropFirst().reduce(shapes.first?.boundingBox ?? Box3(min: .zero, max: .zero)) { $0.union($1.boundingBox) }
        case .difference(let a, _):
            return a.boundingBox
        case .intersection(let a, let b):
            let x = a.boundingBox, y = b.boundingBox
            return Box3(min: Vector3(max(x.min.x, y.min.x), max(x.min.y, y.min.y), max(x.min.z, y.min.z)),
                        max: Vector3(min(x.max.x, y.max.x), min(x.max.y, y.max.y), min(x.max.z, y.max.z)))
        }
    }

    /// Exact volume in mL where it has a closed form (spheres, ellipsoids, cylinders, boxes); nil otherwise.
    public var analyticVolumeML: Double? {
        switch self {
        case .sphere(_, let r): return 4 / 3 * .pi * r * r * r / 1000
        case .ellipsoid(_, let s, _, _, _): return 4 / 3 * .pi * s.x * s.y * s.z / 1000
        case .cylinder(_, _, let rx, let ry, let z0, let z1): return .pi * rx * ry * (z1 - z0) / 1000
        case .box(let b): return (b.max.x - b.min.x) * (b.max.y - b.min.y) * (b.max.z - b.min.z) / 1000
        case .iecBody(let z0, let z1):
            let area = Double.pi * 147 * 147 / 2 + 140 * 77 + Double.pi * 77 * 77 / 2
            return area * (z1 - z0) / 1000
        default: return nil
        }
    }
}
