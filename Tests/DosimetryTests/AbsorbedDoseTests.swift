import Foundation
import Imaging
import Physics
import Testing
@testable import Dosimetry

/// Sphere model, organ S values, BED, RBE — against published values and independent hand or numeric calculations.
@Suite struct AbsorbedDoseTests {
    @Test func tenGramLu177SphereElectronsFullyAbsorbed() throws {
        // Check value 2.37e-3 mGy/(MBq·s) for a 10 g unit-density Lu-177 sphere with electrons fully absorbed: the
        // OLINDA/EXM unit-density sphere model value quoted in issue 6; by hand it is the ICRP-107 Lu-177 electron
        // energy (β 0.13327 + IC 0.01352 + Auger 0.00113 MeV = 0.14792 MeV; ICRP Publication 107, ICRP-07.RAD)
        // × 1.602177e-13 J/MeV × 1e6 Bq/MBq / 0.010 kg = 2.370e-6 Gy = 2.370e-3 mGy.
        let check = 2.37e-3
        for set in DecayDataSet.allCases {
            let lu = try #require(Radionuclide.named("Lu-177", dataSet: set))
            let s = try SphereModel(massGrams: 10, includePhotons: false).sValue(lu)
            #expect(abs(s / check - 1) < 0.01, "\(set): \(s)")
            // Photons add a little (208 and 113 keV lines, 3.5 cm... sphere radius 1.34 cm): a few per cent.
            let withPhotons = try SphereModel(massGrams: 10).sValue(lu)
            #expect(withPhotons > s && withPhotons < 1.06 * s)
        }
        #expect(throws: DosimetryError.self) { try SphereModel(massGrams: 0).sValue(Radionuclide.named("Lu-177")!) }
    }

    @Test func sphereDoseFromTIA() throws {
        // 1 MBq·h in 10 g with the ICRP-107 Lu-177 local energy 0.14821 MeV (β 0.13327 + Auger 0.00113 + IE 0.01352
        // + photons < 10 keV 0.000288): 0.14821 × 1.602177e-13 J × 3.6e9 decays / 0.010 kg = 8.5485e-3 Gy.
        let lu = try #require(Radionuclide.named("Lu-177", dataSet: .icrp107))
        let d = try SphereModel(massGrams: 10, includePhotons: false).meanDoseGy(tiaMBqh: 1, nuclide: lu)
        #expect(abs(d / 8.5485e-3 - 1) < 1e-3)
    }

    @Test func organSValuesScaleWithMass() throws {
        let lu = try #require(Radionuclide.named("Lu-177"))
        let kidney = OrganSValue(organ: .kidneys)
        let ref = try kidney.sValue(lu)
        // Reference kidneys 310 g (ICRP 89 adult male): the electron part alone is 0.14795 MeV·1.602e-13·1e6/0.31
        // = 7.646e-5 mGy/(MBq·s); photons add a few per cent.
        let np = 0.14795 * 1.602176634e-13 * 1e6 / 0.310 * 1000
        #expect(ref > np && ref < 1.08 * np)
        // Half the mass: electron part doubles, photon part × 2^(2/3) (MIRD 11 / OLINDA scaling).
        let (e, p) = kidney.referenceParts(lu)
        let half = try kidney.sValue(lu, patientMassGrams: 155)
        #expect(abs(half - (2 * e + pow(2, 2.0 / 3) * p)) < 1e-12 * half)
        #expect(ReferenceOrgan.matching("Left Kidney") == .kidneys)
        #expect(ReferenceOrgan.matching("tumour") == nil)
        #expect(throws: DosimetryError.self) { try kidney.sValue(lu, patientMassGrams: -3) }
    }

    @Test func bedMatchesNumericalLeaCatcheside() throws {
        // BED = D + G·D²/(α/β), G = (2/D²) ∫₀^∞ Ḋ(t) ∫₀^t Ḋ(w) e^(−μ(t−w)) dw dt, evaluated numerically here
        // for Ḋ = Ḋ₀ e^(−λt) with D = 20 Gy, T_eff = 50 h, T_rep = 2.8 h, α/β = 2.6 Gy.
        let d = 20.0, teff = 50.0, trep = 2.8, ab = 2.6
        let l = log(2.0) / teff, mu = log(2.0) / trep
        let d0 = d * l
        var inner = 0.0, integral = 0.0
        let dt = 0.005
        var t = 0.0
        while t < 2000 {
            let rate = d0 * exp(-l * (t + dt / 2))
            // inner(t) = ∫₀^t Ḋ(w) e^(−μ(t−w)) dw, advanced exactly-in-step with the midpoint rate
            inner = inner * exp(-mu * dt) + rate * (1 - exp(-mu * dt)) / mu
            integral += rate * inner * dt
            t += dt
        }
        let g = 2 * integral / (d * d)
        let numeric = d + g * d * d / ab
        let bed = try BEDModel.kidneys.bed(doseGy: d, effectiveHalfLifeHours: teff)
        #expect(abs(bed / numeric - 1) < 2e-3, "analytic \(bed) vs numeric \(numeric)")
        // Four cycles of 5 Gy add their BEDs; BED > physical dose.
        let cycles = try BEDModel.kidneys.cumulativeBED(cycles: Array(repeating: (5.0, 50.0), count: 4))
        #expect(abs(cycles - 4 * (try BEDModel.kidneys.bed(doseGy: 5, effectiveHalfLifeHours: 50))) < 1e-12)
        #expect(CycleDose.cumulativeDose([CycleDose(cycle: 1, doseGy: 4.5), CycleDose(cycle: 2, doseGy: 3.5)]) == 8)
    }

    @Test func ra223AlphaRBE() throws {
        let ra = try #require(Radionuclide.named("Ra-223"))
        // Chain α 26.3754 of local 27.9088 MeV (ENSDF, Physics): 94.5 % of the local energy is α.
        let f = AlphaRBE.alphaFraction(ra)
        #expect(abs(f - 26.3754 / 27.9088) < 1e-9)
        #expect(abs(AlphaRBE.weightedDose(1, nuclide: ra) - (f * 5 + 1 - f)) < 1e-12)
    }
}
