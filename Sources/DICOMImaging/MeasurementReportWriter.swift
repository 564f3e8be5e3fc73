import DICOM
import Foundation
import Imaging

/// Writes an ``Imaging/MeasurementReport`` as a DICOM Comprehensive SR following TID 1500 (Measurement Report):
/// the Image Library with the source images, one Measurement Group per region/VOI (TID 1410 with the region as SCOORD
/// on its image, TID 1411 with the Referenced Segment of a SEG, else TID 1501), each value a NUM with a UCUM unit, and
/// the method, conventions, findings, quality statements and warnings as TEXT items of Qualitative Evaluations.
/// An amended report names the one it replaces in the Predecessor Documents Sequence; a signed one is VERIFIED with
/// its Verifying Observer.
public enum MeasurementReportWriter {
    /// Comprehensive SR Storage.
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.88.33"
    /// Private coding scheme for Scinti's result quantities that have no DCM/SCT/LOINC code.
    public static let privateScheme = "99SCINTI"

    typealias Code = MeasurementReport.Code

    /// Builds the SR data set in the study described by `study`.
    public static func dataset(_ report: MeasurementReport, study: StudyAttributes, series: SeriesAttributes,
                               date: Date = Date(), instanceNumber: Int = 1) throws(DICOMError) -> Dataset {
        guard !report.groups.isEmpty || !report.summary.isEmpty else {
            throw DICOMError(.invalidValue, tag: SR.contentSequence, "SR writer: the report '\(report.title)' has no measurement")
        }
        for m in report.allMeasurements where !m.value.isFinite {
            throw DICOMError(.invalidValue, tag: SR.numericValue, "SR writer: \(m.source) is not a finite number")
        }
        let (d, t) = stamp(date)
        var ds = document(report, study: study, series: series, sopClassUID: sopClassUID, date: d, time: t, instanceNumber: instanceNumber)
        ds.set(SR.valueType, .CS, "CONTAINER")
        ds.set(SR.conceptNameCodeSequence, sequence: [code(Code("126000", "DCM", "Imaging Measurement Report"))])
        ds.set(SR.continuityOfContent, .CS, "SEPARATE")
        ds.set(SR.contentTemplateSequence, sequence: [template("1500")])
        var content: [Dataset] = [
            codeItem("HAS CONCEPT MOD", Code("121049", "DCM", "Language of Content Item and Descendants"), Code("en-US", "RFC5646", "English (United States)")),
            textItem("HAS OBS CONTEXT", Code("121005", "DCM", "Observer Type"), nil, code: Code("121007", "DCM", "Device")),
            uidItem("HAS OBS CONTEXT", Code("121012", "DCM", "Device Observer UID"), UIDGenerator.implementationClassUID),
            textItem("HAS OBS CONTEXT", Code("121013", "DCM", "Device Observer Name"), "Scinti"),
            textItem("HAS OBS CONTEXT", Code("121015", "DCM", "Device Observer Model Name"), String(report.software.prefix(64))),
            codeItem("HAS CONCEPT MOD", Code("121058", "DCM", "Procedure reported"), Code("49118-2", "LN", "Nuclear medicine study")),
        ]
        if let s = report.signOff {
            content.insert(textItem("HAS OBS CONTEXT", Code("121005", "DCM", "Observer Type"), nil, code: Code("121006", "DCM", "Person")), at: 5)
            var pn = item("HAS OBS CONTEXT", "PNAME", Code("121008", "DCM", "Person Observer Name"))
            pn.set(SR.personName, .PN, s.name)
            content.insert(pn, at: 6)
        }
        // Image Library: one group of the images measured.
        var library = container("CONTAINS", Code("111028", "DCM", "Image Library"))
        if !report.sourceImages.isEmpty {
            var group = container("CONTAINS", Code("126200", "DCM", "Image Library Group"))
            group.set(SR.contentSequence, sequence: report.sourceImages.map { imageItem("CONTAINS", nil, $0) })
            library.set(SR.contentSequence, sequence: [group])
        }
        content.append(library)
        // Imaging Measurements: one Measurement Group per region/VOI.
        var measurements = container("CONTAINS", Code("126010", "DCM", "Imaging Measurements"))
        var groups: [Dataset] = []
        for g in report.groups {
            var mg = container("CONTAINS", Code("125007", "DCM", "Measurement Group"))
            let tid = g.region != nil ? "1410" : g.segment != nil ? "1411" : "1501"
            mg.set(SR.contentTemplateSequence, sequence: [template(tid)])
            var items: [Dataset] = [
                textItem("HAS OBS CONTEXT", Code("112039", "DCM", "Tracking Identifier"), String(g.trackingIdentifier.prefix(64))),
                uidItem("HAS OBS CONTEXT", Code("112040", "DCM", "Tracking Unique Identifier"), g.trackingUID),
            ]
            if let r = g.region {
                var scoord = item("CONTAINS", "SCOORD", Code("111030", "DCM", "Image Region"))
                scoord.set(SR.graphicType, .CS, r.shape)
                scoord.set(SR.graphicData, .FL, numbers: r.points)
                scoord.set(SR.contentSequence, sequence: [imageItem("SELECTED FROM", nil, r.image)])
                items.append(scoord)
            } else if let s = g.segment {
                var seg = imageItem("CONTAINS", Code("121191", "DCM", "Referenced Segment"), s.segmentation)
                var ref = seg.sequence(SR.referencedSOPSequence)[0]
                ref.set(Tag(0x0062, 0x000B), .US, numbers: [Double(s.segmentNumber)])
                seg.set(SR.referencedSOPSequence, sequence: [ref])
                items.append(seg)
                if let src = s.sourceSeriesUID { items.append(uidItem("CONTAINS", Code("121232", "DCM", "Source series for segmentation"), src)) }
            } else if let src = report.sourceImages.first {
                items.append(imageItem("CONTAINS", Code("260753009", "SCT", "Source"), src))
            }
            items.append(codeItem("CONTAINS", Code("121071", "DCM", "Finding"), g.finding))
            for m in g.measurements { items.append(numItem(m)) }
            mg.set(SR.contentSequence, sequence: items)
            groups.append(mg)
        }
        measurements.set(SR.contentSequence, sequence: groups)
        content.append(measurements)
        // Qualitative Evaluations: method, conventions, findings, quality, warnings, summary rows, impression.
        var texts: [Dataset] = []
        for (k, v) in report.conventions.sorted(by: { $0.key < $1.key }) {
            let concept = k == "method" ? Code("370129005", "SCT", "Measurement Method") : Code("CONVENTION", privateScheme, "Convention")
            texts.append(textItem("CONTAINS", concept, k == "method" ? v : "\(k): \(v)"))
        }
        for f in report.findings { texts.append(textItem("CONTAINS", Code("121071", "DCM", "Finding"), f)) }
        for q in report.quality { texts.append(textItem("CONTAINS", Code("QUALITY", privateScheme, "Quality statement"), q)) }
        for w in report.warnings { texts.append(textItem("CONTAINS", Code("WARNING", privateScheme, "Warning"), w)) }
        for row in report.summary where row.count >= 2 {
            texts.append(textItem("CONTAINS", Code("RESULT", privateScheme, "Result row"), "\(row[0]): \(row[1])"))
        }
        if let i = report.impression { texts.append(textItem("CONTAINS", Code("121073", "DCM", "Impression"), i)) }
        texts.append(textItem("CONTAINS", Code("SOFTWARE", privateScheme, "Software"), "\(report.software); result \(report.resultID)"))
        var qualitative = container("CONTAINS", Code("C0034375", "UMLS", "Qualitative Evaluations"))
        qualitative.set(SR.contentSequence, sequence: texts)
        content.append(qualitative)
        ds.set(SR.contentSequence, sequence: content)
        return ds
    }

