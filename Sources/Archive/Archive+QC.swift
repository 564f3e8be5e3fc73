import Foundation
import GRDB

/// Quality-control results in the archive index (migration "qc-v1"): one row per analysed QC image (and head),
/// with the camera, head, collimator, radionuclide and acquisition date, the metrics (JSON object of numbers,
/// dotted keys), the full result (JSON) and the status against the action limits; and which received instances
/// the automatic QC has looked at.
extension Archive {
    /// NM Image Storage: the only SOP class the automatic QC looks at.
    public static let nmImageStorageUID = "1.2.840.10008.5.1.4.1.1.20"

    /// The SQL of the migration "qc-v1" (SQLite; PostgreSQL runs the same through ``postgresRecordStatements``).
    static let qcSchema = """
        CREATE TABLE qc_result (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          sop_instance_uid TEXT,
          series_uid TEXT,
          camera TEXT NOT NULL,
          head INTEGER,
          collimator TEXT,
          radionuclide TEXT,
          test TEXT NOT NULL,
          acquired_at TEXT,
          analysed_at TEXT NOT NULL,
          status TEXT NOT NULL,
          metrics TEXT NOT NULL,
          result TEXT NOT NULL,
          summary TEXT NOT NULL);
        CREATE INDEX qc_result_camera_test ON qc_result(camera, test, acquired_at);
        CREATE TABLE qc_processed (
          sop_instance_uid TEXT PRIMARY KEY NOT NULL,
          outcome TEXT NOT NULL,
          processed_at TEXT NOT NULL);
        """

    static func registerQCMigration(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("qc-v1") { db in try db.execute(sql: Archive.qcSchema) }
    }

    /// One stored QC result.
    public struct QCResultRecord: Sendable, Codable, Equatable {
        public var id: Int64?
        public var sopInstanceUID: String?
        public var seriesUID: String?
        public var camera: String
        public var head: Int?
        public var collimator: String?
        public var radionuclide: String?
        /// Test name (uniformity, cor, …).
        public var test: String
        /// Acquisition date-time, ISO 8601.
        public var acquiredAt: String?
        /// When the analysis ran, ISO 8601.
        public var analysedAt: String
        /// pass, tolerance, action or error.
        public var status: String
        /// Numeric results by dotted key (units in the key names).
        public var metrics: [String: Double]
        /// The full result as JSON text.
        public var resultJSON: String
        /// One line: what was exceeded, or the error statement.
        public var summary: String

        public init(id: Int64? = nil, sopInstanceUID: String?, seriesUID: String?, camera: String, head: Int?, collimator: String?,
                    radionuclide: String?, test: String, acquiredAt: String?, analysedAt: String = ISO8601DateFormatter().string(from: Date()),
                    status: String, metrics: [String: Double], resultJSON: String, summary: String) {
            self.id = id; self.sopInstanceUID = sopInstanceUID; self.seriesUID = seriesUID; self.camera = camera; self.head = head
            self.collimator = collimator; self.radionuclide = radionuclide; self.test = test; self.acquiredAt = acquiredAt
            self.analysedAt = analysedAt; self.status = status; self.metrics = metrics; self.resultJSON = resultJSON; self.summary = summary
        }
    }

    /// Stores a QC result; returns its id.
    @discardableResult
    public func insertQCResult(_ r: QCResultRecord) throws -> Int64 {
        let metrics = String(decoding: try JSONEncoder().encode(r.metrics), as: UTF8.self)
        return try records.write { db in
            Int64(try db.rows("""
                INSERT INTO qc_result (sop_instance_uid, series_uid, camera, head, collimator, radionuclide, test, acquired_at,
                                       analysed_at, status, metrics, result, summary) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?) RETURNING id
                """, [r.sopInstanceUID, r.seriesUID, r.camera, r.head, r.collimator, r.radionuclide, r.test, r.acquiredAt,
                      r.analysedAt, r.status, metrics, r.resultJSON, r.summary]).first?.int("id") ?? 0)
        }
    }

    /// QC results, oldest acquisition first, filtered by camera, test and acquisition date-time range (ISO 8601
    /// prefixes compare as text).
    public func qcResults(camera: String? = nil, test: String? = nil, from: String? = nil, to: String? = nil,
                          limit: Int = 5000) throws -> [QCResultRecord] {
        var clauses = [String](), args = [any RecordArgument]()
        if let camera { clauses.append("camera = ?"); args.append(camera) }
        if let test { clauses.append("test = ?"); args.append(test) }
        if let from { clauses.append("COALESCE(acquired_at, analysed_at) >= ?"); args.append(from) }
        if let to { clauses.append("COALESCE(acquired_at, analysed_at) < ?"); args.append(to) }
        args.append(max(1, min(limit, 100_000)))
        let sql = "SELECT * FROM qc_result" + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND "))
            + " ORDER BY COALESCE(acquired_at, analysed_at), id LIMIT ?"
        return try records.read { db in
            try db.rows(sql, args).map { row in
                let m = row.text("metrics").flatMap { try? JSONDecoder().decode([String: Double].self, from: Data($0.utf8)) } ?? [:]
                return QCResultRecord(id: row.int("id").map(Int64.init), sopInstanceUID: row.text("sop_instance_uid"), seriesUID: row.text("series_uid"),
                                      camera: row.text("camera") ?? "", head: row.int("head"), collimator: row.text("collimator"),
                                      radionuclide: row.text("radionuclide"), test: row.text("test") ?? "", acquiredAt: row.text("acquired_at"),
                                      analysedAt: row.text("analysed_at") ?? "", status: row.text("status") ?? "", metrics: m,
                                      resultJSON: row.text("result") ?? "{}", summary: row.text("summary") ?? "")
            }
        }
    }

