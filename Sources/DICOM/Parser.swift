import Foundation
import PixelCodecs

/// Limits that keep hostile input from exhausting the stack or memory.
public struct ParseLimits: Sendable {
    /// Deepest sequence nesting accepted.
    public var maxDepth = 48
    /// Largest inflated size of a deflated data set.
    public var maxInflatedBytes = 2 << 30
    /// Defaults.
    public init() {}
}

/// Options for reading.
public struct ReadOptions: Sendable {
    /// Stop before (7FE0,0010) and other pixel data at the top level (header-only reads).
    public var stopBeforePixels = false
    /// Resource limits.
    public var limits = ParseLimits()
    /// Defaults.
    public init(stopBeforePixels: Bool = false) { self.stopBeforePixels = stopBeforePixels }
}

/// The byte-level reader (PS3.5 §7): explicit/implicit VR, both byte orders, defined and undefined lengths.
struct Parser {
    let storage: ByteStorage
    let base: UnsafeRawPointer
    let end: Int
    var pos: Int
    let file: String?
    var explicit: Bool
    var bigEndian: Bool
    let limits: ParseLimits
    var stopBeforePixels = false
    var warnings: [String] = []

    init(storage: ByteStorage, start: Int, end: Int? = nil, file: String?, explicit: Bool, bigEndian: Bool, limits: ParseLimits) {
        self.storage = storage; base = storage.base; self.end = end ?? storage.count; pos = start
        self.file = file; self.explicit = explicit; self.bigEndian = bigEndian; self.limits = limits
    }

    func err(_ kind: DICOMError.Kind, _ tag: Tag?, _ offset: Int, _ msg: String) -> DICOMError {
        DICOMError(kind, file: file, tag: tag, offset: offset, msg)
    }

    @inline(__always) func u16(_ at: Int, _ be: Bool) -> UInt16 {
        let v = base.loadUnaligned(fromByteOffset: at, as: UInt16.self)
        return be ? UInt16(bigEndian: v) : UInt16(littleEndian: v)
    }
    @inline(__always) func u32(_ at: Int, _ be: Bool) -> UInt32 {
        let v = base.loadUnaligned(fromByteOffset: at, as: UInt32.self)
        return be ? UInt32(bigEndian: v) : UInt32(littleEndian: v)
    }
    @inline(__always) func tag(at: Int, _ be: Bool) -> Tag { Tag(u16(at, be), u16(at + 2, be)) }

    func bytes(_ offset: Int, _ count: Int) -> DICOMBytes { DICOMBytes(storage: storage, offset: offset, count: count) }

    /// Whether the rest of the stream is only NUL/space padding.
    func onlyPadding(from: Int, to: Int) -> Bool {
        for i in from..<to where base.load(fromByteOffset: i, as: UInt8.self) != 0 { return false }
        return true
    }