    /// Writes the SR file (explicit VR little endian, strict validation). Returns the SOP Instance UID.
    @discardableResult
    public static func write(_ report: MeasurementReport, study: StudyAttributes, series: SeriesAttributes, to path: String) throws(DICOMError) -> String {
        let ds = try dataset(report, study: study, series: series)
        try writeFile(ds, to: path)
        return ds.string(.sopInstanceUID) ?? ""
    }

    // MARK: Document modules shared by the SR writers

    /// DA and TM (UTC) of a date.
    static func stamp(_ date: Date) -> (String, String) {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "yyyyMMdd"; let d = f.string(from: date)
        f.dateFormat = "HHmmss"; return (d, f.string(from: date))
    }

    /// SOP Common, Patient, General Study, SR Document Series, General Equipment and SR Document General modules.
    static func document(_ report: MeasurementReport, study: StudyAttributes, series: SeriesAttributes, sopClassUID: String,
                         date: String, time: String, instanceNumber: Int) -> Dataset {
        var ds = series.header(sopClassUID: sopClassUID, sopInstanceUID: UIDGenerator.newUID(), modality: "SR", date: date, time: time, study: study)
        _ = ds.remove(.frameOfReferenceUID)
        _ = ds.remove(Tag(0x0020, 0x1040))
        _ = ds.remove(Tag(0x0020, 0x0060))
        _ = ds.remove(.seriesDate); _ = ds.remove(.seriesTime)
        ds.set(.manufacturer, .LO, "Scinti")
        ds.set(Tag(0x0018, 0x1020), .LO, String(report.software.prefix(64)))
        blankInvalidDates(&ds)
        ds.set(Tag(0x0008, 0x1111), sequence: [])                         // Referenced Performed Procedure Step Sequence
        ds.set(.instanceNumber, .IS, String(instanceNumber))
        ds.set(.contentDate, .DA, date)
        ds.set(.contentTime, .TM, time)
        ds.set(SR.completionFlag, .CS, "COMPLETE")
        if let s = report.signOff {
            ds.set(SR.verificationFlag, .CS, "VERIFIED")
            var v = Dataset()
            v.set(Tag(0x0040, 0xA030), .DT, s.dateTime)                     // Verification DateTime
            v.set(Tag(0x0040, 0xA075), .PN, s.name)                         // Verifying Observer Name
            v.set(Tag(0x0040, 0xA088), sequence: [])                        // Verifying Observer Identification Code Sequence
            v.set(Tag(0x0040, 0xA027), .LO, String(s.organisation.prefix(64)))
            ds.set(Tag(0x0040, 0xA073), sequence: [v])
        } else {
            ds.set(SR.verificationFlag, .CS, "UNVERIFIED")
        }
        ds.set(Tag(0x0040, 0xA372), sequence: [])                           // Performed Procedure Code Sequence
        if let p = report.predecessor { ds.set(Tag(0x0040, 0xA360), sequence: hierarchical([p])) }
        if !report.sourceImages.isEmpty { ds.set(Tag(0x0040, 0xA375), sequence: hierarchical(report.sourceImages)) }
        var scheme = Dataset()
        scheme.set(Tag(0x0008, 0x0102), .SH, privateScheme)
        scheme.set(Tag(0x0008, 0x0115), .ST, "Scinti result quantities")
        scheme.set(Tag(0x0008, 0x0116), .ST, "Scinti project")
        ds.set(Tag(0x0008, 0x0110), sequence: [scheme])                     // Coding Scheme Identification Sequence
        return ds
    }

