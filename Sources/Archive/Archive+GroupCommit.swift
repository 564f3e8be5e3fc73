import Foundation

/// Group commit of concurrent stores: each receiving thread fsyncs its own file and links it into `data/` (the
/// kernel's journal already merges concurrent fsyncs), then hands its index row and audit record to the committer
/// and waits. One of the waiting threads — the leader — takes every row queued so far, fsyncs their folders once
/// each, inserts the rows in one index transaction and appends their audit records in one transaction, then wakes
/// the others with their outcomes. While it works, new rows queue for the next leader. So with N concurrent senders
/// an instance costs its own file fsync plus 1/N of a folder fsync, an index commit and an audit commit, and every
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
    /// The leader's work for one batch: folder fsyncs, one index transaction, one audit transaction.
    func commitBatch(_ batch: [GroupCommitter.Ticket]) -> [Result<StoreResult, any Error>] {
        var outcomes: [Result<StoreResult, any Error>] = batch.map { t in t.decided.map { .success($0) } ?? .failure(ArchiveError("not committed")) }
        let pending = batch.indices.filter { batch[$0].row != nil }
        if !pending.isEmpty {
            // The folders (one of 256 per instance) are fsynced concurrently: each fsync waits on the disk, not the CPU;
            // all of them have returned before the index insert.
            let folders = Array(Set(pending.compactMap { batch[$0].folder }))
            DispatchQueue.concurrentPerform(iterations: folders.count) { fsyncDirectory(folders[$0]) }
            do {
                let rows = pending.map { batch[$0].row! }
                let existing = try index.insert(rows)
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
            } catch {
                // Not acknowledged: each sender gets a failure; the files linked stay and are indexed by the next
                // store of the same instance or by recovery.
                for i in pending { outcomes[i] = .failure(error) }
            }
        }
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
        if !records.isEmpty {
            do { try appendAudits(records.map { $0.1 }) } catch {
                for (i, _) in records { outcomes[i] = .failure(error) }
            }
        }
        return outcomes
    }
}
