import Foundation
import Physics
import Testing

/// The Ra-223 (Xofigo) label decay table, reproduced with Physics' DICOM date/time and decay helpers.
///
/// Source: Xofigo (radium Ra 223 dichloride) US prescribing information, section 2 "Decay Correction Factor
/// Table": the activity is calibrated at 12:00 noon Central European Time (CET, UTC+1) on the reference date and
/// the table's factors are for 12:00 noon Central Standard Time (CST, UTC−6) — seven hours later — which is why
/// day 0 reads 0.982, not 1.000. Published factors: −14 d 2.296, 0 d 0.982, +14 d 0.420. They follow from the
/// ICRP-107 half-life 11.43 d; with ENSDF's 11.4366 d the −14 d entry would read 2.295.
@Suite struct Ra223DecayTableTests {
    static func factor(days: Int, dataSet: DecayDataSet) throws -> Double {
        let ra = try #require(Radionuclide.named("Ra-223", dataSet: dataSet))
        let reference = try #require(DICOMDateTime.parse(dt: "20260115120000", defaultOffset: "+0100"))  // noon CET
        // Noon CST on reference date + days (January: no daylight saving time on either side).
        let day = 15 + days
        let date = day >= 1 ? String(format: "202601%02d", day) : String(format: "202512%02d", 31 + day)
        let use = try #require(DICOMDateTime.parse(dt: date + "120000-0600"))
        return Decay.factor(halfLifeSeconds: ra.halfLifeSeconds, elapsedSeconds: Decay.elapsedSeconds(from: reference, to: use))
    }

    @Test func labelTableToThreeDecimals() throws {
        let table: [(Int, Double)] = [(0, 0.982), (14, 0.420), (-14, 2.296)]
        for (days, printed) in table {
            let f = try Self.factor(days: days, dataSet: .icrp107)
            #expect((f * 1000).rounded() / 1000 == printed, "day \(days): \(f) vs label \(printed)")
        }
        // The seven-hour time-zone shift is what makes day 0 differ from 1.
        let ref = try #require(DICOMDateTime.parse(dt: "20260115120000+0100"))
        let cst = try #require(DICOMDateTime.parse(dt: "20260115120000-0600"))
        #expect(Decay.elapsedSeconds(from: ref, to: cst) == 7 * 3600)
        // ENSDF's half-life differs in the third decimal at −14 days (documented above).
        #expect(abs(try Self.factor(days: -14, dataSet: .ensdf) - 2.295) < 0.0005)
    }
}
