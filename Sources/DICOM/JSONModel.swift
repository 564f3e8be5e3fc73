import Foundation

/// The DICOM JSON Model (PS3.18 Annex F).
public enum DICOMJSON {
    /// Options for JSON output.
    public struct Options: Sendable {
        /// Binary values longer than this many bytes are given as `BulkDataURI` instead of `InlineBinary`.
        public var bulkDataThreshold: Int = 1024
        /// Base of bulk data URIs (the source file's URL); the value's byte offset and length are appended.
        public var bulkDataBase: String? = nil
        /// Creates options.
        public init(bulkDataThreshold: Int = 1024, bulkDataBase: String? = nil) {
            self.bulkDataThreshold = bulkDataThreshold; self.bulkDataBase = bulkDataBase
        }
    }

    /// Encodes a data set (without group 0002) as a DICOM JSON object.
    public static func encode(_ ds: Dataset, options: Options = Options()) -> String {
        var w = JSONWriter(options: options)
        w.object(ds)
        return w.out
    }
}

struct JSONWriter {
    let options: DICOMJSON.Options
    var out = ""

    init(options: DICOMJSON.Options) { self.options = options; out.reserveCapacity(4096) }

    mutating func string(_ s: String) {
        out.append("\"")
        for u in s.unicodeScalars {
            switch u {
            case "\"": out.append("\\\"")
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\r": out.append("\\r")
            case "\t": out.append("\\t")
            default:
                if u.value < 0x20 || u.value == 0x7F {
                    let h = String(u.value, radix: 16)
                    out.append("\\u" + String(repeating: "0", count: 4 - h.count) + h)
                } else { out.unicodeScalars.append(u) }
            }
        }
        out.append("\"")
    }

    mutating func number(_ d: Double) {
        if d.isNaN || d.isInfinite { string(d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity")); return }
        if d == d.rounded(), abs(d) < 1e15 { out.append(String(Int64(d))) } else { out.append("\(d)") }
    }

    mutating func object(_ ds: Dataset) {
        out.append("{")
        var first = true
        for e in ds where e.tag.group != 0x0002 {
            if !first { out.append(",") }
            first = false
            string(e.tag.hex)
            out.append(":")
            element(e, charset: ds.characterSet)
        }
        out.append("}")
    }

    mutating func element(_ e: Element, charset: SpecificCharacterSet) {
        out.append("{\"vr\":\"\(e.vr.rawValue)\"")
        defer { out.append("}") }
        switch e.value {
        case .sequence(let items):
            if items.isEmpty { return }
            out.append(",\"Value\":[")
            for (k, item) in items.enumerated() { if k > 0 { out.append(",") }; object(item) }
            out.append("]")
        case .fragments(let f):
            bulk(f.fragments.first ?? .empty, length: e.valueLength)
        case .bytes(let b):
            if b.isEmpty { return }
            if e.vr.isBinary {
                if b.count > options.bulkDataThreshold { bulk(b, length: b.count) } else {
                    var raw = b.array
                    if e.isBigEndian, let w = e.vr.binaryWidth, w > 1 {
                        var k = 0
                        while k + w <= raw.count { raw[k..<(k + w)].reverse(); k += w }
                    }
                    out.append(",\"InlineBinary\":")
                    string(Data(raw).base64EncodedString())
                }
                return
            }
            switch e.vr {
            case .PN:
                let vals = e.strings(charset)
                if vals.allSatisfy(\.isEmpty) { return }
                out.append(",\"Value\":[")
                for (k, v) in vals.enumerated() {
                    if k > 0 { out.append(",") }
                    if v.isEmpty { out.append("null"); continue }
                    out.append("{")
                    let groups = v.split(separator: "=", omittingEmptySubsequences: false)
                    var firstGroup = true
                    for (g, name) in zip(["Alphabetic", "Ideographic", "Phonetic"], groups) where !name.isEmpty {
                        if !firstGroup { out.append(",") }
                        firstGroup = false
                        string(g); out.append(":"); string(String(name))
                    }
                    out.append("}")
                }
                out.append("]")
            case .AT:
                out.append(",\"Value\":[")
                for (k, t) in e.tags.enumerated() { if k > 0 { out.append(",") }; string(t.hex) }
                out.append("]")
            case .IS, .DS:
                let vals = e.strings(charset)
                if vals.allSatisfy(\.isEmpty) { return }
                out.append(",\"Value\":[")
                for (k, v) in vals.enumerated() {
                    if k > 0 { out.append(",") }
                    if v.isEmpty { out.append("null") } else if let d = Double(v) { number(d) } else { string(v) }
                }
                out.append("]")
            case .US, .SS, .UL, .SL, .FL, .FD, .SV, .UV:
                if e.vr == .SV || e.vr == .UV, let ints = e.integers {
                    out.append(",\"Value\":[" + ints.map { e.vr == .UV ? String(UInt64(bitPattern: $0)) : String($0) }.joined(separator: ",") + "]")
                    return
                }
                let nums = e.numbers ?? []
                if nums.isEmpty { return }
                out.append(",\"Value\":[")
                for (k, d) in nums.enumerated() { if k > 0 { out.append(",") }; number(d) }
                out.append("]")
            default:
                let vals = e.strings(charset)
                if vals.allSatisfy(\.isEmpty) { return }
                out.append(",\"Value\":[")
                for (k, v) in vals.enumerated() {
                    if k > 0 { out.append(",") }
                    if v.isEmpty { out.append("null") } else { string(v) }
                }
                out.append("]")
            }
        }
    }

    mutating func bulk(_ b: DICOMBytes, length: Int) {
        out.append(",\"BulkDataURI\":")
        let base = options.bulkDataBase ?? "urn:scinti:bulk"
        string("\(base)?offset=\(b.offset)&length=\(length)")
    }
}
