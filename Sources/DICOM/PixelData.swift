import Foundation
import PixelCodecs

/// Sample types of decoded pixel arrays (NumPy dtype names in ``numpyDescr``).
public enum SampleType: String, Sendable, Equatable {
    case uint8, int8, uint16, int16, uint32, int32, uint64, int64, float32, float64
    /// Bytes per sample.
    public var width: Int {
        switch self {
        case .uint8, .int8: 1
        case .uint16, .int16: 2
        case .uint32, .int32, .float32: 4
        case .uint64, .int64, .float64: 8
        }
    }
    /// Whether values are signed integers.
    public var isSignedInteger: Bool { self == .int8 || self == .int16 || self == .int32 || self == .int64 }
    /// The NumPy array-protocol type string, little endian (e.g. `<u2`).
    public var numpyDescr: String {
        switch self {
        case .uint8: "|u1"
        case .int8: "|i1"
        case .uint16: "<u2"
        case .int16: "<i2"
        case .uint32: "<u4"
        case .int32: "<i4"
        case .uint64: "<u8"
        case .int64: "<i8"
        case .float32: "<f4"
        case .float64: "<f8"
        }
    }
}

/// Decoded pixel values: frames × rows × columns × samples, interleaved samples, little-endian bytes.
public struct PixelArray: Sendable, Equatable {
    /// Number of frames.
    public var frames: Int
    /// Rows per frame.
    public var rows: Int
    /// Columns per frame.
    public var columns: Int
    /// Samples per pixel.
    public var samplesPerPixel: Int
    /// Sample type.
    public var type: SampleType
    /// Little-endian sample bytes, `frames*rows*columns*samplesPerPixel*type.width` long.
    public var data: [UInt8]

    /// Number of samples.
    public var count: Int { frames * rows * columns * samplesPerPixel }

    /// Every sample converted to `Double` (for analysis and tests).
    public func doubles() -> [Double] {
        data.withUnsafeBytes { raw in
            let n = count
            switch type {
            case .uint8: return raw.bindMemory(to: UInt8.self).prefix(n).map { Double($0) }
            case .int8: return raw.bindMemory(to: Int8.self).prefix(n).map { Double($0) }
            case .uint16: return raw.bindMemory(to: UInt16.self).prefix(n).map { Double(UInt16(littleEndian: $0)) }
            case .int16: return raw.bindMemory(to: Int16.self).prefix(n).map { Double(Int16(littleEndian: $0)) }
            case .uint32: return raw.bindMemory(to: UInt32.self).prefix(n).map { Double(UInt32(littleEndian: $0)) }
            case .int32: return raw.bindMemory(to: Int32.self).prefix(n).map { Double(Int32(littleEndian: $0)) }
            case .uint64: return raw.bindMemory(to: UInt64.self).prefix(n).map { Double(UInt64(littleEndian: $0)) }
            case .int64: return raw.bindMemory(to: Int64.self).prefix(n).map { Double(Int64(littleEndian: $0)) }
            case .float32: return raw.bindMemory(to: UInt32.self).prefix(n).map { Double(Float(bitPattern: UInt32(littleEndian: $0))) }
            case .float64: return raw.bindMemory(to: UInt64.self).prefix(n).map { Double(bitPattern: UInt64(littleEndian: $0)) }
            }
        }
    }

    /// Every sample as `Float` (the working type of the imaging modules).
    public func floats() -> [Float] { doubles().map { Float($0) } }
}

/// The Image Pixel module attributes that describe stored pixel data.
public struct PixelFormat: Sendable, Equatable {
    /// Rows (0028,0010).
    public var rows: Int
    /// Columns (0028,0011).
    public var columns: Int
    /// Samples per Pixel (0028,0002).
    public var samplesPerPixel: Int
    /// Bits Allocated (0028,0100); 32/64 for Float/Double Float Pixel Data.
    public var bitsAllocated: Int
    /// Bits Stored (0028,0101).
    public var bitsStored: Int
    /// Pixel Representation (0028,0103): 0 unsigned, 1 two's complement.
    public var pixelRepresentation: Int
    /// Planar Configuration (0028,0006): 0 interleaved, 1 by plane.
    public var planarConfiguration: Int
    /// Number of Frames (0028,0008), 1 when absent.
    public var numberOfFrames: Int
    /// Photometric Interpretation (0028,0004).
    public var photometricInterpretation: String
    /// Which pixel data element holds the values: (7FE0,0010), (7FE0,0008) float or (7FE0,0009) double.
    public var pixelTag: Tag

