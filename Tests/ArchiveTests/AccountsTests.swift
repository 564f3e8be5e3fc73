import DICOM
import Foundation
import GRDB
import Testing
@testable import Archive

private func freshArchive() throws -> (Archive, String) {
    let d = NSTemporaryDirectory() + "scinti-accounts-\(UUID().uuidString)"
    let a = try Archive(directory: d)
    var p = AccountPolicy()
    p.bcryptCost = 4  // the lowest cost: the lock-out test checks 20+ passwords
    a.setAccountPolicy(p)
    return (a, d)
}

@Suite struct AccountsTests {
    @Test func roleRightsTable() {
        // The issue's table: reader views; technologist runs jobs and edits regions; physicist approves dosimetry and
        // QC; physician signs; admin manages users and reads the audit trail.
        #expect(Role.reader.rights == [.view])
        #expect(Role.technologist.rights.isSuperset(of: [.view, .runJobs, .editRegions]))
        #expect(!Role.technologist.rights.contains(.signReports) && !Role.technologist.rights.contains(.approveDosimetry))
        #expect(Role.physicist.rights.isSuperset(of: [.approveDosimetry, .approveQC]) && !Role.physicist.rights.contains(.signReports))
        #expect(Role.physician.rights.contains(.signReports))
        #expect(Role.allCases.filter { $0.rights.contains(.signReports) } == [.physician])
        #expect(Role.allCases.filter { $0.rights.contains(.manageUsers) } == [.admin])
        #expect(Role.allCases.filter { $0.rights.contains(.readAudit) } == [.admin])
        #expect(!Role.reader.rights.contains(.export) && !Role.reader.rights.contains(.runJobs) && !Role.reader.rights.contains(.editRegions))
        #expect(throws: ArchiveError.self) { try Role.parse("root") }
    }

