import DICOM
import Foundation

/// A randomized index and random C-FIND/QIDO identifiers, answered twice: matched in SQL (Query+SQL.swift, with
/// limit/offset in SQL when every key is translated) and by the in-memory ``QueryMatcher`` alone over every instance
/// (the independent oracle, limit/offset applied to its result). Any difference is reported. Used by the archive's
/// tests (SQLite) and by `scinti bench query` (PostgreSQL, in `scripts/test-postgres.sh`).
public enum QueryCrossCheck {
    /// What a run found.
    public struct Report: Sendable {
        /// Instances indexed, queries run, queries with at least one match.
        public var instances = 0, queries = 0, nonEmpty = 0
        /// Queries whose every key was translated (paged in SQL).
        public var exactInSQL = 0
        /// Wall seconds of the SQL answers and of the in-memory answers.
        public var sqlSeconds = 0.0, memorySeconds = 0.0
        /// One line per differing query: the identifier and both answers.
        public var mismatches: [String] = []
    }

    struct Generator: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {   // SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    // Values chosen to exercise the rules: case (PN), SQL wildcard characters in the data (`%`, `_`, `[`), non-ASCII,
    // missing attributes, times with fractions.
    static let names = ["SMITH^JOHN", "Smith^Jane", "smith^john", "O'BRIEN^PAT", "de la Cruz^María", "Ölund^Åsa", "100%^Test", "a_b^c",
                        "[x]^y", "MÜLLER^ANNA", "Müller^Anna", "Nguyen^Van A"]
    static let descriptions = ["Bone scan", "bone SCAN whole body", "Thyroid uptake", "Lung V/Q", "MIBG 24h", "Bone_scan%", ""]
    static let modalities = ["NM", "CT", "PT", "OT"]
    static let sopClasses = ["1.2.840.10008.5.1.4.1.1.20", "1.2.840.10008.5.1.4.1.1.2", "1.2.840.10008.5.1.4.1.1.7"]