    /// Reads the format from a data set; errors name the missing or invalid attribute.
    public init(_ ds: Dataset, source: String? = nil) throws(DICOMError) {
        func req(_ t: Tag) throws(DICOMError) -> Int {
            guard let v = ds.int(t) else { throw DICOMError(.missingAttribute, file: source, tag: t, "required for pixel data") }
            return v
        }
        rows = try req(.rows); columns = try req(.columns)
        pixelTag = ds.contains(.floatPixelData) ? .floatPixelData : ds.contains(.doubleFloatPixelData) ? .doubleFloatPixelData : .pixelData
        bitsAllocated = pixelTag == .floatPixelData ? 32 : pixelTag == .doubleFloatPixelData ? 64 : try req(.bitsAllocated)
        bitsStored = ds.int(.bitsStored) ?? bitsAllocated
        samplesPerPixel = ds.int(.samplesPerPixel) ?? 1
        pixelRepresentation = ds.int(.pixelRepresentation) ?? 0
        planarConfiguration = ds.int(.planarConfiguration) ?? 0
        numberOfFrames = max(1, ds.int(.numberOfFrames) ?? 1)
        photometricInterpretation = ds.string(.photometricInterpretation) ?? (samplesPerPixel == 1 ? "MONOCHROME2" : "RGB")
        guard rows > 0, columns > 0 else { throw DICOMError(.invalidValue, file: source, tag: .rows, "Rows and Columns must be positive") }
        guard [1, 8, 16, 32, 64].contains(bitsAllocated) else {
            throw DICOMError(.unsupported, file: source, tag: .bitsAllocated, "Bits Allocated \(bitsAllocated) is not supported")
        }
        guard (1...4).contains(samplesPerPixel) else {
            throw DICOMError(.invalidValue, file: source, tag: .samplesPerPixel, "Samples per Pixel \(samplesPerPixel) is out of range")
        }
        guard bitsStored >= 1, bitsStored <= bitsAllocated else {
            throw DICOMError(.invalidValue, file: source, tag: .bitsStored, "Bits Stored \(bitsStored) exceeds Bits Allocated \(bitsAllocated)")
        }
        let total = rows.multipliedReportingOverflow(by: columns)
        guard !total.overflow, total.partialValue < (1 << 31) / max(1, samplesPerPixel) else {
            throw DICOMError(.limit, file: source, tag: .rows, "frame of \(rows)×\(columns) is too large")
        }
    }

    /// Samples per frame.
    public var samplesPerFrame: Int { rows * columns * samplesPerPixel }

    /// Output sample type for decoded stored values (1-bit data unpacked to uint8).
    public var sampleType: SampleType {
        if pixelTag == .floatPixelData { return .float32 }
        if pixelTag == .doubleFloatPixelData { return .float64 }
        let signed = pixelRepresentation == 1
        switch bitsAllocated {
        case 1: return .uint8
        case 8: return signed ? .int8 : .uint8
        case 16: return signed ? .int16 : .uint16
        case 32: return signed ? .int32 : .uint32
        default: return signed ? .int64 : .uint64
        }
    }

    /// Bytes per native frame (1-bit frames are `ceil(bits/8)` for a single frame; see ``PixelData``).
    public var nativeFrameBytes: Int { bitsAllocated == 1 ? (samplesPerFrame + 7) / 8 : samplesPerFrame * bitsAllocated / 8 }
}

/// Decoding of native and encapsulated pixel data to stored values, and the separate value-mapping steps.
public enum PixelData {
    /// Decodes frames (all, or those in `frames`) of a file's pixel data to stored values.
    public static func decode(_ file: DICOMFile, frames: [Int]? = nil) throws(DICOMError) -> PixelArray {
        try decode(file.dataset, transferSyntax: file.transferSyntax, frames: frames, source: file.source)
    }

