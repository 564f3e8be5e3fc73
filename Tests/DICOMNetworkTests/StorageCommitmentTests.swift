import Archive
import DICOM
import Foundation
import Synchronization
import Testing
@testable import DICOMNetwork

/// Records the storage commitment results reported to us.
final class CommitmentRecorder: StorageCommitmentService {
    let received = Mutex<[StorageCommitment.Result]>([])
    func received(_ result: StorageCommitment.Result, from peer: DIMSEPeer) throws { received.withLock { $0.append(result) } }
}

/// An SCP with storage and storage commitment over a fresh archive.
func withCommitmentServer<R: Sendable>(service: (any StorageCommitmentService)? = nil, _ body: @Sendable (Int, Archive) async throws -> R) async throws -> R {
    Log.setLevel(0)
    let dir = tempDir("commit")
    let archive = try Archive(directory: dir)
    var c = ServerConfiguration(aeTitle: "PACS", port: 0, storage: dir)
    c.bindAddress = "127.0.0.1"
    let server = DICOMServer(configuration: c, storage: ArchiveStorage(archive: archive), queryRetrieve: nil,
                             storageCommitment: service ?? ArchiveStorageCommitment(archive: archive))
    let (stream, cont) = AsyncStream<Int>.makeStream()
    let task = Task { try await server.run(onBound: { cont.yield($0) }) }
    var it = stream.makeAsyncIterator()
    guard let bound = await it.next() else { throw NetworkError.other("server did not bind") }
    defer { server.shutdown(); task.cancel() }
    return try await body(bound, archive)
}

@Test func nActionCommandSetHasTheFieldsOfPS37InTagOrder() throws {
    var rq = DIMSECommand(field: .nActionRQ, hasDataSet: true)
    rq.requestedSOPClassUID = StorageCommitment.sopClassUID
    rq.requestedSOPInstanceUID = StorageCommitment.sopInstanceUID
    rq.messageID = 7
    rq.actionTypeID = 1
    let bytes = rq.encode()
    // Walk the elements independently of the decoder: (group, element, length) little endian.
    var tags: [UInt16] = [], values: [UInt16: [UInt8]] = [:]
    var p = 0
    while p + 8 <= bytes.count {
        let e = UInt16(bytes[p + 2]) | UInt16(bytes[p + 3]) << 8
        let n = Int(bytes[p + 4]) | Int(bytes[p + 5]) << 8
        tags.append(e); values[e] = Array(bytes[(p + 8)..<(p + 8 + n)]); p += 8 + n
    }
    #expect(p == bytes.count)
    #expect(tags == [0x0000, 0x0003, 0x0100, 0x0110, 0x0800, 0x1001, 0x1008])   // PS3.7 Table 10.3-1 order
    #expect(values[0x0100] == [0x30, 0x01])   // N-ACTION-RQ 0x0130
    #expect(values[0x1008] == [0x01, 0x00])   // Action Type ID 1: Request Storage Commitment
    #expect(String(decoding: values[0x0003]!, as: UTF8.self) == "1.2.840.10008.1.20.1")
    #expect(String(decoding: values[0x1001]!, as: UTF8.self).trimmingCharacters(in: .controlCharacters) == "1.2.840.10008.1.20.1.1")
    let back = try DIMSECommand.decode(bytes)
    #expect(back.field == .nActionRQ && back.actionTypeID == 1 && back.requestedSOPInstanceUID == StorageCommitment.sopInstanceUID)
    var ev = DIMSECommand(field: .nEventReportRQ, hasDataSet: true)
    ev.eventTypeID = 2
    #expect(try DIMSECommand.decode(ev.encode()).eventTypeID == 2)
}

@Test func storageCommitmentOnTheSameAssociation() async throws {
    let dir = tempDir("commit-src")
    let ct = try makeCT(dir: dir, patient: "P1", name: "A^B", study: "1.2.3.1", series: "1.2.3.1.1", sop: "1.2.3.1.1.1", date: "20260101")
    let result = try await withCommitmentServer { port, _ in
        var p = params(port, called: "PACS", calling: "SCINTI")
        let f = try PreparedFile.inspect(ct)
        p.contexts = proposals(for: [f]) + [(StorageCommitment.sopClassUID, uncompressedSyntaxes)]
        return try await Association.withAssociation(p) { a in
            #expect(try await a.store(f).status == Status.success)
            let rq = StorageCommitment.Request(transactionUID: "1.2.3.99", references: [
                .init(sopClassUID: f.sopClassUID, sopInstanceUID: f.sopInstanceUID),
                .init(sopClassUID: f.sopClassUID, sopInstanceUID: "1.2.3.404")])
            #expect(try await a.requestStorageCommitment(rq).status == Status.success)
            return try await a.awaitStorageCommitmentResult(timeout: .seconds(5))
        }
    }
    #expect(result?.transactionUID == "1.2.3.99")
    #expect(result?.committed.map(\.sopInstanceUID) == ["1.2.3.1.1.1"])
    #expect(result?.failed.map(\.reference.sopInstanceUID) == ["1.2.3.404"])
    #expect(result?.failed.first?.reason == 0x0112)
    #expect(result?.eventTypeID == 2)
}

@Test func aResultReportedOnANewAssociationReachesTheService() async throws {
    let service = CommitmentRecorder()
    let received = try await withCommitmentServer(service: service) { port, _ in
        var p = params(port, called: "PACS", calling: "ORTHANC")
        p.contexts = [(StorageCommitment.sopClassUID, uncompressedSyntaxes)]
        p.roles = [RoleSelection(sopClass: StorageCommitment.sopClassUID, scuRole: false, scpRole: true)]
        let r = StorageCommitment.Result(transactionUID: "1.2.3.98", committed: [.init(sopClassUID: "1.2.840.10008.5.1.4.1.1.88.22", sopInstanceUID: "1.2.3.5")], failed: [])
        let rsp = try await Association.withAssociation(p) { try await $0.reportStorageCommitment(r) }
        #expect(rsp.field == .nEventReportRSP && rsp.status == Status.success && rsp.eventTypeID == 1)
        return service.received.withLock { $0 }
    }
    #expect(received.map(\.transactionUID) == ["1.2.3.98"])
    #expect(received.first?.committed.first?.sopInstanceUID == "1.2.3.5")
}

@Test func noReportOnTheSameAssociationTimesOutAndReleases() async throws {
    // A PACS without a same-association report (here: one that only answers N-ACTION): nil after the wait, no error.
    try await withServer { port, _ in
        var p = params(port)
        p.contexts = [(NetworkUID.verification, uncompressedSyntaxes)]
        let r: StorageCommitment.Result? = try await Association.withAssociation(p) { a in
            try await a.awaitStorageCommitmentResult(timeout: .milliseconds(200))
        }
        #expect(r == nil)
    }
}
