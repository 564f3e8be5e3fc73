import Archive
import DICOM
import Foundation
import Hummingbird

/// How `scinti serve` is configured.
public struct WebServerConfiguration: Sendable {
    /// Address to bind (default loopback only).
    public var host: String
    /// TCP port.
    public var port: Int
    /// The archive folder (files + `index.sqlite`; jobs in `jobs.sqlite`).
    public var archiveDirectory: String
    /// The bearer token every route but `/health` requires.
    public var token: String
    /// Largest accepted request body (STOW uploads, job requests), bytes.
    public var maxUploadBytes: Int
    /// Folder of the viewer's static files.
    public var viewerDirectory: String
    /// Where job outputs (reconstructions) are written before they are stored into the archive.
    public var workDirectory: String

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

    /// Opens the archive and the job store (re-queuing jobs a previous run left unfinished).
    public init(configuration: WebServerConfiguration) throws {
        self.configuration = configuration
        archive = try Archive(directory: configuration.archiveDirectory)
        jobs = try JobManager(archive: archive, directory: configuration.archiveDirectory, workDirectory: configuration.workDirectory)
    }

    /// The router with every route and the authentication middleware.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: TokenAuthMiddleware<BasicRequestContext>(token: configuration.token))
        router.get("/health") { _, _ -> Response in
            textResponse("ok\n", contentType: "text/plain; charset=utf-8")
        }
        DICOMWeb(archive: archive, maxUploadBytes: configuration.maxUploadBytes).register(on: router)
        ViewerAPI(archive: archive, cache: cache).register(on: router)
        JobAPI(manager: jobs, maxBodyBytes: 1 << 20).register(on: router)
        QCRoutes(archive: archive, viewerDirectory: configuration.viewerDirectory).register(on: router)
        StaticFiles(directory: configuration.viewerDirectory).register(on: router)
        return router
    }

    /// The Hummingbird application bound to the configured host and port.
    public func application() -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                                           serverName: "scinti"))
    }

    /// Runs until cancelled (SIGINT/SIGTERM through the service lifecycle).
    public func run() async throws {
        jobs.resumeUnfinished()
        QCRoutes.startMonitor(archive)
        try await application().runService()
    }
}

/// Requires `Authorization: Bearer <token>` (or the viewer's session cookie) on every route except `/health`.
/// `GET /?token=T` with the right token sets an HttpOnly, SameSite=Strict cookie and redirects to `/`, so a
/// browser can open the printed URL. No CORS header is ever sent (cross-origin reads are refused by browsers);
/// every response carries `nosniff`, a same-origin Content Security Policy and `no-store`.
struct TokenAuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String
    static var cookieName: String { "scinti_token" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        if request.uri.path == "/health" {
            response = try await next(request, context)
        } else if authorised(request) {
            do { response = try await next(request, context) } catch let e as HTTPError {
                response = textResponse((e.body ?? "\(e.status)") + "\n", status: e.status, contentType: "text/plain; charset=utf-8")
            }
        } else if request.method == .get, request.uri.path == "/", let t = request.uri.queryParameters.get("token"), constantTimeEqual(t, token) {
            response = Response.redirect(to: "/")
            response.headers[.setCookie] = "\(Self.cookieName)=\(token); HttpOnly; SameSite=Strict; Path=/"
        } else {
            response = textResponse("401 Unauthorized: send Authorization: Bearer <token> (printed by scinti serve)\n",
                                    status: .unauthorized, contentType: "text/plain; charset=utf-8")
            response.headers[.wwwAuthenticate] = "Bearer realm=\"scinti\""
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func authorised(_ request: Request) -> Bool {
        if let a = request.headers[.authorization], a.count > 7, a.prefix(7).lowercased() == "bearer " {
            return constantTimeEqual(String(a.dropFirst(7)).trimmingCharacters(in: .whitespaces), token)
        }
        if let c = request.headers[.cookie] {
            for kv in c.split(separator: ";") {
                let p = kv.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if p.count == 2, p[0] == Self.cookieName, constantTimeEqual(p[1], token) { return true }
            }
        }
        return false
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
        "viewer.css": "text/css; charset=utf-8",
    ]

    func register(on router: Router<BasicRequestContext>) {
        let dir = directory
        @Sendable func serve(_ name: String) throws -> Response {
            guard let type = Self.files[name], let data = FileManager.default.contents(atPath: dir + "/" + name) else {
                throw HTTPError(.notFound, message: "no viewer file \(name.prefix(80))")
            }
            return bytesResponse([UInt8](data), contentType: type)
        }
        router.get("/") { _, _ in try serve("index.html") }
        router.get("/viewer/:file") { _, ctx in try serve(ctx.parameters.get("file") ?? "") }
    }
}
