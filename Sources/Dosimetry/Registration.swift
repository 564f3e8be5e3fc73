import Foundation
import Imaging

/// A rigid transform in patient (LPS, mm) coordinates mapping a point of the fixed (reference) image to the
/// corresponding point of the moving image: q = R·(p − c) + c + t, R = Rz(γ)·Ry(β)·Rx(α).
public struct RigidTransform: Sendable, Equatable, Codable {
    /// Rotations about the x, y, z axes, degrees.
    public var rotationDeg: Vector3
    /// Translation, mm.
    public var translationMM: Vector3
    /// Centre of rotation, mm (patient coordinates).
    public var centerMM: Vector3
    /// Creates a transform.
    public init(rotationDeg: Vector3 = .zero, translationMM: Vector3 = .zero, centerMM: Vector3 = .zero) {
        self.rotationDeg = rotationDeg; self.translationMM = translationMM; self.centerMM = centerMM
    }
    /// The identity about `center`.
    public static func identity(center: Vector3 = .zero) -> RigidTransform { RigidTransform(centerMM: center) }

    /// Rotation matrix rows.
    public var matrix: [[Double]] { EulerRotation.matrixZYX(degrees: rotationDeg) }   // Rz·Ry·Rx

    /// Maps a fixed-image point to the moving image.
    public func apply(_ p: Vector3) -> Vector3 {
        let m = matrix, d = p - centerMM
        return Vector3(m[0][0] * d.x + m[0][1] * d.y + m[0][2] * d.z,
                       m[1][0] * d.x + m[1][1] * d.y + m[1][2] * d.z,
                       m[2][0] * d.x + m[2][1] * d.y + m[2][2] * d.z) + centerMM + translationMM
    }
}

/// The outcome of a registration.
public struct RegistrationResult: Sendable, Equatable, Codable {
    /// Fixed → moving transform.
    public var transform: RigidTransform
    /// Mutual information (nats) at the start and at the end.
    public var initialMI: Double, finalMI: Double
    /// Cost evaluations used.
    public var evaluations: Int
    /// The method, for reports.
    public var method: String
    /// The measured quality and whether it passed its gate (``SerialRegistration``); nil for ``RigidRegistration``.
    public var quality: RegistrationQuality? = nil
}

