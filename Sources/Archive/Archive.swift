import DICOM
import Foundation
import GRDB
import Synchronization

/// What happened to a received object.
public enum StoreResult: Sendable, Equatable {
    /// Stored durably and indexed, at this path.
    case stored(path: String)
    /// An instance with the same SOP Instance UID was already archived; the first copy is kept (this one discarded).
    case duplicate(path: String)
    /// Not stored (unparseable, inconsistent).
    case rejected(String)
}

/// An error of the archive, naming the file or SOP instance.
public struct ArchiveError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    /// The message.
    public var description: String { message }
}

/// A durable local DICOM archive: files under `data/`, an SQLite index (`index.sqlite`) of patients, studies, series
/// and instances. Objects are written to `incoming/`, fsynced, renamed into `data/`, the directory fsynced and the
/// index transaction committed — only then does ``IncomingFile/commit()`` return, so an acknowledged object survives
/// a crash and a crashed transfer never appears.
public final class Archive: Sendable {
    /// The archive folder.
    public let directory: String
    let db: DatabasePool
    let commitLock = Mutex<Void>(())
    /// Login and lock-out policy (Archive+Users.swift).
    let policyBox = Mutex(AccountPolicy())
    /// Called with each appended audit record (forwarding to an audit repository; Archive+Audit.swift).
    let auditObservers = Mutex<[@Sendable (AuditRecord) -> Void]>([])

