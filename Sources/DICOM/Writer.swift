import Foundation
import PixelCodecs

/// How strictly values are checked when writing.
public enum ValidationMode: Sendable {
    /// Problems are reported as warnings and the value is written as it is (for round-tripping vendor files).
    case lenient
    /// The first problem is an error (for objects Scinti creates).
    case strict
}

/// Options for writing a Part 10 file.
public struct WriteOptions: Sendable {
    /// Target transfer syntax (nil keeps the file's own).
    public var transferSyntax: TransferSyntax?
    /// VR/VM validation.
    public var validation: ValidationMode
    /// Creates options.
    public init(transferSyntax: TransferSyntax? = nil, validation: ValidationMode = .lenient) {
        self.transferSyntax = transferSyntax; self.validation = validation
    }
}

/// Writes Part 10 files: explicit and implicit VR little endian, deflated explicit VR little endian, explicit big
/// endian, and RLE Lossless for pixel data; keeps encapsulated pixel data as it is when the syntax is unchanged.
public enum DICOMWriter {
    /// Transfer syntaxes this writer can produce from any readable input.
    public static let writableSyntaxes: [TransferSyntax] = [.explicitVRLittleEndian, .implicitVRLittleEndian,
                                                            .deflatedExplicitVRLittleEndian, .explicitVRBigEndian, .rleLossless]

    /// Encodes a file to bytes. Returns the bytes and the validation warnings.
    public static func encode(_ file: DICOMFile, options: WriteOptions = WriteOptions()) throws(DICOMError) -> (bytes: [UInt8], warnings: [String]) {
        let target = options.transferSyntax ?? file.transferSyntax
        var warnings: [String] = []
        var ds = try transcodePixels(file, to: target, warnings: &warnings)
        if !target.isExplicitVR {
            try checkImplicitRepresentable(ds, source: file.source, warnings: &warnings)
            ds = widenPrivateIntegersForImplicitVR(ds, warnings: &warnings)
        }
        let issues = Validator.validate(ds)
        if options.validation == .strict, let first = issues.first {
            throw DICOMError(.invalidValue, file: file.source, tag: first.tag, first.message)
        }
        warnings += issues.map { "\($0.tag) \(DataDictionary.keyword(for: $0.tag) ?? ""): \($0.message)" }
        // File meta information, rebuilt around the original's optional elements.
        var meta = Dataset()
        meta.set(Element(tag: .fileMetaInformationVersion, vr: .OB, bytes: [0, 1]))
        let sopClass = ds.string(.sopClassUID) ?? file.meta.string(.mediaStorageSOPClassUID)
        let sopInstance = ds.string(.sopInstanceUID) ?? file.meta.string(.mediaStorageSOPInstanceUID)
        guard let sopClass, let sopInstance else {
            throw DICOMError(.missingAttribute, file: file.source, tag: .sopClassUID, "SOP Class and SOP Instance UID are needed for a Part 10 file")
        }
        meta.set(.mediaStorageSOPClassUID, .UI, sopClass)
        meta.set(.mediaStorageSOPInstanceUID, .UI, sopInstance)
        meta.set(.transferSyntaxUID, .UI, target.uid)
        meta.set(.implementationClassUID, .UI, UIDGenerator.implementationClassUID)
        meta.set(.implementationVersionName, .SH, UIDGenerator.implementationVersionName)
        for e in file.meta where e.tag.element >= 0x0016 && e.tag.group == 0x0002 { meta.set(e) }
        ds.removeAll { $0.tag.group == 0x0002 }

        var out: [UInt8] = []
        out.reserveCapacity((file.dataset[.pixelData]?.valueLength ?? 0) + 65536)
        out.append(contentsOf: file.preamble?.array ?? [UInt8](repeating: 0, count: 128))
        out.append(contentsOf: Array("DICM".utf8))
        var metaBody = Encoder(explicit: true, bigEndian: false)
        metaBody.encode(meta)
        var groupLength = Encoder(explicit: true, bigEndian: false)
        groupLength.encode(Element(tag: .fileMetaInformationGroupLength, vr: .UL, bytes: le32(UInt32(metaBody.out.count))))
        out += groupLength.out
        out += metaBody.out
        var body = Encoder(explicit: target.isExplicitVR, bigEndian: target.isBigEndian)
        if let bits = ds.int(.bitsAllocated), bits >= 16 { body.pixelSampleWidth = bits / 8 }
        body.encode(ds)
        if target.isDeflated {
            do {
                out += try body.out.withUnsafeBytes { (r: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] in try Deflate.deflate(r) }
            } catch { throw DICOMError(.codec, file: file.source, "deflate failed: \(error)") }
            if out.count % 2 == 1 { out.append(0) }
        } else {
            out += body.out
        }
        return (out, warnings)
    }

