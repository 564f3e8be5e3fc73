import Testing
import PixelCodecs

@Suite("RLE and deflate")
struct RLEAndDeflateTests {
    /// Encode -> decode returns the input for every supported layout, including noise, flat runs and odd widths.
    @Test("RLE round trip", arguments: [(8, 1), (8, 3), (16, 1), (16, 3), (32, 1)])
    func rleRoundTrip(bits: Int, spp: Int) throws {
        var rng = XorShift(seed: UInt64(bits * 10 + spp))
        let rows = 23, cols = 131
        let n = rows * cols * spp * bits / 8
        var pixels = [UInt8](repeating: 0, count: n)
        for i in 0..<n {
            // first third noise, second third long runs, rest short runs
            if i < n / 3 { pixels[i] = UInt8.random(in: 0...255, using: &rng) }
            else if i < 2 * n / 3 { pixels[i] = UInt8((i / 300) & 0xFF) }
            else { pixels[i] = UInt8((i / 3) & 0x3) }
        }
        let encoded = try pixels.withUnsafeBytes {
            try RLECodec.encode($0, rows: rows, columns: cols, samplesPerPixel: spp, bitsAllocated: bits)
        }
        #expect(encoded.count % 2 == 0)
        #expect(Int(encoded[0]) == spp * bits / 8)  // segment count
        let decoded = try encoded.withUnsafeBytes {
            try RLECodec.decode($0, rows: rows, columns: cols, samplesPerPixel: spp, bitsAllocated: bits)
        }
        #expect(decoded == pixels)
    }

    /// Re-encoding the corpus MR image and decoding it gives the uncompressed source samples back,
    /// and our encoding of it is not larger than pydicom's test file by more than a few percent.
    @Test("RLE encode of the MR source decodes to the source")
    func rleEncodeCorpus() throws {
        let f = try #require(Fixtures.named("rle_mr"))
        let source = try Fixtures.bytes(try #require(f.expected))
        let encoded = try source.withUnsafeBytes {
            try RLECodec.encode($0, rows: f.height, columns: f.width, samplesPerPixel: 1, bitsAllocated: 16)
        }
        let decoded = try encoded.withUnsafeBytes {
            try RLECodec.decode($0, rows: f.height, columns: f.width, samplesPerPixel: 1, bitsAllocated: 16)
        }
        #expect(decoded == source)
        let reference = try Fixtures.bytes(f.file)
        #expect(encoded.count <= reference.count + reference.count / 20)
    }

    @Test("RLE rejects inconsistent headers and segments")
    func rleHostile() throws {
        let f = try #require(Fixtures.named("rle_mr"))
        let good = try Fixtures.bytes(f.file)
        func decode(_ d: [UInt8], rows: Int = 64, cols: Int = 64, spp: Int = 1, bits: Int = 16) -> CodecError? {
            do {
                _ = try d.withUnsafeBytes {
                    try RLECodec.decode($0, rows: rows, columns: cols, samplesPerPixel: spp, bitsAllocated: bits)
                }
                return nil
            } catch { return error as? CodecError }
        }
        #expect(decode(Array(good.prefix(40))) != nil)                   // shorter than the header
        #expect(decode(Array(good.prefix(good.count / 2))) != nil)       // truncated segment
        #expect(decode(good, spp: 3) != nil)                             // segment count mismatch
        #expect(decode(good, bits: 12) != nil)                           // unsupported bitsAllocated
        #expect(decode(good, rows: 1 << 20, cols: 1 << 20) != nil)       // output > 2^31 bytes: refused
        var badOffset = good
        badOffset[8] = 0xFF; badOffset[9] = 0xFF; badOffset[10] = 0xFF; badOffset[11] = 0x7F
        let e = decode(badOffset)
        #expect(e?.byteOffset == 8)
        var decreasing = good
        decreasing[8] = 64; decreasing[9] = 0; decreasing[10] = 0; decreasing[11] = 0
        decreasing[4] = 100; decreasing[5] = 0
        #expect(decode(decreasing) != nil)
    }

    @Test("deflate round trip at several levels", arguments: [Int32(0), 1, 6, 9])
    func deflateRoundTrip(level: Int32) throws {
        var rng = XorShift(seed: 7)
        var data = [UInt8](repeating: 0, count: 200_000)
        for i in 0..<data.count { data[i] = i % 3 == 0 ? UInt8.random(in: 0...255, using: &rng) : UInt8(i & 0x0F) }
        let packed = try data.withUnsafeBytes { try Deflate.deflate($0, level: level) }
        let unpacked = try packed.withUnsafeBytes { try Deflate.inflate($0, maxOutput: data.count) }
        #expect(unpacked == data)
        // empty input
        let empty = try [UInt8]().withUnsafeBytes { try Deflate.deflate($0) }
        #expect(try empty.withUnsafeBytes { try Deflate.inflate($0, maxOutput: 0) } == [])
    }

    /// A 10 MB run of zeros deflates to ~10 kB; inflating it with a 1 MB limit must throw, not allocate 10 MB.
    @Test("inflate refuses output past maxOutput (deflate bomb)")
    func inflateBomb() throws {
        let zeros = [UInt8](repeating: 0, count: 10_000_000)
        let bomb = try zeros.withUnsafeBytes { try Deflate.deflate($0, level: 9) }
        #expect(bomb.count < 20_000)
        #expect(throws: CodecError.self) { try bomb.withUnsafeBytes { try Deflate.inflate($0, maxOutput: 1_000_000) } }
        // exactly at the limit is fine
        let ok = try bomb.withUnsafeBytes { try Deflate.inflate($0, maxOutput: zeros.count) }
        #expect(ok.count == zeros.count)
    }

    @Test("inflate: truncated and corrupt streams throw; trailing bytes are reported")
    func inflateErrors() throws {
        let text = Array(String(repeating: "Scinti deflate test. ", count: 200).utf8)
        let packed = try text.withUnsafeBytes { try Deflate.deflate($0) }
        #expect(throws: CodecError.self) {
            try Array(packed.prefix(packed.count / 2)).withUnsafeBytes { try Deflate.inflate($0, maxOutput: 1 << 20) }
        }
        #expect(throws: CodecError.self) {
            try [UInt8](repeating: 0xFF, count: 64).withUnsafeBytes { try Deflate.inflate($0, maxOutput: 1 << 20) }
        }
        let padded = packed + [0, 0, 0xAB]
        let r = try padded.withUnsafeBytes { try Deflate.inflatePrefix($0, maxOutput: 1 << 20) }
        #expect(r.bytes == text)
        #expect(r.bytesConsumed == packed.count)
    }
}
