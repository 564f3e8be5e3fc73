import DICOM
import Foundation

/// The matching of a C-FIND / QIDO identifier translated to SQL over the instance table (both backends), following
/// PS3.4 C.2.2.2 as ``QueryMatcher`` implements it:
/// - single value: `column = value` (PN upper-cased on both sides: PatientName and ReferringPhysicianName match
///   case-insensitively, as in the matcher);
/// - wildcard `*` and `?`: SQLite `GLOB` (case-sensitive, `[` escaped), PostgreSQL `LIKE … ESCAPE '\'` (`%`, `_`, `\`
///   escaped); `?` is one character on both, as in the matcher;
/// - range of DA/TM (`20200101-20201231`, `-20201231`, `20200101-`): string comparisons of the normalised values
///   (``QueryColumns``; PostgreSQL with `COLLATE "C"`), the upper bound padded as the matcher pads it;
/// - list of UIDs (and any multi-valued key): `IN` / `OR`;
/// - ModalitiesInStudy and SOPClassesInStudy at STUDY level: some instance of the study matches (a subquery);
/// - universal (empty) keys and binary keys: no condition.
/// Keys the columns do not hold (or a combined date-time pair) are left to the matcher: the SQL then narrows the
/// candidates and the matcher decides ("not exact": limit/offset applied after it). The matcher always runs on what
/// SQL returns, so the result is the matcher's in every case; when every key is translated, limit and offset are
/// applied in SQL. Rows not yet filled (`q_filled = 0`) or with several values in a matched attribute (`q_irregular`)
/// always stay candidates.
struct QuerySQL {
    /// `WHERE` conditions with their arguments, in order.
    var conditions: [String] = [], arguments: [any RecordArgument] = []
    /// Whether every key of the identifier is expressed (the SQL result is the matcher's result).
    var exact = true
    let postgres: Bool

    static func depth(_ level: QueryLevel) -> Int { QueryLevel.allCases.firstIndex(of: level)! }

    /// The entity column of each level.
    static func entityColumn(_ level: QueryLevel) -> String {
        switch level {
        case .patient: "patient_id"
        case .study: "study_uid"
        case .series: "series_uid"
        case .image: "sop_instance_uid"
        }
    }

    init(identifier: Dataset, level: QueryLevel, combinedDateTime: Bool, postgres: Bool) {
        self.postgres = postgres
        // Patients are grouped by ID and name in the matcher: paging by ID alone would not be its paging.
        if level == .patient { exact = false }
        var joined = Set<Tag>()
        if combinedDateTime {
            for (d, t) in QueryMatcher.dateTimePairs {
                let dk = QueryMatcher.trim(identifier.string(d) ?? "", vr: .DA), tk = QueryMatcher.trim(identifier.string(t) ?? "", vr: .TM)
                if !dk.isEmpty, !tk.isEmpty, dk.contains("-") || tk.contains("-") { joined.insert(d); joined.insert(t); exact = false }
            }
        }
        for key in identifier where !QueryMatcher.isControlKey(key.tag) && !joined.contains(key.tag) {
            add(key, charset: identifier.characterSet, level: level)
        }
    }

    private mutating func add(_ key: Element, charset: SpecificCharacterSet, level: QueryLevel) {
        if key.vr == .SQ || key.items != nil {
            // An empty sequence key (or an item without keys) is universal; anything else is the matcher's.
            if let item = key.items?.first, item.contains(where: { !QueryMatcher.isControlKey($0.tag) }) { exact = false }
            return
        }
        let values = key.strings(charset).map { QueryMatcher.trim($0, vr: key.vr) }
        if values.isEmpty || values.allSatisfy({ $0.isEmpty }) || !key.vr.isString { return }   // universal / return key
        if level == .study, key.tag == Tag(0x0008, 0x0061) || key.tag == Tag(0x0008, 0x0062) {
            // Computed at STUDY level from all the study's instances (whatever the other keys select): some instance of
            // the study must match.
            let modality = key.tag == Tag(0x0008, 0x0061)
            guard key.vr == (modality ? .CS : .UI), let c = Self.match(postgres: postgres, modality ? "q_modality" : "sop_class_uid", vr: key.vr, values, args: &arguments) else {
                exact = false; return
            }
            conditions.append("study_uid IN (SELECT study_uid FROM instance WHERE q_filled = 0 OR q_irregular = 1 OR \(c))")
            return
        }
        // An attribute of a lower level (Modality at STUDY level) is matched by the matcher on the entity's first
        // instance, by SQL on any of its instances: SQL then only narrows the candidates.
        if let k = QueryColumns.keyColumns[key.tag], k.vr == key.vr, let c = Self.match(postgres: postgres, k.name, vr: key.vr, values, args: &arguments) {
            conditions.append(c)
            if Self.depth(k.level) > Self.depth(level) { exact = false }
        } else if let col = QueryColumns.columns.first(where: { $0.tag == key.tag }), col.vr == key.vr,
                  let c = Self.match(postgres: postgres, col.name, vr: key.vr, values, args: &arguments) {
            conditions.append("(q_filled = 0 OR q_irregular = 1 OR \(c))")
            if Self.depth(col.level) > Self.depth(level) { exact = false }
        } else {
            exact = false   // an attribute without a column, or a computed count: the matcher's
        }
    }

