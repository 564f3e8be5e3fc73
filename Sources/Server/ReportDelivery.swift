import Archive
import DICOM
import DICOMNetwork
import Foundation

/// A PACS that receives every report document (`scinti serve --pacs AET@HOST:PORT`).
public struct PACSDestination: Sendable, Equatable {
    /// The PACS's AE title.
    public var aeTitle: String
    /// Host.
    public var host: String
    /// Port.
    public var port: Int
    /// DICOM over TLS settings (nil: plain TCP).
    public var tls: TLSSettings?
    /// `AET@host:port`: the outbox's destination column.
    public var name: String { "\(aeTitle)@\(host):\(port)" }

    /// Creates a destination.
    public init(aeTitle: String, host: String, port: Int, tls: TLSSettings? = nil) {
        self.aeTitle = aeTitle; self.host = host; self.port = port; self.tls = tls
    }

    /// Parses `AET@HOST:PORT`; the error names what is wrong.
    public init(parsing s: String) throws(ArchiveError) {
        guard let at = s.firstIndex(of: "@"), let colon = s.lastIndex(of: ":"), at < colon else {
            throw ArchiveError("PACS destination '\(s.prefix(80))': expected AET@HOST:PORT")
        }
        let ae = String(s[..<at]), host = String(s[s.index(after: at)..<colon])
        guard (1...16).contains(ae.count), ae.allSatisfy({ $0.isASCII && $0 != "\\" && !$0.isNewline }), ae.trimmingCharacters(in: .whitespaces) == ae else {
            throw ArchiveError("PACS destination '\(s.prefix(80))': the AE title must be 1–16 ASCII characters without leading/trailing spaces or backslash")
        }
        guard !host.isEmpty else { throw ArchiveError("PACS destination '\(s.prefix(80))': no host") }
        guard let port = Int(s[s.index(after: colon)...]), (1...65535).contains(port) else {
            throw ArchiveError("PACS destination '\(s.prefix(80))': the port must be 1…65535")
        }
        self.init(aeTitle: ae, host: host, port: port)
    }
}

/// Delivers the report documents of the archive to PACS destinations through the outbox (``Archive/OutboxEntry``):
/// C-STORE on an association that also carries Storage Commitment Push Model, then an N-ACTION naming the stored
/// instances under a new Transaction UID. A document counts as delivered (`committed`) only when the PACS's
/// N-EVENT-REPORT says so — on the same association (waited for ``Configuration/sameAssociationWait``) or on one the
/// PACS opens to our SCP (`scinti serve --dimse-port`, which hands it to ``received(_:from:)``; Orthanc does this,
/// to the AE of its `DicomModalities` entry). Failures (no connection, C-STORE failure, N-ACTION refused, failed
/// SOP items, no report within ``Configuration/commitTimeout``) are recorded in the row and retried with exponential
/// back-off; every row lives in the database, so a restart resumes where the last run stopped.
public final class ReportDelivery: StorageCommitmentService, Sendable {
    /// Delivery settings.
    public struct Configuration: Sendable {
        /// Destinations; every document goes to each.
        public var destinations: [PACSDestination]
        /// Our AE title (the calling AE; the PACS must know it to report the commitment on a new association).
        public var callingAE: String
        /// First retry delay in seconds; each further failure doubles it.
        public var retryBase: Double = 30
        /// Longest retry delay in seconds.
        public var retryMax: Double = 3600
        /// Seconds a `sent` document waits for its storage commitment before it counts as failed and is sent again.
        public var commitTimeout: Double = 600
        /// Seconds to wait for the N-EVENT-REPORT on the association that carried the N-ACTION before releasing it.
        public var sameAssociationWait: Double = 1
        /// Seconds between outbox scans (new documents are picked up within this time).
        public var pollInterval: Double = 2
        /// Seconds a claimed row (state `sending`) stays this server's before it is due again for any server (this
        /// one died between claiming and recording the C-STORE's outcome).
        public var claimLease: Double = 600
        /// Creates settings.
        public init(destinations: [PACSDestination], callingAE: String) { self.destinations = destinations; self.callingAE = callingAE }
    }

    /// The archive whose outbox is worked.
    public let archive: Archive
    /// The settings.
    public let configuration: Configuration

    /// Creates a delivery worker (``start()`` runs it).
    public init(archive: Archive, configuration: Configuration) {
        self.archive = archive; self.configuration = configuration
    }

    /// When a row that has failed `attempts` times is due again: `retryBase · 2^(attempts−1)`, at most `retryMax`.
    public func retryDate(attempts: Int, from now: Date = Date()) -> Date {
        let delay = min(configuration.retryMax, configuration.retryBase * pow(2, Double(max(0, attempts - 1))))
        return now.addingTimeInterval(delay)
    }

    /// Runs the outbox until the task is cancelled.
    @discardableResult
    public func start() -> Task<Void, Never> {
        Task {
            while !Task.isCancelled {
                await runOnce()
                try? await Task.sleep(for: .milliseconds(Int(configuration.pollInterval * 1000)))
            }
        }
    }

    /// One pass over every destination: queue new documents, time out overdue commitments, send what is due.
    public func runOnce() async {
        for d in configuration.destinations {
            do {
                try archive.enqueueResultDocuments(destination: d.name)
                for e in try archive.overdueCommitments(destination: d.name, before: Date().addingTimeInterval(-configuration.commitTimeout)) {
                    try archive.markOutboxFailed(e.sopInstanceUID, destination: d.name,
                                                 error: "no storage commitment from \(d.aeTitle) within \(Int(configuration.commitTimeout)) s (transaction \(e.transactionUID ?? "?"))",
                                                 nextAttempt: retryDate(attempts: e.attempts), countAttempt: false)
                }
                while true {
                    // Claimed, not just read: another server delivering the same outbox skips these rows.
                    let due = try archive.claimDueOutboxEntries(destination: d.name, limit: 100, lease: configuration.claimLease)
                    if due.isEmpty { break }
                    await deliver(due, to: d)
                    if due.count < 100 { break }
                }
            } catch {
                Log.info("outbox \(d.name): \(error)")
            }
        }
    }

