/// Zigzag index -> natural (row-major) index, with 16 guard entries like IJG's `jpeg_natural_order`.
let jpegNaturalOrder: [Int] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
    12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
    35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
    58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
    63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
]

/// A Huffman decoding table (ITU T.81 Annex C/F.2.2.3) with a 9-bit lookahead.
struct HuffmanTable {
    static let lookBits = 9
    /// `(length << 8) | value` for codes of length <= 9, 0 where the slow path is needed.
    var lookup: [UInt16]
    var maxcode: [Int]   // index 1...16; -1 when no code of that length
    var valptr: [Int]
    var mincode: [Int]
    var values: [UInt8]

    /// Builds a table from the 16 code-length counts and the symbol values; nil when inconsistent.
    init?(counts: [Int], values: [UInt8]) {
        guard counts.count == 16, counts.reduce(0, +) == values.count, values.count <= 256 else { return nil }
        self.values = values
        lookup = [UInt16](repeating: 0, count: 1 << Self.lookBits)
        maxcode = [Int](repeating: -1, count: 18)
        valptr = [Int](repeating: 0, count: 18)
        mincode = [Int](repeating: 0, count: 18)
        var code = 0
        var k = 0
        for l in 1...16 {
            let n = counts[l - 1]
            valptr[l] = k
            mincode[l] = code
            for _ in 0..<n {
                if l <= Self.lookBits {
                    let shift = Self.lookBits - l
                    let first = code << shift
                    let entry = UInt16(l << 8) | UInt16(values[k])
                    for s in 0..<(1 << shift) { lookup[first | s] = entry }
                }
                code += 1
                k += 1
            }
            maxcode[l] = n > 0 ? code - 1 : -1
            if code > (1 << l) { return nil }  // over-subscribed code space
            code <<= 1
        }
        maxcode[17] = Int.max
    }
}

/// MSB-first bit reader over one entropy-coded segment, removing stuffed zero bytes. Past a marker or the end of
/// the segment it feeds zero bits, like IJG.
struct JPEGBitReader {
    let p: UnsafePointer<UInt8>
    let end: Int
    var pos: Int
    var acc: UInt64 = 0
    var bits: Int = 0
    var atMarker = false

    init(_ p: UnsafePointer<UInt8>, start: Int, end: Int) {
        self.p = p
        self.pos = start
        self.end = end
    }

    @inline(__always)
    mutating func fill() {
        while bits <= 56 {
            var b: UInt64 = 0
            if !atMarker && pos < end {
                let x = p[pos]
                if x == 0xFF {
                    if pos &+ 1 < end && p[pos &+ 1] == 0 {
                        b = 0xFF
                        pos &+= 2
                    } else {
                        atMarker = true
                    }
                } else {
                    b = UInt64(x)
                    pos &+= 1
                }
            }
            acc |= b << UInt64(56 &- bits)
            bits &+= 8
        }
    }

    @inline(__always)
    mutating func getBits(_ n: Int) -> Int {
        if n == 0 { return 0 }
        if bits < n { fill() }
        let v = Int(acc >> UInt64(64 &- n))
        acc <<= UInt64(n)
        bits &-= n
        return v
    }

    /// Decodes one Huffman symbol; nil for a code not in the table.
    @inline(__always)
    mutating func decode(_ t: borrowing HuffmanTable) -> Int? {
        if bits < 16 { fill() }
        let e = t.lookup[Int(acc >> UInt64(64 &- HuffmanTable.lookBits))]
        if e != 0 {
            let l = Int(e >> 8)
            acc <<= UInt64(l)
            bits &-= l
            return Int(e & 0xFF)
        }
        var l = HuffmanTable.lookBits &+ 1
        while l <= 16 {
            let code = Int(acc >> UInt64(64 &- l))
            if code <= t.maxcode[l] {
                acc <<= UInt64(l)
                bits &-= l
                return Int(t.values[t.valptr[l] &+ code &- t.mincode[l]])
            }
            l &+= 1
        }
        return nil
    }

    /// Reads `s` extra bits and sign-extends them (T.81 F.2.2.1 EXTEND).
    @inline(__always)
    mutating func receiveExtend(_ s: Int) -> Int {
        if s == 0 { return 0 }
        let v = getBits(s)
        return v < (1 << (s &- 1)) ? v &- (1 << s) &+ 1 : v
    }

    /// Handles a restart: drops buffered bits and skips the RSTn marker (or resynchronises on the next one).
    mutating func restart() {
        acc = 0
        bits = 0
        atMarker = false
        var q = pos
        while q &+ 1 < end {
            if p[q] == 0xFF && p[q &+ 1] >= 0xD0 && p[q &+ 1] <= 0xD7 {
                pos = q &+ 2
                return
            }
            q &+= 1
        }
        pos = end
    }
}