    /// Writes a file atomically: a temporary file in the same folder, fsynced, then renamed into place.
    @discardableResult
    public static func write(_ file: DICOMFile, to path: String, options: WriteOptions = WriteOptions()) throws(DICOMError) -> [String] {
        let (bytes, warnings) = try encode(file, options: options)
        try AtomicFile.write(bytes, to: path)
        return warnings
    }

    /// Implicit VR drops the VR: a reader takes it from the dictionary. Refuse what it could not recover (a "US or SS"
    /// element with no Pixel Representation to choose by) and warn where the explicit VR contradicts the dictionary.
    static func checkImplicitRepresentable(_ ds: Dataset, source: String?, warnings: inout [String]) throws(DICOMError) {
        var problem: DICOMError? = nil
        func visit(_ d: Dataset, pixelRepresentation: Int?) {
            let pr = d.int(.pixelRepresentation) ?? pixelRepresentation
            for e in d where problem == nil {
                if let items = e.items { for item in items { visit(item, pixelRepresentation: pr) }; continue }
                guard !e.tag.isPrivate, let entry = DataDictionary.entry(for: e.tag) else { continue }
                if Set(entry.vrs) == [.US, .SS] && pr == nil && !e.isEmpty {
                    problem = DICOMError(.unsupported, file: source, tag: e.tag,
                                         "cannot write implicit VR: \(entry.keyword) is US or SS and no Pixel Representation tells a reader which; use explicit VR")
                } else if !entry.vrs.contains(e.vr) && e.vr != .UN {
                    warnings.append("\(e.tag) \(entry.keyword): explicit VR \(e.vr) is not the dictionary's \(entry.vrs.map(\.rawValue).joined(separator: "/")); implicit VR readers will use the dictionary's")
                }
            }
        }
        visit(ds, pixelRepresentation: nil)
        if let problem { throw problem }
    }

    /// Implicit VR readers take a private element's VR from their private dictionary. Where a vendor wrote a
    /// narrower integer than that dictionary names (GE PET writes (0009,xx9D) "radial_filter_3d" as SS, the
    /// dictionaries of DCMTK, pydicom and Scinti say SL), the 2-byte value would be read as a truncated 4-byte one.
    /// Such elements are widened to the dictionary's integer VR, value for value (lossless), and a warning says so.
    static func widenPrivateIntegersForImplicitVR(_ ds: Dataset, warnings: inout [String]) -> Dataset {
        let width: [VR: Int] = [.US: 2, .SS: 2, .UL: 4, .SL: 4, .UV: 8, .SV: 8]
        func range(_ vr: VR) -> ClosedRange<Int64> {
            switch vr {
            case .US: return 0...Int64(UInt16.max)
            case .SS: return Int64(Int16.min)...Int64(Int16.max)
            case .UL: return 0...Int64(UInt32.max)
            case .SL: return Int64(Int32.min)...Int64(Int32.max)
            case .UV: return 0...Int64.max
            default: return Int64.min...Int64.max
            }
        }
        func visit(_ d: Dataset) -> Dataset {
            var out = d
            for e in d {
                if let items = e.items {
                    var copy = e
                    copy.value = .sequence(items.map(visit))
                    out.set(copy)
                    continue
                }
                guard e.tag.isPrivate, !e.tag.isPrivateCreator, let w = width[e.vr], let creator = d.privateCreator(for: e.tag),
                      let dictVR = DataDictionary.privateVR(for: e.tag, creator: creator), dictVR != e.vr,
                      let dw = width[dictVR], dw > w, let values = e.integers, values.allSatisfy({ range(dictVR).contains($0) })
                else { continue }
                var bytes: [UInt8] = []
                for v in values {
                    switch dictVR {
                    case .UL: bytes += withUnsafeBytes(of: UInt32(v).littleEndian) { Array($0) }
                    case .SL: bytes += withUnsafeBytes(of: Int32(v).littleEndian) { Array($0) }
                    case .UV: bytes += withUnsafeBytes(of: UInt64(v).littleEndian) { Array($0) }
                    default: bytes += withUnsafeBytes(of: v.littleEndian) { Array($0) }
                    }
                }
                var widened = Element(tag: e.tag, vr: dictVR, bytes: bytes)
                widened.isBigEndian = false
                out.set(widened)
                warnings.append("\(e.tag) (\(creator)): \(e.vr) widened to \(dictVR), the VR implicit VR readers take from the private dictionary (values kept)")
            }
            return out
        }
        return visit(ds)
    }

    static func le32(_ v: UInt32) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

    // MARK: Pixel transcoding

