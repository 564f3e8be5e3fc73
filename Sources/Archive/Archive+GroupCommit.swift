import Foundation
import Synchronization

/// What the group commit of an archive has done so far (`scinti bench ingest` prints it): the batches, the stores they
/// carried, and the committer's time in the flushes of file data and in the index transactions.
public struct GroupCommitStatistics: Sendable, Equatable {
    /// Batches with at least one row to index.
    public var batches = 0
    /// Stores (tickets) in those batches.
    public var stores = 0
    /// Seconds spent making the batches' files durable (``FileSync``).
    public var flushSeconds = 0.0
    /// Seconds spent in the index and audit transactions.
    public var indexSeconds = 0.0
    public init() {}
}

/// Group commit of concurrent stores. Each receiving thread writes its file, parses it and links it into `data/`
/// (nothing flushed yet), then queues a ticket — the file, its folder, its index row and audit record — and waits
/// (a thread, or an `async` caller without a thread). A leader on the committer's own queue takes every ticket queued
/// so far and makes the batch durable in three steps: ONE flush of the files' data and names (``FileSync``: one
/// `syncfs(2)` of the archive's file system by default), then the batch's index rows and audit records in one
/// transaction of the database that holds both (two transactions when the index and the audit trail are in different
/// databases), then it completes every ticket. While it works, new tickets queue for the next batch. So N concurrent
/// stores share one flush and one commit, and every store is still acknowledged only after its file data, its
/// name in `data/`, its index row and its audit record are durable.
final class GroupCommitter: @unchecked Sendable {
    /// One store waiting for its batch.
    final class Ticket: @unchecked Sendable {
        /// The row to insert (nil: the outcome was decided before the batch, only the audit record is pending).
        let row: IndexRow?
        /// The file linked into `data/` whose data and name must be durable before the row is indexed.
        let file: String?
        /// Its folder (whose entry must be durable).
        let folder: String?
        /// Outcome decided before the batch (a duplicate found by `link(2)`, a rejected data set).
        let decided: StoreResult?
        /// The audit record to append (its detail and keys are filled in from the outcome).
        let audit: AuditRecord?
        /// Called once with the outcome, after the batch is durable (set by ``GroupCommitter/commit(_:in:)``).
        var completion: @Sendable (Result<StoreResult, any Error>) -> Void = { _ in }

        init(row: IndexRow?, file: String?, folder: String?, decided: StoreResult?, audit: AuditRecord?) {
            self.row = row; self.file = file; self.folder = folder; self.decided = decided; self.audit = audit
        }
        /// Nothing to make durable: the decided outcome is the answer.
        var isImmediate: Bool { row == nil && audit == nil }
    }

    private let lock = NSLock()
    private var queue: [Ticket] = []
    /// Leaders at work (each commits one batch at a time).
    private var leading = 0
    /// At most this many batches in flight at once (1, the default: one batch after another; 2: the next batch can
    /// flush while the previous one is in its index transaction — no gain measured, docs/benchmarks.md).
    private var maximumLeaders = 1
    private let leaders = DispatchQueue(label: "scinti.archive.group-commit", attributes: .concurrent)
    /// Counts and times of the batches committed so far.
    let statistics = Mutex(GroupCommitStatistics())
    /// At most this many rows per index transaction (PostgreSQL allows 65 535 parameters per statement).
    static let maximumBatch = 300

    /// How many batches may be committed at once (at least 1).
    var concurrentBatches: Int {
        get { lock.lock(); defer { lock.unlock() }; return maximumLeaders }
        set { lock.lock(); maximumLeaders = max(1, newValue); lock.unlock() }
    }

    /// Queues the ticket and waits (blocking this thread) until its batch is durable.
    func commit(_ ticket: Ticket, in archive: Archive) throws -> StoreResult {
        if ticket.isImmediate, let d = ticket.decided { return d }
        let done = DispatchSemaphore(value: 0)
        let box = OutcomeBox()
        ticket.completion = { box.set($0); done.signal() }
        enqueue(ticket, archive)
        done.wait()
        return try box.get()
    }

    /// Queues all the tickets at once (they share batches) and waits (blocking this thread) until every one is durable;
    /// each ticket's outcome in order.
    func commitAll(_ tickets: [Ticket], in archive: Archive) -> [Result<StoreResult, any Error>] {
        let group = DispatchGroup()
        let boxes = tickets.map { _ in OutcomeBox() }
        for (t, box) in zip(tickets, boxes) {
            if t.isImmediate, let d = t.decided { box.set(.success(d)); continue }
            group.enter()
            t.completion = { box.set($0); group.leave() }
            enqueue(t, archive)
        }
        group.wait()
        return boxes.map { b in Result { try b.get() } }
    }

    /// Queues the ticket and suspends (holding no thread) until its batch is durable.
    func commit(_ ticket: Ticket, in archive: Archive) async throws -> StoreResult {
        if ticket.isImmediate, let d = ticket.decided { return d }
        return try await withCheckedThrowingContinuation { (c: CheckedContinuation<StoreResult, any Error>) in
            ticket.completion = { c.resume(with: $0) }
            enqueue(ticket, archive)
        }
    }

