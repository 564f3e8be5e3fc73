import Archive
import Foundation
import Hummingbird
import Testing

@testable import Server

/// Roles over HTTP (in-process router): login, the session cookie, 403 naming the missing right, the audit trail.
@Suite struct AccountsServerTests {
    func makeAccountsServer() throws -> (ScintiServer, String) {
        let dir = NSTemporaryDirectory() + "scinti-accounts-test-\(UUID().uuidString)"
        var c = WebServerConfiguration(archiveDirectory: dir, token: token, maxUploadBytes: 1 << 20)
        c.accountPolicy.bcryptCost = 4
        let server = try ScintiServer(configuration: c)
        for (name, role) in [("rita", Role.reader), ("tom", .technologist), ("paula", .physicist), ("phil", .physician), ("ada", .admin)] {
            try server.archive.addUser(name: name, role: role, password: "\(name)-password")
        }
        return (server, dir)
    }

    func login(_ client: RouterClient, _ user: String, _ password: String) async throws -> (HTTPResponse.Status, String?) {
        let body = ByteBuffer(string: "{\"user\":\"\(user)\",\"password\":\"\(password)\"}")
        let r = try await client.execute(uri: "/api/login", method: .post, headers: [.contentType: "application/json"], body: body)
        let cookie = r.headers[.setCookie]
        if r.status == .ok {
            #expect(cookie?.contains("HttpOnly") == true && cookie?.contains("SameSite=Strict") == true && cookie?.contains("Secure") == false)
        }
        return (r.status, cookie.map { String($0.split(separator: ";")[0]) })
    }

