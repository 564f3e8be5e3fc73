import DICOM
import Foundation
import Synchronization
import Testing
@testable import Archive

/// The durability order of the group commit (Archive+GroupCommit.swift, FileSync.swift): a store is acknowledged only
/// after the batch's flush of file data and names has returned and its index row is committed; a failed flush
/// acknowledges nothing and indexes nothing. The flush is replaced by a hook that the test holds closed.
@Suite struct GroupFlushTests {
    private func archive() throws -> Archive {
        let d = NSTemporaryDirectory() + "scinti-flush-\(UInt32.random(in: 0...UInt32.max))"
        return try Archive(directory: d)
    }

    private func object(_ sop: String) throws -> String {
        var ds = Dataset()
        ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
        ds.set(.sopInstanceUID, .UI, sop)
        ds.set(.studyInstanceUID, .UI, "1.2.826.0.1.77.1")
        ds.set(.seriesInstanceUID, .UI, "1.2.826.0.1.77.1.1")
        ds.set(.patientID, .LO, "FLUSH")
        ds.set(.modality, .CS, "OT")
        let path = NSTemporaryDirectory() + "scinti-flush-src-\(sop).dcm"
        try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian), to: path)
        return path
    }

    /// A flush that records its batches and waits until the test opens the gate.
    final class Gate: @unchecked Sendable {
        let open = DispatchSemaphore(value: 0)
        let entered = DispatchSemaphore(value: 0)
        let batches = Mutex<[[String]]>([])
        var fail = false
        var sync: FileSync {
            FileSync(name: "gate") { b in
                self.batches.withLock { $0.append(b.files) }
                self.entered.signal()
                self.open.wait()
                if self.fail { throw ArchiveError("injected flush failure") }
            }
        }
    }

    final class Done: @unchecked Sendable {
        let results = Mutex<[Result<StoreResult, any Error>]>([])
        let finished = DispatchSemaphore(value: 0)
    }

    @Test func noStoreIsAcknowledgedOrIndexedBeforeItsBatchFlushReturns() throws {
        let a = try archive()
        let gate = Gate()
        a.fileSync = gate.sync
        let sources = try (1...3).map { try object("1.2.826.0.1.77.1.1.\($0)") }
        let done = Done()
        for s in sources {
            DispatchQueue.global().async {
                let r = Result { try a.importFile(s) }
                done.results.withLock { $0.append(r) }
                done.finished.signal()
            }
        }
        #expect(gate.entered.wait(timeout: .now() + 20) == .success)
        // The flush is held: the files are linked into data/, but nothing is acknowledged or indexed.
        Thread.sleep(forTimeInterval: 0.3)
        #expect(done.results.withLock { $0.isEmpty })
        #expect(try a.count() == 0)
        // Open the gate for this batch and the ones queued behind it.
        for _ in 0..<3 { gate.open.signal() }
        for _ in 0..<3 { #expect(done.finished.wait(timeout: .now() + 20) == .success) }
        let flushed = gate.batches.withLock { $0.flatMap { $0 } }
        #expect(flushed.count == 3)
        for r in done.results.withLock({ $0 }) {
            guard case .success(.stored(let path)) = r else { Issue.record("not stored: \(r)"); continue }
            #expect(flushed.contains(path))   // every acknowledged file went through a flush
        }
        #expect(try a.count() == 3)
    }

    @Test func aFailedFlushAcknowledgesNothingAndIndexesNothing() throws {
        let a = try archive()
        let gate = Gate()
        gate.fail = true
        a.fileSync = gate.sync
        gate.open.signal()
        #expect(throws: ArchiveError.self) { try a.importFile(try object("1.2.826.0.1.77.1.1.9")) }
        #expect(try a.count() == 0)
        // The sender's retry with a working flush indexes the instance once (from the file the failed attempt linked,
        // which it flushes first: reported as a duplicate of that file).
        a.fileSync = .fileSystem
        let retry = try a.importFile(try object("1.2.826.0.1.77.1.1.9"))
        #expect(retry == .duplicate(path: a.finalPath(for: "1.2.826.0.1.77.1.1.9").path))
        #expect(try a.count() == 1)
        #expect(try a.verify().isConsistent)
    }
}
