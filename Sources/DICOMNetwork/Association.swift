import DICOM
import Foundation
import NIOCore
import NIOPosix

/// Transfer syntaxes this implementation reads and writes natively (uncompressed), in our order of preference.
public let uncompressedSyntaxes: [String] = [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid]

/// What an SCU asks for when opening an association.
public struct AssociationParameters: Sendable {
    /// Peer host name or address.
    public var host: String
    /// Peer port.
    public var port: Int
    /// Our AE title.
    public var callingAE: String
    /// The peer's AE title.
    public var calledAE: String
    /// Presentation contexts (IDs are assigned in order: 1, 3, 5, …).
    public var contexts: [(abstractSyntax: String, transferSyntaxes: [String])] = []
    /// SCP/SCU role selection items (C-GET: we are SCP for the storage classes).
    public var roles: [RoleSelection] = []
    /// Optional user identity.
    public var userIdentity: UserIdentity?
    /// SOP Class Extended Negotiation items to propose (e.g. combined date-time matching for C-FIND: info
    /// `[0, 1]`).
    public var extendedNegotiation: [(sopClass: String, info: [UInt8])] = []
    /// Timeouts and PDU size.
    public var options = ConnectionOptions()
    /// Creates parameters.
    public init(host: String, port: Int, callingAE: String, calledAE: String) {
        self.host = host; self.port = port; self.callingAE = callingAE; self.calledAE = calledAE
    }
}

/// A preview of a file to send: its identity and where its data set lies in the file.
public struct PreparedFile: Sendable {
    /// Path.
    public var path: String
    /// SOP Class UID.
    public var sopClassUID: String
    /// SOP Instance UID.
    public var sopInstanceUID: String
    /// Transfer syntax of the stored data set.
    public var transferSyntax: TransferSyntax
    /// Byte offset of the data set in the file (nil when the file has no Part 10 meta group length).
    public var dataOffset: Int?
    /// Byte length of the data set.
    public var dataLength: Int

    /// Reads a file's header (memory-mapped, pixel data not touched).
    public static func inspect(_ path: String) throws(DICOMError) -> PreparedFile {
        let f = try DICOMFile.read(path: path, options: ReadOptions(stopBeforePixels: true))
        guard let sopClass = f.sopClassUID, let sopInstance = f.dataset.string(.sopInstanceUID) ?? f.meta.string(.mediaStorageSOPInstanceUID) else {
            throw DICOMError(.missingAttribute, file: path, tag: .sopInstanceUID, "no SOP Class/Instance UID: not a storable object")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var offset: Int? = nil
        if let h = FileHandle(forReadingAtPath: path) {
            defer { try? h.close() }
            let head = [UInt8](h.readData(ofLength: 144))
            if head.count == 144, head[128] == 0x44, head[129] == 0x49, head[130] == 0x43, head[131] == 0x4D,
               head[132] == 2, head[133] == 0, head[134] == 0, head[135] == 0 {
                let gl = Int(UInt32(head[140]) | UInt32(head[141]) << 8 | UInt32(head[142]) << 16 | UInt32(head[143]) << 24)
                if 144 + gl <= size { offset = 144 + gl }
            }
        }
        return PreparedFile(path: path, sopClassUID: sopClass, sopInstanceUID: sopInstance, transferSyntax: f.transferSyntax,
                            dataOffset: offset, dataLength: offset.map { size - $0 } ?? 0)
    }

    /// The data to send in `syntax`: the file's own bytes when the syntax is the file's, else a conversion.
    public func data(in syntax: String) throws(DICOMError) -> OutgoingData {
        // As-is when the syntax matches; an odd-length data set (a malformed file) is re-encoded so that every
        // fragment has an even length, as PS3.5 §7.1 requires and peers (DCMTK) check.
        if syntax == transferSyntax.uid, let dataOffset, dataLength % 2 == 0 { return .file(path: path, offset: dataOffset, length: dataLength) }
        let f = try DICOMFile.read(path: path)
        let (bytes, _) = try DICOMWriter.encode(f, options: WriteOptions(transferSyntax: TransferSyntax(uid: syntax)))
        let start = try DataSetCoding.dataSetOffset(bytes)
        return .bytes(Array(bytes[start...]))
    }

    /// Transfer syntaxes this file can be sent in: its own first, then the uncompressed ones we can convert to.
    public var sendableSyntaxes: [String] {
        var s = [transferSyntax.uid]
        if transferSyntax.pixelEncoding != .unsupported && transferSyntax.pixelEncoding != .htj2k {
            for u in uncompressedSyntaxes where !s.contains(u) { s.append(u) }
        }
        return s
    }
}

/// An established association, as SCU (or as the SCP side of C-GET sub-operations, see ``DICOMServer``).
public final class Association {
    /// The A-ASSOCIATE-AC the peer sent (or we sent, on the server side).
    public let negotiated: AssociatePDU
    /// Proposed contexts by ID.
    public let proposed: [UInt8: ProposedContext]
    /// Peer description (host:port).
    public let peer: String
    let reader: MessageReader
    let sender: MessageSender
    let cancels: CancelRegistry
    private var nextID: UInt16 = 1
    /// Whether the association has been released or aborted.
    public private(set) var isOpen = true
    /// How many C-STORE requests ``store(_:onResult:)`` keeps outstanding: the asynchronous operations window
    /// agreed in negotiation (1 when none was proposed or the peer did not answer the item).
    public internal(set) var operationsWindow = 1

