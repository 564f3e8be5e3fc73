import Foundation
import Physics
import Testing
@testable import Dosimetry

/// The engine's electron stopping powers and CSDA ranges of liquid water against NIST ESTAR (Berger, Coursey,
/// Zucker & Chang, ESTAR, NIST Standard Reference Database 124; the ICRU Report 37 values), "Water, Liquid":
///
/// | T (MeV) | collision S/ρ (MeV·cm²/g) | CSDA range (g/cm²) |
/// |---|---|---|
/// | 0.01 | 22.56 | 2.515e-4 |
/// | 0.02 | — | 8.575e-4 |
/// | 0.05 | — | 4.320e-3 |
/// | 0.1 | 4.115 | 1.431e-2 |
/// | 0.2 | — | 4.488e-2 |
/// | 0.5 | — | 1.766e-1 |
/// | 1.0 | 1.849 | 4.367e-1 |
/// | 2.0 | — | 9.785e-1 |
@Suite struct ElectronStoppingPowerTests {
    @Test func collisionStoppingPowerMatchesESTAR() {
        for (t, s) in [(0.01, 22.56), (0.1, 4.115), (1.0, 1.849)] {
            #expect(abs(ElectronStoppingPower.collisionWater(mev: t) / s - 1) < 0.01, "S_col(\(t) MeV)")
        }
    }

    @Test func csdaRangeMatchesESTAR() {
        let estar: [(Double, Double)] = [(0.01, 2.515e-4), (0.02, 8.575e-4), (0.05, 4.320e-3), (0.1, 1.431e-2), (0.2, 4.488e-2),
                                         (0.5, 1.766e-1), (1.0, 4.367e-1), (2.0, 9.785e-1)]
        for (t, r) in estar {
            // 2 % at 10 keV (no shell corrections in the Bethe formula), 1 % above.
            #expect(abs(ElectronStoppingPower.csdaRangeWater(mev: t) / r - 1) < (t < 0.015 ? 0.02 : 0.01), "R_CSDA(\(t) MeV)")
            // The engine's tabulated range and its inverse.
            let table = ElectronRangeTable.water
            #expect(abs(table.rangeOf(t) / r - 1) < (t < 0.015 ? 0.02 : 0.01), "table R(\(t) MeV)")
            #expect(abs(table.energy(range: table.rangeOf(t)) / t - 1) < 1e-3, "inverse at \(t) MeV")
        }
    }

    /// The bucketed start of ``ElectronRangeTable/energy(range:)`` (issue 21) against a second implementation: a plain
    /// binary search for the interval, then the same log-linear interpolation. Residual ranges at, between and beyond
    /// the grid points of both tables (restricted and CSDA), from below the first point to past the last.
    @Test func rangeInversionFindsTheBinarySearchInterval() {
        for table in [ElectronRangeTable.water, ElectronRangeTable.waterRestricted] {
            let r = table.range, n = ElectronRangeTable.n
            func reference(_ x: Double) -> Double {
                if x <= r[0] { return 0.001 * max(x, 0) / r[0] }
                var lo = 0, hi = n - 1
                while hi - lo > 1 { let m = (lo + hi) / 2; if r[m] < x { lo = m } else { hi = m } }
                let f = (x - r[lo]) / (r[hi] - r[lo])
                let step = (ElectronRangeTable.logMax - ElectronRangeTable.logMin) / Double(n - 1)
                return exp(ElectronRangeTable.logMin + (Double(lo) + f) * step)
            }
            var probes = [0, r[0] / 2, r[n - 1] * 1.5, r[n - 1] * 100]
            for i in 0..<n {
                probes.append(r[i]); probes.append(r[i].nextUp); probes.append(r[i].nextDown)
                if i + 1 < n { for q in [0.1, 0.5, 0.9] { probes.append(r[i] + q * (r[i + 1] - r[i])) } }
            }
            var mismatches = 0
            for x in probes where table.energy(range: x) != reference(x) { mismatches += 1 }
            #expect(mismatches == 0, "\(mismatches) of \(probes.count) residual ranges inverted differently")
        }
    }

    @Test func electronDensityOfMedia() throws {
        // Water's own Z/A gives 1; ICRU-44 cortical bone (Z/A 0.5148 by its composition) about 7 % less.
        let water = try Medium(name: "water", densityGPerCm3: 1, massFractions: [1: 0.111894, 8: 0.888106])
        #expect(abs(ElectronStoppingPower.electronDensityRatio(water) - 1) < 2e-3)
        let bone = TissueClasses.classes[4].medium
        #expect(abs(ElectronStoppingPower.electronDensityRatio(bone) - 0.5148 / 0.555087) < 0.005)
    }
}
