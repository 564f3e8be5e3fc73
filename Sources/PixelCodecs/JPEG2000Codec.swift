import CCodecShims

@inline(__always)
private func ints(_ t: (Int32, Int32, Int32, Int32)) -> [Int] { [Int(t.0), Int(t.1), Int(t.2), Int(t.3)] }

/// JPEG 2000 (ISO/IEC 15444-1) decoding through OpenJPEG, from a raw J2K codestream or a JP2 file (sniffed).
public enum JPEG2000Codec {
    static func fail(_ message: String) -> CodecError { CodecError(codec: "JPEG 2000", message: message) }

    /// Decodes a J2K codestream (starts `FF 4F FF 51`) or JP2 file (starts with the JP2 signature box).
    ///
    /// Output samples use 1 byte for precision up to 8, 2 up to 16 and 4 above; `isSigned` follows the codestream.
    /// All components must have the full image size (no subsampled components).
    /// - Throws: ``CodecError`` with OpenJPEG's first error message, or for oversized or unsupported images.
    public static func decode(_ data: UnsafeRawBufferPointer,
                              maxOutputBytes: Int = CodecLimits.maxOutputBytes) throws(CodecError) -> DecodedFrame {
        guard let base = data.baseAddress?.assumingMemoryBound(to: UInt8.self), data.count >= 12 else {
            throw fail("input too short (\(data.count) bytes)")
        }
        let format: Int32
        if data[0] == 0xFF && data[1] == 0x4F {
            format = 0
        } else if data[0] == 0 && data[1] == 0 && data[2] == 0 && data[3] == 0x0C && data[4] == 0x6A
                    && data[5] == 0x50 && data[6] == 0x20 && data[7] == 0x20 {
            format = 2
        } else {
            throw CodecError(codec: "JPEG 2000", message: "neither a J2K codestream (FF4F) nor a JP2 file", byteOffset: 0)
        }
        var r = scinti_j2k_result()
        let rc = scinti_j2k_decode(base, data.count, format, maxOutputBytes, &r)
        defer { scinti_j2k_free(r.handle) }
        guard rc == 0 else { throw fail(cMessage(&r.message)) }
        let n = Int(r.numcomps)
        let widths = ints(r.width)
        let heights = ints(r.height)
        let precs = ints(r.prec)
        let sgnds = ints(r.sgnd)
        let datas = [r.data.0, r.data.1, r.data.2, r.data.3]
        let w = widths[0], h = heights[0]
        for c in 0..<n where widths[c] != w || heights[c] != h {
            throw fail("component \(c) is \(widths[c])x\(heights[c]), component 0 is \(w)x\(h): subsampled components not supported")
        }
        let prec = precs[0..<n].max() ?? 0
        guard (1...32).contains(prec) else { throw fail("precision \(prec) not supported") }
        let bps = prec <= 8 ? 1 : (prec <= 16 ? 2 : 4)
        guard let total = checkedProduct([w, h, n, bps], limit: maxOutputBytes), total > 0 else {
            throw fail("frame exceeds the output limit")
        }
        var out = [UInt8](repeating: 0, count: total)
        let pixels = w * h
        out.withUnsafeMutableBufferPointer { dst in
            for c in 0..<n {
                guard let src = datas[c] else { continue }
                var o = c &* bps
                let step = n &* bps
                for i in 0..<pixels {
                    let v = UInt32(bitPattern: src[i])
                    dst[o] = UInt8(truncatingIfNeeded: v)
                    if bps > 1 { dst[o &+ 1] = UInt8(truncatingIfNeeded: v >> 8) }
                    if bps > 2 {
                        dst[o &+ 2] = UInt8(truncatingIfNeeded: v >> 16)
                        dst[o &+ 3] = UInt8(truncatingIfNeeded: v >> 24)
                    }
                    o &+= step
                }
            }
        }
        return DecodedFrame(width: w, height: h, components: n, bitsPerSample: prec, isSigned: sgnds[0] != 0,
                            bytesPerSample: bps, bytes: out)
    }
}
