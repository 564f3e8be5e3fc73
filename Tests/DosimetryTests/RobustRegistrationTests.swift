import Foundation
import Imaging
import Physics
import Simulation
import Testing
@testable import Dosimetry
import Workflows

/// Serial CT-to-CT registration against known rigid motions of the ICRP-110 adult male CT (truth built here:
/// the phantom's media → HU, each CT sampled at the anatomy the known motion puts under each voxel), with small
/// axial fields, different slice thicknesses and table offsets; and a pair no registration can align.
@Suite struct RobustRegistrationTests {
    /// Organ IDs → HU at 70 keV from each medium's composition (Medium.hounsfield), the phantom's labels.
    struct Anatomy: Sendable {
        let phantom: ICRPPhantom
        let hu: [Float]
        static let shared: Anatomy? = {
            guard let p = try? ICRPPhantom.load(.adultMale) else { return nil }
            var hu = [Float](repeating: -1000, count: 256)
            for id in 1..<256 { if let m = p.media[id] { hu[id] = Float(m.hounsfield(effectiveEnergyKeV: 70)) } }
            return Anatomy(phantom: p, hu: hu)
        }()

        /// HU at anatomy point `p` (phantom coordinates, grid centred on 0; nearest voxel; air outside).
        func value(_ p: Vector3) -> Float {
            let s = phantom.size, sp = phantom.spacingMM
            let i = Int((p.x / sp.x + Double(s.x - 1) / 2).rounded()), j = Int((p.y / sp.y + Double(s.y - 1) / 2).rounded())
            let k = Int((p.z / sp.z + Double(s.z - 1) / 2).rounded())
            guard i >= 0, j >= 0, k >= 0, i < s.x, j < s.y, k < s.z else { return -1000 }
            return hu[Int(phantom.labels[i + s.x * (j + s.y * k)])]
        }

        /// A CT of `fieldMM` axial field centred at scanner z `centreZ`, `pixelMM` pixels (4 mm: fast in the debug
        /// build; the registration works on 12/6/3 mm grids anyway) over 560 × 300 mm,
        /// `sliceMM` slices (3 sub-samples through each slice's thickness), the patient placed by `motion`
        /// (anatomy p at motion.apply(p)), Gaussian noise 15 HU.
        func ct(fieldMM: Double, centreZ: Double, sliceMM: Double, pixelMM: Double = 4, motion: RigidTransform?, seed: UInt64) -> Volume {
            let nx = Int(560 / pixelMM), ny = Int(300 / pixelMM), nz = max(2, Int(fieldMM / sliceMM))
            let origin = Vector3(-pixelMM * Double(nx - 1) / 2, -pixelMM * Double(ny - 1) / 2, centreZ - sliceMM * Double(nz - 1) / 2)
            let g = ImageGeometry.axisAligned(origin: origin, spacing: Vector3(pixelMM, pixelMM, sliceMM))
            let m = motion?.matrix
            var v = [Float](repeating: 0, count: nx * ny * nz)
            var rng = SeededGenerator(seed: seed)
            for k in 0..<nz { for j in 0..<ny { for i in 0..<nx {
                var acc: Float = 0
                for s in [-1.0, 0, 1] {
                    var q = g.patientPosition(i: Double(i), j: Double(j), k: Double(k) + s / 3)
                    if let t = motion, let m {
                        // Anatomy under scanner point q: p = Rᵀ(q − c − t) + c.
                        let d = q - t.centerMM - t.translationMM
                        q = Vector3(m[0][0] * d.x + m[1][0] * d.y + m[2][0] * d.z, m[0][1] * d.x + m[1][1] * d.y + m[2][1] * d.z,
                                    m[0][2] * d.x + m[1][2] * d.y + m[2][2] * d.z) + t.centerMM
                    }
                    acc += value(q) / 3
                }
                // Box–Muller noise.
                let n = (-2 * log(rng.uniform())).squareRoot() * cos(2 * Double.pi * rng.uniform())
                v[i + nx * (j + ny * k)] = acc + Float(15 * n)
            } } }
            return Volume(unchecked: GridSize(x: nx, y: ny, z: nz), voxels: v, geometry: g, units: "HU")
        }
    }

