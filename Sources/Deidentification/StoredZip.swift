import CZlib

/// A zip archive of stored (uncompressed) entries, built in memory (PKWARE APPNOTE 6.3: local headers, central
/// directory, end record; no ZIP64, so at most 4 GiB and 65 535 entries). Every entry has the same fixed time stamp
/// (1980-01-01 00:00), so the same files give the same bytes. DICOM pixel data is mostly compressed or incompressible
/// enough that storing keeps export fast.
public struct StoredZip: Sendable {
    var body: [UInt8] = []
    var central: [UInt8] = []
    var count = 0

    /// An empty archive.
    public init() {}

    /// Adds a file at `path` (forward slashes).
    public mutating func add(path: String, bytes: [UInt8]) throws(DeidentificationError) {
        let name = Array(path.utf8)
        guard body.count + bytes.count + name.count + 30 < Int(UInt32.max), count < 65_535 else {
            throw DeidentificationError(.invalidRequest, "the export is larger than a zip without ZIP64 holds (4 GiB, 65 535 files); export to a folder")
        }
        let crc = bytes.withUnsafeBufferPointer { UInt32(crc32(0, $0.baseAddress, uInt($0.count))) }
        let offset = UInt32(body.count)
        func le16(_ v: Int, _ out: inout [UInt8]) { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: UInt32, _ out: inout [UInt8]) { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24)] }
        // Local file header.
        le32(0x0403_4B50, &body); le16(20, &body); le16(0x0800, &body); le16(0, &body); le16(0, &body); le16(0x21, &body)
        le32(crc, &body); le32(UInt32(bytes.count), &body); le32(UInt32(bytes.count), &body); le16(name.count, &body); le16(0, &body)
        body += name; body += bytes
        // Central directory entry.
        le32(0x0201_4B50, &central); le16(20, &central); le16(20, &central); le16(0x0800, &central); le16(0, &central)
        le16(0, &central); le16(0x21, &central); le32(crc, &central); le32(UInt32(bytes.count), &central)
        le32(UInt32(bytes.count), &central); le16(name.count, &central); le16(0, &central); le16(0, &central); le16(0, &central)
        le16(0, &central); le32(0, &central); le32(offset, &central)
        central += name
        count += 1
    }

    /// The archive's bytes.
    public var bytes: [UInt8] {
        var out = body + central
        func le16(_ v: Int) { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF)] }
        func le32(_ v: Int) { out += [UInt8(v & 0xFF), UInt8(v >> 8 & 0xFF), UInt8(v >> 16 & 0xFF), UInt8(v >> 24 & 0xFF)] }
        le32(0x0605_4B50); le16(0); le16(0); le16(count); le16(count); le32(central.count); le32(body.count); le16(0)
        return out
    }
}