    init(negotiated: AssociatePDU, proposed: [UInt8: ProposedContext], peer: String, reader: MessageReader, sender: MessageSender, cancels: CancelRegistry) {
        self.negotiated = negotiated; self.proposed = proposed; self.peer = peer
        self.reader = reader; self.sender = sender; self.cancels = cancels
    }

    func setClosed() { isOpen = false }

    func messageID() -> UInt16 { defer { nextID &+= 1; if nextID == 0 { nextID = 1 } }; return nextID }

    /// Accepted contexts as (id, abstract syntax, transfer syntax).
    public var acceptedContexts: [(id: UInt8, abstractSyntax: String, transferSyntax: String)] {
        negotiated.accepted.compactMap { c in
            guard c.result == .acceptance, let p = proposed[c.id] else { return nil }
            return (c.id, p.abstractSyntax, c.transferSyntax)
        }
    }

    /// The accepted context for an abstract syntax, preferring the given transfer syntaxes in order.
    public func context(for abstractSyntax: String, preferring syntaxes: [String] = []) -> (id: UInt8, transferSyntax: String)? {
        let candidates = acceptedContexts.filter { $0.abstractSyntax == abstractSyntax }
        for s in syntaxes { if let c = candidates.first(where: { $0.transferSyntax == s }) { return (c.id, c.transferSyntax) } }
        return candidates.first.map { ($0.id, $0.transferSyntax) }
    }

    // MARK: Opening

