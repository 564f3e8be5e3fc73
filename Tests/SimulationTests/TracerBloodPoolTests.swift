import Foundation
import Imaging
import Physics
import Testing
@testable import Simulation

/// Tc-99m RBC: every blood space of the virtual patient has one activity concentration (issue 18, session 12).
///
/// Truth built here from published numbers, not from the code: the blood concentration from the administered
/// activity, the Tc-99m half-life (6.0067 h, NNDC/DDEP), the free pertechnetate of the tracer's definition and the
/// ICRP 89 total blood volume (5.3 L male, 3.9 L female); the tissues' regional blood fractions from ICRP 89 Table
/// 2.14 (liver 10 %, spleen 1.4 %, kidneys 2 %, pulmonary 10.5 % of the blood); the heart wall's from the
/// measured myocardial blood volume (9 %, Nickander et al. 2019) over the
/// ICRP-110 phantoms' volumes of their labels as published in organs.tsv (ICRP Publication 110).
@Suite(.enabled(if: icrpAvailable, "ICRP-110 phantoms not found at ../shared/phantoms/icrp110"))
struct TracerBloodPoolTests {
    /// Myocardial blood volume at rest measured in 41 healthy subjects by quantitative first-pass CMR: ≈ 9 % of the
    /// LV myocardium (Nickander et al., J Cardiovasc Magn Reson 21:73 (2019), Fig. 4; 12 % under adenosine stress).
    /// Not ICRP 89's coronary-tissue share (1 % of the blood over the heart-wall label: 0.169 AM, 0.164 AF).
    static let myocardialBloodVolume = 0.09

    static func concentration(_ vp: VoxelizedPhantom, _ name: String) -> Double? {
        vp.phantom.compartments.first { $0.name == name }?.concentrationBqPerML
    }

    /// Blood labels (heart contents, the lungs' blood, the vessels of trunk, head, arms and legs) at the one
    /// blood concentration; tissues at the blood's × their ICRP 89 blood fraction; the whole body holds the
    /// administered activity (decayed), so the rest of the body holds exactly the blood left.
    @Test(arguments: [true, false]) func oneBloodConcentration(male: Bool) throws {
        let p = try #require(male ? ICRPFixture.am : ICRPFixture.af)
        let (vp, truth) = try VirtualPatient(phantom: p, tracer: .rbc, hours: 0.25).build(voxelMM: 8, subsamples: 1)
        let a0 = 800e6 * pow(2, -0.25 / 6.0067)
        // Free pertechnetate: stomach wall 0.5 %, bladder 3 % × (1 − 2^(−0.25/2)) collected by 15 min (not yet voided).
        let free = 0.005 + 0.03 * (1 - pow(2, -0.25 / 2))
        let tbv = male ? 5300.0 : 3900.0
        let cb = a0 * (1 - free) / tbv
        for id in [88, 96, 98, 10, 9, 11, 12] {
            let c = try #require(Self.concentration(vp, "icrp\(id)"), "no ID \(id)")
            #expect(abs(c / cb - 1) < 0.01, "ID \(id): \(c) Bq/mL for blood \(cb)")
        }
        // organs.tsv volumes (mL) of the labels, AM / AF.
        let v: [String: (am: Double, af: Double)] = [
            "liver": (1714.07, 1333.33), "spleen": (144.20, 125.00),
            "kidneys": (102.00 + 36.42 + 7.27 + 104.67 + 37.37 + 7.49, 99.65 + 35.59 + 7.12 + 83.69 + 29.89 + 5.98),
            "heart-wall": (314.23, 238.10), "lung-blood": (74.53 + 67.48, 55.87 + 39.88), "lung-tissue": (1241.50 + 1507.44, 979.26 + 1226.05),
        ]
        func vol(_ n: String) -> Double { male ? v[n]!.am : v[n]!.af }
        let phi: [(id: Int, organ: String, fraction: Double)] = [
            (95, "liver", 0.10 * tbv / vol("liver")), (127, "spleen", 0.014 * tbv / vol("spleen")),
            (89, "kidneys", 0.02 * tbv / vol("kidneys")), (87, "heart-wall", Self.myocardialBloodVolume),
            (97, "lungs", (0.105 * tbv - vol("lung-blood")) / vol("lung-tissue")),
            (99, "lungs", (0.105 * tbv - vol("lung-blood")) / vol("lung-tissue")),
        ]
        for t in phi {
            let c = try #require(Self.concentration(vp, "icrp\(t.id)"))
            #expect(abs(c / cb / t.fraction - 1) < 0.01, "\(t.organ) (ID \(t.id)): \(c / cb) of the blood, ICRP 89 \(t.fraction)")
        }
        // Lung tissue 0.15 of the blood: ≫ the rest of the body, ≪ the lung's blood labels.
        let rest = try #require(Self.concentration(vp, "icrp117")) / cb
        #expect(rest > 0.01 && rest < 0.1, "rest of the body \(rest) of the blood")
        // The body holds the administered activity (decayed): the rest of the body has the blood left, no more.
        var total = 0.0
        for k in vp.phantom.compartments.indices { total += vp.volumeML(k) * vp.phantom.compartments[k].concentrationBqPerML }
        #expect(abs(total / a0 - 1) < 0.005, "body \(total / 1e6) MBq for \(a0 / 1e6)")
        #expect(truth.notes.contains { $0.contains("one blood concentration") })
    }

    /// A gated study: the analytic chambers hold the blood concentration of the lungs' blood labels and the vessels,
    /// within 1 %, at every patient size (drawn variability).
    @Test func gatedChambersAtTheBloodConcentration() throws {
        let p = try #require(ICRPFixture.af)
        let patient = VirtualPatient(phantom: p, tracer: .rbc, hours: 0.25, variability: .draw(seed: 3101), patientSeed: 3101)
        let study = try Fixture.gatedStudy(patient, GatedProtocol(timeSlots: 4, seconds: 60, edvML: 110, esvML: 50, rvefPercent: 45))
        let t = try #require(study.truth.patient)
        func c(_ n: String) -> Double {
            guard let o = t.organs.first(where: { $0.name == n }), o.volumeML > 0 else { Issue.record("no \(n)"); return .nan }
            return o.activityMBq / o.volumeML
        }
        let blood = c("lung-blood")
        for n in ["lvBloodPool", "rvBloodPool", "atria", "large-vessels"] {
            let r = c(n) / blood
            #expect(abs(r - 1) < 0.01, "\(n): \(r) of the lung blood")
        }
        // The myocardium at the heart wall's blood fraction (the measured myocardial blood volume), × the patient's
        // organ multiplier (σ 25 %: within 0.4–2.5 ×), and the heart wall's own label at the same concentration.
        let wall = c("lvMyocardium") / blood
        #expect(wall > Self.myocardialBloodVolume * 0.4 && wall < Self.myocardialBloodVolume * 2.5, "myocardium \(wall) of the blood")
        #expect(abs(c("heart-wall") / blood / wall - 1) < 0.01, "heart wall \(c("heart-wall") / blood), myocardium \(wall)")
        // The note gives the patient's fraction: the published value × the multiplier, not ICRP 89's 0.164.
        let note = try #require(t.notes.first { $0.contains("heart-wall regional blood fraction") })
        let phi = try #require(Double(note.split(separator: " ").last.map(String.init) ?? ""))
        #expect(abs(phi - wall) < 0.002, "note \(phi), myocardium \(wall)")
    }
}