    /// Reads elements until `limit` (defined length) or an Item Delimitation Item (undefined length item).
    /// `groupFilter` stops before the first tag whose group differs (used for the file meta group).
    mutating func parseDataset(limit: Int, undefinedItem: Bool, depth: Int, charset: SpecificCharacterSet,
                               parent: Dataset?, onlyGroup: UInt16? = nil) throws(DICOMError) -> Dataset {
        var ds = Dataset()
        ds.characterSet = charset
        while pos < limit {
            let start = pos
            if limit - pos < 8 {
                if onlyPadding(from: pos, to: limit) || depth == 0 && onlyGroup == nil { 
                    if !onlyPadding(from: pos, to: limit) { warnings.append("ignored \(limit - pos) trailing bytes at byte \(pos)") }
                    pos = limit; break
                }
                throw err(.truncated, nil, pos, "truncated element header (\(limit - pos) bytes left)")
            }
            let be = bigEndian
            let t = tag(at: pos, be)
            // Item tags are always little endian in LE streams; a BE stream writes them big endian.
            if t == .itemDelimitation {
                pos += 8
                if undefinedItem { return ds }
                warnings.append("stray item delimitation at byte \(start)")
                continue
            }
            if t == .sequenceDelimitation && depth == 0 {
                warnings.append("stray sequence delimitation at byte \(start)"); pos += 8; continue
            }
            if let g = onlyGroup, t.group != g { break }
            if stopBeforePixels && depth == 0 && (t == .pixelData || t == .floatPixelData || t == .doubleFloatPixelData) {
                pos = limit; break
            }
            if t.group == 0 && t.element == 0 && depth == 0 && onlyGroup == nil && onlyPadding(from: pos, to: limit) {
                pos = limit; break // trailing NUL padding after the data set
            }
            var vr: VR
            var length: UInt32
            var vrFromDictionary = false
            var headerExplicit = explicit
            if explicit && t.group != 0xFFFE {
                let b0 = base.load(fromByteOffset: pos + 4, as: UInt8.self), b1 = base.load(fromByteOffset: pos + 5, as: UInt8.self)
                if let v = VR(byte0: b0, byte1: b1) {
                    vr = v
                    if v.hasLongLength {
                        guard limit - pos >= 12 else { throw err(.truncated, t, pos, "truncated element header") }
                        length = u32(pos + 8, be); pos += 12
                    } else {
                        length = UInt32(u16(pos + 6, be)); pos += 8
                    }
                } else if b0 == 0 && b1 == 0 || b0 == 0x20 && b1 == 0x20 {
                    // Some writers emit a blank VR: treat like UN with a 4-byte length (dcmtk does the same).
                    guard limit - pos >= 12 else { throw err(.truncated, t, pos, "truncated element header") }
                    vr = .UN; length = u32(pos + 8, be); pos += 12
                    warnings.append("blank VR for \(t) at byte \(start), read as UN")
                } else {
                    // Not a VR: this element is implicit VR (a known writer bug); read it that way.
                    headerExplicit = false
                    vr = .UN; length = u32(pos + 4, be); pos += 8
                    warnings.append("invalid VR bytes for \(t) at byte \(start), element read as implicit VR")
                }
            } else {
                vr = .UN; length = u32(pos + 4, be); pos += 8
            }
            if !headerExplicit || t.group == 0xFFFE {
                vr = implicitVR(for: t, in: ds, parent: parent)
                vrFromDictionary = true
            } else if vr == .UN {
                // Explicit UN for a tag the dictionary knows: re-interpret (pydicom's replace_un_with_known_vr).
                if t.isPrivate {
                    let pv = privateVR(for: t, in: ds)
                    if pv != .UN { vr = pv; vrFromDictionary = true }
                } else if length == 0xFFFF_FFFF || length < 0xFFFF, let e = DataDictionary.entry(for: t) {
                    vr = e.vr; vrFromDictionary = true
                }
            }
            if t.group == 0xFFFE {
                throw err(.malformed, t, start, "unexpected item tag in a data set")
            }
            // Value
            let element: Element
            // An explicit UN (whatever VR the dictionary gives it now) and an implicit element hold
            // implicit VR little endian items when they turn out to be sequences (PS3.5 §6.2.2).
            let explicitUN = headerExplicit && t.group != 0xFFFE && vrFromDictionary
            if length == 0xFFFF_FFFF {
                if t == .pixelData && vr != .SQ {
                    let frags = try parseFragments(tag: t)
                    element = Element(tag: t, vr: .OB, value: .fragments(frags), isBigEndian: be, offset: start)
                } else if vr == .SQ || vr == .UN || explicitUN || !headerExplicit {
                    let items = try withEncoding(implicitLE: explicitUN || (headerExplicit && vr == .UN)) { (p: inout Parser) throws(DICOMError) in
                        try p.parseItems(tag: t, limit: limit, undefined: true, depth: depth, charset: ds.characterSet, parent: ds)
                    }
                    element = Element(tag: t, vr: .SQ, value: .sequence(items), isBigEndian: be, offset: start)
                } else {
                    throw err(.malformed, t, start, "undefined length for VR \(vr)")
                }
            } else {
                let n = Int(length)
                guard n <= limit - pos else {
                    throw err(.truncated, t, start, "value length \(n) exceeds the \(limit - pos) bytes left")
                }
                if vr == .SQ {
                    let valueEnd = pos + n
                    let items = try withEncoding(implicitLE: explicitUN) { (p: inout Parser) throws(DICOMError) in
                        try p.parseItems(tag: t, limit: valueEnd, undefined: false, depth: depth, charset: ds.characterSet, parent: ds)
                    }
                    pos = valueEnd
                    element = Element(tag: t, vr: .SQ, value: .sequence(items), isBigEndian: be, offset: start)
                } else if vr == .UN && !headerExplicit && n >= 8 && !bigEndian && tag(at: pos, false) == .item,
                          let items = tryItems(tag: t, limit: pos + n, depth: depth, charset: ds.characterSet, parent: ds) {
                    // An implicit VR element of unknown VR whose value is a run of items is a sequence
                    // (private sequences written implicit VR); if the items do not parse, keep the bytes.
                    pos += n
                    element = Element(tag: t, vr: .SQ, value: .sequence(items), isBigEndian: be, offset: start)
                } else {
                    element = Element(tag: t, vr: vr, value: .bytes(bytes(pos, n)), isBigEndian: be, offset: start)
                    pos += n
                }
            }
            ds.appendOrdered(element)
        }
        if undefinedItem && pos >= limit && depth > 0 {
            throw err(.truncated, nil, pos, "item of undefined length not terminated before end of data")
        }
        resolveAmbiguousVRs(&ds, parent: parent)
        return ds
    }

