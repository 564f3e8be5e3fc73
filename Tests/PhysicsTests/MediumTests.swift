import Foundation
import Testing
@testable import Physics

/// μ from elemental composition (mixture rule over the Elam/Ravel/Sieber element cross-sections) against NIST.
struct MediumTests {
    /// ICRU-44 compositions as NIST SRD 126 Table 2 lists them (mass fractions by Z) and the NIST SRD 126 Table 4 μ/ρ
    /// (cm²/g, total with coherent) at 100, 150, 200 and 300 keV.
    static let references: [(name: String, fractions: [Int: Double], nist: [Double: Double])] = [
        // "Tissue, Soft (ICRU-44)": H 0.102, C 0.143, N 0.034, O 0.708, Na 0.002, P 0.003, S 0.003, Cl 0.002, K 0.003.
        ("soft tissue", [1: 0.102, 6: 0.143, 7: 0.034, 8: 0.708, 11: 0.002, 15: 0.003, 16: 0.003, 17: 0.002, 19: 0.003],
         [100: 0.1693, 150: 0.1492, 200: 0.1358, 300: 0.1176]),
        // "Lung Tissue (ICRU-44)": H 0.103, C 0.105, N 0.031, O 0.749, Na 0.002, P 0.002, S 0.003, Cl 0.003, K 0.002.
        ("lung", [1: 0.103, 6: 0.105, 7: 0.031, 8: 0.749, 11: 0.002, 15: 0.002, 16: 0.003, 17: 0.003, 19: 0.002],
         [100: 0.1695, 150: 0.1493, 200: 0.1359, 300: 0.1177]),
        // "Bone, Cortical (ICRU-44)": H 0.034, C 0.155, N 0.042, O 0.435, Na 0.001, Mg 0.002, P 0.103, S 0.003, Ca 0.225.
        ("cortical bone", [1: 0.034, 6: 0.155, 7: 0.042, 8: 0.435, 11: 0.001, 12: 0.002, 15: 0.103, 16: 0.003, 20: 0.225],
         [100: 0.1855, 150: 0.1480, 200: 0.1309, 300: 0.1113]),
        // "Water, Liquid": H 0.111894, O 0.888106.
        ("water", [1: 0.111894, 8: 0.888106], [100: 0.1707, 150: 0.1505, 200: 0.1370, 300: 0.1186]),
    ]

    @Test func mixtureRuleMatchesNISTAtGridEnergies() throws {
        for r in Self.references {
            let m = try Medium(name: r.name, densityGPerCm3: 1, massFractions: r.fractions)
            for (e, nist) in r.nist {
                let rel = m.massAttenuation(energyKeV: e) / nist - 1
                #expect(abs(rel) < 0.01, "\(r.name) at \(e) keV: \(m.massAttenuation(energyKeV: e)) vs NIST \(nist)")
            }
        }
    }

    /// 140.5 keV (Tc-99m) and 208 keV (Lu-177): NIST values there are the log-log interpolation of the NIST grid
    /// (100/150 and 200/300 keV), the interpolation XCOM's own standard grid implies.
    @Test func mixtureRuleMatchesNISTAtTc99mAndLu177() throws {
        func logLog(_ e: Double, _ e0: Double, _ y0: Double, _ e1: Double, _ y1: Double) -> Double {
            exp(log(y0) + (log(e) - log(e0)) / (log(e1) - log(e0)) * (log(y1) - log(y0)))
        }
        for r in Self.references {
            let m = try Medium(name: r.name, densityGPerCm3: 1, massFractions: r.fractions)
            let n140 = logLog(140.5, 100, r.nist[100]!, 150, r.nist[150]!)
            let n208 = logLog(208, 200, r.nist[200]!, 300, r.nist[300]!)
            #expect(abs(m.massAttenuation(energyKeV: 140.5) / n140 - 1) < 0.02, "\(r.name) 140.5 keV")
            #expect(abs(m.massAttenuation(energyKeV: 208) / n208 - 1) < 0.02, "\(r.name) 208 keV")
        }
    }

    @Test func badCompositionsAreRefusedWithTheirValue() {
        #expect(throws: Medium.CompositionError.self) { try Medium(name: "x", densityGPerCm3: 1, massFractions: [1: 0.5]) }
        #expect(throws: Medium.CompositionError.self) { try Medium(name: "x", densityGPerCm3: 1, massFractions: [92: 1]) }
        #expect(throws: Medium.CompositionError.self) { try Medium(name: "x", densityGPerCm3: -1, massFractions: [1: 1]) }
    }

    @Test func waterIsZeroHU() {
        #expect(abs(Medium.water.hounsfield(effectiveEnergyKeV: 66)) < 1e-9)
    }
}
