import DICOM
import Foundation

/// Query/retrieve levels (PS3.4 C.3).
public enum QueryLevel: String, Sendable, CaseIterable {
    case patient = "PATIENT", study = "STUDY", series = "SERIES", image = "IMAGE"
    /// The unique key of the level.
    public var uniqueKey: Tag {
        switch self {
        case .patient: .patientID
        case .study: .studyInstanceUID
        case .series: .seriesInstanceUID
        case .image: .sopInstanceUID
        }
    }
}

/// A query the archive cannot answer, with the DIMSE status to send (0xA900: identifier does not match SOP class).
public struct QueryFailure: Error, Sendable, CustomStringConvertible {
    /// DIMSE status.
    public var status: UInt16
    /// Why.
    public var message: String
    /// Creates a failure.
    public init(status: UInt16 = 0xA900, _ message: String) { self.status = status; self.message = message }
    /// The message.
    public var description: String { message }
}

/// C-FIND attribute matching (PS3.4 C.2.2.2): single value, universal, wildcard (`*`, `?`), range (DA, TM, DT),
/// list of UIDs, and sequence matching.
public enum QueryMatcher {
    /// Keys that steer the query rather than match: Query/Retrieve Level, Specific Character Set, group lengths.
    static func isControlKey(_ t: Tag) -> Bool {
        t == Tag(0x0008, 0x0052) || t == .specificCharacterSet || t.isGroupLength || t.group == 0x0000 || t.group == 0x0002
            || t == Tag(0x0008, 0x0054) || t == Tag(0x0008, 0x0056)
    }

    /// Date and Time attribute pairs that combined date-time matching joins.
    static let dateTimePairs: [(Tag, Tag)] = [
        (Tag(0x0008, 0x0020), Tag(0x0008, 0x0030)),   // Study Date/Time
        (Tag(0x0008, 0x0021), Tag(0x0008, 0x0031)),   // Series Date/Time
        (Tag(0x0008, 0x0022), Tag(0x0008, 0x0032)),   // Acquisition Date/Time
        (Tag(0x0008, 0x0023), Tag(0x0008, 0x0033)),   // Content Date/Time
        (Tag(0x0010, 0x0030), Tag(0x0010, 0x0032)),   // Patient's Birth Date/Time
    ]

    /// Whether `candidate` matches every key of `identifier`. With `combinedDateTime` (negotiated by SOP Class
    /// Extended Negotiation), a Date key and its Time key of which one holds a range are matched together as one
    /// DateTime range (PS3.4 C.2.2.2.5.2).
    public static func matches(_ identifier: Dataset, _ candidate: Dataset, combinedDateTime: Bool = false) -> Bool {
        var joined = Set<Tag>()
        if combinedDateTime {
            for (d, t) in dateTimePairs {
                let dk = trim(identifier.string(d) ?? "", vr: .DA), tk = trim(identifier.string(t) ?? "", vr: .TM)
                guard !dk.isEmpty, !tk.isEmpty, dk.contains("-") || tk.contains("-") else { continue }
                joined.insert(d); joined.insert(t)
                if !matchCombined(dateKey: dk, timeKey: tk, date: candidate.string(d).map { trim($0, vr: .DA) },
                                  time: candidate.string(t).map { trim($0, vr: .TM) }) { return false }
            }
        }
        for key in identifier where !isControlKey(key.tag) && !joined.contains(key.tag) {
            if !matches(key, candidate: candidate[key.tag], charset: identifier.characterSet, candidateCharset: candidate.characterSet) { return false }
        }
        return true
    }

