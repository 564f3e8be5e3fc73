import Foundation
import GRDB
import Synchronization

// The audit trail: who did what to which patient data, when and from where (IHE ATNA, DICOM PS3.15 A.5 in spirit).
// Append-only: the table refuses UPDATE and DELETE through SQLite triggers, and no route changes it.

/// What was done (PS3.15 A.5.3 events, named for Scinti's routes).
public enum AuditAction: String, Sendable, Codable, CaseIterable {
    /// A search (QIDO-RS, C-FIND).
    case query
    /// Data shown (viewer API, rendered frames, metadata).
    case view
    /// Objects sent out (WADO-RS instances, C-MOVE, C-GET).
    case retrieve
    /// Objects received (STOW-RS, C-STORE).
    case store
    /// A job started.
    case job
    /// Regions or results corrected.
    case edit
    /// A result approved (dosimetry, QC).
    case approve
    /// A report signed.
    case sign
    /// Studies exported (de-identified).
    case export
    /// A successful login.
    case login
    /// A failed login (wrong password, unknown user, locked, disabled) or a rejected credential.
    case loginFailed = "login-failed"
    /// A logout.
    case logout
    /// A request refused for lack of a right (403).
    case denied
    /// Users or configuration changed.
    case configuration
}

/// Who acted: a person, the service token, a DICOM peer or the server itself.
public enum AuditActorKind: String, Sendable, Codable {
    /// A logged-in user (``AuditRecord/actor`` is the login name).
    case user
    /// The service token of `scinti serve --token` (scripts, CI).
    case service
    /// A DICOM association (the actor is the calling AE title).
    case dicom
    /// A command-line tool run on the archive (`scinti users`).
    case cli
}

/// One audit record. Create one and pass it to ``Archive/appendAudit(_:)``; `id` and `time` are filled in on append.
public struct AuditRecord: Sendable, Codable, Equatable {
    /// Sequence number (increasing), set on append.
    public var id: Int64?
    /// When (ISO 8601 UTC, milliseconds), set on append when nil.
    public var time: String?
    /// Who: user name, `service`, calling AE title.
    public var actor: String
    /// What kind of actor.
    public var actorKind: AuditActorKind
    /// The user's role, when a user.
    public var role: String?
    /// From where: the peer's address (`IP:port`), for DICOM also the called AE.
    public var source: String?
    /// What was done.
    public var action: AuditAction
    /// `success`, `failure` or `denied`.
    public var outcome: String
    /// Patient ID, when known.
    public var patientID: String?
    /// Study Instance UID, when one.
    public var studyUID: String?
    /// Series Instance UID, when one.
    public var seriesUID: String?
    /// SOP Instance UID, when one.
    public var instanceUID: String?
    /// The request (method and path, query) or other detail; never a password.
    public var detail: String?

    /// Creates a record.
    public init(actor: String, actorKind: AuditActorKind, role: String? = nil, source: String? = nil, action: AuditAction,
                outcome: String = "success", patientID: String? = nil, studyUID: String? = nil, seriesUID: String? = nil,
                instanceUID: String? = nil, detail: String? = nil) {
        self.actor = actor; self.actorKind = actorKind; self.role = role; self.source = source; self.action = action
        self.outcome = outcome; self.patientID = patientID; self.studyUID = studyUID; self.seriesUID = seriesUID
        self.instanceUID = instanceUID; self.detail = detail
    }
}

/// Filters of ``AuditStore/auditRecords(_:)``; nil fields do not filter.
public struct AuditQuery: Sendable {
    /// Only this actor.
    public var actor: String?
    /// Only this action.
    public var action: AuditAction?
    /// Only records naming this study, series or instance UID.
    public var uid: String?
    /// Only this outcome.
    public var outcome: String?
    /// From this time on (ISO 8601 prefix, inclusive).
    public var since: String?
    /// Before this time (ISO 8601 prefix, exclusive).
    public var until: String?
    /// At most this many (newest first), 1…10000.
    public var limit = 1000
    /// No filter.
    public init() {}
}

/// Append-only storage of audit records (``Archive`` over SQLite; a PostgreSQL archive implements the same).
public protocol AuditStore: Sendable {
    /// Appends a record and returns it with its id and time.
    @discardableResult func appendAudit(_ record: AuditRecord) throws -> AuditRecord
    /// Appends several records in one transaction, in order, and returns them with their ids and times.
    @discardableResult func appendAudits(_ records: [AuditRecord]) throws -> [AuditRecord]
    /// Matching records, newest first.
    func auditRecords(_ query: AuditQuery) throws -> [AuditRecord]
    /// The database of the trail when it is a ``RecordDatabase`` (PostgreSQL): the group commit then writes index rows
    /// and audit records in one transaction of it.
    var auditDatabase: (any RecordDatabase)? { get }
}

extension AuditStore {
    public var auditDatabase: (any RecordDatabase)? { nil }
}

