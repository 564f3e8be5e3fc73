import DICOM

/// An action code of PS3.15 Table E.1-1.
public enum ProfileAction: String, Sendable, CaseIterable {
    /// Replace with a non-zero-length dummy value consistent with the VR.
    case dummy = "D"
    /// Replace with a zero-length value (or a dummy).
    case zero = "Z"
    /// Remove.
    case remove = "X"
    /// Keep (sequences are de-identified recursively).
    case keep = "K"
    /// Clean: replace with values of similar meaning known not to identify (dates shifted, descriptors scrubbed).
    case clean = "C"
    /// Replace with a UID that is consistent across the whole export.
    case uid = "U"
    /// Z unless D is needed to keep the IOD valid.
    case zeroOrDummy = "Z/D"
    /// X unless Z is needed.
    case removeOrZero = "X/Z"
    /// X unless D is needed.
    case removeOrDummy = "X/D"
    /// X unless Z or D is needed.
    case removeOrZeroOrDummy = "X/Z/D"
    /// X unless Z or U is needed (sequences of references).
    case removeOrZeroOrUID = "X/Z/U*"
}

/// The Basic Application Level Confidentiality Profile's options (PS3.15 E.3), with their codes in CID 7050.
public enum DeidentificationOption: String, Sendable, CaseIterable, Hashable, Comparable {
    case retainSafePrivate = "retain_safe_private"
    case retainUIDs = "retain_uids"
    case retainDeviceIdentity = "retain_device_identity"
    case retainInstitutionIdentity = "retain_institution_identity"
    case retainPatientCharacteristics = "retain_patient_characteristics"
    case retainLongitudinalFullDates = "retain_longitudinal_full_dates"
    case retainLongitudinalModifiedDates = "retain_longitudinal_modified_dates"
    case cleanDescriptors = "clean_descriptors"
    case cleanStructuredContent = "clean_structured_content"
    case cleanGraphics = "clean_graphics"

    /// The option's code value (scheme DCM, CID 7050 "De-identification Method").
    public var code: String {
        switch self {
        case .cleanGraphics: "113103"
        case .cleanStructuredContent: "113104"
        case .cleanDescriptors: "113105"
        case .retainLongitudinalFullDates: "113106"
        case .retainLongitudinalModifiedDates: "113107"
        case .retainPatientCharacteristics: "113108"
        case .retainDeviceIdentity: "113109"
        case .retainUIDs: "113110"
        case .retainSafePrivate: "113111"
        case .retainInstitutionIdentity: "113112"
        }
    }

    /// The code meaning of CID 7050.
    public var meaning: String {
        switch self {
        case .cleanGraphics: "Clean Graphics Option"
        case .cleanStructuredContent: "Clean Structured Content Option"
        case .cleanDescriptors: "Clean Descriptors Option"
        case .retainLongitudinalFullDates: "Retain Longitudinal Temporal Information Full Dates Option"
        case .retainLongitudinalModifiedDates: "Retain Longitudinal Temporal Information Modified Dates Option"
        case .retainPatientCharacteristics: "Retain Patient Characteristics Option"
        case .retainDeviceIdentity: "Retain Device Identity Option"
        case .retainUIDs: "Retain UIDs Option"
        case .retainSafePrivate: "Retain Safe Private Option"
        case .retainInstitutionIdentity: "Retain Institution Identity Option"
        }
    }

    /// Column of the option in the generated table (after tag, name, retired, basic).
    var column: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (a: Self, b: Self) -> Bool { a.code < b.code }
}

/// The Basic Profile's own code (CID 7050).
public let basicProfileCode = "113100"

/// One row of PS3.15 Table E.1-1.
public struct ProfileRow: Sendable {
    /// The attribute's tag (the first tag of a repeating group).
    public let tag: Tag
    /// For repeating groups (`60xx3000`), the bits of the tag that must match.
    public let mask: UInt32
    /// The attribute's name in the table.
    public let name: String
    /// Retired in PS3.6.
    public let isRetired: Bool
    /// The Basic Profile's action.
    public let basic: ProfileAction
    /// The action under each option that changes it.
    public let options: [DeidentificationOption: ProfileAction]

    /// The action for a set of options: the Basic Profile's, unless an option chosen changes it. When two chosen options
    /// disagree (Retain Device Identity keeps a calibration date that Modified Dates cleans), clean wins over keep.
    public func action(for chosen: Set<DeidentificationOption>) -> ProfileAction {
        let given = chosen.compactMap { options[$0] }
        if given.contains(.clean) { return .clean }
        if given.contains(.keep) { return .keep }
        return given.first ?? basic
    }
}

/// PS3.15 Table E.1-1, generated from the standard by `scripts/ps315_table.py` (edition in the generated file).
public enum ConfidentialityProfileTable {
    /// The edition of PS3.15 the table was generated from.
    public static let edition = "2026d"

    struct Tables: Sendable {
        var exact: [Tag: ProfileRow] = [:]
        var masked: [ProfileRow] = []
        var privateRow: ProfileRow?
    }

    static let tables: Tables = {
        var t = Tables()
        for line in confidentialityProfileTable.split(separator: "\n", omittingEmptySubsequences: true) {
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard c.count == 4 + DeidentificationOption.allCases.count, let basic = ProfileAction(rawValue: c[3]) else {
                preconditionFailure("malformed generated row: \(line)")
            }
            var options: [DeidentificationOption: ProfileAction] = [:]
            for o in DeidentificationOption.allCases { if let a = ProfileAction(rawValue: c[4 + o.column]) { options[o] = a } }
            if c[0] == "PRIVATE" {
                t.privateRow = ProfileRow(tag: Tag(0), mask: 0, name: c[1], isRetired: c[2] == "R", basic: basic, options: options)
                continue
            }
            let digits = c[0]
            let value = UInt32(digits.replacingOccurrences(of: "x", with: "0"), radix: 16)!
            let mask = UInt32(String(digits.map { $0 == "x" ? "0" : "F" }), radix: 16)!
            let row = ProfileRow(tag: Tag(value), mask: mask, name: c[1], isRetired: c[2] == "R", basic: basic, options: options)
            if mask == 0xFFFF_FFFF { t.exact[row.tag] = row } else { t.masked.append(row) }
        }
        return t
    }()

    /// Every row (public attributes and repeating groups; the private-attributes row is ``privateAttributes``).
    public static var rows: [ProfileRow] { tables.exact.values.sorted { $0.tag < $1.tag } + tables.masked }

    /// The row for a public tag, or nil when the table does not list it.
    public static func row(for tag: Tag) -> ProfileRow? {
        if let r = tables.exact[tag] { return r }
        return tables.masked.first { tag.value & $0.mask == $0.tag.value }
    }

    /// The "Private Attributes" row (X, or C under Retain Safe Private).
    public static var privateAttributes: ProfileRow { tables.privateRow! }
}
