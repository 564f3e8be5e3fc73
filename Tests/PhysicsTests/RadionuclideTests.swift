import Testing
@testable import Physics

// Reference values: NNDC NuDat 3 / ENSDF (Tc-99m IT: Browne & Tuli, Nucl. Data Sheets 145, 25 (2017)) and ICRP
// Publication 107 (2008). Hand-computed sums say so. Tolerances are wider than the digits where a value is a sum.
@Suite struct RadionuclideTests {
    static let names = ["Tc-99m", "I-123", "I-131", "In-111", "Lu-177", "Ga-68", "F-18", "Y-90", "Ra-223", "Sm-153", "Tl-201"]

    @Test(arguments: DecayDataSet.allCases)
    func everyNuclideInEverySet(_ set: DecayDataSet) throws {
        #expect(Set(Radionuclide.all(dataSet: set).map(\.name)) == Set(Self.names))
        for n in Self.names {
            let r = try #require(Radionuclide.named(n, dataSet: set))
            #expect(r.dataSet == set && !r.source.isEmpty && r.halfLifeSeconds > 0 && r.meanLocalEnergyMeV > 0)
            // Highest yield first, yields are probabilities per decay (511 keV may reach 2).
            #expect(zip(r.photons, r.photons.dropFirst()).allSatisfy { $0.yield >= $1.yield }, "\(n)")
            #expect(r.photons.allSatisfy { $0.yield > 0 && $0.yield <= 2 && $0.energyKeV > 0 })
        }
    }

