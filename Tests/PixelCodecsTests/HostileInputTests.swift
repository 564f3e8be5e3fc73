import Testing
import PixelCodecs

/// Hostile inputs must throw ``CodecError`` (or decode to a frame of the declared size), never crash, hang or
/// allocate without bound.
@Suite("Hostile inputs")
struct HostileInputTests {
    static let small = Fixtures.all.filter { f in f.codec != "rle" && (try? Fixtures.bytes(f.file).count).map { $0 <= 20_000 } == true }

    static func attempt(_ f: Fixture, _ data: [UInt8]) -> Bool {
        do {
            let frame = try decodeFixture(f, data)
            #expect(frame.bytes.count == frame.width * frame.height * frame.components * frame.bytesPerSample)
            return true
        } catch is CodecError {
            return false
        } catch {
            Issue.record("non-CodecError thrown: \(error)")
            return false
        }
    }

    @Test("truncated streams", arguments: small)
    func truncated(_ f: Fixture) throws {
        let data = try Fixtures.bytes(f.file)
        for cut in [0, 1, 2, 3, 11, data.count / 4, data.count / 2, data.count - 3] where cut < data.count {
            _ = Self.attempt(f, Array(data.prefix(cut)))
        }
        #expect(!Self.attempt(f, []))
        #expect(!Self.attempt(f, Array(data.prefix(2))))
    }

    @Test("random byte mutations", arguments: small)
    func mutated(_ f: Fixture) throws {
        let data = try Fixtures.bytes(f.file)
        var rng = XorShift(seed: UInt64(data.count))
        for _ in 0..<40 {
            var m = data
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                // bias towards the headers, where lengths and dimensions live
                let i = Int.random(in: 0..<min(m.count, Bool.random(using: &rng) ? 400 : m.count), using: &rng)
                m[i] = UInt8.random(in: 0...255, using: &rng)
            }
            _ = Self.attempt(f, m)
        }
    }

    @Test("garbage is rejected by every codec")
    func garbage() throws {
        var rng = XorShift(seed: 42)
        let junk = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &rng) }
        junk.withUnsafeBytes { raw in
            #expect(throws: CodecError.self) { try JPEGCodec.decode(raw) }
            #expect(throws: CodecError.self) { try JPEGLSCodec.decode(raw) }
            #expect(throws: CodecError.self) { try JPEG2000Codec.decode(raw) }
            #expect(throws: CodecError.self) { try RLECodec.decode(raw, rows: 64, columns: 64, samplesPerPixel: 1, bitsAllocated: 16) }
            #expect(throws: CodecError.self) { try Deflate.inflate(raw, maxOutput: 1 << 20) }
        }
        // JPEG SOI followed by garbage
        let soiJunk: [UInt8] = [0xFF, 0xD8] + junk
        #expect(throws: CodecError.self) { try soiJunk.withUnsafeBytes { try JPEGCodec.decode($0) } }
    }

    /// A minimal JPEG header declaring a 65535 x 65535 image with a few bytes of data.
    static func hugeJPEG(sof: UInt8, precision: UInt8, components: UInt8 = 1) -> [UInt8] {
        var d: [UInt8] = [0xFF, 0xD8]
        // DHT: one DC table with a single 1-bit code for category 0; one AC table with EOB.
        d += [0xFF, 0xC4, 0x00, 0x26, 0x00] + [1] + [UInt8](repeating: 0, count: 15) + [0]
        d += [0x10] + [1] + [UInt8](repeating: 0, count: 15) + [0]
        d += [0xFF, 0xDB, 0x00, 0x43, 0x00] + [UInt8](repeating: 1, count: 64)
        d += [0xFF, sof, 0x00, UInt8(8 + 3 * Int(components)), precision, 0xFF, 0xFF, 0xFF, 0xFF, components]
        for c in 0..<components { d += [c + 1, 0x11, 0] }
        d += [0xFF, 0xDA, 0x00, UInt8(6 + 2 * Int(components)), components]
        for c in 0..<components { d += [c + 1, 0x00] }
        d += sof == 0xC3 ? [1, 0, 0] : [0, 63, 0]
        d += [UInt8](repeating: 0, count: 64) + [0xFF, 0xD9]
        return d
    }

    @Test("huge declared JPEG dimensions are refused before allocation",
          arguments: [(UInt8(0xC3), UInt8(16)), (0xC1, 12), (0xC0, 8), (0xC2, 8), (0xC3, 8)])
    func hugeJPEG(sof: UInt8, precision: UInt8) {
        let d = Self.hugeJPEG(sof: sof, precision: precision, components: 3)
        let error = #expect(throws: CodecError.self) { try d.withUnsafeBytes { try JPEGCodec.decode($0) } }
        let message = error?.message ?? ""
        #expect(message.contains("cannot be coded") || message.contains("limit") || message.contains("not supported"), "\(message)")
    }

    @Test("a tiny valid-looking lossless stream decodes (the hostile-size generator is well formed)")
    func tinyLossless() throws {
        var d = Self.hugeJPEG(sof: 0xC3, precision: 16)
        // shrink the frame to 16 x 16: height at SOF+5, width at SOF+7
        let sofAt = d.indices.first { d[$0] == 0xFF && d[$0 + 1] == 0xC3 }!
        d[sofAt + 5] = 0; d[sofAt + 6] = 16; d[sofAt + 7] = 0; d[sofAt + 8] = 16
        let frame = try d.withUnsafeBytes { try JPEGCodec.decode($0) }
        #expect(frame.width == 16 && frame.height == 16)
        #expect(frame.bytes.allSatisfy { $0 == 0 || $0 == 0x80 })  // every sample = 2^(P-1) = 0x8000
    }

    @Test("huge declared JPEG-LS and JPEG 2000 dimensions are refused")
    func hugeOtherCodecs() throws {
        // JPEG-LS: patch SOF55 (FF F7) height/width to 65535.
        var jls = try Fixtures.bytes(try #require(Fixtures.named("jls_mr_lossless")).file)
        let s = try #require(jls.indices.first { jls[$0] == 0xFF && jls[$0 + 1] == 0xF7 })
        for k in 5...8 { jls[s + k] = 0xFF }
        #expect(throws: CodecError.self) { try jls.withUnsafeBytes { try JPEGLSCodec.decode($0) } }
        // And a small explicit output limit is honoured.
        let good = try Fixtures.bytes(try #require(Fixtures.named("jls_mr_lossless")).file)
        #expect(throws: CodecError.self) { try good.withUnsafeBytes { try JPEGLSCodec.decode($0, maxOutputBytes: 1000) } }

        // JPEG 2000: patch SIZ Xsiz/Ysiz (FF 51, then Lsiz, Rsiz, Xsiz, Ysiz) to 0x7FFFFFFF.
        var j2k = try Fixtures.bytes(try #require(Fixtures.named("j2k_mr_lossless")).file)
        let z = try #require(j2k.indices.first { j2k[$0] == 0xFF && j2k[$0 + 1] == 0x51 })
        for k in 6...13 { j2k[z + k] = (k == 6 || k == 10) ? 0x7F : 0xFF }
        #expect(throws: CodecError.self) { try j2k.withUnsafeBytes { try JPEG2000Codec.decode($0) } }
        let j2kGood = try Fixtures.bytes(try #require(Fixtures.named("j2k_mr_lossless")).file)
        #expect(throws: CodecError.self) { try j2kGood.withUnsafeBytes { try JPEG2000Codec.decode($0, maxOutputBytes: 1000) } }
    }
}
