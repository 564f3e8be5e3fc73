/// Pure-Swift JPEG decoder for the processes Debian's 8-bit libjpeg-turbo cannot decode:
/// lossless (SOF3, process 14) at precision 2...16 and Huffman sequential DCT (SOF0/SOF1) at 12 bits
/// (it also decodes 8-bit sequential streams, which the tests use to cross-check against libjpeg-turbo).
final class JPEGSwiftDecoder {
    struct Component {
        var id: UInt8
        var h: Int
        var v: Int
        var tq: Int
        var width = 0        // downsampled width in samples
        var height = 0
        var planeStride = 0  // allocated plane width (DCT: padded to whole MCUs)
        var planeRows = 0
        var dcPred = 0
    }

    static let codec = "JPEG"
    let src: UnsafePointer<UInt8>
    let count: Int
    let maxOutputBytes: Int
    let convertColor: Bool

    var sof: UInt8 = 0
    var precision = 0
    var width = 0
    var height = 0
    var comps: [Component] = []
    var hmax = 1
    var vmax = 1
    var mcusX = 0
    var mcusY = 0
    var quant = [[Int32]](repeating: [Int32](repeating: 0, count: 64), count: 4)
    var quantDefined = [Bool](repeating: false, count: 4)
    var dcTables = [HuffmanTable?](repeating: nil, count: 4)
    var acTables = [HuffmanTable?](repeating: nil, count: 4)
    var restartInterval = 0
    var sawJFIF = false
    var adobeTransform: Int? = nil
    var planes: [UnsafeMutableBufferPointer<UInt16>] = []
    var scans = 0

    init(_ data: UnsafeRawBufferPointer, maxOutputBytes: Int, convertColor: Bool) {
        src = data.baseAddress!.assumingMemoryBound(to: UInt8.self)
        count = data.count
        self.maxOutputBytes = maxOutputBytes
        self.convertColor = convertColor
    }

    deinit {
        for p in planes { p.deallocate() }
    }

    func fail(_ message: String, at offset: Int? = nil) -> CodecError {
        CodecError(codec: Self.codec, message: message, byteOffset: offset)
    }

    @inline(__always) func u16(_ i: Int) -> Int { Int(src[i]) << 8 | Int(src[i + 1]) }

    var isLossless: Bool { sof == 0xC3 }

    // MARK: Marker parsing

    func decode() throws(CodecError) -> DecodedFrame {
        guard count >= 4, src[0] == 0xFF, src[1] == 0xD8 else { throw fail("missing SOI marker", at: 0) }
        var pos = 2
        markers: while true {
            // Find the next marker, skipping garbage and fill bytes.
            while pos < count && src[pos] != 0xFF { pos += 1 }
            while pos < count && src[pos] == 0xFF { pos += 1 }
            guard pos < count else {
                if scans > 0 { break markers }  // missing EOI: tolerated, like IJG
                throw fail("truncated stream: no scan found", at: count)
            }
            let m = src[pos]
            let markerAt = pos - 1
            pos += 1
            switch m {
            case 0xD9:
                break markers
            case 0x01, 0xD0...0xD8:
                continue markers
            default:
                break
            }
            guard pos + 2 <= count else { throw fail("truncated marker segment", at: markerAt) }
            let len = u16(pos)
            guard len >= 2, pos + len <= count else {
                throw fail("marker 0xFF\(hex(m)) segment length \(len) exceeds the data", at: markerAt)
            }
            let seg = pos + 2
            let segEnd = pos + len
            pos = segEnd
            switch m {
            case 0xC0, 0xC1, 0xC3:
                try parseFrame(m, seg, segEnd, markerAt)
            case 0xC2:
                throw fail("progressive JPEG (SOF2) is only supported at 8 bits (via libjpeg)", at: markerAt)
            case 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF:
                throw fail("unsupported JPEG process (SOF 0x\(hex(m)): hierarchical or arithmetic coding)", at: markerAt)
            case 0xC4:
                try parseDHT(seg, segEnd)
            case 0xCC:
                throw fail("arithmetic coding conditioning (DAC) not supported", at: markerAt)
            case 0xDB:
                try parseDQT(seg, segEnd)
            case 0xDD:
                guard len == 4 else { throw fail("DRI length \(len) is not 4", at: markerAt) }
                restartInterval = u16(seg)
            case 0xDA:
                pos = try decodeScan(seg, segEnd, markerAt)
                scans += 1
            case 0xDC:
                break  // DNL: height must be in SOF; a DNL after it is ignored
            case 0xE0:
                if len >= 7 && src[seg] == 0x4A && src[seg + 1] == 0x46 && src[seg + 2] == 0x49
                    && src[seg + 3] == 0x46 && src[seg + 4] == 0 { sawJFIF = true }
            case 0xEE:
                if len >= 14 && src[seg] == 0x41 && src[seg + 1] == 0x64 && src[seg + 2] == 0x6F
                    && src[seg + 3] == 0x62 && src[seg + 4] == 0x65 { adobeTransform = Int(src[seg + 11]) }
            default:
                break  // APPn, COM, others: skip
            }
        }
        guard scans > 0 else { throw fail("no scan in JPEG stream", at: count) }
        return try assembleOutput()
    }

