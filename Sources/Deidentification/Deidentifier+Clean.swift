import DICOM
import Foundation

/// One object's de-identification: the table's action applied to every element, recursively through sequences.
struct Run {
    let deid: Deidentifier
    /// Days added to every date (0 without Modified Dates).
    let offsetDays: Int
    /// The patient's pseudonym (Patient's Name and Patient ID).
    let pseudonym: String
    /// UIDs replaced, original → new.
    var uids: [String: String] = [:]
    /// Words of the identifying attributes of this object (names, IDs, dates, places), upper-cased: removed from the
    /// descriptors that Clean Descriptors keeps.
    var identifyingWords: Set<String> = []

    /// How elements the table does not list are treated inside a sequence.
    enum Mode {
        /// Kept (dates moved under Modified Dates).
        case normal
        /// Inside a sequence replaced by a dummy (Content Sequence, Operator Identification…): free text becomes a dummy.
        case dummyContent
        /// Inside a sequence that is cleaned: free text loses identifying words.
        case cleanText
        /// Inside a code sequence of standard vocabulary: kept.
        case vocabulary
    }

    var options: Set<DeidentificationOption> { deid.options }
    var modifiedDates: Bool { options.contains(.retainLongitudinalModifiedDates) }
    var fullDates: Bool { options.contains(.retainLongitudinalFullDates) }

    static let freeTextVRs: Set<VR> = [.PN, .LO, .SH, .LT, .ST, .UT, .UC, .UR, .AE]

    /// Collects the words of every attribute the profile removes or replaces (not the descriptors themselves).
    mutating func collectIdentifyingWords(_ ds: Dataset) {
        identifyingWords = Run.identifyingWords(ds)
    }

    /// The words of every attribute the profile removes or replaces (not the descriptors themselves), upper-cased.
    static func identifyingWords(_ ds: Dataset) -> Set<String> {
        var words: Set<String> = []
        ds.forEachRecursive { e, _ in
            guard !e.tag.isPrivate, e.vr.isString, e.vr != .UI, let row = ConfidentialityProfileTable.row(for: e.tag),
                  row.basic != .keep, row.basic != .uid, row.options[.cleanDescriptors] == nil else { return }
            for value in e.strings(ds.characterSet) { for w in Run.words(value) where w.count >= 3 { words.insert(w) } }
        }
        return words
    }

    /// Alphanumeric runs of a text, upper-cased.
    static func words(_ text: String) -> [String] {
        text.uppercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map(String.init)
    }

    // MARK: Data sets

    mutating func clean(_ ds: Dataset, mode: Mode) -> Dataset {
        var out = ds
        var keptCreators: Set<Tag> = []
        for e in ds.elements {
            let t = e.tag
            if t.group == 0x0002 || (t.element == 0 && t.group != 0) { out.remove(t); continue }
            if t.group & 1 == 1 {
                if t.isPrivateCreator { continue }
                if let kept = safePrivate(e, in: ds), let creator = t.privateCreatorTag {
                    out.set(kept); keptCreators.insert(creator)
                } else {
                    out.remove(t)
                }
                continue
            }
            if let replaced = apply(e, charset: ds.characterSet, mode: mode) { out.set(replaced) } else { out.remove(t) }
        }
        for e in ds.elements where e.tag.isPrivateCreator && !keptCreators.contains(e.tag) { out.remove(e.tag) }
        return out
    }

    mutating func apply(_ e: Element, charset: SpecificCharacterSet, mode: Mode) -> Element? {
        guard let row = ConfidentialityProfileTable.row(for: e.tag) else { return unlisted(e, charset: charset, mode: mode) }
        if e.tag == .patientName || e.tag == .patientID {
            return string(e, [pseudonym], charset: charset)
        }
        switch row.action(for: options) {
        case .remove: return nil
        case .zero, .removeOrZero: return zero(e)
        case .dummy, .removeOrDummy: return dummy(e, charset: charset)
        case .zeroOrDummy, .removeOrZeroOrDummy: return e.vr == .SQ ? zero(e) : dummy(e, charset: charset)
        case .uid, .removeOrZeroOrUID: return e.vr == .SQ ? items(e, mode: .normal) : uid(e)
        case .keep: return e.vr == .SQ ? items(e, mode: .normal) : e
        case .clean: return clean(e, row: row, charset: charset)
        }
    }

