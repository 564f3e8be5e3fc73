import Foundation
import GRDB
import HummingbirdBcrypt
import Synchronization

// Personal accounts: users with a role, bcrypt password hashes, lock-out after repeated failures, and login sessions
// that survive a restart. Stored in the archive database (migration "accounts-v1", beside "v1").

/// What a person may do. Routes require one right each (`403` names the missing one).
public enum Right: String, Sendable, Codable, CaseIterable, Comparable {
    /// Search and view studies, series, jobs and results.
    case view
    /// Store objects (STOW-RS).
    case store
    /// Start reconstruction, analysis and dosimetry jobs.
    case runJobs
    /// Correct regions of interest and segmentations.
    case editRegions
    /// Approve a dosimetry result.
    case approveDosimetry
    /// Approve a quality-control result.
    case approveQC
    /// Sign a clinical report.
    case signReports
    /// Export (de-identified) studies.
    case export
    /// Add, disable and change users.
    case manageUsers
    /// Change the server's configuration.
    case configure
    /// Read the audit trail.
    case readAudit

    public static func < (a: Right, b: Right) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// A user's role; each grants a fixed set of ``Right``s (``rights``).
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Views studies and results.
    case reader
    /// Views, stores, runs jobs, edits regions, exports.
    case technologist
    /// A technologist who also approves dosimetry and quality control.
    case physicist
    /// A technologist who also signs reports.
    case physician
    /// Manages users and configuration, reads the audit trail, views.
    case admin

    /// The role → rights table (docs/accounts.md).
    public var rights: Set<Right> {
        let technologist: Set<Right> = [.view, .store, .runJobs, .editRegions, .export]
        switch self {
        case .reader: return [.view]
        case .technologist: return technologist
        case .physicist: return technologist.union([.approveDosimetry, .approveQC])
        case .physician: return technologist.union([.signReports])
        case .admin: return [.view, .manageUsers, .configure, .readAudit]
        }
    }

    /// Parses a role name, or throws naming the allowed ones.
    public static func parse(_ s: String) throws -> Role {
        guard let r = Role(rawValue: s.lowercased()) else {
            throw ArchiveError("unknown role '\(s.prefix(40))': one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return r
    }
}

/// A user account as listed (never the password hash).
public struct UserAccount: Sendable, Codable, Equatable {
    /// Login name.
    public var name: String
    /// Role.
    public var role: Role
    /// Disabled accounts cannot log in; their sessions end.
    public var disabled: Bool
    /// Consecutive failed logins since the last success.
    public var failedLogins: Int
    /// Locked until this time (ISO 8601 UTC) after repeated failures, if locked.
    public var lockedUntil: String?
    /// When the account was created (ISO 8601 UTC).
    public var created: String
}

/// How logins and sessions behave.
public struct AccountPolicy: Sendable {
    /// bcrypt cost (log2 rounds) for new password hashes.
    public var bcryptCost: UInt8 = 10
    /// Failed logins in a row that lock the account.
    public var lockAfterFailures = 20
    /// First lock duration; each further run of `lockAfterFailures` failures doubles it, up to `maxLock`.
    public var lockDuration: TimeInterval = 15 * 60
    /// Longest lock.
    public var maxLock: TimeInterval = 24 * 3600
    /// A session ends after this long without a request.
    public var sessionIdle: TimeInterval = 30 * 60
    /// A session ends this long after login, whatever its use.
    public var sessionAbsolute: TimeInterval = 12 * 3600
    /// Shortest password, characters (bcrypt reads at most 72 bytes: longer ones are refused).
    public var minPasswordLength = 8
    /// The defaults.
    public init() {}
}

/// Why a login did not succeed.
public enum LoginFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// Unknown user or wrong password (not told apart to the client).
    case badCredentials
    /// The account is disabled.
    case disabled
    /// Locked after repeated failures, until this time (ISO 8601 UTC).
    case locked(until: String)

    public var description: String {
        switch self {
        case .badCredentials: return "unknown user or wrong password"
        case .disabled: return "account disabled"
        case .locked(let until): return "account locked after repeated failed logins until \(until)"
        }
    }
}

/// A live login session: the cookie value is `id.secret`; the database keeps only a bcrypt hash of the secret.
public struct LoginSession: Sendable, Equatable {
    /// Public session id.
    public var id: String
    /// The user.
    public var user: String
    /// The user's role.
    public var role: Role
    /// When it ends at the latest (ISO 8601 UTC).
    public var expires: String
    /// The cookie value (`id.secret`), only on creation.
    public var cookie: String?
}

/// Storage of users and sessions. ``Archive`` implements it over SQLite; a PostgreSQL archive implements the same.
public protocol AccountStore: Sendable {
    /// Adds a user; throws when the name exists, the name or password is invalid.
    func addUser(name: String, role: Role, password: String) throws
    /// Replaces a user's password (and clears a lock).
    func setPassword(user: String, password: String) throws
    /// Disables or re-enables a user; disabling ends the user's sessions.
    func setDisabled(user: String, _ disabled: Bool) throws
    /// Every user, by name.
    func users() throws -> [UserAccount]
    /// Checks a password: the account on success (failures counted, lock applied).
    func authenticate(user: String, password: String, now: Date) throws -> Result<UserAccount, LoginFailure>
    /// Starts a session for a user who just authenticated.
    func createSession(user: String, role: Role, address: String?, now: Date) throws -> LoginSession
    /// The live session for a cookie value (nil when unknown, expired, idle too long or the user is disabled).
    func session(cookie: String, now: Date) throws -> LoginSession?
    /// Ends a session.
    func endSession(cookie: String) throws
}

extension Archive: AccountStore {
    /// The SQL of the migration "accounts-v1" (SQLite; PostgreSQL runs the same through ``postgresRecordStatements``).
    static let accountsSchema = """
        CREATE TABLE app_user (
          name TEXT PRIMARY KEY NOT NULL,
          role TEXT NOT NULL,
          password_hash TEXT NOT NULL,
          disabled INTEGER NOT NULL DEFAULT 0,
          failed_logins INTEGER NOT NULL DEFAULT 0,
          locked_until TEXT,
          created TEXT NOT NULL,
          password_changed TEXT NOT NULL);
        CREATE TABLE login_session (
          id TEXT PRIMARY KEY NOT NULL,
          secret_hash TEXT NOT NULL,
          user TEXT NOT NULL REFERENCES app_user(name),
          created TEXT NOT NULL,
          last_seen TEXT NOT NULL,
          expires TEXT NOT NULL,
          address TEXT);
        CREATE INDEX login_session_user ON login_session(user);
        """