    /// Connects, negotiates, runs `body` on the association and releases it (aborts on error).
    public static func withAssociation<R: Sendable>(_ p: AssociationParameters, _ body: (Association) async throws -> R) async throws -> R {
        let peer = "\(p.host):\(p.port)"
        let cancels = CancelRegistry()
        let options = p.options
        let channel: NIOAsyncChannel<PDU, PDU>
        let tls = try options.tls.map { s throws(NetworkError) in try TLSContext(s, server: false, host: p.host) }
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(options.connectTimeout)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .connect(host: p.host, port: p.port) { ch in
                    ch.eventLoop.makeCompletedFuture {
                        try configurePipeline(ch, options: options, peer: peer, cancels: cancels, tls: tls)
                        return try NIOAsyncChannel<PDU, PDU>(wrappingChannelSynchronously: ch)
                    }
                }
        } catch {
            throw NetworkError.connectionClosed(peer: peer, "cannot connect: \(error)")
        }
        return try await channel.executeThenClose { inbound, outbound in
            let reader = MessageReader(inbound, peer: peer)
            var rq = AssociatePDU(calledAE: p.calledAE, callingAE: p.callingAE)
            var proposed: [UInt8: ProposedContext] = [:]
            for (i, c) in p.contexts.enumerated() {
                let pc = ProposedContext(id: UInt8(2 * i + 1), abstractSyntax: c.abstractSyntax, transferSyntaxes: c.transferSyntaxes)
                rq.proposed.append(pc); proposed[pc.id] = pc
            }
            rq.userInfo = UserInformation(maxPDULength: UInt32(options.maxPDULength), implementationClassUID: UIDGenerator.implementationClassUID,
                                          implementationVersionName: UIDGenerator.implementationVersionName)
            rq.userInfo.roles = p.roles
            rq.userInfo.userIdentity = p.userIdentity
            for e in p.extendedNegotiation { rq.userInfo.otherItems.append(ExtendedNegotiation.item(sopClass: e.sopClass, info: e.info)) }
            if options.maxOperations > 1 { rq.userInfo.asyncOperations = (UInt16(clamping: options.maxOperations), 1) }
            try await outbound.write(.associateRQ(rq))
            guard let answer = try await reader.nextPDU() else { throw NetworkError.connectionClosed(peer: peer, "closed before A-ASSOCIATE-AC") }
            let ac: AssociatePDU
            switch answer {
            case .associateAC(let a): ac = a
            case .associateRJ(let r): throw NetworkError.associationRejected(peer: peer, calledAE: p.calledAE, r)
            case .abort(let s, let r): throw NetworkError.aborted(peer: peer, source: s, reason: r)
            default:
                try? await outbound.write(.abort(source: 2, reason: AbortReason.unexpectedPDU))
                throw NetworkError.unexpected(peer: peer, "\(answer.type) instead of A-ASSOCIATE-AC")
            }
            let assoc = Association(negotiated: ac, proposed: proposed, peer: peer, reader: reader,
                                    sender: MessageSender(outbound, peerMaxPDU: ac.userInfo.maxPDULength, peer: peer), cancels: cancels)
            if options.maxOperations > 1, let w = ac.userInfo.asyncOperations {
                // 0 in the answer means unlimited (PS3.7 D.3.3.3): our own limit applies.
                assoc.operationsWindow = w.invoked == 0 ? options.maxOperations : min(Int(w.invoked), options.maxOperations)
            }
            do {
                let r = try await body(assoc)
                if assoc.isOpen { try await assoc.release() }
                return r
            } catch {
                if assoc.isOpen { await assoc.abort() }
                throw error
            }
        }
    }

    // MARK: Release and abort

    /// Releases the association (A-RELEASE-RQ, waits for A-RELEASE-RP).
    public func release() async throws {
        guard isOpen else { return }
        isOpen = false
        try await sender.send(.releaseRQ)
        while true {
            switch try await reader.nextEvent(sink: { _, _ in nil }) {
            case .releaseRP: return
            case .releaseRQ: try await sender.send(.releaseRP); return   // release collision: answer and finish
            case .abort(let s, let r): throw NetworkError.aborted(peer: peer, source: s, reason: r)
            default: continue
            }
        }
    }

    /// Aborts the association (A-ABORT, service user).
    public func abort() async {
        guard isOpen else { return }
        isOpen = false
        try? await sender.send(.abort(source: 0, reason: 0))
    }

    // MARK: Responses

    func awaitResponse(to id: UInt16, sink: (DIMSECommand, UInt8) async throws -> (any IncomingObject)? = { _, _ in nil }) async throws -> (DIMSECommand, UInt8, ReceivedData?) {
        try await awaitResponse(toAnyOf: [id], sink: sink)
    }

