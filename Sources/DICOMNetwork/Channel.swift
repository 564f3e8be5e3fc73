import DICOM
import Foundation
import NIOCore
import NIOPosix
import Synchronization

// The channel pipeline: PDU framing with a length bound, idle/ARTIM timeouts, and a watcher that notices C-CANCEL
// requests as they arrive (so a long C-FIND/C-MOVE/C-GET can stop without a second reader task).

/// Frames the byte stream into PDUs. Rejects unknown PDU types and lengths above the bound before buffering them.
final class PDUFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = PDU
    /// Largest P-DATA-TF PDU body accepted (our advertised maximum).
    let maxDataLength: Int
    /// Largest other PDU body accepted (A-ASSOCIATE with many contexts).
    let maxOtherLength = 1 << 20
    let peer: String
    init(maxDataLength: Int, peer: String) { self.maxDataLength = maxDataLength; self.peer = peer }

    func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes >= 6,
              let type: UInt8 = buffer.getInteger(at: buffer.readerIndex),
              let length: UInt32 = buffer.getInteger(at: buffer.readerIndex + 2, endianness: .big) else { return .needMoreData }
        guard (1...7).contains(type) else {
            throw NetworkError.malformedPDU(peer: peer, PDUDecodingError(pduType: type, offset: 0, "unrecognized PDU type 0x\(String(type, radix: 16))", abortReason: AbortReason.unrecognizedPDU))
        }
        let limit = type == 0x04 ? maxDataLength : maxOtherLength
        guard Int(length) <= limit else { throw NetworkError.pduTooLarge(peer: peer, type: type, length: length, limit: limit) }
        guard buffer.readableBytes >= 6 + Int(length) else { return .needMoreData }
        let slice = buffer.readSlice(length: 6 + Int(length))!
        do {
            let pdu = try PDU.decode(slice)
            context.fireChannelRead(wrapInboundOut(pdu))
        } catch {
            throw NetworkError.malformedPDU(peer: peer, error)
        }
        return .continue
    }

    func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        if buffer.readableBytes > 0 && seenEOF {
            // A partial PDU at EOF: the peer went away mid-PDU. Drop it; the reader sees the end of stream.
            buffer.moveReaderIndex(forwardBy: buffer.readableBytes)
        }
        return .needMoreData
    }
}

/// Serialises PDUs.
final class PDUFrameEncoder: MessageToByteEncoder {
    typealias OutboundIn = PDU
    func encode(data: PDU, out: inout ByteBuffer) throws { data.encode(into: &out) }
}

/// Message IDs of C-CANCEL requests seen on an association, and whether we are busy answering a request (the idle
/// timeout only applies while we wait for the peer, not while the peer waits for us).
public final class CancelRegistry: Sendable {
    private let ids = Mutex<Set<UInt16>>([])
    private let busyCount = Atomic<Int>(0)
    /// Marks the start of our own work on a request.
    func beginWork() { busyCount.wrappingAdd(1, ordering: .relaxed) }
    /// Marks its end.
    func endWork() { busyCount.wrappingSubtract(1, ordering: .relaxed) }
    /// Whether we are working on a request.
    var isBusy: Bool { busyCount.load(ordering: .relaxed) > 0 }
    /// Creates an empty registry.
    public init() {}
    /// Records a cancel for `messageID`.
    public func cancel(_ messageID: UInt16) { ids.withLock { _ = $0.insert(messageID) } }
    /// Whether `messageID` was cancelled.
    public func isCancelled(_ messageID: UInt16) -> Bool { ids.withLock { $0.contains(messageID) } }
}

/// Watches P-DATA PDUs for C-CANCEL-RQ command sets (always one small PDV) and records them immediately.
final class CancelWatcher: ChannelInboundHandler {
    typealias InboundIn = PDU
    typealias InboundOut = PDU
    let registry: CancelRegistry
    init(registry: CancelRegistry) { self.registry = registry }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let pdu = unwrapInboundIn(data)
        if case .data(let pdvs) = pdu {
            for p in pdvs where p.isCommand && p.isLast && p.data.readableBytes < 256 {
                if let bytes = p.data.getBytes(at: p.data.readerIndex, length: p.data.readableBytes),
                   let c = try? DIMSECommand.decode(bytes), c.field == .cCancelRQ, let id = c.messageIDBeingRespondedTo {
                    registry.cancel(id)
                }
            }
        }
        context.fireChannelRead(data)
    }
}

