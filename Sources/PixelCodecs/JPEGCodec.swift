import CCodecShims

/// JPEG (ITU T.81) decoding.
///
/// - 8-bit baseline, extended and progressive (SOF0/1/2) through libjpeg-turbo, with a C error manager that
///   longjmps inside C (never `exit()`).
/// - 12-bit extended sequential Huffman DCT (SOF0/SOF1) and lossless (SOF3, process 14: predictors 1–7, point
///   transform, precision 2–16, 1–4 components, restart intervals) through a Swift decoder, because Debian's
///   libjpeg-turbo is built for 8-bit samples only.
public enum JPEGCodec {
    /// The parameters of a JPEG stream's frame header (SOFn).
    public struct FrameInfo: Sendable, Equatable {
        /// The SOF marker's second byte (0xC0 baseline, 0xC1 extended, 0xC2 progressive, 0xC3 lossless, ...).
        public var sofMarker: UInt8
        /// Sample precision P.
        public var precision: Int
        /// Number of columns.
        public var width: Int
        /// Number of rows.
        public var height: Int
        /// Number of components.
        public var components: Int
    }

    /// Which decoder ``decode(_:maxOutputBytes:convertYCbCrToRGB:)`` uses.
    public enum Backend: Sendable {
        /// libjpeg-turbo for 8-bit DCT, the Swift decoder for the rest.
        case automatic
        /// Always the Swift decoder (sequential Huffman DCT at 8 or 12 bits, and lossless).
        case swift
    }

    /// Reads the frame header (the first SOFn marker) without decoding.
    /// - Throws: ``CodecError`` when no SOI or SOF is found or a marker segment is inconsistent.
    public static func frameInfo(_ data: UnsafeRawBufferPointer) throws(CodecError) -> FrameInfo {
        let b = data.assumingMemoryBound(to: UInt8.self)
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else {
            throw CodecError(codec: "JPEG", message: "missing SOI marker", byteOffset: 0)
        }
        var pos = 2
        while pos < b.count {
            while pos < b.count && b[pos] != 0xFF { pos += 1 }
            while pos < b.count && b[pos] == 0xFF { pos += 1 }
            guard pos < b.count else { break }
            let m = b[pos]
            let at = pos - 1
            pos += 1
            if m == 0x01 || (0xD0...0xD8).contains(m) { continue }
            if m == 0xD9 || m == 0xDA { break }
            guard pos + 2 <= b.count else { break }
            let len = Int(b[pos]) << 8 | Int(b[pos + 1])
            guard len >= 2, pos + len <= b.count else {
                throw CodecError(codec: "JPEG", message: "marker segment length \(len) exceeds the data", byteOffset: at)
            }
            if (0xC0...0xCF).contains(m) && m != 0xC4 && m != 0xC8 && m != 0xCC {
                guard len >= 8 else { throw CodecError(codec: "JPEG", message: "SOF segment too short", byteOffset: at) }
                let s = pos + 2
                return FrameInfo(sofMarker: m, precision: Int(b[s]), width: Int(b[s + 3]) << 8 | Int(b[s + 4]),
                                 height: Int(b[s + 1]) << 8 | Int(b[s + 2]), components: Int(b[s + 5]))
            }
            pos += len
        }
        throw CodecError(codec: "JPEG", message: "no SOF marker before the first scan", byteOffset: pos)
    }

