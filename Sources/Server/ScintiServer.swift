import Archive
import DICOM
import Foundation
import Hummingbird
#if TLS
import HummingbirdTLS
#endif

/// How `scinti serve` is configured.
public struct WebServerConfiguration: Sendable {
    /// Address to bind (default loopback only).
    public var host: String
    /// TCP port.
    public var port: Int
    /// The archive folder (files + `index.sqlite`; jobs in `jobs.sqlite`).
    public var archiveDirectory: String
    /// The service token (`Authorization: Bearer`): all rights, for scripts and CI; named `service` in the audit trail.
    public var token: String
    /// PEM certificate chain and private key for HTTPS (nil: plain HTTP). Session cookies are `Secure` with TLS.
    public var tls: (certificate: String, key: String)?
    /// Lock-out and session timeouts.
    public var accountPolicy = AccountPolicy()
    /// Forward every audit record as a DICOM audit message (PS3.15 A.5) to this syslog-over-TLS receiver
    /// (`host`, `port`, PEM trust root or nil for the system's).
    public var auditSyslog: (host: String, port: Int, caFile: String?)?
    /// Largest accepted request body (STOW uploads, job requests), bytes.
    public var maxUploadBytes: Int
    /// Folder of the viewer's static files.
    public var viewerDirectory: String
    /// Where job outputs (reconstructions) are written before they are stored into the archive.
    public var workDirectory: String
    /// A shared instance index (PostgreSQL, `--database`) instead of the archive folder's SQLite index.
    public var index: (any ArchiveIndex)? = nil
    /// A shared job queue (PostgreSQL) instead of `jobs.sqlite`: jobs are then run by `scinti worker` processes.
    public var jobStore: (any JobStore)? = nil
    /// The audit trail shared by several servers (PostgreSQL); nil: the archive folder's `index.sqlite`.
    public var auditStore: (any AuditStore)? = nil

    /// Creates a configuration; `viewerDirectory` defaults to the viewer files next to this source file.
    public init(host: String = "127.0.0.1", port: Int = 8080, archiveDirectory: String, token: String,
                maxUploadBytes: Int = 512 << 20, viewerDirectory: String? = nil) {
        self.host = host; self.port = port; self.archiveDirectory = archiveDirectory; self.token = token
        self.maxUploadBytes = maxUploadBytes
        self.viewerDirectory = viewerDirectory ?? WebServerConfiguration.defaultViewerDirectory
        self.workDirectory = archiveDirectory + "/jobs"
    }

    /// The viewer folder of the source tree (`Sources/Server/Viewer`), found through `#filePath` so a fresh clone
    /// built with `swift build` serves it without a resource bundle.
    public static var defaultViewerDirectory: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Viewer").path
    }

    /// A random 32-byte token, hex encoded.
    public static func generateToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(format: "%016llx", g.next() as UInt64) }.joined()
    }
}

/// The HTTP server of Scinti: DICOMweb over the archive, the viewer's data API, the job API and the viewer's
/// static files, behind bearer-token authentication.
public final class ScintiServer: Sendable {
    /// The configuration.
    public let configuration: WebServerConfiguration
    /// The archive served (the same durable store as the DIMSE SCP).
    public let archive: Archive
    /// Reconstruction jobs.
    public let jobs: JobManager
    let cache = SeriesCache()
    let resampledCache = SeriesCache(maxEntries: 16)

    /// Opens the archive and the job store (re-queuing jobs a previous run left unfinished).
    public init(configuration: WebServerConfiguration) throws {
        self.configuration = configuration
        archive = try Archive(directory: configuration.archiveDirectory, index: configuration.index, audit: configuration.auditStore)
        archive.setAccountPolicy(configuration.accountPolicy)
        if let a = configuration.auditSyslog {
            #if TLS
            let sender = try AuditSyslog(host: a.host, port: a.port, caFile: a.caFile, auditSource: "scinti@" + ProcessInfo.processInfo.hostName)
            archive.observeAudit { sender.send($0) }
            #else
            throw ArchiveError("--audit-syslog needs a build with the TLS trait (the default)")
            #endif
        }
        if let store = configuration.jobStore {
            jobs = try JobManager(archive: archive, store: store, workDirectory: configuration.workDirectory)
        } else {
            jobs = try JobManager(archive: archive, directory: configuration.archiveDirectory, workDirectory: configuration.workDirectory)
        }
    }

