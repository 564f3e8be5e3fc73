import Foundation

/// Encapsulated pixel data: the Basic Offset Table item and the fragments that follow it (PS3.5 §A.4).
public struct Fragments: Sendable, Equatable {
    /// Content of the first item (the Basic Offset Table, possibly empty).
    public var basicOffsetTable: DICOMBytes
    /// Every following item, in order.
    public var fragments: [DICOMBytes]
    /// Creates encapsulated pixel data.
    public init(basicOffsetTable: DICOMBytes = .empty, fragments: [DICOMBytes]) {
        self.basicOffsetTable = basicOffsetTable; self.fragments = fragments
    }
}

/// The value of a data element.
public enum Value: Sendable, Equatable {
    /// Raw value bytes as encoded (byte order given by ``Element/isBigEndian``), zero-copy.
    case bytes(DICOMBytes)
    /// Sequence items.
    case sequence([Dataset])
    /// Encapsulated pixel data.
    case fragments(Fragments)
}

/// A data element: tag, VR and value.
public struct Element: Sendable, Equatable {
    /// The tag.
    public var tag: Tag
    /// The value representation (explicit, or from the dictionary for implicit VR).
    public var vr: VR
    /// The value.
    public var value: Value
    /// Byte order of binary numbers in ``Value/bytes``.
    public var isBigEndian: Bool
    /// Byte offset of the element's header in the source, when read from one.
    public var offset: Int?

    /// Creates an element.
    public init(tag: Tag, vr: VR, value: Value, isBigEndian: Bool = false, offset: Int? = nil) {
        self.tag = tag; self.vr = vr; self.value = value; self.isBigEndian = isBigEndian; self.offset = offset
    }

    /// Creates an element from raw little-endian bytes.
    public init(tag: Tag, vr: VR, bytes: [UInt8]) { self.init(tag: tag, vr: vr, value: .bytes(DICOMBytes(bytes))) }

    public static func == (a: Element, b: Element) -> Bool {
        a.tag == b.tag && a.vr == b.vr && a.value == b.value && a.isBigEndian == b.isBigEndian
    }

    /// Raw bytes for a non-sequence, non-encapsulated value.
    public var bytes: DICOMBytes? { if case .bytes(let b) = value { return b } else { return nil } }
    /// Items of a sequence.
    public var items: [Dataset]? { if case .sequence(let s) = value { return s } else { return nil } }
    /// Encapsulated fragments.
    public var fragments: Fragments? { if case .fragments(let f) = value { return f } else { return nil } }

    /// Value length in bytes as encoded (0 for sequences; total of fragments for encapsulated data).
    public var valueLength: Int {
        switch value {
        case .bytes(let b): return b.count
        case .sequence: return 0
        case .fragments(let f): return f.fragments.reduce(f.basicOffsetTable.count) { $0 + $1.count }
        }
    }

    /// Whether the value is empty (zero length, or a sequence with no items).
    public var isEmpty: Bool {
        switch value {
        case .bytes(let b): return b.isEmpty
        case .sequence(let s): return s.isEmpty
        case .fragments(let f): return f.fragments.isEmpty
        }
    }

    // MARK: Decoding values

    /// The string values, split on backslash (except LT/ST/UT/UR), with insignificant padding removed:
    /// trailing spaces and NULs for all string VRs, leading spaces too except for LT, ST, UT.
    public func strings(_ charset: SpecificCharacterSet = .default) -> [String] {
        guard case .bytes(let b) = value, b.count > 0 else { return [] }
        if vr == .AT { return tags.map(\.hex) }
        if !vr.isString {
            if let d = numbers { return d.map { Self.format($0, vr) } }
            return []
        }
        let text: String = b.withUnsafeBytes { raw in
            vr.usesSpecificCharacterSet ? charset.decode(raw) : SpecificCharacterSet.latin1(raw)
        }
        let parts = vr.isSingleText ? [Substring(text)] : text.split(separator: "\\", omittingEmptySubsequences: false)
        if vr == .PN {
            // Trailing empty component groups carry no information (PS3.5 §6.2.1.1); components are kept as written.
            return parts.map { p in
                var s = Substring(Self.trim(p, vr))
                while s.last == "=" { s = s.dropLast() }
                return String(s)
            }
        }
        return parts.map { Self.trim($0, vr) }
    }

