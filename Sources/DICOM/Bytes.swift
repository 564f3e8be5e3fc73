#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Owner of a contiguous, immutable block of bytes: a memory-mapped file or an in-memory array.
///
/// Parsed values are ``DICOMBytes`` slices of one storage, so reading a 12 MB multi-frame file maps it once and
/// copies nothing to parse its header.
public final class ByteStorage: @unchecked Sendable {
    /// Start of the bytes (valid for the storage's lifetime).
    public let base: UnsafeRawPointer
    /// Number of bytes.
    public let count: Int
    private let mapped: Bool
    private let owned: UnsafeMutableRawPointer?

    /// Maps a file read-only into memory (`mmap`). Empty files get a zero-length in-memory storage.
    public init(mappingFile path: String) throws(DICOMError) {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw DICOMError(.io, file: path, "cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw DICOMError(.io, file: path, "cannot stat: \(String(cString: strerror(errno)))") }
        if (st.st_mode & S_IFMT) == S_IFDIR { throw DICOMError(.io, file: path, "is a directory") }
        let size = Int(st.st_size)
        if size == 0 {
            owned = UnsafeMutableRawPointer.allocate(byteCount: 1, alignment: 16)
            base = UnsafeRawPointer(owned!); count = 0; mapped = false
            return
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw DICOMError(.io, file: path, "cannot map: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p); count = size; mapped = true; owned = nil
    }

    /// Copies bytes into a new storage.
    public init<C: Collection>(copying bytes: C) where C.Element == UInt8 {
        let n = bytes.count
        let p = UnsafeMutableRawPointer.allocate(byteCount: max(n, 1), alignment: 16)
        let b = UnsafeMutableRawBufferPointer(start: p, count: n)
        _ = b.initializeMemory(as: UInt8.self, from: bytes)
        owned = p; base = UnsafeRawPointer(p); count = n; mapped = false
    }

    deinit {
        if mapped { munmap(UnsafeMutableRawPointer(mutating: base), count) } else { owned?.deallocate() }
    }
}

/// A zero-copy slice of a ``ByteStorage``: the raw value of an element, a fragment, or a whole file.
public struct DICOMBytes: Sendable, Equatable, CustomStringConvertible {
    /// The storage kept alive by this slice.
    public let storage: ByteStorage
    /// Offset of the first byte within the storage.
    public let offset: Int
    /// Number of bytes.
    public let count: Int

    /// A slice of `storage`; the range must lie inside it.
    public init(storage: ByteStorage, offset: Int = 0, count: Int? = nil) {
        let n = count ?? (storage.count - offset)
        precondition(offset >= 0 && n >= 0 && offset + n <= storage.count, "DICOMBytes slice out of range")
        self.storage = storage; self.offset = offset; self.count = n
    }

    /// Copies an array into a fresh storage.
    public init(_ bytes: [UInt8]) { self.init(storage: ByteStorage(copying: bytes)) }

    /// Empty bytes.
    public static let empty = DICOMBytes([])

    /// Whether there are no bytes.
    public var isEmpty: Bool { count == 0 }

    /// Calls `body` with a raw buffer over the bytes (no copy).
    @inlinable
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: storage.base + offset, count: count))
    }

    /// A sub-slice, relative to this slice.
    public func slice(_ start: Int, _ length: Int) -> DICOMBytes {
        precondition(start >= 0 && length >= 0 && start + length <= count)
        return DICOMBytes(storage: storage, offset: offset + start, count: length)
    }

    /// The bytes as a new array (copies).
    public var array: [UInt8] { withUnsafeBytes { Array($0) } }

    /// Byte at `index` (relative to the slice).
    public subscript(index: Int) -> UInt8 { withUnsafeBytes { $0[index] } }

    public static func == (a: DICOMBytes, b: DICOMBytes) -> Bool {
        a.count == b.count && a.withUnsafeBytes { x in b.withUnsafeBytes { y in x.elementsEqual(y) } }
    }

    public var description: String { "\(count) bytes" }
}
