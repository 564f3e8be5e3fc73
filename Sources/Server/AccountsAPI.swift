import Archive
import Foundation
import Hummingbird

/// Login, logout, the caller's identity, users and the audit trail:
/// `POST /api/login` `{"user","password"}` → 200 and the session cookie, 401 otherwise; `POST /api/logout`;
/// `GET /api/me`; `GET/POST /api/users`, `POST /api/users/{name}/disable|enable|password` (admins);
/// `GET /api/audit` (admins and the service token; newest first, filters `actor`, `action`, `uid`, `outcome`,
/// `since`, `until`, `limit`). No route changes or deletes audit records.
struct AccountsAPI {
    let archive: Archive
    let secureCookies: Bool

    struct LoginRequest: Decodable { var user: String; var password: String }
    struct NewUser: Decodable { var name: String; var role: String; var password: String }
    struct NewPassword: Decodable { var password: String }
    struct Me: Encodable { var user: String; var kind: String; var role: String?; var rights: [String]; var expires: String? }

    static func decode<T: Decodable>(_ type: T.Type, _ req: Request, what: String) async throws -> T {
        let body: ByteBuffer
        do { body = try await req.body.collect(upTo: 16 << 10) } catch { throw HTTPError(.contentTooLarge, message: "\(what) over 16 KiB") }
        do { return try JSONDecoder().decode(T.self, from: Data(buffer: body)) } catch {
            throw HTTPError(.badRequest, message: "\(what) is not valid JSON: \(error)")
        }
    }

    static func json<T: Encodable>(_ v: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let e = JSONEncoder(); e.outputFormatting = [.sortedKeys]
        return bytesResponse(Array(try e.encode(v)), status: status, contentType: "application/json")
    }

    func cookie(_ value: String, maxAge: Int?) -> String {
        "\(AuthMiddleware.sessionCookie)=\(value); HttpOnly; SameSite=Strict; Path=/" + (maxAge.map { "; Max-Age=\($0)" } ?? "") + (secureCookies ? "; Secure" : "")
    }

    func register(on router: Router<ScintiRequestContext>) {
        let archive = self.archive
        router.post("/api/login") { req, ctx in
            let lr = try await Self.decode(LoginRequest.self, req, what: "login request {\"user\",\"password\"}")
            let name = String(lr.user.prefix(64)), source = ctx.source
            let outcome = try await offload { try archive.authenticate(user: name, password: lr.password, now: Date()) }
            switch outcome {
            case .failure(let why):
                try archive.appendAudit(AuditRecord(actor: name, actorKind: .user, source: ctx.source, action: .loginFailed, outcome: "failure",
                                                    detail: why.description))
                let message: String
                if case .locked = why { message = why.description } else { message = "unknown user, wrong password or disabled account" }
                return try Self.json(["error": message], status: .unauthorized)
            case .success(let account):
                let s = try await offload { try archive.createSession(user: account.name, role: account.role, address: source, now: Date()) }
                try archive.appendAudit(AuditRecord(actor: account.name, actorKind: .user, role: account.role.rawValue, source: ctx.source,
                                                    action: .login, detail: "session \(s.id) until \(s.expires)"))
                var r = try Self.json(Me(user: account.name, kind: "user", role: account.role.rawValue, rights: account.role.rights.sorted().map(\.rawValue),
                                         expires: s.expires))
                r.headers[.setCookie] = cookie(s.cookie ?? "", maxAge: nil)
                return r
            }
        }
        router.post("/api/logout") { _, ctx in
            if let c = ctx.identity?.sessionCookie { try archive.endSession(cookie: c) }
            try archive.appendAudit(ctx.audit(.logout))
            var r = try Self.json(["ok": true])
            r.headers[.setCookie] = cookie("", maxAge: 0)
            return r
        }
        router.get("/api/me") { _, ctx in
            let id = try ctx.require(.view)
            return try Self.json(Me(user: id.name, kind: id.kind.rawValue, role: id.role?.rawValue, rights: id.rights.sorted().map(\.rawValue), expires: nil))
        }
        router.get("/api/audit") { req, ctx in
            try ctx.require(.readAudit)
            let q = req.uri.queryParameters
            var aq = AuditQuery()
            aq.actor = q.get("actor") ?? q.get("user")
            if let a = q.get("action") {
                guard let action = AuditAction(rawValue: a) else {
                    throw HTTPError(.badRequest, message: "unknown action '\(a.prefix(40))': one of \(AuditAction.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                aq.action = action
            }
            aq.uid = q.get("uid"); aq.outcome = q.get("outcome"); aq.since = q.get("since"); aq.until = q.get("until")
            if let l = q.get("limit") {
                guard let n = Int(l), (1...10_000).contains(n) else { throw HTTPError(.badRequest, message: "limit must be 1…10000") }
                aq.limit = n
            }
            let query = aq
            let records = try await offload { try archive.auditRecords(query) }
            try archive.appendAudit(ctx.audit(.view, detail: "audit trail read: \(req.uri.description.prefix(300)) (\(records.count) records)"))
            return try Self.json(records)
        }
        router.get("/api/users") { _, ctx in
            try ctx.require(.manageUsers)
            return try Self.json(try archive.users())
        }
        router.post("/api/users") { req, ctx in
            try ctx.require(.manageUsers)
            let nu = try await Self.decode(NewUser.self, req, what: "new user {\"name\",\"role\",\"password\"}")
            do {
                let role = try Role.parse(nu.role)
                try await offload { try archive.addUser(name: nu.name, role: role, password: nu.password) }
            } catch let e as ArchiveError { throw HTTPError(.badRequest, message: e.message) }
            try archive.appendAudit(ctx.audit(.configuration, detail: "user \(nu.name.prefix(64)) added with role \(nu.role.prefix(20))"))
            return try Self.json(["user": nu.name, "role": nu.role], status: .created)
        }
        for (verb, disabled) in [("disable", true), ("enable", false)] {
            router.post(RouterPath("/api/users/:name/\(verb)")) { _, ctx in
                try ctx.require(.manageUsers)
                let name = ctx.parameters.get("name") ?? ""
                do { try archive.setDisabled(user: name, disabled) } catch let e as ArchiveError { throw HTTPError(.notFound, message: e.message) }
                try archive.appendAudit(ctx.audit(.configuration, detail: "user \(name.prefix(64)) \(verb)d"))
                return try Self.json(["user": name, "disabled": disabled ? "true" : "false"])
            }
        }
        router.post("/api/users/:name/password") { req, ctx in
            let name = ctx.parameters.get("name") ?? ""
            // Users change their own password; admins anyone's.
            if ctx.identity?.kind != .user || ctx.identity?.name != name { try ctx.require(.manageUsers) }
            let np = try await Self.decode(NewPassword.self, req, what: "password change {\"password\"}")
            do { try await offload { try archive.setPassword(user: name, password: np.password) } } catch let e as ArchiveError {
                throw HTTPError(.badRequest, message: e.message)
            }
            try archive.appendAudit(ctx.audit(.configuration, detail: "password of \(name.prefix(64)) changed"))
            return try Self.json(["user": name])
        }
    }
}
