import Foundation
import PixelCodecs

/// One entry of Fixtures/fixtures.json (written by scripts/make-codec-fixtures.sh).
struct Fixture: Decodable, Sendable, CustomStringConvertible {
    var name: String
    var codec: String
    var file: String
    var width: Int
    var height: Int
    var components: Int
    var bitsPerSample: Int
    var isSigned: Bool
    var bytesPerSample: Int
    var tolerance: Int
    var expectedSHA256: String
    var expected: String?
    var source: String
    var tool: String

    var description: String { name }
}

enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static let all: [Fixture] = {
        guard let data = try? Data(contentsOf: directory.appendingPathComponent("fixtures.json")),
              let list = try? JSONDecoder().decode([Fixture].self, from: data)
        else { return [] }
        return list
    }()

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func named(_ name: String) -> Fixture? { all.first { $0.name == name } }
}

/// Decodes a fixture's stream with the codec it names.
func decodeFixture(_ f: Fixture, _ stream: [UInt8]) throws -> DecodedFrame {
    try stream.withUnsafeBytes { raw throws -> DecodedFrame in
        switch f.codec {
        case "jpeg": return try JPEGCodec.decode(raw)
        case "jpegls": return try JPEGLSCodec.decode(raw)
        case "j2k": return try JPEG2000Codec.decode(raw)
        case "rle":
            let bytes = try RLECodec.decode(raw, rows: f.height, columns: f.width, samplesPerPixel: f.components,
                                            bitsAllocated: f.bytesPerSample * 8)
            return DecodedFrame(width: f.width, height: f.height, components: f.components,
                                bitsPerSample: f.bitsPerSample, isSigned: false, bytesPerSample: f.bytesPerSample,
                                bytes: bytes)
        default: fatalError("unknown codec \(f.codec)")
        }
    }
}

/// Largest absolute difference between two little-endian sample arrays (nil when sizes differ).
func maxAbsDiff(_ a: [UInt8], _ b: [UInt8], bytesPerSample: Int, signed: Bool) -> Int? {
    guard a.count == b.count, a.count % bytesPerSample == 0 else { return nil }
    var m = 0
    var i = 0
    while i < a.count {
        let x: Int, y: Int
        if bytesPerSample == 1 {
            x = signed ? Int(Int8(bitPattern: a[i])) : Int(a[i])
            y = signed ? Int(Int8(bitPattern: b[i])) : Int(b[i])
        } else {
            let ux = UInt16(a[i]) | UInt16(a[i + 1]) << 8, uy = UInt16(b[i]) | UInt16(b[i + 1]) << 8
            x = signed ? Int(Int16(bitPattern: ux)) : Int(ux)
            y = signed ? Int(Int16(bitPattern: uy)) : Int(uy)
        }
        m = max(m, abs(x - y))
        i += bytesPerSample
    }
    return m
}

/// Deterministic xorshift generator for reproducible "random" test data.
struct XorShift: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed == 0 ? 0x9E3779B97F4A7C15 : seed }
    mutating func next() -> UInt64 {
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return state
    }
}

/// Minimal SHA-256 (FIPS 180-4), to check large expected outputs stored as hashes.
func sha256Hex(_ message: [UInt8]) -> String {
    let k: [UInt32] = [
        0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
        0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
        0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
        0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
        0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
        0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
        0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
        0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
    ]
    var h: [UInt32] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
    var msg = message
    let bitLength = UInt64(message.count) * 8
    msg.append(0x80)
    while msg.count % 64 != 56 { msg.append(0) }
    for s in stride(from: 56, through: 0, by: -8) { msg.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(s))) }
    func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x >> n) | (x << (32 - n)) }
    var w = [UInt32](repeating: 0, count: 64)
    for chunk in stride(from: 0, to: msg.count, by: 64) {
        for i in 0..<16 {
            let b = chunk + 4 * i
            w[i] = UInt32(msg[b]) << 24 | UInt32(msg[b + 1]) << 16 | UInt32(msg[b + 2]) << 8 | UInt32(msg[b + 3])
        }
        for i in 16..<64 {
            let s0 = rotr(w[i - 15], 7) ^ rotr(w[i - 15], 18) ^ (w[i - 15] >> 3)
            let s1 = rotr(w[i - 2], 17) ^ rotr(w[i - 2], 19) ^ (w[i - 2] >> 10)
            w[i] = w[i - 16] &+ s0 &+ w[i - 7] &+ s1
        }
        var (a, b, c, d, e, f, g, hh) = (h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7])
        for i in 0..<64 {
            let t1 = hh &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ ((e & f) ^ (~e & g)) &+ k[i] &+ w[i]
            let t2 = (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ ((a & b) ^ (a & c) ^ (b & c))
            (hh, g, f, e, d, c, b, a) = (g, f, e, d &+ t1, c, b, a, t1 &+ t2)
        }
        for (i, v) in [a, b, c, d, e, f, g, hh].enumerated() { h[i] = h[i] &+ v }
    }
    return h.map { v in
        let s = String(v, radix: 16)
        return String(repeating: "0", count: 8 - s.count) + s
    }.joined()
}