    /// Largest displacement error over the corners of a 300 × 200 × (shared field) mm box around the abdomen,
    /// and the angle (°) of R_estimated · R_trueᵀ.
    static func errors(_ est: RigidTransform, _ truth: RigidTransform, centreZ: Double, halfZ: Double) -> (mm: Double, deg: Double) {
        var worst = 0.0
        for x in [-150.0, 150] { for y in [-100.0, 100] { for z in [centreZ - halfZ, centreZ + halfZ] {
            let p = Vector3(x, y, z)
            worst = max(worst, (est.apply(p) - truth.apply(p)).length)
        } } }
        let a = est.matrix, b = truth.matrix
        var trace = 0.0
        for i in 0..<3 { for k in 0..<3 { trace += a[i][k] * b[i][k] } }
        let deg = acos(min(1, max(-1, (trace - 1) / 2))) * 180 / .pi
        return (worst, deg)
    }

    /// (fixed field, moving field, fixed slice, moving slice, table offset of the moving CT, motion).
    static let cases: [(Double, Double, Double, Double, Double, RigidTransform)] = [
        (400, 150, 5, 2.5, 20, RigidTransform(rotationDeg: Vector3(3, -2, 2.5), translationMM: Vector3(12, -8, 15), centerMM: Vector3(0, 0, 340))),
        (150, 400, 2.5, 5, -35, RigidTransform(rotationDeg: Vector3(-2, 3, -3), translationMM: Vector3(-15, 6, -12), centerMM: Vector3(20, 10, 300))),
        (200, 200, 5, 5, 0, RigidTransform(rotationDeg: Vector3(1, 1, -2), translationMM: Vector3(5, 10, 8), centerMM: Vector3(0, 0, 340))),
    ]

    /// CI runs the first case (the harder one: 400 vs 150 mm fields, 5 vs 2.5 mm slices, the largest motion); all
    /// three with SCINTI_VALIDATION=1 (with the 20 random ones below).
    static let knownCases = ProcessInfo.processInfo.environment["SCINTI_VALIDATION"] != nil ? Array(0..<3) : [0]

    @Test(arguments: knownCases) func recoversKnownMotionWithin2mmAnd1Degree(_ n: Int) throws {
        guard let anatomy = Anatomy.shared else {
            Issue.record("ICRP-110 phantom not found at \(ICRPPhantom.defaultFolder)"); return
        }
        let (ff, mf, fs, ms, offset, truth) = Self.cases[n]
        let centre = 340.0
        let fixed = anatomy.ct(fieldMM: ff, centreZ: centre, sliceMM: fs, motion: nil, seed: 1)
        let moving = anatomy.ct(fieldMM: mf, centreZ: centre + offset, sliceMM: ms, motion: truth, seed: 2)
        let r = try SerialRegistration.register(fixed: fixed, moving: moving)
        let e = Self.errors(r.transform, truth, centreZ: centre, halfZ: min(ff, mf) / 2)
        let q = try #require(r.quality)
        #expect(e.mm <= 2 && e.deg <= 1, "case \(n): \(e.mm) mm, \(e.deg)°; \(r.transform); \(q.statement)")
        #expect(q.passed, "case \(n): \(q.statement)")
    }

