import Archive
import DICOM
import DICOMNetwork
import Foundation
import Testing

@testable import Server

/// The PACS outbox against a real DIMSE peer in-process: an SCP over its own archive that answers Storage Commitment
/// from what it holds (``ArchiveStorageCommitment``), reporting on the same association.
@Suite struct ReportDeliveryTests {
    /// Runs a PACS on `port` (0: any) for the duration of `body`; returns the bound port through `body`.
    func withPACS<R: Sendable>(port: Int = 0, _ body: @Sendable (Int, Archive) async throws -> R) async throws -> R {
        DICOMNetwork.Log.setLevel(0)
        let dir = NSTemporaryDirectory() + "scinti-pacs-\(UUID().uuidString)"
        let archive = try Archive(directory: dir)
        var c = ServerConfiguration(aeTitle: "PACS", port: port, storage: dir)
        c.bindAddress = "127.0.0.1"
        let server = DICOMServer(configuration: c, storage: ArchiveStorage(archive: archive), queryRetrieve: nil,
                                 storageCommitment: ArchiveStorageCommitment(archive: archive))
        let (stream, cont) = AsyncStream<Int>.makeStream()
        let task = Task { try await server.run(onBound: { cont.yield($0) }) }
        var it = stream.makeAsyncIterator()
        guard let bound = await it.next() else { throw NetworkError.other("PACS did not bind") }
        defer { server.shutdown(); task.cancel() }
        return try await body(bound, archive)
    }

    /// Our archive with one report document (an instance recorded as the SR of job `job-1`).
    func ours() throws -> (Archive, String) {
        let dir = NSTemporaryDirectory() + "scinti-outbox-\(UUID().uuidString)"
        let archive = try Archive(directory: dir)
        let (uid, bytes) = Fixture.instance(1, series: Fixture.seriesA, modality: "SR")
        let path = dir + "/doc.dcm"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        _ = try archive.importFile(path)
        try archive.insertResultDocument(.init(sopInstanceUID: uid, sopClassUID: "1.2.840.10008.5.1.4.1.1.2", kind: "sr", resultID: "job-1",
                                               studyUID: Fixture.study, sourceSeries: Fixture.seriesA, title: "t", created: Archive.timestamp(Date())))
        return (archive, uid)
    }

    /// Two delivery workers on one outbox: a row claimed by one (state `sending`) is not handed to the other until
    /// the claim runs out (the first died), then exactly one of them gets it again.
    @Test func aClaimedRowGoesToOneWorkerUntilItsClaimRunsOut() throws {
        let (archive, uid) = try ours()
        let dest = "PACS@127.0.0.1:104"
        #expect(try archive.enqueueResultDocuments(destination: dest) == 1)
        #expect(try archive.enqueueResultDocuments(destination: dest) == 0)
        let now = Date()
        let first = try archive.claimDueOutboxEntries(destination: dest, now: now, limit: 10, lease: 60)
        #expect(first.map(\.sopInstanceUID) == [uid])
        #expect(try archive.claimDueOutboxEntries(destination: dest, now: now.addingTimeInterval(1), limit: 10, lease: 60).isEmpty)
        #expect(try archive.outboxSummary() == ["sending": 1])
        // The claim ran out: due again, for one claimer.
        let later = now.addingTimeInterval(61)
        #expect(try archive.claimDueOutboxEntries(destination: dest, now: later, limit: 10, lease: 60).map(\.sopInstanceUID) == [uid])
        #expect(try archive.claimDueOutboxEntries(destination: dest, now: later, limit: 10, lease: 60).isEmpty)
        // The outcome is recorded as before.
        try archive.markOutboxSent([uid], destination: dest, transactionUID: "1.2.3")
        #expect(try archive.outboxSummary() == ["sent": 1])
    }

