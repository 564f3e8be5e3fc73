#if PostgreSQL
import Archive
import Foundation
import NIOCore
import PostgresNIO

/// The archive's instance index in PostgreSQL, shared by every receiver, web server and worker of one archive.
/// The SOP Instance UID is the primary key: two nodes inserting the same instance at once get one row
/// (`INSERT … ON CONFLICT DO NOTHING`), the second learns the first's path.
public struct PostgresIndex: ArchiveIndex {
    let database: PostgresArchiveDatabase

    /// The index in `database`.
    public init(database: PostgresArchiveDatabase) { self.database = database }

    public var location: String { database.location }
    public var isShared: Bool { true }
    public var records: (any RecordDatabase)? { database }

    static let columns = "sop_instance_uid, sop_class_uid, series_uid, study_uid, patient_id, path, transfer_syntax, size, received_at, source_ae, header"

    public func path(sopInstanceUID: String) throws -> String? {
        try database.query("SELECT path FROM instance WHERE sop_instance_uid = $1", [.text(sopInstanceUID)]).first.map { try $0[0].decode(String.self) }
    }

    public func insert(_ r: IndexRow) throws -> String? { try insert([r])[0] }

    /// One statement for the whole batch (one round trip, one WAL flush): `INSERT … VALUES (…), (…) ON CONFLICT DO
    /// NOTHING RETURNING` the inserted UIDs; the paths of the others are then read in a second statement (duplicates
    /// only).
    public func insert(_ rows: [IndexRow]) throws -> [String?] {
        guard !rows.isEmpty else { return [] }
        var values: [SQLValue] = []
        var tuples: [String] = []
        for r in rows {
            let first = values.count
            values += [.text(r.sopInstanceUID), .text(r.sopClassUID), .text(r.seriesUID), .text(r.studyUID), .text(r.patientID), .text(r.path),
                       .text(r.transferSyntax), .int(r.size), .text(r.receivedAt), .text(r.sourceAE), .bytes(r.header)]
            let q = Archive.queryColumnValues(r)
            values += q.values.map { v -> SQLValue in
                switch v { case .int(let i): .int(Int(i)); case .double(let d): .double(d); case .text(let t): .text(t); case .blob(let b): .bytes(b); case .null: .text(nil) }
            }
            tuples.append("(" + (1...(11 + q.values.count)).map { "$\(first + $0)" }.joined(separator: ",") + ")")
        }
        let inserted = Set(try database.query("""
            INSERT INTO instance (\(Self.columns), \(Archive.queryColumnValues(rows[0]).names.joined(separator: ", "))) VALUES \(tuples.joined(separator: ","))
            ON CONFLICT (sop_instance_uid) DO NOTHING RETURNING sop_instance_uid
            """, values).map { try $0[0].decode(String.self) })
        let others = rows.filter { !inserted.contains($0.sopInstanceUID) }
        var existing: [String: String] = [:]
        if !others.isEmpty {
            let placeholders = others.indices.map { "$\($0 + 1)" }.joined(separator: ",")
            for r in try database.query("SELECT sop_instance_uid, path FROM instance WHERE sop_instance_uid IN (\(placeholders))", others.map { .text($0.sopInstanceUID) }) {
                existing[try r[0].decode(String.self)] = try r[1].decode(String.self)
            }
        }
        return rows.map { r in inserted.contains(r.sopInstanceUID) ? nil : (existing[r.sopInstanceUID] ?? r.path) }
    }

    public func rows(_ filter: IndexFilter) throws -> [IndexRow] {
        var clauses: [String] = []
        var values: [SQLValue] = []
        for (col, vals) in filter.clauses {
            clauses.append("\(col) IN (\(vals.map { v -> String in values.append(.text(v)); return "$" + String(values.count) }.joined(separator: ",")))")
        }
        let sql = "SELECT \(Self.columns) FROM instance" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")) + " ORDER BY id"
        return try database.query(sql, values).map { r in
            let header = try r[10].decode(ByteBuffer.self)
            return IndexRow(sopInstanceUID: try r[0].decode(String.self), sopClassUID: try r[1].decode(String.self), seriesUID: try r[2].decode(String.self),
                            studyUID: try r[3].decode(String.self), patientID: try r[4].decode(String.self), path: try r[5].decode(String.self),
                            transferSyntax: try r[6].decode(String.self), size: try r[7].decode(Int.self), receivedAt: try r[8].decode(String.self),
                            sourceAE: try r[9].decode(String?.self), header: Data(header.readableBytesView))
        }
    }

    public func count() throws -> Int {
        try database.query("SELECT COUNT(*) FROM instance").first.map { try $0[0].decode(Int.self) } ?? 0
    }