    static func trim(_ s: Substring, _ vr: VR) -> String {
        var end = s.endIndex
        while end > s.startIndex {
            let p = s.index(before: end)
            if s[p] == " " || s[p] == "\0" { end = p } else { break }
        }
        var start = s.startIndex
        if !(vr == .LT || vr == .ST || vr == .UT) {
            while start < end && s[start] == " " { start = s.index(after: start) }
        }
        return String(s[start..<end])
    }

    static func format(_ v: Double, _ vr: VR) -> String {
        switch vr {
        case .FL, .FD, .OF, .OD: return "\(vr == .FL || vr == .OF ? Double(Float(v)) : v)"
        default: return v == v.rounded() && abs(v) < 1e18 ? String(Int64(v)) : "\(v)"
        }
    }

    /// Binary numeric values (US, SS, UL, SL, FL, FD, SV, UV, OW, OF, OD, OL, OV), honoring byte order,
    /// or the numbers in an IS/DS string. nil for other VRs or malformed numeric strings.
    public var numbers: [Double]? {
        guard case .bytes(let b) = value else { return nil }
        if vr == .IS || vr == .DS {
            var out: [Double] = []
            for s in strings() {
                if s.isEmpty { continue }
                guard let d = Double(s) else { return nil }
                out.append(d)
            }
            return out
        }
        return b.withUnsafeBytes { raw -> [Double]? in
            let be = isBigEndian
            func read<T: FixedWidthInteger>(_: T.Type) -> [T] {
                let n = raw.count / MemoryLayout<T>.size
                return (0..<n).map { i in
                    let v = raw.loadUnaligned(fromByteOffset: i * MemoryLayout<T>.size, as: T.self)
                    return be ? T(bigEndian: v) : T(littleEndian: v)
                }
            }
            switch vr {
            case .US, .OW: return read(UInt16.self).map { Double($0) }
            case .SS: return read(Int16.self).map { Double($0) }
            case .UL, .OL: return read(UInt32.self).map { Double($0) }
            case .SL: return read(Int32.self).map { Double($0) }
            case .UV, .OV: return read(UInt64.self).map { Double($0) }
            case .SV: return read(Int64.self).map { Double($0) }
            case .FL, .OF: return read(UInt32.self).map { Double(Float(bitPattern: $0)) }
            case .FD, .OD: return read(UInt64.self).map { Double(bitPattern: $0) }
            default: return nil
            }
        }
    }

    /// Integer values (exact for 64-bit VRs; IS strings parsed; DS rounded toward zero only if integral).
    public var integers: [Int64]? {
        guard case .bytes(let b) = value else { return nil }
        switch vr {
        case .SV, .UV, .OV:
            return b.withUnsafeBytes { raw in
                (0..<raw.count / 8).map { i in
                    let v = raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self)
                    let u = isBigEndian ? UInt64(bigEndian: v) : UInt64(littleEndian: v)
                    return vr == .SV ? Int64(bitPattern: u) : Int64(bitPattern: u)
                }
            }
        case .IS:
            var out: [Int64] = []
            for s in strings() where !s.isEmpty {
                if let v = Int64(s) { out.append(v) } else if let d = Double(s), d == d.rounded() { out.append(Int64(d)) } else { return nil }
            }
            return out
        default:
            return numbers?.compactMap { $0 == $0.rounded() && abs($0) < 9.2e18 ? Int64($0) : nil }
        }
    }

    /// AT values.
    public var tags: [Tag] {
        guard vr == .AT, case .bytes(let b) = value else { return [] }
        return b.withUnsafeBytes { raw in
            (0..<raw.count / 4).map { i in
                var g = raw.loadUnaligned(fromByteOffset: i * 4, as: UInt16.self)
                var e = raw.loadUnaligned(fromByteOffset: i * 4 + 2, as: UInt16.self)
                g = isBigEndian ? UInt16(bigEndian: g) : UInt16(littleEndian: g)
                e = isBigEndian ? UInt16(bigEndian: e) : UInt16(littleEndian: e)
                return Tag(g, e)
            }
        }
    }

    /// Value multiplicity as encoded.
    public var multiplicity: Int {
        switch value {
        case .sequence(let s): return s.count
        case .fragments: return 1
        case .bytes(let b):
            if b.count == 0 { return 0 }
            if vr.isString { return vr.isSingleText ? 1 : b.withUnsafeBytes { $0.reduce(1) { $1 == 0x5C ? $0 + 1 : $0 } } }
            if vr == .AT { return b.count / 4 }
            if vr.isBinary { return 1 }
            if let w = vr.binaryWidth { return b.count / w }
            return 1
        }
    }
}