    @Test func committedOnlyAfterTheReportAndRetriedWithBackOffAcrossARestart() async throws {
        let (archive, uid) = try ours()
        // A free port: bind a PACS, note its port, stop it.
        let port = try await withPACS { p, _ in p }
        var config = ReportDelivery.Configuration(destinations: [PACSDestination(aeTitle: "PACS", host: "127.0.0.1", port: port)], callingAE: "SCINTI")
        config.retryBase = 0.2; config.retryMax = 0.4
        // PACS down: the row fails with the reason, one attempt, due again after retryBase.
        let before = Date()
        await ReportDelivery(archive: archive, configuration: config).runOnce()
        var rows = try archive.outboxEntries(resultID: "job-1")
        #expect(rows.count == 1)
        #expect(rows.first?.state == "failed" && rows.first?.attempts == 1)
        #expect(rows.first?.lastError?.contains("PACS@127.0.0.1:\(port)") == true)
        let due = Date(timeIntervalSince1970: try #require(parseISO(rows.first!.nextAttempt)))
        #expect(abs(due.timeIntervalSince(before) - 0.2) < 1.0)
        // Not yet due: nothing happens before the back-off has passed (second failure → 0.4 s).
        #expect(try archive.dueOutboxEntries(destination: config.destinations[0].name, now: before).isEmpty)
        // A new worker on the same archive (a restart) with the PACS back: delivered and committed.
        try await Task.sleep(for: .milliseconds(300))
        let settings = config
        let held = try await withPACS(port: port) { _, pacs throws -> Int in
            await ReportDelivery(archive: archive, configuration: settings).runOnce()
            return try pacs.instances(sopUIDs: [uid]).count
        }
        #expect(held == 1)
        rows = try archive.outboxEntries(resultID: "job-1")
        #expect(rows.first?.state == "committed")
        #expect(rows.first?.attempts == 2)
        #expect(rows.first?.committedAt != nil && rows.first?.transactionUID != nil && rows.first?.lastError == nil)
        #expect(try archive.outboxSummary() == ["committed": 1])
    }

    @Test func aDocumentThePACSDoesNotCommitIsRetried() throws {
        let (archive, uid) = try ours()
        let d = ReportDelivery(archive: archive, configuration: .init(destinations: [PACSDestination(aeTitle: "PACS", host: "127.0.0.1", port: 1)], callingAE: "SCINTI"))
        try archive.enqueueResultDocuments(destination: "PACS@127.0.0.1:1")
        try archive.markOutboxSent([uid], destination: "PACS@127.0.0.1:1", transactionUID: "1.2.3.4")
        try d.received(.init(transactionUID: "1.2.3.4", committed: [], failed: [.init(reference: .init(sopClassUID: "1.2.840.10008.5.1.4.1.1.2", sopInstanceUID: uid), reason: 0x0112)]),
                       from: DIMSEPeer(callingAE: "PACS", calledAE: "SCINTI", address: "x"))
        let row = try #require(try archive.outboxEntries().first)
        #expect(row.state == "failed")
        #expect(row.lastError?.contains("0x112 (no such object instance)") == true)
        // A report for another transaction changes nothing.
        try d.received(.init(transactionUID: "9.9", committed: [.init(sopClassUID: "1.2.840.10008.5.1.4.1.1.2", sopInstanceUID: uid)], failed: []),
                       from: DIMSEPeer(callingAE: "PACS", calledAE: "SCINTI", address: "x"))
        #expect(try archive.outboxEntries().first?.state == "failed")
    }

    @Test func destinationsAreParsedOrRejectedWithTheReason() throws {
        let d = try PACSDestination(parsing: "ORTHANC@127.0.0.1:4242")
        #expect(d.aeTitle == "ORTHANC" && d.host == "127.0.0.1" && d.port == 4242 && d.name == "ORTHANC@127.0.0.1:4242")
        for bad in ["ORTHANC", "@h:1", "A@h:0", "A@h:x", "ABCDEFGHIJKLMNOPQ@h:1", "A@:1"] {
            #expect(throws: ArchiveError.self) { try PACSDestination(parsing: bad) }
        }
    }

    func parseISO(_ s: String) -> Double? {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return f.date(from: s)?.timeIntervalSince1970
    }
}
