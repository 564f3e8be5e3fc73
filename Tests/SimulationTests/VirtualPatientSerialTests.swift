import Foundation
import Imaging
import Physics
import Testing
@testable import Simulation

/// Serial studies with patient motion between visits (contract with the dosimetry of issue 21).
@Suite(.enabled(if: icrpAvailable, "ICRP-110 phantoms not found at ../shared/phantoms/icrp110"))
struct VirtualPatientSerialTests {
    /// The rotation of the `Dosimetry.RigidTransform` convention written out here (Rz·Ry·Rx, x first), not taken
    /// from the library, applied to p: R(p − c) + c + t.
    static func moved(_ p: Vector3, rotationDeg r: Vector3, translation t: Vector3, center c: Vector3) -> Vector3 {
        func rx(_ v: Vector3, _ a: Double) -> Vector3 { Vector3(v.x, cos(a) * v.y - sin(a) * v.z, sin(a) * v.y + cos(a) * v.z) }
        func ry(_ v: Vector3, _ a: Double) -> Vector3 { Vector3(cos(a) * v.x + sin(a) * v.z, v.y, -sin(a) * v.x + cos(a) * v.z) }
        func rz(_ v: Vector3, _ a: Double) -> Vector3 { Vector3(cos(a) * v.x - sin(a) * v.y, sin(a) * v.x + cos(a) * v.y, v.z) }
        let d = p - c, k = Double.pi / 180
        return rz(ry(rx(d, r.x * k), r.y * k), r.z * k) + c + t
    }

    /// Mass-weighted centroid of an ICRP ID on the simulation grid (from the sampled partial volumes).
    static func centroid(_ vp: VoxelizedPhantom, id: Int) -> Vector3? {
        guard let c = vp.phantom.compartments.firstIndex(where: { $0.name == "icrp\(id)" }) else { return nil }
        let cv = vp.compartmentVoxels[c], n = vp.size
        var s = Vector3.zero, w = 0.0
        for (i, f) in zip(cv.indices, cv.fractions) {
            let li = Int(i)
            s = s + vp.geometry.patientPosition(li % n.x, (li / n.x) % n.y, li / (n.x * n.y)) * Double(f); w += Double(f)
        }
        return s * (1 / w)
    }

    /// A later visit's liver, kidneys and a vertebra lie where the motion written to the truth maps them from the
    /// first visit (centroids within a third of a simulation voxel), and the truth carries the motion.
    @Test func visitMotionMovesTheAnatomyAsTheTruthSays() throws {
        let p = try #require(ICRPFixture.am)
        let pose = PatientVariability.draw(seed: 5)
        let first = VirtualPatient(phantom: p, tracer: .dotatate, hours: 4, variability: pose, patientSeed: 5)
        let motion = VisitMotion.draw(seed: 5, visit: 2, maxDeg: 5, maxMM: 15, center: Vector3(pose.offsetMM.x, pose.offsetMM.y, 0))
        #expect(abs(motion.rotationDeg.x) <= 5 && abs(motion.rotationDeg.y) <= 5 && abs(motion.rotationDeg.z) <= 5)
        #expect(abs(motion.translationMM.x) <= 15 && abs(motion.translationMM.y) <= 15 && abs(motion.translationMM.z) <= 15)
        #expect(motion != VisitMotion.draw(seed: 5, visit: 3, maxDeg: 5, maxMM: 15, center: .zero))
        var later = first
        later.variability.visitMotion = motion
        let (vp0, _) = try first.build(voxelMM: 6, subsamples: 2)
        let (vp1, truth1) = try later.build(voxelMM: 6, subsamples: 2)
        let m = try #require(truth1.visitMotion)
        for id in [95, 89, 50] {   // liver, left kidney cortex, a thoracic spongiosa
            let c0 = try #require(Self.centroid(vp0, id: id)), c1 = try #require(Self.centroid(vp1, id: id))
            let want = Self.moved(c0, rotationDeg: m.rotationDeg, translation: m.translationMM, center: m.centerMM)
            #expect((c1 - want).length < 2, "ID \(id): \(c1) vs \(want) (first visit \(c0))")
        }
        // JSON: arrays and the convention, as the dosimetry reads them.
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(truth1)) as? [String: Any]
        let vm = try #require(json?["visitMotion"] as? [String: Any])
        #expect((vm["rotationDeg"] as? [Double])?.count == 3 && (vm["centerMM"] as? [Double])?.count == 3)
        #expect((vm["convention"] as? String)?.contains("RigidTransform") == true)
        // In the written (camera) frame the centre moves with the positions, the rotation and translation do not.
        let shifted = m.translated(by: Vector3(0, 0, 100))
        let q = Vector3(30, -20, 50)
        #expect((shifted.apply(q + Vector3(0, 0, 100)) - (m.apply(q) + Vector3(0, 0, 100))).length < 1e-9)
        #expect((m.inverse(m.apply(q)) - q).length < 1e-9)
    }

    @Test func visitMotionLimitsParse() throws {
        let l = try VisitMotion.parseLimits("5:10:300")
        #expect(l.maxDeg == 5 && l.maxMM == 10 && l.ctFieldMM == 300)
        #expect(try VisitMotion.parseLimits("3:8").ctFieldMM == nil)
        for bad in ["5", "a:b", "45:10", "5:10:5", "5:-1"] {
            do { _ = try VisitMotion.parseLimits(bad); Issue.record("\(bad) accepted") } catch {
                #expect(error.description.contains(bad) && error.description.contains("allowed") || error.description.contains("MAXDEG:MAXMM"))
            }
        }
    }
}