    /// The condition that one of the key's values matches the column (nil: not expressible).
    private static func match(postgres: Bool, _ column: String, vr: VR, _ values: [String], args: inout [any RecordArgument]) -> String? {
        let binary = postgres ? " COLLATE \"C\"" : ""
        var alternatives: [String] = []
        for k in values {
            switch vr {
            case .DA, .TM:
                if k.contains("-") {
                    let parts = k.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
                    guard parts.count == 2 else { return nil }
                    var c = ["\(column) IS NOT NULL"]
                    if !parts[0].isEmpty { c.append("\(column)\(binary) >= ?"); args.append(QueryMatcher.normalize(parts[0], vr: vr, upper: false)) }
                    if !parts[1].isEmpty { c.append("\(column)\(binary) <= ?"); args.append(QueryMatcher.normalize(parts[1], vr: vr, upper: true)) }
                    alternatives.append("(" + c.joined(separator: " AND ") + ")")
                } else {
                    alternatives.append("\(column) = ?"); args.append(QueryMatcher.normalize(k, vr: vr, upper: false))
                }
            case .DT:
                return nil
            case .UI:
                alternatives.append("\(column) = ?"); args.append(k)
            default:
                let v = QueryColumns.normalized(k, vr: vr)
                if v.contains("*") || v.contains("?") {
                    if postgres {
                        var p = ""
                        for ch in v {
                            switch ch {
                            case "\\", "%", "_": p += "\\" + String(ch)
                            case "*": p += "%"
                            case "?": p += "_"
                            default: p.append(ch)
                            }
                        }
                        alternatives.append("\(column) LIKE ? ESCAPE '\\'"); args.append(p)
                    } else {
                        alternatives.append("\(column) GLOB ?"); args.append(v.replacingOccurrences(of: "[", with: "[[]"))
                    }
                } else {
                    alternatives.append("\(column) = ?"); args.append(v)
                }
            }
        }
        return "(" + alternatives.joined(separator: " OR ") + ")"
    }

    /// The statement selecting the level's entity keys (column `k`) in index order, paged when exact.
    func statement(level: QueryLevel, offset: Int, limit: Int?) -> (sql: String, arguments: [any RecordArgument]) {
        let e = Self.entityColumn(level)
        var sql = "SELECT \(e) AS k FROM instance"
        if !conditions.isEmpty { sql += " WHERE " + conditions.joined(separator: " AND ") }
        sql += " GROUP BY \(e)"
        sql += " ORDER BY MIN(\(postgres ? "id" : "rowid"))"
        var args = arguments
        if exact, limit != nil || offset > 0 {
            sql += " LIMIT ? OFFSET ?"
            args += [limit ?? (postgres ? Int(Int32.max) : -1), offset] as [any RecordArgument]
        }
        return (sql, args)
    }
}

extension Archive {
    /// The groups of instances (one per entity of the level, in index order) whose entity matches the identifier in
    /// SQL, and whether limit/offset were applied there (every key translated). Nil when the index is not in the
    /// archive's record database (a separate `sqlite:PATH` index): the caller matches in memory.
    func entitiesMatchedInSQL(identifier: Dataset, level: QueryLevel, combinedDateTime: Bool, offset: Int, limit: Int?) throws
        -> (keys: [String], paged: Bool)? {
        guard recordsHoldIndex else { return nil }
        let q = QuerySQL(identifier: identifier, level: level, combinedDateTime: combinedDateTime, postgres: records.isPostgreSQL)
        let (sql, args) = q.statement(level: level, offset: offset, limit: limit)
        let keys = try records.read { db in try db.rows(sql, args).compactMap { $0.text("k") } }
        return (keys, q.exact && (limit != nil || offset > 0))
    }
}
