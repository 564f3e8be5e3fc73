import Foundation

/// The Specific Character Set (0008,0005) of a data set, used to decode LO, LT, PN, SH, ST, UC and UT values.
///
/// Single-byte sets (ISO_IR 100, 101, …), UTF-8 (ISO_IR 192), GB18030/GBK, and ISO 2022 code extensions with escape
/// sequences (Latin, Japanese, Korean, Chinese) are decoded. ISO_IR 100 and ISO_IR 192 are handled natively;
/// the others through Foundation's encodings. Unknown terms fall back to ISO 8859-1 (with a warning).
public struct SpecificCharacterSet: Sendable, Equatable, CustomStringConvertible {
    /// The defined terms, as written (e.g. `["", "ISO 2022 IR 87"]`).
    public let terms: [String]

    /// The default repertoire (ISO_IR 6).
    public static let `default` = SpecificCharacterSet(terms: [])

    /// Creates a character set from the values of (0008,0005).
    public init(terms: [String]) { self.terms = terms.map { $0.trimmingCharacters(in: .whitespaces) } }

    public var description: String { terms.isEmpty ? "ISO_IR 6 (default)" : terms.joined(separator: "\\") }

    /// Terms this implementation does not know (decoded as ISO 8859-1).
    public var unknownTerms: [String] { terms.filter { !$0.isEmpty && Self.encoding(for: $0) == nil } }

    /// Whether strings need the general decoder (anything other than ASCII/Latin-1/UTF-8).
    var isSimple: Bool {
        terms.isEmpty || (terms.count == 1 && ["ISO_IR 100", "ISO_IR 192", "ISO_IR 6", "ISO 2022 IR 6", ""].contains(terms[0]))
    }

    static func cf(_ v: UInt32) -> String.Encoding { String.Encoding(rawValue: 0x8000_0000 | UInt(v)) }

    /// Foundation encoding for a single defined term.
    static func encoding(for term: String) -> String.Encoding? {
        switch term {
        case "", "ISO_IR 6", "ISO 2022 IR 6": return .ascii
        case "ISO_IR 100", "ISO 2022 IR 100": return .isoLatin1
        case "ISO_IR 101", "ISO 2022 IR 101": return .isoLatin2
        case "ISO_IR 109", "ISO 2022 IR 109": return cf(0x0203)
        case "ISO_IR 110", "ISO 2022 IR 110": return cf(0x0204)
        case "ISO_IR 144", "ISO 2022 IR 144": return cf(0x0205)
        case "ISO_IR 127", "ISO 2022 IR 127": return cf(0x0206)
        case "ISO_IR 126", "ISO 2022 IR 126": return cf(0x0207)
        case "ISO_IR 138", "ISO 2022 IR 138": return cf(0x0208)
        case "ISO_IR 148", "ISO 2022 IR 148": return cf(0x0209)
        case "ISO_IR 203", "ISO 2022 IR 203": return cf(0x020F)   // ISO 8859-15
        case "ISO_IR 166", "ISO 2022 IR 166": return cf(0x020B)   // TIS-620
        case "ISO_IR 13", "ISO 2022 IR 13": return .shiftJIS
        case "ISO 2022 IR 87", "ISO 2022 IR 159": return .iso2022JP
        case "ISO 2022 IR 149": return cf(0x0940)                 // EUC-KR
        case "ISO 2022 IR 58": return cf(0x0930)                  // EUC-CN (GB2312)
        case "ISO_IR 192": return .utf8
        case "GB18030": return cf(0x0632)
        case "GBK": return cf(0x0631)
        default: return nil
        }
    }

    /// Decodes a value's bytes (before splitting on backslash).
    public func decode(_ bytes: UnsafeRawBufferPointer) -> String {
        if terms.isEmpty || terms.count == 1 && (terms[0] == "ISO_IR 100" || terms[0] == "" || terms[0] == "ISO_IR 6") {
            return Self.latin1(bytes)
        }
        if terms.count == 1, terms[0] == "ISO_IR 192" {
            return String(decoding: bytes, as: UTF8.self)
        }
        if terms.count == 1, let enc = Self.encoding(for: terms[0]), !terms[0].hasPrefix("ISO 2022") {
            return String(data: Data(bytes), encoding: enc) ?? Self.latin1(bytes)
        }
        if terms.count == 1 && Self.encoding(for: terms[0]) == nil { return Self.latin1(bytes) }
        return decodeISO2022(bytes)
    }

