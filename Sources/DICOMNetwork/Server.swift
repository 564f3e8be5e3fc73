import DICOM
import Foundation
import NIOCore
import NIOPosix
import Synchronization

/// A registered calling peer: AE title and, optionally, the host it must connect from.
public struct AllowedPeer: Codable, Sendable, Equatable {
    /// AE title.
    public var aet: String
    /// Host address (IP); nil or "*" accepts any host.
    public var host: String?
    /// Creates a peer.
    public init(aet: String, host: String? = nil) { self.aet = aet; self.host = host }
}

/// A known C-MOVE destination.
public struct MoveDestination: Codable, Sendable, Equatable {
    /// AE title (the Move Destination of the request).
    public var aet: String
    /// Host.
    public var host: String
    /// Port.
    public var port: Int
    /// Creates a destination.
    public init(aet: String, host: String, port: Int) { self.aet = aet; self.host = host; self.port = port }
}

/// The SCP configuration (the JSON configuration file of `scinti pacs listen`).
public struct ServerConfiguration: Codable, Sendable {
    /// Our AE title; associations calling another title are rejected (reason 7).
    public var aeTitle: String
    /// TCP port.
    public var port: Int
    /// Address to bind (default all interfaces).
    public var bindAddress: String?
    /// Storage folder of the archive.
    public var storage: String?
    /// Callers allowed to associate; nil accepts any caller (empty list: nobody).
    public var allowedPeers: [AllowedPeer]?
    /// C-MOVE destinations.
    public var moveDestinations: [MoveDestination]
    /// Idle timeout in seconds (also bounds a peer stalled mid-PDU).
    public var idleTimeoutSeconds: Int?
    /// ARTIM timeout in seconds (time allowed for the A-ASSOCIATE-RQ).
    public var artimTimeoutSeconds: Int?
    /// Maximum PDU length we receive.
    public var maxPDULength: Int?
    /// Maximum simultaneous associations.
    public var maxAssociations: Int?
    /// DICOM over TLS: certificate chain, private key and (for mutual TLS) the CA that signs client certificates.
    public var tls: TLSSettings?
    /// Largest asynchronous operations window granted to a requestor, and proposed to C-MOVE destinations
    /// (default 16; 1 answers every proposal 1/1).
    public var maxOperations: Int?
    /// TLS settings for the C-MOVE sub-associations to the destinations (nil: plain TCP).
    public var moveTLS: TLSSettings?

    /// Creates a configuration.
    public init(aeTitle: String, port: Int, storage: String? = nil, allowedPeers: [AllowedPeer]? = nil, moveDestinations: [MoveDestination] = []) {
        self.aeTitle = aeTitle; self.port = port; self.storage = storage; self.allowedPeers = allowedPeers; self.moveDestinations = moveDestinations
    }

    /// Reads a JSON configuration file.
    public static func load(path: String) throws -> ServerConfiguration {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(ServerConfiguration.self, from: data)
    }

    var connectionOptions: ConnectionOptions {
        var o = ConnectionOptions()
        if let s = idleTimeoutSeconds { o.idleTimeout = .seconds(Int64(s)) }
        if let s = artimTimeoutSeconds { o.artimTimeout = .seconds(Int64(s)) }
        if let m = maxPDULength { o.maxPDULength = m }
        o.tls = tls
        return o
    }
}

/// Receives stored objects. Blocking; called on a thread pool.
public protocol StorageService: Sendable {
    /// Where to stream a C-STORE's data set.
    func beginStore(_ request: StoreRequest) throws -> any IncomingObject
}

/// The query/retrieve information models.
public enum QueryModel: String, Sendable {
    case patientRoot, studyRoot
    /// The model of a FIND/MOVE/GET SOP class UID.
    public init?(sopClass: String) {
        switch sopClass {
        case NetworkUID.patientRootFind, NetworkUID.patientRootMove, NetworkUID.patientRootGet: self = .patientRoot
        case NetworkUID.studyRootFind, NetworkUID.studyRootMove, NetworkUID.studyRootGet: self = .studyRoot
        default: return nil
        }
    }
}

/// What was agreed for C-FIND by SOP Class Extended Negotiation (PS3.4 C.5.1.1.2, PS3.7 D.3.3.5).
public struct FindOptions: Sendable, Equatable {
    /// Combined date and time range matching: a Date and a Time key with a range are matched together as one
    /// DateTime range (e.g. StudyDate 20240105-20240107 with StudyTime 1000-1800 means from 5 January 10:00 to
    /// 7 January 18:00), PS3.4 C.2.2.2.5.2.
    public var combinedDateTime = false
    /// Creates options.
    public init(combinedDateTime: Bool = false) { self.combinedDateTime = combinedDateTime }
}