    /// Indexes `instances` random instances (index rows only, no files) with fresh UIDs, then runs `queries` random
    /// identifiers both ways.
    public static func run(archive: Archive, seed: UInt64, instances: Int, queries: Int) throws -> Report {
        var g = Generator(state: seed)
        var report = Report()
        let root = "2.25.\(seed % 1_000_000_000).\(UInt32.random(in: 1...UInt32.max))"
        var rows: [IndexRow] = []
        var made: [Dataset] = []
        var p = 0
        while rows.count < instances {
            p += 1
            let patientID = ["PID\(p)", "pid-\(p)", "P_\(p)%"][Int.random(in: 0..<3, using: &g)]
            let name = names.randomElement(using: &g)!
            let sex = ["F", "M", "O"].randomElement(using: &g)!
            let birth = Int.random(in: 0..<5, using: &g) == 0 ? nil : String(format: "19%02d%02d%02d", Int.random(in: 20...99, using: &g), Int.random(in: 1...12, using: &g), Int.random(in: 1...28, using: &g))
            for s in 1...Int.random(in: 1...3, using: &g) {
                let study = "\(root).\(p).\(s)"
                let date = Int.random(in: 0..<8, using: &g) == 0 ? nil : String(format: "20%02d%02d%02d", Int.random(in: 19...22, using: &g), Int.random(in: 1...12, using: &g), Int.random(in: 1...28, using: &g))
                var time: String? = String(format: "%02d%02d%02d", Int.random(in: 6...19, using: &g), Int.random(in: 0...59, using: &g), Int.random(in: 0...59, using: &g))
                switch Int.random(in: 0..<6, using: &g) { case 0: time = nil; case 1: time! += ".5"; case 2: time = String(time!.prefix(4)); default: break }
                let accession = "A\(Int.random(in: 100...999, using: &g))"
                let description = descriptions.randomElement(using: &g)!
                for r in 1...Int.random(in: 1...3, using: &g) {
                    let series = "\(study).\(r)"
                    let modality = modalities.randomElement(using: &g)!
                    let seriesDescription = "\(modality) \(["static", "tomo", "WB", "recon"].randomElement(using: &g)!)"
                    let sopClass = sopClasses.randomElement(using: &g)!
                    for i in 1...Int.random(in: 1...4, using: &g) where rows.count < instances {
                        var ds = Dataset()
                        ds.set(.specificCharacterSet, .CS, "ISO_IR 192")
                        ds.set(.sopClassUID, .UI, sopClass)
                        ds.set(.sopInstanceUID, .UI, "\(series).\(i)")
                        ds.set(.studyInstanceUID, .UI, study)
                        ds.set(.seriesInstanceUID, .UI, series)
                        ds.set(.patientID, .LO, patientID)
                        ds.set(.patientName, .PN, name)
                        if let birth { ds.set(Tag(0x0010, 0x0030), .DA, birth) }
                        ds.set(Tag(0x0010, 0x0040), .CS, sex)
                        if let date { ds.set(.studyDate, .DA, date); ds.set(Tag(0x0008, 0x0021), .DA, date) }
                        if let time { ds.set(Tag(0x0008, 0x0030), .TM, time) }
                        ds.set(Tag(0x0008, 0x0050), .SH, accession)
                        ds.set(Tag(0x0008, 0x1030), .LO, description)
                        ds.set(.modality, .CS, modality)
                        ds.set(Tag(0x0020, 0x0011), .IS, String(r))
                        ds.set(Tag(0x0008, 0x103E), .LO, seriesDescription)
                        ds.set(Tag(0x0020, 0x0013), .IS, String(i))
                        let header = try Archive.headerBlob(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian))
                        rows.append(IndexRow(sopInstanceUID: "\(series).\(i)", sopClassUID: sopClass, seriesUID: series, studyUID: study,
                                             patientID: patientID, path: archive.directory + "/data/none/\(series).\(i).dcm",
                                             transferSyntax: TransferSyntax.explicitVRLittleEndian.uid, size: 0, receivedAt: Archive.timestamp(Date()),
                                             sourceAE: nil, header: header))
                        made.append(ds)
                    }
                }
            }
        }
        // Half through the receivers' path (values computed from the data set), half from the header blobs.
        for (k, _) in rows.enumerated() where k % 2 == 0 { rows[k].queryValues = QueryColumns.values(made[k]) }
        for start in stride(from: 0, to: rows.count, by: 200) { _ = try archive.index.insert(Array(rows[start..<min(start + 200, rows.count)])) }
        report.instances = rows.count

        for _ in 0..<queries {
            let level: QueryLevel = [.patient, .study, .study, .series, .series, .image].randomElement(using: &g)!
            var id = Dataset()
            id.set(Tag(0x0008, 0x0052), .CS, level.rawValue)
            for k in [Tag.studyInstanceUID, .patientName, .patientID, .studyDate] { id.set(Element(tag: k, vr: k == .studyInstanceUID ? .UI : k == .studyDate ? .DA : k == .patientID ? .LO : .PN, value: .bytes(.empty))) }
            for _ in 0..<Int.random(in: 1...3, using: &g) { addKey(&id, level: level, from: made.randomElement(using: &g)!, root: root, using: &g) }
            let offset = Int.random(in: 0..<4, using: &g) == 0 ? Int.random(in: 0...3, using: &g) : 0
            let limit: Int? = Int.random(in: 0..<3, using: &g) == 0 ? Int.random(in: 1...5, using: &g) : nil
            let studyRoot = level != .patient
            let t0 = Date()
            let sql = try archive.find(identifier: id, studyRoot: studyRoot, offset: offset, limit: limit)
            let t1 = Date()
            let all = try archive.find(identifier: id, studyRoot: studyRoot, matchInSQL: false)
            report.memorySeconds += Date().timeIntervalSince(t1); report.sqlSeconds += t1.timeIntervalSince(t0)
            let oracle = Array(all.dropFirst(offset).prefix(limit ?? Int.max))
            report.queries += 1
            if !oracle.isEmpty { report.nonEmpty += 1 }
            if QuerySQL(identifier: id, level: level, combinedDateTime: false, postgres: false).exact { report.exactInSQL += 1 }
            let a = sql.map(describe), b = oracle.map(describe)
            if a != b {
                report.mismatches.append("\(describe(id)) offset \(offset) limit \(limit.map(String.init) ?? "none"): SQL \(a.count) \(a.prefix(3)), matcher \(b.count) \(b.prefix(3))")
            }
        }
        return report
    }