    static func registerAccountMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("accounts-v1") { db in try db.execute(sql: Archive.accountsSchema) }
    }

    /// The account policy (bcrypt cost, lock-out, session timeouts) of this archive object.
    public var accountPolicy: AccountPolicy {
        get { policyBox.withLock { $0 } }
    }

    /// Sets the policy (before serving).
    public func setAccountPolicy(_ p: AccountPolicy) { policyBox.withLock { $0 = p } }

    static func validateName(_ name: String) throws {
        guard (1...64).contains(name.count), name.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || "._-".contains($0) }),
              name.first != "-" else {
            throw ArchiveError("invalid user name '\(name.prefix(64))': 1–64 characters of letters, digits, '.', '_', '-', not starting with '-'")
        }
    }

    func validatePassword(_ p: String) throws {
        let min = accountPolicy.minPasswordLength
        guard p.count >= min else { throw ArchiveError("password too short: at least \(min) characters") }
        guard p.utf8.count <= 72 else { throw ArchiveError("password too long: bcrypt reads at most 72 bytes") }
        guard !p.utf8.contains(0) else { throw ArchiveError("password must not contain NUL") }
    }

    public func addUser(name: String, role: Role, password: String) throws {
        try Archive.validateName(name)
        try validatePassword(password)
        let hash = Bcrypt.hash(password, cost: accountPolicy.bcryptCost)
        let now = Archive.timestamp(Date())
        let added = try records.write { db in
            try db.execute("INSERT INTO app_user (name, role, password_hash, created, password_changed) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                           [name, role.rawValue, hash, now, now])
        }
        guard added == 1 else { throw ArchiveError("user \(name) exists") }
    }

    public func setPassword(user: String, password: String) throws {
        try validatePassword(password)
        let hash = Bcrypt.hash(password, cost: accountPolicy.bcryptCost)
        try records.write { db in
            let n = try db.execute("UPDATE app_user SET password_hash = ?, password_changed = ?, failed_logins = 0, locked_until = NULL WHERE name = ?",
                                   [hash, Archive.timestamp(Date()), user])
            guard n == 1 else { throw ArchiveError("no user \(user.prefix(64))") }
            try db.execute("DELETE FROM login_session WHERE \"user\" = ?", [user])
        }
    }

    public func setDisabled(user: String, _ disabled: Bool) throws {
        try records.write { db in
            let n = try db.execute("UPDATE app_user SET disabled = ? WHERE name = ?", [disabled, user])
            guard n == 1 else { throw ArchiveError("no user \(user.prefix(64))") }
            if disabled { try db.execute("DELETE FROM login_session WHERE \"user\" = ?", [user]) }
        }
    }

    public func users() throws -> [UserAccount] {
        try records.read { db in
            try db.rows("SELECT name, role, disabled, failed_logins, locked_until, created FROM app_user ORDER BY name", []).map {
                UserAccount(name: $0.text("name") ?? "", role: Role(rawValue: $0.text("role") ?? "") ?? .reader, disabled: $0.bool("disabled"),
                            failedLogins: $0.int("failed_logins") ?? 0, lockedUntil: $0.text("locked_until"), created: $0.text("created") ?? "")
            }
        }
    }

    /// A hash of a random password, checked when the user is unknown so the answer takes as long as for a known user.
    static let dummyHash = Bcrypt.hash(UUID().uuidString, cost: AccountPolicy().bcryptCost)

    public func authenticate(user: String, password: String, now: Date) throws -> Result<UserAccount, LoginFailure> {
        let policy = accountPolicy
        let row = try records.read { db in
            try db.rows("SELECT name, role, password_hash, disabled, failed_logins, locked_until, created FROM app_user WHERE name = ?", [user]).first
        }
        guard let row else {
            _ = Bcrypt.verify(password, hash: Archive.dummyHash)
            return .failure(.badCredentials)
        }
        let nowS = Archive.timestamp(now)
        if let until = row.text("locked_until"), until > nowS { return .failure(.locked(until: until)) }
        if row.bool("disabled") { return .failure(.disabled) }
        let hash = row.text("password_hash") ?? ""
        guard password.utf8.count <= 72, Bcrypt.verify(password, hash: hash) else {
            // Counted in the database (another server may count failures of the same user at the same time).
            let lock: String? = try records.write { db in
                let failures = try db.rows("UPDATE app_user SET failed_logins = failed_logins + 1 WHERE name = ? RETURNING failed_logins", [user])
                    .first?.int("failed_logins") ?? 1
                guard failures % policy.lockAfterFailures == 0 else { return nil }
                let runs = failures / policy.lockAfterFailures
                let seconds = min(policy.maxLock, policy.lockDuration * pow(2, Double(runs - 1)))
                let until = Archive.timestamp(now.addingTimeInterval(seconds))
                try db.execute("UPDATE app_user SET locked_until = ? WHERE name = ?", [until, user])
                return until
            }
            if let lock { return .failure(.locked(until: lock)) }
            return .failure(.badCredentials)
        }
        try records.write { db in try db.execute("UPDATE app_user SET failed_logins = 0, locked_until = NULL WHERE name = ?", [user]) }
        return .success(UserAccount(name: row.text("name") ?? user, role: Role(rawValue: row.text("role") ?? "") ?? .reader, disabled: false,
                                    failedLogins: 0, lockedUntil: nil, created: row.text("created") ?? ""))
    }

    static func randomHex(_ bytes: Int) -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    public func createSession(user: String, role: Role, address: String?, now: Date) throws -> LoginSession {
        let id = Archive.randomHex(16), secret = Archive.randomHex(32)
        // The secret has 256 random bits: the lowest bcrypt cost keeps a stolen database from yielding cookies.
        let hash = Bcrypt.hash(secret, cost: 4)
        let expires = Archive.timestamp(now.addingTimeInterval(accountPolicy.sessionAbsolute))
        let nowS = Archive.timestamp(now)
        try records.write { db in
            try db.execute("DELETE FROM login_session WHERE expires <= ?", [nowS])
            try db.execute("INSERT INTO login_session (id, secret_hash, \"user\", created, last_seen, expires, address) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           [id, hash, user, nowS, nowS, expires, address])
        }
        return LoginSession(id: id, user: user, role: role, expires: expires, cookie: id + "." + secret)
    }

    static func splitCookie(_ cookie: String) -> (id: String, secret: String)? {
        let p = cookie.split(separator: ".", maxSplits: 1)
        guard p.count == 2, p[0].count == 32, p[1].count == 64, cookie.allSatisfy({ $0.isHexDigit || $0 == "." }) else { return nil }
        return (String(p[0]), String(p[1]))
    }

    public func session(cookie: String, now: Date) throws -> LoginSession? {
        guard let (id, secret) = Archive.splitCookie(cookie) else { return nil }
        let row = try records.read { db in
            try db.rows("""
                SELECT s.secret_hash, s."user" AS "user", s.last_seen, s.expires, u.role, u.disabled FROM login_session s
                JOIN app_user u ON u.name = s."user" WHERE s.id = ?
                """, [id]).first
        }
        guard let row, Bcrypt.verify(secret, hash: row.text("secret_hash") ?? "") else { return nil }
        let nowS = Archive.timestamp(now)
        let lastSeen = row.text("last_seen") ?? "", expires = row.text("expires") ?? ""
        let idleLimit = Archive.timestamp(now.addingTimeInterval(-accountPolicy.sessionIdle))
        if row.bool("disabled") || expires <= nowS || lastSeen < idleLimit {
            try records.write { db in try db.execute("DELETE FROM login_session WHERE id = ?", [id]) }
            return nil
        }
        // Refresh the idle clock at most every 15 s (one write per burst of viewer requests).
        if lastSeen < Archive.timestamp(now.addingTimeInterval(-15)) {
            try records.write { db in try db.execute("UPDATE login_session SET last_seen = ? WHERE id = ?", [nowS, id]) }
        }
        return LoginSession(id: id, user: row.text("user") ?? "", role: Role(rawValue: row.text("role") ?? "") ?? .reader, expires: expires, cookie: nil)
    }

    public func endSession(cookie: String) throws {
        guard let (id, _) = Archive.splitCookie(cookie) else { return }
        try records.write { db in try db.execute("DELETE FROM login_session WHERE id = ?", [id]) }
    }

    /// ISO 8601 UTC with milliseconds (`2026-12-06T10:50:31.123Z`): sorts as text in time order.
    public static func timestamp(_ d: Date) -> String {
        let ms = Int64((d.timeIntervalSince1970 * 1000).rounded(.down))
        var t = time_t(ms / 1000)
        var tm = tm()
        gmtime_r(&t, &tm)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec, Int32(ms % 1000))
    }
}