    static func transcodePixels(_ file: DICOMFile, to target: TransferSyntax, warnings: inout [String]) throws(DICOMError) -> Dataset {
        var ds = file.dataset
        let source = file.transferSyntax
        guard let pix = ds[.pixelData] else { return ds }
        let sameEncoding = source.pixelEncoding == target.pixelEncoding
        if sameEncoding && (pix.fragments != nil) == target.isEncapsulated { return ds }
        if pix.fragments == nil && !target.isEncapsulated { return ds } // native → native: only byte order changes
        guard target.pixelEncoding == .native || target.pixelEncoding == .rle else {
            throw DICOMError(.unsupportedTransferSyntax, file: file.source, tag: .pixelData, "writing pixel data as \(target.name) is not supported")
        }
        // A header without pixels (Pixel Data present but empty, as some exporters write): nothing to transcode; the
        // element keeps its emptiness in the target's form (an encapsulated sequence with an empty offset table, or
        // an empty native value).
        if pix.isEmpty {
            var empty = pix
            if target.isEncapsulated {
                empty.vr = .OB
                empty.value = .fragments(Fragments(fragments: []))
            } else {
                empty.value = .bytes(.empty)
            }
            ds.set(empty)
            warnings.append("Pixel Data is empty (a header without pixels): written empty in \(target.name)")
            return ds
        }
        let f = try PixelFormat(ds, source: file.source)
        let decoded = try PixelData.decode(file)
        let frameBytes = f.samplesPerFrame * decoded.type.width
        if target.pixelEncoding == .native {
            var bytes: [UInt8]
            if f.bitsAllocated == 1 {
                bytes = [UInt8](repeating: 0, count: (decoded.count + 7) / 8)
                for (k, v) in decoded.data.enumerated() where v != 0 { bytes[k >> 3] |= 1 << UInt8(k & 7) }
            } else {
                bytes = decoded.data
            }
            if bytes.count % 2 == 1 { bytes.append(0) }
            ds.set(Element(tag: .pixelData, vr: f.bitsAllocated > 8 ? .OW : .OB, bytes: bytes))
            if source.pixelEncoding == .jpeg || source.pixelEncoding == .jpeg2000, f.samplesPerPixel == 3,
               ["YBR_FULL_422", "YBR_FULL", "YBR_ICT", "YBR_RCT"].contains(f.photometricInterpretation) {
                ds.set(.photometricInterpretation, .CS, "RGB")
                warnings.append("Photometric Interpretation \(f.photometricInterpretation) written as RGB (the codec converted the colours)")
            }
            if f.samplesPerPixel > 1 { ds.set(.planarConfiguration, .US, numbers: [0]) }
        } else {
            guard f.bitsAllocated % 8 == 0 else {
                throw DICOMError(.unsupported, file: file.source, tag: .bitsAllocated, "RLE needs Bits Allocated of 8, 16, 32 or 64")
            }
            var frags: [DICOMBytes] = []
            var offsets: [UInt8] = []
            var acc: UInt32 = 0
            for i in 0..<decoded.frames {
                let enc: [UInt8]
                do {
                    enc = try decoded.data[(i * frameBytes)..<((i + 1) * frameBytes)].withUnsafeBytes { (r: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] in
                        try RLECodec.encode(r, rows: f.rows, columns: f.columns, samplesPerPixel: f.samplesPerPixel, bitsAllocated: f.bitsAllocated)
                    }
                } catch { throw DICOMError(.codec, file: file.source, tag: .pixelData, "RLE encode of frame \(i): \(error)") }
                offsets += le32(acc)
                acc += UInt32(enc.count + 8)
                frags.append(DICOMBytes(enc))
            }
            ds.set(Element(tag: .pixelData, vr: .OB, value: .fragments(Fragments(basicOffsetTable: DICOMBytes(offsets), fragments: frags))))
            if f.samplesPerPixel > 1 { ds.set(.planarConfiguration, .US, numbers: [0]) }
        }
        ds.remove(.extendedOffsetTable); ds.remove(.extendedOffsetTableLengths)
        if source.pixelEncoding == .jpeg || (source.pixelEncoding == .jpeg2000 && source.uid.hasSuffix(".91")) || source.uid.hasSuffix(".81") {
            if ds.string(Tag(0x0028, 0x2110)) != "01" {
                ds.set(Tag(0x0028, 0x2110), .CS, "01")
                warnings.append("source was lossy compressed: Lossy Image Compression set to 01")
            }
        }
        return ds
    }
}

/// Serialises data sets in one transfer syntax (sequences and items of undefined length).
struct Encoder {
    let explicit: Bool
    let bigEndian: Bool
    var out: [UInt8] = []
    /// Bytes per pixel sample (Bits Allocated / 8) for swapping native (7FE0,0010) between byte orders: 32-bit
    /// samples in OW are swapped as 32-bit values, as pydicom and DCMTK read them.
    var pixelSampleWidth: Int? = nil

