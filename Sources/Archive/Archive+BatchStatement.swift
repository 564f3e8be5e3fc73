import Foundation

extension Archive {
    /// The columns of the instance table that a store fills, in the order of ``instanceInsert(_:arguments:)``'s values.
    static var instanceColumnNames: String {
        "sop_instance_uid, sop_class_uid, series_uid, study_uid, patient_id, path, transfer_syntax, size, received_at, source_ae, header, "
            + QueryColumns.names.joined(separator: ", ")
    }

    /// `INSERT INTO instance (…) VALUES (…), (…) ON CONFLICT (sop_instance_uid) DO NOTHING` for `rows` (SQLite and
    /// PostgreSQL alike, `?` parameters appended to `arguments`); a caller adds its own `RETURNING`.
    static func instanceInsert(_ rows: [IndexRow], arguments: inout [any RecordArgument]) -> String {
        for r in rows {
            arguments += [r.sopInstanceUID, r.sopClassUID, r.seriesUID, r.studyUID, r.patientID, r.path, r.transferSyntax, r.size,
                          r.receivedAt, r.sourceAE, r.header] as [any RecordArgument]
            arguments += QueryColumns.values(r) as [any RecordArgument]
        }
        let tuple = "(" + Array(repeating: "?", count: 11 + QueryColumns.names.count).joined(separator: ",") + ")"
        return "INSERT INTO instance (\(instanceColumnNames)) VALUES " + Array(repeating: tuple, count: rows.count).joined(separator: ",")
            + " ON CONFLICT (sop_instance_uid) DO NOTHING"
    }

    /// The audit table's columns as an `INSERT` names them (``auditArguments(_:)`` then the detail).
    static let auditColumnNames = "time, actor, actor_kind, role, source, action, outcome, patient_id, study_uid, series_uid, instance_uid, detail"

    /// A record's values for the first eleven of ``auditColumnNames`` (all but the detail).
    static func auditArguments(_ r: AuditRecord) -> [any RecordArgument] {
        [r.time, r.actor, r.actorKind.rawValue, r.role, r.source, r.action.rawValue, r.outcome, r.patientID, r.studyUID, r.seriesUID,
         r.instanceUID] as [any RecordArgument]
    }

    /// The batch's index rows and audit records in **one PostgreSQL statement**: one round trip instead of four
    /// (`BEGIN`, the two inserts, `COMMIT`), and, autocommitted, still one transaction and one WAL flush:
    ///
    /// ```sql
    /// WITH ins AS (INSERT INTO instance (…) VALUES (…), (…) ON CONFLICT (sop_instance_uid) DO NOTHING RETURNING sop_instance_uid),
    ///      aud AS (INSERT INTO audit (…) VALUES (…), (…) RETURNING id)
    /// SELECT sop_instance_uid, NULL FROM ins UNION ALL SELECT NULL, id FROM aud
    /// ```
    ///
    /// A row not inserted is an instance another node indexed first. Nodes mount the archive at the same place
    /// (docs/scale.md), so its path is this store's own (`link(2)` let only one file take the name) and the store's
    /// outcome is `stored`, as its audit detail says; only for such rows (races between nodes: rare) is the indexed
    /// path read afterwards, in a second round trip, and a different one (an archive mounted elsewhere) makes the store
    /// a duplicate whose file is unlinked, as ``commitInOneTransaction(_:pending:outcomes:)`` decides — its audit
    /// record, written with the batch, then says `stored`.
    func commitInOneStatement(_ batch: [GroupCommitter.Ticket], pending: [Int], outcomes decided: [Result<StoreResult, any Error>])
        -> [Result<StoreResult, any Error>] {
        let rows = pending.map { batch[$0].row! }
        // Every pending store taken as stored (see above).
        var assumed = decided
        for i in pending { assumed[i] = .success(.stored(path: batch[i].row!.path)) }
        let audits = Archive.bounded(Archive.auditRecords(batch, assumed).map { $0.1 })
        guard !rows.isEmpty || !audits.isEmpty else { return decided }
        var args: [any RecordArgument] = []
        var ctes: [String] = [], selects: [String] = []
        if !rows.isEmpty {
            ctes.append("ins AS (" + Archive.instanceInsert(rows, arguments: &args) + " RETURNING sop_instance_uid)")
            selects.append("SELECT sop_instance_uid AS uid, NULL::bigint AS id FROM ins")
        }
        if !audits.isEmpty {
            for r in audits { args += Archive.auditArguments(r); args.append(r.detail as any RecordArgument) }
            let tuples = Array(repeating: "(?,?,?,?,?,?,?,?,?,?,?,?)", count: audits.count).joined(separator: ",")
            ctes.append("aud AS (INSERT INTO audit (\(Archive.auditColumnNames)) VALUES \(tuples) RETURNING id)")
            selects.append(rows.isEmpty ? "SELECT NULL::text AS uid, id FROM aud" : "SELECT NULL, id FROM aud")
        }
        do {
            var inserted = Set<String>(), ids: [Int] = []
            for r in try records.writeStatement("WITH " + ctes.joined(separator: ", ") + " " + selects.joined(separator: " UNION ALL "), args) {
                if let u = r.text("uid") { inserted.insert(u) } else if let id = r.int("id") { ids.append(id) }
            }
            var existing: [String: String] = [:]
            let others = rows.map(\.sopInstanceUID).filter { !inserted.contains($0) }
            if !others.isEmpty {
                for r in try records.read({ try $0.rows("SELECT sop_instance_uid, path FROM instance WHERE sop_instance_uid IN ("
                                                        + others.map { _ in "?" }.joined(separator: ",") + ")", others) }) {
                    if let u = r.text("sop_instance_uid"), let p = r.text("path") { existing[u] = p }
                }
            }
            var outcomes = decided
            Archive.apply(existing: rows.map { inserted.contains($0.sopInstanceUID) ? nil : existing[$0.sopInstanceUID] }, of: rows,
                          to: &outcomes, at: pending)
            // Ids are assigned in VALUES order: sorted, they pair with the records.
            notifyAuditObservers(zip(audits, ids.sorted()).map { r, id in var r = r; r.id = Int64(id); return r })
            return outcomes
        } catch {
            // Nothing of the batch is committed (one statement): no store is acknowledged (decided duplicates and
            // rejections included, whose audit record is missing); linked files are indexed by the next store or by recovery.
            return batch.indices.map { i in batch[i].row == nil && batch[i].audit == nil ? decided[i] : .failure(error) }
        }
    }
}