    /// Whether one key matches the candidate's element (nil when the candidate lacks it).
    public static func matches(_ key: Element, candidate: Element?, charset: SpecificCharacterSet = .default,
                               candidateCharset: SpecificCharacterSet = .default) -> Bool {
        if key.vr == .SQ || key.items != nil {
            // Sequence matching (C.2.2.2.6): an empty key sequence or an item without keys is universal; otherwise
            // some candidate item must match every key of the key's item.
            guard let keyItem = key.items?.first, keyItem.contains(where: { !isControlKey($0.tag) }) else { return true }
            guard let items = candidate?.items else { return false }
            return items.contains { matches(keyItem, $0) }
        }
        let keyValues = key.strings(charset).map { trim($0, vr: key.vr) }
        // Universal matching: zero-length key.
        if keyValues.isEmpty || keyValues.allSatisfy({ $0.isEmpty }) { return true }
        guard key.vr.isString else { return true }  // binary keys: no matching defined; treated as return keys
        guard let candidate else { return false }
        let values = candidate.strings(candidateCharset).map { trim($0, vr: key.vr) }
        if values.isEmpty { return false }
        // A multi-valued key is a list (UID list matching, C.2.2.2.2; generalised to other VRs): any element may match.
        return keyValues.contains { k in values.contains { v in matchValue(k, v, vr: key.vr) } }
    }

    static func trim(_ s: String, vr: VR) -> String {
        var t = Substring(s)
        while let l = t.last, l == " " || l == "\0" { t = t.dropLast() }
        if vr != .LT && vr != .ST && vr != .UT { while let f = t.first, f == " " { t = t.dropFirst() } }
        return String(t)
    }

    /// One key value against one candidate value.
    public static func matchValue(_ key: String, _ value: String, vr: VR) -> Bool {
        switch vr {
        case .DA, .TM, .DT:
            if key.contains("-") { return matchRange(key, value, vr: vr) }
            return normalize(value, vr: vr, upper: false) == normalize(key, vr: vr, upper: false)
        case .UI:
            return key == value
        default:
            let caseInsensitive = vr == .PN
            let k = caseInsensitive ? key.uppercased() : key, v = caseInsensitive ? value.uppercased() : value
            if k.contains("*") || k.contains("?") { return wildcard(Array(k.unicodeScalars), Array(v.unicodeScalars)) }
            return k == v
        }
    }

    /// Combined date-time range matching: the bounds are date+time of each side (a date key without a range
    /// applies to both bounds, likewise a time key); a missing lower time is the start of the day, a missing upper
    /// time its end. A candidate without a time matches when its date lies in the range of dates.
    static func matchCombined(dateKey: String, timeKey: String, date: String?, time: String?) -> Bool {
        func bounds(_ k: String) -> (String, String) {
            guard k.contains("-") else { return (k, k) }
            let p = k.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            return (p[0], p.count > 1 ? p[1] : "")
        }
        guard let date, !date.isEmpty else { return false }
        let (d1, d2) = bounds(dateKey), (t1, t2) = bounds(timeKey)
        let v = normalize(date, vr: .DA, upper: false)
        guard let time, !time.isEmpty else {
            return (d1.isEmpty || v >= normalize(d1, vr: .DA, upper: false)) && (d2.isEmpty || v <= normalize(d2, vr: .DA, upper: true))
        }
        let vt = v + normalize(time, vr: .TM, upper: false)
        if !d1.isEmpty && vt < normalize(d1, vr: .DA, upper: false) + normalize(t1, vr: .TM, upper: false) { return false }
        if !d2.isEmpty && vt > normalize(d2, vr: .DA, upper: true) + normalize(t2, vr: .TM, upper: true) { return false }
        return true
    }

    /// Range matching: `a-b`, `-b`, `a-` (inclusive), on normalised date/time strings.
    static func matchRange(_ key: String, _ value: String, vr: VR) -> Bool {
        let parts = key.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return false }
        let v = normalize(value, vr: vr, upper: false)
        if !parts[0].isEmpty && v < normalize(parts[0], vr: vr, upper: false) { return false }
        if !parts[1].isEmpty && v > normalize(parts[1], vr: vr, upper: true) { return false }
        return true
    }

    /// Pads a date/time to a fixed width so lexicographic order is chronological; an upper bound is padded with
    /// the largest digits so `-1200` includes 12:00:59.
    static func normalize(_ s: String, vr: VR, upper: Bool) -> String {
        var t = s.replacingOccurrences(of: ":", with: "")
        if vr == .DA { t = t.replacingOccurrences(of: ".", with: "") }
        if vr == .DT, let plus = t.dropFirst().firstIndex(where: { $0 == "+" || $0 == "-" }) { t = String(t[..<plus]) }
        if vr == .TM || vr == .DT {
            let width = vr == .TM ? 6 : 14
            var parts = t.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            if parts.isEmpty { parts = [""] }
            var whole = parts[0]
            let fill: Character = upper ? "9" : "0"
            while whole.count < width { whole.append(fill) }
            var frac = parts.count > 1 ? parts[1] : ""
            while frac.count < 6 { frac.append(fill) }
            return whole + "." + frac
        }
        return t
    }

    /// `*` any sequence, `?` one character.
    static func wildcard(_ p: [Unicode.Scalar], _ s: [Unicode.Scalar]) -> Bool {
        var pi = 0, si = 0, star = -1, mark = 0
        while si < s.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == s[si]) { pi += 1; si += 1 }
            else if pi < p.count && p[pi] == "*" { star = pi; mark = si; pi += 1 }
            else if star >= 0 { pi = star + 1; mark += 1; si = mark }
            else { return false }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

