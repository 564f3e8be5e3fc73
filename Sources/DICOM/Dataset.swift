import Foundation

/// A DICOM data set: elements ordered by tag, the one central model every reader, writer and IOD helper uses.
///
/// Values stay as zero-copy slices of the source until asked for. Nested sequence items are data sets too and
/// inherit the Specific Character Set of their parent unless they carry their own.
public struct Dataset: Sendable, Equatable, Sequence {
    /// Elements in ascending tag order.
    public private(set) var elements: [Element] = []
    /// The character set in effect for this data set (its own (0008,0005), else its parent's).
    public var characterSet: SpecificCharacterSet = .default

    /// An empty data set.
    public init() {}

    /// A data set from elements (sorted by tag; a later duplicate replaces an earlier one).
    public init(_ elements: [Element], characterSet: SpecificCharacterSet = .default) {
        self.characterSet = characterSet
        for e in elements { set(e) }
    }

    public static func == (a: Dataset, b: Dataset) -> Bool { a.elements == b.elements }

    public func makeIterator() -> IndexingIterator<[Element]> { elements.makeIterator() }

    /// Number of elements at this level.
    public var count: Int { elements.count }
    /// Whether there are no elements.
    public var isEmpty: Bool { elements.isEmpty }

    func index(of tag: Tag) -> (found: Bool, index: Int) {
        var lo = 0, hi = elements.count
        let v = tag.value
        while lo < hi {
            let mid = (lo + hi) >> 1
            let m = elements[mid].tag.value
            if m == v { return (true, mid) }
            if m < v { lo = mid + 1 } else { hi = mid }
        }
        return (false, lo)
    }

    /// The element with a tag, or nil.
    public subscript(tag: Tag) -> Element? {
        let (f, i) = index(of: tag)
        return f ? elements[i] : nil
    }

    /// The element with a keyword such as `PatientName`, or nil.
    public subscript(keyword: String) -> Element? {
        DataDictionary.tag(forKeyword: keyword).flatMap { self[$0] }
    }

    /// Whether an element is present.
    public func contains(_ tag: Tag) -> Bool { index(of: tag).found }

    /// Inserts or replaces an element (keeps tag order). Setting (0008,0005) updates ``characterSet``.
    public mutating func set(_ element: Element) {
        if let last = elements.last, last.tag < element.tag {
            elements.append(element)
        } else {
            let (f, i) = index(of: element.tag)
            if f { elements[i] = element } else { elements.insert(element, at: i) }
        }
        if element.tag == .specificCharacterSet {
            characterSet = SpecificCharacterSet(terms: element.strings())
        }
    }

    /// Appends an element known to come after every present tag (parser fast path; falls back to ``set(_:)``).
    mutating func appendOrdered(_ element: Element) {
        if let last = elements.last, !(last.tag < element.tag) { set(element); return }
        elements.append(element)
        if element.tag == .specificCharacterSet { characterSet = SpecificCharacterSet(terms: element.strings()) }
    }

    /// Removes an element; returns it if it was present.
    @discardableResult
    public mutating func remove(_ tag: Tag) -> Element? {
        let (f, i) = index(of: tag)
        return f ? elements.remove(at: i) : nil
    }

    /// Removes every element for which `predicate` is true (this level only).
    public mutating func removeAll(where predicate: (Element) -> Bool) { elements.removeAll(where: predicate) }

    // MARK: Typed access

    /// First string value (padding removed), or nil when absent or empty.
    public func string(_ tag: Tag) -> String? { strings(tag).first.flatMap { $0.isEmpty ? nil : $0 } }
    /// All string values.
    public func strings(_ tag: Tag) -> [String] { self[tag]?.strings(characterSet) ?? [] }
    /// First numeric value (binary VRs or IS/DS).
    public func double(_ tag: Tag) -> Double? { self[tag]?.numbers?.first }
    /// All numeric values.
    public func doubles(_ tag: Tag) -> [Double] { self[tag]?.numbers ?? [] }
    /// First integer value.
    public func int(_ tag: Tag) -> Int? { self[tag]?.integers?.first.map { Int($0) } }
    /// All integer values.
    public func ints(_ tag: Tag) -> [Int] { (self[tag]?.integers ?? []).map { Int($0) } }
    /// Items of a sequence (empty when absent).
    public func sequence(_ tag: Tag) -> [Dataset] { self[tag]?.items ?? [] }
    /// AT values.
    public func tagValues(_ tag: Tag) -> [Tag] { self[tag]?.tags ?? [] }

    // MARK: Typed mutation

