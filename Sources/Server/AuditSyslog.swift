#if TLS
import Archive
import Foundation
import NIOCore
import NIOPosix
import NIOSSL

/// Forwards audit records to an audit repository as DICOM audit messages (PS3.15 A.5 XML) over syslog on TLS
/// (RFC 5424 messages, RFC 5425 octet-counted framing; IHE ATNA). One connection, re-opened when it breaks; records
/// wait in a bounded queue (the newest 10 000) while the repository is unreachable. The archive's own trail stays the
/// record of truth: forwarding never blocks or fails a request.
final class AuditSyslog: Sendable {
    let host: String
    let port: Int
    let tls: TLSConfiguration
    let auditSource: String
    let queue: AsyncStream<AuditRecord>.Continuation

    /// Starts the sender; `caFile` (PEM) is the trust root for the repository's certificate (system roots when nil).
    init(host: String, port: Int, caFile: String?, auditSource: String) throws {
        var t = TLSConfiguration.makeClientConfiguration()
        if let caFile { t.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(caFile)) }
        self.host = host; self.port = port; self.tls = t; self.auditSource = auditSource
        let (stream, continuation) = AsyncStream.makeStream(of: AuditRecord.self, bufferingPolicy: .bufferingNewest(10_000))
        queue = continuation
        let me = self
        Task { await me.run(stream) }
    }

    /// Queues a record.
    func send(_ r: AuditRecord) { queue.yield(r) }

    /// One RFC 5425 frame: `LEN SP <PRI>1 TIMESTAMP HOST APP PROCID MSGID - BOM XML`; PRI 85 = authpriv.notice.
    func frame(_ r: AuditRecord) -> [UInt8] {
        let msg = Array("<85>1 \(r.time ?? Archive.timestamp(Date())) \(auditSource) scinti \(getpid()) IHE+RFC-3881 - ".utf8)
            + [0xEF, 0xBB, 0xBF] + Array(r.dicomAuditMessage(auditSource: auditSource).utf8)
        return Array("\(msg.count) ".utf8) + msg
    }

    func run(_ stream: AsyncStream<AuditRecord>) async {
        var channel: (any Channel)? = nil
        for await r in stream {
            let bytes = frame(r)
            for _ in 0..<2 {
                do {
                    if channel == nil { channel = try await connect() }
                    try await channel!.writeAndFlush(ByteBuffer(bytes: bytes)).get()
                    break
                } catch {
                    try? await channel?.close().get()
                    channel = nil
                    FileHandle.standardError.write(Data("scinti serve: audit syslog \(host):\(port): \(error)\n".utf8))
                }
            }
        }
    }

    func connect() async throws -> any Channel {
        let context = try NIOSSLContext(configuration: tls)
        let name = host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : host
        return try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(5))
            .channelInitializer { ch in
                ch.eventLoop.makeCompletedFuture {
                    try ch.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: name))
                }
            }
            .connect(host: host, port: port).get()
    }
}
#endif
