import Testing
@testable import DICOM

/// The data dictionary against PS3.6 entries quoted from the standard.
struct DictionaryTests {
    @Test func publicEntriesMatchPS36() throws {
        // PS3.6 Table 6-1: (0010,0010) Patient's Name, PatientName, PN, 1.
        let pn = try #require(DataDictionary.entry(for: Tag(0x0010, 0x0010)))
        #expect(pn.keyword == "PatientName" && pn.vr == .PN && pn.vm == "1" && pn.name == "Patient's Name")
        // (0054,0010) Energy Window Vector, US, 1-n; (0028,0009) Frame Increment Pointer, AT, 1-n.
        #expect(DataDictionary.entry(for: Tag(0x0054, 0x0010))?.vm == "1-n")
        #expect(DataDictionary.entry(for: Tag(0x0028, 0x0009))?.vr == .AT)
        // (0028,0106) Smallest Image Pixel Value: US or SS.
        #expect(DataDictionary.entry(for: Tag(0x0028, 0x0106))?.vrs == [.US, .SS])
        // (0020,0037) Image Orientation (Patient): DS, 6.
        #expect(DataDictionary.entry(for: Tag(0x0020, 0x0037))?.vm == "6")
        // Retired: (0028,0005) Image Dimensions (RET).
        #expect(DataDictionary.entry(for: Tag(0x0028, 0x0005))?.isRetired == true)
        #expect(DataDictionary.tag(forKeyword: "RadiopharmaceuticalInformationSequence") == Tag(0x0054, 0x0016))
    }

    @Test func repeatingGroupsAndGroupLength() {
        // (60xx,3000) Overlay Data, OB or OW; (50xx,3000) Curve Data (retired).
        #expect(DataDictionary.entry(for: Tag(0x6002, 0x3000))?.keyword == "OverlayData")
        #expect(DataDictionary.entry(for: Tag(0x601E, 0x0010))?.keyword == "OverlayRows")
        #expect(DataDictionary.entry(for: Tag(0x0009, 0x0000)) == nil)     // private: not public
        #expect(DataDictionary.entry(for: Tag(0x0018, 0x0000))?.vr == .UL)   // generic group length
    }

    @Test func completeness() {
        // PS3.6 has more than 4000 non-repeating public elements; the generator kept every one of them.
        #expect(DataDictionary.tables.exact.count > 4500)
        #expect(UIDDictionary.name("1.2.840.10008.1.2.4.70").hasPrefix("JPEG Lossless, Non-Hierarchical, First-Order Prediction"))
        #expect(UIDDictionary.keyword("1.2.840.10008.5.1.4.1.1.20") == "NuclearMedicineImageStorage")
    }

    @Test func privateDictionary() {
        // GE's GEMS_IDEN_01 (0009,xx01) Full fidelity is LO in GE's conformance statements.
        #expect(DataDictionary.privateVR(for: Tag(0x0009, 0x1001), creator: "GEMS_IDEN_01") == .LO)
        #expect(DataDictionary.privateVR(for: Tag(0x0009, 0x1001), creator: "NO SUCH CREATOR") == nil)
    }
}
