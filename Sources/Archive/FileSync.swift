import Foundation

#if os(Linux)
@_silgen_name("syncfs") private func c_syncfs(_ fd: Int32) -> Int32
#endif

/// How a batch of received files is made durable before its index rows are committed (``GroupCommitter``): the data
/// of every file and its name in `data/` (the folder entry). Called once per batch by the committer.
///
/// - ``fileSystem`` (the default on Linux): ONE `syncfs(2)` of the file system that holds the archive folder. It
///   writes back every dirty page and inode of that file system and waits for the journal commit and the disk cache
///   flush, so a batch of N stores costs one flush instead of N file fsyncs plus their folder fsyncs. Its cost grows
///   with whatever else is dirty on the same file system: give the archive its own file system (a shared NFS-style
///   mount usually is one).
/// - ``perFile``: `fsync(2)` of every file and every folder of the batch, issued concurrently (the journal merges
///   concurrent fsyncs): for an archive on a file system busy with other writers.
/// - ``init(name:_:)``: a custom flush (tests inject one to check that nothing is acknowledged before it returns).
public struct FileSync: Sendable {
    /// The files and folders of one batch.
    public struct Batch: Sendable {
        /// The archive folder.
        public var directory: String
        /// Files linked into `data/` by the batch.
        public var files: [String]
        /// Their folders.
        public var folders: [String]
    }

    /// Name for messages and benchmarks (`syncfs`, `fsync`).
    public let name: String
    let body: @Sendable (Batch) throws -> Void

    /// A flush given as a function; it throws when the batch is not durable.
    public init(name: String, _ body: @escaping @Sendable (Batch) throws -> Void) { self.name = name; self.body = body }

    /// Makes the batch durable (or throws: its stores are then not acknowledged).
    public func flush(_ batch: Batch) throws { try body(batch) }

    /// One `syncfs(2)` of the archive's file system per batch (Linux; elsewhere ``perFile``).
    public static let fileSystem: FileSync = {
        #if os(Linux)
        return FileSync(name: "syncfs") { b in
            let fd = open(b.directory + "/data", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw ArchiveError("cannot open \(b.directory)/data to flush it: \(String(cString: strerror(errno)))") }
            defer { close(fd) }
            guard c_syncfs(fd) == 0 else {
                throw ArchiveError("syncfs of \(b.directory) failed (\(b.files.count) received file(s) not durable): \(String(cString: strerror(errno)))")
            }
        }
        #else
        return perFile
        #endif
    }()

    /// `fsync(2)` of every file and folder of the batch, concurrently.
    public static let perFile = FileSync(name: "fsync") { b in
        let paths = b.files + b.folders
        let failures = FailureList()
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            let fd = open(paths[i], O_RDONLY | O_CLOEXEC)
            if fd < 0 || fsync(fd) != 0 { failures.add("\(paths[i]): \(String(cString: strerror(errno)))") }
            if fd >= 0 { close(fd) }
        }
        if let first = failures.first { throw ArchiveError("fsync failed (\(b.files.count) received file(s) not durable): \(first)") }
    }

    /// The flush named `syncfs` or `fsync` (command-line options).
    public static func named(_ name: String) -> FileSync? {
        switch name { case "syncfs": fileSystem; case "fsync": perFile; default: nil }
    }

    private final class FailureList: @unchecked Sendable {
        private var items: [String] = []
        private let lock = NSLock()
        func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
        var first: String? { lock.lock(); defer { lock.unlock() }; return items.first }
    }
}
