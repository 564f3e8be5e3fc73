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
/// and instances. Objects are written to `incoming/`, linked into `data/`, made durable with the batch of concurrent
/// stores (their data and names: one flush, ``FileSync``) and the index transaction committed — only then does ``IncomingFile/commit()`` return, so an acknowledged object survives
/// a crash and a crashed transfer never appears.
public final class Archive: Sendable {
    /// The archive folder.
    public let directory: String
    let db: DatabasePool
    /// The instance index: SQLite in `index.sqlite` by default, or a shared one (PostgreSQL) given to ``init(directory:index:)``.
    public let index: any ArchiveIndex
    /// Batches the flushes, index inserts and audit records of concurrent stores (Archive+GroupCommit.swift).
    let committer = GroupCommitter()
    let fileSyncBox = Mutex(FileSync.fileSystem)
    /// How each batch of received files is made durable before it is indexed (default: one `syncfs(2)`; FileSync.swift).
    public var fileSync: FileSync {
        get { fileSyncBox.withLock { $0 } }
        set { fileSyncBox.withLock { $0 = newValue } }
    }
    /// Accounts, sessions, QC results, report documents and the outbox: the index's database when it has one
    /// (PostgreSQL, shared by every node), else this folder's `index.sqlite` (RecordDatabase.swift).
    let records: any RecordDatabase
    /// Whether ``records`` also holds the instance table (a join between the two is possible).
    let recordsHoldIndex: Bool
    /// Whether ``records`` holds the instance table and the audit trail: the group commit then writes a batch's index
    /// rows and audit records in one transaction (one fsync or WAL flush instead of two).
    let recordsHoldIndexAndAudit: Bool
    /// The audit trail shared by every node (PostgreSQL), or nil: this folder's `index.sqlite`.
    let sharedAudit: (any AuditStore)?
    /// Login and lock-out policy (Archive+Users.swift).
    let policyBox = Mutex(AccountPolicy())
    /// Called with each appended audit record (forwarding to an audit repository; Archive+Audit.swift).
    let auditObservers = Mutex<[@Sendable (AuditRecord) -> Void]>([])

