#if PostgreSQL
import Archive
import Foundation
import Logging
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO
import Synchronization

/// The outcome of a future, handed from the event loop to the waiting thread (the semaphore orders the accesses).
final class FutureResult<T>: @unchecked Sendable { var result: Result<T, any Error>? }

/// A value bound to a `$n` parameter of a statement.
enum SQLValue: Sendable {
    case text(String?), int(Int), double(Double), bytes(Data)
}

/// The PostgreSQL database of a shared archive: where it is (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`, or a Unix
/// socket folder as `postgres:///DB?host=/FOLDER`), a small pool of connections used synchronously (the archive's
/// API is synchronous; each call blocks its thread, never an event loop of this pool), the schema migrations, and
/// retries: a statement that fails with a serialisation failure or deadlock (SQLSTATE 40001, 40P01) is retried up to
/// 5 times, one that loses its connection once on a new connection (statements here are single, autocommitted and
/// idempotent or guarded). Errors are ``ArchiveError``s naming the database and what PostgreSQL said.
public final class PostgresArchiveDatabase: Sendable {
    /// `postgres://USER@HOST:PORT/DB` (no password), for messages.
    public let location: String
    let configuration: PostgresConnection.Configuration
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let idle = Mutex<[PostgresConnection]>([])
    let nextID = Mutex(0)
    let logger = Logger(label: "scinti.postgres")

    /// The schema: migrations applied in order, each once (table `scinti_schema`). Append, never edit.
    static let migrations: [(name: String, statements: [String])] = [
        ("v1-instance", ["""
            CREATE TABLE instance (
              id BIGSERIAL NOT NULL UNIQUE,
              sop_instance_uid TEXT PRIMARY KEY NOT NULL,
              sop_class_uid TEXT NOT NULL,
              series_uid TEXT NOT NULL,
              study_uid TEXT NOT NULL,
              patient_id TEXT NOT NULL,
              path TEXT NOT NULL,
              transfer_syntax TEXT NOT NULL,
              size BIGINT NOT NULL,
              received_at TEXT NOT NULL,
              source_ae TEXT,
              header BYTEA NOT NULL)
            """,
            "CREATE INDEX instance_study ON instance(study_uid)",
            "CREATE INDEX instance_series ON instance(series_uid)",
            "CREATE INDEX instance_patient ON instance(patient_id)",
        ]),
        ("v2-job-queue", ["""
            CREATE TABLE job (
              id TEXT PRIMARY KEY NOT NULL,
              type TEXT NOT NULL,
              state TEXT NOT NULL,
              progress DOUBLE PRECISION NOT NULL,
              message TEXT NOT NULL,
              request TEXT NOT NULL,
              result TEXT,
              created TEXT NOT NULL,
              submitted_by TEXT,
              worker TEXT,
              lease_until TIMESTAMPTZ,
              attempts INTEGER NOT NULL DEFAULT 0)
            """,
            "CREATE INDEX job_queue ON job(state, created)",
        ]),
        ("v3-audit", [
            "CREATE TABLE audit (id BIGSERIAL PRIMARY KEY, \(Archive.auditColumns))",
            "CREATE INDEX audit_time ON audit(time)",
            "CREATE INDEX audit_actor ON audit(actor)",
            "CREATE INDEX audit_study ON audit(study_uid)",
            "CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'audit records are append-only'; END $$",
            "CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
            "CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
        ]),
        // The record tables the archive folder's index.sqlite holds for one node (Archive+Users, +QC,
        // +ResultDocuments, +Outbox), here shared by every node (PostgresRecords.swift). Same columns and names.
        ("v4-records", Archive.postgresRecordStatements),
        // The attributes QIDO and C-FIND match in SQL (Archive+QueryColumns.swift).
        ("v5-query-columns", Archive.postgresQueryColumnStatements),
    ]

    /// The schema version this build knows (the number of migrations).
    public static var schemaVersion: Int { migrations.count }

