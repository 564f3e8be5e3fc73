import Foundation
import GRDB

/// One row of the instance index: where an archived object lies and the attributes it is found by.
public struct IndexRow: Sendable {
    /// SOP Instance UID (unique in the archive).
    public var sopInstanceUID: String
    /// SOP Class UID.
    public var sopClassUID: String
    /// Series, study and patient keys.
    public var seriesUID: String, studyUID: String, patientID: String
    /// The file (under the archive folder's `data/`).
    public var path: String
    /// Transfer syntax of the stored file.
    public var transferSyntax: String
    /// File size, bytes.
    public var size: Int
    /// ISO 8601 time of receipt.
    public var receivedAt: String
    /// Calling AE title, when received over DIMSE.
    public var sourceAE: String?
    /// The indexed attributes (Explicit VR Little Endian data set without pixel data; ``Archive/headerBlob(_:)``).
    public var header: Data
    /// The values of the query columns (Archive+QueryColumns.swift) when the receiver computed them from the data set;
    /// nil: computed from ``header`` at insert.
    public var queryValues: [RecordValue]?

    /// Creates a row.
    public init(sopInstanceUID: String, sopClassUID: String, seriesUID: String, studyUID: String, patientID: String, path: String,
                transferSyntax: String, size: Int, receivedAt: String, sourceAE: String?, header: Data) {
        self.sopInstanceUID = sopInstanceUID; self.sopClassUID = sopClassUID; self.seriesUID = seriesUID; self.studyUID = studyUID
        self.patientID = patientID; self.path = path; self.transferSyntax = transferSyntax; self.size = size
        self.receivedAt = receivedAt; self.sourceAE = sourceAE; self.header = header
    }
}

/// Exact-key restriction of an index lookup (nil: no restriction on that key).
public struct IndexFilter: Sendable {
    /// Patient IDs, Study/Series/SOP Instance UIDs.
    public var patientIDs: [String]?, studyUIDs: [String]?, seriesUIDs: [String]?, sopUIDs: [String]?
    /// Creates a filter.
    public init(patientIDs: [String]? = nil, studyUIDs: [String]? = nil, seriesUIDs: [String]? = nil, sopUIDs: [String]? = nil) {
        self.patientIDs = patientIDs; self.studyUIDs = studyUIDs; self.seriesUIDs = seriesUIDs; self.sopUIDs = sopUIDs
    }
    /// Column name and values of each restricted key.
    public var clauses: [(column: String, values: [String])] {
        [("patient_id", patientIDs), ("study_uid", studyUIDs), ("series_uid", seriesUIDs), ("sop_instance_uid", sopUIDs)]
            .compactMap { c, v in v.map { (c, $0) } }
    }
}

/// The patient/study/series/instance index of an archive, behind one protocol with two backends: SQLite through
/// GRDB (``SQLiteIndex``, the embedded default, in the archive folder) and PostgreSQL (module `ArchivePostgres`,
/// built with the package trait `PostgreSQL`), which several receivers, web servers and workers share.
///
/// Every method is synchronous and may block on I/O; a backend maps its failures to ``ArchiveError`` naming the
/// database. Uniqueness of the SOP Instance UID is the database's (a primary key), not the caller's.
public protocol ArchiveIndex: Sendable {
    /// Where the index lives, for messages (`sqlite:PATH`, `postgres://HOST/DB`; never a password).
    var location: String { get }
    /// Whether other processes on other machines may write the same index at once (PostgreSQL): the archive then
    /// leaves other nodes' temporary files alone when it recovers.
    var isShared: Bool { get }
    /// The path of the instance with this SOP Instance UID, when indexed.
    func path(sopInstanceUID: String) throws -> String?
    /// Inserts the row unless its SOP Instance UID is indexed already, atomically; returns nil when inserted, else
    /// the path already indexed for that UID.
    func insert(_ row: IndexRow) throws -> String?
    /// Inserts several rows in one transaction (the group commit of concurrent stores), each unless its SOP
    /// Instance UID is indexed already; returns, per row, nil when inserted, else the path already indexed.
    func insert(_ rows: [IndexRow]) throws -> [String?]
    /// Instances matching the filter in the order they were indexed: UID, keys, path, size and header.
    func rows(_ filter: IndexFilter) throws -> [IndexRow]
    /// Number of indexed instances.
    func count() throws -> Int
    /// Every indexed SOP Instance UID with its path and size.
    func files() throws -> [(sopInstanceUID: String, path: String, size: Int)]
    /// Drops the row of a file that no longer exists.
    func remove(path: String) throws
    /// The database that also holds the archive's record tables (accounts, sessions, QC results, report documents,
    /// outbox) when the index is shared (PostgreSQL); nil: they stay in the archive folder's `index.sqlite`.
    var records: (any RecordDatabase)? { get }
}

extension ArchiveIndex {
    public var records: (any RecordDatabase)? { nil }
}