    @Test func passwordsAreBcryptHashedNotStoredInClear() throws {
        let (a, d) = try freshArchive()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try a.addUser(name: "alice", role: .physician, password: "correct horse battery")
        let hash = try a.db.read { db in try String.fetchOne(db, sql: "SELECT password_hash FROM app_user WHERE name = 'alice'") }
        #expect(hash?.hasPrefix("$2b$04$") == true)  // bcrypt, cost 4 (modular crypt format)
        let raw = try Data(contentsOf: URL(fileURLWithPath: d + "/index.sqlite")) + ((try? Data(contentsOf: URL(fileURLWithPath: d + "/index.sqlite-wal"))) ?? Data())
        #expect(raw.range(of: Data("correct horse battery".utf8)) == nil)
        #expect(throws: ArchiveError.self) { try a.addUser(name: "alice", role: .reader, password: "another password") }
        #expect(throws: ArchiveError.self) { try a.addUser(name: "bob", role: .reader, password: "short") }
        #expect(throws: ArchiveError.self) { try a.addUser(name: "bad name", role: .reader, password: "long enough") }
        #expect(throws: ArchiveError.self) { try a.addUser(name: "bob", role: .reader, password: String(repeating: "x", count: 73)) }
        if case .success(let u) = try a.authenticate(user: "alice", password: "correct horse battery", now: Date()) { #expect(u.role == .physician) } else { Issue.record("login failed") }
        #expect(try a.authenticate(user: "alice", password: "wrong", now: Date()) == .failure(.badCredentials))
        #expect(try a.authenticate(user: "nobody", password: "wrong", now: Date()) == .failure(.badCredentials))
        try a.setPassword(user: "alice", password: "a new passphrase")
        #expect(try a.authenticate(user: "alice", password: "correct horse battery", now: Date()) == .failure(.badCredentials))
        #expect((try? a.authenticate(user: "alice", password: "a new passphrase", now: Date()).get()) != nil)
        try a.setDisabled(user: "alice", true)
        #expect(try a.authenticate(user: "alice", password: "a new passphrase", now: Date()) == .failure(.disabled))
    }

    @Test func twentyWrongPasswordsLockWithBackOff() throws {
        let (a, d) = try freshArchive()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try a.addUser(name: "tech", role: .technologist, password: "right password")
        let t0 = Date(timeIntervalSince1970: 1_800_000_000)
        for i in 1...19 { #expect(try a.authenticate(user: "tech", password: "wrong \(i)", now: t0) == .failure(.badCredentials)) }
        // The 20th failure locks for 15 minutes; then even the right password is refused.
        guard case .failure(.locked(let until)) = try a.authenticate(user: "tech", password: "wrong 20", now: t0) else { Issue.record("not locked"); return }
        #expect(until == Archive.timestamp(t0.addingTimeInterval(900)))
        guard case .failure(.locked) = try a.authenticate(user: "tech", password: "right password", now: t0.addingTimeInterval(899)) else { Issue.record("lock ignored"); return }
        // After the lock: another 20 failures lock for twice as long (back-off).
        for i in 1...19 { _ = try a.authenticate(user: "tech", password: "again \(i)", now: t0.addingTimeInterval(901)) }
        guard case .failure(.locked(let until2)) = try a.authenticate(user: "tech", password: "again 20", now: t0.addingTimeInterval(901)) else { Issue.record("no second lock"); return }
        #expect(until2 == Archive.timestamp(t0.addingTimeInterval(901 + 1800)))
        // After it expires the right password works and resets the count.
        #expect((try? a.authenticate(user: "tech", password: "right password", now: t0.addingTimeInterval(901 + 1801)).get()) != nil)
        #expect(try a.users().first?.failedLogins == 0)
    }

    @Test func sessionsExpireIdleAndAbsoluteAndSurviveReopening() throws {
        let (a, d) = try freshArchive()
        defer { try? FileManager.default.removeItem(atPath: d) }
        try a.addUser(name: "reader1", role: .reader, password: "reader password")
        let t0 = Date()
        let s = try a.createSession(user: "reader1", role: .reader, address: "127.0.0.1:5000", now: t0)
        let cookie = try #require(s.cookie)
        #expect(try a.session(cookie: cookie, now: t0.addingTimeInterval(60))?.user == "reader1")
        // The database keeps no cookie: only the id and a bcrypt hash of the secret.
        let secret = String(cookie.split(separator: ".")[1])
        let raw = try Data(contentsOf: URL(fileURLWithPath: d + "/index.sqlite")) + ((try? Data(contentsOf: URL(fileURLWithPath: d + "/index.sqlite-wal"))) ?? Data())
        #expect(raw.range(of: Data(secret.utf8)) == nil)
        // A tampered secret is refused.
        #expect(try a.session(cookie: String(cookie.dropLast()) + (cookie.last == "0" ? "1" : "0"), now: t0) == nil)
        // Reopening the archive (a restart) keeps the session.
        let b = try Archive(directory: d)
        #expect(try b.session(cookie: cookie, now: t0.addingTimeInterval(120))?.role == .reader)
        // Idle for more than 30 minutes: gone.
        #expect(try b.session(cookie: cookie, now: t0.addingTimeInterval(120 + 31 * 60)) == nil)
        // Absolute limit: a session used every 20 minutes still ends after 12 h.
        let s2 = try a.createSession(user: "reader1", role: .reader, address: nil, now: t0)
        var t = t0
        var alive = true
        while t < t0.addingTimeInterval(13 * 3600) {
            t = t.addingTimeInterval(20 * 60)
            alive = try a.session(cookie: s2.cookie!, now: t) != nil
            if !alive { break }
        }
        #expect(!alive && t > t0.addingTimeInterval(12 * 3600 - 1) && t <= t0.addingTimeInterval(12 * 3600 + 20 * 60))
        // Logout ends it; disabling the user ends the others.
        let s3 = try a.createSession(user: "reader1", role: .reader, address: nil, now: t0)
        try a.endSession(cookie: s3.cookie!)
        #expect(try a.session(cookie: s3.cookie!, now: t0) == nil)
        let s4 = try a.createSession(user: "reader1", role: .reader, address: nil, now: t0)
        try a.setDisabled(user: "reader1", true)
        #expect(try a.session(cookie: s4.cookie!, now: t0) == nil)
    }

    @Test func auditTrailIsAppendOnlyAndFiltered() throws {
        let (a, d) = try freshArchive()
        defer { try? FileManager.default.removeItem(atPath: d) }
        let r1 = try a.appendAudit(AuditRecord(actor: "alice", actorKind: .user, role: "physician", source: "10.0.0.1:5555", action: .sign,
                                               studyUID: "1.2.3", detail: "report signed"))
        try a.appendAudit(AuditRecord(actor: "STORESCU", actorKind: .dicom, action: .store, seriesUID: "1.2.3.4", instanceUID: "1.2.3.4.5"))
        try a.appendAudit(AuditRecord(actor: "bob", actorKind: .user, action: .loginFailed, outcome: "failure"))
        let all = try a.auditRecords(AuditQuery())
        #expect(all.map(\.actor) == ["bob", "STORESCU", "alice"])  // newest first
        #expect(all.last == r1)
        var q = AuditQuery(); q.uid = "1.2.3.4.5"
        #expect(try a.auditRecords(q).map(\.actor) == ["STORESCU"])
        q = AuditQuery(); q.action = .loginFailed
        #expect(try a.auditRecords(q).map(\.outcome) == ["failure"])
        q = AuditQuery(); q.limit = 1
        #expect(try a.auditRecords(q).count == 1)
        // SQL itself refuses to change or delete a record (triggers), not only the absence of routes.
        #expect(throws: DatabaseError.self) { try a.db.write { db in try db.execute(sql: "UPDATE audit SET actor = 'mallory'") } }
        #expect(throws: DatabaseError.self) { try a.db.write { db in try db.execute(sql: "DELETE FROM audit") } }
        #expect(try a.auditRecords(AuditQuery()).count == 3)
    }
}

@Suite struct AuditMessageTests {
    @Test func dicomAuditMessageCarriesEventCodesAndEscapes() throws {
        // Codes from PS3.16 CID 400 (110112 Query, 110114 User Authentication) and CID 401 (110122 Login).
        var q = AuditRecord(actor: "a<b&\"c'", actorKind: .user, role: "reader", source: "10.1.2.3:4444", action: .query,
                            patientID: "P1", studyUID: "1.2.3", detail: "GET /dicom-web/studies")
        q.time = "2026-12-06T10:00:00.000Z"
        let x = q.dicomAuditMessage(auditSource: "scinti@host")
        #expect(x.hasPrefix("<AuditMessage><EventIdentification EventActionCode=\"E\" EventDateTime=\"2026-12-06T10:00:00.000Z\" EventOutcomeIndicator=\"0\">"))
        #expect(x.contains("<EventID csd-code=\"110112\" codeSystemName=\"DCM\" originalText=\"Query\"/>"))
        #expect(x.contains("UserID=\"a&lt;b&amp;&quot;c&apos;\""))
        #expect(x.contains("NetworkAccessPointID=\"10.1.2.3\" NetworkAccessPointTypeCode=\"2\""))
        #expect(x.contains("ParticipantObjectID=\"1.2.3\" ParticipantObjectTypeCode=\"2\" ParticipantObjectTypeCodeRole=\"3\"><ParticipantObjectIDTypeCode csd-code=\"110180\""))
        #expect(x.contains("ParticipantObjectID=\"P1\" ParticipantObjectTypeCode=\"1\" ParticipantObjectTypeCodeRole=\"1\""))
        let failed = AuditRecord(actor: "bob", actorKind: .user, action: .loginFailed, outcome: "failure", detail: "wrong password")
        let f = failed.dicomAuditMessage(auditSource: "s")
        #expect(f.contains("EventOutcomeIndicator=\"4\"") && f.contains("<EventID csd-code=\"110114\"") && f.contains("<EventTypeCode csd-code=\"110122\""))
        #expect(f.contains("<EventOutcomeDescription>wrong password</EventOutcomeDescription>"))
        let dimse = AuditRecord(actor: "MODALITY1", actorKind: .dicom, source: "10.0.0.9:104 → SCINTI", action: .store)
        let d = dimse.dicomAuditMessage(auditSource: "s")
        #expect(d.contains("AlternativeUserID=\"AETITLES=MODALITY1\"") && d.contains("NetworkAccessPointID=\"10.0.0.9\"") && d.contains("EventActionCode=\"C\""))
    }
}
