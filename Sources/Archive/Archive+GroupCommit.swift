import Foundation

/// Group commit of concurrent stores: each receiving thread fsyncs its own file and links it into `data/` (the
/// kernel's journal already merges concurrent fsyncs), then hands its index row and audit record to the committer
/// and waits. One of the waiting threads — the leader — takes every row queued so far, fsyncs their folders once
/// each (concurrently), inserts the rows and appends their audit records in one transaction of the database that
/// holds both (two transactions when the index and the audit trail are in different databases), then wakes
/// the others with their outcomes. While it works, new rows queue for the next leader. So with N concurrent senders
/// an instance costs its own file fsync plus about one folder fsync (instances spread over 256 folders) and 1/N of a
/// commit, and every
/// store is still acknowledged only after its file, its folder entry, its index row and its audit record are durable.
final class GroupCommitter: @unchecked Sendable {
    /// One store waiting for its batch.
    final class Ticket {
        /// The row to insert (nil: the outcome was decided before the batch, only the audit record is pending).
        let row: IndexRow?
        /// The folder whose entry must be fsynced before the row is indexed.
        let folder: String?
        /// Outcome decided before the batch (a duplicate found by `link(2)`, a rejected data set).
        let decided: StoreResult?
        /// The audit record to append (its detail and keys are filled in from the outcome).
        let audit: AuditRecord?
        /// Set by the leader (guarded by the committer's condition).
        var outcome: Result<StoreResult, any Error>?

        init(row: IndexRow?, folder: String?, decided: StoreResult?, audit: AuditRecord?) {
            self.row = row; self.folder = folder; self.decided = decided; self.audit = audit
        }
    }

    private let condition = NSCondition()
    private var queue: [Ticket] = []
    private var leading = false
    /// At most this many rows per index transaction (PostgreSQL allows 65 535 parameters per statement).
    static let maximumBatch = 500

    /// Queues the ticket and returns its outcome once its batch is durable (this thread may do the batch's work).
    func commit(_ ticket: Ticket, in archive: Archive) throws -> StoreResult {
        condition.lock()
        queue.append(ticket)
        while ticket.outcome == nil {
            if leading { condition.wait(); continue }
            leading = true
            let batch = Array(queue.prefix(Self.maximumBatch))
            queue.removeFirst(batch.count)
            condition.unlock()
            let outcomes = archive.commitBatch(batch)
            condition.lock()
            for (t, o) in zip(batch, outcomes) { t.outcome = o }
            leading = false
            condition.broadcast()
        }
        condition.unlock()
        return try ticket.outcome!.get()
    }
}

extension Archive {
    /// The leader's work for one batch: folder fsyncs, then the index rows and audit records — in one transaction when
    /// one database holds both (the folder's `index.sqlite`, or one PostgreSQL database), else one transaction each.
    func commitBatch(_ batch: [GroupCommitter.Ticket]) -> [Result<StoreResult, any Error>] {
        var outcomes: [Result<StoreResult, any Error>] = batch.map { t in t.decided.map { .success($0) } ?? .failure(ArchiveError("not committed")) }
        let pending = batch.indices.filter { batch[$0].row != nil }
        // The folders (one of 256 per instance) are fsynced concurrently: each fsync waits on the disk, not the CPU;
        // all of them have returned before the index insert.
        let folders = Array(Set(pending.compactMap { batch[$0].folder }))
        DispatchQueue.concurrentPerform(iterations: folders.count) { fsyncDirectory(folders[$0]) }
        if recordsHoldIndexAndAudit { return commitInOneTransaction(batch, pending: pending, outcomes: outcomes) }
        if !pending.isEmpty {
            do {
                let rows = pending.map { batch[$0].row! }
                Archive.apply(existing: try index.insert(rows), of: rows, to: &outcomes, at: pending)
            } catch {
                // Not acknowledged: each sender gets a failure; the files linked stay and are indexed by the next
                // store of the same instance or by recovery.
                for i in pending { outcomes[i] = .failure(error) }
            }
        }
        let records = Archive.auditRecords(batch, outcomes)
        if !records.isEmpty {
            do { try appendAudits(records.map { $0.1 }) } catch {
                for (i, _) in records { outcomes[i] = .failure(error) }
            }
        }
        return outcomes
    }

    /// The index insert's answer (nil: inserted, else the path already indexed) as each store's outcome.
    static func apply(existing: [String?], of rows: [IndexRow], to outcomes: inout [Result<StoreResult, any Error>], at pending: [Int]) {
        for (k, i) in pending.enumerated() {
            let path = rows[k].path
            if let there = existing[k], there != path {
                // Indexed at another path already (a node whose archive folder differs): keep that one.
                unlink(path)
                outcomes[i] = .success(.duplicate(path: there))
            } else {
                outcomes[i] = .success(.stored(path: path))
            }
        }
    }

