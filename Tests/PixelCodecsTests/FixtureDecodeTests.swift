import Testing
import PixelCodecs

@Suite("Decoding fixtures against independent decoders")
struct FixtureDecodeTests {
    @Test("fixture manifest is present and complete")
    func manifestLoads() {
        #expect(Fixtures.all.count >= 27)
        for sv in 1...7 { #expect(Fixtures.named("jpegll_mr16_sv\(sv)") != nil, "missing predictor \(sv)") }
    }

    @Test("SHA-256 helper matches the FIPS test vector")
    func sha256Vector() {
        #expect(sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    /// Each fixture decodes to the stated geometry and to the samples of the independent decoder:
    /// exactly for lossless streams, within the fixture's stated tolerance for lossy ones.
    @Test("decode matches expected samples", arguments: Fixtures.all)
    func decodeMatches(_ f: Fixture) throws {
        let stream = try Fixtures.bytes(f.file)
        let frame = try decodeFixture(f, stream)
        #expect(frame.width == f.width)
        #expect(frame.height == f.height)
        #expect(frame.components == f.components)
        #expect(frame.bytesPerSample == f.bytesPerSample)
        if f.bitsPerSample > 0 { #expect(frame.bitsPerSample == f.bitsPerSample) }
        if f.codec == "j2k" { #expect(frame.isSigned == f.isSigned) }
        #expect(frame.bytes.count == f.width * f.height * f.components * f.bytesPerSample)
        if let expectedName = f.expected {
            let expected = try Fixtures.bytes(expectedName)
            let diff = try #require(maxAbsDiff(frame.bytes, expected, bytesPerSample: f.bytesPerSample, signed: f.isSigned))
            #expect(diff <= f.tolerance, "max abs diff \(diff) > tolerance \(f.tolerance) (\(f.tool))")
        } else {
            // Large expected outputs are stored as the SHA-256 of the expected little-endian samples.
            #expect(sha256Hex(frame.bytes) == f.expectedSHA256, "\(f.tool)")
        }
    }

    /// The Swift sequential-DCT decoder, run on 8-bit streams, reproduces libjpeg-turbo exactly (same islow IDCT,
    /// fancy upsampling and YCbCr->RGB), which cross-checks the code path used for 12-bit streams.
    @Test("Swift DCT decoder equals libjpeg-turbo on 8-bit streams",
          arguments: ["jpeg8_mr", "jpeg8_rgb_422", "jpeg8_sc_rgb_dcmtk"])
    func swiftDCTMatchesLibjpeg(_ name: String) throws {
        let f = try #require(Fixtures.named(name))
        let stream = try Fixtures.bytes(f.file)
        let (turbo, swift) = try stream.withUnsafeBytes { raw in
            (try JPEGCodec.decode(raw), try JPEGCodec.decode(raw, backend: .swift))
        }
        #expect(swift.width == turbo.width && swift.height == turbo.height && swift.components == turbo.components)
        let diff = maxAbsDiff(swift.bytes, turbo.bytes, bytesPerSample: 1, signed: false)
        #expect(diff == 0, "max abs diff \(String(describing: diff))")
    }

    /// The uncompressed twin of the RLE and JPEG-lossless WG-04 NM image: both decoders agree with each other.
    @Test("WG-04 NM1: RLE and JPEG lossless decode to the same samples")
    func wg04Agree() throws {
        let rle = try #require(Fixtures.named("rle_wg04_nm1"))
        let jpll = try #require(Fixtures.named("jpegll_wg04_nm1"))
        let a = try decodeFixture(rle, try Fixtures.bytes(rle.file))
        let b = try decodeFixture(jpll, try Fixtures.bytes(jpll.file))
        #expect(a.bytes == b.bytes)
    }

    @Test("frame header of the 12-bit extended stream is SOF1, P=12")
    func frameInfo12() throws {
        let f = try #require(Fixtures.named("jpeg12_mr"))
        let info = try Fixtures.bytes(f.file).withUnsafeBytes { try JPEGCodec.frameInfo($0) }
        #expect(info.sofMarker == 0xC1)
        #expect(info.precision == 12)
    }
}
