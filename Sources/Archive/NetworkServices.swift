import DICOM
import DICOMNetwork
import Foundation
import GRDB

// The archive as the storage and query/retrieve services of a DICOM server (used by `scinti pacs listen`).

/// Storage over the archive. Duplicate policy: the first copy is kept and the duplicate is acknowledged with
/// Success (so a sender retrying after a lost acknowledgement succeeds), with a log line.
public struct ArchiveStorage: StorageService {
    /// The archive stored into.
    public let archive: Archive
    /// Creates the service.
    public init(archive: Archive) { self.archive = archive }
    /// Starts receiving one object into the archive.
    public func beginStore(_ r: StoreRequest) throws -> any IncomingObject {
        ArchiveIncoming(try archive.beginStore(sopClassUID: r.sopClassUID, sopInstanceUID: r.sopInstanceUID, transferSyntaxUID: r.transferSyntax, sourceAE: r.callingAE),
                        peer: DIMSEPeer(callingAE: r.callingAE, calledAE: r.calledAE, address: r.peer))
    }
}

/// One object being received into the archive.
public final class ArchiveIncoming: IncomingObject, @unchecked Sendable {
    let file: IncomingFile
    let peer: DIMSEPeer?
    /// Wraps an archive file being received from `peer` (recorded in the audit trail when given).
    public init(_ f: IncomingFile, peer: DIMSEPeer? = nil) { file = f; self.peer = peer }
    /// Appends data-set bytes.
    public func append(_ bytes: UnsafeRawBufferPointer) throws { try file.append(bytes) }
    /// Commits (link, flush with the batch, index) and maps the outcome to a C-STORE status.
    public func commit() throws -> StoreOutcome {
        audit()
        return outcome(try file.commit())
    }
    /// As ``commit()``, holding no thread while its batch is made durable.
    public func commitAsync() async throws -> StoreOutcome {
        audit()
        return outcome(try await file.commitDurably())
    }
    /// The audit record is appended in the same batch as the index row (Archive+GroupCommit.swift).
    private func audit() {
        guard let peer else { return }
        var r = AuditRecord(dimse: peer, action: .store, outcome: "success", identifier: nil, detail: nil)
        r.instanceUID = file.sopInstanceUID
        file.audit = r
    }
    private func outcome(_ result: StoreResult) -> StoreOutcome {
        switch result {
        case .stored: return StoreOutcome(status: Status.success)
        case .duplicate(let path):
            Log.warning("duplicate SOP Instance UID \(file.sopInstanceUID): first copy kept (\(path))")
            return StoreOutcome(status: Status.success, comment: "duplicate; first copy kept")
        case .rejected(let why): return StoreOutcome(status: Status.unableToProcess, comment: why)
        }
    }
    /// Drops a partial object.
    public func discard() { file.discard() }
}

/// C-FIND/C-MOVE/C-GET over the archive index.
public struct ArchiveQueryRetrieve: QueryRetrieveService {
    /// The archive queried.
    public let archive: Archive
    /// Creates the service.
    public init(archive: Archive) { self.archive = archive }
    /// Matching data sets for a query identifier.
    public func find(model: QueryModel, identifier: Dataset) throws -> [Dataset] {
        try find(model: model, identifier: identifier, options: FindOptions())
    }
    /// Matching data sets, with the negotiated options (combined date-time matching).
    public func find(model: QueryModel, identifier: Dataset, options: FindOptions) throws -> [Dataset] {
        do {
            return try archive.find(identifier: identifier, studyRoot: model == .studyRoot, combinedDateTime: options.combinedDateTime)
        } catch let e as QueryFailure { throw QueryError(status: e.status, e.message) }
    }
    /// C-FIND, recorded in the audit trail with the calling AE title as the actor.
    public func find(model: QueryModel, identifier: Dataset, options: FindOptions, peer: DIMSEPeer) throws -> [Dataset] {
        let r = Result { try find(model: model, identifier: identifier, options: options) }
        try archive.appendAudit(AuditRecord(dimse: peer, action: .query, outcome: (try? r.get()) == nil ? "failure" : "success",
                                            identifier: identifier, detail: "C-FIND \(identifier.string(Tag(0x0008, 0x0052)) ?? "?"): \((try? r.get())?.count ?? 0) match(es)"))
        return try r.get()
    }
    /// C-MOVE/C-GET, recorded in the audit trail with the calling AE title as the actor.
    public func locate(model: QueryModel, identifier: Dataset, peer: DIMSEPeer, operation: String) throws -> [String] {
        let r = Result { try locate(model: model, identifier: identifier) }
        try archive.appendAudit(AuditRecord(dimse: peer, action: .retrieve, outcome: (try? r.get()) == nil ? "failure" : "success",
                                            identifier: identifier, detail: "\(operation): \((try? r.get())?.count ?? 0) instance(s)"))
        return try r.get()
    }
    /// Paths of the files a retrieve identifier selects.
    public func locate(model: QueryModel, identifier: Dataset) throws -> [String] {
        do { return try archive.locate(identifier: identifier, studyRoot: model == .studyRoot) } catch let e as QueryFailure { throw QueryError(status: e.status, e.message) }
    }
}

extension AuditRecord {
    /// A record of a DICOM association's request: the calling AE title is the actor, the peer's address and our AE
    /// title the source; the UIDs and Patient ID come from the identifier.
    public init(dimse peer: DIMSEPeer, action: AuditAction, outcome: String, identifier: Dataset?, detail: String?) {
        func uid(_ t: Tag) -> String? { identifier?.string(t).flatMap { $0.contains("\\") || $0.contains("*") || $0.isEmpty ? nil : $0 } }
        self.init(actor: peer.callingAE, actorKind: .dicom, source: "\(peer.address) → \(peer.calledAE)", action: action, outcome: outcome,
                  patientID: uid(.patientID), studyUID: uid(.studyInstanceUID), seriesUID: uid(.seriesInstanceUID),
                  instanceUID: uid(.sopInstanceUID), detail: detail)
    }
}