    private func enqueue(_ ticket: Ticket, _ archive: Archive) {
        lock.lock()
        queue.append(ticket)
        let start = leading < maximumLeaders
        if start { leading += 1 }
        lock.unlock()
        if start { leaders.async { self.lead(archive) } }
    }

    /// Commits batches until the queue is empty.
    private func lead(_ archive: Archive) {
        while true {
            lock.lock()
            if queue.isEmpty { leading -= 1; lock.unlock(); return }
            let batch = Array(queue.prefix(Self.maximumBatch))
            queue.removeFirst(batch.count)
            lock.unlock()
            let outcomes = archive.commitBatch(batch)
            for (t, o) in zip(batch, outcomes) { t.completion(o) }
        }
    }

    private final class OutcomeBox: @unchecked Sendable {
        private var outcome: Result<StoreResult, any Error>?
        private let lock = NSLock()
        func set(_ o: Result<StoreResult, any Error>) { lock.lock(); outcome = o; lock.unlock() }
        func get() throws -> StoreResult { lock.lock(); defer { lock.unlock() }; return try outcome!.get() }
    }
}

extension Archive {
    /// Batches, stores and the committer's flush and index time so far (for benchmarks).
    public var groupCommitStatistics: GroupCommitStatistics { committer.statistics.withLock { $0 } }

    /// How many batches of concurrent stores may be made durable at once (default 1: one after another; 2: the next
    /// batch flushes its files while the previous one is in its index transaction). Each batch keeps the order flush,
    /// commit, acknowledge.
    public var concurrentBatches: Int {
        get { committer.concurrentBatches }
        set { committer.concurrentBatches = newValue }
    }

    /// The leader's work for one batch: one flush of the batch's files and folders (``fileSync``), then the index rows
    /// and audit records — in one transaction when one database holds both (the folder's `index.sqlite`, or one
    /// PostgreSQL database), else one transaction each. A failed flush fails the batch's stores (not acknowledged).
    func commitBatch(_ batch: [GroupCommitter.Ticket]) -> [Result<StoreResult, any Error>] {
        var outcomes: [Result<StoreResult, any Error>] = batch.map { t in t.decided.map { .success($0) } ?? .failure(ArchiveError("not committed")) }
        var pending = batch.indices.filter { batch[$0].row != nil }
        let t0 = DispatchTime.now().uptimeNanoseconds
        var t1 = t0
        defer {
            let t2 = DispatchTime.now().uptimeNanoseconds
            if t1 > t0 {
                committer.statistics.withLock { s in
                    s.batches += 1; s.stores += batch.count
                    s.flushSeconds += Double(t1 - t0) / 1e9; s.indexSeconds += Double(t2 - t1) / 1e9
                }
            }
        }
        if !pending.isEmpty {
            defer { t1 = DispatchTime.now().uptimeNanoseconds }
            let flush = FileSync.Batch(directory: directory, files: pending.compactMap { batch[$0].file },
                                       folders: Array(Set(pending.compactMap { batch[$0].folder })).sorted())
            do { try fileSync.flush(flush) } catch {
                // Not durable: not indexed, not acknowledged; the linked files are indexed by a retry or by recovery.
                for i in pending { outcomes[i] = .failure(error) }
                pending = []
            }
        }
        if recordsHoldIndexAndAudit {
            return records.isPostgreSQL ? commitInOneStatement(batch, pending: pending, outcomes: outcomes)
                                        : commitInOneTransaction(batch, pending: pending, outcomes: outcomes)
        }
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

    /// The audit detail of a stored C-STORE, and of a duplicate.
    static let storedDetail = "C-STORE stored", duplicateDetail = "C-STORE duplicate (first copy kept)"

    /// The audit record of each store that has one, its detail and keys filled in from the outcome.
    static func auditRecords(_ batch: [GroupCommitter.Ticket], _ outcomes: [Result<StoreResult, any Error>]) -> [(Int, AuditRecord)] {
        var records: [(Int, AuditRecord)] = []
        for (i, t) in batch.enumerated() {
            guard var r = t.audit, case .success(let result) = outcomes[i] else { continue }
            switch result {
            case .stored: r.detail = storedDetail
            case .duplicate: r.detail = duplicateDetail
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
                    let insert = Archive.instanceInsert(rows, arguments: &args)
                    let inserted = Set(try db.rows(insert + " RETURNING sop_instance_uid", args).compactMap { $0.text("sop_instance_uid") })
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
                for r in audits { args += Archive.auditArguments(r); args.append(r.detail as any RecordArgument) }
                let tuples = Array(repeating: "(?,?,?,?,?,?,?,?,?,?,?,?)", count: audits.count).joined(separator: ",")
                // Ids are assigned in VALUES order; RETURNING gives them back (sorted to be sure).
                let ids = try db.rows("INSERT INTO audit (\(Archive.auditColumnNames)) VALUES \(tuples) RETURNING id", args)
                    .compactMap { $0.int("id") }.sorted()
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
