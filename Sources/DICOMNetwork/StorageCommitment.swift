import DICOM
import Foundation
import Synchronization

/// Storage Commitment Push Model (PS3.4 Annex J): the SCU asks a PACS with an N-ACTION (Action Type 1, "Request
/// Storage Commitment") to take responsibility for instances it has stored; the PACS answers with an N-EVENT-REPORT
/// (Event Type 1: all committed; 2: some failed), either on the same association or — as Orthanc does — on a new
/// association it opens to the SCU's AE title (PS3.4 J.3.3: the PACS then proposes the SCP role by role selection).
public enum StorageCommitment {
    /// Storage Commitment Push Model SOP Class.
    public static let sopClassUID = "1.2.840.10008.1.20.1"
    /// Its well-known SOP Instance (the Requested/Affected SOP Instance UID of every message).
    public static let sopInstanceUID = "1.2.840.10008.1.20.1.1"

    /// One instance named in a commitment request or result.
    public struct Reference: Sendable, Hashable, Codable {
        /// Referenced SOP Class UID (0008,1150).
        public var sopClassUID: String
        /// Referenced SOP Instance UID (0008,1155).
        public var sopInstanceUID: String
        /// Creates a reference.
        public init(sopClassUID: String, sopInstanceUID: String) { self.sopClassUID = sopClassUID; self.sopInstanceUID = sopInstanceUID }
    }

    /// An instance the PACS did not commit, with the Failure Reason (0008,1197): 0x0110 processing failure,
    /// 0x0112 no such object instance, 0x0119 class-instance conflict, 0x0131 duplicate transaction UID, 0x0122
    /// SOP class not supported, 0x0213 resource limitation (PS3.4 J.3.2.1.1.2).
    public struct Failure: Sendable, Hashable, Codable {
        /// The instance.
        public var reference: Reference
        /// Failure Reason (0008,1197).
        public var reason: UInt16
        /// Creates a failure.
        public init(reference: Reference, reason: UInt16) { self.reference = reference; self.reason = reason }
    }

    /// A request: the transaction and the instances (N-ACTION-RQ data set, PS3.4 J.3.2.1.1).
    public struct Request: Sendable, Equatable {
        /// Transaction UID (0008,1195): pairs the result with the request.
        public var transactionUID: String
        /// Referenced SOP Sequence (0008,1199).
        public var references: [Reference]
        /// Creates a request.
        public init(transactionUID: String, references: [Reference]) { self.transactionUID = transactionUID; self.references = references }

        /// The N-ACTION-RQ data set.
        public var dataset: Dataset {
            var ds = Dataset()
            ds.set(Tag(0x0008, 0x1195), .UI, transactionUID)
            ds.set(Tag(0x0008, 0x1199), sequence: references.map(StorageCommitment.item))
            return ds
        }

        /// Reads an N-ACTION-RQ data set.
        public init(dataset ds: Dataset) throws(NetworkError) {
            guard let t = ds.string(Tag(0x0008, 0x1195)) else { throw NetworkError.unexpected(peer: "", "storage commitment request without Transaction UID (0008,1195)") }
            transactionUID = t
            references = try ds.sequence(Tag(0x0008, 0x1199)).map(StorageCommitment.reference)
        }
    }

    /// A result: what the PACS committed and what it did not (N-EVENT-REPORT-RQ data set, PS3.4 J.3.2.1.2).
    public struct Result: Sendable, Equatable {
        /// Transaction UID (0008,1195) of the request.
        public var transactionUID: String
        /// Referenced SOP Sequence (0008,1199): committed instances.
        public var committed: [Reference]
        /// Failed SOP Sequence (0008,1198).
        public var failed: [Failure]
        /// Creates a result.
        public init(transactionUID: String, committed: [Reference], failed: [Failure]) {
            self.transactionUID = transactionUID; self.committed = committed; self.failed = failed
        }

        /// Event Type ID: 1 when every instance was committed, 2 when some failed.
        public var eventTypeID: UInt16 { failed.isEmpty ? 1 : 2 }

