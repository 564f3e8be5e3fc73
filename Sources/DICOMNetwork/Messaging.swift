import DICOM
import Foundation
import NIOCore
import NIOPosix

/// A streamed destination for a received data set (a C-STORE's object). Methods are blocking and are called on a
/// thread pool, one at a time, in order: `append`* then `commit` or `discard`.
public protocol IncomingObject: AnyObject, Sendable {
    /// Appends bytes of the data set (in the negotiated transfer syntax).
    func append(_ bytes: UnsafeRawBufferPointer) throws
    /// Makes the object durable and returns the C-STORE status to acknowledge.
    func commit() throws -> StoreOutcome
    /// As ``commit()``, for receivers that can wait without holding a thread (the archive's group commit); by default
    /// ``commit()`` on the blocking thread pool.
    func commitAsync() async throws -> StoreOutcome
    /// Throws away what was received (association aborted, error).
    func discard()
}

extension IncomingObject {
    public func commitAsync() async throws -> StoreOutcome { try await NIOThreadPool.singleton.runIfActive { try self.commit() } }
}

/// What a C-STORE acknowledges.
public struct StoreOutcome: Sendable, Equatable {
    /// DIMSE status.
    public var status: UInt16
    /// Error Comment for failures (and a log note for warnings).
    public var comment: String?
    /// Creates an outcome.
    public init(status: UInt16, comment: String? = nil) { self.status = status; self.comment = comment }
}

/// A received DIMSE data set.
public enum ReceivedData: Sendable {
    /// Held in memory (identifiers and small objects).
    case bytes([UInt8])
    /// Streamed to an ``IncomingObject``; not yet committed.
    case streamed(any IncomingObject)
}

/// Events the association reader produces.
enum ReaderEvent: Sendable {
    case message(DIMSECommand, contextID: UInt8, data: ReceivedData?)
    case releaseRQ
    case releaseRP
    case abort(source: UInt8, reason: UInt8)
    case associate(PDU)
}

/// Reads PDUs from the channel and assembles DIMSE messages from P-DATA fragments.
final class MessageReader {
    private var iterator: NIOAsyncChannelInboundStream<PDU>.AsyncIterator
    private var queue: [PDV] = []
    private var queueIndex = 0
    let peer: String
    /// Largest data set kept in memory when no sink is given.
    var memoryLimit = 256 << 20
    /// Bytes buffered before one hop to the thread pool when streaming.
    let flushThreshold = 1 << 20
    /// Length of the last data set read (bytes), for the server's bound on stores in flight.
    private(set) var lastDataSetLength = 0

    init(_ inbound: NIOAsyncChannelInboundStream<PDU>, peer: String) {
        iterator = inbound.makeAsyncIterator(); self.peer = peer
    }

    /// The next PDU (nil at end of stream).
    func nextPDU() async throws -> PDU? {
        do { return try await iterator.next() } catch let e as NetworkError { throw e } catch {
            throw NetworkError.connectionClosed(peer: peer, "\(error)")
        }
    }

    private enum Fragment { case pdv(PDV), other(ReaderEvent) }

    private func nextFragment() async throws -> Fragment {
        if queueIndex < queue.count { queueIndex += 1; return .pdv(queue[queueIndex - 1]) }
        guard let pdu = try await nextPDU() else { throw NetworkError.connectionClosed(peer: peer, "peer closed the connection") }
        switch pdu {
        case .data(let pdvs): queue = pdvs; queueIndex = 1; return .pdv(pdvs[0])
        case .releaseRQ: return .other(.releaseRQ)
        case .releaseRP: return .other(.releaseRP)
        case .abort(let s, let r): return .other(.abort(source: s, reason: r))
        default: return .other(.associate(pdu))
        }
    }

    /// Reads the next DIMSE message. `sink` is asked, once the command is known, where a data set should go
    /// (nil: kept in memory).
    func nextEvent(sink: (DIMSECommand, UInt8) async throws -> (any IncomingObject)?) async throws -> ReaderEvent {
        var command: [UInt8] = []
        var ctx: UInt8 = 0
        while true {
            switch try await nextFragment() {
            case .other(let e):
                if command.isEmpty { return e }
                throw NetworkError.unexpected(peer: peer, "association event in the middle of a command set")
            case .pdv(var p):
                guard p.isCommand else { throw NetworkError.unexpected(peer: peer, "data set fragment before its command set") }
                if !command.isEmpty && p.contextID != ctx { throw NetworkError.unexpected(peer: peer, "command fragments on different presentation contexts") }
                ctx = p.contextID
                command += p.data.readBytes(length: p.data.readableBytes) ?? []
                guard command.count < 65536 else { throw NetworkError.unexpected(peer: peer, "command set larger than 64 KiB") }
                if p.isLast {
                    let cmd = try DIMSECommand.decode(command)
                    guard cmd.hasDataSet else { return .message(cmd, contextID: ctx, data: nil) }
                    let target = try await sink(cmd, ctx)
                    return .message(cmd, contextID: ctx, data: try await readDataSet(context: ctx, into: target))
                }
            }
        }
    }

