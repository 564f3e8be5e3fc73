import DICOM
import DICOMNetwork
import Foundation

/// The archive as a Storage Commitment Push Model SCP (PS3.4 J.3): an instance is committed when the archive holds
/// it under the same SOP Class; otherwise it fails with 0x0112 (no such object instance) or 0x0119 (class-instance
/// conflict). The result goes back on the requester's association. Results reported *to* the archive (it never
/// requests a commitment itself) are refused.
public struct ArchiveStorageCommitment: StorageCommitmentService {
    /// The archive.
    public let archive: Archive
    /// Creates the service.
    public init(archive: Archive) { self.archive = archive }

    /// Commits what the archive holds.
    public func commit(_ request: StorageCommitment.Request, from peer: DIMSEPeer) throws -> StorageCommitment.Result? {
        var held: [String: String] = [:]
        for i in try archive.instances(sopUIDs: request.references.map(\.sopInstanceUID)) {
            held[i.sopInstanceUID] = i.header.string(.sopClassUID) ?? ""
        }
        var r = StorageCommitment.Result(transactionUID: request.transactionUID, committed: [], failed: [])
        for ref in request.references {
            switch held[ref.sopInstanceUID] {
            case ref.sopClassUID?: r.committed.append(ref)
            case nil: r.failed.append(.init(reference: ref, reason: 0x0112))
            default: r.failed.append(.init(reference: ref, reason: 0x0119))
            }
        }
        return r
    }

    /// The archive requests no commitments: a reported result is refused.
    public func received(_ result: StorageCommitment.Result, from peer: DIMSEPeer) throws {
        throw ArchiveError("\(peer.callingAE) reported storage commitment \(result.transactionUID), which this archive did not request")
    }
}