    /// Elements the table does not list: kept, except dates under Modified Dates (every DA and DT moves) and free
    /// text inside dummy or cleaned sequences.
    mutating func unlisted(_ e: Element, charset: SpecificCharacterSet, mode: Mode) -> Element? {
        if e.vr == .SQ {
            let isVocabulary = DataDictionary.keyword(for: e.tag)?.hasSuffix("CodeSequence") ?? false
            return items(e, mode: isVocabulary ? .vocabulary : mode)
        }
        if e.vr == .DA || e.vr == .DT {
            if modifiedDates { return shifted(e, charset: charset) }
            if mode == .dummyContent { return dummy(e, charset: charset) }
            return e
        }
        guard Run.freeTextVRs.contains(e.vr) else { return e }
        switch mode {
        case .normal, .vocabulary: return e
        case .dummyContent: return dummy(e, charset: charset)
        case .cleanText: return scrubbed(e, charset: charset)
        }
    }

    // MARK: Actions

    func zero(_ e: Element) -> Element {
        var z = e
        z.value = e.vr == .SQ ? .sequence([]) : .bytes(.empty)
        return z
    }

    mutating func dummy(_ e: Element, charset: SpecificCharacterSet) -> Element {
        switch e.vr {
        case .SQ: return items(e, mode: .dummyContent)
        case .UI: return uid(e)
        case .DA: return string(e, ["19000101"], charset: charset)
        case .TM: return string(e, ["000000"], charset: charset)
        case .DT: return string(e, ["19000101000000"], charset: charset)
        case .AS: return string(e, ["000Y"], charset: charset)
        case .DS, .IS: return string(e, ["0"], charset: charset)
        case .AE, .CS, .LO, .LT, .PN, .SH, .ST, .UC, .UR, .UT: return string(e, ["ANONYMIZED"], charset: charset)
        case .US, .SS, .UL, .SL, .FL, .FD, .SV, .UV, .AT:
            var d = e
            d.value = .bytes(DICOMBytes([UInt8](repeating: 0, count: e.valueLength > 0 ? e.valueLength : 8)))
            return d
        default:
            var d = e
            d.value = .bytes(DICOMBytes([0, 0]))
            return d
        }
    }

    mutating func uid(_ e: Element) -> Element {
        guard e.vr == .UI else { return zero(e) }
        let values = e.strings()
        if values.isEmpty { return e }
        let mapped = values.map { v -> String in
            if v.isEmpty { return v }
            let n = uids[v] ?? deid.remappedUID(v)
            uids[v] = n
            return n
        }
        return string(e, mapped, charset: .default)
    }

    mutating func clean(_ e: Element, row: ProfileRow, charset: SpecificCharacterSet) -> Element? {
        switch e.vr {
        case .SQ:
            let structured = row.options[.cleanStructuredContent] == .clean && options.contains(.cleanStructuredContent)
            return items(e, mode: structured ? .dummyContent : .cleanText)
        case .DA, .DT:
            return modifiedDates ? shifted(e, charset: charset) : dummy(e, charset: charset)
        case .TM:
            return modifiedDates ? e : dummy(e, charset: charset)
        case .UI: return uid(e)
        case .PN, .LO, .SH, .LT, .ST, .UT, .UC, .UR, .AE: return scrubbed(e, charset: charset)
        case .OB, .OW, .OD, .OF, .OL, .OV, .UN: return dummy(e, charset: charset) // binary time stamps, certificates: opaque
        default: return e
        }
    }

    mutating func items(_ e: Element, mode: Mode) -> Element {
        guard let list = e.items else { return e }
        var s = e
        var cleaned: [Dataset] = []
        for item in list { cleaned.append(clean(item, mode: mode)) }
        s.value = .sequence(cleaned)
        return s
    }

    /// Free text without the words of the object's identifying attributes and without runs of six or more digits
    /// (dates, identifiers, telephone numbers).
    func scrubbed(_ e: Element, charset: SpecificCharacterSet) -> Element {
        let values = e.strings(charset).map { scrub($0) }
        return string(e, values, charset: charset)
    }

    func scrub(_ text: String) -> String {
        var out = ""
        var word = ""
        func flush() {
            let upper = word.uppercased()
            let digitsOnly = !word.isEmpty && word.allSatisfy(\.isNumber)
            if !(identifyingWords.contains(upper) || (digitsOnly && word.count >= 6)) { out += word }
            word = ""
        }
        for ch in text {
            if ch.isLetter || ch.isNumber { word.append(ch) } else { flush(); out.append(ch) }
        }
        flush()
        // Drop what only separated removed words ("PET DOE^JOHN FDG" → "PET FDG", not "PET ^ FDG").
        return out.split(separator: " ", omittingEmptySubsequences: true)
            .filter { $0.contains { $0.isLetter || $0.isNumber } }.joined(separator: " ")
    }