/// The archive index in SQLite (GRDB), in the archive's `index.sqlite` beside the accounts and the audit trail.
public struct SQLiteIndex: ArchiveIndex {
    let db: DatabasePool
    let file: String

    /// The index in the database `db` (file `path`, for messages), whose migrations ``Archive`` has run.
    init(db: DatabasePool, path: String) { self.db = db; self.file = path }

    /// The instance table: the archive's "v1" migration.
    static let schema = """
        CREATE TABLE instance (
          sop_instance_uid TEXT PRIMARY KEY NOT NULL,
          sop_class_uid TEXT NOT NULL,
          series_uid TEXT NOT NULL,
          study_uid TEXT NOT NULL,
          patient_id TEXT NOT NULL,
          path TEXT NOT NULL,
          transfer_syntax TEXT NOT NULL,
          size INTEGER NOT NULL,
          received_at TEXT NOT NULL,
          source_ae TEXT,
          header BLOB NOT NULL);
        CREATE INDEX instance_study ON instance(study_uid);
        CREATE INDEX instance_series ON instance(series_uid);
        CREATE INDEX instance_patient ON instance(patient_id);
        """

    /// An index in its own SQLite file (`--database sqlite:PATH`), created and migrated when needed.
    public init(path: String) throws {
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        do {
            db = try DatabasePool(path: path, configuration: config)
            // As in Archive.init: GRDB's WAL set-up lowers the writer to NORMAL; every commit must be durable.
            try db.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            var migrator = DatabaseMigrator()
            migrator.registerMigration("v1") { db in try db.execute(sql: SQLiteIndex.schema) }
            Archive.registerQueryColumnMigration(&migrator)
            try migrator.migrate(db)
        } catch { throw ArchiveError("sqlite:\(path): \(error)") }
        file = path
    }

    public var location: String { "sqlite:" + file }
    public var isShared: Bool { false }

    public func path(sopInstanceUID: String) throws -> String? {
        try db.read { db in try String.fetchOne(db, sql: "SELECT path FROM instance WHERE sop_instance_uid = ?", arguments: [sopInstanceUID]) }
    }

    public func insert(_ r: IndexRow) throws -> String? { try insert([r])[0] }

    public func insert(_ rows: [IndexRow]) throws -> [String?] {
        try db.write { db in
            try rows.map { r -> String? in
                if let existing = try String.fetchOne(db, sql: "SELECT path FROM instance WHERE sop_instance_uid = ?", arguments: [r.sopInstanceUID]) {
                    return existing
                }
                let q = QueryColumns.values(r)
                try db.execute(sql: """
                    INSERT INTO instance (sop_instance_uid, sop_class_uid, series_uid, study_uid, patient_id, path, transfer_syntax,
                                          size, received_at, source_ae, header, \(QueryColumns.names.joined(separator: ", ")))
                    VALUES (?,?,?,?,?,?,?,?,?,?,?\(String(repeating: ",?", count: q.count)))
                    """, arguments: StatementArguments([r.sopInstanceUID, r.sopClassUID, r.seriesUID, r.studyUID, r.patientID, r.path, r.transferSyntax,
                                                        r.size, r.receivedAt, r.sourceAE, r.header] as [(any DatabaseValueConvertible)?]
                                                       + q.map(\.databaseValue)))
                return nil
            }
        }
    }

    public func rows(_ filter: IndexFilter) throws -> [IndexRow] {
        var clauses: [String] = []
        var args: [DatabaseValueConvertible] = []
        for (col, vals) in filter.clauses {
            clauses.append("\(col) IN (\(vals.map { _ in "?" }.joined(separator: ",")))")
            args += vals as [DatabaseValueConvertible]
        }
        let sql = "SELECT sop_instance_uid, sop_class_uid, study_uid, series_uid, patient_id, path, transfer_syntax, size, received_at, source_ae, header FROM instance"
            + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")) + " ORDER BY rowid"
        return try db.read { db in
            try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { r in
                IndexRow(sopInstanceUID: r["sop_instance_uid"], sopClassUID: r["sop_class_uid"], seriesUID: r["series_uid"],
                         studyUID: r["study_uid"], patientID: r["patient_id"], path: r["path"], transferSyntax: r["transfer_syntax"],
                         size: r["size"], receivedAt: r["received_at"], sourceAE: r["source_ae"], header: r["header"])
            }
        }
    }

    public func count() throws -> Int { try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM instance") ?? 0 } }

    public func files() throws -> [(sopInstanceUID: String, path: String, size: Int)] {
        try db.read { db in
            try Row.fetchAll(db, sql: "SELECT sop_instance_uid, path, size FROM instance").map { r -> (sopInstanceUID: String, path: String, size: Int) in
                (r["sop_instance_uid"], r["path"], r["size"])
            }
        }
    }

    public func remove(path: String) throws {
        try db.write { db in try db.execute(sql: "DELETE FROM instance WHERE path = ?", arguments: [path]) }
    }
}