    /// A source's date that is not a calendar date (e.g. a vendor's `00000000` birth date) is left empty, not copied.
    static func blankInvalidDates(_ ds: inout Dataset) {
        for t in [Tag(0x0010, 0x0030), Tag.studyDate] {
            guard let v = ds.string(t) else { continue }
            let ok = v.count == 8 && v.allSatisfy(\.isNumber) && Int(v.prefix(4))! >= 1800 && (1...12).contains(Int(v.dropFirst(4).prefix(2))!)
                && (1...31).contains(Int(v.suffix(2))!)
            if !ok { ds.set(t, .DA, "") }
        }
    }

    /// SOP Instance Reference Macro items (study → series → instances) for the evidence and predecessor sequences.
    static func hierarchical(_ refs: [MeasurementReport.ImageReference]) -> [Dataset] {
        var studies: [String: [String: [MeasurementReport.ImageReference]]] = [:]
        var order: [String] = []
        for r in refs {
            if studies[r.studyUID] == nil { order.append(r.studyUID) }
            studies[r.studyUID, default: [:]][r.seriesUID, default: []].append(r)
        }
        return order.map { st in
            var item = Dataset()
            item.set(.studyInstanceUID, .UI, st)
            item.set(Tag(0x0008, 0x1115), sequence: studies[st]!.sorted(by: { $0.key < $1.key }).map { se, rs in
                var s = Dataset()
                s.set(.seriesInstanceUID, .UI, se)
                var seen = Set<String>()
                s.set(SR.referencedSOPSequence, sequence: rs.filter { seen.insert($0.sopInstanceUID).inserted }.map { r in
                    var i = Dataset()
                    i.set(Tag(0x0008, 0x1150), .UI, r.sopClassUID)
                    i.set(Tag(0x0008, 0x1155), .UI, r.sopInstanceUID)
                    return i
                })
                return s
            })
            return item
        }
    }