extension Archive {
    /// Answers a C-FIND identifier (`studyRoot` false: Patient Root). Returns one identifier per matching entity with
    /// the requested keys filled in (empty when the archive has no value), plus the computed counts and
    /// Modalities/SOP Classes in Study when asked for; the first `offset` matches skipped, at most `limit` returned.
    ///
    /// The keys are matched in SQL where the index is the archive's database (Query+SQL.swift), then by
    /// ``QueryMatcher`` on what SQL returned; `matchInSQL` false matches in memory only (exact keys in SQL).
    public func find(identifier: Dataset, studyRoot: Bool, combinedDateTime: Bool = false, offset: Int = 0, limit: Int? = nil,
                     matchInSQL: Bool = true) throws -> [Dataset] {
        let (level, groups, paged) = try entities(identifier: identifier, studyRoot: studyRoot, combinedDateTime: combinedDateTime,
                                                  offset: offset, limit: limit, matchInSQL: matchInSQL)
        var results: [Dataset] = []
        for g in groups {
            var candidate = g.first!.header
            addComputed(&candidate, level: level, group: g)
            guard QueryMatcher.matches(identifier, candidate, combinedDateTime: combinedDateTime) else { continue }
            var r = Dataset()
            r.characterSet = candidate.characterSet
            if let cs = candidate[.specificCharacterSet] { r.set(cs) }
            for key in identifier where key.tag != .specificCharacterSet && !key.tag.isGroupLength {
                if key.tag == Tag(0x0008, 0x0052) { r.set(key); continue }
                if let v = candidate[key.tag] {
                    if let keyItem = key.items?.first, let items = v.items {
                        // Return only the requested keys of each item.
                        let trimmed = items.map { it -> Dataset in
                            var d = Dataset(); for k in keyItem { if let x = it[k.tag] { d.set(x) } }; return d
                        }
                        r.set(key.tag, sequence: trimmed)
                    } else { r.set(v) }
                } else {
                    r.set(Element(tag: key.tag, vr: key.vr, value: key.items != nil ? .sequence([]) : .bytes(.empty)))
                }
            }
            results.append(r)
        }
        return paged ? results : Array(results.dropFirst(offset).prefix(limit ?? Int.max))
    }

    /// The files a C-MOVE/C-GET identifier selects (all instances below the matching entities).
    public func locate(identifier: Dataset, studyRoot: Bool) throws -> [String] {
        let (level, groups, _) = try entities(identifier: identifier, studyRoot: studyRoot, matchInSQL: false)
        // Retrieval keys: the unique keys at and above the level (PS3.4 C.4.2.2.1); other keys are ignored.
        var keys = Dataset()
        for t in [Tag.patientID, .studyInstanceUID, .seriesInstanceUID, .sopInstanceUID] {
            if let e = identifier[t] { keys.set(e) }
            if t == level.uniqueKey { break }
        }
        guard let unique = identifier[level.uniqueKey], !unique.isEmpty || level == .patient else {
            throw QueryFailure("\(level.rawValue) level retrieval needs the unique key \(level.uniqueKey)")
        }
        _ = unique
        return groups.filter { QueryMatcher.matches(keys, $0.first!.header) }.flatMap { $0.map(\.path) }
    }

