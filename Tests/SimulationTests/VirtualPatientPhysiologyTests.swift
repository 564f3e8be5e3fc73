import Foundation
import Imaging
import Physics
import Testing
@testable import Simulation

/// Bone-scan physiology, lesion kinetics, named vertebrae, RVEF and bad input of the virtual patients (issue 12).
@Suite(.enabled(if: icrpAvailable, "ICRP-110 phantoms not found at ../shared/phantoms/icrp110"))
struct VirtualPatientPhysiologyTests {
    /// Distance (mm) from `p` (phantom coordinates) to the nearest voxel of `ids` on `p`'s side, searched in the label
    /// volume within ±`reach` mm.
    static func distance(_ p: Vector3, to ids: Set<Int>, in ph: ICRPPhantom, reach: Double = 60) -> Double {
        let n = ph.size, sp = ph.spacingMM
        func idx(_ v: Double, _ s: Double, _ c: Int) -> Int { Int((v / s + Double(c - 1) / 2).rounded()) }
        var best = Double.infinity
        for k in max(0, idx(p.z - reach, sp.z, n.z))...min(n.z - 1, idx(p.z + reach, sp.z, n.z)) {
            for j in max(0, idx(p.y - reach, sp.y, n.y))...min(n.y - 1, idx(p.y + reach, sp.y, n.y)) {
                for i in max(0, idx(p.x - reach, sp.x, n.x))...min(n.x - 1, idx(p.x + reach, sp.x, n.x))
                where ids.contains(Int(ph.labels[i + n.x * (j + n.y * k)])) {
                    let q = ph.geometry.patientPosition(i, j, k)
                    guard (q.x > 0) == (p.x > 0) else { continue }
                    best = min(best, (q - p).length)
                }
            }
        }
        return best
    }

    static func concentration(_ t: PatientTruth, _ name: String) -> Double? {
        t.organs.first { $0.name == name }.map { $0.activityMBq / $0.volumeML }
    }

