import Archive
import DICOM
import Foundation
import Hummingbird
import NIOCore

// Who is asking: the request context carries the caller's identity (a logged-in user, or the service token) and
// address; every route requires a right with one call (`try context.require(.runJobs)`), and the audit trail records
// what was done with the identity and address filled in (`context.audit(...)`). See docs/accounts.md.

/// The caller of a request: a user with a role, or the service token (all rights; scripts and CI).
public struct Identity: Sendable, Equatable {
    /// User name, or `service` for the token.
    public var name: String
    /// `user` or `service`.
    public var kind: AuditActorKind
    /// The user's role (nil for the service token).
    public var role: Role?
    /// What the caller may do.
    public var rights: Set<Right>
    /// The session id (users logged in through `/api/login`).
    public var sessionCookie: String?

    /// The service token's identity.
    public static let service = Identity(name: "service", kind: .service, role: nil, rights: Set(Right.allCases), sessionCookie: nil)

    /// A logged-in user.
    public init(user: String, role: Role, sessionCookie: String?) {
        self.init(name: user, kind: .user, role: role, rights: role.rights, sessionCookie: sessionCookie)
    }

    init(name: String, kind: AuditActorKind, role: Role?, rights: Set<Right>, sessionCookie: String?) {
        self.name = name; self.kind = kind; self.role = role; self.rights = rights; self.sessionCookie = sessionCookie
    }
}

/// The request context of `scinti serve`: Hummingbird's core storage, the peer's address and the caller's identity
/// (set by the authentication middleware before any route runs).
public struct ScintiRequestContext: RequestContext, RemoteAddressRequestContext {
    /// Hummingbird's per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The connected peer.
    public let remoteAddress: SocketAddress?
    /// Who is asking (nil only on the public routes: `/health`, the login page, `POST /api/login`).
    public var identity: Identity?

    /// Creates the context of a request from its channel.
    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        identity = nil
    }

    /// The peer as `IP:port` (for the audit trail).
    public var source: String? {
        remoteAddress.map { "\($0.ipAddress ?? "?"):\($0.port ?? 0)" }
    }

    /// Requires a right of the caller: returns the identity, or throws 403 naming the missing right (401 when nobody
    /// is logged in). The authentication middleware records each 403 in the audit trail.
    @discardableResult
    public func require(_ right: Right) throws -> Identity {
        guard let identity else { throw HTTPError(.unauthorized, message: "401 Unauthorized: log in first") }
        guard identity.rights.contains(right) else {
            throw HTTPError(.forbidden, message: "403 Forbidden: the right '\(right.rawValue)' is required; \(identity.name) (role \(identity.role?.rawValue ?? "none")) has: \(identity.rights.sorted().map(\.rawValue).joined(separator: ", "))")
        }
        return identity
    }

    /// An audit record of this caller and address; pass it to ``Archive/appendAudit(_:)``.
    public func audit(_ action: AuditAction, outcome: String = "success", patientID: String? = nil, studyUID: String? = nil,
                      seriesUID: String? = nil, instanceUID: String? = nil, detail: String? = nil) -> AuditRecord {
        AuditRecord(actor: identity?.name ?? "anonymous", actorKind: identity?.kind ?? .user, role: identity?.role?.rawValue, source: source,
                    action: action, outcome: outcome, patientID: patientID, studyUID: studyUID, seriesUID: seriesUID,
                    instanceUID: instanceUID, detail: detail)
    }
}

