import Foundation
import GRDB

/// The outbox of report documents to deliver to PACS destinations (table `outbox` of "reports-v1", extended by the
/// migration "reports-outbox-v2"): one row per document × destination with its state — `pending` (never tried),
/// `failed` (the last attempt failed; retried at `next_attempt`), `sent` (stored by C-STORE, storage commitment
/// requested, waiting for the PACS's N-EVENT-REPORT), `committed` (delivered: the PACS took responsibility), and `sending` (claimed by one server's delivery worker until
/// `next_attempt`; several servers on one PostgreSQL outbox claim rows with `FOR UPDATE SKIP LOCKED`). Rows
/// are never deleted, so nothing is lost across a restart: pending and failed rows are simply due again, and `sent`
/// rows whose commitment never came go back to `failed` after the commitment timeout. Plain SQL that PostgreSQL also
/// accepts.
extension Archive {
    /// The SQL of the migration "reports-outbox-v2" (SQLite; PostgreSQL runs the same through ``postgresRecordStatements``).
    static let outboxSchemaV2 = """
        ALTER TABLE outbox ADD COLUMN created TEXT;
        ALTER TABLE outbox ADD COLUMN stored_at TEXT;
        ALTER TABLE outbox ADD COLUMN committed_at TEXT;
        CREATE INDEX outbox_due ON outbox(state, next_attempt);
        CREATE INDEX outbox_transaction ON outbox(transaction_uid);
        """