    /// Decodes a JPEG stream (SOI ... EOI) into an interleaved little-endian frame.
    ///
    /// 3-component YCbCr streams (as libjpeg guesses them: JFIF, Adobe transform, or component ids) are converted
    /// to RGB the way libjpeg does unless `convertYCbCrToRGB` is false; lossless streams are never converted.
    /// - Parameters:
    ///   - data: the JPEG stream.
    ///   - maxOutputBytes: the largest decoded size accepted.
    ///   - convertYCbCrToRGB: convert lossy YCbCr to RGB (default true, like libjpeg).
    ///   - backend: which decoder to use for 8-bit DCT streams.
    /// - Throws: ``CodecError`` for unsupported processes, corrupt or truncated data, or oversized frames.
    public static func decode(_ data: UnsafeRawBufferPointer, maxOutputBytes: Int = CodecLimits.maxOutputBytes,
                              convertYCbCrToRGB: Bool = true, backend: Backend = .automatic) throws(CodecError) -> DecodedFrame {
        guard data.baseAddress != nil else { throw CodecError(codec: "JPEG", message: "empty input", byteOffset: 0) }
        let info = try frameInfo(data)
        let sof = info.sofMarker
        let isDCT = sof == 0xC0 || sof == 0xC1 || sof == 0xC2
        if isDCT && info.precision == 8 && (backend == .automatic || sof == 0xC2) {
            return try decodeWithLibjpeg(data, info: info, maxOutputBytes: maxOutputBytes, convert: convertYCbCrToRGB)
        }
        switch sof {
        case 0xC0, 0xC1, 0xC3:
            let decoder = JPEGSwiftDecoder(data, maxOutputBytes: maxOutputBytes, convertColor: convertYCbCrToRGB)
            return try decoder.decode()
        case 0xC2:
            throw CodecError(codec: "JPEG", message: "progressive JPEG at \(info.precision) bits not supported")
        default:
            throw CodecError(codec: "JPEG",
                             message: "unsupported JPEG process: SOF 0x\(hex(sof)) (hierarchical or arithmetic)")
        }
    }

    /// Encodes 8-bit interleaved pixels as baseline JPEG (SOF0) with libjpeg-turbo: greyscale, or RGB stored as
    /// JFIF YCbCr 4:2:0. Lossy; meant for exports and tests, not for DICOM lossless archiving.
    ///
    /// - Parameters:
    ///   - pixels: `width * height * components` bytes.
    ///   - components: 1 or 3.
    ///   - quality: libjpeg quality 1...100.
    ///   - restartInterval: restart interval in MCUs (0 = none).
    public static func encodeBaseline(_ pixels: UnsafeRawBufferPointer, width: Int, height: Int, components: Int,
                                      quality: Int = 90, restartInterval: Int = 0) throws(CodecError) -> [UInt8] {
        guard (1...65500).contains(width), (1...65500).contains(height), components == 1 || components == 3,
              (1...100).contains(quality), (0...65535).contains(restartInterval),
              let needed = checkedProduct([width, height, components]), pixels.count >= needed,
              let base = pixels.baseAddress?.assumingMemoryBound(to: UInt8.self)
        else { throw CodecError(codec: "JPEG", message: "invalid parameters or pixel buffer for baseline encoding") }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var msg = [CChar](repeating: 0, count: Int(SCINTI_MSG_CAP))
        let rc = scinti_jpeg8_encode(base, Int32(width), Int32(height), Int32(components), Int32(quality),
                                     Int32(restartInterval), &out, &size, &msg)
        defer { scinti_free(out) }
        guard rc == 0, let out else {
            throw CodecError(codec: "JPEG", message: "libjpeg: " + String(decoding: msg.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    static func decodeWithLibjpeg(_ data: UnsafeRawBufferPointer, info: FrameInfo, maxOutputBytes: Int,
                                  convert: Bool) throws(CodecError) -> DecodedFrame {
        // Refuse declared sizes that no stream of this length can code (>= 1 bit per 8x8 block) before libjpeg
        // allocates anything.
        let blocks = ((info.width + 7) / 8) * ((info.height + 7) / 8) * Swift.max(info.components, 1)
        guard info.width > 0, info.height > 0, blocks <= 8 * data.count + 64 else {
            throw CodecError(codec: "JPEG", message: "declared image \(info.width)x\(info.height) cannot be coded in \(data.count) bytes")
        }
        var r = scinti_jpeg8_result()
        let rc = scinti_jpeg8_decode(data.baseAddress!.assumingMemoryBound(to: UInt8.self), data.count,
                                     maxOutputBytes, convert ? 1 : 0, &r)
        defer { scinti_free(r.pixels) }
        guard rc == 0, let pixels = r.pixels else {
            throw CodecError(codec: "JPEG", message: "libjpeg: " + cMessage(&r.message))
        }
        let bytes = Array(UnsafeBufferPointer(start: pixels, count: r.size))
        return DecodedFrame(width: Int(r.width), height: Int(r.height), components: Int(r.components),
                            bitsPerSample: 8, isSigned: false, bytesPerSample: 1, bytes: bytes)
    }
}