        /// The N-EVENT-REPORT-RQ data set.
        public var dataset: Dataset {
            var ds = Dataset()
            ds.set(Tag(0x0008, 0x1195), .UI, transactionUID)
            if !failed.isEmpty {
                ds.set(Tag(0x0008, 0x1198), sequence: failed.map { f in
                    var i = StorageCommitment.item(f.reference)
                    i.set(Tag(0x0008, 0x1197), .US, numbers: [Double(f.reason)])
                    return i
                })
            }
            if !committed.isEmpty { ds.set(Tag(0x0008, 0x1199), sequence: committed.map(StorageCommitment.item)) }
            return ds
        }

        /// Reads an N-EVENT-REPORT-RQ data set.
        public init(dataset ds: Dataset) throws(NetworkError) {
            guard let t = ds.string(Tag(0x0008, 0x1195)) else { throw NetworkError.unexpected(peer: "", "storage commitment result without Transaction UID (0008,1195)") }
            transactionUID = t
            committed = try ds.sequence(Tag(0x0008, 0x1199)).map(StorageCommitment.reference)
            failed = try ds.sequence(Tag(0x0008, 0x1198)).map { i throws(NetworkError) in
                Failure(reference: try StorageCommitment.reference(i), reason: UInt16(clamping: i.int(Tag(0x0008, 0x1197)) ?? 0x0110))
            }
        }
    }

    static func item(_ r: Reference) -> Dataset {
        var i = Dataset()
        i.set(Tag(0x0008, 0x1150), .UI, r.sopClassUID)
        i.set(Tag(0x0008, 0x1155), .UI, r.sopInstanceUID)
        return i
    }

    static func reference(_ i: Dataset) throws(NetworkError) -> Reference {
        guard let c = i.string(Tag(0x0008, 0x1150)), let s = i.string(Tag(0x0008, 0x1155)) else {
            throw NetworkError.unexpected(peer: "", "storage commitment item without Referenced SOP Class/Instance UID (0008,1150)/(0008,1155)")
        }
        return Reference(sopClassUID: c, sopInstanceUID: s)
    }
}

/// Storage commitment on the SCP side of ``DICOMServer``. Blocking; called on a thread pool.
public protocol StorageCommitmentService: Sendable {
    /// We are the requester (SCU role): a PACS reports the result of an earlier request on an association it opened
    /// to us. Throwing answers the N-EVENT-REPORT with a failure status (0x0110).
    func received(_ result: StorageCommitment.Result, from peer: DIMSEPeer) throws
    /// We are the PACS (SCP role): decide which of the requested instances we hold. The result goes back on the same
    /// association. Nil (the default) refuses N-ACTION (status 0x0122, SOP class not supported).
    func commit(_ request: StorageCommitment.Request, from peer: DIMSEPeer) throws -> StorageCommitment.Result?
}

extension StorageCommitmentService {
    /// Default: we do not act as a storage commitment SCP.
    public func commit(_ request: StorageCommitment.Request, from peer: DIMSEPeer) throws -> StorageCommitment.Result? { nil }
}

/// Whether a timer has fired or the event it guards has happened first.
private final class RaceFlag: Sendable {
    private let state = Atomic<Int>(0)
    /// Marks the event; false when the timer had fired first.
    func settle() -> Bool { state.compareExchange(expected: 0, desired: 1, ordering: .relaxed).exchanged }
    /// Marks the timeout; false when the event had happened first.
    func expire() -> Bool { state.compareExchange(expected: 0, desired: 2, ordering: .relaxed).exchanged }
}

extension Association {
    /// Sends the Storage Commitment N-ACTION-RQ (Action Type 1) for `request` and returns the N-ACTION-RSP
    /// (its status says whether the PACS accepted the request, not whether it committed anything).
    public func requestStorageCommitment(_ request: StorageCommitment.Request) async throws -> DIMSECommand {
        var rq = DIMSECommand(field: .nActionRQ, hasDataSet: true)
        rq.requestedSOPClassUID = StorageCommitment.sopClassUID
        rq.requestedSOPInstanceUID = StorageCommitment.sopInstanceUID
        rq.actionTypeID = 1
        let rsp = try await sendStorageCommitment(rq, dataset: request.dataset)
        guard rsp.field == .nActionRSP else { throw NetworkError.unexpected(peer: peer, "\(rsp) in answer to N-ACTION-RQ") }
        return rsp
    }