    /// The audit record of each store that has one, its detail and keys filled in from the outcome.
    static func auditRecords(_ batch: [GroupCommitter.Ticket], _ outcomes: [Result<StoreResult, any Error>]) -> [(Int, AuditRecord)] {
        var records: [(Int, AuditRecord)] = []
        for (i, t) in batch.enumerated() {
            guard var r = t.audit, case .success(let result) = outcomes[i] else { continue }
            switch result {
            case .stored: r.detail = "C-STORE stored"
            case .duplicate: r.detail = "C-STORE duplicate (first copy kept)"
            case .rejected(let why): r.outcome = "failure"; r.detail = "C-STORE rejected: \(why)"
            }
            if let row = t.row {
                r.studyUID = r.studyUID ?? row.studyUID; r.seriesUID = r.seriesUID ?? row.seriesUID; r.patientID = r.patientID ?? row.patientID
            }
            records.append((i, r))
        }
        return records
    }

    /// Index rows and audit records of the batch in one transaction of ``records`` (one fsync of `index.sqlite`, or
    /// one PostgreSQL WAL flush, per batch). The same SQL on both: a multi-row `INSERT … ON CONFLICT DO NOTHING
    /// RETURNING`, the paths of the UIDs indexed already, a multi-row audit `INSERT … RETURNING id`.
    func commitInOneTransaction(_ batch: [GroupCommitter.Ticket], pending: [Int], outcomes decided: [Result<StoreResult, any Error>])
        -> [Result<StoreResult, any Error>] {
        let rows = pending.map { batch[$0].row! }
        do {
            let (outcomes, stored) = try records.write { db -> ([Result<StoreResult, any Error>], [AuditRecord]) in
                var outcomes = decided
                if !rows.isEmpty {
                    var args: [any RecordArgument] = []
                    for r in rows {
                        args += [r.sopInstanceUID, r.sopClassUID, r.seriesUID, r.studyUID, r.patientID, r.path, r.transferSyntax, r.size,
                                 r.receivedAt, r.sourceAE, r.header] as [any RecordArgument]
                    }
                    let tuples = Array(repeating: "(?,?,?,?,?,?,?,?,?,?,?)", count: rows.count).joined(separator: ",")
                    let inserted = Set(try db.rows("""
                        INSERT INTO instance (sop_instance_uid, sop_class_uid, series_uid, study_uid, patient_id, path, transfer_syntax, size,
                                              received_at, source_ae, header) VALUES \(tuples)
                        ON CONFLICT (sop_instance_uid) DO NOTHING RETURNING sop_instance_uid
                        """, args).compactMap { $0.text("sop_instance_uid") })
                    let others = rows.map(\.sopInstanceUID).filter { !inserted.contains($0) }
                    var paths: [String: String] = [:]
                    if !others.isEmpty {
                        for r in try db.rows("SELECT sop_instance_uid, path FROM instance WHERE sop_instance_uid IN (\(others.map { _ in "?" }.joined(separator: ",")))",
                                             others) {
                            if let u = r.text("sop_instance_uid"), let p = r.text("path") { paths[u] = p }
                        }
                    }
                    Archive.apply(existing: rows.map { inserted.contains($0.sopInstanceUID) ? nil : paths[$0.sopInstanceUID] }, of: rows,
                                  to: &outcomes, at: pending)
                }
                let audits = Archive.bounded(Archive.auditRecords(batch, outcomes).map { $0.1 })
                guard !audits.isEmpty else { return (outcomes, []) }
                var args: [any RecordArgument] = []
                for r in audits {
                    args += [r.time, r.actor, r.actorKind.rawValue, r.role, r.source, r.action.rawValue, r.outcome, r.patientID, r.studyUID,
                             r.seriesUID, r.instanceUID, r.detail] as [any RecordArgument]
                }
                let tuples = Array(repeating: "(?,?,?,?,?,?,?,?,?,?,?,?)", count: audits.count).joined(separator: ",")
                // Ids are assigned in VALUES order; RETURNING gives them back (sorted to be sure).
                let ids = try db.rows("""
                    INSERT INTO audit (time, actor, actor_kind, role, source, action, outcome, patient_id, study_uid, series_uid, instance_uid, detail)
                    VALUES \(tuples) RETURNING id
                    """, args).compactMap { $0.int("id") }.sorted()
                return (outcomes, zip(audits, ids).map { r, id in var r = r; r.id = Int64(id); return r })
            }
            notifyAuditObservers(stored)
            return outcomes
        } catch {
            // Nothing of the batch is committed: no store is acknowledged (decided duplicates and rejections included,
            // whose audit record is missing); linked files are indexed by the next store or by recovery.
            return batch.indices.map { i in batch[i].row == nil && batch[i].audit == nil ? decided[i] : .failure(error) }
        }
    }
}