    /// Opens (creating when needed) the archive in `directory`, then recovers from a crash: temporary files are
    /// removed, objects renamed but not yet indexed are indexed, index rows without a file are dropped.
    public init(directory: String) throws {
        self.directory = directory
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: directory + "/incoming", withIntermediateDirectories: true)
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        db = try DatabasePool(path: directory + "/index.sqlite", configuration: config)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
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
                """)
        }
        Archive.registerAccountMigrations(&migrator)
        Archive.registerAuditMigrations(&migrator)
        Archive.registerQCMigration(&migrator)
        Archive.registerResultDocumentMigrations(&migrator)
        try migrator.migrate(db)
        try recover()
    }

    // MARK: Storing

    /// Starts receiving an object: a temporary file in `incoming/` with a Part 10 header for `transferSyntaxUID`;
    /// the data set bytes are then appended as they arrive.
    public func beginStore(sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String, sourceAE: String?) throws -> IncomingFile {
        let tmp = directory + "/incoming/\(UInt64.random(in: 0...UInt64.max)).part"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw ArchiveError("cannot create \(tmp): \(String(cString: strerror(errno)))") }
        let f = IncomingFile(archive: self, fd: fd, tempPath: tmp, sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID,
                             transferSyntaxUID: transferSyntaxUID, sourceAE: sourceAE)
        try f.write(Part10Header.bytes(sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID, transferSyntaxUID: transferSyntaxUID, sourceAE: sourceAE))
        return f
    }

    /// Stores an existing file (copy; same durability steps). Used by tests and `scinti pacs` tools.
    @discardableResult
    public func importFile(_ path: String, sourceAE: String? = nil) throws -> StoreResult {
        let file = try DICOMFile.read(path: path, options: ReadOptions(stopBeforePixels: true))
        guard let sc = file.sopClassUID, let si = file.dataset.string(.sopInstanceUID) else { throw ArchiveError("\(path): no SOP Class/Instance UID") }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let off = Part10Header.dataSetOffset([UInt8](bytes.prefix(144)), size: bytes.count) ?? 0
        let inc = try beginStore(sopClassUID: sc, sopInstanceUID: si, transferSyntaxUID: file.transferSyntax.uid, sourceAE: sourceAE)
        do {
            try bytes.withUnsafeBytes { try inc.append(UnsafeRawBufferPointer(rebasing: $0[off...])) }
            return try inc.commit()
        } catch { inc.discard(); throw error }
    }

    func finalPath(for uid: String) -> (dir: String, path: String) {
        var h: UInt32 = 2166136261
        for b in uid.utf8 { h = (h ^ UInt32(b)) &* 16777619 }
        let sub = String(format: "%02x", h & 0xFF)
        let safe = uid.allSatisfy { $0.isNumber || $0 == "." } && !uid.isEmpty && uid.count <= 64 ? uid : String(format: "x%08x", h)
        return (directory + "/data/" + sub, directory + "/data/" + sub + "/" + safe + ".dcm")
    }

    /// Commits a complete temporary file: parse, duplicate check, rename, fsync, index.
    func commit(_ f: IncomingFile) throws -> StoreResult {
        let parsed: DICOMFile
        do { parsed = try DICOMFile.read(path: f.tempPath) } catch {
            unlink(f.tempPath)
            return .rejected("cannot parse the received data set: \(error)")
        }
        let ds = parsed.dataset
        guard let sopInstance = ds.string(.sopInstanceUID), sopInstance == f.sopInstanceUID else {
            unlink(f.tempPath)
            return .rejected("SOP Instance UID in the data set (\(ds.string(.sopInstanceUID) ?? "none")) differs from the command's \(f.sopInstanceUID)")
        }
        let header = try Archive.headerBlob(parsed)
        let size = (try? FileManager.default.attributesOfItem(atPath: f.tempPath)[.size] as? Int) ?? 0
        let (dir, path) = finalPath(for: sopInstance)
        return try commitLock.withLock { _ in
            if let existing = try db.read({ db in try String.fetchOne(db, sql: "SELECT path FROM instance WHERE sop_instance_uid = ?", arguments: [sopInstance]) }) {
                unlink(f.tempPath)
                return .duplicate(path: existing)
            }
            if !FileManager.default.fileExists(atPath: dir) {
                guard mkdir(dir, 0o755) == 0 || errno == EEXIST else { throw ArchiveError("cannot create \(dir): \(String(cString: strerror(errno)))") }
                fsyncDirectory(directory + "/data")
            }
            guard rename(f.tempPath, path) == 0 else {
                let m = String(cString: strerror(errno)); unlink(f.tempPath)
                throw ArchiveError("cannot rename into \(path): \(m)")
            }
            fsyncDirectory(dir)
            try db.write { db in
                try db.execute(sql: """
                    INSERT INTO instance (sop_instance_uid, sop_class_uid, series_uid, study_uid, patient_id, path, transfer_syntax,
                                          size, received_at, source_ae, header) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                    """, arguments: [sopInstance, ds.string(.sopClassUID) ?? f.sopClassUID, ds.string(.seriesInstanceUID) ?? "",
                                     ds.string(.studyInstanceUID) ?? "", ds.string(.patientID) ?? "", path, f.transferSyntaxUID, size,
                                     ISO8601DateFormatter().string(from: Date()), f.sourceAE, header])
            }
            return .stored(path: path)
        }
    }

    /// The attributes kept in the index for matching: everything but pixel data and values over 4 KiB, as an
    /// Explicit VR Little Endian Part 10 blob.
    static func headerBlob(_ file: DICOMFile) throws -> Data {
        var ds = Dataset(file.dataset.elements.filter { e in
            !(e.tag.group == 0x7FE0 || (e.tag.group & 0xFF00) == 0x6000 && e.tag.element == 0x3000) && (e.items != nil || e.valueLength <= 4096)
        }, characterSet: file.dataset.characterSet)
        ds.removeAll { $0.tag.group == 0x0002 }
        let (bytes, _) = try DICOMWriter.encode(DICOMFile(meta: file.meta, dataset: ds, transferSyntax: file.transferSyntax),
                                                options: WriteOptions(transferSyntax: .explicitVRLittleEndian))
        return Data(bytes)
    }

    // MARK: Reading the index

    /// An indexed instance.
    public struct Instance: Sendable {
        /// SOP Instance UID.
        public var sopInstanceUID: String
        /// Study, series, patient keys.
        public var studyUID: String, seriesUID: String, patientID: String
        /// File path.
        public var path: String
        /// File size.
        public var size: Int
        /// The indexed attributes.
        public var header: Dataset
    }

    /// Instances, optionally restricted by exact keys (nil: no restriction).
    public func instances(patientIDs: [String]? = nil, studyUIDs: [String]? = nil, seriesUIDs: [String]? = nil, sopUIDs: [String]? = nil) throws -> [Instance] {
        var clauses: [String] = []
        var args: [DatabaseValueConvertible] = []
        for (col, vals) in [("patient_id", patientIDs), ("study_uid", studyUIDs), ("series_uid", seriesUIDs), ("sop_instance_uid", sopUIDs)] {
            guard let vals else { continue }
            clauses.append("\(col) IN (\(vals.map { _ in "?" }.joined(separator: ",")))")
            args += vals as [DatabaseValueConvertible]
        }
        let sql = "SELECT sop_instance_uid, study_uid, series_uid, patient_id, path, size, header FROM instance"
            + (clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")) + " ORDER BY rowid"
        let rows = try db.read { db in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)) }
        return rows.compactMap { r in
            let blob: Data = r["header"]
            guard let h = try? DICOMFile(parsing: DICOMBytes([UInt8](blob))).dataset else { return nil }
            return Instance(sopInstanceUID: r["sop_instance_uid"], studyUID: r["study_uid"], seriesUID: r["series_uid"],
                            patientID: r["patient_id"], path: r["path"], size: r["size"], header: h)
        }
    }

    /// Number of indexed instances.
    public func count() throws -> Int { try db.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM instance") ?? 0 } }

    // MARK: Integrity

    /// The result of ``verify()``.
    public struct IntegrityReport: Sendable, CustomStringConvertible {
        /// Indexed instances.
        public var indexed = 0
        /// Indexed instances whose file is missing, unreadable, of another size, or holds another SOP Instance UID.
        public var problems: [String] = []
        /// Files in `data/` that the index does not know.
        public var unindexedFiles: [String] = []
        /// Leftover temporary files.
        public var temporaryFiles: [String] = []
        /// Whether everything is consistent.
        public var isConsistent: Bool { problems.isEmpty && unindexedFiles.isEmpty && temporaryFiles.isEmpty }
        /// Summary.
        public var description: String {
            "\(indexed) indexed, \(problems.count) problem(s), \(unindexedFiles.count) unindexed file(s), \(temporaryFiles.count) temporary file(s)"
                + problems.prefix(5).map { "\n  \($0)" }.joined()
        }
    }

    /// Checks that every indexed file exists, parses completely and holds its SOP Instance UID, and that no file is
    /// unindexed and no temporary file is left.
    public func verify() throws -> IntegrityReport {
        var r = IntegrityReport()
        let rows = try db.read { db in try Row.fetchAll(db, sql: "SELECT sop_instance_uid, path, size FROM instance") }
        r.indexed = rows.count
        var known = Set<String>()
        for row in rows {
            let uid: String = row["sop_instance_uid"], path: String = row["path"], size: Int = row["size"]
            known.insert(path)
            let actual = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
            if actual != size { r.problems.append("\(uid): \(path) has \(actual) bytes, indexed \(size)"); continue }
            do {
                let f = try DICOMFile.read(path: path)
                if f.dataset.string(.sopInstanceUID) != uid { r.problems.append("\(uid): \(path) holds another SOP Instance UID") }
            } catch { r.problems.append("\(uid): \(error)") }
        }
        for f in dataFiles() where !known.contains(f) { r.unindexedFiles.append(f) }
        r.temporaryFiles = ((try? FileManager.default.contentsOfDirectory(atPath: directory + "/incoming")) ?? []).map { directory + "/incoming/" + $0 }
        return r
    }

    func dataFiles() -> [String] {
        var out: [String] = []
        for sub in (try? FileManager.default.contentsOfDirectory(atPath: directory + "/data")) ?? [] {
            for f in (try? FileManager.default.contentsOfDirectory(atPath: directory + "/data/" + sub)) ?? [] where f.hasSuffix(".dcm") {
                out.append(directory + "/data/" + sub + "/" + f)
            }
        }
        return out
    }

    func recover() throws {
        for t in (try? FileManager.default.contentsOfDirectory(atPath: directory + "/incoming")) ?? [] {
            unlink(directory + "/incoming/" + t)
        }
        let indexed = Set(try db.read { db in try String.fetchAll(db, sql: "SELECT path FROM instance") })
        for path in indexed where !FileManager.default.fileExists(atPath: path) {
            try db.write { db in try db.execute(sql: "DELETE FROM instance WHERE path = ?", arguments: [path]) }
        }
        // Renamed into place but not indexed (crash between rename and commit; never acknowledged): index now.
        for path in dataFiles() where !indexed.contains(path) {
            guard let f = try? DICOMFile.read(path: path), let uid = f.dataset.string(.sopInstanceUID), let header = try? Archive.headerBlob(f) else {
                unlink(path); continue
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            try db.write { db in
                try db.execute(sql: """
                    INSERT OR IGNORE INTO instance (sop_instance_uid, sop_class_uid, series_uid, study_uid, patient_id, path, transfer_syntax,
                                          size, received_at, source_ae, header) VALUES (?,?,?,?,?,?,?,?,?,?,?)
                    """, arguments: [uid, f.sopClassUID ?? "", f.dataset.string(.seriesInstanceUID) ?? "", f.dataset.string(.studyInstanceUID) ?? "",
                                     f.dataset.string(.patientID) ?? "", path, f.transferSyntax.uid, size, ISO8601DateFormatter().string(from: Date()), nil, header])
            }
        }
    }
}

/// fsyncs a directory so a rename or creation in it is durable.
func fsyncDirectory(_ path: String) {
    let fd = open(path, O_RDONLY | O_DIRECTORY)
    if fd >= 0 { fsync(fd); close(fd) }
}

/// A received object being written to `incoming/`. Not thread-safe: the network layer calls it from one task at a time.
public final class IncomingFile: @unchecked Sendable {
    let archive: Archive
    var fd: Int32
    let tempPath: String
    /// SOP Class UID from the command.
    public let sopClassUID: String
    /// SOP Instance UID from the command.
    public let sopInstanceUID: String
    /// Transfer syntax of the data set bytes.
    public let transferSyntaxUID: String
    let sourceAE: String?
    /// Bytes of the data set received so far.
    public private(set) var received = 0

    init(archive: Archive, fd: Int32, tempPath: String, sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String, sourceAE: String?) {
        self.archive = archive; self.fd = fd; self.tempPath = tempPath; self.sopClassUID = sopClassUID
        self.sopInstanceUID = sopInstanceUID; self.transferSyntaxUID = transferSyntaxUID; self.sourceAE = sourceAE
    }

    func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try append($0, count: false) } }

    /// Appends data set bytes (blocking write).
    public func append(_ bytes: UnsafeRawBufferPointer) throws { try append(bytes, count: true) }

    private func append(_ bytes: UnsafeRawBufferPointer, count: Bool) throws {
        guard fd >= 0 else { throw ArchiveError("\(sopInstanceUID): write after commit or discard") }
        var done = 0
        while done < bytes.count {
            let n = Foundation.write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 { if errno == EINTR { continue }; throw ArchiveError("\(tempPath): write failed: \(String(cString: strerror(errno)))") }
            done += n
        }
        if count { received += bytes.count }
    }

    /// fsyncs, renames into the archive and indexes. Returns only when the object is durable.
    public func commit() throws -> StoreResult {
        guard fd >= 0 else { throw ArchiveError("\(sopInstanceUID): commit twice") }
        let ok = fsync(fd) == 0
        close(fd); fd = -1
        guard ok else { unlink(tempPath); throw ArchiveError("\(tempPath): fsync failed: \(String(cString: strerror(errno)))") }
        return try archive.commit(self)
    }

    /// Removes the temporary file.
    public func discard() {
        if fd >= 0 { close(fd); fd = -1 }
        unlink(tempPath)
    }

    deinit { if fd >= 0 { close(fd); unlink(tempPath) } }
}

/// Part 10 preamble and File Meta Information written in front of received data sets.
public enum Part10Header {
    /// 128-byte preamble, "DICM" and the meta group (Explicit VR Little Endian) with its group length.
    public static func bytes(sopClassUID: String, sopInstanceUID: String, transferSyntaxUID: String, sourceAE: String?) -> [UInt8] {
        var body: [UInt8] = []
        func el(_ e: UInt16, _ vr: String, _ value: [UInt8], pad: UInt8) {
            var v = value; if v.count % 2 == 1 { v.append(pad) }
            body += [0x02, 0x00, UInt8(e & 0xFF), UInt8(e >> 8)] + Array(vr.utf8)
            if vr == "OB" { body += [0, 0] + withUnsafeBytes(of: UInt32(v.count).littleEndian, Array.init) }
            else { body += [UInt8(v.count & 0xFF), UInt8(v.count >> 8)] }
            body += v
        }
        el(0x0001, "OB", [0, 1], pad: 0)
        el(0x0002, "UI", Array(sopClassUID.utf8), pad: 0)
        el(0x0003, "UI", Array(sopInstanceUID.utf8), pad: 0)
        el(0x0010, "UI", Array(transferSyntaxUID.utf8), pad: 0)
        el(0x0012, "UI", Array(UIDGenerator.implementationClassUID.utf8), pad: 0)
        el(0x0013, "SH", Array(UIDGenerator.implementationVersionName.utf8), pad: 0x20)
        if let ae = sourceAE, !ae.isEmpty { el(0x0016, "AE", Array(ae.utf8.prefix(16)), pad: 0x20) }
        var out = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        out += [0x02, 0x00, 0x00, 0x00, 0x55, 0x4C, 0x04, 0x00] + withUnsafeBytes(of: UInt32(body.count).littleEndian, Array.init)
        return out + body
    }

    /// The data set offset of a Part 10 file from its first 144 bytes, when it has a meta group length.
    public static func dataSetOffset(_ head: [UInt8], size: Int) -> Int? {
        guard head.count >= 144, head[128] == 0x44, head[129] == 0x49, head[130] == 0x43, head[131] == 0x4D,
              head[132] == 2, head[133] == 0, head[134] == 0, head[135] == 0 else { return nil }
        let gl = Int(UInt32(head[140]) | UInt32(head[141]) << 8 | UInt32(head[142]) << 16 | UInt32(head[143]) << 24)
        return 144 + gl <= size ? 144 + gl : nil
    }
}