    /// The next response to one of the outstanding message IDs (responses to asynchronous operations may come in
    /// any order, PS3.7 10.3.1).
    func awaitResponse(toAnyOf ids: Set<UInt16>, sink: (DIMSECommand, UInt8) async throws -> (any IncomingObject)? = { _, _ in nil }) async throws -> (DIMSECommand, UInt8, ReceivedData?) {
        while true {
            let e = try await reader.nextEvent(sink: sink)
            switch e {
            case .message(let c, let ctx, let d):
                if c.field.isResponse && !ids.contains(c.messageIDBeingRespondedTo ?? 0) {
                    throw NetworkError.unexpected(peer: peer, "\(c) answers message \(c.messageIDBeingRespondedTo ?? 0), expected one of \(ids.sorted())")
                }
                return (c, ctx, d)
            case .abort(let s, let r): isOpen = false; throw NetworkError.aborted(peer: peer, source: s, reason: r)
            case .releaseRQ: isOpen = false; try await sender.send(.releaseRP); throw NetworkError.unexpected(peer: peer, "A-RELEASE-RQ while waiting for a response")
            default: throw NetworkError.unexpected(peer: peer, "PDU while waiting for a response")
            }
        }
    }

    // MARK: DIMSE-C SCU

    /// C-ECHO. Returns the status.
    public func echo() async throws -> UInt16 {
        guard let ctx = context(for: NetworkUID.verification) else { throw NetworkError.noPresentationContext(peer: peer, sopClass: NetworkUID.verification) }
        var rq = DIMSECommand(field: .cEchoRQ, hasDataSet: false)
        rq.affectedSOPClassUID = NetworkUID.verification
        rq.messageID = messageID()
        try await sender.send(rq, context: ctx.id)
        let (rsp, _, _) = try await awaitResponse(to: rq.messageID!)
        return rsp.status ?? Status.processingFailure
    }

    /// C-STORE of one file: sent as it is when its transfer syntax was accepted, converted to an accepted
    /// uncompressed syntax otherwise. Returns the response.
    public func store(_ file: PreparedFile, moveOriginator: (ae: String, id: UInt16)? = nil) async throws -> DIMSECommand {
        let id = try await sendStoreRequest(file, moveOriginator: moveOriginator)
        return try await awaitResponse(to: id).0
    }

    /// C-STORE of many files with up to ``operationsWindow`` requests outstanding (asynchronous operations,
    /// PS3.7 D.3.3.3): the next request goes out while earlier ones are being stored by the peer. `onResult` sees
    /// each file's response (or its error when no presentation context fits it) as it arrives and returns false to
    /// send no further requests (those outstanding are still collected); network errors end the association and
    /// are thrown.
    public func store(_ files: [PreparedFile], moveOriginator: (ae: String, id: UInt16)? = nil,
                      onResult: (PreparedFile, Result<DIMSECommand, NetworkError>) async throws -> Bool) async throws {
        var outstanding: [UInt16: PreparedFile] = [:]
        var go = true
        func collectOne() async throws {
            let (rsp, _, _) = try await awaitResponse(toAnyOf: Set(outstanding.keys))
            guard rsp.field == .cStoreRSP, let id = rsp.messageIDBeingRespondedTo, let f = outstanding.removeValue(forKey: id) else {
                throw NetworkError.unexpected(peer: peer, "\(rsp) while C-STORE responses were outstanding")
            }
            if try await !onResult(f, .success(rsp)) { go = false }
        }
        for f in files {
            guard go else { break }
            do {
                let id = try await sendStoreRequest(f, moveOriginator: moveOriginator)
                outstanding[id] = f
            } catch let e as NetworkError {
                switch e {
                case .noPresentationContext, .dicom: if try await !onResult(f, .failure(e)) { go = false }; continue
                default: throw e
                }
            }
            while outstanding.count >= max(1, operationsWindow) { try await collectOne() }
        }
        while !outstanding.isEmpty { try await collectOne() }
    }