    /// Decodes frames of a data set encoded in `transferSyntax`.
    public static func decode(_ ds: Dataset, transferSyntax ts: TransferSyntax, frames wanted: [Int]? = nil,
                              source: String? = nil) throws(DICOMError) -> PixelArray {
        let f = try PixelFormat(ds, source: source)
        guard let el = ds[f.pixelTag] else { throw DICOMError(.missingAttribute, file: source, tag: .pixelData, "no pixel data") }
        // Number of Frames comes from the header: check it against what the value can hold before trusting it.
        let available: Int
        switch el.value {
        case .bytes(let b):
            available = f.bitsAllocated == 1 ? (b.count * 8) / f.samplesPerFrame : b.count / max(1, f.samplesPerFrame * f.bitsAllocated / 8)
        case .fragments(let frags): available = frags.fragments.count
        case .sequence: available = 0
        }
        guard f.numberOfFrames <= available else {
            throw DICOMError(.truncated, file: source, tag: .numberOfFrames,
                             "Number of Frames is \(f.numberOfFrames) but the pixel data hold at most \(available) frame(s) of \(f.rows)×\(f.columns)×\(f.samplesPerPixel)")
        }
        let frameList = wanted ?? Array(0..<f.numberOfFrames)
        for i in frameList where i < 0 || i >= f.numberOfFrames {
            throw DICOMError(.invalidValue, file: source, tag: .numberOfFrames, "frame \(i) out of range 0..<\(f.numberOfFrames)")
        }
        let type = f.sampleType
        var out = [UInt8]()
        out.reserveCapacity(Swift.min(frameList.count * f.samplesPerFrame * type.width, 1 << 28))
        switch el.value {
        case .bytes(let b):
            for i in frameList { try appendNative(frame: i, of: b, format: f, bigEndian: el.isBigEndian, vr: el.vr, into: &out, source: source) }
        case .fragments(let frags):
            let perFrame = try frameFragments(frags, format: f, dataset: ds, ts: ts, source: source)
            for i in frameList {
                try appendEncapsulated(perFrame[i], frame: i, format: f, ts: ts, into: &out, source: source)
            }
        case .sequence:
            throw DICOMError(.malformed, file: source, tag: f.pixelTag, "pixel data is a sequence")
        }
        return PixelArray(frames: frameList.count, rows: f.rows, columns: f.columns, samplesPerPixel: f.samplesPerPixel, type: type, data: out)
    }

    // MARK: Native

    static func appendNative(frame i: Int, of b: DICOMBytes, format f: PixelFormat, bigEndian: Bool, vr: VR,
                             into out: inout [UInt8], source: String?) throws(DICOMError) {
        let spf = f.samplesPerFrame
        if f.bitsAllocated == 1 {
            // 1-bit frames are packed back to back, least significant bit first.
            let firstBit = i * spf
            guard (firstBit + spf + 7) / 8 <= b.count else {
                throw DICOMError(.truncated, file: source, tag: f.pixelTag, "pixel data has \(b.count) bytes, frame \(i) needs \((firstBit + spf + 7) / 8)")
            }
            b.withUnsafeBytes { raw in
                for k in 0..<spf {
                    let bit = firstBit + k
                    out.append((raw[bit >> 3] >> UInt8(bit & 7)) & 1)
                }
            }
            return
        }
        let w = f.bitsAllocated / 8
        let frameBytes = spf * w
        let start = i * frameBytes
        guard start + frameBytes <= b.count else {
            throw DICOMError(.truncated, file: source, tag: f.pixelTag, "pixel data has \(b.count) bytes, frame \(i) needs bytes \(start)..<\(start + frameBytes)")
        }
        let base = out.count
        b.withUnsafeBytes { raw in
            let src = UnsafeRawBufferPointer(rebasing: raw[start..<(start + frameBytes)])
            if f.planarConfiguration == 1 && f.samplesPerPixel > 1 {
                let plane = f.rows * f.columns
                out.append(contentsOf: repeatElement(0, count: frameBytes))
                out.withUnsafeMutableBytes { dst in
                    for p in 0..<plane { for s in 0..<f.samplesPerPixel {
                        let from = (s * plane + p) * w, to = base + (p * f.samplesPerPixel + s) * w
                        for k in 0..<w { dst[to + k] = src[from + k] }
                    } }
                }
            } else {
                out.append(contentsOf: src)
            }
        }
        // Swap to little endian (OW/OF/OD words in a big-endian stream). 8-bit OB needs nothing.
        if bigEndian && w > 1 { swapInPlace(&out, from: base, width: w) }
        signCorrect(&out, from: base, format: f)
    }