/// Closes the channel when no bytes arrive for the idle timeout (a stalled peer, mid-PDU or between messages).
final class IdleCloser: ChannelDuplexHandler {
    typealias InboundIn = NIOAny
    typealias OutboundIn = NIOAny
    let peer: String
    let state: CancelRegistry
    init(peer: String, state: CancelRegistry) { self.peer = peer; self.state = state }
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let e = event as? IdleStateHandler.IdleStateEvent, e == .read, state.isBusy {
            return   // the peer is waiting for our answer (a long C-FIND, a C-MOVE): not idle
        }
        if let e = event as? IdleStateHandler.IdleStateEvent, e == .read {
            Log.info("\(peer): idle timeout, closing")
            context.fireErrorCaught(NetworkError.timeout(peer: peer, "no data received within the idle timeout"))
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// Tuning shared by both roles.
public struct ConnectionOptions: Sendable {
    /// Maximum P-DATA-TF PDU length we receive (advertised in A-ASSOCIATE; bigger PDUs abort the association).
    public var maxPDULength: Int = 262_144
    /// Seconds without incoming bytes before the association is aborted (also bounds a peer stalled mid-PDU).
    public var idleTimeout: TimeAmount = .seconds(60)
    /// ARTIM: seconds to wait for A-ASSOCIATE-RQ after accepting a connection, or for a response to our request.
    public var artimTimeout: TimeAmount = .seconds(30)
    /// Seconds to wait for the TCP connection.
    public var connectTimeout: TimeAmount = .seconds(10)
    /// DICOM over TLS (nil: plain TCP).
    public var tls: TLSSettings?
    /// Asynchronous operations window: how many operations (C-STORE requests when sending) may be outstanding at
    /// once. 1 (the default) is synchronous and proposes no window; larger values are proposed in A-ASSOCIATE-RQ
    /// and the smaller of ours and the peer's answer is used.
    public var maxOperations: Int = 1
    /// Creates defaults.
    public init() {}
}

/// Builds the pipeline shared by client and server channels.
func configurePipeline(_ channel: Channel, options: ConnectionOptions, peer: String, cancels: CancelRegistry, tls: TLSContext? = nil) throws {
    try tls?.install(on: channel)
    let sync = channel.pipeline.syncOperations
    try sync.addHandler(IdleStateHandler(readTimeout: options.idleTimeout))
    try sync.addHandler(IdleCloser(peer: peer, state: cancels))
    try sync.addHandler(ByteToMessageHandler(PDUFrameDecoder(maxDataLength: options.maxPDULength, peer: peer)))
    try sync.addHandler(MessageToByteHandler(PDUFrameEncoder()))
    try sync.addHandler(CancelWatcher(registry: cancels))
}

/// Log lines to standard error (`scinti pacs: …`), with a switch for quiet tests.
public enum Log {
    private static let level = Mutex<Int>(1)
    /// 0 errors only, 1 info, 2 debug.
    public static func setLevel(_ l: Int) { level.withLock { $0 = l } }
    /// Informational line.
    public static func info(_ m: @autoclosure () -> String) { if level.withLock({ $0 }) >= 1 { write("info: " + m()) } }
    /// Debug line.
    public static func debug(_ m: @autoclosure () -> String) { if level.withLock({ $0 }) >= 2 { write("debug: " + m()) } }
    /// Warning line (always).
    public static func warning(_ m: String) { write("warning: " + m) }
    /// Error line (always).
    public static func error(_ m: String) { write("error: " + m) }
    private static func write(_ s: String) { FileHandle.standardError.write(Data("scinti pacs: \(s)\n".utf8)) }
}