    static func writeFile(_ ds: Dataset, to path: String) throws(DICOMError) {
        try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian, source: path), to: path,
                              options: WriteOptions(transferSyntax: .explicitVRLittleEndian, validation: .strict))
    }

    // MARK: Content items

    static func code(_ c: Code) -> Dataset {
        var d = Dataset()
        // Code values over 16 characters go to Long Code Value (0008,0119), as PS3.3 8.8 asks.
        if c.value.count > 16 { d.set(Tag(0x0008, 0x0119), .UC, c.value) } else { d.set(Tag(0x0008, 0x0100), .SH, c.value) }
        d.set(Tag(0x0008, 0x0102), .SH, c.scheme)
        d.set(Tag(0x0008, 0x0104), .LO, String(ascii(c.meaning).prefix(64)))
        return d
    }

    static func template(_ id: String) -> Dataset {
        var d = Dataset()
        d.set(Tag(0x0008, 0x0105), .CS, "DCMR")
        d.set(Tag(0x0040, 0xDB00), .CS, id)
        return d
    }

    static func item(_ relationship: String, _ valueType: String, _ concept: Code?) -> Dataset {
        var d = Dataset()
        d.set(SR.relationshipType, .CS, relationship)
        d.set(SR.valueType, .CS, valueType)
        if let concept { d.set(SR.conceptNameCodeSequence, sequence: [code(concept)]) }
        return d
    }

    static func container(_ relationship: String, _ concept: Code) -> Dataset {
        var d = item(relationship, "CONTAINER", concept)
        d.set(SR.continuityOfContent, .CS, "SEPARATE")
        return d
    }

    /// A TEXT item, or a CODE item when `code` is given.
    static func textItem(_ relationship: String, _ concept: Code, _ text: String?, code c: Code? = nil) -> Dataset {
        if let c { return codeItem(relationship, concept, c) }
        var d = item(relationship, "TEXT", concept)
        d.set(SR.textValue, .UT, ascii(text ?? "").isEmpty ? "-" : ascii(text ?? ""))
        return d
    }

    /// ASCII spelling of report text (DCMTK 3.6.7's dsrdump rejects Latin-1 symbols such as × in UT values).
    static func ascii(_ s: String) -> String {
        let map: [Character: String] = ["×": "x", "—": "-", "–": "-", "≥": ">=", "≤": "<=", "°": " deg", "²": "2", "³": "3", "µ": "u", "μ": "u",
                                        "·": ".", "±": "+/-", "→": "->", "‘": "'", "’": "'", "“": "\"", "”": "\"", "…": "..."]
        return String(s.flatMap { c -> String in c.isASCII ? String(c) : map[c] ?? "?" })
    }

    static func codeItem(_ relationship: String, _ concept: Code, _ value: Code) -> Dataset {
        var d = item(relationship, "CODE", concept)
        d.set(SR.conceptCodeSequence, sequence: [code(value)])
        return d
    }

    static func uidItem(_ relationship: String, _ concept: Code, _ uid: String) -> Dataset {
        var d = item(relationship, "UIDREF", concept)
        d.set(SR.uid, .UI, uid)
        return d
    }

    static func dateTimeItem(_ relationship: String, _ concept: Code, _ dt: String) -> Dataset {
        var d = item(relationship, "DATETIME", concept)
        d.set(Tag(0x0040, 0xA120), .DT, dt)
        return d
    }

    static func imageItem(_ relationship: String, _ concept: Code?, _ r: MeasurementReport.ImageReference) -> Dataset {
        var d = item(relationship, "IMAGE", concept)
        var ref = Dataset()
        ref.set(Tag(0x0008, 0x1150), .UI, r.sopClassUID)
        ref.set(Tag(0x0008, 0x1155), .UI, r.sopInstanceUID)
        if !r.frames.isEmpty { ref.set(Tag(0x0008, 0x1160), .IS, strings: r.frames.map(String.init)) }
        d.set(SR.referencedSOPSequence, sequence: [ref])
        return d
    }

    static func numItem(_ m: MeasurementReport.Measurement, relationship: String = "CONTAINS") -> Dataset {
        numItem(relationship, m.concept, m.value, unit: m.unit)
    }

    static func numItem(_ relationship: String, _ concept: Code, _ value: Double, unit: String) -> Dataset {
        var d = item(relationship, "NUM", concept)
        var mv = Dataset()
        mv.set(Tag(0x0040, 0x08EA), sequence: [code(Code(unit, "UCUM", unit))])
        mv.set(SR.numericValue, .DS, strings: [numeric(value)])
        d.set(Tag(0x0040, 0xA300), sequence: [mv])
        return d
    }

    /// A DS value (at most 16 characters) that keeps as many digits as fit.
    static func numeric(_ v: Double) -> String {
        for digits in stride(from: 10, through: 1, by: -1) {
            let s = DecimalString.format(Double(String(format: "%.\(digits)g", v)) ?? v)
            if s.count <= 16 { return s }
        }
        return String(format: "%.3e", v)
    }
}

/// Tags of the SR modules.
enum SR {
    static let relationshipType = Tag(0x0040, 0xA010)
    static let valueType = Tag(0x0040, 0xA040)
    static let conceptNameCodeSequence = Tag(0x0040, 0xA043)
    static let continuityOfContent = Tag(0x0040, 0xA050)
    static let personName = Tag(0x0040, 0xA123)
    static let uid = Tag(0x0040, 0xA124)
    static let textValue = Tag(0x0040, 0xA160)
    static let conceptCodeSequence = Tag(0x0040, 0xA168)
    static let numericValue = Tag(0x0040, 0xA30A)
    static let completionFlag = Tag(0x0040, 0xA491)
    static let verificationFlag = Tag(0x0040, 0xA493)
    static let contentTemplateSequence = Tag(0x0040, 0xA504)
    static let contentSequence = Tag(0x0040, 0xA730)
    static let referencedSOPSequence = Tag(0x0008, 0x1199)
    static let graphicData = Tag(0x0070, 0x0022)
    static let graphicType = Tag(0x0070, 0x0023)
}