    public func files() throws -> [(sopInstanceUID: String, path: String, size: Int)] {
        try database.query("SELECT sop_instance_uid, path, size FROM instance").map { r in
            (try r[0].decode(String.self), try r[1].decode(String.self), try r[2].decode(Int.self))
        }
    }

    public func remove(path: String) throws {
        try database.query("DELETE FROM instance WHERE path = $1", [.text(path)])
    }
}

/// The job queue in PostgreSQL: a worker claims the oldest queued job, or a running one whose lease ran out, with
/// `SELECT … FOR UPDATE SKIP LOCKED` (two workers never claim the same job); every later change by the worker is
/// guarded by `worker = me AND state = 'running'`, so once a job has been taken over, its first worker's late
/// writes change nothing. A job abandoned by 5 workers in a row is failed.
public struct PostgresJobStore: JobStore {
    let database: PostgresArchiveDatabase

    /// The queue in `database`.
    public init(database: PostgresArchiveDatabase) { self.database = database }

    public var isShared: Bool { true }

    static let columns = "id, type, state, progress, message, request, result, created, submitted_by, worker, attempts"

    static func record(_ r: PostgresRandomAccessRow) throws -> JobRecord {
        JobRecord(id: try r[0].decode(String.self), type: try r[1].decode(String.self), state: try r[2].decode(String.self),
                  progress: try r[3].decode(Double.self), message: try r[4].decode(String.self), request: try r[5].decode(String.self),
                  result: try r[6].decode(String?.self), created: try r[7].decode(String.self), submittedBy: try r[8].decode(String?.self),
                  worker: try r[9].decode(String?.self), attempts: try r[10].decode(Int.self))
    }

    public func insert(_ j: JobRecord) throws {
        try database.query("INSERT INTO job (id, type, state, progress, message, request, result, created, submitted_by) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)",
                           [.text(j.id), .text(j.type), .text(j.state), .double(j.progress), .text(j.message), .text(j.request), .text(j.result),
                            .text(j.created), .text(j.submittedBy)])
    }

    public func list() throws -> [JobRecord] {
        try database.query("SELECT \(Self.columns) FROM job ORDER BY created DESC, id").map(Self.record)
    }

    public func get(_ id: String) throws -> JobRecord? {
        try database.query("SELECT \(Self.columns) FROM job WHERE id = $1", [.text(id)]).first.map(Self.record)
    }

    public func update(_ id: String, worker: String?, state: String?, progress: Double?, message: String?, result: String?) throws -> Bool {
        var sets: [String] = [], values: [SQLValue] = []
        func set(_ column: String, _ v: SQLValue) { values.append(v); sets.append("\(column) = $\(values.count)") }
        if let state { set("state", .text(state)) }
        if let progress { set("progress", .double(progress)) }
        if let message { set("message", .text(message)) }
        if let result { set("result", .text(result)) }
        guard !sets.isEmpty else { return true }
        values.append(.text(id))
        var sql = "UPDATE job SET \(sets.joined(separator: ", ")) WHERE id = $\(values.count)"
        if let worker { values.append(.text(worker)); sql += " AND worker = $\(values.count) AND state = 'running'" }
        return try !database.query(sql + " RETURNING id", values).isEmpty
    }

    public func claim(worker: String, lease: Double) throws -> JobRecord? {
        try database.query("""
            UPDATE job SET state = 'failed', message = 'abandoned: its lease ran out 5 times (workers died running it)'
            WHERE state = 'running' AND lease_until < now() AND attempts >= 5
            """)
        return try database.query("""
            UPDATE job SET state = 'running', worker = $1, lease_until = now() + make_interval(secs => $2), attempts = attempts + 1,
                           progress = 0, message = 'claimed by ' || $1
            WHERE id = (SELECT id FROM job WHERE state = 'queued' OR (state = 'running' AND lease_until < now())
                        ORDER BY created, id LIMIT 1 FOR UPDATE SKIP LOCKED)
            RETURNING \(Self.columns)
            """, [.text(worker), .double(lease)]).first.map(Self.record)
    }

    public func heartbeat(_ id: String, worker: String, lease: Double) throws -> Bool {
        try !database.query("""
            UPDATE job SET lease_until = now() + make_interval(secs => $3) WHERE id = $1 AND worker = $2 AND state = 'running' RETURNING id
            """, [.text(id), .text(worker), .double(lease)]).isEmpty
    }

    public func unfinished() throws -> [String] {
        try database.query("SELECT id FROM job WHERE state IN ('queued','running') ORDER BY created").map { try $0[0].decode(String.self) }
    }
}
#endif