    @Test func nameForms() {
        for s in ["Tc-99m", "99mTc", "tc99m", "TC-99M", "Tc99m"] { #expect(Radionuclide.named(s)?.name == "Tc-99m", "\(s)") }
        for s in ["Lu177", "177Lu", "lu-177"] { #expect(Radionuclide.named(s)?.name == "Lu-177", "\(s)") }
        #expect(Radionuclide.named("131I", dataSet: .icrp107)?.name == "I-131")
        #expect(Radionuclide.named("Tl201")?.name == "Tl-201")
        #expect(Radionuclide.named("Xx-999") == nil)
    }

    @Test func halfLives() throws {
        let h = 3600.0, d = 86400.0
        // ENSDF / NuDat 3: Tc-99m 6.0072 h (NDS 145, 25 (2017)); Lu-177 6.6443 d; I-131 8.0252 d; F-18 109.77 min.
        #expect(try #require(Radionuclide.named("Tc-99m", dataSet: .ensdf)).halfLifeSeconds == 6.0072 * h)
        #expect(abs(try #require(Radionuclide.named("Lu-177", dataSet: .ensdf)).halfLifeSeconds - 6.6443 * d) < 1)
        #expect(abs(try #require(Radionuclide.named("I-131", dataSet: .ensdf)).halfLifeSeconds - 8.0252 * d) < 1)
        // ICRP-107: Tc-99m 6.015 h; Lu-177 6.647 d; I-131 8.0207 d; Tl-201 72.912 h.
        #expect(try #require(Radionuclide.named("Tc-99m", dataSet: .icrp107)).halfLifeSeconds == 6.015 * h)
        #expect(abs(try #require(Radionuclide.named("Lu-177", dataSet: .icrp107)).halfLifeSeconds - 6.647 * d) < 1)
        #expect(abs(try #require(Radionuclide.named("I-131", dataSet: .icrp107)).halfLifeSeconds - 8.0207 * d) < 1)
        #expect(abs(try #require(Radionuclide.named("Tl-201", dataSet: .icrp107)).halfLifeSeconds - 72.912 * h) < 1)
        // Both sets: F-18 109.77 min.
        for set in DecayDataSet.allCases {
            #expect(abs(try #require(Radionuclide.named("F-18", dataSet: set)).halfLifeSeconds - 109.77 * 60) < 0.01)
        }
        // The two evaluations are independent but agree within 0.5 % for every nuclide (largest: Sm-153 46.284 h
        // ENSDF vs 46.50 h ICRP-107, 0.47 %).
        for n in Self.names {
            let a = try #require(Radionuclide.named(n, dataSet: .ensdf)).halfLifeSeconds
            let b = try #require(Radionuclide.named(n, dataSet: .icrp107)).halfLifeSeconds
            #expect(abs(a - b) / b < 0.005, "\(n)")
        }
    }

    @Test func mainLines() throws {
        // 140.511 keV in 89 % of Tc-99m decays (NuDat 3: NR 0.89; ICRP-107 0.8906).
        for set in DecayDataSet.allCases {
            let tc = try #require(Radionuclide.named("Tc-99m", dataSet: set))
            #expect(abs(tc.photons[0].energyKeV - 140.511) < 1e-3 && abs(tc.photons[0].yield - 0.89) < 0.001)
        }
        // Lu-177 208.37 keV: 10.41 % (ENSDF, NR 0.1041) vs 11.0 % (ICRP-107); 112.95 keV 6.2 % / 6.4 %.
        let luE = try #require(Radionuclide.named("Lu-177", dataSet: .ensdf))
        let luI = try #require(Radionuclide.named("Lu-177", dataSet: .icrp107))
        #expect(abs(luE.photons[0].yield - 0.1041) < 1e-4 && abs(luI.photons[0].yield - 0.110) < 1e-4)
        // In-111: 245.35 keV 94.09 %, 171.28 keV 90.65 % (both sets).
        for set in DecayDataSet.allCases {
            let inn = try #require(Radionuclide.named("In-111", dataSet: set))
            #expect(abs(inn.photons[0].yield - 0.9409) < 1e-4 && abs(inn.photons[1].yield - 0.9065) < 1e-4)
        }
        // Positron emitters: two 511-keV photons per positron; F-18 β⁺ branch 96.73 % (ENSDF) → 1.9346.
        for set in DecayDataSet.allCases {
            #expect(abs(try #require(Radionuclide.named("F-18", dataSet: set)).photons[0].yield - 1.9346) < 1e-4)
            #expect(abs(try #require(Radionuclide.named("Ga-68", dataSet: set)).photons[0].yield - 1.778) < 1e-3)
        }
    }

    @Test(arguments: DecayDataSet.allCases)
    func photopeaks(_ set: DecayDataSet) throws {
        func peak(_ n: String) throws -> Double? { try #require(Radionuclide.named(n, dataSet: set)).photopeakKeV }
        #expect(abs(try peak("Tc-99m")! - 140.5) < 0.1)
        #expect(abs(try peak("I-123")! - 159.0) < 0.1)
        #expect(abs(try peak("I-131")! - 364.49) < 0.01)
        #expect(abs(try peak("In-111")! - 245.35) < 0.01)
        #expect(abs(try peak("Lu-177")! - 208.37) < 0.01)
        #expect(try peak("F-18") == 511 && peak("Ga-68") == 511)
        #expect(abs(try peak("Sm-153")! - 103.18) < 0.01)
        // Tl-201 is imaged on the Hg K X-rays (68–83 keV); Kα1 is the strongest line.
        let tl = try #require(try peak("Tl-201"))
        #expect(tl > 68 && tl < 72)
        #expect(try peak("Y-90") == nil)  // bremsstrahlung only
    }

    @Test func localEnergies() throws {
        // F-18 (ENSDF record): Ē(β⁺) 249.8 keV × Iβ⁺ 96.73 % = 0.24163 MeV (hand); ICRP-107 0.24161 MeV.
        for set in DecayDataSet.allCases {
            #expect(abs(try #require(Radionuclide.named("F-18", dataSet: set)).meanLocalEnergyMeV - 0.2416) < 0.0002)
            // Y-90 mean β⁻ energy ≈ 0.933 MeV (ENSDF 0.9323, ICRP-107 0.9329).
            #expect(abs(try #require(Radionuclide.named("Y-90", dataSet: set)).meanLocalEnergyMeV - 0.933) < 0.002)
            // Lu-177: mean β⁻ 0.1336 MeV (ENSDF) plus ~14 keV of conversion and Auger electrons → ≈ 0.148 MeV.
            #expect(abs(try #require(Radionuclide.named("Lu-177", dataSet: set)).meanLocalEnergyMeV - 0.148) < 0.002)
            // I-131: mean β⁻ 0.1819 MeV plus ~10 keV of electrons → 0.19 MeV.
            #expect(abs(try #require(Radionuclide.named("I-131", dataSet: set)).meanLocalEnergyMeV - 0.192) < 0.003)
            // Tc-99m: ≈ 16 keV of conversion and Auger electrons per decay (ICRP-107 0.0162 MeV).
            #expect(abs(try #require(Radionuclide.named("Tc-99m", dataSet: set)).meanLocalEnergyMeV - 0.0162) < 0.0005)
            // Non-alpha emitters have no alpha energy, and the progeny value falls back to the nuclide's own.
            let lu = try #require(Radionuclide.named("Lu-177", dataSet: set))
            #expect(lu.meanAlphaEnergyMeV == 0 && lu.meanLocalEnergyWithProgenyMeV == lu.meanLocalEnergyMeV)
        }
    }

    @Test(arguments: DecayDataSet.allCases)
    func radium223(_ set: DecayDataSet) throws {
        let ra = try #require(Radionuclide.named("Ra-223", dataSet: set))
        // Ra-223 alone: mean α energy 5.67 MeV (main lines 5716 keV 51.6 %, 5607 keV 25.2 %, 5747 keV 9 %,
        // 5540 keV 9 %, 5434 keV 2.2 % — NuDat 3); alpha is ~97 % of the local energy.
        #expect(abs(ra.meanAlphaEnergyMeV - 5.666) < 0.005)
        #expect(ra.meanLocalEnergyMeV > ra.meanAlphaEnergyMeV && ra.meanLocalEnergyMeV < 5.9)
        // With progeny in equilibrium (hand sum of mean α energies: Ra-223 5.67 + Rn-219 6.75 + Po-215 7.39 +
        // Bi-211 6.55 × 0.99724 + Po-211 7.44 × 0.00276 = 26.38 MeV).
        #expect(abs(ra.meanAlphaEnergyWithProgenyMeV - 26.38) < 0.05)
        // Betas of Pb-211 (0.45 MeV) and Tl-207 (0.49 MeV), recoils and electrons bring the local total to ~27.9 MeV;
        // the Xofigo SmPC states 95.3 % alpha / 3.6 % beta / 1.1 % gamma of the emitted energy.
        #expect(ra.meanLocalEnergyWithProgenyMeV > 27.5 && ra.meanLocalEnergyWithProgenyMeV < 28.2)
        #expect(ra.meanAlphaEnergyWithProgenyMeV / ra.meanLocalEnergyWithProgenyMeV > 0.93)
    }

    @Test func decayConstant() throws {
        let tc = try #require(Radionuclide.named("Tc-99m"))
        // λ = ln 2 / (6.0072 × 3600 s) = 3.20518e-5 /s (hand).
        #expect(abs(tc.decayConstant - 3.20518e-5) < 1e-9)
    }
}
