#if PostgreSQL
import Archive
import Foundation
import PostgresNIO

/// The audit trail in PostgreSQL: one append-only table for every web server, receiver and worker of a shared
/// archive. Append-only is the database's rule, not only Scinti's: triggers refuse UPDATE, DELETE and TRUNCATE
/// (migration `v3-audit`), whoever connects.
public struct PostgresAuditStore: AuditStore {
    let database: PostgresArchiveDatabase

    /// The trail in `database`.
    public init(database: PostgresArchiveDatabase) { self.database = database }

    public var auditDatabase: (any RecordDatabase)? { database }

    static let columns = "time, actor, actor_kind, role, source, action, outcome, patient_id, study_uid, series_uid, instance_uid, detail"

    public func appendAudit(_ record: AuditRecord) throws -> AuditRecord { try appendAudits([record])[0] }

    /// One statement for the batch; the ids come back in the order of `records`.
    public func appendAudits(_ records: [AuditRecord]) throws -> [AuditRecord] {
        guard !records.isEmpty else { return [] }
        let now = Archive.timestamp(Date())
        var values: [SQLValue] = [], tuples: [String] = []
        for r in records {
            let first = values.count
            values += [.text(r.time ?? now), .text(r.actor), .text(r.actorKind.rawValue), .text(r.role), .text(r.source), .text(r.action.rawValue),
                       .text(r.outcome), .text(r.patientID), .text(r.studyUID), .text(r.seriesUID), .text(r.instanceUID), .text(r.detail)]
            tuples.append("(" + (1...12).map { "$\(first + $0)" }.joined(separator: ",") + ")")
        }
        // A multi-row INSERT assigns the serial ids in VALUES order; RETURNING gives them back (sorted here to be sure).
        let ids = try database.query("INSERT INTO audit (\(Self.columns)) VALUES \(tuples.joined(separator: ",")) RETURNING id", values)
            .map { try $0[0].decode(Int64.self) }.sorted()
        return zip(records, ids).map { r, id in var r = r; r.id = id; r.time = r.time ?? now; return r }
    }

    public func auditRecords(_ q: AuditQuery) throws -> [AuditRecord] {
        var sql = "SELECT id, \(Self.columns) FROM audit WHERE true"
        var values: [SQLValue] = []
        func bind(_ v: SQLValue) -> String { values.append(v); return "$\(values.count)" }
        if let a = q.actor { sql += " AND actor = \(bind(.text(a)))" }
        if let a = q.action { sql += " AND action = \(bind(.text(a.rawValue)))" }
        if let o = q.outcome { sql += " AND outcome = \(bind(.text(o)))" }
        if let u = q.uid { let p = bind(.text(u)); sql += " AND (study_uid = \(p) OR series_uid = \(p) OR instance_uid = \(p))" }
        if let s = q.since { sql += " AND time >= \(bind(.text(s)))" }
        if let u = q.until { sql += " AND time < \(bind(.text(u)))" }
        sql += " ORDER BY id DESC LIMIT \(bind(.int(max(1, min(10_000, q.limit)))))"
        return try database.query(sql, values).map { row in
            var r = AuditRecord(actor: try row[2].decode(String.self), actorKind: AuditActorKind(rawValue: try row[3].decode(String.self)) ?? .user,
                                role: try row[4].decode(String?.self), source: try row[5].decode(String?.self),
                                action: AuditAction(rawValue: try row[6].decode(String.self)) ?? .view, outcome: try row[7].decode(String.self),
                                patientID: try row[8].decode(String?.self), studyUID: try row[9].decode(String?.self),
                                seriesUID: try row[10].decode(String?.self), instanceUID: try row[11].decode(String?.self),
                                detail: try row[12].decode(String?.self))
            r.id = try row[0].decode(Int64.self); r.time = try row[1].decode(String.self)
            return r
        }
    }
}
#endif