/// Authenticates every route but the public ones (`/health`, the login page and its files, `POST /api/login`):
/// `Authorization: Bearer <service token>`, the session cookie of `POST /api/login`, or the token cookie that
/// `GET /?token=T` sets (the service token, for the printed URL). Unauthenticated browsers asking for `/` are sent to
/// the login page. Refused credentials and 403s are recorded in the audit trail, and so is every read of patient data
/// (DICOMweb, the viewer API): the action, the UIDs from the path or query, the identity and address.
/// No CORS header is ever sent; every response carries `nosniff`, a same-origin Content Security Policy and
/// `no-store`.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = ScintiRequestContext
    let token: String
    let archive: Archive
    /// Adds `Secure` to cookies (when serving HTTPS).
    let secureCookies: Bool
    static var tokenCookie: String { "scinti_token" }
    static var sessionCookie: String { "scinti_session" }
    static let publicPaths: Set<String> = ["/health", "/login", "/viewer/login.js", "/viewer/viewer.css"]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        var context = context
        let path = request.uri.path
        if Self.publicPaths.contains(path) || (path == "/api/login" && request.method == .post) {
            response = try await run(request, context, next).0
        } else {
            switch try await identify(request, context) {
            case .some(let id):
                context.identity = id
                let denial: String?
                (response, denial) = try await run(request, context, next)
                // The SQLite write (fsync) runs off the cooperative pool.
                let (ctx, status) = (context, response.status)
                try await offload { try self.record(request, context: ctx, status: status, message: denial) }
            case .none where request.method == .get && path == "/" && request.uri.queryParameters.get("token") != nil:
                if constantTimeEqual(request.uri.queryParameters.get("token") ?? "", token) {
                    response = Response.redirect(to: "/")
                    response.headers[.setCookie] = "\(Self.tokenCookie)=\(token); HttpOnly; SameSite=Strict; Path=/\(secureCookies ? "; Secure" : "")"
                } else {
                    try archive.appendAudit(AuditRecord(actor: "token-url", actorKind: .service, source: context.source, action: .loginFailed,
                                                        outcome: "failure", detail: "wrong token in the viewer URL"))
                    response = textResponse("401 Unauthorized: wrong token\n", status: .unauthorized, contentType: "text/plain; charset=utf-8")
                }
            case .none where request.method == .get && path == "/":
                response = Response.redirect(to: "/login")
            case .none:
                response = textResponse("401 Unauthorized: log in (POST /api/login) or send Authorization: Bearer <token> (printed by scinti serve)\n",
                                        status: .unauthorized, contentType: "text/plain; charset=utf-8")
                response.headers[.wwwAuthenticate] = "Bearer realm=\"scinti\""
            }
        }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// Runs the route, turning its HTTP errors into text responses; a 403's message comes back for the audit record.
    func run(_ request: Request, _ context: Context, _ next: (Request, Context) async throws -> Response) async throws -> (Response, String?) {
        do { return (try await next(request, context), nil) } catch let e as HTTPError {
            let r = textResponse((e.body ?? "\(e.status)") + "\n", status: e.status, contentType: "text/plain; charset=utf-8")
            return (r, e.status == .forbidden ? String((e.body ?? "").prefix(400)) : nil)
        }
    }

    /// The caller's identity, nil when no credential is presented; a presented but wrong credential is recorded as a
    /// failed login and answers nil.
    func identify(_ request: Request, _ context: Context) async throws -> Identity? {
        if let a = request.headers[.authorization], a.count > 7, a.prefix(7).lowercased() == "bearer " {
            if constantTimeEqual(String(a.dropFirst(7)).trimmingCharacters(in: .whitespaces), token) { return .service }
            try archive.appendAudit(AuditRecord(actor: "bearer-token", actorKind: .service, source: context.source, action: .loginFailed,
                                                outcome: "failure", detail: "wrong bearer token on \(request.method) \(request.uri.path)"))
            return nil
        }
        let cookies = Self.cookies(request)
        if let c = cookies[Self.sessionCookie] {
            let archive = self.archive
            if let s = try await offload({ try archive.session(cookie: c, now: Date()) }) {
                return Identity(user: s.user, role: s.role, sessionCookie: c)
            }
        }
        if let t = cookies[Self.tokenCookie], constantTimeEqual(t, token) { return .service }
        return nil
    }

    static func cookies(_ request: Request) -> [String: String] {
        var out: [String: String] = [:]
        for field in request.headers[values: .cookie] {
            for kv in field.split(separator: ";") {
                let p = kv.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                if p.count == 2, out[p[0]] == nil { out[p[0]] = p[1] }
            }
        }
        return out
    }

    /// Records the request in the audit trail when it touched patient data (DICOMweb, the viewer API) or was refused.
    func record(_ request: Request, context: Context, status: HTTPResponse.Status, message: String?) throws {
        let path = request.uri.path
        let detail = "\(request.method) \(request.uri.description)" + (message.map { " — \($0)" } ?? "")
        if status == .forbidden {
            try archive.appendAudit(context.audit(.denied, outcome: "denied", detail: detail))
            return
        }
        let outcome = status.code < 400 ? "success" : "failure"
        let segments = path.split(separator: "/").map(String.init)
        // A STOW-RS that got as far as storing is recorded per instance by the route (DICOMWeb.storeBody).
        if segments.first == "dicom-web", request.method == .post, status.code < 400 { return }
        if segments.first == "dicom-web" {
            var study: String? = nil, series: String? = nil, instance: String? = nil
            var i = 1
            var last = ""
            while i < segments.count {
                let s = segments[i]
                let value = i + 1 < segments.count ? segments[i + 1] : nil
                switch s {
                case "studies": study = value ?? study
                case "series": series = value ?? series
                case "instances": instance = value ?? instance
                case "frames": break
                default: last = s; i += 1; continue
                }
                last = value == nil ? s : "uid"
                i += value == nil ? 1 : 2
            }
            let q = request.uri.queryParameters
            study = study ?? q.get("StudyInstanceUID"); series = series ?? q.get("SeriesInstanceUID"); instance = instance ?? q.get("SOPInstanceUID")
            let action: AuditAction
            if request.method == .post { action = .store } else if ["studies", "series", "instances"].contains(last) { action = .query } else if last == "uid" { action = .retrieve } else { action = .view }
            try archive.appendAudit(context.audit(action, outcome: outcome, studyUID: study, seriesUID: series, instanceUID: instance, detail: detail))
        } else if segments.count == 4, segments[0] == "api", segments[1] == "series" {
            let series = segments[2]
            let sp = UIDGenerator.isValid(series) ? try archive.studyAndPatient(seriesUID: series) : nil
            try archive.appendAudit(context.audit(.view, outcome: outcome, patientID: sp?.patientID, studyUID: sp?.study, seriesUID: series, detail: detail))
        }
    }
}