    /// Sets string values (joined with backslash), validated against the VR on write.
    /// Text that the data set's character set cannot represent switches the data set to UTF-8 (ISO_IR 192),
    /// re-encoding its existing text first, so nothing is silently mis-encoded.
    public mutating func set(_ tag: Tag, _ vr: VR, strings values: [String]) {
        let text = values.joined(separator: "\\")
        if vr.usesSpecificCharacterSet && !characterSet.canEncode(text) { convertToUTF8() }
        var bytes = vr.usesSpecificCharacterSet ? characterSet.encode(text) : Array(text.utf8)
        if bytes.count % 2 == 1 { bytes.append(vr.paddingByte) }
        set(Element(tag: tag, vr: vr, bytes: bytes))
    }

    /// Re-encodes every text value (LO, LT, PN, SH, ST, UC, UT, here and in items) as UTF-8 and sets
    /// Specific Character Set to ISO_IR 192.
    public mutating func convertToUTF8() {
        let utf8 = SpecificCharacterSet(terms: ["ISO_IR 192"])
        func convert(_ d: inout Dataset, from cs: SpecificCharacterSet) {
            let source = d.contains(.specificCharacterSet) ? d.characterSet : cs
            for var e in d.elements {
                if var items = e.items {
                    for i in items.indices { convert(&items[i], from: source) }
                    e.value = .sequence(items); d.set(e)
                } else if e.vr.usesSpecificCharacterSet, let b = e.bytes, !b.isEmpty {
                    let text = b.withUnsafeBytes { source.decode($0) }
                    var bytes = Array(text.utf8)
                    if bytes.count % 2 == 1 { bytes.append(0x20) }
                    e.value = .bytes(DICOMBytes(bytes)); d.set(e)
                }
            }
            d.characterSet = utf8
        }
        if characterSet == utf8 { return }
        convert(&self, from: characterSet)
        set(Element(tag: .specificCharacterSet, vr: .CS, bytes: Array("ISO_IR 192".utf8)))
    }

    /// Sets a single string value.
    public mutating func set(_ tag: Tag, _ vr: VR, _ value: String) { set(tag, vr, strings: [value]) }

    /// Sets binary numeric values (little endian) for US, SS, UL, SL, FL, FD, SV, UV and the O* VRs.
    public mutating func set(_ tag: Tag, _ vr: VR, numbers values: [Double]) {
        var out: [UInt8] = []
        func put<T: FixedWidthInteger>(_ v: T) { withUnsafeBytes(of: v.littleEndian) { out.append(contentsOf: $0) } }
        for v in values {
            switch vr {
            case .US, .OW: put(UInt16(clamping: Int(v)))
            case .SS: put(Int16(clamping: Int(v)))
            case .UL, .OL: put(UInt32(clamping: Int64(v)))
            case .SL: put(Int32(clamping: Int64(v)))
            case .UV, .OV: put(UInt64(Swift.max(0, v)))
            case .SV: put(Int64(v))
            case .FL, .OF: put(Float(v).bitPattern)
            case .FD, .OD: put(v.bitPattern)
            case .IS, .DS:
                set(tag, vr, strings: values.map { vr == .IS ? String(Int(v)) : DecimalString.format($0) }); return
            default: break
            }
        }
        set(Element(tag: tag, vr: vr, bytes: out))
    }

    /// Sets a sequence.
    public mutating func set(_ tag: Tag, sequence items: [Dataset]) {
        set(Element(tag: tag, vr: .SQ, value: .sequence(items)))
    }

    /// The private creator string that reserves the block of a private data element, if present.
    public func privateCreator(for tag: Tag) -> String? {
        guard let c = tag.privateCreatorTag else { return nil }
        return string(c)
    }

    /// Finds the private data element `(group, xx element)` reserved by `creator`, e.g.
    /// `privateTag(creator: "GEMS_ACQU_01", group: 0x0009, element: 0x1E)`.
    public func privateTag(creator: String, group: UInt16, element: UInt8) -> Tag? {
        for block: UInt16 in 0x10...0xFF {
            if let c = self[Tag(group, block)], c.strings(characterSet).first == creator {
                return Tag(group, block << 8 | UInt16(element))
            }
        }
        return nil
    }

    /// Visits every element, depth first, including those inside sequence items.
    public func forEachRecursive(_ body: (Element, Int) throws -> Void, depth: Int = 0) rethrows {
        for e in elements {
            try body(e, depth)
            if let items = e.items { for item in items { try item.forEachRecursive(body, depth: depth + 1) } }
        }
    }
}

/// Formatting of decimal strings (DS) within 16 characters.
public enum DecimalString {
    /// Shortest representation of `v` that fits in 16 bytes.
    public static func format(_ v: Double) -> String {
        if v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
        var s = "\(v)"
        if s.count <= 16 { return s }
        for p in stride(from: 14, through: 1, by: -1) {
            s = String(format: "%.\(p)g", v)
            if s.count <= 16 { return s }
        }
        return String(format: "%.6g", v)
    }
}