/// Rigid (6 degrees of freedom) registration of a moving CT to a fixed (reference) CT by maximising mutual
/// information (Mattes/Viola–Wells style joint histogram, 32 × 32 bins, trilinear interpolation of the moving
/// image, fixed-image samples on a regular sub-grid), optimised by a multi-resolution pattern search
/// (coordinate steps 8 → 0.125 mm / degrees).
public enum RigidRegistration {
    /// Registers `moving` to `fixed`; both in patient coordinates (their geometries), e.g. CTs in HU.
    public static func register(fixed: Volume, moving: Volume, bins: Int = 32) throws(DosimetryError) -> RegistrationResult {
        guard fixed.size.count >= 8, moving.size.count >= 8 else { throw .invalidArgument("registration needs non-empty volumes") }
        guard (8...256).contains(bins) else { throw .invalidArgument("bins must be 8…256") }
        // Both images smoothed (Gaussian σ = 1 voxel) so the cost is smooth at the scale of the search steps.
        let fixed = smoothed(fixed), moving = smoothed(moving)
        let f = fixed.size
        let centre = fixed.geometry.patientPosition(i: Double(f.x - 1) / 2, j: Double(f.y - 1) / 2, k: Double(f.z - 1) / 2)
        var params = [Double](repeating: 0, count: 6)
        var evaluations = 0
        func transform(_ q: [Double]) -> RigidTransform {
            RigidTransform(rotationDeg: Vector3(q[0], q[1], q[2]), translationMM: Vector3(q[3], q[4], q[5]), centerMM: centre)
        }
        let fixedRange = fixed.range ?? 0...1, movingRange = moving.range ?? 0...1
        // Samples: every `stride`-th fixed voxel with its patient position and bin.
        func samples(stride s: Int) -> (points: [Vector3], fixedBins: [Int]) {
            var pts: [Vector3] = [], fb: [Int] = []
            for k in Swift.stride(from: 0, to: f.z, by: s) {
                for j in Swift.stride(from: 0, to: f.y, by: s) {
                    for i in Swift.stride(from: 0, to: f.x, by: s) {
                        pts.append(fixed.geometry.patientPosition(i, j, k))
                        fb.append(bin(fixed[i, j, k], fixedRange, bins))
                    }
                }
            }
            return (pts, fb)
        }
        let (m00, mi0, mj0, mk0) = (try? moving.geometry.continuousIndex(of: .zero), try? moving.geometry.continuousIndex(of: Vector3(1, 0, 0)),
                                    try? moving.geometry.continuousIndex(of: Vector3(0, 1, 0)), try? moving.geometry.continuousIndex(of: Vector3(0, 0, 1)))
        guard let o = m00, let ex = mi0, let ey = mj0, let ez = mk0 else { throw .invalidArgument("moving image geometry is singular") }
        let (dx, dy, dz) = (ex - o, ey - o, ez - o)
        func mi(_ q: [Double], _ set: (points: [Vector3], fixedBins: [Int])) -> Double {
            evaluations += 1
            let t = transform(q)
            var joint = [Double](repeating: 0, count: bins * bins)
            var n = 0.0
            let mv = moving.size
            for (idx, p) in set.points.enumerated() {
                let w = t.apply(p)
                let c = o + dx * w.x + dy * w.y + dz * w.z
                guard c.x >= 0, c.y >= 0, c.z >= 0, c.x <= Double(mv.x - 1), c.y <= Double(mv.y - 1), c.z <= Double(mv.z - 1) else { continue }
                // Linear (Parzen) soft binning of the moving value keeps MI continuous in the parameters.
                let v = trilinear(moving, c)
                let u = Double((v - movingRange.lowerBound) / max(movingRange.upperBound - movingRange.lowerBound, 1e-12)) * Double(bins - 1)
                let b0 = min(max(Int(u), 0), bins - 1), b1 = min(b0 + 1, bins - 1)
                let w1 = min(max(u - Double(b0), 0), 1)
                let row = set.fixedBins[idx] * bins
                joint[row + b0] += 1 - w1
                joint[row + b1] += w1
                n += 1
            }
            guard n > 0 else { return 0 }
            var pf = [Double](repeating: 0, count: bins), pm = [Double](repeating: 0, count: bins)
            for a in 0..<bins { for b in 0..<bins { let v = joint[a * bins + b] / n; pf[a] += v; pm[b] += v } }
            var s = 0.0
            for a in 0..<bins where pf[a] > 0 {
                for b in 0..<bins {
                    let v = joint[a * bins + b] / n
                    if v > 0 { s += v * log(v / (pf[a] * pm[b])) }
                }
            }
            return s
        }
        // Sub-grids of about 4 000 (coarse) and 12 000 (fine) fixed-image samples.
        func sampleStride(_ target: Double) -> Int { max(1, Int(pow(Double(f.count) / target, 1.0 / 3).rounded())) }
        let coarse = samples(stride: sampleStride(4000))
        let fine = samples(stride: sampleStride(12000))
        let initial = mi(params, fine)
        for (set, steps) in [(coarse, [8.0, 4, 2, 1]), (fine, [1.0, 0.5, 0.25, 0.125])] {
            var best = mi(params, set)
            for step in steps {
                var improved = true, rounds = 0
                while improved && rounds < 20 {
                    improved = false; rounds += 1
                    for d in 0..<6 {
                        for sign in [1.0, -1.0] {
                            var trial = params
                            trial[d] += sign * step
                            let v = mi(trial, set)
                            if v > best + 1e-9 { best = v; params = trial; improved = true; break }
                        }
                    }
                }
            }
        }
        return RegistrationResult(transform: transform(params), initialMI: initial, finalMI: mi(params, fine),
                                  evaluations: evaluations,
                                  method: "rigid 6-DOF, mutual information (\(bins) bins), pattern search 8→0.125 mm/°, two sampling levels")
    }

