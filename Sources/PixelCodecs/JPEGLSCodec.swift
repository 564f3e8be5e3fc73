import CCodecShims

/// JPEG-LS (ISO/IEC 14495-1) lossless and near-lossless, through the CharLS 2.4 C API.
public enum JPEGLSCodec {
    static func fail(_ message: String) -> CodecError { CodecError(codec: "JPEG-LS", message: message) }

    /// Decodes a JPEG-LS codestream into an interleaved little-endian frame (1 byte per sample up to 8 bits, else 2).
    ///
    /// - Parameters:
    ///   - data: the codestream (SOI ... EOI).
    ///   - maxOutputBytes: the largest decoded size accepted (default ``CodecLimits/maxOutputBytes``).
    /// - Throws: ``CodecError`` with CharLS's message for invalid or truncated data, or oversized frames.
    public static func decode(_ data: UnsafeRawBufferPointer,
                              maxOutputBytes: Int = CodecLimits.maxOutputBytes) throws(CodecError) -> DecodedFrame {
        guard data.count >= 4 else { throw fail("input too short (\(data.count) bytes)") }
        // CharLS 2.4.1 spends seconds on a stream that stops without an end marker (measured: 5 s for a 64x64
        // image cut in half). Give it an EOI when the input (after DICOM zero padding) does not end with one.
        var end = data.count
        while end > 2 && data[end - 1] == 0 { end -= 1 }
        if data[end - 2] != 0xFF || data[end - 1] != 0xD9 {
            var copy = [UInt8](data)
            copy.append(contentsOf: [0xFF, 0xD9])
            var result: Result<DecodedFrame, CodecError> = .failure(fail("internal"))
            copy.withUnsafeBytes { raw in
                do throws(CodecError) { result = .success(try decodeTerminated(raw, maxOutputBytes: maxOutputBytes)) }
                catch { result = .failure(error) }
            }
            return try result.get()
        }
        return try decodeTerminated(data, maxOutputBytes: maxOutputBytes)
    }

    static func decodeTerminated(_ data: UnsafeRawBufferPointer, maxOutputBytes: Int) throws(CodecError) -> DecodedFrame {
        guard let base = data.baseAddress?.assumingMemoryBound(to: UInt8.self) else { throw fail("empty input") }
        var info = scinti_jls_info()
        if scinti_jls_read_header(base, data.count, &info) != 0 {
            throw fail(message(&info))
        }
        let w = Int(info.width), h = Int(info.height), n = Int(info.components), bits = Int(info.bits_per_sample)
        guard (1...4).contains(n) else { throw fail("\(n) components not supported (1...4)") }
        guard (2...16).contains(bits) else { throw fail("bits per sample \(bits) not supported") }
        let bps = bits > 8 ? 2 : 1
        guard let total = checkedProduct([w, h, n, bps], limit: maxOutputBytes), total > 0,
              total == info.destination_size
        else { throw fail("frame \(w)x\(h)x\(n) (\(bits) bits) exceeds the output limit or is inconsistent") }
        var raw = [UInt8](repeating: 0, count: total)
        let rc = raw.withUnsafeMutableBufferPointer { buf in
            scinti_jls_decode(base, data.count, buf.baseAddress, total, &info)
        }
        if rc != 0 { throw fail(message(&info)) }
        if n > 1 && info.interleave_mode == 0 {
            raw = interleave(planar: raw, pixels: w * h, components: n, bytesPerSample: bps)
        }
        return DecodedFrame(width: w, height: h, components: n, bitsPerSample: bits, isSigned: false,
                            bytesPerSample: bps, bytes: raw)
    }

    /// Encodes interleaved little-endian samples as JPEG-LS (sample-interleaved when `components > 1`).
    ///
    /// - Parameters:
    ///   - pixels: `width * height * components` samples, 1 byte each for `bitsPerSample <= 8`, else 2 (LE).
    ///   - nearLossless: 0 for lossless, otherwise the maximum absolute error (NEAR).
    /// - Returns: the JPEG-LS codestream.
    public static func encode(_ pixels: UnsafeRawBufferPointer, width: Int, height: Int, bitsPerSample: Int,
                              components: Int, nearLossless: Int = 0) throws(CodecError) -> [UInt8] {
        guard (1...65535).contains(width), (1...65535).contains(height) else { throw fail("dimensions out of range") }
        guard (2...16).contains(bitsPerSample), (1...4).contains(components), nearLossless >= 0 else {
            throw fail("unsupported parameters: \(bitsPerSample) bits, \(components) components, near \(nearLossless)")
        }
        let bps = bitsPerSample > 8 ? 2 : 1
        guard let total = checkedProduct([width, height, components, bps]), pixels.count >= total,
              let base = pixels.baseAddress?.assumingMemoryBound(to: UInt8.self)
        else { throw fail("pixel buffer smaller than the geometry needs") }
        var out: UnsafeMutablePointer<UInt8>? = nil
        var size = 0
        var msg = [CChar](repeating: 0, count: Int(SCINTI_MSG_CAP))
        let rc = scinti_jls_encode(base, total, Int32(width), Int32(height), Int32(bitsPerSample), Int32(components),
                                   Int32(nearLossless), &out, &size, &msg)
        defer { scinti_free(out) }
        guard rc == 0, let out else {
            throw fail(String(decoding: msg.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    static func message(_ info: inout scinti_jls_info) -> String {
        withUnsafeBytes(of: &info.message) { raw in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    static func interleave(planar: [UInt8], pixels: Int, components: Int, bytesPerSample: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: planar.count)
        planar.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for c in 0..<components {
                    for i in 0..<pixels {
                        for b in 0..<bytesPerSample {
                            dst[(i &* components &+ c) &* bytesPerSample &+ b] = src[(c &* pixels &+ i) &* bytesPerSample &+ b]
                        }
                    }
                }
            }
        }
        return out
    }
}

/// Reads a fixed-size C `char` array message.
func cMessage<T>(_ tuple: inout T) -> String {
    withUnsafeBytes(of: &tuple) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
}
