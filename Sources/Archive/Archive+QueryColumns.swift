import DICOM
import Foundation
import GRDB

/// The attributes that QIDO and C-FIND match in SQL (Query+SQL.swift), as columns of the instance table beside the
/// header blob: migration "v5-query-columns" on both backends. Each holds the value the in-memory matcher
/// (``QueryMatcher``) compares: trimmed as it trims; PN upper-cased (PatientName and ReferringPhysicianName match
/// case-insensitively); DA without `.`, TM padded to `HHMMSS.ffffff` (``QueryMatcher/normalize(_:vr:upper:)``), so
/// exact and range matches are string comparisons. NULL: the attribute is absent or empty. `q_filled` is 0 for a row
/// indexed before the migration (or by an older node) until it is filled from its header; SQL keeps such rows as
/// candidates, so nothing is missed meanwhile. `q_irregular` is 1 when one of the attributes holds several values
/// (they are all in the header, not in the column): SQL keeps the row as a candidate too.
enum QueryColumns {
    /// One matched attribute.
    struct Column: Sendable {
        let tag: Tag
        let vr: VR
        let name: String
        /// The level whose entity the attribute describes (the same in all its instances).
        let level: QueryLevel
    }

    static let columns: [Column] = [
        Column(tag: .patientName, vr: .PN, name: "q_patient_name", level: .patient),
        Column(tag: Tag(0x0010, 0x0030), vr: .DA, name: "q_birth_date", level: .patient),
        Column(tag: Tag(0x0010, 0x0040), vr: .CS, name: "q_patient_sex", level: .patient),
        Column(tag: .studyDate, vr: .DA, name: "q_study_date", level: .study),
        Column(tag: Tag(0x0008, 0x0030), vr: .TM, name: "q_study_time", level: .study),
        Column(tag: Tag(0x0008, 0x0050), vr: .SH, name: "q_accession", level: .study),
        Column(tag: Tag(0x0020, 0x0010), vr: .SH, name: "q_study_id", level: .study),
        Column(tag: Tag(0x0008, 0x1030), vr: .LO, name: "q_study_description", level: .study),
        Column(tag: Tag(0x0008, 0x0090), vr: .PN, name: "q_referring_physician", level: .study),
        Column(tag: .modality, vr: .CS, name: "q_modality", level: .series),
        Column(tag: Tag(0x0020, 0x0011), vr: .IS, name: "q_series_number", level: .series),
        Column(tag: Tag(0x0008, 0x103E), vr: .LO, name: "q_series_description", level: .series),
        Column(tag: Tag(0x0008, 0x0021), vr: .DA, name: "q_series_date", level: .series),
        Column(tag: Tag(0x0008, 0x0031), vr: .TM, name: "q_series_time", level: .series),
        Column(tag: Tag(0x0020, 0x0013), vr: .IS, name: "q_instance_number", level: .image),
        Column(tag: Tag(0x0040, 0x0244), vr: .DA, name: "q_pps_start_date", level: .series),
    ]

    /// The keys kept in the row's own key columns (exact values, no normalising needed beyond trimming).
    static let keyColumns: [Tag: (name: String, vr: VR, level: QueryLevel)] = [
        .patientID: ("patient_id", .LO, .patient), .studyInstanceUID: ("study_uid", .UI, .study), .seriesInstanceUID: ("series_uid", .UI, .series),
        .sopInstanceUID: ("sop_instance_uid", .UI, .image), .sopClassUID: ("sop_class_uid", .UI, .image),
    ]

    /// Every column the insert writes after the row's own: the attribute columns, `q_irregular`, `q_filled`.
    static let names = columns.map(\.name) + ["q_irregular", "q_filled"]

    /// The column value of one key or candidate value, as the matcher compares it.
    static func normalized(_ value: String, vr: VR) -> String {
        switch vr {
        case .DA, .TM, .DT: QueryMatcher.normalize(value, vr: vr, upper: false)
        case .PN: value.uppercased()
        default: value
        }
    }

    /// The values of ``names`` for a data set (the received object, or a header read back).
    static func values(_ ds: Dataset) -> [RecordValue] {
        var irregular: Int64 = 0
        var out: [RecordValue] = columns.map { c in
            let v = (ds[c.tag]?.strings(ds.characterSet) ?? []).map { QueryMatcher.trim($0, vr: c.vr) }
            if v.count > 1 { irregular = 1; return .null }
            return v.first.map { .text(normalized($0, vr: c.vr)) } ?? .null
        }
        out.append(.int(irregular)); out.append(.int(1))
        return out
    }

    /// The values of an index row: its own when the receiver computed them, else from its header blob.
    static func values(_ row: IndexRow) -> [RecordValue] {
        if let q = row.queryValues { return q }
        guard let ds = try? DICOMFile(parsing: DICOMBytes([UInt8](row.header))).dataset else {
            return Array(repeating: .null, count: columns.count) + [.int(1), .int(1)]   // unreadable: irregular, stays a candidate
        }
        return values(ds)
    }

    /// The statements of the migration (SQLite and PostgreSQL alike; `IF NOT EXISTS` where PostgreSQL has it, since
    /// a database migrated back from an older version keeps its instance columns).
    static func statements(postgres: Bool) -> [String] {
        let ine = postgres ? "IF NOT EXISTS " : ""
        return columns.map { "ALTER TABLE instance ADD COLUMN \(ine)\($0.name) TEXT" }
            + ["ALTER TABLE instance ADD COLUMN \(ine)q_irregular INTEGER NOT NULL DEFAULT 0",
               "ALTER TABLE instance ADD COLUMN \(ine)q_filled INTEGER NOT NULL DEFAULT 0"]
            + ["q_patient_name", "q_study_date", "q_modality", "q_accession", "q_filled"].map {
                "CREATE INDEX IF NOT EXISTS instance_\($0) ON instance(\($0))"
            }
    }
}

extension Archive {
    /// The PostgreSQL statements of "v5-query-columns" (ArchivePostgres appends them to its migrations).
    public static var postgresQueryColumnStatements: [String] { QueryColumns.statements(postgres: true) }

    /// The query columns and their values for a row (the PostgreSQL index's insert).
    public static func queryColumnValues(_ row: IndexRow) -> (names: [String], values: [RecordValue]) { (QueryColumns.names, QueryColumns.values(row)) }

    static func registerQueryColumnMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v5-query-columns") { db in
            for s in QueryColumns.statements(postgres: false) { try db.execute(sql: s) }
        }
    }

    /// Fills the query columns of rows indexed before the migration (or by a node that did not fill them), from their
    /// header blobs, in batches. Called when the archive opens; safe to run on several nodes at once.
    func fillQueryColumns() throws {
        guard recordsHoldIndex else { return }
        while true {
            let uids = try records.read { db in
                try db.rows("SELECT sop_instance_uid FROM instance WHERE q_filled = 0 LIMIT 200", []).compactMap { $0.text("sop_instance_uid") }
            }
            guard !uids.isEmpty else { return }
            let rows = try index.rows(IndexFilter(sopUIDs: uids))
            try records.write { db in
                for r in rows {
                    let sets = QueryColumns.names.map { "\($0) = ?" }.joined(separator: ", ")
                    try db.execute("UPDATE instance SET \(sets) WHERE sop_instance_uid = ?",
                                   QueryColumns.values(r) + [r.sopInstanceUID])
                }
            }
        }
    }
}