    static func swapInPlace(_ a: inout [UInt8], from: Int, width w: Int) {
        a.withUnsafeMutableBytes { p in
            var i = from
            while i + w <= p.count {
                var lo = i, hi = i + w - 1
                while lo < hi { p.swapAt(lo, hi); lo += 1; hi -= 1 }
                i += w
            }
        }
    }

    /// Sign-extends signed integer samples whose Bits Stored is less than Bits Allocated (as pydicom does).
    static func signCorrect(_ a: inout [UInt8], from: Int, format f: PixelFormat) {
        guard f.pixelRepresentation == 1, f.bitsStored < f.bitsAllocated, f.pixelTag == .pixelData else { return }
        let shift = f.bitsAllocated - f.bitsStored
        a.withUnsafeMutableBytes { p in
            let n = (p.count - from) / (f.bitsAllocated / 8)
            let q = p.baseAddress! + from
            switch f.bitsAllocated {
            case 8: let t = q.assumingMemoryBound(to: Int8.self); for k in 0..<n { t[k] = (t[k] << shift) >> shift }
            case 16: let t = q.assumingMemoryBound(to: Int16.self); for k in 0..<n { t[k] = (t[k] << Int16(shift)) >> Int16(shift) }
            case 32: let t = q.assumingMemoryBound(to: Int32.self); for k in 0..<n { t[k] = (t[k] << Int32(shift)) >> Int32(shift) }
            case 64: let t = q.assumingMemoryBound(to: Int64.self); for k in 0..<n { t[k] = (t[k] << Int64(shift)) >> Int64(shift) }
            default: break
            }
        }
    }

    // MARK: Encapsulated