    /// A key taken from an indexed data set (so that queries match), sometimes changed into a wildcard, range, list or
    /// case variant.
    static func addKey(_ id: inout Dataset, level: QueryLevel, from ds: Dataset, root: String, using g: inout Generator) {
        func v(_ t: Tag) -> String { ds.string(t) ?? "" }
        func wild(_ s: String) -> String {
            guard !s.isEmpty else { return "*" }
            switch Int.random(in: 0..<5, using: &g) {
            case 0: return String(s.prefix(Int.random(in: 1...s.count, using: &g))) + "*"
            case 1: return "*" + String(s.suffix(Int.random(in: 1...s.count, using: &g)))
            case 2: var c = Array(s); c[Int.random(in: 0..<c.count, using: &g)] = "?"; return String(c)
            case 3: return "*" + String(s.dropFirst(s.count / 2).prefix(2)) + "*"
            default: return s
            }
        }
        func range(_ s: String, width: Int) -> String {
            let cut = String(s.prefix(width))
            switch Int.random(in: 0..<4, using: &g) {
            case 0: return cut + "-"
            case 1: return "-" + cut
            case 2: return cut + "-" + cut
            default: return s
            }
        }
        switch Int.random(in: 0..<12, using: &g) {
        case 0:
            var n = v(.patientName)
            switch Int.random(in: 0..<3, using: &g) { case 0: n = n.lowercased(); case 1: n = n.uppercased(); default: break }
            id.set(.patientName, .PN, wild(n))
        case 1: id.set(.patientID, .LO, wild(v(.patientID)))
        case 2: id.set(.studyDate, .DA, v(.studyDate).isEmpty ? "20200101-20201231" : range(v(.studyDate), width: 8))
        case 3: id.set(Tag(0x0008, 0x0030), .TM, v(Tag(0x0008, 0x0030)).isEmpty ? "0800-1200" : range(v(Tag(0x0008, 0x0030)), width: Int.random(in: 2...6, using: &g)))
        case 4: id.set(Tag(0x0008, 0x1030), .LO, wild(v(Tag(0x0008, 0x1030))))
        case 5:
            if level == .study { id.set(Tag(0x0008, 0x0061), .CS, strings: Array(modalities.shuffled(using: &g).prefix(Int.random(in: 1...2, using: &g)))) }
            else { id.set(.modality, .CS, wild(v(.modality))) }
        case 6: id.set(.studyInstanceUID, .UI, strings: [v(.studyInstanceUID), root + ".999.1"])
        case 7: id.set(Tag(0x0008, 0x0050), .SH, wild(v(Tag(0x0008, 0x0050))))
        case 8: if level == .series || level == .image { id.set(.seriesInstanceUID, .UI, v(.seriesInstanceUID)) } else { id.set(Tag(0x0010, 0x0040), .CS, v(Tag(0x0010, 0x0040))) }
        case 9: id.set(Tag(0x0010, 0x0030), .DA, v(Tag(0x0010, 0x0030)).isEmpty ? "-19600101" : range(v(Tag(0x0010, 0x0030)), width: 8))
        case 10: id.set(Tag(0x0020, 0x0011), .IS, v(Tag(0x0020, 0x0011)))
        default: id.set(Tag(0x0008, 0x103E), .LO, wild(v(Tag(0x0008, 0x103E))))
        }
    }

    static func describe(_ d: Dataset) -> String {
        d.map { "\($0.tag)=\($0.strings(d.characterSet).joined(separator: "\\"))" }.joined(separator: " ")
    }
}