    /// The cameras that have QC results.
    public func qcCameras() throws -> [String] {
        try records.read { db in try db.rows("SELECT DISTINCT camera FROM qc_result ORDER BY camera", []).compactMap { $0.text("camera") } }
    }

    /// How long an instance claimed by ``claimQCInstance(_:)`` stays claimed without an outcome (the claiming node
    /// died): then another pass looks at it again.
    public static let qcClaimSeconds: TimeInterval = 600

    /// NM instances the automatic QC has not looked at yet (path and SOP Instance UID), oldest first; claims whose
    /// node died count as not looked at.
    public func unprocessedNMInstances(limit: Int = 100) throws -> [(sopInstanceUID: String, path: String)] {
        let stale = Archive.timestamp(Date().addingTimeInterval(-Archive.qcClaimSeconds))
        if !recordsHoldIndex {
            // The instance index is in another database (`--database sqlite:PATH`): no join.
            let done = Set(try records.read { db in
                try db.rows("SELECT sop_instance_uid FROM qc_processed WHERE outcome <> 'claimed' OR processed_at >= ?", [stale])
                    .compactMap { $0.text("sop_instance_uid") }
            })
            return try index.rows(IndexFilter()).filter { $0.sopClassUID == Archive.nmImageStorageUID && !done.contains($0.sopInstanceUID) }
                .sorted { $0.receivedAt < $1.receivedAt }.prefix(limit).map { ($0.sopInstanceUID, $0.path) }
        }
        return try records.read { db in
            try db.rows("""
                SELECT i.sop_instance_uid, i.path FROM instance i LEFT JOIN qc_processed p ON p.sop_instance_uid = i.sop_instance_uid
                WHERE (p.sop_instance_uid IS NULL OR (p.outcome = 'claimed' AND p.processed_at < ?)) AND i.sop_class_uid = ?
                ORDER BY i.received_at LIMIT ?
                """, [stale, Archive.nmImageStorageUID, limit]).map { ($0.text("sop_instance_uid") ?? "", $0.text("path") ?? "") }
        }
    }

    /// Claims an instance for the automatic QC of this node: true when no node has looked at it yet (or the claim of
    /// one that died has run out), false when another node did or does. Several web servers on one PostgreSQL
    /// database thus analyse each QC image once.
    public func claimQCInstance(_ sopInstanceUID: String) throws -> Bool {
        let now = Archive.timestamp(Date()), stale = Archive.timestamp(Date().addingTimeInterval(-Archive.qcClaimSeconds))
        return try records.write { db in
            try db.execute("""
                INSERT INTO qc_processed (sop_instance_uid, outcome, processed_at) VALUES (?, 'claimed', ?)
                ON CONFLICT (sop_instance_uid) DO UPDATE SET processed_at = excluded.processed_at
                WHERE qc_processed.outcome = 'claimed' AND qc_processed.processed_at < ?
                """, [sopInstanceUID, now, stale]) == 1
        }
    }

    /// Records that the automatic QC looked at an instance ("analysed", "not QC", or the statement why not).
    public func markQCProcessed(_ sopInstanceUID: String, outcome: String) throws {
        try records.write { db in
            try db.execute("""
                INSERT INTO qc_processed (sop_instance_uid, outcome, processed_at) VALUES (?,?,?)
                ON CONFLICT (sop_instance_uid) DO UPDATE SET outcome = excluded.outcome, processed_at = excluded.processed_at
                """, [sopInstanceUID, outcome, Archive.timestamp(Date())])
        }
    }

    /// QC results as CSV (RFC 4180): fixed columns, then one column per metric key present in any row.
    public static func qcCSV(_ records: [QCResultRecord]) -> String {
        let keys = Array(Set(records.flatMap { $0.metrics.keys })).sorted()
        func q(_ s: String?) -> String {
            guard let s else { return "" }
            // Quote always; neutralise spreadsheet formulas.
            let safe = s.first.map { "=+-@".contains($0) } == true ? "'" + s : s
            return "\"" + safe.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        var lines = [(["id", "camera", "head", "collimator", "radionuclide", "test", "acquired_at", "analysed_at", "status", "summary"] + keys)
            .map { q($0) }.joined(separator: ",")]
        for r in records {
            var cells = [r.id.map(String.init) ?? "", q(r.camera), r.head.map(String.init) ?? "", q(r.collimator), q(r.radionuclide), q(r.test),
                         q(r.acquiredAt), q(r.analysedAt), q(r.status), q(r.summary)]
            cells += keys.map { k in r.metrics[k].map { String(format: "%.6g", $0) } ?? "" }
            lines.append(cells.joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}