extension Archive: AuditStore {
    /// The columns of the `audit` table after its id, in SQL both SQLite and PostgreSQL accept (the PostgreSQL
    /// migration `v3-audit` creates the same table).
    public static let auditColumns = """
        time TEXT NOT NULL, actor TEXT NOT NULL, actor_kind TEXT NOT NULL, role TEXT, source TEXT, action TEXT NOT NULL,
        outcome TEXT NOT NULL, patient_id TEXT, study_uid TEXT, series_uid TEXT, instance_uid TEXT, detail TEXT
        """

    static func registerAuditMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("audit-v1") { db in
            try db.execute(sql: """
                CREATE TABLE audit (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  \(Archive.auditColumns));
                CREATE INDEX audit_time ON audit(time);
                CREATE INDEX audit_actor ON audit(actor);
                CREATE INDEX audit_study ON audit(study_uid);
                CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
                  BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
                  BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
                """)
        }
    }

    @discardableResult
    public func appendAudit(_ record: AuditRecord) throws -> AuditRecord {
        try appendAudits([record])[0]
    }

    /// Appends several records in one transaction (one fsync; the group commit of stores) and returns them with
    /// their ids and times: in this folder's `index.sqlite`, or in the shared audit store the archive was opened
    /// with (PostgreSQL: one trail for every node).
    @discardableResult
    public func appendAudits(_ records: [AuditRecord]) throws -> [AuditRecord] {
        let bounded = Archive.bounded(records)
        let stored = try sharedAudit?.appendAudits(bounded) ?? db.write { db in
            try bounded.map { rec -> AuditRecord in
                try db.execute(sql: """
                    INSERT INTO audit (time, actor, actor_kind, role, source, action, outcome, patient_id, study_uid, series_uid, instance_uid, detail)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [rec.time, rec.actor, rec.actorKind.rawValue, rec.role, rec.source, rec.action.rawValue, rec.outcome,
                                     rec.patientID, rec.studyUID, rec.seriesUID, rec.instanceUID, rec.detail])
                var r = rec
                r.id = db.lastInsertedRowID
                return r
            }
        }
        notifyAuditObservers(stored)
        return stored
    }

    /// The records with their time set and every field bounded (a client cannot grow the trail by megabytes per request).
    static func bounded(_ records: [AuditRecord]) -> [AuditRecord] {
        let now = Archive.timestamp(Date())
        func cut(_ s: String?, _ n: Int) -> String? { s.map { String($0.prefix(n)) } }
        return records.map { record -> AuditRecord in
            var r = record
            if r.time == nil { r.time = now }
            r.actor = String(r.actor.prefix(128)); r.source = cut(r.source, 128); r.detail = cut(r.detail, 2000)
            r.studyUID = cut(r.studyUID, 64); r.seriesUID = cut(r.seriesUID, 64); r.instanceUID = cut(r.instanceUID, 64)
            r.patientID = cut(r.patientID, 64); r.role = cut(r.role, 32); r.outcome = String(r.outcome.prefix(16))
            return r
        }
    }

    /// Hands stored records to the observers.
    func notifyAuditObservers(_ stored: [AuditRecord]) {
        let observers = auditObservers.withLock { $0 }
        for record in stored { for f in observers { f(record) } }
    }

    /// Calls `observer` with every record appended from now on (after it is stored), e.g. to forward it to an
    /// audit repository. The observer must not block.
    public func observeAudit(_ observer: @escaping @Sendable (AuditRecord) -> Void) {
        auditObservers.withLock { $0.append(observer) }
    }

    public func auditRecords(_ q: AuditQuery) throws -> [AuditRecord] {
        if let sharedAudit { return try sharedAudit.auditRecords(q) }
        var sql = "SELECT * FROM audit WHERE 1"
        var args: [(any DatabaseValueConvertible)?] = []
        if let a = q.actor { sql += " AND actor = ?"; args.append(a) }
        if let a = q.action { sql += " AND action = ?"; args.append(a.rawValue) }
        if let o = q.outcome { sql += " AND outcome = ?"; args.append(o) }
        if let u = q.uid { sql += " AND (study_uid = ? OR series_uid = ? OR instance_uid = ?)"; args += [u, u, u] }
        if let s = q.since { sql += " AND time >= ?"; args.append(s) }
        if let u = q.until { sql += " AND time < ?"; args.append(u) }
        sql += " ORDER BY id DESC LIMIT ?"
        args.append(max(1, min(10_000, q.limit)))
        let arguments = StatementArguments(args)
        return try db.read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                var r = AuditRecord(actor: row["actor"], actorKind: AuditActorKind(rawValue: row["actor_kind"]) ?? .user, role: row["role"],
                                    source: row["source"], action: AuditAction(rawValue: row["action"]) ?? .view, outcome: row["outcome"],
                                    patientID: row["patient_id"], studyUID: row["study_uid"], seriesUID: row["series_uid"],
                                    instanceUID: row["instance_uid"], detail: row["detail"])
                r.id = row["id"]; r.time = row["time"]
                return r
            }
        }
    }

    /// The Study Instance UID and Patient ID of a series, for audit records of series-level access (nil when unknown).
    public func studyAndPatient(seriesUID: String) throws -> (study: String, patientID: String)? {
        try index.rows(IndexFilter(seriesUIDs: [seriesUID])).first.map { ($0.studyUID, $0.patientID) }
    }
}