    /// Random motions (≤ 3° about each axis, ≤ 15 mm along each, random centre), random axial fields 150–400 mm,
    /// slices 2.5 or 5 mm, table offsets ≤ 40 mm: 20 cases with SCINTI_VALIDATION=1 (scripts/dosimetry-validation.sh),
    /// not in CI (the two fixed cases above cover both field orders there); every one within 2 mm / 1° and passing
    /// the gate.
    @Test(.enabled(if: ProcessInfo.processInfo.environment["SCINTI_VALIDATION"] != nil))
    func randomMotionsFieldsAndSlices() throws {
        guard let anatomy = Anatomy.shared else {
            Issue.record("ICRP-110 phantom not found at \(ICRPPhantom.defaultFolder)"); return
        }
        let n = 20
        var rng = SeededGenerator(seed: 21)
        func u(_ a: Double) -> Double { (2 * rng.uniform() - 1) * a }
        let fields = [150.0, 200, 250, 300, 400]
        var worst = (0.0, 0.0)
        for c in 0..<n {
            let ff = fields[Int(rng.uniform() * 5)], mf = fields[Int(rng.uniform() * 5)]
            let fs = rng.uniform() < 0.5 ? 5.0 : 2.5, ms = rng.uniform() < 0.5 ? 5.0 : 2.5
            let truth = RigidTransform(rotationDeg: Vector3(u(3), u(3), u(3)), translationMM: Vector3(u(15), u(15), u(15)),
                                       centerMM: Vector3(u(50), u(50), 340 + u(50)))
            let offset = u(40)
            let fixed = anatomy.ct(fieldMM: ff, centreZ: 340, sliceMM: fs, motion: nil, seed: UInt64(2 * c + 1))
            let moving = anatomy.ct(fieldMM: mf, centreZ: 340 + offset, sliceMM: ms, motion: truth, seed: UInt64(2 * c + 2))
            let r = try SerialRegistration.register(fixed: fixed, moving: moving)
            let e = Self.errors(r.transform, truth, centreZ: 340, halfZ: min(ff, mf) / 2)
            worst = (max(worst.0, e.mm), max(worst.1, e.deg))
            #expect(e.mm <= 2 && e.deg <= 1 && r.quality?.passed == true,
                    "random case \(c): fields \(ff)/\(mf) mm, slices \(fs)/\(ms) mm, offset \(offset) mm: \(e.mm) mm, \(e.deg)°; \(r.quality?.statement ?? "")")
        }
        print("registration: \(n) random cases, worst \(worst.0) mm, \(worst.1)°")
    }

    @Test func impossiblePairIsReportedAsFailedAndNotUsed() throws {
        guard let anatomy = Anatomy.shared else {
            Issue.record("ICRP-110 phantom not found at \(ICRPPhantom.defaultFolder)"); return
        }
        // The patient turned by 30° (beyond the 15° search), and an abdomen against the head: neither can be aligned.
        let fixed = anatomy.ct(fieldMM: 300, centreZ: 340, sliceMM: 5, motion: nil, seed: 1)
        let turned = anatomy.ct(fieldMM: 300, centreZ: 340, sliceMM: 5, motion: RigidTransform(rotationDeg: Vector3(0, 0, 30), centerMM: Vector3(0, 0, 340)), seed: 4)
        let rt = try SerialRegistration.register(fixed: fixed, moving: turned)
        #expect(rt.quality?.passed == false, "\(rt.quality?.statement ?? "")")
        let head = anatomy.ct(fieldMM: 150, centreZ: 800, sliceMM: 5, motion: nil, seed: 3)
        let r = try SerialRegistration.register(fixed: fixed, moving: head)
        let q = try #require(r.quality)
        #expect(!q.passed, "\(q.statement)")
        // Through the serial chain: the run stops and names the visit; no number comes out.
        let spect = Volume(unchecked: GridSize(x: 8, y: 8, z: 8), voxels: [Float](repeating: 1000, count: 512),
                           geometry: .axisAligned(origin: Vector3(-20, -20, 320), spacing: Vector3(5, 5, 5)), units: "Bq/mL")
        let visits = [DoseTimePoint(hours: 4, spect: spect, ct: fixed), DoseTimePoint(hours: 24, spect: spect, ct: head)]
        let lu = try #require(Radionuclide.named("Lu-177"))
        let voi = DoseVOI(name: "all", mask: [Bool](repeating: true, count: 512))
        var options = SerialDosimetryOptions(nuclide: lu, method: .sphere, fit: .trapezoid)
        do {
            _ = try SerialDosimetry.run(visits, vois: [voi], options: options)
            Issue.record("the chain ran on a failed registration")
        } catch {
            #expect("\(error)".contains("visit 1") && "\(error)".contains("review"), "\(error)")
        }
        // A transform accepted in review is used as given, without the gate, and recorded with who accepted it.
        options.givenTransforms = [1: RigidTransform(translationMM: Vector3(1, 0, 0))]
        options.givenTransformSources = [1: "dr.review at 2026-12-06T15:00Z"]
        let result = try SerialDosimetry.run(visits, vois: [voi], options: options)
        #expect(result.visitRegistrations[1].source == "accepted by review, by dr.review at 2026-12-06T15:00Z")
        #expect(result.visitRegistrations[1].transform?.translationMM == Vector3(1, 0, 0))
        #expect(result.visitRegistrations[1].quality == nil)
    }

    /// The dose job (contracts 3 and 4): a failed gate stops it with one statement and a `dose.json` of status
    /// `review-required` holding each visit's transform and quality; an accepted transform lets it run and is
    /// recorded with who accepted it.
    @Test func doseJobStopsForReviewAndUsesAcceptedTransforms() throws {
        guard let anatomy = Anatomy.shared else {
            Issue.record("ICRP-110 phantom not found at \(ICRPPhantom.defaultFolder)"); return
        }
        let fixed = anatomy.ct(fieldMM: 200, centreZ: 340, sliceMM: 5, motion: nil, seed: 1)
        let head = anatomy.ct(fieldMM: 150, centreZ: 800, sliceMM: 5, motion: nil, seed: 3)
        let spect = Volume(unchecked: GridSize(x: 8, y: 8, z: 8), voxels: [Float](repeating: 1000, count: 512),
                           geometry: .axisAligned(origin: Vector3(-20, -20, 320), spacing: Vector3(5, 5, 5)), units: "Bq/mL")
        let visits = [DoseTimePoint(hours: 4, spect: spect, ct: fixed), DoseTimePoint(hours: 24, spect: spect, ct: head)]
        let lu = try #require(Radionuclide.named("Lu-177"))
        let voi = DoseVOI(name: "all", mask: [Bool](repeating: true, count: 512))
        let out = NSTemporaryDirectory() + "scinti-review-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: out) }
        var o = DoseJob.Options(timepoints: [], method: .sphere, fit: .trapezoid, out: out)
        do {
            _ = try DoseJob.run(visits: visits, folders: ["tp1", "tp2"], vois: [voi], nuclide: lu, options: o)
            Issue.record("the dose job ran on a failed registration")
        } catch {
            #expect("\(error)".hasPrefix("registration needs review, no dose computed: visit 1"), "\(error)")
        }
        let data = try #require(FileManager.default.contents(atPath: out + "/dose.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(json["status"] as? String == "review-required")
        #expect((json["vois"] as? [Any])?.isEmpty == true)
        let v = try #require(json["visits"] as? [[String: Any]])
        #expect(v.count == 2 && (v[1]["registrationQuality"] as? [String: Any])?["passed"] as? Bool == false)
        #expect((json["quality"] as? [String: String])?["status"] == "review-required")
        // Accepted in review: used as given, recorded.
        o.acceptedTransforms = [1: RigidTransform(translationMM: Vector3(1, 0, 0))]
        o.acceptedBy = [1: "dr.review at 2026-12-06T15:00Z"]
        let (report, _) = try DoseJob.run(visits: visits, folders: ["tp1", "tp2"], vois: [voi], nuclide: lu, options: o)
        #expect(report.status == "complete")
        #expect(report.visits[1].registrationSource == "accepted by review, by dr.review at 2026-12-06T15:00Z")
        #expect(report.visits[1].registrationTranslationMM == [1, 0, 0])
        #expect(report.vois[0].uncertainty != nil && report.quality["status"] == "complete")
    }
}