    static func latin1(_ bytes: UnsafeRawBufferPointer) -> String {
        if !bytes.contains(where: { $0 >= 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    /// ISO 2022 code extension: split at escape sequences and decode each run with the designated set.
    func decodeISO2022(_ bytes: UnsafeRawBufferPointer) -> String {
        let first = terms.first ?? ""
        let initial: String.Encoding = Self.encoding(for: first).flatMap { $0 == .iso2022JP ? .ascii : $0 } ?? .isoLatin1
        var out = ""
        var current = initial
        var currentEscape: [UInt8] = []
        var run: [UInt8] = []
        func flush() {
            guard !run.isEmpty else { return }
            if current == .iso2022JP {
                out += String(data: Data(currentEscape + run + [0x1B, 0x28, 0x42]), encoding: .iso2022JP) ?? run.withUnsafeBytes { Self.latin1($0) }
            } else if current == .ascii {
                out += run.withUnsafeBytes { Self.latin1($0) }
            } else {
                out += String(data: Data(run), encoding: current) ?? run.withUnsafeBytes { Self.latin1($0) }
            }
            run.removeAll()
        }
        var i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            if b == 0x1B {
                flush()
                // Escape sequences are ESC + 2 or 3 bytes.
                let len = (i + 1 < n && bytes[i + 1] == 0x24 && i + 2 < n && (bytes[i + 2] == 0x28 || bytes[i + 2] == 0x29)) ? 4 : 3
                let esc = Array(bytes[i..<min(n, i + len)])
                currentEscape = esc
                current = Self.encoding(forEscape: esc) ?? initial
                i += len
                continue
            }
            // Inside a two-byte set (JIS X 0208) bytes such as 0x5E are halves of characters, not delimiters:
            // writers switch back with an escape sequence before any delimiter (PS3.5 §6.1.2.5.3).
            run.append(b); i += 1
        }
        flush()
        return out
    }

    static func encoding(forEscape e: [UInt8]) -> String.Encoding? {
        switch e {
        case [0x1B, 0x28, 0x42], [0x1B, 0x28, 0x4A]: return .ascii               // ISO 646 / JIS X 0201 Roman
        case [0x1B, 0x29, 0x49]: return .shiftJIS                                  // JIS X 0201 Katakana (G1)
        case [0x1B, 0x24, 0x42], [0x1B, 0x24, 0x28, 0x44]: return .iso2022JP       // JIS X 0208 / 0212
        case [0x1B, 0x24, 0x29, 0x43]: return cf(0x0940)                           // KS X 1001 (G1) -> EUC-KR
        case [0x1B, 0x24, 0x29, 0x41]: return cf(0x0930)                           // GB 2312 (G1) -> EUC-CN
        case [0x1B, 0x2D, 0x41]: return .isoLatin1
        case [0x1B, 0x2D, 0x42]: return .isoLatin2
        case [0x1B, 0x2D, 0x43]: return cf(0x0203)
        case [0x1B, 0x2D, 0x44]: return cf(0x0204)
        case [0x1B, 0x2D, 0x4C]: return cf(0x0205)
        case [0x1B, 0x2D, 0x47]: return cf(0x0206)
        case [0x1B, 0x2D, 0x46]: return cf(0x0207)
        case [0x1B, 0x2D, 0x48]: return cf(0x0208)
        case [0x1B, 0x2D, 0x4D]: return cf(0x0209)
        case [0x1B, 0x2D, 0x54]: return cf(0x020B)
        default: return nil
        }
    }

    /// Whether `text` can be written in this character set without loss.
    public func canEncode(_ text: String) -> Bool {
        if terms.count == 1, terms[0] == "ISO_IR 192" || terms[0] == "GB18030" { return true }
        if terms.isEmpty || terms == [""] || terms == ["ISO_IR 6"] { return text.unicodeScalars.allSatisfy { $0.value < 0x80 } }
        if terms == ["ISO_IR 100"] { return text.unicodeScalars.allSatisfy { $0.value < 0x100 } }
        if terms.count == 1, let enc = Self.encoding(for: terms[0]), enc != .ascii { return text.data(using: enc) != nil }
        return text.unicodeScalars.allSatisfy { $0.value < 0x80 }
    }

    /// Encodes text for writing in this character set (UTF-8 for ISO_IR 192, Latin-1 when representable, else UTF-8
    /// bytes with the caller expected to set ISO_IR 192).
    public func encode(_ text: String) -> [UInt8] {
        if terms.count == 1, terms[0] == "ISO_IR 192" { return Array(text.utf8) }
        if let enc = terms.count == 1 ? Self.encoding(for: terms[0]) : nil, enc != .ascii, let d = text.data(using: enc) {
            return Array(d)
        }
        if text.unicodeScalars.allSatisfy({ $0.value < 0x100 }) { return text.unicodeScalars.map { UInt8($0.value) } }
        return Array(text.utf8)
    }
}