    /// Sends one C-STORE-RQ with its data set; returns its message ID.
    func sendStoreRequest(_ file: PreparedFile, moveOriginator: (ae: String, id: UInt16)?) async throws -> UInt16 {
        guard let ctx = context(for: file.sopClassUID, preferring: file.sendableSyntaxes),
              file.sendableSyntaxes.contains(ctx.transferSyntax) else {
            throw NetworkError.noPresentationContext(peer: peer, sopClass: file.sopClassUID)
        }
        let data: OutgoingData
        do { data = try file.data(in: ctx.transferSyntax) } catch { throw NetworkError.dicom(error) }
        var rq = DIMSECommand(field: .cStoreRQ, hasDataSet: true)
        rq.affectedSOPClassUID = file.sopClassUID
        rq.affectedSOPInstanceUID = file.sopInstanceUID
        rq.messageID = messageID()
        rq.priority = 0
        if let m = moveOriginator { rq.moveOriginatorAE = m.ae; rq.moveOriginatorMessageID = m.id }
        try await sender.send(rq, context: ctx.id, data: data)
        return rq.messageID!
    }

    /// C-FIND. Calls `onMatch` for each pending response's identifier; returning false sends C-CANCEL.
    /// Returns the final response.
    public func find(model: String, identifier: Dataset, onMatch: (Dataset) -> Bool) async throws -> DIMSECommand {
        guard let ctx = context(for: model) else { throw NetworkError.noPresentationContext(peer: peer, sopClass: model) }
        let ts = TransferSyntax(uid: ctx.transferSyntax)
        var rq = DIMSECommand(field: .cFindRQ, hasDataSet: true)
        rq.affectedSOPClassUID = model; rq.messageID = messageID(); rq.priority = 0
        let bytes: [UInt8]
        do { bytes = try DataSetCoding.encode(identifier, syntax: ts) } catch { throw NetworkError.dicom(error) }
        try await sender.send(rq, context: ctx.id, data: .bytes(bytes))
        var cancelled = false
        while true {
            let (rsp, _, data) = try await awaitResponse(to: rq.messageID!)
            if let s = rsp.status, Status.isPending(s) {
                if case .bytes(let b) = data, !cancelled {
                    let ds: Dataset
                    do { ds = try DataSetCoding.decode(b, syntax: ts, source: peer) } catch { throw NetworkError.dicom(error) }
                    if !onMatch(ds) { cancelled = true; try await sendCancel(rq.messageID!, context: ctx.id) }
                }
                continue
            }
            return rsp
        }
    }

    func sendCancel(_ id: UInt16, context: UInt8) async throws {
        var c = DIMSECommand(field: .cCancelRQ, hasDataSet: false)
        c.messageIDBeingRespondedTo = id
        try await sender.send(c, context: context)
    }

    /// C-MOVE to `destination`. `onPending` sees each pending response. Returns the final response.
    public func move(model: String, identifier: Dataset, destination: String, onPending: (DIMSECommand) -> Void = { _ in }) async throws -> DIMSECommand {
        guard let ctx = context(for: model) else { throw NetworkError.noPresentationContext(peer: peer, sopClass: model) }
        var rq = DIMSECommand(field: .cMoveRQ, hasDataSet: true)
        rq.affectedSOPClassUID = model; rq.messageID = messageID(); rq.priority = 0; rq.moveDestination = destination
        let bytes: [UInt8]
        do { bytes = try DataSetCoding.encode(identifier, syntax: TransferSyntax(uid: ctx.transferSyntax)) } catch { throw NetworkError.dicom(error) }
        try await sender.send(rq, context: ctx.id, data: .bytes(bytes))
        while true {
            let (rsp, _, _) = try await awaitResponse(to: rq.messageID!)
            if let s = rsp.status, Status.isPending(s) { onPending(rsp); continue }
            return rsp
        }
    }