    func parseFrame(_ m: UInt8, _ seg: Int, _ segEnd: Int, _ at: Int) throws(CodecError) {
        guard sof == 0 else { throw fail("more than one SOF marker", at: at) }
        guard segEnd - seg >= 6 else { throw fail("SOF segment too short", at: at) }
        sof = m
        precision = Int(src[seg])
        height = u16(seg + 1)
        width = u16(seg + 3)
        let nf = Int(src[seg + 5])
        guard (1...4).contains(nf), segEnd - seg == 6 + 3 * nf else {
            throw fail("SOF declares \(nf) components; 1...4 with a matching length required", at: at)
        }
        if isLossless {
            guard (2...16).contains(precision) else { throw fail("lossless precision \(precision) not in 2...16", at: at) }
        } else {
            guard precision == 8 || precision == 12 else { throw fail("DCT precision \(precision) not 8 or 12", at: at) }
        }
        guard width > 0 else { throw fail("image width is 0", at: at) }
        guard height > 0 else { throw fail("image height 0 (DNL-defined height) not supported", at: at) }
        for i in 0..<nf {
            let b = seg + 6 + 3 * i
            let h = Int(src[b + 1] >> 4), v = Int(src[b + 1] & 15), tq = Int(src[b + 2])
            guard (1...4).contains(h), (1...4).contains(v), tq <= 3 else {
                throw fail("component \(i): sampling \(h)x\(v) or quantisation table \(tq) invalid", at: b)
            }
            if comps.contains(where: { $0.id == src[b] }) { throw fail("duplicate component id \(src[b])", at: b) }
            comps.append(Component(id: src[b], h: h, v: v, tq: tq))
        }
        hmax = comps.map(\.h).max()!
        vmax = comps.map(\.v).max()!
        let bps = precision > 8 ? 2 : 1
        guard checkedProduct([width, height, nf, bps], limit: maxOutputBytes) != nil else {
            throw fail("image \(width)x\(height)x\(nf) exceeds the output limit", at: at)
        }
        mcusX = (width + 8 * hmax - 1) / (8 * hmax)
        mcusY = (height + 8 * vmax - 1) / (8 * vmax)
        var totalPlane = 0
        var minimumBits = 0
        for i in comps.indices {
            comps[i].width = (width * comps[i].h + hmax - 1) / hmax
            comps[i].height = (height * comps[i].v + vmax - 1) / vmax
            if isLossless {
                comps[i].planeStride = comps[i].width
                comps[i].planeRows = comps[i].height
                minimumBits += comps[i].width * comps[i].height  // >= 1 bit per sample
            } else {
                comps[i].planeStride = mcusX * comps[i].h * 8
                comps[i].planeRows = mcusY * comps[i].v * 8
                // >= 2 bits per block (DC code and EOB)
                minimumBits += 2 * ((comps[i].width + 7) / 8) * ((comps[i].height + 7) / 8)
            }
            totalPlane += comps[i].planeStride * comps[i].planeRows
        }
        guard totalPlane * 2 <= maxOutputBytes * 2 + (1 << 20) else {
            throw fail("component buffers exceed the output limit", at: at)
        }
        guard minimumBits <= 8 * count else {
            throw fail("declared image \(width)x\(height)x\(nf) cannot be coded in \(count) bytes", at: at)
        }
        for c in comps {
            let p = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: c.planeStride * c.planeRows)
            p.initialize(repeating: 0)
            planes.append(p)
        }
    }

    func parseDQT(_ seg: Int, _ segEnd: Int) throws(CodecError) {
        var p = seg
        while p < segEnd {
            let pq = Int(src[p] >> 4), tq = Int(src[p] & 15)
            guard pq <= 1, tq <= 3 else { throw fail("DQT precision \(pq) / table \(tq) invalid", at: p) }
            let size = 64 * (pq + 1)
            guard p + 1 + size <= segEnd else { throw fail("DQT table overruns its segment", at: p) }
            for k in 0..<64 {
                let v = pq == 0 ? Int32(src[p + 1 + k]) : Int32(u16(p + 1 + 2 * k))
                quant[tq][jpegNaturalOrder[k]] = v
            }
            quantDefined[tq] = true
            p += 1 + size
        }
    }

    func parseDHT(_ seg: Int, _ segEnd: Int) throws(CodecError) {
        var p = seg
        while p < segEnd {
            guard p + 17 <= segEnd else { throw fail("DHT table header overruns its segment", at: p) }
            let tc = Int(src[p] >> 4), th = Int(src[p] & 15)
            guard tc <= 1, th <= 3 else { throw fail("DHT class \(tc) / table \(th) invalid", at: p) }
            var counts = [Int](repeating: 0, count: 16)
            for i in 0..<16 { counts[i] = Int(src[p + 1 + i]) }
            let n = counts.reduce(0, +)
            guard n <= 256, p + 17 + n <= segEnd else { throw fail("DHT values overrun its segment", at: p) }
            let values = Array(UnsafeBufferPointer(start: src + p + 17, count: n))
            guard let table = HuffmanTable(counts: counts, values: values) else {
                throw fail("bogus Huffman table definition", at: p)
            }
            if tc == 0 { dcTables[th] = table } else { acTables[th] = table }
            p += 17 + n
        }
    }

    // MARK: Scans

    /// Parses an SOS header, decodes its entropy-coded data and returns the position of the next marker.
    func decodeScan(_ seg: Int, _ segEnd: Int, _ at: Int) throws(CodecError) -> Int {
        guard sof != 0 else { throw fail("SOS before SOF", at: at) }
        guard segEnd > seg else { throw fail("empty SOS", at: at) }
        let ns = Int(src[seg])
        guard (1...4).contains(ns), segEnd - seg == 4 + 2 * ns else { throw fail("SOS component count \(ns) invalid", at: at) }
        var scanComps: [Int] = []
        var tds: [Int] = []
        var tas: [Int] = []
        for i in 0..<ns {
            let b = seg + 1 + 2 * i
            guard let ci = comps.firstIndex(where: { $0.id == src[b] }) else {
                throw fail("SOS names component \(src[b]) not in the frame", at: b)
            }
            let td = Int(src[b + 1] >> 4), ta = Int(src[b + 1] & 15)
            guard td <= 3, ta <= 3, dcTables[td] != nil, isLossless || acTables[ta] != nil else {
                throw fail("SOS component \(src[b]) refers to an undefined Huffman table", at: b)
            }
            guard !scanComps.contains(ci) else { throw fail("component repeated in SOS", at: b) }
            scanComps.append(ci)
            tds.append(td)
            tas.append(ta)
        }
        let ss = Int(src[segEnd - 3]), se = Int(src[segEnd - 2])
        let ah = Int(src[segEnd - 1] >> 4), al = Int(src[segEnd - 1] & 15)
        // End of the entropy-coded segment: the first marker other than RSTn.
        var e = segEnd
        while e + 1 < count {
            if src[e] == 0xFF {
                let n = src[e + 1]
                if n == 0 || (n >= 0xD0 && n <= 0xD7) { e += 2; continue }
                if n == 0xFF { e += 1; continue }
                break
            }
            e += 1
        }
        if e + 1 >= count { e = count }
        var reader = JPEGBitReader(src, start: segEnd, end: e)
        if isLossless {
            guard (1...7).contains(ss) else { throw fail("lossless predictor \(ss) not in 1...7", at: at) }
            guard al < precision else { throw fail("point transform \(al) >= precision", at: at) }
            try decodeLosslessScan(&reader, scanComps, tds.map { dcTables[$0]! }, predictor: ss, pt: al, at: at)
        } else {
            // A sequential (SOF0/SOF1) scan codes all 64 coefficients whatever Ss/Se/Ah/Al say. Some encoders (the
            // NEMA WG-04 12-bit NM test images) write Ss=0 Se=0; libjpeg and GDCM warn (JWRN_NOT_SEQUENTIAL) and
            // decode the full block, and so does this decoder.
            _ = (ss, se, ah, al)
            for ci in scanComps where !quantDefined[comps[ci].tq] {
                throw fail("quantisation table \(comps[ci].tq) not defined", at: at)
            }
            try decodeDCTScan(&reader, scanComps, tds.map { dcTables[$0]! }, tas.map { acTables[$0]! }, at: at)
        }
        return e
    }

    func decodeLosslessScan(_ r: inout JPEGBitReader, _ sc: [Int], _ tables: [HuffmanTable], predictor psv: Int,
                            pt: Int, at: Int) throws(CodecError) {
        let n = sc.count
        if n > 1 {
            for ci in sc where comps[ci].h != 1 || comps[ci].v != 1 {
                throw fail("interleaved lossless scan with sampling factors other than 1x1 not supported", at: at)
            }
        }
        let cw = comps[sc[0]].width, ch = comps[sc[0]].height
        let initial = 1 << (precision - pt - 1)
        var restartRow = 0, restartCol = 0
        var mcusLeft = restartInterval
        // Per-component plane pointers.
        let ptrs = sc.map { planes[$0] }
        for row in 0..<ch {
            for col in 0..<cw {
                if restartInterval > 0 {
                    if mcusLeft == 0 {
                        r.restart()
                        mcusLeft = restartInterval
                        restartRow = row
                        restartCol = col
                    }
                    mcusLeft &-= 1
                }
                for k in 0..<n {
                    let plane = ptrs[k]
                    guard let s = r.decode(tables[k]) else {
                        throw fail("invalid Huffman code in lossless scan (row \(row), column \(col))", at: r.pos)
                    }
                    let diff: Int
                    if s == 16 {
                        diff = 32768
                    } else if s > 16 {
                        throw fail("difference category \(s) > 16", at: r.pos)
                    } else {
                        diff = r.receiveExtend(s)
                    }
                    let i = row &* cw &+ col
                    let pred: Int
                    if row == restartRow {
                        pred = col == restartCol ? initial : Int(plane[i &- 1])
                    } else if col == 0 {
                        pred = Int(plane[i &- cw])
                    } else {
                        let ra = Int(plane[i &- 1]), rb = Int(plane[i &- cw]), rc = Int(plane[i &- cw &- 1])
                        switch psv {
                        case 1: pred = ra
                        case 2: pred = rb
                        case 3: pred = rc
                        case 4: pred = ra &+ rb &- rc
                        case 5: pred = ra &+ ((rb &- rc) >> 1)
                        case 6: pred = rb &+ ((ra &- rc) >> 1)
                        default: pred = (ra &+ rb) >> 1
                        }
                    }
                    plane[i] = UInt16(truncatingIfNeeded: pred &+ diff)
                }
            }
        }
        if pt > 0 {
            for ci in sc {
                let plane = planes[ci]
                for i in 0..<(comps[ci].width * comps[ci].height) { plane[i] = plane[i] << UInt16(pt) }
            }
        }
    }

    func decodeDCTScan(_ r: inout JPEGBitReader, _ sc: [Int], _ dcT: [HuffmanTable], _ acT: [HuffmanTable],
                       at: Int) throws(CodecError) {
        for ci in sc { comps[ci].dcPred = 0 }
        let coef = UnsafeMutablePointer<Int32>.allocate(capacity: 64)
        let ws = UnsafeMutablePointer<Int>.allocate(capacity: 64)
        defer { coef.deallocate(); ws.deallocate() }
        let pass1Bits = precision == 12 ? 1 : 2
        let center = 1 << (precision - 1), maxv = (1 << precision) - 1
        var mcusLeft = restartInterval

        func block(_ k: Int, _ bx: Int, _ by: Int) throws(CodecError) {
            let ci = sc[k]
            coef.initialize(repeating: 0, count: 64)
            let q = quant[comps[ci].tq]
            guard let t = r.decode(dcT[k]), t <= 16 else { throw fail("invalid DC Huffman code", at: r.pos) }
            comps[ci].dcPred &+= r.receiveExtend(t)
            coef[0] = Int32(truncatingIfNeeded: comps[ci].dcPred) &* q[0]
            var z = 1
            while z < 64 {
                guard let rs = r.decode(acT[k]) else { throw fail("invalid AC Huffman code", at: r.pos) }
                let run = rs >> 4, s = rs & 15
                if s == 0 {
                    if run == 15 { z &+= 16; continue }
                    break
                }
                z &+= run
                if z > 63 { break }
                let nat = jpegNaturalOrder[z]
                coef[nat] = Int32(truncatingIfNeeded: r.receiveExtend(s)) &* q[nat]
                z &+= 1
            }
            let c = comps[ci]
            let plane = planes[ci]
            guard bx * 8 + 8 <= c.planeStride, by * 8 + 8 <= c.planeRows else { return }
            idctIslow(coef, ws, plane.baseAddress! + (by * 8 * c.planeStride + bx * 8), stride: c.planeStride,
                      pass1Bits: pass1Bits, center: center, maxv: maxv)
        }
        func restartIfNeeded() {
            if restartInterval > 0 {
                if mcusLeft == 0 {
                    r.restart()
                    mcusLeft = restartInterval
                    for ci in sc { comps[ci].dcPred = 0 }
                }
                mcusLeft &-= 1
            }
        }
        if sc.count == 1 {
            let c = comps[sc[0]]
            let bw = (c.width + 7) / 8, bh = (c.height + 7) / 8
            for by in 0..<bh {
                for bx in 0..<bw {
                    restartIfNeeded()
                    try block(0, bx, by)
                }
            }
        } else {
            for my in 0..<mcusY {
                for mx in 0..<mcusX {
                    restartIfNeeded()
                    for k in 0..<sc.count {
                        let c = comps[sc[k]]
                        for v in 0..<c.v {
                            for h in 0..<c.h { try block(k, mx * c.h + h, my * c.v + v) }
                        }
                    }
                }
            }
        }
    }

    // MARK: Output

    func assembleOutput() throws(CodecError) -> DecodedFrame {
        let n = comps.count
        let bps = precision > 8 ? 2 : 1
        let pixels = width * height
        // Full-resolution component planes (upsampled where needed).
        var full: [UnsafeMutableBufferPointer<UInt16>] = []
        defer { for (k, f) in full.enumerated() where f.baseAddress != planes[k].baseAddress { f.deallocate() } }
        for k in 0..<n {
            let c = comps[k]
            let plane = planes[k]
            if c.h == hmax && c.v == vmax && c.planeStride == width {
                full.append(plane)
                continue
            }
            let out = UnsafeMutableBufferPointer<UInt16>.allocate(capacity: pixels)
            out.initialize(repeating: 0)
            full.append(out)
            if isLossless && (c.h != hmax || c.v != vmax) {
                throw fail("subsampled components in a lossless image not supported")
            }
            if c.h == hmax && c.v == vmax {
                for y in 0..<height {
                    for x in 0..<width { out[y * width + x] = plane[y * c.planeStride + x] }
                }
            } else if hmax == 2 * c.h && vmax == c.v && c.width > 2 {
                upsampleH2V1Fancy(plane, c, out)
            } else if hmax == 2 * c.h && vmax == 2 * c.v && c.width > 2 {
                upsampleH2V2Fancy(plane, c, out)
            } else if hmax % c.h == 0 && vmax % c.v == 0 {
                let fx = hmax / c.h, fy = vmax / c.v
                for y in 0..<height {
                    let srow = (y / fy) * c.planeStride
                    for x in 0..<width { out[y * width + x] = plane[srow + x / fx] }
                }
            } else {
                throw fail("non-integral sampling ratio \(hmax)/\(c.h) x \(vmax)/\(c.v) not supported")
            }
        }
        var bytes = [UInt8](repeating: 0, count: pixels * n * bps)
        let ycc = n == 3 && !isLossless && convertColor && isYCbCr
        bytes.withUnsafeMutableBufferPointer { dst in
            if ycc {
                let maxv = (1 << precision) - 1, center = 1 << (precision - 1)
                let y = full[0], cb = full[1], cr = full[2]
                for i in 0..<pixels {
                    let yy = Int(y[i]), b = Int(cb[i]) &- center, r = Int(cr[i]) &- center
                    let rv = yy &+ ((91881 &* r &+ 32768) >> 16)
                    let gv = yy &+ ((-22554 &* b &+ 32768 &- 46802 &* r) >> 16)
                    let bv = yy &+ ((116130 &* b &+ 32768) >> 16)
                    let vals = (Swift.min(Swift.max(rv, 0), maxv), Swift.min(Swift.max(gv, 0), maxv),
                                Swift.min(Swift.max(bv, 0), maxv))
                    let o = i &* 3 &* bps
                    if bps == 1 {
                        dst[o] = UInt8(vals.0); dst[o &+ 1] = UInt8(vals.1); dst[o &+ 2] = UInt8(vals.2)
                    } else {
                        dst[o] = UInt8(truncatingIfNeeded: vals.0); dst[o &+ 1] = UInt8(truncatingIfNeeded: vals.0 >> 8)
                        dst[o &+ 2] = UInt8(truncatingIfNeeded: vals.1); dst[o &+ 3] = UInt8(truncatingIfNeeded: vals.1 >> 8)
                        dst[o &+ 4] = UInt8(truncatingIfNeeded: vals.2); dst[o &+ 5] = UInt8(truncatingIfNeeded: vals.2 >> 8)
                    }
                }
            } else {
                for k in 0..<n {
                    let f = full[k]
                    var o = k &* bps
                    let step = n &* bps
                    for i in 0..<pixels {
                        let v = f[i]
                        dst[o] = UInt8(truncatingIfNeeded: v)
                        if bps == 2 { dst[o &+ 1] = UInt8(truncatingIfNeeded: v >> 8) }
                        o &+= step
                    }
                }
            }
        }
        return DecodedFrame(width: width, height: height, components: n, bitsPerSample: precision, isSigned: false,
                            bytesPerSample: bps, bytes: bytes)
    }

    /// libjpeg's guess of the colour space of a 3-component stream (jdapimin.c default_decompress_parms).
    var isYCbCr: Bool {
        if sawJFIF { return true }
        if let t = adobeTransform { return t != 0 }
        if comps.count == 3 && comps[0].id == 82 && comps[1].id == 71 && comps[2].id == 66 { return false }
        return true
    }

    /// IJG h2v1_fancy_upsample (triangle filter), on the downsampled component's real width.
    func upsampleH2V1Fancy(_ p: UnsafeMutableBufferPointer<UInt16>, _ c: Component, _ out: UnsafeMutableBufferPointer<UInt16>) {
        let w = c.width
        for y in 0..<height {
            let sr = Swift.min(y, c.height - 1) * c.planeStride
            for x in 0..<width {
                let j = x >> 1
                let cur = Int(p[sr + j]) * 3
                let v: Int
                if x & 1 == 0 {
                    v = (cur + Int(p[sr + Swift.max(j - 1, 0)]) + 1) >> 2
                } else {
                    v = (cur + Int(p[sr + Swift.min(j + 1, w - 1)]) + 2) >> 2
                }
                out[y * width + x] = UInt16(v)
            }
        }
    }

    /// IJG h2v2_fancy_upsample (triangle filter in both directions; edge rows and columns replicated).
    func upsampleH2V2Fancy(_ p: UnsafeMutableBufferPointer<UInt16>, _ c: Component, _ out: UnsafeMutableBufferPointer<UInt16>) {
        let w = c.width, h = c.height
        for y in 0..<height {
            let r = Swift.min(y >> 1, h - 1)
            let far = y & 1 == 0 ? Swift.max(r - 1, 0) : Swift.min(r + 1, h - 1)
            let r0 = r * c.planeStride, r1 = far * c.planeStride
            func colsum(_ j: Int) -> Int { Int(p[r0 + j]) * 3 + Int(p[r1 + j]) }
            for x in 0..<width {
                let j = x >> 1
                let this = colsum(j)
                let v: Int
                if x & 1 == 0 {
                    v = (this * 3 + colsum(Swift.max(j - 1, 0)) + 8) >> 4
                } else {
                    v = (this * 3 + colsum(Swift.min(j + 1, w - 1)) + 7) >> 4
                }
                out[y * width + x] = UInt16(v)
            }
        }
    }
}

