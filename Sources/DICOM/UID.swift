/// UIDs created by Scinti, all under one project root.
///
/// The root is a UUID-derived OID (`2.25.<128-bit UUID as decimal>`, ISO/IEC 9834-8, PS3.5 §B.2), which needs no
/// registration; Scinti owns every arc below it. New UIDs append one random 19-digit component (64-bit entropy
/// from the system generator), keeping the total within 64 characters.
public enum UIDGenerator {
    /// The project root: `2.25.` + UUID 75f38313-d179-429d-9608-53c841c8495d as an integer.
    public static let root = "2.25.156784062209281248043298449515721804125"
    /// Implementation Class UID written in every File Meta Information header.
    public static let implementationClassUID = root + ".1"
    /// Implementation Version Name written with it.
    public static let implementationVersionName = "SCINTI_0_1"

    /// A new, globally unique UID under ``root``.
    public static func newUID() -> String {
        var g = SystemRandomNumberGenerator()
        let n = UInt64.random(in: 1_000_000_000_000_000_000...9_999_999_999_999_999_999, using: &g)
        return root + "." + String(n)
    }

    /// Whether a string is a syntactically valid UID (PS3.5 §9.1): ≤ 64 chars, digits and dots, no leading zeros.
    public static func isValid(_ uid: String) -> Bool {
        guard !uid.isEmpty, uid.utf8.count <= 64 else { return false }
        for comp in uid.split(separator: ".", omittingEmptySubsequences: false) {
            guard !comp.isEmpty, comp.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            if comp.count > 1 && comp.first == "0" { return false }
        }
        return true
    }
}