    /// C-GET: the peer sends the matches back on this association as C-STORE sub-operations; `storage` decides
    /// where each goes. Returns the final response.
    public func get(model: String, identifier: Dataset, storage: @escaping @Sendable (StoreRequest) throws -> any IncomingObject,
                    onPending: (DIMSECommand) -> Void = { _ in }) async throws -> DIMSECommand {
        guard let ctx = context(for: model) else { throw NetworkError.noPresentationContext(peer: peer, sopClass: model) }
        var rq = DIMSECommand(field: .cGetRQ, hasDataSet: true)
        rq.affectedSOPClassUID = model; rq.messageID = messageID(); rq.priority = 0
        let bytes: [UInt8]
        do { bytes = try DataSetCoding.encode(identifier, syntax: TransferSyntax(uid: ctx.transferSyntax)) } catch { throw NetworkError.dicom(error) }
        try await sender.send(rq, context: ctx.id, data: .bytes(bytes))
        let peer = self.peer, calledAE = negotiated.calledAE, callingAE = negotiated.callingAE
        let contexts = acceptedContexts
        while true {
            let e = try await reader.nextEvent { cmd, ctxID in
                guard cmd.field == .cStoreRQ else { return nil }
                let ts = contexts.first { $0.id == ctxID }?.transferSyntax ?? TransferSyntax.implicitVRLittleEndian.uid
                let req = StoreRequest(sopClassUID: cmd.affectedSOPClassUID ?? "", sopInstanceUID: cmd.affectedSOPInstanceUID ?? "",
                                       transferSyntax: ts, callingAE: calledAE, calledAE: callingAE, peer: peer)
                return try await NIOThreadPool.singleton.runIfActive { try storage(req) }
            }
            switch e {
            case .message(let c, let ctxID, let data):
                if c.field == .cStoreRQ {
                    var outcome = StoreOutcome(status: Status.processingFailure, comment: "no data set")
                    if case .streamed(let obj) = data {
                        do { outcome = try await obj.commitAsync() } catch {
                            outcome = StoreOutcome(status: Status.outOfResources, comment: "\(error)")
                        }
                    }
                    var rsp = DIMSECommand.response(to: c, field: .cStoreRSP, status: outcome.status)
                    if outcome.status != Status.success, let m = outcome.comment { rsp.errorComment = m }
                    try await sender.send(rsp, context: ctxID)
                    continue
                }
                guard c.field == .cGetRSP, c.messageIDBeingRespondedTo == rq.messageID else {
                    throw NetworkError.unexpected(peer: peer, "\(c) during C-GET")
                }
                if let s = c.status, Status.isPending(s) { onPending(c); continue }
                return c
            case .abort(let s, let r): isOpen = false; throw NetworkError.aborted(peer: peer, source: s, reason: r)
            default: throw NetworkError.unexpected(peer: peer, "PDU during C-GET")
            }
        }
    }
}

/// A C-STORE request as the storage side sees it.
public struct StoreRequest: Sendable {
    /// Affected SOP Class UID.
    public var sopClassUID: String
    /// Affected SOP Instance UID.
    public var sopInstanceUID: String
    /// Transfer syntax UID of the data set bytes.
    public var transferSyntax: String
    /// The sender's AE title.
    public var callingAE: String
    /// Our AE title.
    public var calledAE: String
    /// Peer address.
    public var peer: String
    /// Creates a request.
    public init(sopClassUID: String, sopInstanceUID: String, transferSyntax: String, callingAE: String, calledAE: String, peer: String) {
        self.sopClassUID = sopClassUID; self.sopInstanceUID = sopInstanceUID; self.transferSyntax = transferSyntax
        self.callingAE = callingAE; self.calledAE = calledAE; self.peer = peer
    }
}
