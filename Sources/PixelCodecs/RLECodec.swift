/// DICOM RLE Lossless (PS3.5 Annex G).
///
/// A frame is a 64-byte header of 16 little-endian `UInt32` (segment count, then 15 segment offsets) followed by
/// PackBits-compressed segments: one segment per byte plane, most significant byte plane first, for each sample in
/// turn. Decoded output and encoder input are interleaved per pixel, little-endian.
public enum RLECodec {
    static func fail(_ message: String, at offset: Int? = nil) -> CodecError {
        CodecError(codec: "RLE", message: message, byteOffset: offset)
    }

    static func validate(rows: Int, columns: Int, samplesPerPixel: Int, bitsAllocated: Int) throws(CodecError)
        -> (pixels: Int, bytesPerSample: Int, total: Int)
    {
        guard rows > 0, columns > 0 else { throw fail("rows and columns must be positive (\(rows)x\(columns))") }
        guard (1...4).contains(samplesPerPixel) else { throw fail("samplesPerPixel \(samplesPerPixel) not in 1...4") }
        guard bitsAllocated == 8 || bitsAllocated == 16 || bitsAllocated == 32 else {
            throw fail("bitsAllocated \(bitsAllocated) not supported (8, 16 or 32)")
        }
        let bps = bitsAllocated / 8
        guard samplesPerPixel * bps <= 15 else { throw fail("more than 15 segments needed") }
        guard let pixels = checkedProduct([rows, columns]),
              let total = checkedProduct([pixels, samplesPerPixel, bps])
        else { throw fail("frame size \(rows)x\(columns)x\(samplesPerPixel)x\(bps) exceeds the output limit") }
        return (pixels, bps, total)
    }

    /// Decodes one RLE frame.
    ///
    /// - Parameters:
    ///   - data: the RLE frame (header and segments).
    ///   - rows: image rows.
    ///   - columns: image columns.
    ///   - samplesPerPixel: 1 to 4.
    ///   - bitsAllocated: 8, 16 or 32.
    /// - Returns: `rows * columns * samplesPerPixel * bitsAllocated/8` bytes, interleaved, little-endian.
    /// - Throws: ``CodecError`` when the header or a segment is inconsistent with the input or the geometry.
    public static func decode(_ data: UnsafeRawBufferPointer, rows: Int, columns: Int, samplesPerPixel: Int,
                              bitsAllocated: Int) throws(CodecError) -> [UInt8] {
        let (pixels, bps, total) = try validate(rows: rows, columns: columns, samplesPerPixel: samplesPerPixel,
                                                bitsAllocated: bitsAllocated)
        guard data.count >= 64 else { throw fail("frame shorter than the 64-byte header", at: data.count) }
        func u32(_ i: Int) -> Int {
            Int(data[i]) | Int(data[i + 1]) << 8 | Int(data[i + 2]) << 16 | Int(data[i + 3]) << 24
        }
        let segments = u32(0)
        let expected = samplesPerPixel * bps
        guard segments == expected else {
            throw fail("header declares \(segments) segments, geometry needs \(expected)", at: 0)
        }
        var offsets = [Int](repeating: 0, count: segments + 1)
        for i in 0..<segments {
            let off = u32(4 + 4 * i)
            guard off >= 64, off <= data.count else { throw fail("segment \(i) offset \(off) outside the frame", at: 4 + 4 * i) }
            if i > 0 && off < offsets[i - 1] { throw fail("segment offsets not increasing", at: 4 + 4 * i) }
            offsets[i] = off
        }
        offsets[segments] = data.count
        var out = [UInt8](repeating: 0, count: total)
        let src = data.assumingMemoryBound(to: UInt8.self)
        var firstError: CodecError?
        out.withUnsafeMutableBufferPointer { dst in
            let stride = samplesPerPixel * bps
            for seg in 0..<segments {
                let sample = seg / bps
                let plane = seg % bps  // 0 = most significant
                var o = sample * bps + (bps - 1 - plane)  // first output byte for this segment
                var produced = 0
                var p = offsets[seg]
                let end = offsets[seg + 1]
                while produced < pixels && p < end {
                    let n = Int(Int8(bitPattern: src[p]))
                    p &+= 1
                    if n >= 0 {
                        let count = n &+ 1
                        guard p &+ count <= end else {
                            firstError = fail("literal run of \(count) bytes past the end of segment \(seg)", at: p - 1)
                            return
                        }
                        let take = Swift.min(count, pixels &- produced)
                        for k in 0..<take { dst[o] = src[p &+ k]; o &+= stride }
                        produced &+= take
                        p &+= count
                    } else if n != -128 {
                        guard p < end else {
                            firstError = fail("replicate run without its byte in segment \(seg)", at: p - 1)
                            return
                        }
                        let count = Swift.min(1 &- n, pixels &- produced)
                        let v = src[p]
                        p &+= 1
                        for _ in 0..<count { dst[o] = v; o &+= stride }
                        produced &+= count
                    }
                }
                if produced < pixels {
                    firstError = fail("segment \(seg) decodes to \(produced) bytes, \(pixels) expected", at: end)
                    return
                }
            }
        }
        if let firstError { throw firstError }
        return out
    }