/// Answers C-FIND and locates C-MOVE/C-GET matches. Blocking; called on a thread pool.
public protocol QueryRetrieveService: Sendable {
    /// The identifiers matching a C-FIND request (PS3.4 C.4.1). Throws ``QueryError`` for an invalid identifier.
    func find(model: QueryModel, identifier: Dataset) throws -> [Dataset]
    /// The same with the negotiated C-FIND options (default: ignores them).
    func find(model: QueryModel, identifier: Dataset, options: FindOptions) throws -> [Dataset]
    /// The files of the instances a C-MOVE/C-GET identifier selects.
    func locate(model: QueryModel, identifier: Dataset) throws -> [String]
    /// C-FIND with the caller named (for an audit trail).
    func find(model: QueryModel, identifier: Dataset, options: FindOptions, peer: DIMSEPeer) throws -> [Dataset]
    /// C-MOVE/C-GET with the caller named (for an audit trail).
    func locate(model: QueryModel, identifier: Dataset, peer: DIMSEPeer, operation: String) throws -> [String]
}

/// Who asks, for services that record it (the archive's audit trail names the calling AE title as the actor).
public struct DIMSEPeer: Sendable, Equatable {
    /// The calling AE title.
    public var callingAE: String
    /// The called AE title (ours).
    public var calledAE: String
    /// The peer's address (`IP:port`).
    public var address: String
    /// Creates a peer description.
    public init(callingAE: String, calledAE: String, address: String) {
        self.callingAE = callingAE; self.calledAE = calledAE; self.address = address
    }
}

extension QueryRetrieveService {
    /// C-FIND with the caller named (default: ``find(model:identifier:options:)``).
    public func find(model: QueryModel, identifier: Dataset, options: FindOptions, peer: DIMSEPeer) throws -> [Dataset] {
        try find(model: model, identifier: identifier, options: options)
    }
    /// C-MOVE/C-GET with the caller named (default: ``locate(model:identifier:)``); `operation` is `C-MOVE` or `C-GET`.
    public func locate(model: QueryModel, identifier: Dataset, peer: DIMSEPeer, operation: String) throws -> [String] {
        try locate(model: model, identifier: identifier)
    }
    /// Default: the options are not supported and ignored (none is accepted in negotiation then, see
    /// ``DICOMServer``).
    public func find(model: QueryModel, identifier: Dataset, options: FindOptions) throws -> [Dataset] {
        try find(model: model, identifier: identifier)
    }
}

/// An identifier the SCP cannot process, with the status to answer.
public struct QueryError: Error, Sendable, CustomStringConvertible {
    /// DIMSE status (e.g. 0xA900, 0xC000).
    public var status: UInt16
    /// What is wrong.
    public var message: String
    /// Creates an error.
    public init(status: UInt16, _ message: String) { self.status = status; self.message = message }
    /// The message.
    public var description: String { message }
}

/// Storage SOP classes proposed for C-GET sub-operations and accepted by default (any abstract syntax not
/// known to be a non-storage service is accepted for storage as well).
public let commonStorageSOPClasses: [String] = [
    "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.2.1", "1.2.840.10008.5.1.4.1.1.20", "1.2.840.10008.5.1.4.1.1.128",
    "1.2.840.10008.5.1.4.1.1.130", "1.2.840.10008.5.1.4.1.1.4", "1.2.840.10008.5.1.4.1.1.4.1", "1.2.840.10008.5.1.4.1.1.7",
    "1.2.840.10008.5.1.4.1.1.7.2", "1.2.840.10008.5.1.4.1.1.7.4", "1.2.840.10008.5.1.4.1.1.66.4", "1.2.840.10008.5.1.4.1.1.66",
    "1.2.840.10008.5.1.4.1.1.481.2", "1.2.840.10008.5.1.4.1.1.481.3", "1.2.840.10008.5.1.4.1.1.481.1", "1.2.840.10008.5.1.4.1.1.88.22",
    "1.2.840.10008.5.1.4.1.1.88.33", "1.2.840.10008.5.1.4.1.1.1", "1.2.840.10008.5.1.4.1.1.1.1", "1.2.840.10008.5.1.4.1.1.12.1",
    "1.2.840.10008.5.1.4.1.1.6.1", "1.2.840.10008.5.1.4.1.1.5", "1.2.840.10008.5.1.4.1.1.104.1", "1.2.840.10008.5.1.4.1.1.11.1",
]

