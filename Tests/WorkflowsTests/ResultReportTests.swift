import DICOM
import DICOMImaging
import Foundation
import Imaging
import Rendering
import Testing
@testable import Workflows

/// Report documents from result JSON written here by hand (the truth): every value with a known unit reaches the SR
/// as a NUM with its UCUM unit, regions become SCOORDs on their image, dose VOIs reach the dose SR, bad input is refused.
@Suite struct ResultReportTests {
    static let analysisJob = """
    {"analysis":"lvef","result":{"lvef":62.5,"edFrame":3,"peakEjectionRateEDVPerS":2.75,"method":"count-based","units":{"lvef":"percent"},
     "warnings":["background from end-systole"]},
     "display":{"title":"LVEF (gated blood pool)","summary":[["LVEF","62.5 %"]],"series":"1.2.3.4","regions":[
       {"label":"heart","colour":"#e62828","frames":[2],"shape":"circle","column":10,"row":20,"radius":5}],
       "volumeMasks":[],"charts":[],"conventions":{"method":"count-based LVEF"},"warnings":[]}}
    """
    static let doseReport = """
    {"report":{"isotope":"Lu-177","decayData":"ICRP-107","method":"voxel","fitMethod":"auto","units":{},"conventions":{"dose":"mean absorbed dose"},
     "visits":[],"outputs":[],"warnings":[],"vois":[{"name":"liver","meanDoseGy":3.25,"massG":1800,"tiaMBqh":1234.5,"volumeML":1700,
     "doseMethod":"voxel","timesHours":[4,24],"activitiesMBq":[100,50],"fit":{"method":"mono","halfLifeHours":60.5}}]}}
    """
    static let image = MeasurementReport.ImageReference(sopClassUID: "1.2.840.10008.5.1.4.1.1.20", sopInstanceUID: "1.2.3.4.5", seriesUID: "1.2.3.4", studyUID: "1.2.3")
    static let study = StudyAttributes(patientName: "Test^Patient", patientID: "P1", studyDate: "20261206", studyTime: "120000", studyInstanceUID: "1.2.3")

    /// NUM items (concept code value → (value, unit)) anywhere in the content tree.
    static func nums(_ ds: Dataset) -> [String: (String, String)] {
        var out: [String: (String, String)] = [:]
        for item in ds.sequence(Tag(0x0040, 0xA730)) {
            if item.string(Tag(0x0040, 0xA040)) == "NUM", let c = item.sequence(Tag(0x0040, 0xA043)).first,
               let mv = item.sequence(Tag(0x0040, 0xA300)).first {
                let code = c.string(Tag(0x0008, 0x0100)) ?? c.string(Tag(0x0008, 0x0119)) ?? "?"
                out[code] = (mv.string(Tag(0x0040, 0xA30A)) ?? "", mv.sequence(Tag(0x0040, 0x08EA)).first?.string(Tag(0x0008, 0x0100)) ?? "")
            }
            out.merge(nums(item)) { a, _ in a }
        }
        return out
    }

