import DICOM
import Testing
@testable import Archive

// Matching rules of PS3.4 C.2.2.2, each case taken from the standard's text.

private func el(_ tag: DICOM.Tag, _ vr: VR, _ v: String) -> Element {
    var d = Dataset(); d.set(tag, vr, v); return d[tag]!
}

@Test func universalMatchingMatchesEverythingIncludingAbsentAttributes() {
    #expect(QueryMatcher.matches(el(.patientName, .PN, ""), candidate: el(.patientName, .PN, "DOE^JOHN")))
    #expect(QueryMatcher.matches(el(.patientName, .PN, ""), candidate: nil))
    #expect(QueryMatcher.matches(el(.studyDate, .DA, ""), candidate: nil))
}

@Test func singleValueMatchingIsExact() {
    #expect(QueryMatcher.matches(el(.modality, .CS, "CT"), candidate: el(.modality, .CS, "CT")))
    #expect(!QueryMatcher.matches(el(.modality, .CS, "CT"), candidate: el(.modality, .CS, "CTX")))
    // Case-sensitive except PN (C.2.2.2.1).
    #expect(!QueryMatcher.matches(el(.modality, .CS, "ct"), candidate: el(.modality, .CS, "CT")))
    #expect(QueryMatcher.matches(el(.patientName, .PN, "doe^john"), candidate: el(.patientName, .PN, "DOE^JOHN")))
    // Non-empty key against an absent attribute does not match.
    #expect(!QueryMatcher.matches(el(.modality, .CS, "CT"), candidate: nil))
}

@Test func wildcardMatching() {
    #expect(QueryMatcher.matches(el(.patientName, .PN, "DOE*"), candidate: el(.patientName, .PN, "DOE^JOHN")))
    #expect(QueryMatcher.matches(el(.patientName, .PN, "*JOHN"), candidate: el(.patientName, .PN, "DOE^JOHN")))
    #expect(QueryMatcher.matches(el(.patientName, .PN, "D?E^J*N"), candidate: el(.patientName, .PN, "DOE^JOHN")))
    #expect(!QueryMatcher.matches(el(.patientName, .PN, "D?E"), candidate: el(.patientName, .PN, "DOE^JOHN")))
    #expect(QueryMatcher.matches(el(.patientID, .LO, "*"), candidate: el(.patientID, .LO, "")) == false)
    #expect(QueryMatcher.matches(el(.patientID, .LO, "12?4"), candidate: el(.patientID, .LO, "1234")))
    #expect(!QueryMatcher.matches(el(.patientID, .LO, "12?4"), candidate: el(.patientID, .LO, "12345")))
    // "*" alone matches any value (C.2.2.2.4: equivalent to universal matching for a present value).
    #expect(QueryMatcher.matches(el(.patientID, .LO, "*"), candidate: el(.patientID, .LO, "X")))
}

@Test func dateAndTimeRangeMatching() {
    let d = el(.studyDate, .DA, "20240315")
    #expect(QueryMatcher.matches(el(.studyDate, .DA, "20240101-20241231"), candidate: d))
    #expect(QueryMatcher.matches(el(.studyDate, .DA, "20240315-20240315"), candidate: d))
    #expect(!QueryMatcher.matches(el(.studyDate, .DA, "20240316-"), candidate: d))
    #expect(QueryMatcher.matches(el(.studyDate, .DA, "-20240315"), candidate: d))
    #expect(!QueryMatcher.matches(el(.studyDate, .DA, "-20240314"), candidate: d))
    // Time ranges: "-1200" includes 12:00:30 (upper bound covers the whole minute), "0800-" excludes 07:59.
    #expect(QueryMatcher.matches(el(.studyTime, .TM, "-1200"), candidate: el(.studyTime, .TM, "120030")))
    #expect(!QueryMatcher.matches(el(.studyTime, .TM, "0800-"), candidate: el(.studyTime, .TM, "075900.5")))
    #expect(QueryMatcher.matches(el(.studyTime, .TM, "0800-0900"), candidate: el(.studyTime, .TM, "08:30")))
}

@Test func uidListMatching() {
    var d = Dataset(); d.set(.sopInstanceUID, .UI, strings: ["1.2.3", "1.2.4"])
    #expect(QueryMatcher.matches(d[.sopInstanceUID]!, candidate: el(.sopInstanceUID, .UI, "1.2.4")))
    #expect(!QueryMatcher.matches(d[.sopInstanceUID]!, candidate: el(.sopInstanceUID, .UI, "1.2.5")))
}

@Test func sequenceMatching() {
    var item = Dataset(); item.set(DICOM.Tag(0x0008, 0x0100), .SH, "XYZ")
    var key = Dataset(); key.set(DICOM.Tag(0x0008, 0x1032), sequence: [item])
    var other = Dataset(); other.set(DICOM.Tag(0x0008, 0x0100), .SH, "ABC")
    var cand = Dataset(); cand.set(DICOM.Tag(0x0008, 0x1032), sequence: [other, item])
    #expect(QueryMatcher.matches(key, cand))
    var cand2 = Dataset(); cand2.set(DICOM.Tag(0x0008, 0x1032), sequence: [other])
    #expect(!QueryMatcher.matches(key, cand2))
    // An empty key item is universal.
    var empty = Dataset(); empty.set(DICOM.Tag(0x0008, 0x1032), sequence: [Dataset()])
    #expect(QueryMatcher.matches(empty, cand2))
}
