import Foundation
import Imaging
import Testing
@testable import Dosimetry

/// Rigid registration against a known rigid motion of an analytic CT phantom.
@Suite struct RegistrationTests {
    /// An asymmetric torso in HU: body, two unequal lungs, spine, liver, one kidney.
    static func phantom(_ p: Vector3) -> Float {
        func inside(_ c: Vector3, _ r: Vector3) -> Bool {
            let d = p - c
            return (d.x / r.x) * (d.x / r.x) + (d.y / r.y) * (d.y / r.y) + (d.z / r.z) * (d.z / r.z) <= 1
        }
        guard inside(Vector3(0, 0, 0), Vector3(78, 58, 86)) else { return -1000 }
        if inside(Vector3(0, 30, 0), Vector3(10, 10, 200)) { return 650 }             // spine (posterior, +y in LPS)
        if inside(Vector3(32, 0, 30), Vector3(22, 30, 40)) { return -780 }             // left lung
        if inside(Vector3(-30, 0, 38), Vector3(20, 26, 30)) { return -820 }            // right lung (smaller)
        if inside(Vector3(-32, -5, -20), Vector3(30, 26, 22)) { return 70 }            // liver (right)
        if inside(Vector3(28, 20, -40), Vector3(9, 9, 16)) { return 35 }               // left kidney
        return 10
    }

    static func volume(_ size: GridSize, voxel: Double, sampling transform: RigidTransform?) -> Volume {
        let origin = Vector3(-voxel * Double(size.x - 1) / 2, -voxel * Double(size.y - 1) / 2, -voxel * Double(size.z - 1) / 2)
        let g = ImageGeometry.axisAligned(origin: origin, spacing: Vector3(voxel, voxel, voxel))
        var v = [Float](repeating: 0, count: size.count)
        // Moving image value at q = anatomy at T⁻¹(q) = Rᵀ(q − c − t) + c (c = 0 here).
        let m = transform?.matrix
        for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x {
            var q = g.patientPosition(i, j, k)
            if let t = transform, let m {
                let d = q - t.centerMM - t.translationMM
                q = Vector3(m[0][0] * d.x + m[1][0] * d.y + m[2][0] * d.z,
                            m[0][1] * d.x + m[1][1] * d.y + m[2][1] * d.z,
                            m[0][2] * d.x + m[1][2] * d.y + m[2][2] * d.z) + t.centerMM
            }
            v[i + size.x * (j + size.y * k)] = phantom(q)
        } } }
        return Volume(unchecked: size, voxels: v, geometry: g, units: "HU")
    }

    @Test func recoversAKnownRigidMotionWithin2mm() throws {
        let size = GridSize(x: 48, y: 40, z: 48)
        let truth = RigidTransform(rotationDeg: Vector3(3, -2, 5), translationMM: Vector3(7, -5, 4), centerMM: .zero)
        let fixed = Self.volume(size, voxel: 4, sampling: nil)
        let moving = Self.volume(size, voxel: 4, sampling: truth)
        let r = try RigidRegistration.register(fixed: fixed, moving: moving)
        // Displacement error over the body: corners of a 120 × 100 × 140 mm box.
        var worst = 0.0
        for x in [-60.0, 60] { for y in [-50.0, 50] { for z in [-70.0, 70] {
            let p = Vector3(x, y, z)
            worst = max(worst, (r.transform.apply(p) - truth.apply(p)).length)
        } } }
        #expect(worst < 2, "registration error \(worst) mm, transform \(r.transform)")
        #expect(r.finalMI > r.initialMI)
        // Moving the moving image back reproduces the fixed one (except at the edges of the field of view).
        // Voxels within 100 HU of the fixed image: most after registration (edges of sharp boundaries and the
        // field of view differ), clearly more than without it.
        func agreement(_ t: RigidTransform) throws -> Double {
            let back = try RigidRegistration.resample(moving, onto: fixed.size, geometry: fixed.geometry, transform: t, outside: -1000)
            var agree = 0, total = 0
            for i in fixed.voxels.indices where fixed.voxels[i] > -900 {
                total += 1
                if abs(back.voxels[i] - fixed.voxels[i]) < 100 { agree += 1 }
            }
            return Double(agree) / Double(total)
        }
        let registered = try agreement(r.transform), unregistered = try agreement(.identity())
        #expect(registered > 0.8 && registered > unregistered, "\(registered) vs \(unregistered) without registration")
    }
}