    /// Sends `entries` on one association: C-STORE each, then one storage commitment request for those stored.
    func deliver(_ entries: [Archive.OutboxEntry], to d: PACSDestination) async {
        var finished = Set<String>()
        func fail(_ e: Archive.OutboxEntry, _ why: String, counted: Bool = true) {
            finished.insert(e.sopInstanceUID)
            try? archive.markOutboxFailed(e.sopInstanceUID, destination: d.name, error: why,
                                          nextAttempt: retryDate(attempts: e.attempts + (counted ? 1 : 0)), countAttempt: counted)
        }
        var files: [PreparedFile] = []
        var byUID: [String: Archive.OutboxEntry] = [:]
        for e in entries {
            var path = e.path
            if path.isEmpty || !FileManager.default.fileExists(atPath: path) {
                path = (try? archive.instances(sopUIDs: [e.sopInstanceUID]).first?.path) ?? ""
            }
            do { files.append(try PreparedFile.inspect(path)); byUID[e.sopInstanceUID] = e } catch {
                fail(e, "cannot read the document \(path.isEmpty ? "(not in the archive)" : path): \(error)")
            }
        }
        guard !files.isEmpty else { return }
        var p = AssociationParameters(host: d.host, port: d.port, callingAE: configuration.callingAE, calledAE: d.aeTitle)
        p.contexts = proposals(for: files) + [(StorageCommitment.sopClassUID, uncompressedSyntaxes)]
        p.options.tls = d.tls
        p.options.connectTimeout = .seconds(10)
        var sent: [String] = []
        var actionAnswered = false
        do {
            try await Association.withAssociation(p) { a in
                var stored: [PreparedFile] = []
                try await a.store(files) { f, result in
                    guard let e = byUID[f.sopInstanceUID] else { return true }
                    switch result {
                    case .success(let rsp):
                        let st = rsp.status ?? Status.processingFailure
                        if Status.category(st) == "success" || Status.category(st) == "warning" { stored.append(f) } else {
                            fail(e, "C-STORE to \(d.aeTitle) failed: status 0x\(String(st, radix: 16, uppercase: true))\(rsp.errorComment.map { " (\($0))" } ?? "")")
                        }
                    case .failure(let err): fail(e, "C-STORE to \(d.aeTitle): \(err)")
                    }
                    return true
                }
                guard !stored.isEmpty else { return }
                let request = StorageCommitment.Request(transactionUID: UIDGenerator.newUID(),
                                                        references: stored.map { .init(sopClassUID: $0.sopClassUID, sopInstanceUID: $0.sopInstanceUID) })
                // Recorded before the N-ACTION: a PACS may report on another association before this one is released.
                sent = stored.map(\.sopInstanceUID)
                try archive.markOutboxSent(sent, destination: d.name, transactionUID: request.transactionUID)
                for u in sent { finished.insert(u) }
                let rsp = try await a.requestStorageCommitment(request)
                actionAnswered = true
                guard rsp.status == Status.success else {
                    for u in sent { if let e = byUID[u] { fail(e, "storage commitment request refused by \(d.aeTitle): status 0x\(String(rsp.status ?? 0, radix: 16, uppercase: true))\(rsp.errorComment.map { " (\($0))" } ?? "")", counted: false) } }
                    return
                }
                Log.info("outbox \(d.name): \(sent.count) document(s) stored, storage commitment \(request.transactionUID) requested")
                if configuration.sameAssociationWait > 0,
                   let result = try await a.awaitStorageCommitmentResult(timeout: .milliseconds(Int(configuration.sameAssociationWait * 1000))) {
                    try received(result, from: DIMSEPeer(callingAE: d.aeTitle, calledAE: configuration.callingAE, address: a.peer))
                }
            }
        } catch {
            let why: String
            if let n = error as? NetworkError, case .noPresentationContext = n {
                why = "\(d.aeTitle) does not accept Storage Commitment Push Model: \(error)"
            } else { why = "\(d.name): \(error)" }
            for e in entries where !finished.contains(e.sopInstanceUID) { fail(e, why) }
            // Stored, but the commitment request did not get through: retried (a late report still counts).
            if !actionAnswered {
                for u in sent { if let e = byUID[u] { fail(e, "storage commitment request to \(d.aeTitle) failed: \(error)", counted: false) } }
            }
        }
    }

    /// A PACS reports a storage commitment result: committed documents are delivered; failed ones are retried.
    public func received(_ result: StorageCommitment.Result, from peer: DIMSEPeer) throws {
        let reasons: [UInt16: String] = [0x0110: "processing failure", 0x0112: "no such object instance", 0x0119: "class-instance conflict",
                                         0x0122: "SOP class not supported", 0x0131: "duplicate transaction UID", 0x0213: "resource limitation"]
        let n = try archive.recordCommitment(
            transactionUID: result.transactionUID, committed: result.committed.map(\.sopInstanceUID),
            failed: result.failed.map { f in
                (f.reference.sopInstanceUID, "\(peer.callingAE) did not commit the document: failure reason 0x\(String(f.reason, radix: 16, uppercase: true)) (\(reasons[f.reason] ?? "unknown"))")
            },
            retryAt: { retryDate(attempts: $0) })
        Log.info("outbox: storage commitment \(result.transactionUID) from \(peer.callingAE): \(result.committed.count) committed, \(result.failed.count) failed, \(n) row(s) updated")
    }
}