    /// The router with every route and the authentication middleware.
    public func router() -> Router<ScintiRequestContext> {
        let router = Router(context: ScintiRequestContext.self)
        router.add(middleware: AuthMiddleware(token: configuration.token, archive: archive, secureCookies: configuration.tls != nil))
        router.get("/health") { _, _ -> Response in
            textResponse("ok\n", contentType: "text/plain; charset=utf-8")
        }
        DICOMWeb(archive: archive, maxUploadBytes: configuration.maxUploadBytes).register(on: router)
        ViewerAPI(archive: archive, cache: cache, resampledCache: resampledCache).register(on: router)
        JobAPI(manager: jobs, maxBodyBytes: 1 << 20).register(on: router)
        ReportRoutes(manager: jobs).register(on: router)
        ReportDeliveryRoutes(archive: archive).register(on: router)
        AccountsAPI(archive: archive, secureCookies: configuration.tls != nil).register(on: router)
        ExportRoutes(archive: archive, directory: configuration.archiveDirectory).register(on: router)
        QCRoutes(archive: archive, viewerDirectory: configuration.viewerDirectory).register(on: router)
        SegmentationRoutes(archive: archive).register(on: router)
        StaticFiles(directory: configuration.viewerDirectory).register(on: router)
        return router
    }

    /// The Hummingbird application bound to the configured host and port.
    public func application() -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                                           serverName: "scinti"))
    }

    /// Runs until cancelled (SIGINT/SIGTERM through the service lifecycle); HTTPS when ``WebServerConfiguration/tls``
    /// names a certificate and key.
    public func run() async throws {
        jobs.resumeUnfinished()
        QCRoutes.startMonitor(archive)
        if let tls = configuration.tls {
            #if TLS
            let chain: [NIOSSLCertificate], key: NIOSSLPrivateKey
            do { chain = try NIOSSLCertificate.fromPEMFile(tls.certificate) } catch {
                throw ArchiveError("cannot read the TLS certificate \(tls.certificate): \(error) (a PEM file is expected)")
            }
            do { key = try NIOSSLPrivateKey(file: tls.key, format: .pem) } catch {
                throw ArchiveError("cannot read the TLS private key \(tls.key): \(error) (a PEM file is expected)")
            }
            guard !chain.isEmpty else { throw ArchiveError("no certificate in \(tls.certificate)") }
            let t = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
            let app = Application(router: router(), server: try .tls(.http1(), tlsConfiguration: t),
                                  configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "scinti"))
            try await app.runService()
            return
            #else
            throw ArchiveError("HTTPS needs a build with the TLS trait (the default)")
            #endif
        }
        try await application().runService()
    }
}

/// Compares without an early exit (the time does not reveal how many leading characters matched).
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    var diff = UInt8(x.count == y.count ? 0 : 1)
    for i in 0..<max(x.count, y.count) { diff |= (i < x.count ? x[i] : 0) ^ (i < y.count ? y[i] : 0) }
    return diff == 0
}

/// A response with a text body.
func textResponse(_ s: String, status: HTTPResponse.Status = .ok, contentType: String) -> Response {
    Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: s)))
}

/// A response with a binary body.
func bytesResponse(_ b: [UInt8], status: HTTPResponse.Status = .ok, contentType: String) -> Response {
    Response(status: status, headers: [.contentType: contentType, .contentLength: String(b.count)], body: .init(byteBuffer: ByteBuffer(bytes: b)))
}

/// Validates a UID taken from a URL: syntactically a UID (PS3.5 §9.1), otherwise 400 naming it. This is also what
/// keeps paths out of the file system: nothing from a URL is ever used as a path.
func requireUID(_ s: String?, _ what: String) throws -> String {
    guard let s else { throw HTTPError(.badRequest, message: "missing \(what)") }
    guard UIDGenerator.isValid(s) else {
        throw HTTPError(.badRequest, message: "invalid \(what) '\(s.prefix(80))': a UID is digits and dots, at most 64 characters")
    }
    return s
}

/// Static viewer files: a fixed list of names, looked up in the viewer folder (no path from the URL reaches the
/// file system).
struct StaticFiles {
    let directory: String
    static let files: [String: String] = [
        "index.html": "text/html; charset=utf-8", "viewer.js": "text/javascript; charset=utf-8",
        "viewer.css": "text/css; charset=utf-8", "login.html": "text/html; charset=utf-8", "login.js": "text/javascript; charset=utf-8",
        "regions.js": "text/javascript; charset=utf-8", "registration.js": "text/javascript; charset=utf-8",
        "workstation.js": "text/javascript; charset=utf-8", "hanging.js": "text/javascript; charset=utf-8",
        "contours.js": "text/javascript; charset=utf-8", "reports.js": "text/javascript; charset=utf-8",
    ]

    func register(on router: Router<ScintiRequestContext>) {
        let dir = directory
        @Sendable func serve(_ name: String) throws -> Response {
            guard let type = Self.files[name], let data = FileManager.default.contents(atPath: dir + "/" + name) else {
                throw HTTPError(.notFound, message: "no viewer file \(name.prefix(80))")
            }
            return bytesResponse([UInt8](data), contentType: type)
        }
        router.get("/") { _, _ in try serve("index.html") }
        router.get("/login") { _, _ in try serve("login.html") }
        router.get("/viewer/:file") { _, ctx in
            let name = ctx.parameters.get("file") ?? ""
            guard name != "login.html" else { throw HTTPError(.notFound, message: "the login page is /login") }
            return try serve(name)
        }
    }
}