    init(explicit: Bool, bigEndian: Bool) { self.explicit = explicit; self.bigEndian = bigEndian }

    mutating func u16(_ v: UInt16) { let x = bigEndian ? v.bigEndian : v.littleEndian; withUnsafeBytes(of: x) { out.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { let x = bigEndian ? v.bigEndian : v.littleEndian; withUnsafeBytes(of: x) { out.append(contentsOf: $0) } }
    mutating func tag(_ t: Tag) { u16(t.group); u16(t.element) }

    mutating func header(_ t: Tag, _ vr: VR, _ length: UInt32) {
        tag(t)
        if explicit {
            let (a, b) = vr.bytes
            out.append(a); out.append(b)
            if vr.hasLongLength { out.append(0); out.append(0); u32(length) } else { u16(UInt16(length)) }
        } else {
            u32(length)
        }
    }

    /// Encodes a data set; group length elements (other than group 0002) are recomputed.
    mutating func encode(_ ds: Dataset) {
        var i = 0
        let els = ds.elements
        while i < els.count {
            let e = els[i]
            if e.tag.isGroupLength && e.tag.group != 0x0002 {
                var sub = Encoder(explicit: explicit, bigEndian: bigEndian)
                var j = i + 1
                while j < els.count && els[j].tag.group == e.tag.group { sub.encode(els[j]); j += 1 }
                header(e.tag, .UL, 4); u32(UInt32(sub.out.count))
                out += sub.out
                i = j
                continue
            }
            encode(e)
            i += 1
        }
    }

    mutating func encode(_ e: Element) {
        switch e.value {
        case .sequence(let items):
            header(e.tag, .SQ, 0xFFFF_FFFF)
            for item in items {
                tag(.item); u32(0xFFFF_FFFF)
                encode(item)
                tag(.itemDelimitation); u32(0)
            }
            tag(.sequenceDelimitation); u32(0)
        case .fragments(let f):
            header(e.tag, .OB, 0xFFFF_FFFF)
            tag(.item); u32(UInt32(f.basicOffsetTable.count)); f.basicOffsetTable.withUnsafeBytes { out.append(contentsOf: $0) }
            for frag in f.fragments {
                let n = frag.count
                tag(.item); u32(UInt32(n + n % 2)); frag.withUnsafeBytes { out.append(contentsOf: $0) }
                if n % 2 == 1 { out.append(0) }
            }
            tag(.sequenceDelimitation); u32(0)
        case .bytes(let b):
            var vr = e.vr
            let padded = b.count + b.count % 2
            // A value too long for a 16-bit length must be written as UN in explicit VR (PS3.5 §6.2.2).
            if explicit && !vr.hasLongLength && padded > 0xFFFF { vr = .UN }
            header(e.tag, vr, UInt32(padded))
            let start = out.count
            b.withUnsafeBytes { out.append(contentsOf: $0) }
            let width = e.tag == .pixelData && e.vr == .OW ? (pixelSampleWidth ?? 2) : e.vr.binaryWidth
            if e.isBigEndian != bigEndian, let w = width, w > 1 {
                out.withUnsafeMutableBytes { p in
                    var k = start
                    while k + w <= start + b.count {
                        var lo = k, hi = k + w - 1
                        while lo < hi { p.swapAt(lo, hi); lo += 1; hi -= 1 }
                        k += w
                    }
                }
            }
            if b.count % 2 == 1 { out.append(e.vr.paddingByte) }
        }
    }
}

/// Writes files atomically and durably.
public enum AtomicFile {
    /// Writes `bytes` to a temporary file beside `path`, fsyncs it, renames it into place and fsyncs the folder.
    public static func write(_ bytes: [UInt8], to path: String) throws(DICOMError) {
        let dir = (path as NSString).deletingLastPathComponent
        let tmp = (dir.isEmpty ? "." : dir) + "/.\((path as NSString).lastPathComponent).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw DICOMError(.io, file: path, "cannot create \(tmp): \(String(cString: strerror(errno)))") }
        var written = 0
        let ok: Bool = bytes.withUnsafeBytes { raw in
            while written < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + written, raw.count - written)
                if n <= 0 { if errno == EINTR { continue }; return false }
                written += n
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            let msg = String(cString: strerror(errno))
            unlink(tmp)
            throw DICOMError(.io, file: path, "cannot write: \(msg)")
        }
        let dfd = open(dir.isEmpty ? "." : dir, O_RDONLY)
        if dfd >= 0 { fsync(dfd); close(dfd) }
    }
}