    @Test func analysisMeasurementsReachTheSRWithUnits() throws {
        let c = try ResultReport.content(json: Data(Self.analysisJob.utf8), source: "t", sources: [Self.image])
        let all = Dictionary(uniqueKeysWithValues: c.report.allMeasurements.map { ($0.source, $0) })
        #expect(all["result.lvef"]?.value == 62.5 && all["result.lvef"]?.unit == "%")
        #expect(all["result.peakEjectionRateEDVPerS"]?.unit == "{EDV}/s")
        #expect(all["result.edFrame"] == nil)                       // an index has no unit: not a measurement
        let ds = try MeasurementReportWriter.dataset(c.report, study: Self.study, series: SeriesAttributes(seriesDescription: "t"))
        let n = Self.nums(ds)
        #expect(n["10230-1"]?.0 == "62.5" && n["10230-1"]?.1 == "%")
        #expect(n["peakEjectionRateEDVPerS"]?.0 == "2.75")
        // The circle: centre (10.5, 20.5) and a point on it, on frame 3 (1-based) of the source image.
        let region = c.report.groups.first { $0.region != nil }
        #expect(region?.region?.points == [10.5, 20.5, 15.5, 20.5] && region?.region?.image.frames == [3])
        _ = try DICOMWriter.encode(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian, source: "t"),
                                   options: WriteOptions(transferSyntax: .explicitVRLittleEndian, validation: .strict))
        #expect(ds.string(Tag(0x0040, 0xA493)) == "UNVERIFIED")
    }

    @Test func doseVOIsReachBothSRs() throws {
        let c = try ResultReport.content(json: Data(Self.doseReport.utf8), source: "t", sources: [Self.image])
        let liver = try #require(c.report.groups.first { $0.trackingIdentifier == "liver" })
        let m = Dictionary(uniqueKeysWithValues: liver.measurements.map { ($0.concept.meaning, ($0.value, $0.unit)) })
        #expect(m["mean Dose Gy"]?.0 == 3.25 && m["mean Dose Gy"]?.1 == "Gy")
        #expect(m["tia MBqh"]?.1 == "MBq.h" && m["mass G"]?.1 == "g")
        #expect(c.report.administration?.organDoses.first?.meanGy == 3.25)
        let ds = try RadiopharmaceuticalDoseReportWriter.dataset(c.report, study: Self.study, series: SeriesAttributes(seriesDescription: "d"))
        #expect(Self.nums(ds)["113518"]?.0 == "3250" && Self.nums(ds)["113518"]?.1 == "mGy")
    }

    @Test func amendmentNamesItsPredecessorAndSignOffVerifies() throws {
        var c = try ResultReport.content(json: Data(Self.analysisJob.utf8), source: "t", sources: [Self.image])
        let old = MeasurementReport.ImageReference(sopClassUID: MeasurementReportWriter.sopClassUID, sopInstanceUID: "1.2.3.9.9", seriesUID: "1.2.3.9", studyUID: "1.2.3")
        c.report.predecessor = old
        c.report.signOff = .init(name: "Doe^Jane", organisation: "NM", dateTime: "20261206140000+0000")
        let ds = try MeasurementReportWriter.dataset(c.report, study: Self.study, series: SeriesAttributes(seriesDescription: "t"))
        let pred = ds.sequence(Tag(0x0040, 0xA360)).first?.sequence(Tag(0x0008, 0x1115)).first?.sequence(Tag(0x0008, 0x1199)).first
        #expect(pred?.string(Tag(0x0008, 0x1155)) == "1.2.3.9.9")
        #expect(ds.string(Tag(0x0040, 0xA493)) == "VERIFIED")
        #expect(ds.sequence(Tag(0x0040, 0xA073)).first?.string(Tag(0x0040, 0xA075)) == "Doe^Jane")
    }

    @Test func badInputIsOneClearStatement() {
        let failed = #"{"id":"x","type":"analysis","state":"failed","message":"no frames","request":"{}","progress":0,"created":"t"}"#
        for (json, expected) in [("{", "not valid JSON"), (failed, "failed: no frames"), (#"{"foo":"bar"}"#, "nothing to report"), ("[1,2]", "JSON object expected")] {
            do { _ = try ResultReport.content(json: Data(json.utf8), source: "r.json"); Issue.record("accepted \(json)") } catch {
                #expect(error.message.contains(expected), "\(error.message)")
            }
        }
    }

    @Test func pdfHasValidCrossReferencesAndDocumentsEncode() throws {
        let c = try ResultReport.content(json: Data(Self.analysisJob.utf8), source: "t", sources: [Self.image])
        let grey = Raster(width: 4, height: 2, channels: 3, pixels: [UInt8](repeating: 128, count: 24))
        let pdf = try c.report.pdf(header: [("Patient", "Test")], figures: [grey],
                                   charts: [SVGPlot(title: "c", xLabel: "x", yLabel: "y", series: [.init(label: "s", x: [0, 1], y: [1, 2])])])
        let text = String(decoding: pdf, as: UTF8.self)
        #expect(text.hasPrefix("%PDF-1.4") && text.hasSuffix("%%EOF\n"))
        // Every xref entry points at "N 0 obj" (byte offsets counted independently here).
        let xrefAt = try #require(text.range(of: "startxref\n")).upperBound
        let xref = Int(text[xrefAt...].prefix { $0.isNumber })!
        let table = String(decoding: pdf[xref...], as: UTF8.self).split(separator: "\n")
        let count = Int(table[1].split(separator: " ")[1])!
        for k in 1..<count {
            let offset = Int(table[2 + k].prefix(10))!
            #expect(String(decoding: pdf[offset..<(offset + "\(k) 0 obj".utf8.count)], as: UTF8.self) == "\(k) 0 obj")
        }
        let enc = try ReportDocumentWriter.pdfDataset(pdf, title: "t", sources: [Self.image], study: Self.study, series: SeriesAttributes(seriesDescription: "p"))
        #expect(enc.double(Tag(0x0042, 0x0015)) == Double(pdf.count))
        let sc = try ReportDocumentWriter.secondaryCaptureDataset(rgb: grey.pixels, columns: 4, rows: 2, title: "t", sources: [Self.image], study: Self.study,
                                                                  series: SeriesAttributes(seriesDescription: "s"))
        for ds in [enc, sc] {
            _ = try DICOMWriter.encode(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian, source: "t"),
                                       options: WriteOptions(transferSyntax: .explicitVRLittleEndian, validation: .strict))
        }
        #expect(throws: DICOMError.self) { try ReportDocumentWriter.pdfDataset(Array("not a pdf".utf8), title: "t", sources: [], study: Self.study, series: SeriesAttributes(seriesDescription: "p")) }
    }
}
