import Foundation
import Testing
@testable import Physics

// Reference instants are Unix times computed independently with Python's `datetime` (aware datetimes,
// `datetime.timestamp()`), not with this module. DICOM syntax: PS3.5 §6.2, VR DA / TM / DT.
@Suite struct DICOMDateTimeTests {
    @Test func fullDTInUTC() {
        // 2024-03-15T10:30:00Z → 1710498600
        #expect(DICOMDateTime.parse(dt: "20240315103000")?.timeIntervalSince1970 == 1_710_498_600)
    }

    @Test func dtWithOffsetSuffix() {
        // 2024-03-15T10:30:00+01:00 → 1710495000
        #expect(DICOMDateTime.parse(dt: "20240315103000+0100")?.timeIntervalSince1970 == 1_710_495_000)
        // The suffix wins over the default offset.
        #expect(DICOMDateTime.parse(dt: "20240315103000+0100", defaultOffset: "-0500")?.timeIntervalSince1970 == 1_710_495_000)
        // 1999-12-31T23:00:00-05:30 → 946701000 (half-hour offsets exist: −0330 Newfoundland, +0530 India).
        #expect(DICOMDateTime.parse(dt: "19991231230000-0530")?.timeIntervalSince1970 == 946_701_000)
    }

    @Test func dtDefaultOffsetFromTimezoneOffsetFromUTC() {
        // Timezone Offset From UTC (0008,0201) "+0100" applied to a DT without suffix.
        #expect(DICOMDateTime.parse(dt: "20240315103000", defaultOffset: "+0100")?.timeIntervalSince1970 == 1_710_495_000)
        // Empty default means UTC.
        #expect(DICOMDateTime.parse(dt: "20240315103000", defaultOffset: "")?.timeIntervalSince1970 == 1_710_498_600)
    }

    @Test func dtFractionalSeconds() throws {
        let d = try #require(DICOMDateTime.parse(dt: "20240315103000.123456"))
        #expect(abs(d.timeIntervalSince1970 - 1_710_498_600.123456) < 1e-5)
        let e = try #require(DICOMDateTime.parse(dt: "20240315103000.5+0100"))
        #expect(abs(e.timeIntervalSince1970 - 1_710_495_000.5) < 1e-6)
    }

    @Test func dtPartialPrecision() {
        // "2024" → 2024-01-01T00:00:00Z = 1704067200; "202403" → 2024-03-01 = 1709251200.
        #expect(DICOMDateTime.parse(dt: "2024")?.timeIntervalSince1970 == 1_704_067_200)
        #expect(DICOMDateTime.parse(dt: "202403")?.timeIntervalSince1970 == 1_709_251_200)
        #expect(DICOMDateTime.parse(dt: "20240301")?.timeIntervalSince1970 == 1_709_251_200)
        #expect(DICOMDateTime.parse(dt: "2024031510")?.timeIntervalSince1970 == 1_710_496_800)
        #expect(DICOMDateTime.parse(dt: "202403151030")?.timeIntervalSince1970 == 1_710_498_600)
        // Trailing padding space (DICOM pads odd-length values).
        #expect(DICOMDateTime.parse(dt: "20240315103000 ")?.timeIntervalSince1970 == 1_710_498_600)
    }

    @Test func leapYears() {
        // 2024-02-29T23:59:59Z → 1709251199; 2000 is a leap year, 1900 and 2023 are not.
        #expect(DICOMDateTime.parse(dt: "20240229235959")?.timeIntervalSince1970 == 1_709_251_199)
        #expect(DICOMDateTime.parse(date: "20000229", time: "000000") != nil)
        #expect(DICOMDateTime.parse(date: "19000229", time: "000000") == nil)
        #expect(DICOMDateTime.parse(date: "20230229", time: "000000") == nil)
    }

    @Test func dateAndTime() {
        #expect(DICOMDateTime.parse(date: "20240315", time: "103000")?.timeIntervalSince1970 == 1_710_498_600)
        #expect(DICOMDateTime.parse(date: "20240315", time: "1030")?.timeIntervalSince1970 == 1_710_498_600)
        #expect(DICOMDateTime.parse(date: "20240315", time: "10")?.timeIntervalSince1970 == 1_710_496_800)
        #expect(DICOMDateTime.parse(date: "20240315", time: "103000", offset: "+0100")?.timeIntervalSince1970 == 1_710_495_000)
        // ACR-NEMA legacy forms still accepted by readers (PS3.5 §6.2 TM note).
        #expect(DICOMDateTime.parse(date: "20240315", time: "10:30:00")?.timeIntervalSince1970 == 1_710_498_600)
        #expect(DICOMDateTime.parse(date: "20240315", time: "10:30")?.timeIntervalSince1970 == 1_710_498_600)
        #expect(DICOMDateTime.parse(date: "2024.03.15", time: "103000")?.timeIntervalSince1970 == 1_710_498_600)
        let f = DICOMDateTime.parse(date: "20240315", time: "103000.25")?.timeIntervalSince1970 ?? 0
        #expect(abs(f - 1_710_498_600.25) < 1e-6)
    }

    @Test(arguments: ["", "   ", "abc", "2024-03-15", "20241315", "20240230", "20240315103060.1234567",
                      "20240315246000", "2024031510300", "20240315103000+2500", "20240315103000+01", "20240315103000+0160",
                      "20240315103000.", "+0100", "202403151030.5", "２０２４", "20240315103000-1300"])
    func garbageDTIsNil(_ s: String) {
        #expect(DICOMDateTime.parse(dt: s) == nil)
    }

    @Test(arguments: [("20240315", "25"), ("20240315", "1060"), ("20240315", "106"), ("20240315", "10:3"),
                      ("20240315", "10.5"), ("20240315", ""), ("2024031", "1030"), ("20240315", "103000.1234567"),
                      ("20240315", "1030:00"), ("20240315", "-10000")])
    func garbageDAorTMIsNil(_ pair: (String, String)) {
        #expect(DICOMDateTime.parse(date: pair.0, time: pair.1) == nil)
    }

    @Test func badOffsetIsNil() {
        #expect(DICOMDateTime.parse(date: "20240315", time: "103000", offset: "0100") == nil)
        #expect(DICOMDateTime.parse(date: "20240315", time: "103000", offset: "+1500") == nil)
        #expect(DICOMDateTime.parse(dt: "20240315103000", defaultOffset: "UTC") == nil)
    }
}