    /// Connects to the database at `url` and brings its schema to this build's version; `report` gets one line per
    /// applied migration. Throws when the database cannot be reached, or when its schema is newer than this build.
    public init(url: String, report: (String) -> Void = { _ in }) throws {
        guard let u = URLComponents(string: url), u.scheme == "postgres" || u.scheme == "postgresql" else {
            throw ArchiveError("--database: '\(url.prefix(80))' is not postgres://USER@HOST[:PORT]/DB or postgres:///DB?host=/SOCKET-FOLDER")
        }
        let query = Dictionary((u.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        let user = u.user ?? query["user"] ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
        let password = u.password ?? query["password"]
        let db = String(u.path.drop(while: { $0 == "/" }))
        let port = u.port ?? Int(query["port"] ?? "") ?? 5432
        let database = db.isEmpty ? user : db
        var config: PostgresConnection.Configuration
        if let socketFolder = query["host"], socketFolder.hasPrefix("/") {
            config = .init(unixSocketPath: socketFolder + "/.s.PGSQL.\(port)", username: user, password: password, database: database)
            location = "postgres://\(user)@\(socketFolder):\(port)/\(database)"
        } else {
            let host = u.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
            config = .init(host: host, port: port, username: user, password: password, database: database,
                           tls: try Self.tls(mode: query["sslmode"] ?? "disable", rootCertificate: query["sslrootcert"]))
            location = "postgres://\(user)@\(host):\(port)/\(database)" + (query["sslmode"].map { "?sslmode=" + $0 } ?? "")
        }
        config.options.connectTimeout = .seconds(5)
        configuration = config
        try migrate(report: report)
    }

    /// TLS to the server as libpq's `sslmode` names it: `disable` (the default here), `prefer` (TLS when the server
    /// offers it), `require` (TLS, certificate not verified), `verify-ca` (certificate chain verified against
    /// `sslrootcert`, a PEM file, or the system's roots) and `verify-full` (chain and host name). A Unix socket
    /// connection ignores it, as libpq does.
    static func tls(mode: String, rootCertificate: String?) throws -> PostgresConnection.Configuration.TLS {
        guard mode != "disable" else { return .disable }
        var c = TLSConfiguration.makeClientConfiguration()
        switch mode {
        case "prefer", "require": c.certificateVerification = .none
        case "verify-ca": c.certificateVerification = .noHostnameVerification
        case "verify-full": c.certificateVerification = .fullVerification
        default: throw ArchiveError("--database: sslmode=\(mode.prefix(40)) is not one of disable, prefer, require, verify-ca, verify-full")
        }
        if let rootCertificate {
            guard FileManager.default.isReadableFile(atPath: rootCertificate) else {
                throw ArchiveError("--database: sslrootcert=\(rootCertificate): no readable PEM file there")
            }
            c.trustRoots = .file(rootCertificate)
        }
        let context: NIOSSLContext
        do { context = try NIOSSLContext(configuration: c) } catch {
            throw ArchiveError("--database: TLS configuration (sslmode=\(mode)\(rootCertificate.map { ", sslrootcert=" + $0 } ?? "")): \(error)")
        }
        return mode == "prefer" ? .prefer(context) : .require(context)
    }

    deinit {
        for c in idle.withLock({ c in defer { c = [] }; return c }) { _ = try? wait(c.close() as EventLoopFuture<Void>) }
        try? group.syncShutdownGracefully()
    }

    // MARK: Statements

    /// Runs one statement (autocommitted) and returns its rows.
    @discardableResult
    func query(_ sql: String, _ values: [SQLValue] = []) throws -> [PostgresRandomAccessRow] {
        var bindings = PostgresBindings(capacity: values.count)
        for v in values {
            switch v {
            case .text(let s): bindings.append(s)
            case .int(let i): bindings.append(i)
            case .double(let d): bindings.append(d)
            case .bytes(let b): bindings.append(ByteBuffer(bytes: b))
            }
        }
        let q = PostgresQuery(unsafeSQL: sql, binds: bindings)
        var serialisationRetries = 0, connectionRetried = false
        while true {
            let c = try connection()
            do {
                let result = try wait(c.query(q, logger: logger))
                idle.withLock { $0.append(c) }
                return result.rows.map { $0.makeRandomAccess() }
            } catch {
                let (state, text) = Self.describe(error)
                if c.isClosed || state == nil {
                    _ = try? wait(c.close() as EventLoopFuture<Void>)
                    if !connectionRetried { connectionRetried = true; continue }
                    throw ArchiveError("PostgreSQL at \(location): connection lost (\(text))")
                }
                idle.withLock { $0.append(c) }
                if (state == "40001" || state == "40P01") && serialisationRetries < 5 {
                    serialisationRetries += 1
                    Thread.sleep(forTimeInterval: 0.01 * Double(1 << serialisationRetries))
                    continue
                }
                throw ArchiveError("PostgreSQL at \(location): \(text)")
            }
        }
    }

    /// An idle connection, or a new one.
    func connection() throws -> PostgresConnection {
        while let c = idle.withLock({ $0.popLast() }) {
            if !c.isClosed { return c }
        }
        let id = nextID.withLock { n in n += 1; return n }
        do {
            return try wait(PostgresConnection.connect(on: group.next(), configuration: configuration, id: id, logger: logger))
        } catch {
            throw ArchiveError("cannot reach PostgreSQL at \(location): \(Self.describe(error).text)")
        }
    }

    /// Blocks this thread until the future completes (the future runs on this pool's own event loop).
    func wait<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        let done = DispatchSemaphore(value: 0), box = FutureResult<T>()
        future.whenComplete { r in box.result = r; done.signal() }
        done.wait()
        return try box.result!.get()
    }

    /// SQLSTATE (nil when the error is not the server's: connection, I/O) and a readable message.
    static func describe(_ error: any Error) -> (state: String?, text: String) {
        guard let e = error as? PSQLError else { return (nil, "\(error)") }
        if let info = e.serverInfo {
            let state = info[.sqlState]
            return (state, [info[.message], info[.detail]].compactMap { $0 }.joined(separator: ": ") + (state.map { " (SQLSTATE \($0))" } ?? ""))
        }
        return (nil, "\(e.code)" + (e.underlying.map { ": \($0)" } ?? ""))
    }

    // MARK: Schema

    /// Applies the migrations this database lacks, under an advisory lock (several nodes may start at once).
    func migrate(report: (String) -> Void) throws {
        let c = try connection()
        defer { idle.withLock { $0.append(c) } }
        func run(_ sql: String) throws -> [PostgresRandomAccessRow] {
            do { return try wait(c.query(PostgresQuery(unsafeSQL: sql), logger: logger)).rows.map { $0.makeRandomAccess() } } catch {
                throw ArchiveError("PostgreSQL at \(location): schema migration: \(Self.describe(error).text)")
            }
        }
        _ = try run("BEGIN")
        do {
            _ = try run("SELECT pg_advisory_xact_lock(7351742)")
            _ = try run("CREATE TABLE IF NOT EXISTS scinti_schema (version INTEGER PRIMARY KEY NOT NULL, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            let current = try run("SELECT COALESCE(MAX(version), 0) FROM scinti_schema").first.map { try $0[0].decode(Int.self) } ?? 0
            if current > Self.schemaVersion {
                throw ArchiveError("PostgreSQL at \(location): the database's schema is version \(current), newer than this scinti's \(Self.schemaVersion): upgrade scinti on this node (the database is left unchanged)")
            }
            for (n, m) in Self.migrations.enumerated() where n + 1 > current {
                for s in m.statements { _ = try run(s) }
                _ = try run("INSERT INTO scinti_schema (version, name) VALUES (\(n + 1), '\(m.name)')")
                report("PostgreSQL at \(location): schema migrated to version \(n + 1) (\(m.name))")
            }
            _ = try run("COMMIT")
        } catch {
            _ = try? run("ROLLBACK")
            throw error
        }
    }
}
#endif
