import Testing
import PixelCodecs

@Suite("JPEG-LS encode")
struct JPEGLSTests {
    /// CharLS encode -> decode: exact for NEAR=0, within NEAR otherwise; 8-bit RGB and 12/16-bit grey.
    @Test("encode/decode round trip", arguments: [(8, 3, 0), (12, 1, 0), (16, 1, 0), (16, 1, 3), (8, 1, 2)])
    func roundTrip(bits: Int, components: Int, near: Int) throws {
        var rng = XorShift(seed: UInt64(bits * 100 + components * 10 + near))
        let w = 45, h = 33
        let bps = bits > 8 ? 2 : 1
        var pixels = [UInt8](repeating: 0, count: w * h * components * bps)
        let maxv = (1 << bits) - 1
        for i in 0..<(w * h * components) {
            let v = min(maxv, (i % w) * maxv / w + Int.random(in: 0...7, using: &rng))
            pixels[i * bps] = UInt8(truncatingIfNeeded: v)
            if bps == 2 { pixels[i * bps + 1] = UInt8(truncatingIfNeeded: v >> 8) }
        }
        let encoded = try pixels.withUnsafeBytes {
            try JPEGLSCodec.encode($0, width: w, height: h, bitsPerSample: bits, components: components, nearLossless: near)
        }
        let frame = try encoded.withUnsafeBytes { try JPEGLSCodec.decode($0) }
        #expect(frame.width == w && frame.height == h && frame.components == components && frame.bitsPerSample == bits)
        let diff = maxAbsDiff(frame.bytes, pixels, bytesPerSample: bps, signed: false)
        #expect(diff != nil && diff! <= near)
    }
}
