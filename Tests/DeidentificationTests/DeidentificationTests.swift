import DICOM
import Foundation
import Testing

@testable import Deidentification

/// The library against independent truth: RFC 4231 HMAC vectors, Foundation's calendar for date shifts, the table's
/// own rows as PS3.15 prints them, and a data set built here.
@Suite struct DeidentificationTests {
    @Test func hmacMatchesRFC4231() {
        // RFC 4231 test case 2.
        let mac = Keyed.hmacSHA256(key: Array("Jefe".utf8), Array("what do ya want for nothing?".utf8))
        #expect(mac.map { hex2($0) }.joined() == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func tableRowsAsPrintedInPS315() throws {
        // A few rows checked against PS3.15 Table E.1-1 as printed (edition 2026d).
        let name = try #require(ConfidentialityProfileTable.row(for: .patientName))
        #expect(name.basic == .zero)
        let weight = try #require(ConfidentialityProfileTable.row(for: .patientWeight))
        #expect(weight.basic == .remove && weight.action(for: [.retainPatientCharacteristics]) == .keep)
        let start = try #require(ConfidentialityProfileTable.row(for: Tag(0x0018, 0x1078)))
        #expect(start.basic == .remove && start.action(for: [.retainLongitudinalModifiedDates]) == .clean)
        let sop = try #require(ConfidentialityProfileTable.row(for: .sopInstanceUID))
        #expect(sop.basic == .uid && sop.action(for: [.retainUIDs]) == .keep)
        // Repeating group: Overlay Data of any overlay group.
        #expect(ConfidentialityProfileTable.row(for: Tag(0x6002, 0x3000))?.basic == .remove)
        #expect(ConfidentialityProfileTable.privateAttributes.action(for: [.retainSafePrivate]) == .clean)
        #expect(ConfidentialityProfileTable.rows.count == 656)
    }

