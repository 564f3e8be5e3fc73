/// Text dumps in the style of DCMTK's dcmdump.
public enum DICOMDump {
    /// One line per element, items and sequences indented.
    public static func text(_ file: DICOMFile, maxValueLength: Int = 64) -> String {
        String(decoding: bytes(file, maxValueLength: maxValueLength), as: UTF8.self)
    }

    /// The dump as UTF-8 bytes (built without intermediate strings: this is the hot path of `scinti dicom dump`).
    public static func bytes(_ file: DICOMFile, maxValueLength: Int = 64) -> [UInt8] {
        var w = DumpWriter(maxValueLength: maxValueLength)
        w.line("# File: \(file.source ?? "-")")
        w.line("# Transfer Syntax: \(file.transferSyntax.name) (\(file.transferSyntax.uid))")
        for warning in file.warnings { w.line("# Warning: \(warning)") }
        if !file.meta.isEmpty {
            w.line("")
            w.line("# Dicom-Meta-Information-Header")
            w.dump(file.meta, depth: 0)
        }
        w.line("")
        w.line("# Dicom-Data-Set")
        w.dump(file.dataset, depth: 0)
        return w.out
    }
}

struct DumpWriter {
    let maxValueLength: Int
    var out: [UInt8] = []
    static let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
    static let hexLower: [UInt8] = Array("0123456789abcdef".utf8)

    init(maxValueLength: Int) { self.maxValueLength = maxValueLength; out.reserveCapacity(1 << 16) }

    mutating func line(_ s: String) { out += s.utf8; out.append(0x0A) }
    mutating func text(_ s: String) { out += s.utf8 }
    mutating func spaces(_ n: Int) { for _ in 0..<max(0, n) { out.append(0x20) } }
    mutating func hex16(_ v: UInt16) {
        out.append(Self.hex[Int(v >> 12)]); out.append(Self.hex[Int(v >> 8 & 0xF)])
        out.append(Self.hex[Int(v >> 4 & 0xF)]); out.append(Self.hex[Int(v & 0xF)])
    }
    mutating func tag(_ t: Tag) { out.append(0x28); hex16(t.group); out.append(0x2C); hex16(t.element); out.append(0x29) }

    mutating func dump(_ ds: Dataset, depth: Int) {
        for e in ds {
            let lineStart = out.count
            spaces(2 * depth)
            tag(e.tag); out.append(0x20)
            let (a, b) = e.vr.bytes
            out.append(a); out.append(b); out.append(0x20)
            let valueStart = out.count
            var length = "\(e.valueLength)"
            switch e.value {
            case .sequence(let items):
                text("(Sequence with \(items.count) item\(items.count == 1 ? "" : "s"))"); length = "u/l"
            case .fragments(let f):
                text("(PixelSequence #=\(f.fragments.count + 1))"); length = "u/l"
            case .bytes(let bytes):
                if bytes.isEmpty {
                    text("(no value available)")
                } else if e.vr.isString {
                    out.append(0x5B)
                    var first = true
                    for v in e.strings(ds.characterSet) {
                        if !first { out.append(0x5C) }
                        first = false
                        out += v.utf8
                        if out.count - valueStart > maxValueLength { break }
                    }
                    out.append(0x5D)
                } else if e.vr == .AT {
                    for (k, t) in e.tags.prefix(8).enumerated() { if k > 0 { out.append(0x5C) }; tag(t) }
                } else if e.vr.isBinary {
                    bytes.withUnsafeBytes { r in
                        for (k, v) in r.prefix(16).enumerated() {
                            if k > 0 { out.append(0x5C) }
                            out.append(Self.hexLower[Int(v >> 4)]); out.append(Self.hexLower[Int(v & 0xF)])
                        }
                    }
                    if bytes.count > 16 { text("...") }
                } else {
                    for (k, v) in (e.numbers ?? []).prefix(16).enumerated() {
                        if k > 0 { out.append(0x5C) }
                        text(Element.format(v, e.vr))
                    }
                }
            }
            if out.count - valueStart > maxValueLength {
                // Cut on a UTF-8 character boundary.
                var cut = valueStart + maxValueLength - 3
                while cut > valueStart && out[cut] & 0xC0 == 0x80 { cut -= 1 }
                out.removeSubrange(cut...)
                text("...")
            }
            let width = String(decoding: out[lineStart...], as: UTF8.self).count
            spaces(max(1, 56 - width))
            text("# \(length), \(e.multiplicity) ")
            text(name(of: e, in: ds))
            out.append(0x0A)
            if let items = e.items {
                for item in items {
                    spaces(2 * depth + 2); line("(FFFE,E000) na (Item with \(item.count) element\(item.count == 1 ? "" : "s"))")
                    dump(item, depth: depth + 2)
                    spaces(2 * depth + 2); line("(FFFE,E00D) na (ItemDelimitationItem)")
                }
                spaces(2 * depth); line("(FFFE,E0DD) na (SequenceDelimitationItem)")
            }
        }
    }

    func name(of e: Element, in ds: Dataset) -> String {
        if e.tag.isPrivateCreator { return "PrivateCreator" }
        if e.tag.isPrivate {
            return ds.privateCreator(for: e.tag).flatMap { DataDictionary.privateName(for: e.tag, creator: $0) }.map { "Private: \($0)" } ?? "PrivateTag"
        }
        return DataDictionary.keyword(for: e.tag) ?? "Unknown Tag & Data"
    }
}