    @Test func rolesOverHTTP() async throws {
        let (server, dir) = try makeAccountsServer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let client = RouterClient(server.router())
        // The login page is public; the viewer sends an unauthenticated browser there.
        try await client.execute(uri: "/login", method: .get) { #expect($0.status == .ok) }
        try await client.execute(uri: "/", method: .get) { #expect($0.status.code / 100 == 3 && $0.headers[.location] == "/login") }
        let (bad, _) = try await login(client, "rita", "wrong password")
        #expect(bad == .unauthorized)
        let (ok, rita) = try await login(client, "rita", "rita-password")
        #expect(ok == .ok)
        let readerCookie: HTTPFields = [.cookie: try #require(rita)]
        try await client.execute(uri: "/dicom-web/studies", method: .get, headers: readerCookie) { #expect($0.status == .ok) }
        try await client.execute(uri: "/api/me", method: .get, headers: readerCookie) { r in
            #expect((json(r.body) as? [String: Any])?["role"] as? String == "reader")
        }
        let job = ByteBuffer(string: "{\"type\":\"recon\",\"series\":\"1.2.3.4\"}")
        try await client.execute(uri: "/api/jobs", method: .post, headers: readerCookie, body: job) { r in
            #expect(r.status == .forbidden)
            #expect(String(buffer: r.body).contains("'runJobs'"))
        }
        try await client.execute(uri: "/dicom-web/studies", method: .post, headers: readerCookie) { #expect($0.status == .forbidden) }
        try await client.execute(uri: "/api/audit", method: .get, headers: readerCookie) { r in
            #expect(r.status == .forbidden && String(buffer: r.body).contains("'readAudit'"))
        }
        let newUser = ByteBuffer(string: "{\"name\":\"eve\",\"role\":\"admin\",\"password\":\"eve-password\"}")
        try await client.execute(uri: "/api/users", method: .post, headers: readerCookie, body: newUser) { #expect($0.status == .forbidden) }
        // A technologist passes the right check (the job itself fails: no such series).
        let (_, tom) = try await login(client, "tom", "tom-password")
        try await client.execute(uri: "/api/jobs", method: .post, headers: [.cookie: try #require(tom)], body: job) { r in
            #expect(r.status == .notFound || r.status == .badRequest)
        }
        try await client.execute(uri: "/api/users", method: .post, headers: [.cookie: tom!], body: newUser) { #expect($0.status == .forbidden) }
        // Only an admin adds users.
        let (_, ada) = try await login(client, "ada", "ada-password")
        try await client.execute(uri: "/api/users", method: .post, headers: [.cookie: try #require(ada)], body: newUser) { #expect($0.status == .created) }
        #expect(try await login(client, "eve", "eve-password").0 == .ok)
        // The audit trail lists the login, the failed login, the 403, the search — with the user.
        let records = try await client.execute(uri: "/api/audit?limit=100", method: .get, headers: [.cookie: ada!]) { r in
            #expect(r.status == .ok)
            return (json(r.body) as? [[String: Any]]) ?? []
        }
        func has(_ actor: String, _ action: String) -> Bool { records.contains { $0["actor"] as? String == actor && $0["action"] as? String == action } }
        #expect(has("rita", "login") && has("rita", "login-failed") && has("rita", "denied") && has("rita", "query"))
        #expect(has("tom", "login") && has("ada", "configuration"))
        let ids = records.compactMap { $0["id"] as? Int }
        #expect(ids == ids.sorted(by: >))  // newest first
        #expect(!records.contains { ($0["detail"] as? String)?.contains("rita-password") == true })
        // No route changes or deletes records.
        for m in [HTTPRequest.Method.delete, .put, .patch, .post] {
            try await client.execute(uri: "/api/audit", method: m, headers: auth) { #expect($0.status.code >= 400) }
        }
        let after = try await client.execute(uri: "/api/audit?limit=1000", method: .get, headers: auth) { (json($0.body) as? [[String: Any]]) ?? [] }
        #expect(after.count >= records.count)
        // The service token is named as such; filters work.
        let svc = try await client.execute(uri: "/api/audit?actor=service&action=view", method: .get, headers: auth) { (json($0.body) as? [[String: Any]]) ?? [] }
        #expect(!svc.isEmpty && svc.allSatisfy { $0["actorKind"] as? String == "service" })
        try await client.execute(uri: "/api/audit?action=nope", method: .get, headers: auth) { #expect($0.status == .badRequest) }
        // Logout ends the session.
        try await client.execute(uri: "/api/logout", method: .post, headers: readerCookie) { #expect($0.status == .ok) }
        try await client.execute(uri: "/dicom-web/studies", method: .get, headers: readerCookie) { #expect($0.status == .unauthorized) }
    }

    /// Exporting a de-identified study needs the 'export' right: a reader gets 403 naming it and nothing is written;
    /// a technologist's export is in the audit trail with who, which study and which profile.
    @Test func exportNeedsTheRightAndIsAudited() async throws {
        let (server, dir) = try makeAccountsServer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = Fixture.instance(1, series: Fixture.seriesA, modality: "CT", patient: "SECRETNAME^JANE")
        _ = try server.archive.importFile(try writeTemp(a.bytes))
        let client = RouterClient(server.router())
        let uri = "/api/studies/\(Fixture.study)/export?profile=modified-dates"
        let (_, rita) = try await login(client, "rita", "rita-password")
        try await client.execute(uri: uri, method: .get, headers: [.cookie: try #require(rita)]) { r in
            #expect(r.status == .forbidden)
            #expect(String(buffer: r.body).contains("'export'"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir + "/deid-maps"))
        let (_, tom) = try await login(client, "tom", "tom-password")
        try await client.execute(uri: uri, method: .get, headers: [.cookie: try #require(tom)]) { r in #expect(r.status == .ok) }
        var q = AuditQuery(); q.action = .export
        let records = try server.archive.auditRecords(q)
        #expect(records.count == 1)
        #expect(records.first?.actor == "tom" && records.first?.studyUID == Fixture.study)
        #expect(records.first?.detail?.contains("113100") == true && records.first?.detail?.contains("1 files") == true, "\(records)")
    }
}