    static func registerOutboxMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("reports-outbox-v2") { db in try db.execute(sql: Archive.outboxSchemaV2) }
    }

    /// One document × destination of the outbox.
    public struct OutboxEntry: Sendable, Codable, Equatable {
        public var sopInstanceUID: String
        public var sopClassUID: String
        /// `AET@host:port`.
        public var destination: String
        public var path: String
        /// `pending`, `failed`, `sent`, `committed`.
        public var state: String
        public var attempts: Int
        /// ISO 8601: when the row is due (pending/failed).
        public var nextAttempt: String
        public var lastError: String?
        /// Storage commitment Transaction UID of the latest request.
        public var transactionUID: String?
        public var created: String?
        /// When the PACS acknowledged the C-STORE.
        public var storedAt: String?
        /// When the PACS reported the commitment.
        public var committedAt: String?
        public var updated: String
    }

    static func outboxEntry(_ r: RecordRow) -> OutboxEntry {
        OutboxEntry(sopInstanceUID: r.text("sop_instance_uid") ?? "", sopClassUID: r.text("sop_class_uid") ?? "", destination: r.text("destination") ?? "",
                    path: r.text("path") ?? "", state: r.text("state") ?? "", attempts: r.int("attempts") ?? 0, nextAttempt: r.text("next_attempt") ?? "",
                    lastError: r.text("last_error"), transactionUID: r.text("transaction_uid"), created: r.text("created"),
                    storedAt: r.text("stored_at"), committedAt: r.text("committed_at"), updated: r.text("updated") ?? "")
    }

    /// Queues every report document that has no row for `destination` yet (documents written by this process, by
    /// `scinti worker` processes or before a crash alike). Returns how many were queued.
    @discardableResult
    public func enqueueResultDocuments(destination: String) throws -> Int {
        let missing: [(String, String)] = try records.read { db in
            try db.rows("""
                SELECT d.sop_instance_uid, d.sop_class_uid FROM result_document d
                WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.sop_instance_uid = d.sop_instance_uid AND o.destination = ?)
                ORDER BY d.created, d.sop_instance_uid
                """, [destination]).map { ($0.text("sop_instance_uid") ?? "", $0.text("sop_class_uid") ?? "") }
        }
        guard !missing.isEmpty else { return 0 }
        let paths = Dictionary(try instances(sopUIDs: missing.map(\.0)).map { ($0.sopInstanceUID, $0.path) }, uniquingKeysWith: { a, _ in a })
        let now = Archive.timestamp(Date())
        return try records.write { db in
            var n = 0
            for (uid, cls) in missing {
                let path = paths[uid]
                // Another server may queue the same document at the same time: the primary key keeps one row.
                n += try db.execute("""
                    INSERT INTO outbox (sop_instance_uid, destination, path, sop_class_uid, state, attempts, next_attempt, last_error, created, updated)
                    VALUES (?,?,?,?,?,0,?,?,?,?) ON CONFLICT DO NOTHING
                    """, [uid, destination, path ?? "", cls, path == nil ? "failed" : "pending", now,
                          path == nil ? "the document is not in the archive" : nil, now, now])
            }
            return n
        }
    }

    static let dueCondition = "destination = ? AND ((state IN ('pending', 'failed') AND next_attempt <= ?) OR (state = 'sending' AND next_attempt <= ?))"

    /// Rows due for an attempt (pending or failed with the next attempt reached, or `sending` rows whose claim ran
    /// out), oldest first. Only lists them; a delivery worker claims them with ``claimDueOutboxEntries(destination:now:limit:lease:)``.
    public func dueOutboxEntries(destination: String, now: Date = Date(), limit: Int = 100) throws -> [OutboxEntry] {
        let t = Archive.timestamp(now)
        return try records.read { db in
            try db.rows("SELECT * FROM outbox WHERE \(Self.dueCondition) ORDER BY next_attempt, sop_instance_uid LIMIT ?",
                        [destination, t, t, limit]).map(Self.outboxEntry)
        }
    }

    /// Claims up to `limit` due rows for this node's delivery worker: they become `sending` until `lease` seconds
    /// from now (then, if this node died before recording the outcome, they are due again). On PostgreSQL the rows are
    /// selected `FOR UPDATE SKIP LOCKED`, so two servers running their delivery workers on one outbox never claim the
    /// same row; on SQLite the write transaction excludes other writers. Returns the rows as they were before the claim.
    public func claimDueOutboxEntries(destination: String, now: Date = Date(), limit: Int = 100, lease: TimeInterval = 600) throws -> [OutboxEntry] {
        let t = Archive.timestamp(now), until = Archive.timestamp(now.addingTimeInterval(lease))
        let skipLocked = records.skipLocked
        return try records.write { db in
            let due = try db.rows("SELECT * FROM outbox WHERE \(Self.dueCondition) ORDER BY next_attempt, sop_instance_uid LIMIT ?\(skipLocked)",
                                  [destination, t, t, limit]).map(Self.outboxEntry)
            for e in due {
                try db.execute("UPDATE outbox SET state = 'sending', next_attempt = ?, updated = ? WHERE sop_instance_uid = ? AND destination = ?",
                               [until, t, e.sopInstanceUID, destination])
            }
            return due
        }
    }

    /// The outbox, newest first; `resultID` limits it to one job's documents, `state` to one state.
    public func outboxEntries(resultID: String? = nil, state: String? = nil, limit: Int = 1000) throws -> [OutboxEntry] {
        var sql = "SELECT o.* FROM outbox o"
        var args: [any RecordArgument] = []
        var conditions: [String] = []
        if let resultID {
            sql += " JOIN result_document d ON d.sop_instance_uid = o.sop_instance_uid"
            conditions.append("d.result_id = ?"); args.append(resultID)
        }
        if let state { conditions.append("o.state = ?"); args.append(state) }
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " ORDER BY o.created DESC, o.sop_instance_uid LIMIT ?"
        args.append(limit)
        return try records.read { db in try db.rows(sql, args).map(Self.outboxEntry) }
    }

    /// Counts of rows per state.
    public func outboxSummary() throws -> [String: Int] {
        try records.read { db in
            Dictionary(try db.rows("SELECT state, COUNT(*) AS n FROM outbox GROUP BY state", []).map { ($0.text("state") ?? "", $0.int("n") ?? 0) },
                       uniquingKeysWith: +)
        }
    }

    /// Records a successful C-STORE and the storage commitment request that followed (state `sent`).
    public func markOutboxSent(_ uids: [String], destination: String, transactionUID: String) throws {
        let now = Archive.timestamp(Date())
        try records.write { db in
            for u in uids {
                try db.execute("""
                    UPDATE outbox SET state = 'sent', attempts = attempts + 1, transaction_uid = ?, stored_at = ?, last_error = NULL, updated = ?
                    WHERE sop_instance_uid = ? AND destination = ?
                    """, [transactionUID, now, now, u, destination])
            }
        }
    }

    /// Records a failed attempt (state `failed`, retried at `nextAttempt`); `countAttempt` false when the attempt was
    /// already counted (a commitment that failed or timed out after the C-STORE).
    public func markOutboxFailed(_ uid: String, destination: String, error: String, nextAttempt: Date, countAttempt: Bool = true) throws {
        let now = Archive.timestamp(Date())
        try records.write { db in
            try db.execute("""
                UPDATE outbox SET state = 'failed', attempts = attempts + ?, last_error = ?, next_attempt = ?, updated = ?
                WHERE sop_instance_uid = ? AND destination = ?
                """, [countAttempt ? 1 : 0, String(error.prefix(1000)), Archive.timestamp(nextAttempt), now, uid, destination])
        }
    }

    /// Records a storage commitment result: committed instances become `committed`; failed ones `failed` with the
    /// reason, due again at `retryAt(attempts)`. Only rows `sent` under that transaction change (a late or repeated
    /// report changes nothing, but a late commitment of a row already marked failed still counts). Returns how many rows changed.
    @discardableResult
    public func recordCommitment(transactionUID: String, committed: [String], failed: [(uid: String, reason: String)],
                                 retryAt: (Int) -> Date) throws -> Int {
        let now = Archive.timestamp(Date())
        return try records.write { db in
            var n = 0
            for u in committed {
                n += try db.execute("""
                    UPDATE outbox SET state = 'committed', committed_at = ?, last_error = NULL, updated = ?
                    WHERE sop_instance_uid = ? AND transaction_uid = ? AND state IN ('sent', 'failed')
                    """, [now, now, u, transactionUID])
            }
            for f in failed {
                let attempts = try db.rows("SELECT attempts FROM outbox WHERE sop_instance_uid = ? AND transaction_uid = ? AND state = 'sent'",
                                           [f.uid, transactionUID]).first?.int("attempts") ?? 0
                n += try db.execute("""
                    UPDATE outbox SET state = 'failed', last_error = ?, next_attempt = ?, updated = ?
                    WHERE sop_instance_uid = ? AND transaction_uid = ? AND state = 'sent'
                    """, [f.reason, Archive.timestamp(retryAt(attempts)), now, f.uid, transactionUID])
            }
            return n
        }
    }

    /// `sent` rows of `destination` whose commitment has not come since `before`.
    public func overdueCommitments(destination: String, before: Date) throws -> [OutboxEntry] {
        try records.read { db in
            try db.rows("SELECT * FROM outbox WHERE destination = ? AND state = 'sent' AND stored_at < ?",
                        [destination, Archive.timestamp(before)]).map(Self.outboxEntry)
        }
    }

    /// Makes every failed row due now (an operator's "retry now"). Returns how many.
    @discardableResult
    public func retryOutboxNow() throws -> Int {
        let now = Archive.timestamp(Date())
        return try records.write { db in
            try db.execute("UPDATE outbox SET next_attempt = ?, updated = ? WHERE state = 'failed'", [now, now])
        }
    }
}
