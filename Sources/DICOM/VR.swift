/// DICOM value representations (PS3.5 §6.2).
public enum VR: String, Sendable, CaseIterable, CustomStringConvertible {
    case AE, AS, AT, CS, DA, DS, DT, FL, FD, IS, LO, LT, OB, OD, OF, OL, OV, OW, PN, SH, SL, SQ, SS, ST, SV, TM, UC, UI, UL, UN, UR, US, UT, UV

    public var description: String { rawValue }

    /// Parses the two VR bytes of an explicit-VR header.
    @inlinable public init?(byte0: UInt8, byte1: UInt8) {
        guard byte0 >= 0x41, byte0 <= 0x5A, byte1 >= 0x41, byte1 <= 0x5A else { return nil }
        self.init(rawValue: String(decoding: [byte0, byte1], as: UTF8.self))
    }

    /// The two ASCII bytes of the VR.
    public var bytes: (UInt8, UInt8) { let u = Array(rawValue.utf8); return (u[0], u[1]) }

    /// Explicit VR uses a 2-byte reserved field and a 4-byte length for these VRs (PS3.5 Table 7.1-1).
    public var hasLongLength: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .SQ, .UC, .UN, .UR, .UT, .SV, .UV: return true
        default: return false
        }
    }

    /// Character-string VRs (values are text, possibly with backslash-separated multiple values).
    public var isString: Bool {
        switch self {
        case .AE, .AS, .CS, .DA, .DS, .DT, .IS, .LO, .LT, .PN, .SH, .ST, .TM, .UC, .UI, .UR, .UT: return true
        default: return false
        }
    }

    /// String VRs whose value is a single text (backslash is an ordinary character).
    public var isSingleText: Bool { self == .LT || self == .ST || self == .UT || self == .UR }

    /// String VRs whose text is decoded with the Specific Character Set (the rest are default repertoire).
    public var usesSpecificCharacterSet: Bool {
        switch self {
        case .LO, .LT, .PN, .SH, .ST, .UC, .UT: return true
        default: return false
        }
    }

    /// Bytes per value for binary numeric VRs (nil for strings, SQ, OB/UN).
    public var binaryWidth: Int? {
        switch self {
        case .US, .SS, .OW: return 2
        case .UL, .SL, .FL, .OF, .OL: return 4
        case .FD, .OD, .SV, .UV, .OV: return 8
        case .AT: return 2 // swapped as two 16-bit halves
        default: return nil
        }
    }

    /// Opaque byte VRs (OB, UN) and "other" word VRs.
    public var isBinary: Bool {
        switch self {
        case .OB, .OD, .OF, .OL, .OV, .OW, .UN: return true
        default: return false
        }
    }

    /// Padding byte for odd-length values: NUL for UI and binary, space for other strings.
    public var paddingByte: UInt8 { (isString && self != .UI) ? 0x20 : 0x00 }

    /// Maximum value length in bytes for one value (PS3.5 Table 6.2-1), when the VR limits it.
    public var maximumLength: Int? {
        switch self {
        case .AE: 16
        case .AS: 4
        case .CS: 16
        case .DA: 8
        case .DS: 16
        case .DT: 26
        case .IS: 12
        case .LO: 64
        case .LT: 10240
        case .SH: 16
        case .ST: 1024
        case .TM: 14
        case .UI: 64
        default: nil
        }
    }
}
