/// One entry of the public data dictionary (PS3.6).
public struct DictionaryEntry: Sendable, Equatable {
    /// Tag, or for repeating groups the first matching tag pattern (`x` digits as 0).
    public let tag: Tag
    /// Value representations allowed (usually one; e.g. `[.US, .SS]` for "US or SS").
    public let vrs: [VR]
    /// Value multiplicity, e.g. `1`, `1-n`, `2-2n`.
    public let vm: String
    /// Keyword, e.g. `PatientName`.
    public let keyword: String
    /// Name, e.g. `Patient's Name`.
    public let name: String
    /// Whether the element is retired.
    public let isRetired: Bool
    /// The single VR to use where the encoding does not say (first listed).
    public var vr: VR { vrs.first ?? .UN }
}

/// The complete public DICOM data dictionary, generated from PS3.6 (see `scripts/generate-dictionary.py`),
/// and the private dictionary of known vendor creators.
public enum DataDictionary {
    struct Tables: Sendable {
        var exact: [UInt32: DictionaryEntry] = [:]
        var masked: [(mask: UInt32, value: UInt32, entry: DictionaryEntry)] = []
        var byKeyword: [String: DictionaryEntry] = [:]
    }

    static let tables: Tables = {
        var t = Tables()
        t.exact.reserveCapacity(5200)
        for f in tsvRows(dataDictionaryTable) {
            guard f.count >= 6 else { continue }
            let tagText = f[0]
            let vrs = f[1].split(separator: "|").compactMap { VR(rawValue: String($0)) }
            var mask: UInt32 = 0, value: UInt32 = 0
            for ch in tagText.utf8 {
                mask <<= 4; value <<= 4
                if ch != UInt8(ascii: "x") {
                    mask |= 0xF
                    value |= UInt32(ch <= 57 ? ch - 48 : ch - 55)
                }
            }
            let e = DictionaryEntry(tag: Tag(value), vrs: vrs, vm: String(f[2]), keyword: String(f[3]),
                                    name: String(f[4]), isRetired: !f[5].isEmpty)
            if mask == 0xFFFF_FFFF { t.exact[value] = e } else { t.masked.append((mask, value, e)) }
            if !e.keyword.isEmpty { t.byKeyword[e.keyword] = e }
        }
        return t
    }()

    /// Splits a generated tab-separated table into rows of fields, scanning UTF-8 bytes (fast: no grapheme breaking).
    static func tsvRows(_ table: String) -> [[String]] {
        var rows: [[String]] = []
        var table = table
        table.withUTF8 { buf in
            var fields: [String] = []
            var start = 0
            for i in 0..<buf.count {
                let b = buf[i]
                if b == 0x09 || b == 0x0A {
                    fields.append(String(decoding: UnsafeBufferPointer(rebasing: buf[start..<i]), as: UTF8.self))
                    start = i + 1
                    if b == 0x0A { rows.append(fields); fields.removeAll(keepingCapacity: true) }
                }
            }
            if start < buf.count || !fields.isEmpty {
                fields.append(String(decoding: UnsafeBufferPointer(rebasing: buf[start..<buf.count]), as: UTF8.self))
                rows.append(fields)
            }
        }
        return rows
    }

    /// The entry for a public tag (exact or repeating-group match), or nil.
    public static func entry(for tag: Tag) -> DictionaryEntry? {
        let t = tables
        if let e = t.exact[tag.value] { return e }
        if tag.isPrivate { return nil }
        if tag.element == 0 && tag.group != 0 {
            return DictionaryEntry(tag: tag, vrs: [.UL], vm: "1", keyword: "GenericGroupLength", name: "Group Length", isRetired: false)
        }
        for m in t.masked where tag.value & m.mask == m.value { return m.entry }
        return nil
    }

    /// The entry for a keyword such as `PatientName`.
    public static func entry(forKeyword keyword: String) -> DictionaryEntry? { tables.byKeyword[keyword] }

    /// The tag for a keyword, or nil.
    public static func tag(forKeyword keyword: String) -> Tag? { tables.byKeyword[keyword]?.tag }

    /// The keyword of a public tag, or for private creators `PrivateCreator`.
    public static func keyword(for tag: Tag) -> String? {
        if tag.isPrivateCreator { return "PrivateCreator" }
        return entry(for: tag)?.keyword
    }

    // MARK: Private dictionary

    struct PrivateEntry: Sendable { let vrs: [VR]; let vm: String; let name: String }
    static let privateTables: [String: [UInt32: PrivateEntry]] = {
        var t: [String: [UInt32: PrivateEntry]] = [:]
        for f in tsvRows(privateDictionaryTable) {
            guard f.count >= 5 else { continue }
            // mask "GGGGxxEE": key on group and low byte.
            let m = Array(f[1].utf8)
            guard m.count == 8, let g = UInt16(String(decoding: m[0..<4], as: UTF8.self), radix: 16),
                  let el = UInt8(String(decoding: m[6..<8], as: UTF8.self), radix: 16) else { continue }
            let vrs = f[2].split(separator: "|").compactMap { VR(rawValue: String($0)) }
            t[String(f[0]), default: [:]][UInt32(g) << 8 | UInt32(el)] = PrivateEntry(vrs: vrs, vm: String(f[3]), name: String(f[4]))
        }
        return t
    }()

    /// The VR of a private data element known for its creator (e.g. `GEMS_ACQU_01`), or nil.
    public static func privateVR(for tag: Tag, creator: String) -> VR? {
        privateTables[creator]?[UInt32(tag.group) << 8 | UInt32(tag.element & 0xFF)]?.vrs.first
    }

    /// The name of a private data element known for its creator, or nil.
    public static func privateName(for tag: Tag, creator: String) -> String? {
        privateTables[creator]?[UInt32(tag.group) << 8 | UInt32(tag.element & 0xFF)]?.name
    }
}

/// Names of UIDs from PS3.6 Table A-1 (transfer syntaxes, SOP classes, …).
public enum UIDDictionary {
    /// One entry of the UID registry.
    public struct Entry: Sendable { public let uid: String; public let name: String; public let type: String; public let keyword: String }
    static let table: [String: Entry] = {
        var t: [String: Entry] = [:]
        for f in DataDictionary.tsvRows(uidDictionaryTable) {
            guard f.count >= 4 else { continue }
            t[String(f[0])] = Entry(uid: String(f[0]), name: String(f[1]), type: String(f[2]), keyword: String(f[3]))
        }
        return t
    }()
    /// The registry entry for a UID, or nil.
    public static func entry(_ uid: String) -> Entry? { table[uid] }
    /// The name of a UID, or the UID itself when not in the registry.
    public static func name(_ uid: String) -> String { table[uid]?.name ?? uid }
    /// The keyword of a UID (e.g. `CTImageStorage`).
    public static func keyword(_ uid: String) -> String? { table[uid]?.keyword }
}
