import DICOM
import Foundation
import Testing
@testable import Archive

private func tempDir() -> String {
    let d = NSTemporaryDirectory() + "scinti-archive-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

private func object(_ sop: String, study: String = "1.2.3.1", date: String = "20240101") throws -> String {
    var ds = Dataset()
    ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
    ds.set(.sopInstanceUID, .UI, sop)
    ds.set(.studyInstanceUID, .UI, study)
    ds.set(.seriesInstanceUID, .UI, study + ".1")
    ds.set(.patientID, .LO, "PID")
    ds.set(.patientName, .PN, "TEST^ARCHIVE")
    ds.set(.studyDate, .DA, date)
    ds.set(.modality, .CS, "OT")
    let path = tempDir() + "/\(sop).dcm"
    try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian), to: path)
    return path
}

@Test func crashBeforeRenameLeavesNothingVisible() throws {
    let dir = tempDir()
    do {
        let archive = try Archive(directory: dir)
        let src = try Data(contentsOf: URL(fileURLWithPath: try object("1.2.3.9")))
        let inc = try archive.beginStore(sopClassUID: "1.2.840.10008.5.1.4.1.1.7", sopInstanceUID: "1.2.3.9",
                                         transferSyntaxUID: TransferSyntax.explicitVRLittleEndian.uid, sourceAE: "X")
        // Half of the data set arrives, then the process "dies": no commit, no discard.
        let off = Part10Header.dataSetOffset([UInt8](src.prefix(144)), size: src.count)!
        try src.withUnsafeBytes { try inc.append(UnsafeRawBufferPointer(rebasing: $0[off..<(off + (src.count - off) / 2)])) }
        #expect(try archive.count() == 0)
        #expect(try archive.find(identifier: studyQuery(), studyRoot: true).isEmpty)
        _ = Unmanaged.passRetained(inc)   // never deinitialised, like a killed process
    }
    // Restart: recovery removes the temporary file; nothing is indexed or visible.
    let reopened = try Archive(directory: dir)
    let report = try reopened.verify()
    #expect(report.isConsistent)
    #expect(report.indexed == 0)
    #expect(reopened.dataFiles().isEmpty)
}

@Test func crashAfterRenameBeforeIndexIsRecoveredOnRestart() throws {
    let dir = tempDir()
    let archive = try Archive(directory: dir)
    // Simulate: the file reached data/ but the index commit did not happen.
    let src = try object("1.2.3.10")
    let (sub, final) = archive.finalPath(for: "1.2.3.10")
    try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: src, toPath: final)
    let reopened = try Archive(directory: dir)
    #expect(try reopened.count() == 1)
    #expect(try reopened.verify().isConsistent)
}

private func studyQuery(_ extra: (inout Dataset) -> Void = { _ in }) -> Dataset {
    var q = Dataset(); q.set(DICOM.Tag(0x0008, 0x0052), .CS, "STUDY"); q.set(.studyInstanceUID, .UI, ""); extra(&q); return q
}

@Test func commitIndexesAndDuplicatesKeepTheFirstCopy() throws {
    let archive = try Archive(directory: tempDir())
    let a = try object("1.2.3.11", study: "1.2.3.100", date: "20230505")
    guard case .stored(let path) = try archive.importFile(a) else { Issue.record("not stored"); return }
    #expect(FileManager.default.fileExists(atPath: path))
    let before = try Data(contentsOf: URL(fileURLWithPath: path))
    let b = try object("1.2.3.11", study: "1.2.3.100", date: "19990101")   // same UID, other content
    #expect(try archive.importFile(b) == .duplicate(path: path))
    #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    #expect(try archive.count() == 1)
    // The index answers a date-range query at STUDY level.
    #expect(try archive.find(identifier: studyQuery { $0.set(.studyDate, .DA, "20230101-20231231") }, studyRoot: true).count == 1)
    #expect(try archive.find(identifier: studyQuery { $0.set(.studyDate, .DA, "20240101-") }, studyRoot: true).isEmpty)
    #expect(try archive.verify().isConsistent)
}

@Test func truncatedObjectIsRejectedNotStored() throws {
    let archive = try Archive(directory: tempDir())
    let inc = try archive.beginStore(sopClassUID: "1.2.840.10008.5.1.4.1.1.7", sopInstanceUID: "1.2.3.12",
                                     transferSyntaxUID: TransferSyntax.explicitVRLittleEndian.uid, sourceAE: nil)
    // An element header announcing 1000 bytes, followed by 4.
    let bytes: [UInt8] = [0x08, 0x00, 0x18, 0x00, 0x55, 0x49, 0xE8, 0x03, 0x31, 0x2E, 0x32, 0x00]
    try bytes.withUnsafeBytes { try inc.append($0) }
    guard case .rejected = try inc.commit() else { Issue.record("truncated object accepted"); return }
    #expect(try archive.count() == 0)
    #expect(try archive.verify().isConsistent)
}