@inline(__always) func hex(_ b: UInt8) -> String {
    let s = String(b, radix: 16, uppercase: true)
    return s.count == 1 ? "0" + s : s
}

/// IJG jidctint.c `jpeg_idct_islow` (accurate integer IDCT), on dequantised coefficients in natural order.
/// Output is level-shifted by `center` and clamped to 0...maxv.
@inline(__always)
func idctIslow(_ c: UnsafeMutablePointer<Int32>, _ ws: UnsafeMutablePointer<Int>, _ out: UnsafeMutablePointer<UInt16>,
               stride: Int, pass1Bits: Int, center: Int, maxv: Int) {
    let constBits = 13
    let f0298 = 2446, f0390 = 3196, f0541 = 4433, f0765 = 6270, f0899 = 7373, f1175 = 9633
    let f1501 = 12299, f1847 = 15137, f1961 = 16069, f2053 = 16819, f2562 = 20995, f3072 = 25172
    // Pass 1: columns.
    for col in 0..<8 {
        if c[8 + col] == 0 && c[16 + col] == 0 && c[24 + col] == 0 && c[32 + col] == 0
            && c[40 + col] == 0 && c[48 + col] == 0 && c[56 + col] == 0 {
            let dc = Int(c[col]) << pass1Bits
            for r in 0..<8 { ws[r * 8 + col] = dc }
            continue
        }
        var z2 = Int(c[16 + col]), z3 = Int(c[48 + col])
        var z1 = (z2 + z3) * f0541
        var tmp2 = z1 + z3 * -f1847
        var tmp3 = z1 + z2 * f0765
        z2 = Int(c[col]); z3 = Int(c[32 + col])
        var tmp0 = (z2 + z3) << constBits
        var tmp1 = (z2 - z3) << constBits
        let tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2
        tmp0 = Int(c[56 + col]); tmp1 = Int(c[40 + col]); tmp2 = Int(c[24 + col]); tmp3 = Int(c[8 + col])
        z1 = tmp0 + tmp3; z2 = tmp1 + tmp2; z3 = tmp0 + tmp2
        var z4 = tmp1 + tmp3
        let z5 = (z3 + z4) * f1175
        tmp0 *= f0298; tmp1 *= f2053; tmp2 *= f3072; tmp3 *= f1501
        z1 *= -f0899; z2 *= -f2562; z3 *= -f1961; z4 *= -f0390
        z3 += z5; z4 += z5
        tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4
        let sh = constBits - pass1Bits, rnd = 1 << (sh - 1)
        ws[col] = (tmp10 + tmp3 + rnd) >> sh
        ws[56 + col] = (tmp10 - tmp3 + rnd) >> sh
        ws[8 + col] = (tmp11 + tmp2 + rnd) >> sh
        ws[48 + col] = (tmp11 - tmp2 + rnd) >> sh
        ws[16 + col] = (tmp12 + tmp1 + rnd) >> sh
        ws[40 + col] = (tmp12 - tmp1 + rnd) >> sh
        ws[24 + col] = (tmp13 + tmp0 + rnd) >> sh
        ws[32 + col] = (tmp13 - tmp0 + rnd) >> sh
    }
    // Pass 2: rows.
    let sh = constBits + pass1Bits + 3, rnd = 1 << (sh - 1)
    @inline(__always) func clamp(_ v: Int) -> UInt16 { UInt16(Swift.min(Swift.max(v + center, 0), maxv)) }
    for row in 0..<8 {
        let w = ws + row * 8
        let o = out + row * stride
        var z2 = w[2], z3 = w[6]
        var z1 = (z2 + z3) * f0541
        var tmp2 = z1 + z3 * -f1847
        var tmp3 = z1 + z2 * f0765
        var tmp0 = (w[0] + w[4]) << constBits
        var tmp1 = (w[0] - w[4]) << constBits
        let tmp10 = tmp0 + tmp3, tmp13 = tmp0 - tmp3, tmp11 = tmp1 + tmp2, tmp12 = tmp1 - tmp2
        tmp0 = w[7]; tmp1 = w[5]; tmp2 = w[3]; tmp3 = w[1]
        z1 = tmp0 + tmp3; z2 = tmp1 + tmp2; z3 = tmp0 + tmp2
        var z4 = tmp1 + tmp3
        let z5 = (z3 + z4) * f1175
        tmp0 *= f0298; tmp1 *= f2053; tmp2 *= f3072; tmp3 *= f1501
        z1 *= -f0899; z2 *= -f2562; z3 *= -f1961; z4 *= -f0390
        z3 += z5; z4 += z5
        tmp0 += z1 + z3; tmp1 += z2 + z4; tmp2 += z2 + z3; tmp3 += z1 + z4
        o[0] = clamp((tmp10 + tmp3 + rnd) >> sh)
        o[7] = clamp((tmp10 - tmp3 + rnd) >> sh)
        o[1] = clamp((tmp11 + tmp2 + rnd) >> sh)
        o[6] = clamp((tmp11 - tmp2 + rnd) >> sh)
        o[2] = clamp((tmp12 + tmp1 + rnd) >> sh)
        o[5] = clamp((tmp12 - tmp1 + rnd) >> sh)
        o[3] = clamp((tmp13 + tmp0 + rnd) >> sh)
        o[4] = clamp((tmp13 - tmp0 + rnd) >> sh)
    }
}
