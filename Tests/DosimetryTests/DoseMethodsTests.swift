import Foundation
import Imaging
import Physics
import Simulation
import Testing
@testable import Dosimetry

/// The VOI methods against local deposition on one aligned, noiseless study: for organs much larger than the β
/// range, the mean dose is E_np·Ã/m plus the absorbed photon share, so sphere and organ S values must land 0–10 %
/// above LDM; alpha emitters carry an RBE-weighted dose.
@Suite struct DoseMethodsTests {
    static func study() -> SerialStudy {
        let organs = [
            SerialStudyOrgan(name: "liver", center: Vector3(-30, 0, 0), semiAxesMM: Vector3(35, 30, 30), hu: 60,
                             a0MBq: 300, washoutHalfLifeHours: 60),
            SerialStudyOrgan(name: "kidney", center: Vector3(40, 10, 0), semiAxesMM: Vector3(16, 16, 28), hu: 35,
                             a0MBq: 100, washoutHalfLifeHours: 40),
        ]
        let visits = [4.0, 24, 96, 168].map { (hours: $0, repositioning: Repositioning()) }
        return SerialStudy.make(organs: organs, visits: visits, size: GridSize(x: 40, y: 32, z: 32), voxelMM: 4.8,
                                fwhmMM: 0, noise: 0, seed: 1)
    }

    @Test func sphereAndOrganMethodsAgreeWithLocalDeposition() throws {
        let s = Self.study()
        let masks = s.coveringMasks(marginMM: 6)
        let visits = s.timePoints.map { DoseTimePoint(hours: $0.hours, spect: $0.spect, ct: $0.ct) }
        let vois = s.organs.enumerated().map { DoseVOI(name: $0.element.name, mask: masks[$0.offset]) }
        let lu = try #require(Radionuclide.named("Lu-177"))
        func run(_ m: DoseMethod) throws -> [VOIDose] {
            try SerialDosimetry.run(visits, vois: vois, options: SerialDosimetryOptions(nuclide: lu, method: m, fit: .mono, register: false)).vois
        }
        let ldm = try run(.ldm), sphere = try run(.sphere), organ = try run(.organ)
        for n in 0..<2 {
            // Mono-exponential kinetics without noise: TIA exact.
            #expect(abs(ldm[n].tiaMBqh / s.organs[n].tiaMBqh - 1) < 0.01)
            let rs = sphere[n].meanDoseGy / ldm[n].meanDoseGy, ro = organ[n].meanDoseGy / ldm[n].meanDoseGy
            #expect(rs > 1 && rs < 1.1, "\(s.organs[n].name): sphere/LDM \(rs)")
            #expect(ro > 1 && ro < 1.1, "\(s.organs[n].name): organ/LDM \(ro)")
            #expect(organ[n].doseMethod.hasPrefix("organ self-dose"))
        }
        #expect(organ[1].bedGy != nil && ldm[0].bedGy == nil)
        // Ra-223: same TIA, local deposition; RBE-weighted dose = D·(5f + 1 − f).
        let ra = try #require(Radionuclide.named("Ra-223"))
        let alpha = try SerialDosimetry.run(visits, vois: vois, options: SerialDosimetryOptions(nuclide: ra, method: .ldm, fit: .mono, register: false)).vois
        let f = AlphaRBE.alphaFraction(ra)
        #expect(abs(alpha[0].rbeWeightedDoseGy! / alpha[0].meanDoseGy - (5 * f + 1 - f)) < 1e-9)
    }
}