    /// Opens (creating when needed) the archive in `directory`, then recovers from a crash: temporary files are
    /// removed, objects renamed but not yet indexed are indexed, index rows without a file are dropped.
    ///
    /// `index` replaces the SQLite instance index with another backend (PostgreSQL, shared by several nodes whose
    /// archive folders are one shared file system path), `audit` the audit trail; accounts, sessions, QC results,
    /// report documents and the outbox go to the index's ``ArchiveIndex/records`` database when it has one (PostgreSQL),
    /// else they stay in this folder's `index.sqlite`. With a shared index, recovery removes only temporary files over an hour old
    /// (another node may be writing the younger ones).
    public init(directory: String, index: (any ArchiveIndex)? = nil, audit: (any AuditStore)? = nil) throws {
        self.directory = directory
        sharedAudit = audit
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory + "/data", withIntermediateDirectories: true)
        try fm.createDirectory(atPath: directory + "/incoming", withIntermediateDirectories: true)
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        db = try DatabasePool(path: directory + "/index.sqlite", configuration: config)
        // GRDB puts a pool's writer into WAL mode with `synchronous = NORMAL` after `prepareDatabase` (a commit is then
        // synced only at checkpoints): back to FULL, so every commit is durable before its store is acknowledged.
        try db.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in try db.execute(sql: SQLiteIndex.schema) }
        Archive.registerAccountMigrations(&migrator)
        Archive.registerAuditMigrations(&migrator)
        Archive.registerQCMigration(&migrator)
        Archive.registerResultDocumentMigrations(&migrator)
        Archive.registerOutboxMigration(&migrator)
        Archive.registerQueryColumnMigration(&migrator)
        try migrator.migrate(db)
        self.index = index ?? SQLiteIndex(db: db, path: directory + "/index.sqlite")
        records = index?.records ?? SQLiteRecords(db: db, path: directory + "/index.sqlite")
        recordsHoldIndex = index == nil || index?.records != nil
        recordsHoldIndexAndAudit = (index == nil && audit == nil)
            || (index?.records != nil && audit?.auditDatabase != nil && index?.records?.location == audit?.auditDatabase?.location)
        try recover()
        try fillQueryColumns()
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

    /// Commits a complete temporary file (closed, not yet flushed): parse, link into `data/`, then — batched with
    /// concurrent stores by the ``GroupCommitter`` — one flush of the batch's files, index insert and audit record.
    func commit(_ f: IncomingFile) throws -> StoreResult { try committer.commit(try ticket(for: f), in: self) }

    /// Commits several received files together (one STOW request): they share flushes and index transactions. Each
    /// file's outcome in order, every one durable (or failed) when this returns.
    public func commit(_ files: [IncomingFile]) -> [Result<StoreResult, any Error>] {
        var tickets: [GroupCommitter.Ticket?] = []
        var outcomes: [Result<StoreResult, any Error>?] = []
        for f in files {
            do { try f.startCommit(); tickets.append(try ticket(for: f)); outcomes.append(nil) } catch {
                f.discard(); tickets.append(nil); outcomes.append(.failure(error))
            }
        }
        let queued = tickets.compactMap { $0 }
        var done = committer.commitAll(queued, in: self).makeIterator()
        return outcomes.map { $0 ?? done.next()! }
    }

    /// As ``commit(_:)``, holding no thread while the batch is made durable (parsing and linking run on a global queue).
    func commit(_ f: IncomingFile) async throws -> StoreResult {
        let ticket = try await withCheckedThrowingContinuation { (c: CheckedContinuation<GroupCommitter.Ticket, any Error>) in
            DispatchQueue.global().async { c.resume(with: Result { try self.ticket(for: f) }) }
        }
        return try await committer.commit(ticket, in: self)
    }

    /// Parses and links the received file; the ticket that the batch makes durable (or an outcome decided already).
    func ticket(for f: IncomingFile) throws -> GroupCommitter.Ticket {
        let parsed: DICOMFile
        // From the bytes kept while receiving (small objects), else from the temporary file (mapped).
        let kept = f.takeKeptBytes()
        do { parsed = try kept.map { try DICOMFile(parsing: $0, source: f.tempPath) } ?? DICOMFile.read(path: f.tempPath) } catch {
            unlink(f.tempPath)
            return decided(.rejected("cannot parse the received data set: \(error)"), f)
        }
        let ds = parsed.dataset
        guard let sopInstance = ds.string(.sopInstanceUID), sopInstance == f.sopInstanceUID else {
            unlink(f.tempPath)
            return decided(.rejected("SOP Instance UID in the data set (\(ds.string(.sopInstanceUID) ?? "none")) differs from the command's \(f.sopInstanceUID)"), f)
        }
        let header = try Archive.headerBlob(parsed)
        let size = f.bytesWritten
        let (dir, path) = finalPath(for: sopInstance)
        var row = IndexRow(sopInstanceUID: sopInstance, sopClassUID: ds.string(.sopClassUID) ?? f.sopClassUID, seriesUID: ds.string(.seriesInstanceUID) ?? "",
                           studyUID: ds.string(.studyInstanceUID) ?? "", patientID: ds.string(.patientID) ?? "", path: path,
                           transferSyntax: f.transferSyntaxUID, size: size, receivedAt: Archive.timestamp(Date()),
                           sourceAE: f.sourceAE, header: header)
        row.queryValues = QueryColumns.values(ds)
        if let result = try linkIntoData(f, row) { return decided(result, f, row: row) }
        return GroupCommitter.Ticket(row: row, file: path, folder: dir, decided: nil, audit: f.audit)
    }

    /// An outcome known before indexing; its audit record (if any) still goes through the batch.
    private func decided(_ result: StoreResult, _ f: IncomingFile, row: IndexRow? = nil) -> GroupCommitter.Ticket {
        var keyed = f.audit
        if let row { keyed?.studyUID = row.studyUID; keyed?.seriesUID = row.seriesUID; keyed?.patientID = row.patientID }
        return GroupCommitter.Ticket(row: nil, file: nil, folder: nil, decided: result, audit: keyed)
    }

    /// Links the temporary file into `data/` (creating its folder). Returns nil when linked (the batch's flush and the
    /// index row follow), or the outcome when the instance is there already.
    private func linkIntoData(_ f: IncomingFile, _ row: IndexRow) throws -> StoreResult? {
        let sopInstance = row.sopInstanceUID
        let (dir, path) = finalPath(for: sopInstance)
        do {
            if !FileManager.default.fileExists(atPath: dir) {
                guard mkdir(dir, 0o755) == 0 || errno == EEXIST else { throw ArchiveError("cannot create \(dir): \(String(cString: strerror(errno)))") }
                fsyncDirectory(directory + "/data")
            }
            // link(2), not rename(2): it fails when the file exists, so two receivers storing the same instance at
            // once (one process, or several nodes on a shared file system) never replace each other's file; the
            // index's primary key decides which row stands. This also answers duplicates without an index lookup.
            guard link(f.tempPath, path) == 0 else {
                let code = errno, m = String(cString: strerror(code)); unlink(f.tempPath)
                guard code == EEXIST else { throw ArchiveError("cannot link into \(path): \(m)") }
                // Another receiver stored this SOP Instance UID first (or a crash left it unindexed): make sure it is
                // indexed, from the file that is there, and report a duplicate.
                if let existing = try index.path(sopInstanceUID: sopInstance) { return .duplicate(path: existing) }
                if let there = try? DICOMFile.read(path: path), there.dataset.string(.sopInstanceUID) == sopInstance {
                    var r = row
                    r.header = try Archive.headerBlob(there)
                    r.size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
                    try fileSync.flush(FileSync.Batch(directory: directory, files: [path], folders: [dir]))
                    _ = try index.insert(r)
                    return .duplicate(path: path)
                }
                throw ArchiveError("\(path) exists but does not hold \(sopInstance) completely (another receiver may be writing it); not stored")
            }
            unlink(f.tempPath)
            return nil
        } catch {
            // Not acknowledged: the sender gets a failure. A file already linked stays; storing it again finds it
            // and indexes it.
            unlink(f.tempPath)
            throw error
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
        try index.rows(IndexFilter(patientIDs: patientIDs, studyUIDs: studyUIDs, seriesUIDs: seriesUIDs, sopUIDs: sopUIDs)).compactMap { r in
            guard let h = try? DICOMFile(parsing: DICOMBytes([UInt8](r.header))).dataset else { return nil }
            return Instance(sopInstanceUID: r.sopInstanceUID, studyUID: r.studyUID, seriesUID: r.seriesUID,
                            patientID: r.patientID, path: r.path, size: r.size, header: h)
        }
    }

    /// Number of indexed instances.
    public func count() throws -> Int { try index.count() }

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
        let rows = try index.files()
        r.indexed = rows.count
        var known = Set<String>()
        for (uid, path, size) in rows {
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
        let incoming = directory + "/incoming"
        for t in (try? FileManager.default.contentsOfDirectory(atPath: incoming)) ?? [] {
            if index.isShared, let m = (try? FileManager.default.attributesOfItem(atPath: incoming + "/" + t))?[.modificationDate] as? Date,
               Date().timeIntervalSince(m) < 3600 { continue }
            unlink(incoming + "/" + t)
        }
        let indexed = Set(try index.files().map { $0.path })
        for path in indexed where !FileManager.default.fileExists(atPath: path) { try index.remove(path: path) }
        // Linked into place but not indexed (crash between link and commit; never acknowledged): index now.
        for path in dataFiles() where !indexed.contains(path) {
            guard let f = try? DICOMFile.read(path: path), let uid = f.dataset.string(.sopInstanceUID), let header = try? Archive.headerBlob(f) else {
                unlink(path); continue
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            _ = try index.insert(IndexRow(sopInstanceUID: uid, sopClassUID: f.sopClassUID ?? "", seriesUID: f.dataset.string(.seriesInstanceUID) ?? "",
                                          studyUID: f.dataset.string(.studyInstanceUID) ?? "", patientID: f.dataset.string(.patientID) ?? "",
                                          path: path, transferSyntax: f.transferSyntax.uid, size: size,
                                          receivedAt: Archive.timestamp(Date()), sourceAE: nil, header: header))
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
    /// The audit record of this store (the network layer's; its outcome, detail and keys are filled in when the
    /// store is committed, in the same batch as the index row). Nil: not audited.
    public var audit: AuditRecord?
    /// Bytes of the data set received so far.
    public private(set) var received = 0
    /// Bytes written to the temporary file so far (Part 10 header and data set): the file's size.
    private(set) var bytesWritten = 0
    /// A copy of the bytes written, kept while they fit in ``keepLimit``, so that the commit parses the data set from
    /// memory instead of reading the temporary file back; nil once the object outgrows the limit.
    private var kept: [UInt8]? = []
    /// Objects up to this size are parsed from the bytes kept while receiving (most C-STORE and STOW objects of nuclear
    /// medicine; larger ones are mapped from the temporary file).
    static let keepLimit = 4 << 20

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
        keep(bytes)
        bytesWritten += bytes.count
        if count { received += bytes.count }
    }

    /// Appends to the in-memory copy while the object fits in ``keepLimit``.
    private func keep(_ bytes: UnsafeRawBufferPointer) {
        guard kept != nil else { return }
        guard bytesWritten + bytes.count <= Self.keepLimit else { kept = nil; return }
        kept!.append(contentsOf: bytes)
    }

    /// The bytes kept in memory (the whole file) as a storage to parse, handed over once; nil when the object was too
    /// large to keep.
    func takeKeptBytes() -> DICOMBytes? {
        defer { kept = nil }
        return kept.map { DICOMBytes($0) }
    }

    /// Links into the archive, then flushes (with the batch of concurrent stores) and indexes. Returns only when the
    /// object is durable: its data, its name in `data/`, its index row and its audit record.
    public func commit() throws -> StoreResult {
        try startCommit()
        return try archive.commit(self)
    }

    /// As ``commit()``, suspending instead of blocking a thread while the batch is made durable (the DICOM receivers).
    public func commitDurably() async throws -> StoreResult {
        try startCommit()
        return try await archive.commit(self)
    }

    /// Closes the file once every byte is written (a request holding many objects closes each before committing them
    /// together); commit closes it otherwise.
    public func endWriting() throws {
        guard fd >= 0 else { return }
        let ok = Foundation.close(fd) == 0
        fd = -1
        guard ok else { unlink(tempPath); throw ArchiveError("\(tempPath): write failed at close: \(String(cString: strerror(errno)))") }
    }

    private var committing = false
    func startCommit() throws {
        guard !committing else { throw ArchiveError("\(sopInstanceUID): commit twice") }
        committing = true
        try endWriting()
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
