import DICOM
import Foundation
import Synchronization
import Testing
@testable import Archive

private func folder() -> String {
    let d = NSTemporaryDirectory() + "scinti-index-\(UUID().uuidString)"
    try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
    return d
}

private func object(_ sop: String, in dir: String) throws -> String {
    var ds = Dataset()
    ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
    ds.set(.sopInstanceUID, .UI, sop)
    ds.set(.studyInstanceUID, .UI, "1.2.826.0.1.99")
    ds.set(.seriesInstanceUID, .UI, "1.2.826.0.1.99.1")
    ds.set(.patientID, .LO, "IDX")
    ds.set(.modality, .CS, "OT")
    let path = dir + "/\(sop).dcm"
    try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian), to: path)
    return path
}

@Suite struct ArchiveIndexTests {
    /// Two archive objects ("nodes", each with its own in-process lock) on one folder and one index file
    /// (`--database sqlite:PATH`) store the same 40 instances from 8 threads at once: every instance is stored
    /// exactly once (one `.stored` per UID, every other attempt a duplicate), the index has 40 rows, data/ 40 files.
    @Test func twoNodesStoringTheSameInstancesAtOnceKeepOneCopyEach() throws {
        let dir = folder(), src = folder()
        let index = try SQLiteIndex(path: dir + "/shared-index.sqlite")
        let nodes = [try Archive(directory: dir, index: index), try Archive(directory: dir, index: index)]
        let uids = (1...40).map { "1.2.826.0.1.99.1.\($0)" }
        let files = try uids.map { try object($0, in: src) }
        let stored = Mutex<[String: Int]>([:]), failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for (k, f) in files.enumerated().shuffled() {
                do {
                    if case .stored = try nodes[t % 2].importFile(f) { stored.withLock { $0[uids[k], default: 0] += 1 } }
                } catch { failures.withLock { $0.append("\(error)") } }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        #expect(stored.withLock { $0 } == Dictionary(uniqueKeysWithValues: uids.map { ($0, 1) }))
        #expect(try index.count() == 40)
        #expect(try nodes[0].instances(studyUIDs: ["1.2.826.0.1.99"]).count == 40)
        #expect(try nodes[1].verify().isConsistent)
        #expect(index.location == "sqlite:" + dir + "/shared-index.sqlite")
    }

    /// The group commit: 8 threads store 64 distinct instances (and 16 of them again) through the network path
    /// (an audit record per store): every store's outcome is its own — 64 `.stored`, 16 duplicates —, the index has
    /// 64 rows, the audit trail exactly one record per store with its outcome and the study/series/patient keys of
    /// its data set, and the archive is consistent.
    @Test func concurrentStoresShareCommitsButKeepTheirOwnOutcomeAndAuditRecord() throws {
        let dir = folder(), src = folder()
        let archive = try Archive(directory: dir)
        let uids = (1...64).map { "1.2.826.0.1.99.3.\($0)" }
        let files = try uids.map { try object($0, in: src) }
        let work = files + files.prefix(16)
        let outcomes = Mutex<[String: [String]]>([:]), failures = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { t in
            for k in stride(from: t, to: work.count, by: 8) {
                do {
                    let f = try DICOMFile.read(path: work[k])
                    let bytes = try Data(contentsOf: URL(fileURLWithPath: work[k]))
                    let off = Part10Header.dataSetOffset([UInt8](bytes.prefix(144)), size: bytes.count)!
                    let uid = f.dataset.string(.sopInstanceUID)!
                    let inc = try archive.beginStore(sopClassUID: f.sopClassUID!, sopInstanceUID: uid,
                                                     transferSyntaxUID: f.transferSyntax.uid, sourceAE: "SENDER\(t)")
                    inc.audit = AuditRecord(actor: "SENDER\(t)", actorKind: .dicom, action: .store, outcome: "success", instanceUID: uid)
                    try bytes.withUnsafeBytes { try inc.append(UnsafeRawBufferPointer(rebasing: $0[off...])) }
                    let r = try inc.commit()
                    outcomes.withLock { $0[uid, default: []].append({ if case .stored = r { return "stored" }; return "\(r)" }()) }
                } catch { failures.withLock { $0.append("\(error)") } }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        let o = outcomes.withLock { $0 }
        #expect(o.values.filter { $0.filter { $0 == "stored" }.count == 1 }.count == 64)
        #expect(o.values.map(\.count).reduce(0, +) == 80)
        #expect(try archive.count() == 64)
        let audit = try archive.auditRecords(AuditQuery()).filter { $0.action == .store }
        #expect(audit.count == 80)
        #expect(audit.filter { $0.detail == "C-STORE stored" }.count == 64)
        #expect(audit.filter { $0.detail == "C-STORE duplicate (first copy kept)" }.count == 16)
        #expect(audit.allSatisfy { $0.studyUID == "1.2.826.0.1.99" && $0.seriesUID == "1.2.826.0.1.99.1" && $0.patientID == "IDX" })
        #expect(Set(audit.compactMap(\.instanceUID)) == Set(uids))
        #expect(try archive.verify().isConsistent)
    }

    /// A file linked into data/ by another node whose index commit has not happened: storing the same instance
    /// indexes the file that is there and reports a duplicate; the other node's commit then finds its row.
    @Test func aFileLinkedButNotIndexedIsIndexedByTheNextStore() throws {
        let dir = folder(), src = folder()
        let archive = try Archive(directory: dir)
        let f = try object("1.2.826.0.1.99.2.1", in: src)
        let (sub, final) = archive.finalPath(for: "1.2.826.0.1.99.2.1")
        try FileManager.default.createDirectory(atPath: sub, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: f, toPath: final)
        #expect(try archive.importFile(f) == .duplicate(path: final))
        #expect(try archive.count() == 1)
        #expect(try archive.index.insert(IndexRow(sopInstanceUID: "1.2.826.0.1.99.2.1", sopClassUID: "", seriesUID: "", studyUID: "", patientID: "",
                                                   path: final, transferSyntax: "", size: 0, receivedAt: "", sourceAE: nil, header: Data())) == final)
        #expect(try archive.verify().isConsistent)
    }

    /// The SQLite job store hands each queued job to one claimer, oldest first, even with 6 threads claiming.
    @Test func eachJobIsClaimedOnce() throws {
        let store = try SQLiteJobStore(path: folder() + "/jobs.sqlite")
        for k in 0..<5 {
            try store.insert(JobRecord(id: "job-\(k)", type: "recon", state: "queued", progress: 0, message: "queued", request: "{}",
                                       result: nil, created: "2026-12-06T10:00:0\(k)Z"))
        }
        let claimed = Mutex<[String]>([])
        DispatchQueue.concurrentPerform(iterations: 6) { t in
            while let j = try? store.claim(worker: "w\(t)", lease: 30) { claimed.withLock { $0.append(j.id) } }
        }
        #expect(claimed.withLock { $0 }.sorted() == (0..<5).map { "job-\($0)" })
        #expect(try store.list().allSatisfy { $0.state == "running" })
        #expect(try store.unfinished().count == 5)
    }
}