    /// Parses items in `[pos, limit)` without moving `pos`; nil when they do not parse exactly to the limit.
    mutating func tryItems(tag: Tag, limit: Int, depth: Int, charset: SpecificCharacterSet, parent: Dataset) -> [Dataset]? {
        let saved = pos, savedWarnings = warnings.count
        defer { pos = saved }
        do {
            let items = try parseItems(tag: tag, limit: limit, undefined: false, depth: depth, charset: charset, parent: parent)
            return pos == limit ? items : nil
        } catch {
            warnings.removeSubrange(savedWarnings...)
            return nil
        }
    }

    /// Runs `body` with implicit VR little endian in force when `implicitLE`, restoring the encoding after.
    mutating func withEncoding<R>(implicitLE: Bool, _ body: (inout Parser) throws(DICOMError) -> R) throws(DICOMError) -> R {
        let wasExplicit = explicit, wasBE = bigEndian
        if implicitLE { explicit = false; bigEndian = false }
        defer { explicit = wasExplicit; bigEndian = wasBE }
        return try body(&self)
    }

    /// VR for implicit VR (and item headers): public dictionary, private dictionary via the creator, or UN.
    func implicitVR(for t: Tag, in ds: Dataset, parent: Dataset?) -> VR {
        if t.isPrivate { return privateVR(for: t, in: ds) }
        if let e = DataDictionary.entry(for: t) { return e.vr }
        return t.element == 0 ? .UL : .UN
    }

    func privateVR(for t: Tag, in ds: Dataset) -> VR {
        if t.isPrivateCreator { return .LO }
        if let c = t.privateCreatorTag, let creator = ds.string(c), let v = DataDictionary.privateVR(for: t, creator: creator) { return v }
        return .UN
    }

    /// pydicom-compatible resolution of "US or SS", "OB or OW" and "US or OW" for VRs taken from the dictionary.
    func resolveAmbiguousVRs(_ ds: inout Dataset, parent: Dataset?) {
        let pixelRep = ds.int(.pixelRepresentation) ?? parent?.int(.pixelRepresentation)
        var changes: [Element] = []
        for var e in ds.elements {
            guard let entry = DataDictionary.entry(for: e.tag), entry.vrs.count > 1, entry.vrs.contains(e.vr),
                  e.items == nil, e.fragments == nil else { continue }
            let set = Set(entry.vrs)
            var newVR = e.vr
            if set.contains(.SS) && set.contains(.US) {
                if let pr = pixelRep { newVR = pr == 0 ? .US : .SS }
            } else if set == [.OB, .OW] {
                if !explicit { newVR = .OW }
            } else if set == [.US, .OW] {
                newVR = .US
            }
            if newVR != e.vr && !(explicit && !entry.vrs.contains(e.vr)) {
                e.vr = newVR; changes.append(e)
            }
        }
        for e in changes { ds.set(e) }
    }

