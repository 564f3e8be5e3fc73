import Testing
import PixelCodecs

@Suite("JPEG decoder paths")
struct JPEGTests {
    static func testImage(width: Int, height: Int, components: Int) -> [UInt8] {
        var rng = XorShift(seed: UInt64(width * height * components))
        var p = [UInt8](repeating: 0, count: width * height * components)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<components {
                    let smooth = x * 100 / max(width - 1, 1) + y * (c + 1)
                    p[(y * width + x) * components + c] = UInt8(truncatingIfNeeded: smooth + Int.random(in: 0...20, using: &rng))
                }
            }
        }
        return p
    }

    /// libjpeg-turbo encodes (with restart markers, 4:2:0 for colour); the Swift decoder must equal libjpeg-turbo's
    /// own decode sample for sample. Covers restart handling, h2v2 fancy upsampling and partial MCUs.
    @Test("Swift decoder equals libjpeg-turbo with restart intervals",
          arguments: [(1, 0), (1, 1), (1, 7), (3, 0), (3, 1), (3, 5)])
    func restartIntervals(components: Int, restart: Int) throws {
        let w = 75, h = 41
        let pixels = Self.testImage(width: w, height: h, components: components)
        let jpeg = try pixels.withUnsafeBytes {
            try JPEGCodec.encodeBaseline($0, width: w, height: h, components: components, quality: 85, restartInterval: restart)
        }
        if restart > 0 { #expect(jpeg.contains(0xDD)) }
        let (turbo, swift) = try jpeg.withUnsafeBytes { raw in
            (try JPEGCodec.decode(raw), try JPEGCodec.decode(raw, backend: .swift))
        }
        #expect(turbo.width == w && turbo.height == h && turbo.components == components)
        #expect(swift.bytes == turbo.bytes)
        // and it is a plausible decode of the source (lossy q85, chroma subsampled): small mean error
        let meanError = zip(turbo.bytes, pixels).reduce(0) { $0 + abs(Int($1.0) - Int($1.1)) } / pixels.count
        #expect(meanError < 8)
    }

    @Test("convertYCbCrToRGB: false returns the YCbCr planes unconverted, identically in both backends")
    func noColorConversion() throws {
        let w = 32, h = 16
        let pixels = Self.testImage(width: w, height: h, components: 3)
        let jpeg = try pixels.withUnsafeBytes { try JPEGCodec.encodeBaseline($0, width: w, height: h, components: 3) }
        let (a, b, rgb) = try jpeg.withUnsafeBytes { raw in
            (try JPEGCodec.decode(raw, convertYCbCrToRGB: false),
             try JPEGCodec.decode(raw, convertYCbCrToRGB: false, backend: .swift),
             try JPEGCodec.decode(raw))
        }
        #expect(a.bytes == b.bytes)
        #expect(a.bytes != rgb.bytes)
    }

    /// A real GDCM/DCMTK 12-bit extended stream decoded by the Swift decoder is close to its source
    /// (sanity check independent of the IJG expected output).
    @Test("12-bit extended decode is close to the uncompressed source")
    func twelveBitCloseToSource() throws {
        let f = try #require(Fixtures.named("jpeg12_mr"))
        let lossless = try #require(Fixtures.named("jls_mr_lossless"))  // same MR source samples
        let frame = try decodeFixture(f, try Fixtures.bytes(f.file))
        let source = try Fixtures.bytes(try #require(lossless.expected))
        let diff = try #require(maxAbsDiff(frame.bytes, source, bytesPerSample: 2, signed: false))
        #expect(diff < 200)  // q85 on values up to 2145
    }

    /// NEMA WG-04's 12-bit NM images write their sequential scans with Ss=0 Se=0. A sequential scan codes the full
    /// block whatever the header says (libjpeg: JWRN_NOT_SEQUENTIAL, then decodes): the patched 12-bit fixture must
    /// decode exactly as the unpatched one (DCMTK's IJG 12-bit decode within the fixture's tolerance of 1).
    @Test func sequentialScanWithSs0Se0Decodes() throws {
        var stream = try Fixtures.bytes("jpeg12_mr.jpg")
        let expected = try Fixtures.bytes("jpeg12_mr.raw")
        let sos = try #require((0..<(stream.count - 1)).first { stream[$0] == 0xFF && stream[$0 + 1] == 0xDA })
        let ns = Int(stream[sos + 4])
        let se = sos + 5 + 2 * ns + 1
        #expect(stream[se - 1] == 0 && stream[se] == 63)
        stream[se] = 0
        let frame = try stream.withUnsafeBytes { try JPEGCodec.decode($0) }
        #expect(frame.width == 64 && frame.height == 64 && frame.bitsPerSample == 12)
        var maxDiff = 0
        for k in 0..<(64 * 64) {
            let a = Int(frame.bytes[2 * k]) | Int(frame.bytes[2 * k + 1]) << 8
            let b = Int(expected[2 * k]) | Int(expected[2 * k + 1]) << 8
            maxDiff = max(maxDiff, abs(a - b))
        }
        #expect(maxDiff <= 1, "max difference \(maxDiff)")
    }
}
