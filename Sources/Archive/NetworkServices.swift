import DICOM
import DICOMNetwork
import Foundation

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
        ArchiveIncoming(try archive.beginStore(sopClassUID: r.sopClassUID, sopInstanceUID: r.sopInstanceUID, transferSyntaxUID: r.transferSyntax, sourceAE: r.callingAE))
    }
}

/// One object being received into the archive.
public final class ArchiveIncoming: IncomingObject, @unchecked Sendable {
    let file: IncomingFile
    /// Wraps an archive file being received.
    public init(_ f: IncomingFile) { file = f }
    /// Appends data-set bytes.
    public func append(_ bytes: UnsafeRawBufferPointer) throws { try file.append(bytes) }
    /// Commits (fsync, parse, rename, index) and maps the outcome to a C-STORE status.
    public func commit() throws -> StoreOutcome {
        switch try file.commit() {
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
    /// Paths of the files a retrieve identifier selects.
    public func locate(model: QueryModel, identifier: Dataset) throws -> [String] {
        do { return try archive.locate(identifier: identifier, studyRoot: model == .studyRoot) } catch let e as QueryFailure { throw QueryError(status: e.status, e.message) }
    }
}