    private func entities(identifier: Dataset, studyRoot: Bool, combinedDateTime: Bool = false, offset: Int = 0, limit: Int? = nil,
                          matchInSQL: Bool) throws -> (QueryLevel, [[Instance]], paged: Bool) {
        guard let raw = identifier.string(Tag(0x0008, 0x0052)), let level = QueryLevel(rawValue: raw.uppercased()) else {
            throw QueryFailure("Query/Retrieve Level (0008,0052) missing or invalid")
        }
        if studyRoot && level == .patient { throw QueryFailure("PATIENT level is not part of the Study Root model") }
        func exact(_ t: Tag) -> [String]? {
            let v = identifier.strings(t).map { QueryMatcher.trim($0, vr: .LO) }.filter { !$0.isEmpty }
            guard !v.isEmpty, !v.contains(where: { $0.contains("*") || $0.contains("?") }) else { return nil }
            return v
        }
        if matchInSQL, let (keys, paged) = try entitiesMatchedInSQL(identifier: identifier, level: level, combinedDateTime: combinedDateTime,
                                                                   offset: offset, limit: limit) {
            // The instances of the matching entities, fetched by their keys (in chunks: bounded statement sizes), with
            // the exact-key restrictions of the in-memory path (they decide which instance a group starts with).
            var all: [Instance] = []
            for start in stride(from: 0, to: keys.count, by: 2000) {
                let chunk = Array(keys[start..<min(start + 2000, keys.count)])
                all += try instances(patientIDs: level == .patient ? chunk : exact(.patientID),
                                     studyUIDs: level == .study ? chunk : exact(.studyInstanceUID),
                                     seriesUIDs: level == .series ? chunk : level == .image ? exact(.seriesInstanceUID) : nil,
                                     sopUIDs: level == .image ? chunk : nil)
            }
            return (level, Self.group(all, level: level), paged)
        }
        let all = try instances(patientIDs: exact(.patientID), studyUIDs: exact(.studyInstanceUID),
                                seriesUIDs: level == .patient || level == .study ? nil : exact(.seriesInstanceUID),
                                sopUIDs: level == .image ? exact(.sopInstanceUID) : nil)
        return (level, Self.group(all, level: level), false)
    }

    /// Instances grouped by the level's entity, in the order each entity's first instance was indexed.
    private static func group(_ all: [Instance], level: QueryLevel) -> [[Instance]] {
        var order: [String] = []
        var groups: [String: [Instance]] = [:]
        for i in all {
            let key: String
            switch level {
            case .patient: key = i.patientID + "\u{1}" + (i.header.string(.patientName) ?? "")
            case .study: key = i.studyUID
            case .series: key = i.seriesUID
            case .image: key = i.sopInstanceUID
            }
            if groups[key] == nil { order.append(key); groups[key] = [] }
            groups[key]!.append(i)
        }
        return order.map { groups[$0]! }
    }

    private func addComputed(_ d: inout Dataset, level: QueryLevel, group: [Instance]) {
        func count(_ t: Tag, _ n: Int) { d.set(t, .IS, String(n)) }
        switch level {
        case .patient:
            count(Tag(0x0020, 0x1200), Set(group.map(\.studyUID)).count)
            count(Tag(0x0020, 0x1202), Set(group.map(\.seriesUID)).count)
            count(Tag(0x0020, 0x1204), group.count)
        case .study:
            count(Tag(0x0020, 0x1206), Set(group.map(\.seriesUID)).count)
            count(Tag(0x0020, 0x1208), group.count)
            var mods: [String] = [], classes: [String] = []
            for i in group {
                if let m = i.header.string(.modality), !mods.contains(m) { mods.append(m) }
                if let c = i.header.string(.sopClassUID), !classes.contains(c) { classes.append(c) }
            }
            d.set(Tag(0x0008, 0x0061), .CS, strings: mods)
            d.set(Tag(0x0008, 0x0062), .UI, strings: classes)
        case .series:
            count(Tag(0x0020, 0x1209), group.count)
        case .image: break
        }
    }
}
