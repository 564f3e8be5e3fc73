/// Text dumps in the style of DCMTK's dcmdump.
public enum DICOMDump {
    /// One line per element, items and sequences indented.
    public static func text(_ file: DICOMFile, maxValueLength: Int = 64) -> String {
        var out = "# File: \(file.source ?? "-")\n# Transfer Syntax: \(file.transferSyntax.name) (\(file.transferSyntax.uid))\n"
        for w in file.warnings { out += "# Warning: \(w)\n" }
        if !file.meta.isEmpty {
            out += "\n# Dicom-Meta-Information-Header\n"
            dump(file.meta, depth: 0, into: &out, maxValueLength: maxValueLength)
        }
        out += "\n# Dicom-Data-Set\n"
        dump(file.dataset, depth: 0, into: &out, maxValueLength: maxValueLength)
        return out
    }

    static func dump(_ ds: Dataset, depth: Int, into out: inout String, maxValueLength: Int) {
        let indent = String(repeating: "  ", count: depth)
        for e in ds {
            let name = e.tag.isPrivateCreator ? "PrivateCreator"
                : e.tag.isPrivate ? (ds.privateCreator(for: e.tag).flatMap { DataDictionary.privateName(for: e.tag, creator: $0) }.map { "Private: \($0)" } ?? "PrivateTag")
                : (DataDictionary.keyword(for: e.tag) ?? "Unknown Tag & Data")
            var value: String
            var length = "\(e.valueLength)"
            switch e.value {
            case .sequence(let items):
                value = "(Sequence with \(items.count) item\(items.count == 1 ? "" : "s"))"
                length = "u/l"
            case .fragments(let f):
                value = "(PixelSequence #=\(f.fragments.count + 1))"
                length = "u/l"
            case .bytes(let b):
                if e.vr.isString {
                    value = "[" + e.strings(ds.characterSet).joined(separator: "\\") + "]"
                } else if e.vr == .AT {
                    value = e.tags.map(\.description).joined(separator: "\\")
                } else if e.vr.isBinary {
                    let shown = b.withUnsafeBytes { r in r.prefix(16).map { String($0, radix: 16) } }
                    value = b.isEmpty ? "(no value available)" : shown.joined(separator: "\\") + (b.count > 16 ? "..." : "")
                } else {
                    value = (e.numbers ?? []).map { Element.format($0, e.vr) }.joined(separator: "\\")
                }
                if b.isEmpty && !e.vr.isBinary { value = "(no value available)" }
            }
            if value.count > maxValueLength { value = String(value.prefix(maxValueLength - 3)) + "..." }
            let head = "\(indent)\(e.tag) \(e.vr.rawValue) \(value)"
            let pad = max(1, 56 - head.count)
            out += head + String(repeating: " ", count: pad) + "# \(length), \(e.multiplicity) \(name)\n"
            if let items = e.items {
                for item in items {
                    out += "\(indent)  (FFFE,E000) na (Item with \(item.count) element\(item.count == 1 ? "" : "s"))\n"
                    dump(item, depth: depth + 2, into: &out, maxValueLength: maxValueLength)
                    out += "\(indent)  (FFFE,E00D) na (ItemDelimitationItem)\n"
                }
                out += "\(indent)(FFFE,E0DD) na (SequenceDelimitationItem)\n"
            }
        }
    }
}