    /// Sequence items until the limit or a Sequence Delimitation Item.
    mutating func parseItems(tag: Tag, limit: Int, undefined: Bool, depth: Int, charset: SpecificCharacterSet, parent: Dataset) throws(DICOMError) -> [Dataset] {
        guard depth + 1 <= limits.maxDepth else {
            throw err(.limit, tag, pos, "sequences nested deeper than \(limits.maxDepth) levels")
        }
        var items: [Dataset] = []
        while true {
            if !undefined && pos >= limit { break }
            guard limit - pos >= 8 else {
                throw err(.truncated, tag, pos, undefined ? "sequence of undefined length not terminated" : "truncated item header")
            }
            let it = self.tag(at: pos, bigEndian)
            let len = u32(pos + 4, bigEndian)
            let itemStart = pos
            if it == .sequenceDelimitation { pos += 8; break }
            guard it == .item else {
                throw err(.malformed, tag, pos, "expected an item tag (FFFE,E000) in sequence, found \(it)")
            }
            pos += 8
            if len == 0xFFFF_FFFF {
                let item = try parseDataset(limit: limit, undefinedItem: true, depth: depth + 1, charset: charset, parent: parent)
                items.append(item)
            } else {
                let n = Int(len)
                guard n <= limit - pos else { throw err(.truncated, tag, itemStart, "item length \(n) exceeds the \(limit - pos) bytes left") }
                let item = try parseDataset(limit: pos + n, undefinedItem: false, depth: depth + 1, charset: charset, parent: parent)
                pos = itemStart + 8 + n
                items.append(item)
            }
        }
        return items
    }

    /// Encapsulated pixel data: offset table item, fragments, sequence delimiter.
    mutating func parseFragments(tag: Tag) throws(DICOMError) -> Fragments {
        var bot: DICOMBytes? = nil
        var frags: [DICOMBytes] = []
        // Some writers end the file inside the last fragment or leave out the sequence delimiter; pydicom and GDCM
        // read what is there. At the end of the data, so does Scinti, with a warning naming the byte offset.
        let atEnd = end == storage.count
        while true {
            if end - pos < 8 {
                guard atEnd, bot != nil else { throw err(.truncated, tag, pos, "encapsulated pixel data not terminated") }
                if pos < end { warnings.append("\(end - pos) bytes after the last pixel data fragment ignored at byte \(pos)") }
                warnings.append("encapsulated pixel data not terminated by a sequence delimiter: read to the end of the file at byte \(end)")
                pos = end
                break
            }
            let it = self.tag(at: pos, bigEndian)
            let len = u32(pos + 4, bigEndian)
            if it == .sequenceDelimitation { pos += 8; break }
            guard it == .item else { throw err(.malformed, tag, pos, "expected a fragment item (FFFE,E000), found \(it)") }
            guard len != 0xFFFF_FFFF else { throw err(.malformed, tag, pos, "fragment of undefined length") }
            var n = Int(len)
            if n > end - pos - 8 {
                guard atEnd, bot != nil else { throw err(.truncated, tag, pos, "fragment length \(n) exceeds the \(end - pos - 8) bytes left") }
                warnings.append("last pixel data fragment at byte \(pos) declares \(n) bytes but the file ends after \(end - pos - 8): read to the end of the file")
                n = end - pos - 8
            }
            let b = bytes(pos + 8, n)
            if bot == nil { bot = b } else { frags.append(b) }
            pos += 8 + n
        }
        return Fragments(basicOffsetTable: bot ?? .empty, fragments: frags)
    }
}
