import Foundation
import PixelCodecs

/// A DICOM file: preamble, File Meta Information (group 0002) and the data set, with its transfer syntax.
public struct DICOMFile: Sendable {
    /// The 128-byte preamble, when present.
    public var preamble: DICOMBytes?
    /// File Meta Information (group 0002), empty for bare data sets.
    public var meta: Dataset
    /// The data set.
    public var dataset: Dataset
    /// Transfer syntax of the data set (from the meta header, or sniffed for bare data sets).
    public var transferSyntax: TransferSyntax
    /// Where it was read from.
    public var source: String?
    /// Things tolerated while reading (each names the byte offset).
    public var warnings: [String] = []

    /// Creates a file from parts (for writing).
    public init(meta: Dataset = Dataset(), dataset: Dataset, transferSyntax: TransferSyntax, source: String? = nil) {
        self.meta = meta; self.dataset = dataset; self.transferSyntax = transferSyntax; self.source = source
    }

    /// Reads a file, memory-mapping it (values are zero-copy slices of the mapping).
    public static func read(path: String, options: ReadOptions = ReadOptions()) throws(DICOMError) -> DICOMFile {
        let storage = try ByteStorage(mappingFile: path)
        return try DICOMFile(parsing: DICOMBytes(storage: storage), source: path, options: options)
    }

    /// Parses a Part 10 file or a bare data set (transfer syntax sniffed like pydicom does).
    public init(parsing input: DICOMBytes, source: String? = nil, options: ReadOptions = ReadOptions()) throws(DICOMError) {
        self.source = source
        let storage = input.storage
        let start = input.offset, end = input.offset + input.count
        let magic: [UInt8] = [0x44, 0x49, 0x43, 0x4D]
        func hasMagic(at o: Int) -> Bool {
            o + 4 <= end && (0..<4).allSatisfy { storage.base.load(fromByteOffset: o + $0, as: UInt8.self) == magic[$0] }
        }
        var pos = start
        if input.count >= 132 && hasMagic(at: start + 128) {
            preamble = DICOMBytes(storage: storage, offset: start, count: 128)
            pos = start + 132
        } else if hasMagic(at: start) {
            pos = start + 4
        }
        // File meta group: explicit VR little endian, read while the group is 0002.
        var meta = Dataset()
        var warnings: [String] = []
        if end - pos >= 8, storage.base.loadUnaligned(fromByteOffset: pos, as: UInt16.self) == 0x0002 {
            let b4 = storage.base.load(fromByteOffset: pos + 4, as: UInt8.self), b5 = storage.base.load(fromByteOffset: pos + 5, as: UInt8.self)
            let metaExplicit = VR(byte0: b4, byte1: b5) != nil
            if !metaExplicit { warnings.append("file meta information is implicit VR (non-conformant), read anyway") }
            var p = Parser(storage: storage, start: pos, end: end, file: source, explicit: metaExplicit, bigEndian: false, limits: options.limits)
            meta = try p.parseDataset(limit: end, undefinedItem: false, depth: 0, charset: .default, parent: nil, onlyGroup: 0x0002)
            warnings += p.warnings
            pos = p.pos
        }
        self.meta = meta
        // Transfer syntax: from the meta header, else sniffed.
        var ts: TransferSyntax
        if let uid = meta.string(.transferSyntaxUID) {
            ts = TransferSyntax(uid: uid)
        } else {
            ts = DICOMFile.sniff(storage: storage, at: pos, end: end)
            if !meta.isEmpty { warnings.append("no Transfer Syntax UID in the meta header; sniffed \(ts.name)") }
        }
        var dataStorage = storage, dataStart = pos, dataEnd = end
        if ts.isDeflated {
            let compressed = UnsafeRawBufferPointer(start: storage.base + pos, count: end - pos)
            do {
                let inflated = try Deflate.inflate(compressed, maxOutput: options.limits.maxInflatedBytes)
                dataStorage = ByteStorage(copying: inflated); dataStart = 0; dataEnd = inflated.count
            } catch {
                throw DICOMError(.malformed, file: source, offset: pos, "cannot inflate deflated data set: \(error)")
            }
        } else if !ts.isExplicitVR || dataEnd - dataStart < 6 {
            // keep
        } else {
            // Meta says explicit, data may really be implicit (a common writer bug): check the first element.
            let b4 = storage.base.load(fromByteOffset: pos + 4, as: UInt8.self), b5 = storage.base.load(fromByteOffset: pos + 5, as: UInt8.self)
            if VR(byte0: b4, byte1: b5) == nil, !(b4 == 0 && b5 == 0) {
                let sniffed = DICOMFile.sniff(storage: storage, at: pos, end: end)
                if !sniffed.isExplicitVR {
                    warnings.append("transfer syntax says explicit VR but the data set is implicit VR; read as implicit")
                    ts = TransferSyntax(uid: TransferSyntax.implicitVRLittleEndian.uid)
                }
            }
        }
        var p = Parser(storage: dataStorage, start: dataStart, end: dataEnd, file: source, explicit: ts.isExplicitVR,
                       bigEndian: ts.isBigEndian, limits: options.limits)
        p.stopBeforePixels = options.stopBeforePixels
        let ds = try p.parseDataset(limit: dataEnd, undefinedItem: false, depth: 0, charset: .default, parent: nil)
        warnings += p.warnings
        if !ds.characterSet.unknownTerms.isEmpty {
            warnings.append("unknown Specific Character Set term(s) \(ds.characterSet.unknownTerms); text decoded as ISO 8859-1")
        }
        self.dataset = ds
        self.transferSyntax = ts
        self.warnings = warnings
    }

    /// Guesses the transfer syntax of a bare data set from its first element: explicit when bytes 4–5 are a VR,
    /// big endian when the group number reads smaller that way.
    static func sniff(storage: ByteStorage, at pos: Int, end: Int) -> TransferSyntax {
        guard end - pos >= 8 else { return .implicitVRLittleEndian }
        let raw = storage.base.loadUnaligned(fromByteOffset: pos, as: UInt16.self)
        let le = UInt16(littleEndian: raw), be = UInt16(bigEndian: raw)
        let b4 = storage.base.load(fromByteOffset: pos + 4, as: UInt8.self), b5 = storage.base.load(fromByteOffset: pos + 5, as: UInt8.self)
        let explicit = VR(byte0: b4, byte1: b5) != nil
        let bigEndian = be < le
        switch (explicit, bigEndian) {
        case (true, true): return .explicitVRBigEndian
        case (true, false): return .explicitVRLittleEndian
        case (false, _): return .implicitVRLittleEndian
        }
    }

    /// SOP Class UID (meta header, else data set).
    public var sopClassUID: String? { dataset.string(.sopClassUID) ?? meta.string(.mediaStorageSOPClassUID) }
}
