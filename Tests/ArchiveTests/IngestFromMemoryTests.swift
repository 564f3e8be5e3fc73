import DICOM
import Foundation
import Testing
@testable import Archive

/// A received object is parsed from the bytes kept while it was written (objects up to `IncomingFile.keepLimit`),
/// larger ones from the temporary file: both must index what the stored file holds — its size, its header — as a
/// fresh read of the stored file gives it (the oracle here). A truncated data set, now parsed from memory, is rejected
/// (`DurabilityTests.truncatedObjectIsRejectedNotStored`).
@Suite struct IngestFromMemoryTests {
    private func object(_ sop: String, pixelBytes: Int, in dir: String) throws -> String {
        var ds = Dataset()
        ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
        ds.set(.sopInstanceUID, .UI, sop)
        ds.set(.studyInstanceUID, .UI, "1.2.826.0.1.78.1")
        ds.set(.seriesInstanceUID, .UI, "1.2.826.0.1.78.1.1")
        ds.set(.patientID, .LO, "MEMORY")
        ds.set(.patientName, .PN, "Memory^Kept")
        ds.set(.modality, .CS, "OT")
        ds.set(Element(tag: Tag(0x7FE0, 0x0010), vr: .OB, bytes: [UInt8](repeating: 0x5A, count: pixelBytes)))
        let path = dir + "/src-\(sop).dcm"
        try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian), to: path)
        return path
    }

    @Test func smallAndLargeObjectsIndexWhatTheStoredFileHolds() throws {
        let dir = NSTemporaryDirectory() + "scinti-memory-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = try Archive(directory: dir + "/archive")
        // 2 kB (kept in memory) and just over the limit (read back from the temporary file).
        let small = try object("1.2.826.0.1.78.1.1.1", pixelBytes: 2048, in: dir)
        let large = try object("1.2.826.0.1.78.1.1.2", pixelBytes: IncomingFile.keepLimit + 2, in: dir)
        for (source, sop) in [(small, "1.2.826.0.1.78.1.1.1"), (large, "1.2.826.0.1.78.1.1.2")] {
            guard case .stored(let path) = try a.importFile(source) else { Issue.record("\(sop) not stored"); continue }
            let row = try #require(try a.index.rows(IndexFilter(sopUIDs: [sop])).first)
            let onDisk = try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            #expect(row.size == onDisk)
            // The header blob as a fresh read of the stored file gives it.
            #expect(row.header == (try Archive.headerBlob(DICOMFile.read(path: path))))
            #expect(row.patientID == "MEMORY" && row.studyUID == "1.2.826.0.1.78.1")
        }
        #expect(try a.verify().isConsistent)
    }
}