    @Test func dateShiftAgreesWithFoundationCalendar() throws {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        let f = DateFormatter()
        f.calendar = cal; f.timeZone = cal.timeZone; f.locale = Locale(identifier: "en_US_POSIX"); f.dateFormat = "yyyyMMdd"
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let day = Int.random(in: -20000...20000, using: &rng), shift = Int.random(in: -4000...4000, using: &rng)
            let d = Date(timeIntervalSince1970: Double(day) * 86400)
            let text = f.string(from: d)
            let want = f.string(from: cal.date(byAdding: .day, value: shift, to: d)!)
            #expect(DateShift.shiftDate(text, days: shift) == want)
            #expect(DateShift.shiftDateTime(text + "101530.25+0100", days: shift) == want + "101530.25+0100")
        }
        #expect(DateShift.shiftDate("", days: 3) == "")
        #expect(DateShift.shiftDate("2024", days: -1) == "2023")
    }

    @Test func uidsAndOffsetsAreKeyedAndValid() throws {
        let a = try Deidentifier(profile: .basic, secret: Array("0123456789abcdef0123".utf8))
        let b = try Deidentifier(profile: .basic, secret: Array("another secret of 16+".utf8))
        let u = a.remappedUID("1.2.3.4.5")
        #expect(u == a.remappedUID("1.2.3.4.5") && u != b.remappedUID("1.2.3.4.5") && u != a.remappedUID("1.2.3.4.6"))
        #expect(UIDGenerator.isValid(u) && u.hasPrefix("2.25."))
        #expect(a.dateOffsetDays(patientID: "P1") == a.dateOffsetDays(patientID: "P1"))
        #expect((-3651 ... -365).contains(a.dateOffsetDays(patientID: "P1")))
        #expect(throws: DeidentificationError.self) { try Deidentifier(profile: .basic, secret: [1, 2, 3]) }
        #expect(throws: DeidentificationError.self) { try DeidentificationProfile(parsing: "basic,keep-everything") }
    }

    @Test func pseudonymMapOpensOnlyWithTheSecret() throws {
        var map = PseudonymMap()
        map.patients["ANON-1"] = .init(patientID: "P1", patientName: "DOE^JOHN", birthDate: "19500101", pseudonym: "ANON-1", dateOffsetDays: -400)
        map.uids["1.2.3"] = "2.25.9"
        let sealed = map.sealed(secret: Array("secret-of-sixteen-bytes".utf8))
        #expect(!sealed.containsBytes(Array("DOE^JOHN".utf8)))
        #expect(try PseudonymMap.open(sealed, secret: Array("secret-of-sixteen-bytes".utf8)) == map)
        #expect(throws: DeidentificationError.self) { try PseudonymMap.open(sealed, secret: Array("wrong-secret-of-sixteen".utf8)) }
        var altered = sealed
        altered[altered.count - 20] ^= 1
        #expect(throws: DeidentificationError.self) { try PseudonymMap.open(altered, secret: Array("secret-of-sixteen-bytes".utf8)) }
    }

    static func dataset() -> Dataset {
        var ds = Dataset()
        ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.128")
        ds.set(.sopInstanceUID, .UI, "1.2.826.0.1.3680043.2.1125.9.1")
        ds.set(.studyInstanceUID, .UI, "1.2.826.0.1.3680043.2.1125.9.2")
        ds.set(.studyDate, .DA, "20240229")
        ds.set(.studyTime, .TM, "101500")
        ds.set(.acquisitionDateTime, .DT, "20240229093000.5-0500")
        ds.set(.patientName, .PN, "DOE^JOHN")
        ds.set(.patientID, .LO, "MRN123")
        ds.set(.patientWeight, .DS, "81.5")
        ds.set(.seriesDescription, .LO, "WB DOE FDG 20240229")
        var rp = Dataset()
        rp.set(Tag(0x0018, 0x1078), .DT, "20240229081500.000000")
        rp.set(Tag(0x0018, 0x1074), .DS, "370000000")
        ds.set(Tag(0x0054, 0x0016), sequence: [rp])
        var ref = Dataset()
        ref.set(Tag(0x0008, 0x1155), .UI, "1.2.826.0.1.3680043.2.1125.9.1")
        ds.set(Tag(0x0008, 0x1140), sequence: [ref])
        ds.set(Element(tag: Tag(0x0009, 0x0010), vr: .LO, bytes: Array("GEMS_PETD_01".utf8)))
        ds.set(Element(tag: Tag(0x0009, 0x100D), vr: .DT, bytes: Array("20240229093000".utf8)))
        ds.set(Element(tag: Tag(0x0009, 0x1005), vr: .DT, bytes: Array("19500101000000".utf8)))
        return ds
    }

    @Test func basicProfileOnADataSet() throws {
        let d = try Deidentifier(profile: .basic, secret: Array("0123456789abcdef".utf8))
        let out = try d.deidentify(DICOMFile(dataset: Self.dataset(), transferSyntax: .explicitVRLittleEndian)).file.dataset
        #expect(out.string(.patientName) == d.pseudonym(patientID: "MRN123") && out.string(.patientID) == out.string(.patientName))
        #expect(out[.patientWeight] == nil && out[.seriesDescription] == nil)
        #expect(out[.studyDate]?.isEmpty == true)
        #expect(out.sequence(Tag(0x0054, 0x0016)).first?[Tag(0x0018, 0x1078)] == nil)
        #expect(out.sequence(Tag(0x0054, 0x0016)).first?.string(Tag(0x0018, 0x1074)) == "370000000")
        #expect(!out.contains { $0.tag.group == 0x0009 })
        // The nested reference gets the same new UID as the SOP Instance UID it names.
        #expect(out.sequence(Tag(0x0008, 0x1140)).first?.string(Tag(0x0008, 0x1155)) == out.string(.sopInstanceUID))
        #expect(out.string(.sopInstanceUID) == d.remappedUID("1.2.826.0.1.3680043.2.1125.9.1"))
        #expect(out.string(Tag(0x0028, 0x0303)) == "REMOVED")
        #expect(out.sequence(Tag(0x0012, 0x0064)).map { $0.string(Tag(0x0008, 0x0100)) } == ["113100"])
    }

    @Test func quantitativeOptionsKeepWhatSUVNeeds() throws {
        let d = try Deidentifier(profile: .quantitative, secret: Array("0123456789abcdef".utf8))
        let out = try d.deidentify(DICOMFile(dataset: Self.dataset(), transferSyntax: .explicitVRLittleEndian)).file.dataset
        let days = d.dateOffsetDays(patientID: "MRN123")
        #expect(out.string(.patientWeight) == "81.5")
        #expect(out.string(.acquisitionDateTime) == DateShift.shiftDate("20240229", days: days) + "093000.5-0500")
        #expect(out.string(.studyDate) == DateShift.shiftDate("20240229", days: days) && out.string(.studyTime) == "101500")
        #expect(out.sequence(Tag(0x0054, 0x0016)).first?.string(Tag(0x0018, 0x1078))
                == DateShift.shiftDate("20240229", days: days) + "081500.000000")
        // Safe private kept and moved; the GE patient date-time is not on the allow-list.
        #expect(out.string(Tag(0x0009, 0x100D)) == DateShift.shiftDate("20240229", days: days) + "093000")
        #expect(out[Tag(0x0009, 0x1005)] == nil && out.string(Tag(0x0009, 0x0010)) == "GEMS_PETD_01")
        // Clean Descriptors: the description without the patient's name and the date.
        #expect(out.string(.seriesDescription) == "WB FDG")
        #expect(out.string(Tag(0x0028, 0x0303)) == "MODIFIED")
    }

    @Test func outputLayoutFollowsTheInputs() throws {
        let root = NSTemporaryDirectory() + "scinti-deid-layout-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        for folder in ["a", "b/sub"] {
            try FileManager.default.createDirectory(atPath: root + "/" + folder, withIntermediateDirectories: true)
            try DICOMWriter.write(DICOMFile(dataset: Self.dataset(), transferSyntax: .explicitVRLittleEndian), to: root + "/" + folder + "/x.dcm")
        }
        #expect(try DeidentificationExport(inputs: [root + "/a"]).items.map(\.relativePath) == ["x.dcm"])
        #expect(try DeidentificationExport(inputs: [root]).items.map(\.relativePath) == ["a/x.dcm", "b/sub/x.dcm"])
        #expect(try DeidentificationExport(inputs: [root + "/a", root + "/b"]).items.map(\.relativePath) == ["a/x.dcm", "b/sub/x.dcm"])
        #expect(throws: DeidentificationError.self) { try DeidentificationExport(inputs: [root + "/a/x.dcm", root + "/b/sub/x.dcm"]) }
        #expect(throws: DeidentificationError.self) { try DeidentificationExport(inputs: [root + "/missing"]) }
    }

    @Test func burnedInAnnotationIsRefused() throws {
        var ds = Self.dataset()
        ds.set(Tag(0x0028, 0x0301), .CS, "YES")
        let d = try Deidentifier(profile: .basic, secret: Array("0123456789abcdef".utf8))
        #expect(throws: DeidentificationError.self) { try d.deidentify(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian)) }
    }
}

extension Array where Element == UInt8 {
    func containsBytes(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        for i in 0...(count - needle.count) where Array(self[i..<(i + needle.count)]) == needle { return true }
        return false
    }
}