    private func readDataSet(context ctx: UInt8, into target: (any IncomingObject)?) async throws -> ReceivedData {
        var memory: [UInt8] = []
        var pending: [ByteBuffer] = []
        var pendingBytes = 0
        lastDataSetLength = 0
        func flush() async throws {
            guard let target, !pending.isEmpty else { return }
            let chunks = pending
            pending = []; pendingBytes = 0
            try await NIOThreadPool.singleton.runIfActive {
                for c in chunks { try c.withUnsafeReadableBytes { try target.append($0) } }
            }
        }
        do {
            while true {
                switch try await nextFragment() {
                case .other(let e):
                    if case .abort(let s, let r) = e { throw NetworkError.aborted(peer: peer, source: s, reason: r) }
                    throw NetworkError.unexpected(peer: peer, "association event in the middle of a data set")
                case .pdv(var p):
                    guard !p.isCommand, p.contextID == ctx else {
                        throw NetworkError.unexpected(peer: peer, "command fragment or other context in the middle of a data set")
                    }
                    lastDataSetLength += p.data.readableBytes
                    if target != nil {
                        pendingBytes += p.data.readableBytes
                        pending.append(p.data)
                        if pendingBytes >= flushThreshold { try await flush() }
                    } else {
                        guard memory.count + p.data.readableBytes <= memoryLimit else {
                            throw NetworkError.unexpected(peer: peer, "data set larger than \(memoryLimit) bytes")
                        }
                        memory += p.data.readBytes(length: p.data.readableBytes) ?? []
                    }
                    if p.isLast {
                        if let target { try await flush(); return .streamed(target) }
                        return .bytes(memory)
                    }
                }
            }
        } catch {
            if let target { try? await NIOThreadPool.singleton.runIfActive { target.discard() } }
            throw error
        }
    }
}

/// Where the bytes of an outgoing data set come from.
public enum OutgoingData: Sendable {
    /// In memory.
    case bytes([UInt8])
    /// A byte range of a file, read incrementally.
    case file(path: String, offset: Int, length: Int)
}

/// Sends DIMSE messages, fragmenting them into P-DATA-TF PDUs no longer than the peer accepts.
final class MessageSender: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<PDU>
    /// Largest PDV value per PDU.
    let maxFragment: Int
    let peer: String
    let readBlock = 4 << 20

    init(_ outbound: NIOAsyncChannelOutboundWriter<PDU>, peerMaxPDU: UInt32, peer: String) {
        self.outbound = outbound
        let m = peerMaxPDU == 0 ? 1 << 20 : Int(min(peerMaxPDU, 16 << 20))
        maxFragment = max(m - 6, 64)
        self.peer = peer
    }

    func send(_ pdu: PDU) async throws { try await outbound.write(pdu) }

    /// Sends a command and, when given, its data set.
    func send(_ command: DIMSECommand, context: UInt8, data: OutgoingData? = nil) async throws {
        var c = command
        c.hasDataSet = data != nil
        let bytes = c.encode()
        var pdus: [PDU] = []
        var off = 0
        let alloc = ByteBufferAllocator()
        repeat {
            let n = min(maxFragment, bytes.count - off)
            var b = alloc.buffer(capacity: n); b.writeBytes(bytes[off..<(off + n)])
            off += n
            pdus.append(.data([PDV(contextID: context, isCommand: true, isLast: off == bytes.count, data: b)]))
        } while off < bytes.count
        Log.debug("\(peer): → \(c)")
        switch data {
        case nil:
            try await outbound.write(contentsOf: pdus)
        case .bytes(let d):
            try await outbound.write(contentsOf: pdus)
            try await outbound.write(contentsOf: fragments(of: ByteBuffer(bytes: d), context: context, last: true))
        case .file(let path, let offset, let length):
            try await outbound.write(contentsOf: pdus)
            let fd = open(path, O_RDONLY)
            guard fd >= 0 else { throw NetworkError.dicom(DICOMError(.io, file: path, "cannot open: \(String(cString: strerror(errno)))")) }
            defer { close(fd) }
            var pos = 0
            if length == 0 {
                try await outbound.write(.data([PDV(contextID: context, isCommand: false, isLast: true, data: ByteBuffer())]))
            }
            while pos < length {
                let n = min(readBlock, length - pos)
                let at = offset + pos
                let block: ByteBuffer = try await NIOThreadPool.singleton.runIfActive {
                    var b = ByteBufferAllocator().buffer(capacity: n)
                    let got = b.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { p in max(0, pread(fd, p.baseAddress!, n, off_t(at))) }
                    guard got == n else { throw NetworkError.dicom(DICOMError(.io, file: path, offset: at, "short read (\(got) of \(n) bytes)")) }
                    return b
                }
                pos += n
                try await outbound.write(contentsOf: fragments(of: block, context: context, last: pos == length))
            }
        }
    }

    private func fragments(of buffer: ByteBuffer, context: UInt8, last: Bool) -> [PDU] {
        var b = buffer
        var out: [PDU] = []
        if b.readableBytes == 0 { return [.data([PDV(contextID: context, isCommand: false, isLast: last, data: b)])] }
        while b.readableBytes > 0 {
            let n = min(maxFragment, b.readableBytes)
            let s = b.readSlice(length: n)!
            out.append(.data([PDV(contextID: context, isCommand: false, isLast: last && b.readableBytes == 0, data: s)]))
        }
        return out
    }
}