/// Transfer syntaxes accepted for storage (stored as received): uncompressed and every compressed syntax the
/// DICOM core knows.
public let storageSyntaxes: [String] = [
    "1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.5",
    "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.57", "1.2.840.10008.1.2.4.70",
    "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
    "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203", "1.2.840.10008.1.2.8.1",
]

/// The DICOM SCP: verification, storage and query/retrieve over the given services.
public final class DICOMServer: Sendable {
    /// The configuration.
    public let configuration: ServerConfiguration
    let storage: (any StorageService)?
    let queryRetrieve: (any QueryRetrieveService)?
    let storageCommitment: (any StorageCommitmentService)?
    private let listener = Mutex<Channel?>(nil)
    private let active = Atomic<Int>(0)

    /// Creates a server.
    public init(configuration: ServerConfiguration, storage: (any StorageService)?, queryRetrieve: (any QueryRetrieveService)?,
                storageCommitment: (any StorageCommitmentService)? = nil) {
        self.configuration = configuration; self.storage = storage; self.queryRetrieve = queryRetrieve
        self.storageCommitment = storageCommitment
    }

    /// Binds and serves until ``shutdown()`` (in-flight associations are allowed to finish) or cancellation.
    /// `onBound` receives the bound port (useful with port 0).
    public func run(onBound: @Sendable (Int) -> Void = { _ in }) async throws {
        let options = configuration.connectionOptions
        let tls = try options.tls.map { s throws(NetworkError) in try TLSContext(s, server: true, host: nil) }
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .bind(host: configuration.bindAddress ?? "0.0.0.0", port: configuration.port) { ch in
                ch.eventLoop.makeCompletedFuture {
                    let peer = ch.remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" } ?? "?"
                    let cancels = CancelRegistry()
                    try configurePipeline(ch, options: options, peer: peer, cancels: cancels, tls: tls)
                    return (try NIOAsyncChannel<PDU, PDU>(wrappingChannelSynchronously: ch), cancels, peer)
                }
            }
        listener.withLock { $0 = server.channel }
        onBound(server.channel.localAddress?.port ?? configuration.port)
        Log.info("listening on port \(server.channel.localAddress?.port ?? 0) as \(configuration.aeTitle)\(tls == nil ? "" : " (TLS)")")
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await (conn, cancels, peer) in inbound {
                    group.addTask { await self.serve(conn, cancels: cancels, peer: peer, options: options) }
                }
            }
        }
    }

    /// Stops accepting associations; `run` returns once the open ones end.
    public func shutdown() {
        if let ch = listener.withLock({ $0 }) { ch.close(promise: nil) }
    }

    // MARK: Association handling

    private func serve(_ conn: NIOAsyncChannel<PDU, PDU>, cancels: CancelRegistry, peer: String, options: ConnectionOptions) async {
        let count = active.wrappingAdd(1, ordering: .relaxed).newValue
        defer { active.wrappingSubtract(1, ordering: .relaxed) }
        // ARTIM: the A-ASSOCIATE-RQ must arrive in time.
        let established = Atomic<Bool>(false)
        let ch = conn.channel
        let artim = ch.eventLoop.scheduleTask(in: options.artimTimeout) {
            if !established.load(ordering: .relaxed) { Log.info("\(peer): ARTIM expired before A-ASSOCIATE-RQ"); ch.close(promise: nil) }
        }
        defer { artim.cancel() }
        do {
            try await conn.executeThenClose { inbound, outbound in
                let reader = MessageReader(inbound, peer: peer)
                let first: PDU?
                do { first = try await reader.nextPDU() } catch {
                    try? await outbound.write(.abort(source: 2, reason: abortReason(error)))
                    throw error
                }
                guard let first else { return }
                guard case .associateRQ(let rq) = first else {
                    try await outbound.write(.abort(source: 2, reason: AbortReason.unexpectedPDU))
                    throw NetworkError.unexpected(peer: peer, "\(first.type) before A-ASSOCIATE-RQ")
                }
                established.store(true, ordering: .relaxed)
                let decision = negotiate(rq, peer: peer, active: count)
                switch decision {
                case .reject(let r, let why):
                    Log.warning("\(peer): rejected association from \(rq.callingAE) to \(rq.calledAE): \(r) (\(why))")
                    try await outbound.write(.associateRJ(r))
                    return
                case .accept(let ac):
                    try await outbound.write(.associateAC(ac))
                    var proposed: [UInt8: ProposedContext] = [:]
                    for c in rq.proposed { proposed[c.id] = c }
                    let assoc = Association(negotiated: ac, proposed: proposed, peer: peer, reader: reader,
                                            sender: MessageSender(outbound, peerMaxPDU: rq.userInfo.maxPDULength, peer: peer), cancels: cancels)
                    Log.info("\(peer): association \(rq.callingAE) → \(rq.calledAE) accepted (\(ac.accepted.filter { $0.result == .acceptance }.count)/\(rq.proposed.count) contexts)")
                    do {
                        try await dispatch(assoc, callingAE: rq.callingAE)
                    } catch {
                        if assoc.isOpen {
                            try? await outbound.write(.abort(source: 2, reason: abortReason(error)))
                        }
                        throw error
                    }
                }
            }
        } catch {
            Log.warning("\(peer): \(error)")
        }
    }

    private func abortReason(_ error: Error) -> UInt8 {
        if case NetworkError.malformedPDU(_, let e) = error { return e.abortReason }
        if case NetworkError.pduTooLarge = error { return AbortReason.invalidPDUParameterValue }
        return AbortReason.notSpecified
    }

    enum Decision { case accept(AssociatePDU), reject(AssociateReject, String) }

    func negotiate(_ rq: AssociatePDU, peer: String, active: Int) -> Decision {
        guard rq.protocolVersion & 1 == 1 else { return .reject(.protocolVersionNotSupported, "protocol version \(rq.protocolVersion)") }
        guard rq.applicationContext == dicomApplicationContextName else {
            return .reject(.applicationContextNotSupported, "application context \(rq.applicationContext)")
        }
        guard rq.calledAE == configuration.aeTitle else { return .reject(.calledAENotRecognized, "we are \(configuration.aeTitle)") }
        if let allowed = configuration.allowedPeers {
            let host = peer.split(separator: ":").dropLast().joined(separator: ":")
            let ok = allowed.contains { $0.aet == rq.callingAE && ($0.host == nil || $0.host == "*" || $0.host == host) }
            guard ok else { return .reject(.callingAENotRecognized, "\(rq.callingAE)@\(host) is not a registered peer") }
        }
        if let m = configuration.maxAssociations, active > m { return .reject(.localLimitExceeded, "\(active) associations open") }
        var ac = AssociatePDU(calledAE: rq.calledAE, callingAE: rq.callingAE)
        ac.userInfo = UserInformation(maxPDULength: UInt32(configuration.connectionOptions.maxPDULength),
                                      implementationClassUID: UIDGenerator.implementationClassUID,
                                      implementationVersionName: UIDGenerator.implementationVersionName)
        if let w = rq.userInfo.asyncOperations {
            // PS3.7 D.3.3.3: the acceptor answers with values no larger than proposed (0 = unlimited). C-STOREs up
            // to the window are received while earlier ones commit and are answered in request order
            // (Server+StorePipeline.swift); other requests one at a time. We invoke no operations of our own on the
            // requestor but one C-GET sub-operation at a time.
            let limit = UInt16(clamping: max(1, configuration.maxOperations ?? 16))
            ac.userInfo.asyncOperations = (w.invoked == 0 ? limit : min(w.invoked, limit), 1)
        }
        if let u = rq.userInfo.userIdentity, u.positiveResponseRequested { ac.userInfo.userIdentityResponse = [] }
        // SOP Class Extended Negotiation for C-FIND: we support combined date-time matching (byte 1), not relational
        // queries (byte 0), fuzzy person-name matching (byte 2) or time-zone adjustment (byte 3).
        for (sop, info) in ExtendedNegotiation.items(rq.userInfo) where NetworkUID.findClasses.contains(sop) && queryRetrieve != nil {
            var answer = [UInt8](repeating: 0, count: min(max(info.count, 2), 4))
            if info.count > 1 && info[1] == 1 { answer[1] = 1 }
            ac.userInfo.otherItems.append(ExtendedNegotiation.item(sopClass: sop, info: answer))
        }
        var roleSOPs: Set<String> = []
        for r in rq.userInfo.roles where r.scpRole {
            ac.userInfo.roles.append(RoleSelection(sopClass: r.sopClass, scuRole: r.scuRole, scpRole: true))
            roleSOPs.insert(r.sopClass)
        }
        for c in rq.proposed {
            let supported: [String]
            if c.abstractSyntax == NetworkUID.verification || NetworkUID.queryRetrieve.contains(c.abstractSyntax) {
                supported = [TransferSyntax.explicitVRLittleEndian.uid, TransferSyntax.implicitVRLittleEndian.uid, TransferSyntax.explicitVRBigEndian.uid]
                if NetworkUID.queryRetrieve.contains(c.abstractSyntax) && queryRetrieve == nil {
                    ac.accepted.append(AcceptedContext(id: c.id, result: .abstractSyntaxNotSupported, transferSyntax: c.transferSyntaxes.first ?? "")); continue
                }
            } else if c.abstractSyntax == StorageCommitment.sopClassUID {
                guard storageCommitment != nil else {
                    ac.accepted.append(AcceptedContext(id: c.id, result: .abstractSyntaxNotSupported, transferSyntax: c.transferSyntaxes.first ?? "")); continue
                }
                supported = uncompressedSyntaxes
            } else if storage != nil || roleSOPs.contains(c.abstractSyntax) {
                supported = storageSyntaxes
            } else {
                ac.accepted.append(AcceptedContext(id: c.id, result: .abstractSyntaxNotSupported, transferSyntax: c.transferSyntaxes.first ?? "")); continue
            }
            // Prefer what the peer proposes: the first of its syntaxes that we support.
            if let ts = c.transferSyntaxes.first(where: { supported.contains($0) }) {
                ac.accepted.append(AcceptedContext(id: c.id, result: .acceptance, transferSyntax: ts))
            } else {
                ac.accepted.append(AcceptedContext(id: c.id, result: .transferSyntaxesNotSupported, transferSyntax: c.transferSyntaxes.first ?? ""))
            }
        }
        return .accept(ac)
    }

    /// Reads the association's messages and answers them. C-STOREs are pipelined (``StorePipeline``): the next
    /// request is read while earlier ones commit, their responses go out in request order; any other message waits
    /// until every store before it is answered.
    private func dispatch(_ a: Association, callingAE: String) async throws {
        let window = a.negotiated.userInfo.asyncOperations.map { Int($0.invoked) }
        let stores = StorePipeline(sender: a.sender, cancels: a.cancels, peer: a.peer, window: window)
        do { try await dispatch(a, callingAE: callingAE, stores: stores) } catch {
            // The association ends in an abort (ours or the peer's): stores received completely are still committed,
            // none is answered any more.
            stores.silence()
            await stores.finish()
            throw error
        }
        await stores.finish()
    }

    private func dispatch(_ a: Association, callingAE: String, stores: StorePipeline) async throws {
        while true {
            try await stores.makeRoom()
            let e = try await a.reader.nextEvent { [storage] cmd, ctxID in
                guard cmd.field == .cStoreRQ, let storage else { return nil }
                let ts = a.negotiated.accepted.first { $0.id == ctxID }?.transferSyntax ?? ""
                let req = StoreRequest(sopClassUID: cmd.affectedSOPClassUID ?? "", sopInstanceUID: cmd.affectedSOPInstanceUID ?? "",
                                       transferSyntax: ts, callingAE: callingAE, calledAE: a.negotiated.calledAE, peer: a.peer)
                return try await NIOThreadPool.singleton.runIfActive { try storage.beginStore(req) }
            }
            switch e {
            case .releaseRQ:
                try await stores.drain()
                try await a.sender.send(.releaseRP)
                a.markClosed()
                Log.info("\(a.peer): released")
                return
            case .abort(let s, let r):
                a.markClosed()
                stores.silence()
                Log.info("\(a.peer): aborted by peer (source \(s), reason \(r))\(stores.count > 0 ? "; \(stores.count) C-STORE(s) received before it are still committed, not answered" : "")")
                return
            case .releaseRP, .associate:
                throw NetworkError.unexpected(peer: a.peer, "PDU in the data transfer state")
            case .message(let cmd, let ctx, let data):
                Log.debug("\(a.peer): ← \(cmd)")
                guard let pc = a.negotiated.accepted.first(where: { $0.id == ctx }), pc.result == .acceptance else {
                    throw NetworkError.unexpected(peer: a.peer, "message on presentation context \(ctx), which was not accepted")
                }
                if cmd.field == .cStoreRQ {
                    let hasStorage = storage != nil
                    stores.submit(cmd, context: ctx, bytes: a.reader.lastDataSetLength, cancels: a.cancels) {
                        await Self.storeOutcome(data, hasStorage: hasStorage)
                    }
                    continue
                }
                try await stores.drain()
                // While we work for the peer (a C-FIND over a large archive, a C-MOVE to another node) the idle
                // timeout does not run; a C-GET waits for the peer's C-STORE responses, so it stays armed there.
                let working = cmd.field != .cGetRQ
                if working { a.cancels.beginWork() }
                defer { if working { a.cancels.endWork() } }
                try await handle(cmd, context: ctx, transferSyntax: pc.transferSyntax, data: data, association: a, callingAE: callingAE)
            }
        }
    }

    private func handle(_ cmd: DIMSECommand, context ctx: UInt8, transferSyntax: String, data: ReceivedData?,
                        association a: Association, callingAE: String) async throws {
        switch cmd.field {
        case .cEchoRQ:
            try await a.sender.send(DIMSECommand.response(to: cmd, field: .cEchoRSP, status: Status.success), context: ctx)
        case .cFindRQ, .cMoveRQ, .cGetRQ:
            try await queryRetrieve(cmd, context: ctx, transferSyntax: transferSyntax, data: data, association: a, callingAE: callingAE)
        case .cCancelRQ:
            break   // recorded by the CancelWatcher; nothing in flight to answer
        case .nEventReportRQ, .nActionRQ:
            try await handleStorageCommitment(cmd, context: ctx, transferSyntax: transferSyntax, data: data, association: a, callingAE: callingAE)
        default:
            throw NetworkError.unexpected(peer: a.peer, "\(cmd.field) from an SCU")
        }
    }

    /// The outcome of a received C-STORE: its object committed (for the archive: durable and indexed), or why not.
    static func storeOutcome(_ data: ReceivedData?, hasStorage: Bool) async -> StoreOutcome {
        if case .streamed(let obj) = data {
            do { return try await obj.commitAsync() } catch {
                return StoreOutcome(status: Status.outOfResources, comment: "\(error)")
            }
        }
        if hasStorage { return StoreOutcome(status: Status.unableToProcess, comment: "C-STORE-RQ without a data set") }
        return StoreOutcome(status: Status.sopClassNotSupported, comment: "storage is not enabled")
    }

    /// Storage Commitment Push Model messages (PS3.4 J.3): a result reported to us (N-EVENT-REPORT, we requested
    /// the commitment) or a request to us (N-ACTION, answered on this association).
    private func handleStorageCommitment(_ cmd: DIMSECommand, context ctx: UInt8, transferSyntax: String, data: ReceivedData?,
                                         association a: Association, callingAE: String) async throws {
        let caller = DIMSEPeer(callingAE: callingAE, calledAE: a.negotiated.calledAE, address: a.peer)
        let ts = TransferSyntax(uid: transferSyntax)
        var dataset: Dataset? = nil
        if case .bytes(let b) = data { dataset = try? DataSetCoding.decode(b, syntax: ts, source: a.peer) }
        let isReport = cmd.field == .nEventReportRQ
        var rsp = DIMSECommand(field: isReport ? .nEventReportRSP : .nActionRSP, hasDataSet: false)
        rsp.messageIDBeingRespondedTo = cmd.messageID
        rsp.affectedSOPClassUID = cmd.affectedSOPClassUID ?? cmd.requestedSOPClassUID
        rsp.affectedSOPInstanceUID = cmd.affectedSOPInstanceUID ?? cmd.requestedSOPInstanceUID
        if isReport { rsp.eventTypeID = cmd.eventTypeID } else { rsp.actionTypeID = cmd.actionTypeID }
        guard let service = storageCommitment, (rsp.affectedSOPClassUID ?? "") == StorageCommitment.sopClassUID else {
            rsp.status = Status.sopClassNotSupported
            return try await a.sender.send(rsp, context: ctx)
        }
        guard let dataset else {
            rsp.status = Status.processingFailure; rsp.errorComment = "no readable data set"
            return try await a.sender.send(rsp, context: ctx)
        }
        if isReport {
            do {
                let result = try StorageCommitment.Result(dataset: dataset)
                try await NIOThreadPool.singleton.runIfActive { try service.received(result, from: caller) }
                Log.info("\(a.peer): storage commitment \(result.transactionUID) from \(callingAE): \(result.committed.count) committed, \(result.failed.count) failed")
                rsp.status = Status.success
            } catch {
                Log.warning("\(a.peer): storage commitment report from \(callingAE): \(error)")
                rsp.status = Status.processingFailure; rsp.errorComment = "\(error)"
            }
            return try await a.sender.send(rsp, context: ctx)
        }
        // N-ACTION: answer, then report the result on this association.
        let result: StorageCommitment.Result?
        do {
            let request = try StorageCommitment.Request(dataset: dataset)
            result = try await NIOThreadPool.singleton.runIfActive { try service.commit(request, from: caller) }
        } catch {
            rsp.status = Status.processingFailure; rsp.errorComment = "\(error)"
            return try await a.sender.send(rsp, context: ctx)
        }
        guard let result else { rsp.status = Status.sopClassNotSupported; return try await a.sender.send(rsp, context: ctx) }
        rsp.status = Status.success
        try await a.sender.send(rsp, context: ctx)
        var report = DIMSECommand(field: .nEventReportRQ, hasDataSet: true)
        report.affectedSOPClassUID = StorageCommitment.sopClassUID
        report.affectedSOPInstanceUID = StorageCommitment.sopInstanceUID
        report.eventTypeID = result.eventTypeID
        report.messageID = a.messageID()
        let bytes: [UInt8]
        do { bytes = try DataSetCoding.encode(result.dataset, syntax: ts) } catch { throw NetworkError.dicom(error) }
        try await a.sender.send(report, context: ctx, data: .bytes(bytes))
        _ = try await a.awaitResponse(to: report.messageID!)
    }

    private func queryRetrieve(_ cmd: DIMSECommand, context ctx: UInt8, transferSyntax: String, data: ReceivedData?,
                               association a: Association, callingAE: String) async throws {
        let rspField: CommandField = cmd.field == .cFindRQ ? .cFindRSP : cmd.field == .cMoveRQ ? .cMoveRSP : .cGetRSP
        func fail(_ status: UInt16, _ message: String) async throws {
            Log.warning("\(a.peer): \(cmd.field) failed: \(message)")
            var r = DIMSECommand.response(to: cmd, field: rspField, status: status)
            r.errorComment = message
            if rspField != .cFindRSP { r.completed = 0; r.failed = 0; r.warning = 0 }
            try await a.sender.send(r, context: ctx)
        }
        guard let service = queryRetrieve, let model = QueryModel(sopClass: cmd.affectedSOPClassUID ?? "") else {
            return try await fail(Status.sopClassNotSupported, "query/retrieve model not supported")
        }
        guard case .bytes(let idBytes) = data else { return try await fail(Status.identifierDoesNotMatchSOPClass, "no identifier") }
        let ts = TransferSyntax(uid: transferSyntax)
        let identifier: Dataset
        do { identifier = try DataSetCoding.decode(idBytes, syntax: ts, source: a.peer) } catch {
            return try await fail(Status.identifierDoesNotMatchSOPClass, "cannot parse identifier: \(error)")
        }
        let msgID = cmd.messageID ?? 0
        let caller = DIMSEPeer(callingAE: callingAE, calledAE: a.negotiated.calledAE, address: a.peer)
        if cmd.field == .cFindRQ {
            let matches: [Dataset]
            let options = FindOptions(combinedDateTime: ExtendedNegotiation.items(a.negotiated.userInfo)
                .contains { $0.sopClass == cmd.affectedSOPClassUID && $0.info.count > 1 && $0.info[1] == 1 })
            do { matches = try await NIOThreadPool.singleton.runIfActive { try service.find(model: model, identifier: identifier, options: options, peer: caller) } } catch let e as QueryError {
                return try await fail(e.status, e.message)
            } catch { return try await fail(Status.unableToProcess, "\(error)") }
            Log.info("\(a.peer): C-FIND \(identifier.string(Tag(0x0008, 0x0052)) ?? "?"): \(matches.count) match(es)")
            for m in matches {
                if a.cancels.isCancelled(msgID) {
                    try await a.sender.send(DIMSECommand.response(to: cmd, field: .cFindRSP, status: Status.cancel), context: ctx)
                    return
                }
                let bytes: [UInt8]
                do { bytes = try DataSetCoding.encode(m, syntax: ts) } catch { return try await fail(Status.unableToProcess, "\(error)") }
                try await a.sender.send(DIMSECommand.response(to: cmd, field: .cFindRSP, status: Status.pending, hasDataSet: true), context: ctx, data: .bytes(bytes))
            }
            try await a.sender.send(DIMSECommand.response(to: cmd, field: .cFindRSP, status: a.cancels.isCancelled(msgID) ? Status.cancel : Status.success), context: ctx)
            return
        }
        // C-MOVE and C-GET
        let paths: [String]
        do { paths = try await NIOThreadPool.singleton.runIfActive { try service.locate(model: model, identifier: identifier, peer: caller, operation: cmd.field == .cMoveRQ ? "C-MOVE" : "C-GET") } } catch let e as QueryError {
            return try await fail(e.status, e.message)
        } catch { return try await fail(Status.outOfResourcesMatches, "\(error)") }
        var files: [PreparedFile] = []
        var failed = 0
        for p in paths {
            if let f = try? await NIOThreadPool.singleton.runIfActive({ try PreparedFile.inspect(p) }) { files.append(f) } else { failed += 1 }
        }
        Log.info("\(a.peer): \(cmd.field) of \(files.count) instance(s)\(cmd.moveDestination.map { " to \($0)" } ?? "")")
        var completed = 0, warnings = 0
        var failedUIDs: [String] = []
        func pending(_ remaining: Int) async throws {
            var r = DIMSECommand.response(to: cmd, field: rspField, status: Status.pending)
            r.remaining = UInt16(clamping: remaining); r.completed = UInt16(clamping: completed)
            r.failed = UInt16(clamping: failed); r.warning = UInt16(clamping: warnings)
            try await a.sender.send(r, context: ctx)
        }
        func final(cancelled: Bool) async throws {
            var status = Status.success
            if cancelled { status = Status.cancel } else if failed > 0 || warnings > 0 { status = completed == 0 && warnings == 0 ? Status.outOfResourcesSubOperations : Status.subOperationsWarning }
            var r = DIMSECommand.response(to: cmd, field: rspField, status: status, hasDataSet: !failedUIDs.isEmpty && status != Status.success)
            r.completed = UInt16(clamping: completed); r.failed = UInt16(clamping: failed); r.warning = UInt16(clamping: warnings)
            if cancelled { r.remaining = UInt16(clamping: files.count - completed - failed - warnings) }
            var idData: OutgoingData? = nil
            if r.hasDataSet {
                var fl = Dataset(); fl.set(Tag(0x0008, 0x0058), .UI, strings: failedUIDs)
                idData = try? .bytes(DataSetCoding.encode(fl, syntax: ts))
                if idData == nil { r.hasDataSet = false }
            }
            try await a.sender.send(r, context: ctx, data: idData)
        }
        func account(_ rsp: DIMSECommand?, _ f: PreparedFile) {
            switch rsp.flatMap({ $0.status }).map(Status.category) {
            case "success": completed += 1
            case "warning": warnings += 1
            default: failed += 1; failedUIDs.append(f.sopInstanceUID)
            }
        }
        if cmd.field == .cGetRQ {
            for (i, f) in files.enumerated() {
                if a.cancels.isCancelled(msgID) { return try await final(cancelled: true) }
                do { account(try await a.store(f), f) } catch let e as NetworkError {
                    if case .noPresentationContext = e { account(nil, f) } else { throw e }
                }
                if i + 1 < files.count { try await pending(files.count - i - 1) }
            }
            return try await final(cancelled: false)
        }
        // C-MOVE: a new association to the destination.
        guard let dest = configuration.moveDestinations.first(where: { $0.aet == cmd.moveDestination }) else {
            return try await fail(Status.moveDestinationUnknown, "move destination \(cmd.moveDestination ?? "") unknown")
        }
        if files.isEmpty { return try await final(cancelled: false) }
        var p = AssociationParameters(host: dest.host, port: dest.port, callingAE: configuration.aeTitle, calledAE: dest.aet)
        p.contexts = proposals(for: files)
        do {
            p.options.maxOperations = configuration.maxOperations ?? 16
            p.options.tls = configuration.moveTLS
            try await Association.withAssociation(p) { sub in
                var done = 0
                try await sub.store(files, moveOriginator: (callingAE, msgID)) { f, result in
                    account(try? result.get(), f)
                    done += 1
                    if done < files.count { try await pending(files.count - done) }
                    return !a.cancels.isCancelled(msgID)
                }
            }
        } catch {
            Log.warning("\(a.peer): C-MOVE sub-association to \(dest.aet): \(error)")
            failed = files.count - completed - warnings
            failedUIDs = []
            if completed == 0 { return try await fail(Status.outOfResourcesSubOperations, "cannot store to \(dest.aet): \(error)") }
        }
        try await final(cancelled: a.cancels.isCancelled(msgID))
    }
}

/// Presentation contexts to send `files`: per SOP class, one context per distinct own syntax (offered as-is) plus one
/// with the uncompressed syntaxes we can convert to. At most 127 contexts.
public func proposals(for files: [PreparedFile]) -> [(abstractSyntax: String, transferSyntaxes: [String])] {
    var out: [(abstractSyntax: String, transferSyntaxes: [String])] = []
    var seen = Set<String>()
    for f in files where seen.insert(f.sopClassUID + "|" + f.transferSyntax.uid).inserted {
        out.append((f.sopClassUID, [f.transferSyntax.uid]))
    }
    for f in files where seen.insert(f.sopClassUID).inserted {
        out.append((f.sopClassUID, uncompressedSyntaxes))
    }
    return Array(out.prefix(127))
}

extension Association {
    func markClosed() { setClosed() }
}