    /// Separable Gaussian smoothing, σ = 1 voxel (kernel ±3 voxels), clamped edges.
    static func smoothed(_ v: Volume) -> Volume {
        var s = v
        s.voxels = GaussianFilter.smooth(v.voxels, size: v.size, sigmaVoxels: (1, 1, 1), edges: .clamp)
        return s
    }

    @inline(__always) static func bin(_ v: Float, _ r: ClosedRange<Float>, _ bins: Int) -> Int {
        let span = r.upperBound - r.lowerBound
        guard span > 0 else { return 0 }
        return min(bins - 1, max(0, Int((v - r.lowerBound) / span * Float(bins))))
    }

    @inline(__always) static func trilinear(_ v: Volume, _ c: Vector3) -> Float {
        let s = v.size
        let x0 = min(Int(c.x), s.x - 1), y0 = min(Int(c.y), s.y - 1), z0 = min(Int(c.z), s.z - 1)
        let x1 = min(x0 + 1, s.x - 1), y1 = min(y0 + 1, s.y - 1), z1 = min(z0 + 1, s.z - 1)
        let fx = Float(c.x - Double(x0)), fy = Float(c.y - Double(y0)), fz = Float(c.z - Double(z0))
        return v.voxels.withUnsafeBufferPointer { p in
            @inline(__always) func at(_ a: Int, _ b: Int, _ d: Int) -> Float { p[(d * s.y + b) * s.x + a] }
            let c00 = at(x0, y0, z0) * (1 - fx) + at(x1, y0, z0) * fx
            let c10 = at(x0, y1, z0) * (1 - fx) + at(x1, y1, z0) * fx
            let c01 = at(x0, y0, z1) * (1 - fx) + at(x1, y0, z1) * fx
            let c11 = at(x0, y1, z1) * (1 - fx) + at(x1, y1, z1) * fx
            return (c00 * (1 - fy) + c10 * fy) * (1 - fz) + (c01 * (1 - fy) + c11 * fy) * fz
        }
    }

    /// Resamples `moving` onto the fixed grid through `transform` (fixed point p takes moving's value at T(p));
    /// trilinear, `outside` where T(p) leaves the moving image. Used to move each time point's SPECT (and CT) into
    /// the reference frame.
    public static func resample(_ moving: Volume, onto size: GridSize, geometry: ImageGeometry, transform: RigidTransform,
                                outside: Float = 0) throws(DosimetryError) -> Volume {
        guard let o = try? moving.geometry.continuousIndex(of: .zero),
              let ex = try? moving.geometry.continuousIndex(of: Vector3(1, 0, 0)),
              let ey = try? moving.geometry.continuousIndex(of: Vector3(0, 1, 0)),
              let ez = try? moving.geometry.continuousIndex(of: Vector3(0, 0, 1)) else {
            throw .invalidArgument("moving image geometry is singular")
        }
        let (dx, dy, dz) = (ex - o, ey - o, ez - o)
        var out = [Float](repeating: outside, count: size.count)
        let mv = moving.size
        let box = SendableBox(moving)
        out.withUnsafeMutableBufferPointer { dst in
            let d = SendableBox(dst)
            DispatchQueue.concurrentPerform(iterations: size.z) { k in
                for j in 0..<size.y {
                    for i in 0..<size.x {
                        let w = transform.apply(geometry.patientPosition(i, j, k))
                        let c = o + dx * w.x + dy * w.y + dz * w.z
                        guard c.x > -0.5, c.y > -0.5, c.z > -0.5, c.x < Double(mv.x) - 0.5, c.y < Double(mv.y) - 0.5, c.z < Double(mv.z) - 0.5 else { continue }
                        let cc = Vector3(min(max(c.x, 0), Double(mv.x - 1)), min(max(c.y, 0), Double(mv.y - 1)), min(max(c.z, 0), Double(mv.z - 1)))
                        d.value[(k * size.y + j) * size.x + i] = trilinear(box.value, cc)
                    }
                }
            }
        }
        return Volume(unchecked: size, voxels: out, geometry: geometry, units: moving.units,
                      frameOfReferenceUID: moving.frameOfReferenceUID)
    }
}