    // MARK: Dates

    /// Every date of a DA (single, multiple or range) or DT value moved by the patient's offset; times unchanged.
    func shifted(_ e: Element, charset: SpecificCharacterSet) -> Element {
        // A DA may be a range (A-B); in a DT a minus sign starts the UTC offset.
        let values = e.strings(charset).map { v -> String in
            guard e.vr == .DA else { return DateShift.shiftDateTime(v, days: offsetDays) }
            return v.split(separator: "-", omittingEmptySubsequences: false)
                .map { DateShift.shiftDate(String($0), days: offsetDays) }.joined(separator: "-")
        }
        return string(e, values, charset: charset)
    }

    // MARK: Private attributes

    /// A private element kept by Retain Safe Private (the allow-list), with its date moved or removed as the
    /// temporal options say; nil for every other private element.
    func safePrivate(_ e: Element, in ds: Dataset) -> Element? {
        guard options.contains(.retainSafePrivate), let creator = ds.privateCreator(for: e.tag),
              let entry = SafePrivate.entry(creator: creator, tag: e.tag) else { return nil }
        guard entry.vr == .DT || entry.vr == .DA else { return e }
        if fullDates { return e }
        guard modifiedDates, let b = e.bytes else { return nil }
        let text = String(decoding: b.array, as: UTF8.self).trimmingCharacters(in: CharacterSet(charactersIn: " \0"))
        var asVR = e
        asVR.vr = entry.vr
        asVR.value = .bytes(DICOMBytes(Run.padded(Array(text.utf8), vr: entry.vr)))
        var moved = shifted(asVR, charset: .default)
        moved.vr = e.vr
        return moved
    }

    // MARK: Encoding

    func string(_ e: Element, _ values: [String], charset: SpecificCharacterSet) -> Element {
        let text = values.joined(separator: "\\")
        let bytes = e.vr.usesSpecificCharacterSet && charset.canEncode(text) ? charset.encode(text) : Array(text.utf8)
        var s = e
        s.value = .bytes(DICOMBytes(Run.padded(bytes, vr: e.vr)))
        return s
    }

    static func padded(_ bytes: [UInt8], vr: VR) -> [UInt8] {
        bytes.count % 2 == 1 ? bytes + [vr.paddingByte] : bytes
    }
}

/// Whole-day date shifts on DICOM DA and DT strings (proleptic Gregorian calendar, no time zone involved).
public enum DateShift {
    /// `YYYYMMDD` moved by `days`; `YYYY` and `YYYYMM` move their first day and keep their precision; anything
    /// else (empty, malformed) is returned unchanged.
    public static func shiftDate(_ value: String, days: Int) -> String {
        let digits = Array(value.trimmingCharacters(in: .whitespaces))
        guard [4, 6, 8].contains(digits.count), digits.allSatisfy(\.isNumber),
              let y = Int(String(digits[0..<4])) else { return value }
        let m = digits.count >= 6 ? Int(String(digits[4..<6]))! : 1
        let d = digits.count == 8 ? Int(String(digits[6..<8]))! : 1
        guard (1...12).contains(m), (1...31).contains(d) else { return value }
        let (ny, nm, nd) = civil(fromDays: daysFromCivil(y, m, d) + days)
        let full = String(format: "%04d%02d%02d", ny, nm, nd)
        return String(full.prefix(digits.count))
    }

    /// A DT value with its date part moved by `days`; time, fraction and UTC offset unchanged.
    public static func shiftDateTime(_ value: String, days: Int) -> String {
        let v = value.trimmingCharacters(in: .whitespaces)
        var n = 0
        for ch in v { if ch.isNumber && n < 8 { n += 1 } else { break } }
        let datePart = n >= 8 ? 8 : (n >= 6 ? 6 : (n >= 4 ? 4 : 0))
        guard datePart > 0 else { return value }
        return shiftDate(String(v.prefix(datePart)), days: days) + v.dropFirst(datePart)
    }

    /// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The civil date of a day count since 1970-01-01 (H. Hinnant's civil_from_days).
    static func civil(fromDays z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
