import Foundation
import GRDB

/// The report documents Scinti wrote into patients' studies (migration "reports-v1"): one row per SR, Secondary
/// Capture, Encapsulated PDF or dose SR, with the job (or QC result) it reports, the source series, its predecessor
/// (amendments) and the sign-off; approvals of QC and dosimetry results; and the outbox of objects to deliver to a
/// PACS with their delivery and storage-commitment state. Plain SQL that PostgreSQL also accepts.
extension Archive {
    /// The SQL of the migration "reports-v1" (SQLite; PostgreSQL runs the same through ``postgresRecordStatements``).
    static let reportsSchema = """
        CREATE TABLE result_document (
          sop_instance_uid TEXT PRIMARY KEY NOT NULL,
          sop_class_uid TEXT NOT NULL,
          kind TEXT NOT NULL,
          result_id TEXT NOT NULL,
          study_uid TEXT NOT NULL,
          source_series TEXT,
          title TEXT NOT NULL,
          created TEXT NOT NULL,
          predecessor TEXT,
          signed_by TEXT,
          signed_at TEXT);
        CREATE INDEX result_document_result ON result_document(result_id, kind, created);
        CREATE TABLE result_approval (
          result_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          approved_by TEXT NOT NULL,
          approved_at TEXT NOT NULL,
          comment TEXT NOT NULL,
          PRIMARY KEY (result_id, approved_at));
        CREATE TABLE outbox (
          sop_instance_uid TEXT NOT NULL,
          destination TEXT NOT NULL,
          path TEXT NOT NULL,
          sop_class_uid TEXT NOT NULL,
          state TEXT NOT NULL,
          attempts INTEGER NOT NULL,
          next_attempt TEXT NOT NULL,
          last_error TEXT,
          transaction_uid TEXT,
          updated TEXT NOT NULL,
          PRIMARY KEY (sop_instance_uid, destination));
        """

    static func registerResultDocumentMigrations(_ migrator: inout DatabaseMigrator) {
        migrator.registerMigration("reports-v1") { db in try db.execute(sql: Archive.reportsSchema) }
    }

    /// One report document written into a study.
    public struct ResultDocument: Sendable, Codable, Equatable {
        public var sopInstanceUID: String
        public var sopClassUID: String
        /// `sr`, `sc`, `pdf`, `dose-sr`.
        public var kind: String
        /// The job id or `qc/<id>`.
        public var resultID: String
        public var studyUID: String
        public var sourceSeries: String?
        public var title: String
        /// ISO 8601.
        public var created: String
        /// SOP Instance UID of the document this one amends.
        public var predecessor: String?
        public var signedBy: String?
        public var signedAt: String?
        /// Creates a record.
        public init(sopInstanceUID: String, sopClassUID: String, kind: String, resultID: String, studyUID: String, sourceSeries: String?,
                    title: String, created: String, predecessor: String? = nil, signedBy: String? = nil, signedAt: String? = nil) {
            self.sopInstanceUID = sopInstanceUID; self.sopClassUID = sopClassUID; self.kind = kind; self.resultID = resultID
            self.studyUID = studyUID; self.sourceSeries = sourceSeries; self.title = title; self.created = created
            self.predecessor = predecessor; self.signedBy = signedBy; self.signedAt = signedAt
        }
    }

    /// Records a written document.
    public func insertResultDocument(_ d: ResultDocument) throws {
        try records.write { db in
            try db.execute("""
                INSERT INTO result_document (sop_instance_uid, sop_class_uid, kind, result_id, study_uid, source_series, title, created,
                                             predecessor, signed_by, signed_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                """, [d.sopInstanceUID, d.sopClassUID, d.kind, d.resultID, d.studyUID, d.sourceSeries, d.title, d.created,
                                 d.predecessor, d.signedBy, d.signedAt])
        }
    }

    /// Documents of one result (job id), oldest first.
    public func resultDocuments(resultID: String) throws -> [ResultDocument] {
        try records.read { db in
            try db.rows("SELECT * FROM result_document WHERE result_id = ? ORDER BY created, sop_instance_uid", [resultID]).map(Self.document)
        }
    }

    /// The latest document of a kind for the same study, source series and title (what an amendment replaces).
    public func latestResultDocument(kind: String, studyUID: String, sourceSeries: String?, title: String) throws -> ResultDocument? {
        try records.read { db in
            try db.rows("""
                SELECT * FROM result_document WHERE kind = ? AND study_uid = ? AND title = ? AND source_series IS NOT DISTINCT FROM ?
                ORDER BY created DESC, sop_instance_uid DESC LIMIT 1
                """, [kind, studyUID, title, sourceSeries]).first.map(Self.document)
        }
    }

    static func document(_ r: RecordRow) -> ResultDocument {
        ResultDocument(sopInstanceUID: r.text("sop_instance_uid") ?? "", sopClassUID: r.text("sop_class_uid") ?? "", kind: r.text("kind") ?? "",
                       resultID: r.text("result_id") ?? "", studyUID: r.text("study_uid") ?? "", sourceSeries: r.text("source_series"),
                       title: r.text("title") ?? "", created: r.text("created") ?? "", predecessor: r.text("predecessor"),
                       signedBy: r.text("signed_by"), signedAt: r.text("signed_at"))
    }

    /// An approval of a QC or dosimetry result.
    public struct ResultApproval: Sendable, Codable, Equatable {
        public var resultID: String, kind: String, approvedBy: String, approvedAt: String, comment: String
    }

    /// Records an approval (append-only).
    public func insertApproval(resultID: String, kind: String, by user: String, comment: String) throws -> ResultApproval {
        let a = ResultApproval(resultID: resultID, kind: kind, approvedBy: user, approvedAt: Archive.timestamp(Date()), comment: comment)
        try records.write { db in
            try db.execute("INSERT INTO result_approval (result_id, kind, approved_by, approved_at, comment) VALUES (?,?,?,?,?)",
                           [a.resultID, a.kind, a.approvedBy, a.approvedAt, a.comment])
        }
        return a
    }

    /// Approvals of a result, oldest first.
    public func approvals(resultID: String) throws -> [ResultApproval] {
        try records.read { db in
            try db.rows("SELECT * FROM result_approval WHERE result_id = ? ORDER BY approved_at", [resultID]).map {
                ResultApproval(resultID: $0.text("result_id") ?? "", kind: $0.text("kind") ?? "", approvedBy: $0.text("approved_by") ?? "",
                               approvedAt: $0.text("approved_at") ?? "", comment: $0.text("comment") ?? "")
            }
        }
    }
}
