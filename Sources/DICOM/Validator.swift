/// VR and VM checks for values (PS3.5 §6.2, PS3.6 value multiplicities).
public enum Validator {
    /// One problem found.
    public struct Issue: Sendable, Equatable, CustomStringConvertible {
        /// The element concerned.
        public var tag: Tag
        /// What is wrong.
        public var message: String
        public var description: String { "\(tag): \(message)" }
    }

    /// Checks every element (recursively). Private and unknown tags get VR checks only.
    public static func validate(_ ds: Dataset) -> [Issue] {
        var issues: [Issue] = []
        ds.forEachRecursive { e, _ in issues += check(e, charset: ds.characterSet) }
        return issues
    }

    /// Checks one element.
    public static func check(_ e: Element, charset: SpecificCharacterSet = .default) -> [Issue] {
        var out: [Issue] = []
        func bad(_ m: String) { out.append(Issue(tag: e.tag, message: m)) }
        guard case .bytes(let b) = e.value else { return out }
        if let w = e.vr.binaryWidth, e.vr != .OW, e.vr != .OB, b.count % (e.vr == .AT ? 4 : w) != 0 {
            bad("length \(b.count) is not a multiple of \(e.vr == .AT ? 4 : w) for VR \(e.vr)")
        }
        if e.vr.isString {
            let values = e.strings(charset)
            for v in values {
                if let maxLen = e.vr.maximumLength, v.utf8.count > maxLen, e.vr.usesSpecificCharacterSet == false || v.count > maxLen {
                    bad("value '\(v.prefix(20))…' longer than \(maxLen) for VR \(e.vr)")
                }
                switch e.vr {
                case .UI where !v.isEmpty && !UIDGenerator.isValid(v): bad("'\(v)' is not a valid UID")
                case .DA where !v.isEmpty && !(v.count == 8 && v.allSatisfy(\.isNumber)) && !v.contains("-"): bad("'\(v)' is not a date YYYYMMDD")
                case .IS where !v.isEmpty && Int64(v) == nil: bad("'\(v)' is not an integer string")
                case .DS where !v.isEmpty && Double(v) == nil: bad("'\(v)' is not a decimal string")
                case .CS where v.contains(where: { !($0.isUppercase || $0.isNumber || $0 == " " || $0 == "_") }): bad("'\(v)' has characters not allowed in CS")
                case .AS where !v.isEmpty && !(v.count == 4 && v.prefix(3).allSatisfy(\.isNumber) && "DWMY".contains(v.last!)): bad("'\(v)' is not an age string")
                default: break
                }
            }
        }
        if !e.tag.isPrivate, let entry = DataDictionary.entry(for: e.tag), !b.isEmpty, e.tag.group != 0xFFFE, !entry.keyword.isEmpty {
            let n = e.multiplicity
            if !vmAllows(entry.vm, n) { bad("VM \(n) does not match \(entry.vm) for \(entry.keyword)") }
            if !entry.vrs.contains(e.vr) && e.vr != .UN { bad("VR \(e.vr) where the dictionary has \(entry.vrs.map(\.rawValue).joined(separator: " or "))") }
        }
        return out
    }

    /// Whether multiplicity `n` satisfies a PS3.6 VM string (`1`, `1-3`, `1-n`, `2-2n`, `3-3n`).
    public static func vmAllows(_ vm: String, _ n: Int) -> Bool {
        let parts = vm.split(separator: "-").map(String.init)
        if parts.count == 1 { return Int(parts[0]).map { $0 == n } ?? true }
        guard parts.count == 2, let lo = Int(parts[0]) else { return true }
        if let hi = Int(parts[1]) { return n >= lo && n <= hi }
        if parts[1] == "n" { return n >= lo }
        if parts[1].hasSuffix("n"), let k = Int(parts[1].dropLast()) { return n >= lo && n % k == 0 }
        return true
    }
}