    /// Sends `rq` (given a new message ID) with `dataset` on the Storage Commitment context and returns the response.
    private func sendStorageCommitment(_ rq: DIMSECommand, dataset: Dataset) async throws -> DIMSECommand {
        guard let ctx = context(for: StorageCommitment.sopClassUID) else {
            throw NetworkError.noPresentationContext(peer: peer, sopClass: StorageCommitment.sopClassUID)
        }
        var rq = rq
        rq.messageID = messageID()
        let bytes: [UInt8]
        do { bytes = try DataSetCoding.encode(dataset, syntax: TransferSyntax(uid: ctx.transferSyntax)) } catch { throw NetworkError.dicom(error) }
        try await sender.send(rq, context: ctx.id, data: .bytes(bytes))
        return try await awaitResponse(to: rq.messageID!).0
    }

    /// Waits up to `timeout` for the PACS's N-EVENT-REPORT on this association, answers it and returns the result;
    /// nil when none came in time (the association is then released: a PACS such as Orthanc reports on a new
    /// association instead, see ``StorageCommitmentService``).
    public func awaitStorageCommitmentResult(timeout: Duration) async throws -> StorageCommitment.Result? {
        let flag = RaceFlag()
        let sender = self.sender
        let timer = Task {
            try? await Task.sleep(for: timeout)
            if !Task.isCancelled, flag.expire() { try? await sender.send(.releaseRQ) }
        }
        defer { timer.cancel() }
        while true {
            switch try await reader.nextEvent(sink: { _, _ in nil }) {
            case .message(let c, let ctxID, let data) where c.field == .nEventReportRQ:
                let ts = acceptedContexts.first { $0.id == ctxID }?.transferSyntax ?? TransferSyntax.implicitVRLittleEndian.uid
                var status = Status.success
                var result: StorageCommitment.Result? = nil
                if case .bytes(let b) = data, let ds = try? DataSetCoding.decode(b, syntax: TransferSyntax(uid: ts), source: peer) {
                    result = try? StorageCommitment.Result(dataset: ds)
                }
                if result == nil { status = Status.processingFailure }
                var rsp = DIMSECommand(field: .nEventReportRSP, hasDataSet: false)
                rsp.affectedSOPClassUID = c.affectedSOPClassUID; rsp.affectedSOPInstanceUID = c.affectedSOPInstanceUID
                rsp.messageIDBeingRespondedTo = c.messageID; rsp.eventTypeID = c.eventTypeID; rsp.status = status
                try await sender.send(rsp, context: ctxID)
                if !flag.settle() {
                    // The timer asked for release meanwhile: collect the A-RELEASE-RP.
                    setClosed()
                    while case .message = try await reader.nextEvent(sink: { _, _ in nil }) {}
                }
                guard let result else { throw NetworkError.unexpected(peer: peer, "N-EVENT-REPORT without a readable storage commitment result") }
                return result
            case .releaseRP:
                setClosed(); return nil
            case .releaseRQ:
                setClosed(); try await sender.send(.releaseRP); return nil
            case .abort(let s, let r):
                setClosed(); throw NetworkError.aborted(peer: peer, source: s, reason: r)
            case .message(let c, _, _):
                throw NetworkError.unexpected(peer: peer, "\(c) while waiting for the storage commitment result")
            case .associate:
                throw NetworkError.unexpected(peer: peer, "PDU while waiting for the storage commitment result")
            }
        }
    }
}

extension Association {
    /// Reports a storage commitment result as N-EVENT-REPORT-RQ (we are the PACS and opened this association to the
    /// requester, proposing the SCP role for the Storage Commitment Push Model, PS3.4 J.3.3). Returns the response.
    public func reportStorageCommitment(_ result: StorageCommitment.Result) async throws -> DIMSECommand {
        var rq = DIMSECommand(field: .nEventReportRQ, hasDataSet: true)
        rq.affectedSOPClassUID = StorageCommitment.sopClassUID
        rq.affectedSOPInstanceUID = StorageCommitment.sopInstanceUID
        rq.eventTypeID = result.eventTypeID
        return try await sendStorageCommitment(rq, dataset: result.dataset)
    }
}