    /// Groups fragments into frames: Extended Offset Table, Basic Offset Table, one fragment per frame, all in one
    /// frame, or JPEG start/end markers (PS3.5 §A.4).
    public static func frameFragments(_ frags: Fragments, format f: PixelFormat, dataset ds: Dataset, ts: TransferSyntax,
                                      source: String?) throws(DICOMError) -> [[DICOMBytes]] {
        let n = f.numberOfFrames
        let items = frags.fragments
        guard !items.isEmpty else { throw DICOMError(.malformed, file: source, tag: .pixelData, "encapsulated pixel data has no fragments") }
        // Item start offsets (relative to the first fragment's item header).
        var starts: [Int] = []
        var acc = 0
        for b in items { starts.append(acc); acc += 8 + b.count }
        func byOffsets(_ offsets: [Int]) throws(DICOMError) -> [[DICOMBytes]] {
            var result: [[DICOMBytes]] = []
            for (k, o) in offsets.enumerated() {
                let next = k + 1 < offsets.count ? offsets[k + 1] : Int.max
                guard let first = starts.firstIndex(of: o) else {
                    throw DICOMError(.malformed, file: source, tag: .pixelData, "offset table entry \(o) does not point at a fragment")
                }
                var group: [DICOMBytes] = []
                var j = first
                while j < items.count && starts[j] < next { group.append(items[j]); j += 1 }
                result.append(group)
            }
            return result
        }
        if let eot = ds[.extendedOffsetTable], let v = eot.bytes, v.count >= 8 {
            let offs: [Int] = v.withUnsafeBytes { r in (0..<r.count / 8).map { Int(UInt64(littleEndian: r.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) } }
            if offs.count == n { return try byOffsets(offs) }
        }
        if frags.basicOffsetTable.count >= 4 {
            let offs: [Int] = frags.basicOffsetTable.withUnsafeBytes { r in (0..<r.count / 4).map { Int(UInt32(littleEndian: r.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) } }
            if offs.count == n { return try byOffsets(offs) }
        }
        if n == 1 { return [items] }
        if items.count == n { return items.map { [$0] } }
        // JPEG family: a new frame starts at a fragment beginning with SOI (FFD8) or SOC (FF4F).
        var result: [[DICOMBytes]] = []
        for b in items {
            let startsFrame = b.count >= 2 && b[0] == 0xFF && (b[1] == 0xD8 || b[1] == 0x4F)
            if startsFrame || result.isEmpty { result.append([b]) } else { result[result.count - 1].append(b) }
        }
        guard result.count == n else {
            throw DICOMError(.malformed, file: source, tag: .pixelData, "cannot map \(items.count) fragments to \(n) frames (no usable offset table)")
        }
        return result
    }

    static func concat(_ parts: [DICOMBytes]) -> DICOMBytes {
        if parts.count == 1 { return parts[0] }
        var a: [UInt8] = []
        a.reserveCapacity(parts.reduce(0) { $0 + $1.count })
        for p in parts { p.withUnsafeBytes { a.append(contentsOf: $0) } }
        return DICOMBytes(a)
    }

    static func appendEncapsulated(_ parts: [DICOMBytes], frame i: Int, format f: PixelFormat, ts: TransferSyntax,
                                   into out: inout [UInt8], source: String?) throws(DICOMError) {
        let data = concat(parts)
        let type = f.sampleType
        func codecError(_ e: any Error) -> DICOMError {
            DICOMError(.codec, file: source, tag: .pixelData, "frame \(i): \(ts.name): \(e)")
        }
        switch ts.pixelEncoding {
        case .native:
            throw DICOMError(.malformed, file: source, tag: .pixelData, "encapsulated pixel data in a native transfer syntax")
        case .rle:
            guard f.bitsAllocated % 8 == 0 else { throw DICOMError(.unsupported, file: source, tag: .bitsAllocated, "RLE with Bits Allocated \(f.bitsAllocated)") }
            let decoded: [UInt8]
            do {
                decoded = try data.withUnsafeBytes { (r: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] in
                    try RLECodec.decode(r, rows: f.rows, columns: f.columns, samplesPerPixel: f.samplesPerPixel, bitsAllocated: f.bitsAllocated)
                }
            } catch { throw codecError(error) }
            let base = out.count
            out.append(contentsOf: decoded)
            signCorrect(&out, from: base, format: f)
        case .deflatedFrames:
            let inflated: [UInt8]
            do {
                inflated = try data.withUnsafeBytes { (r: UnsafeRawBufferPointer) throws(CodecError) -> [UInt8] in
                    try Deflate.inflate(r, maxOutput: f.nativeFrameBytes + 16)
                }
            } catch { throw codecError(error) }
            var single = f; single.numberOfFrames = 1
            try appendNative(frame: 0, of: DICOMBytes(inflated), format: single, bigEndian: false, vr: .OB, into: &out, source: source)
        case .jpeg, .jpegLossless, .jpegLS, .jpeg2000, .htj2k:
            let frame: DecodedFrame
            do {
                frame = try data.withUnsafeBytes { (r: UnsafeRawBufferPointer) throws(CodecError) -> DecodedFrame in
                    switch ts.pixelEncoding {
                    case .jpegLS: return try JPEGLSCodec.decode(r)
                    // HTJ2K (Part 15) codestreams are J2K codestreams with a CAP marker: OpenJPEG ≥ 2.5 decodes them.
                    case .jpeg2000, .htj2k: return try JPEG2000Codec.decode(r)
                    default: return try JPEGCodec.decode(r)
                    }
                }
            } catch { throw codecError(error) }
            guard frame.width == f.columns, frame.height == f.rows, frame.components == f.samplesPerPixel else {
                throw DICOMError(.invalidValue, file: source, tag: .pixelData,
                                 "frame \(i): codestream is \(frame.width)×\(frame.height)×\(frame.components), the data set says \(f.columns)×\(f.rows)×\(f.samplesPerPixel)")
            }
            let base = out.count
            appendConverted(frame, to: type, into: &out)
            // JPEG and JPEG-LS carry unsigned bit patterns: sign-extend from Bits Stored for signed data.
            if !frame.isSigned && type.isSignedInteger {
                var g = f; g.bitsStored = min(f.bitsStored, frame.bitsPerSample)
                if g.bitsStored < f.bitsAllocated { signCorrect(&out, from: base, format: g) }
            }
        case .unsupported:
            throw DICOMError(.unsupportedTransferSyntax, file: source, tag: .pixelData, "unsupported transfer syntax \(ts.name) (\(ts.uid))")
        }
    }

    /// Widens or narrows decoded samples to the output type (two's complement preserved for signed codecs).
    static func appendConverted(_ frame: DecodedFrame, to type: SampleType, into out: inout [UInt8]) {
        let w = type.width
        if frame.bytesPerSample == w { out.append(contentsOf: frame.bytes); return }
        let n = frame.bytes.count / frame.bytesPerSample
        frame.bytes.withUnsafeBytes { raw in
            for k in 0..<n {
                var v: Int64
                switch frame.bytesPerSample {
                case 1: v = frame.isSigned ? Int64(Int8(bitPattern: raw[k])) : Int64(raw[k])
                case 2: let u = UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: 2 * k, as: UInt16.self)); v = frame.isSigned ? Int64(Int16(bitPattern: u)) : Int64(u)
                default: let u = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4 * k, as: UInt32.self)); v = frame.isSigned ? Int64(Int32(bitPattern: u)) : Int64(u)
                }
                withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0.prefix(w)) }
            }
        }
    }

    // MARK: Value mapping (explicit, separate steps)

    /// Applies the Modality LUT as Rescale Slope/Intercept: `slope × stored + intercept` (identity when absent).
    public static func applyRescale(_ values: PixelArray, dataset ds: Dataset) -> [Float] {
        let slope = ds.double(.rescaleSlope) ?? 1, intercept = ds.double(.rescaleIntercept) ?? 0
        return values.doubles().map { Float($0 * slope + intercept) }
    }

    /// A Real World Value Mapping item (PS3.3 C.7.6.16.2.11): linear slope/intercept with units.
    public struct RealWorldValueMapping: Sendable, Equatable {
        /// Real World Value Slope (0040,9225).
        public var slope: Double
        /// Real World Value Intercept (0040,9224).
        public var intercept: Double
        /// Units code value (UCUM), e.g. `Bq/ml`.
        public var units: String?
        /// Explanation / label.
        public var label: String?
        /// Real World Value First Value Mapped (0040,9216).
        public var firstValueMapped: Double?
        /// Real World Value Last Value Mapped (0040,9211).
        public var lastValueMapped: Double?
    }

    /// The Real World Value Mappings of a data set (top level or per-frame functional groups are not merged).
    public static func realWorldValueMappings(_ ds: Dataset) -> [RealWorldValueMapping] {
        ds.sequence(.realWorldValueMappingSequence).compactMap { item in
            guard let slope = item.double(Tag(0x0040, 0x9225)) else { return nil }
            let units = item.sequence(Tag(0x0040, 0x08EA)).first?.string(Tag(0x0008, 0x0100))
            return RealWorldValueMapping(slope: slope, intercept: item.double(Tag(0x0040, 0x9224)) ?? 0, units: units,
                                         label: item.string(Tag(0x0040, 0x9210)) ?? item.string(Tag(0x0028, 0x3003)),
                                         firstValueMapped: item.double(Tag(0x0040, 0x9216)), lastValueMapped: item.double(Tag(0x0040, 0x9211)))
        }
    }

    /// Applies a Real World Value Mapping to stored values.
    public static func applyRealWorldValueMapping(_ values: PixelArray, _ m: RealWorldValueMapping) -> [Float] {
        values.doubles().map { Float($0 * m.slope + m.intercept) }
    }
}

/// NumPy export.
public extension PixelArray {
    /// The array as a NumPy `.npy` file (format 1.0): shape (frames, rows, columns[, samples]).
    func npy() -> [UInt8] { NumPy.encode(descr: type.numpyDescr, shape: samplesPerPixel > 1 ? [frames, rows, columns, samplesPerPixel] : [frames, rows, columns], data: data) }
}

/// NumPy `.npy` encoding (format version 1.0, little-endian data, C order).
public enum NumPy {
    /// Encodes raw little-endian sample bytes with a dtype descriptor and shape.
    public static func encode(descr: String, shape: [Int], data: [UInt8]) -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }"
        let total = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - total % 64) % 64) + "\n"
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0]
        let n = UInt16(header.utf8.count)
        out.append(UInt8(n & 0xFF)); out.append(UInt8(n >> 8))
        out += Array(header.utf8)
        out += data
        return out
    }

    /// Encodes `Float` samples as `<f4`.
    public static func encode(floats: [Float], shape: [Int]) -> [UInt8] {
        let bytes = floats.withUnsafeBytes { Array($0) }
        return encode(descr: "<f4", shape: shape, data: bytes)
    }
}
