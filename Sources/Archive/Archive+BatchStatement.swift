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
    ///      old AS (SELECT sop_instance_uid, path FROM instance WHERE sop_instance_uid IN (…)),
    ///      aud AS (INSERT INTO audit (…) VALUES (…, CASE WHEN EXISTS (SELECT 1 FROM old WHERE … AND old.path <> …)
    ///                                            THEN 'C-STORE duplicate (first copy kept)' ELSE 'C-STORE stored' END), …
    ///              RETURNING id, detail)
    /// SELECT … FROM ins UNION ALL SELECT … FROM old UNION ALL SELECT … FROM aud
    /// ```
    ///
    /// `old` sees the index as it was when the statement began (not `ins`'s rows): a UID found there at another path
    /// is a duplicate (its file unlinked, the first copy kept), as in ``commitInOneTransaction(_:pending:outcomes:)``,
    /// and each store's audit detail is decided in the statement by the same rule. A UID neither inserted nor in that
    /// snapshot was committed by another node while the statement ran; its path is read afterwards (a second round trip,
    /// only then). With nodes mounting the archive at the same place (docs/scale.md) that path is the store's own (its
    /// `link(2)` excluded the other node's file), so the outcome is `stored`, as the audit detail says.
    func commitInOneStatement(_ batch: [GroupCommitter.Ticket], pending: [Int], outcomes decided: [Result<StoreResult, any Error>])
        -> [Result<StoreResult, any Error>] {
        let rows = pending.map { batch[$0].row! }
        let isPending = Set(pending)
        // Every pending store taken as stored here; the statement decides stored or duplicate in each one's audit detail.
        var assumed = decided
        for i in pending { assumed[i] = .success(.stored(path: batch[i].row!.path)) }
        let audits = Archive.auditRecords(batch, assumed)
        let bounded = Archive.bounded(audits.map { $0.1 })
        guard !rows.isEmpty || !bounded.isEmpty else { return decided }
        var args: [any RecordArgument] = []
        var ctes: [String] = [], selects: [String] = []
        if !rows.isEmpty {
            ctes.append("ins AS (" + Archive.instanceInsert(rows, arguments: &args) + " RETURNING sop_instance_uid)")
            ctes.append("old AS (SELECT sop_instance_uid, path FROM instance WHERE sop_instance_uid IN ("
                        + rows.map { _ in "?" }.joined(separator: ",") + "))")
            args += rows.map(\.sopInstanceUID) as [any RecordArgument]
            selects.append("SELECT 'i' AS kind, sop_instance_uid AS uid, NULL::text AS path, NULL::bigint AS id, NULL::text AS detail FROM ins")
            selects.append("SELECT 'o', sop_instance_uid, path, NULL, NULL FROM old")
        }
        if !bounded.isEmpty {
            var tuples: [String] = []
            for ((i, _), r) in zip(audits, bounded) {
                args += Archive.auditArguments(r)
                if isPending.contains(i), let row = batch[i].row {
                    tuples.append("(?,?,?,?,?,?,?,?,?,?,?,CASE WHEN EXISTS (SELECT 1 FROM old WHERE old.sop_instance_uid = ? AND old.path <> ?) THEN ? ELSE ? END)")
                    args += [row.sopInstanceUID, row.path, Archive.duplicateDetail, Archive.storedDetail] as [any RecordArgument]
                } else {
                    tuples.append("(?,?,?,?,?,?,?,?,?,?,?,?)")
                    args.append(r.detail as any RecordArgument)
                }
            }
            ctes.append("aud AS (INSERT INTO audit (\(Archive.auditColumnNames)) VALUES \(tuples.joined(separator: ",")) RETURNING id, detail)")
            selects.append(rows.isEmpty ? "SELECT 'a' AS kind, NULL::text AS uid, NULL::text AS path, id, detail FROM aud"
                                        : "SELECT 'a', NULL, NULL, id, detail FROM aud")
        }
        do {
            var inserted = Set<String>(), snapshot: [String: String] = [:], written: [(id: Int, detail: String?)] = []
            for r in try records.writeStatement("WITH " + ctes.joined(separator: ", ") + " " + selects.joined(separator: " UNION ALL "), args) {
                switch r.text("kind") {
                case "i": if let u = r.text("uid") { inserted.insert(u) }
                case "o": if let u = r.text("uid"), let p = r.text("path") { snapshot[u] = p }
                default: if let id = r.int("id") { written.append((id, r.text("detail"))) }
                }
            }
            // Committed by another node while the statement ran (not in its snapshot): its path now.
            let unseen = rows.map(\.sopInstanceUID).filter { !inserted.contains($0) && snapshot[$0] == nil }
            if !unseen.isEmpty {
                for r in try records.read({ try $0.rows("SELECT sop_instance_uid, path FROM instance WHERE sop_instance_uid IN ("
                                                        + unseen.map { _ in "?" }.joined(separator: ",") + ")", unseen) }) {
                    if let u = r.text("sop_instance_uid"), let p = r.text("path") { snapshot[u] = p }
                }
            }
            var outcomes = decided
            Archive.apply(existing: rows.map { inserted.contains($0.sopInstanceUID) ? nil : snapshot[$0.sopInstanceUID] }, of: rows,
                          to: &outcomes, at: pending)
            // Ids are assigned in VALUES order: sorted, they pair with the records.
            written.sort { $0.id < $1.id }
            notifyAuditObservers(zip(bounded, written).map { r, w in var r = r; r.id = Int64(w.id); r.detail = w.detail; return r })
            return outcomes
        } catch {
            // Nothing of the batch is committed (one statement): no store is acknowledged (decided duplicates and
            // rejections included, whose audit record is missing); linked files are indexed by the next store or by recovery.
            return batch.indices.map { i in batch[i].row == nil && batch[i].audit == nil ? decided[i] : .failure(error) }
        }
    }
}
