import Foundation
import Testing
@testable import Physics

@Suite struct DecayTests {
    @Test func oneHalfLifeHalves() {
        #expect(abs(Decay.factor(halfLifeSeconds: 3600, elapsedSeconds: 3600) - 0.5) < 1e-12)
        #expect(abs(Decay.factor(halfLifeSeconds: 3600, elapsedSeconds: -3600) - 2.0) < 1e-12)
    }

    @Test func technetiumOneDay() throws {
        // Tc-99m, ENSDF T½ = 6.0072 h (NDS 145, 25 (2017)): after 24 h, 2^(−24/6.0072) = 0.0627080 (hand/Python).
        let tc = try #require(Radionuclide.named("Tc-99m"))
        #expect(abs(Decay.factor(halfLifeSeconds: tc.halfLifeSeconds, elapsedSeconds: 86400) - 0.0627080) < 1e-6)
    }

    @Test func acquisitionFactor() {
        // (1 − e^(−x))/x with x = ln2 (acquisition of one half-life) = 0.5/ln2 = 0.7213475.
        #expect(abs(Decay.duringAcquisitionFactor(halfLifeSeconds: 100, durationSeconds: 100) - 0.7213475) < 1e-6)
        #expect(Decay.duringAcquisitionFactor(halfLifeSeconds: 100, durationSeconds: 0) == 1)
    }

    @Test func correctionToReference() {
        // Acquisition of one half-life starting one half-life after the reference: the mean rate corresponds to
        // A_ref · 0.5 · 0.7213475, so the factor is 1 / (0.5 · 0.7213475) = 2.7725887 (= 4 ln 2).
        let start = Date(timeIntervalSince1970: 1000)
        let ref = Date(timeIntervalSince1970: 900)
        let f = Decay.correctionFactor(acquisitionStart: start, durationSeconds: 100, reference: ref, halfLifeSeconds: 100)
        #expect(abs(f - 4 * log(2.0)) < 1e-9)
    }

    @Test func activityFromDICOMStartDateTimeWithOffset() throws {
        // Injection 2024-03-15 08:00 at +0100 (= 07:00Z, Unix 1710486000), measured at 09:00Z: 2 h of F-18
        // (T½ 109.77 min, ENSDF): 100 MBq · 2^(−120/109.77) = 46.872 MBq (Python: 46.87222).
        let f18 = try #require(Radionuclide.named("F-18"))
        let a = try #require(Decay.activity(100, atDICOMDateTime: "20240315080000", timezoneOffset: "+0100",
                                            to: Date(timeIntervalSince1970: 1_710_493_200), halfLifeSeconds: f18.halfLifeSeconds))
        #expect(abs(a - 46.87222) < 1e-4)
        #expect(Decay.activity(100, atDICOMDateTime: "garbage", to: Date(), halfLifeSeconds: 1) == nil)
    }
}