    /// Every joint of the bone scan lies where its two bones meet in the label volume (both within 30 mm), on its
    /// side; sacro-iliac joints between pelvis and sacrum; growth plates inside the bone; concentrations at the
    /// published ratios; spine above the long bones; the activity on the grid equals the organs' sum; kidneys,
    /// bladder and the injection site listed as physiology.
    @Test func boneScanPhysiology() throws {
        let p = try #require(ICRPFixture.am)
        var patient = VirtualPatient(phantom: p, tracer: .mdp, hours: 3, phase: "delayed")
        patient.growthPlates = true
        let (vp, truth) = try patient.build(voxelMM: 6, subsamples: 1)
        // The bones meeting at each joint (ICRP-110 organs.tsv IDs).
        let humU: Set<Int> = [13, 14, 15], humL: Set<Int> = [16, 17, 18], forearm: Set<Int> = [19, 20, 21], hand: Set<Int> = [22, 23]
        let femU: Set<Int> = [28, 29, 30], femL: Set<Int> = [31, 32, 33], tib: Set<Int> = [34, 35, 36], foot: Set<Int> = [37, 38]
        let pairs: [(String, Set<Int>, Set<Int>)] = [("shoulder", humU, [45, 46]), ("elbow", humL, forearm), ("wrist", forearm, hand),
                                                    ("hip", femU, [41, 42]), ("knee", femL, tib), ("ankle", tib, foot)]
        for side in ["left", "right"] {
            for (joint, a, b) in pairs {
                let site = try #require(truth.physiology.first { $0.name == "joint-\(joint)-\(side)" }, "joint-\(joint)-\(side) missing")
                let c = Vector3(site.centerLPS[0], site.centerLPS[1], site.centerLPS[2])
                #expect((c.x > 0) == (side == "left"), "\(site.name) on the wrong side: \(c)")
                let da = Self.distance(c, to: a, in: p), db = Self.distance(c, to: b, in: p)
                #expect(da <= 30 && db <= 30, "\(site.name) at \(c): \(da) mm and \(db) mm from its bones")
            }
            let si = try #require(truth.physiology.first { $0.name == "sacroiliac-\(side)" })
            let c = Vector3(si.centerLPS[0], si.centerLPS[1], si.centerLPS[2])
            #expect(Self.distance(c, to: [41, 42], in: p) <= 10 && Self.distance(c, to: [53, 54], in: p) <= 15, "\(si.name) at \(c)")
            for plate in ["femur-distal", "tibia-proximal", "radius-distal", "humerus-proximal"] {
                let g = try #require(truth.organs.first { $0.name == "growth-plate-\(plate)-\(side)" })
                #expect(g.volumeML > 0)
            }
        }
        // Ratios (sources in VirtualPatient+Physiology.swift): joints 1.6 and growth plates 4 × the appendicular
        // skeleton, sacro-iliac joints 1.3 × the axial skeleton (Lentle et al. 1977: normal SI/sacrum 1.0–1.4).
        let app = try #require(Self.concentration(truth, "appendicular-skeleton")), axial = try #require(Self.concentration(truth, "axial-skeleton"))
        #expect(abs(try #require(Self.concentration(truth, "joint-knee-left")) / app - 1.6) < 1e-6)
        #expect(abs(try #require(Self.concentration(truth, "growth-plate-femur-distal-right")) / app - 4) < 1e-6)
        #expect(abs(try #require(Self.concentration(truth, "sacroiliac-left")) / axial - 1.3) < 1e-6)
        // Regional variation: spine and pelvis (axial) take more per mL than the long-bone shafts (appendicular).
        #expect(axial / app > 1.3, "axial/appendicular \(axial / app)")
        // No activity lost or invented; bone uptake (50 % at 3 h, ICRP 128) shared with joints and growth plates.
        let grid = vp.activity().voxels.reduce(0.0) { $0 + Double($1) } * vp.voxelVolumeML / 1e6
        #expect(abs(grid / truth.organs.reduce(0.0) { $0 + $1.activityMBq } - 1) < 1e-3)
        let boneFraction = truth.organs.filter { $0.name.hasSuffix("skeleton") || $0.name.hasPrefix("joint-") || $0.name.hasPrefix("growth-plate-") || $0.name.hasPrefix("sacroiliac-") }
            .reduce(0.0) { $0 + $1.fractionOfAdministered }
        #expect(abs(boneFraction - 0.5 * (1 - pow(2, -3 / 0.5))) < 1e-6)
        for name in ["injection-site", "kidney-left", "kidney-right", "bladder"] { #expect(truth.physiology.contains { $0.name == name }, "\(name) missing") }
    }

    /// On a noiseless anterior image the knee is hotter than the middle of the femoral shaft (the pixels from the
    /// truth, the counts from the camera simulation).
    @Test func kneesLookHotterThanShafts() throws {
        let p = try #require(ICRPFixture.am)
        let patient = VirtualPatient(phantom: p, tracer: .mdp, hours: 3, phase: "delayed")
        let (vp, truth) = try patient.build(voxelMM: 6, subsamples: 1)
        let knee = try #require(truth.physiology.first { $0.name == "joint-knee-right" }), hip = try #require(truth.physiology.first { $0.name == "joint-hip-right" })
        let cam = Camera(collimator: Fixture.lehr, columns: 128, rows: 128, pixelSizeMM: 4.8,
                         windows: [WindowSetting(name: "PEAK", lowerKeV: 126.45, upperKeV: 154.55)], scatter: .none)
        var setup = SimulationSetup(phantom: vp.phantom, nuclide: Fixture.tc, camera: cam, voxelMM: 6, noise: false)
        setup.voxelized = vp
        let study = Simulator.planar(setup, views: [.anterior], seconds: 300, axialCentreMM: (knee.centerLPS[2] + hip.centerLPS[2]) / 2)
        let px = truth.withPixels(study.acquisition).physiology
        let k = try #require(px.first { $0.name == knee.name }?.pixel["Anterior projection"])
        let h = try #require(px.first { $0.name == hip.name }?.pixel["Anterior projection"])
        let counts = try #require(study.acquisition.counts)
        func sum(_ c: Int, _ r: Int) -> Double {
            var s = 0.0
            for dr in -1...1 { for dc in -1...1 { s += Double(counts[(r + dr) * 128 + c + dc]) } }
            return s
        }
        let shaft = sum((k[0] + h[0]) / 2, (k[1] + h[1]) / 2)
        #expect(sum(k[0], k[1]) > 1.2 * shaft, "knee \(sum(k[0], k[1])) vs femoral shaft \(shaft)")
    }

    /// In-111 octreotide: the tumour-to-liver ratio rises from 4 to 48 h; the truth's ratio and the lesion/liver
    /// concentrations equal the kinetics evaluated here: liver f(t) = 0.02 (1 − 2^(−t/0.5)) 2^(−t/60) (ICRP 128),
    /// tumour retained, contrast given at 24 h: ratio(t) = contrast · f(24)/f(t).
    @Test func octreotideTumourToLiverRises() throws {
        let p = try #require(ICRPFixture.am)
        func fLiver(_ t: Double) -> Double { 0.02 * (1 - pow(2, -t / 0.5)) * pow(2, -t / 60) }
        var ratios: [Double] = []
        for t in [4.0, 24, 48] {
            let patient = VirtualPatient(phantom: p, tracer: .octreotide, hours: t, lesions: [try LesionSpec.parse("liver:30:5")], patientSeed: 2)
            let (_, truth) = try patient.build(voxelMM: 8, subsamples: 1)
            let l = try #require(truth.lesions.first)
            let want = 5 * fLiver(24) / fLiver(t)
            #expect(abs(try #require(l.contrastAtAcquisition) / want - 1) < 1e-9, "\(t) h: \(l.contrastAtAcquisition ?? 0) vs \(want)")
            #expect(l.contrastReferenceHours == 24)
            let liver = try #require(Self.concentration(truth, "liver")) * 1e6
            #expect(abs(l.concentrationBqPerML / liver / want - 1) < 1e-6)
            ratios.append(want)
        }
        #expect(ratios[0] < ratios[1] && ratios[1] < ratios[2])
    }

    /// Tc-99m sestamibi: the adenoma keeps its uptake (T½ 4 h) while the thyroid washes out (T½ 1 h), so the
    /// adenoma-to-thyroid ratio at 2 h is 2^(−(2 − 1/6)/4) · 2^((2 − 1/6)/1) × the one at 10 min.
    @Test func sestamibiAdenomaToThyroidRises() throws {
        let p = try #require(ICRPFixture.af)
        var r: [Double] = []
        for phase in ["early", "delayed"] {
            let (h, ph) = try Tracer.sestamibi.hours(phase: phase, hours: nil)
            let patient = VirtualPatient(phantom: p, tracer: .sestamibi, hours: h, phase: ph, lesions: [try LesionSpec.parse("parathyroid-left:10:2")])
            let (_, truth) = try patient.build(voxelMM: 8, subsamples: 1)
            r.append(try #require(truth.lesions.first?.contrastAtAcquisition))
        }
        #expect(abs(r[0] - 2) < 1e-9)
        let dt = 2 - 1.0 / 6
        #expect(abs(r[1] / r[0] - pow(2, -dt / 4) * pow(2, dt / 1)) < 1e-9)
    }

    /// Gated RBC: RVEF set apart from the LVEF; the truth's RVEF (from the sampled RV volumes) is the requested one.
    @Test func rvefIndependentOfLVEF() throws {
        let p = try #require(ICRPFixture.am)
        let patient = VirtualPatient(phantom: p, tracer: .rbc, hours: 0.25)
        let study = try Fixture.gatedStudy(patient, GatedProtocol(timeSlots: 4, seconds: 60, edvML: 120, esvML: 48, rvefPercent: 35))
        let t = try #require(study.truth.patient)
        #expect(abs(try #require(t.lvefPercent) - 60) < 1e-9)
        #expect(abs(try #require(t.rvefPercent) - 35) < 4, "RVEF \(t.rvefPercent ?? 0)")
    }

    /// Named vertebrae: the lesion lies in its spine region, ordered head to foot, T7 in the middle third of the
    /// thoracic spine; the truth names the vertebra.
    @Test func namedVertebrae() throws {
        let p = try #require(ICRPFixture.am)
        #expect(try LesionSpec.parse("t7:15:3").region == "T7")
        let specs = try ["C4:10:3", "T1:12:3", "T7:12:3", "T12:12:3", "L3:15:3"].map { s throws(VirtualPatientError) in try LesionSpec.parse(s) }
        let patient = VirtualPatient(phantom: p, tracer: .mdp, hours: 3, lesions: specs, patientSeed: 9)
        let (_, truth) = try patient.build(voxelMM: 8, subsamples: 1)
        let z = truth.lesions.map { $0.centerLPS[2] }
        #expect(zip(z, z.dropFirst()).allSatisfy { $0 > $1 }, "head-to-foot order: \(z)")
        #expect(truth.lesions.map { $0.vertebra } == ["C4", "T1", "T7", "T12", "L3"])
        // T7 within the middle third of the thoracic spine's axial extent (labels 49, 50).
        let th = patient.voxels(of: try OrganGroup.named("thoracic-spine")).map(\.z)
        let lo = th.min()!, hi = th.max()!
        #expect(z[2] > lo + (hi - lo) / 3 && z[2] < hi - (hi - lo) / 3, "T7 at \(z[2]) in \(lo)…\(hi)")
        let ids = [[47, 48], [49, 50], [49, 50], [49, 50], [51, 52]]
        for (k, l) in truth.lesions.enumerated() {
            #expect(ids[k].contains(patient.label(atPhantom: Vector3(l.centerLPS[0], l.centerLPS[1], l.centerLPS[2]))), "\(l.region)")
        }
    }

    /// Bad input: one line naming the value and what is allowed.
    @Test func badLesionsNameTheValue() throws {
        let am = try #require(ICRPFixture.am), af = try #require(ICRPFixture.af)
        func message(_ body: () throws -> Void) -> String {
            do { try body(); return "" } catch { return "\(error)" }
        }
        let t13 = message { _ = try LesionSpec.parse("T13:15:3") }
        #expect(t13.contains("T13") && t13.contains("T1–T12") && !t13.contains("\n"))
        let big = message { _ = try VirtualPatient(phantom: am, tracer: .sestamibi, hours: 2, lesions: [LesionSpec.parse("thyroid:80:3")]).build(voxelMM: 8, subsamples: 1) }
        #expect(big.contains("thyroid:80:3") && big.contains("allowed: ≤"), "\(big)")
        let lacks = message { _ = try VirtualPatient(phantom: af, tracer: .mdp, hours: 3, lesions: [LesionSpec.parse("prostate:10:3")]).build(voxelMM: 8, subsamples: 1) }
        #expect(lacks.contains("icrp-af has no prostate") && lacks.contains("allowed in icrp-af") && lacks.contains("liver"), "\(lacks)")
        let organ = message { _ = try LesionSpec.parse("livr:10:3") }
        #expect(organ.contains("livr") && organ.contains("allowed"))
        let motion = message { _ = try VisitMotion.parseLimits("45:10") }
        #expect(motion.contains("45:10") && motion.contains("0–30"))
    }
}
