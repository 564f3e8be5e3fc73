import Foundation
import GRDB

/// A job's state as stored and served (`GET /api/jobs/{id}`).
public struct JobRecord: Sendable, Codable, Equatable {
    /// Job id (UUID, lower case).
    public var id: String
    /// Job type: `recon`, `analysis` or `dose`.
    public var type: String
    /// `queued`, `running`, `done` or `failed`.
    public var state: String
    /// Fraction done, 0…1.
    public var progress: Double
    /// Human-readable status or error.
    public var message: String
    /// The request (JSON object as sent, validated).
    public var request: String
    /// The result, when done (JSON). `recon`: the reconstruction's figures plus `seriesUID`/`studyUID` of the stored
    /// volume. `analysis`: `{"analysis", "result", "display"}`. `dose`: `{"report", "display", "seriesUID", "studyUID"}`
    /// (the RT Dose). `display` is a ``Workflows/ResultDisplay`` (regions, masks, curves, summary) for the viewer.
    public var result: String?
    /// ISO 8601 creation time.
    public var created: String
    /// Who submitted it: the user name, or `service` for the service token (nil for jobs from before accounts).
    public var submittedBy: String? = nil
    /// The worker running or last running it (`host:pid`; shared job queue only).
    public var worker: String? = nil
    /// How many times a worker has claimed it (shared job queue only; more than 1 after a worker died).
    public var attempts: Int? = nil

    /// Creates a record.
    public init(id: String, type: String, state: String, progress: Double, message: String, request: String, result: String?,
                created: String, submittedBy: String? = nil, worker: String? = nil, attempts: Int? = nil) {
        self.id = id; self.type = type; self.state = state; self.progress = progress; self.message = message; self.request = request
        self.result = result; self.created = created; self.submittedBy = submittedBy; self.worker = worker; self.attempts = attempts
    }
}

/// Where jobs are kept: `jobs.sqlite` in the archive folder (``SQLiteJobStore``; the server that accepted a job runs
/// it), or a shared queue (PostgreSQL, module `ArchivePostgres`) that `scinti worker` processes claim jobs from.
///
/// In a shared queue a job is claimed with a lease (`SELECT … FOR UPDATE SKIP LOCKED`), kept by heartbeats; a job
/// whose lease ran out (its worker died) is claimed again. Updates by a worker name it and change nothing once
/// another worker holds the job, so exactly one worker's result is recorded.
public protocol JobStore: Sendable {
    /// Whether other processes run the jobs (a shared queue): the server then only records them.
    var isShared: Bool { get }
    /// Records a new job.
    func insert(_ job: JobRecord) throws
    /// All jobs, newest first.
    func list() throws -> [JobRecord]
    /// One job.
    func get(_ id: String) throws -> JobRecord?
    /// Changes a job's fields (nil: unchanged). With `worker`, only while that worker holds the job; returns whether
    /// the job was changed.
    @discardableResult
    func update(_ id: String, worker: String?, state: String?, progress: Double?, message: String?, result: String?) throws -> Bool
    /// Claims the oldest queued job, or a running one whose lease ran out, for `worker` for `lease` seconds.
    func claim(worker: String, lease: Double) throws -> JobRecord?
    /// Extends the lease of a job `worker` holds; false when it no longer holds it.
    func heartbeat(_ id: String, worker: String, lease: Double) throws -> Bool
    /// Ids of jobs left queued or running (for a server restart with a local store).
    func unfinished() throws -> [String]
}

/// Jobs in SQLite (`jobs.sqlite` in the archive folder), run by the server process that accepted them.
public struct SQLiteJobStore: JobStore {
    let db: DatabaseQueue

    /// Opens (creating and migrating) the store at `path`.
    public init(path: String) throws {
        db = try DatabaseQueue(path: path)
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE job (id TEXT PRIMARY KEY NOT NULL, type TEXT NOT NULL, state TEXT NOT NULL, progress REAL NOT NULL,
                                  message TEXT NOT NULL, request TEXT NOT NULL, result TEXT, created TEXT NOT NULL)
                """)
        }
        // Jobs record who submitted them (accounts, docs/accounts.md).
        m.registerMigration("v2-submitter") { db in try db.execute(sql: "ALTER TABLE job ADD COLUMN submitted_by TEXT") }
        try m.migrate(db)
    }

    public var isShared: Bool { false }

    static func record(_ r: Row) -> JobRecord {
        JobRecord(id: r["id"], type: r["type"], state: r["state"], progress: r["progress"], message: r["message"], request: r["request"],
                  result: r["result"], created: r["created"], submittedBy: r["submitted_by"])
    }

    public func insert(_ rec: JobRecord) throws {
        try db.write { db in
            try db.execute(sql: "INSERT INTO job (id, type, state, progress, message, request, result, created, submitted_by) VALUES (?,?,?,?,?,?,?,?,?)",
                           arguments: [rec.id, rec.type, rec.state, rec.progress, rec.message, rec.request, rec.result, rec.created, rec.submittedBy])
        }
    }

    public func list() throws -> [JobRecord] {
        try db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM job ORDER BY created DESC").map(Self.record) }
    }

    public func get(_ id: String) throws -> JobRecord? {
        try db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ?", arguments: [id]).map(Self.record) }
    }

    public func update(_ id: String, worker: String?, state: String?, progress: Double?, message: String?, result: String?) throws -> Bool {
        try db.write { db in
            if let state { try db.execute(sql: "UPDATE job SET state = ? WHERE id = ?", arguments: [state, id]) }
            if let progress { try db.execute(sql: "UPDATE job SET progress = ? WHERE id = ?", arguments: [progress, id]) }
            if let message { try db.execute(sql: "UPDATE job SET message = ? WHERE id = ?", arguments: [message, id]) }
            if let result { try db.execute(sql: "UPDATE job SET result = ? WHERE id = ?", arguments: [result, id]) }
            return db.changesCount > 0
        }
    }

    public func claim(worker: String, lease: Double) throws -> JobRecord? {
        try db.write { db in
            guard let id = try String.fetchOne(db, sql: "SELECT id FROM job WHERE state = 'queued' ORDER BY created LIMIT 1") else { return nil }
            try db.execute(sql: "UPDATE job SET state = 'running', message = ? WHERE id = ?", arguments: ["claimed by \(worker)", id])
            return try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ?", arguments: [id]).map(Self.record)
        }
    }

    public func heartbeat(_ id: String, worker: String, lease: Double) throws -> Bool { true }

    public func unfinished() throws -> [String] {
        try db.read { db in try String.fetchAll(db, sql: "SELECT id FROM job WHERE state IN ('queued','running') ORDER BY created") }
    }
}