    /// Encodes one frame as DICOM RLE. Each row of each byte plane is PackBits-encoded separately, as PS3.5 G.3.1
    /// requires; each segment is padded to even length.
    ///
    /// - Parameters:
    ///   - pixels: `rows * columns * samplesPerPixel * bitsAllocated/8` bytes, interleaved, little-endian.
    /// - Returns: the RLE frame (even length).
    public static func encode(_ pixels: UnsafeRawBufferPointer, rows: Int, columns: Int, samplesPerPixel: Int,
                              bitsAllocated: Int) throws(CodecError) -> [UInt8] {
        let (_, bps, total) = try validate(rows: rows, columns: columns, samplesPerPixel: samplesPerPixel,
                                           bitsAllocated: bitsAllocated)
        guard pixels.count >= total else {
            throw fail("input has \(pixels.count) bytes, geometry needs \(total)")
        }
        let segments = samplesPerPixel * bps
        var out = [UInt8](repeating: 0, count: 64)
        var offsets: [Int] = []
        let src = pixels.assumingMemoryBound(to: UInt8.self)
        let stride = segments
        var row = [UInt8](repeating: 0, count: columns)
        for seg in 0..<segments {
            offsets.append(out.count)
            let sample = seg / bps
            let plane = seg % bps
            let first = sample * bps + (bps - 1 - plane)
            for r in 0..<rows {
                var o = (r * columns) * stride + first
                for c in 0..<columns { row[c] = src[o]; o &+= stride }
                packBits(row, into: &out)
            }
            if out.count % 2 == 1 { out.append(0) }
        }
        func put(_ v: Int, at i: Int) {
            out[i] = UInt8(truncatingIfNeeded: v)
            out[i + 1] = UInt8(truncatingIfNeeded: v >> 8)
            out[i + 2] = UInt8(truncatingIfNeeded: v >> 16)
            out[i + 3] = UInt8(truncatingIfNeeded: v >> 24)
        }
        guard out.count <= Int(UInt32.max) else { throw fail("encoded frame larger than 4 GiB") }
        put(segments, at: 0)
        for (i, off) in offsets.enumerated() { put(off, at: 4 + 4 * i) }
        return out
    }

    /// PackBits-encodes one row.
    static func packBits(_ row: [UInt8], into out: inout [UInt8]) {
        let n = row.count
        var i = 0
        while i < n {
            var run = 1
            while i + run < n && run < 128 && row[i + run] == row[i] { run += 1 }
            if run >= 2 {
                out.append(UInt8(bitPattern: Int8(1 - run)))
                out.append(row[i])
                i += run
                continue
            }
            var j = i + 1
            while j < n && j - i < 128 {
                if j + 1 < n && row[j] == row[j + 1] { break }
                j += 1
            }
            out.append(UInt8(j - i - 1))
            out.append(contentsOf: row[i..<j])
            i = j
        }
    }
}
