import DICOM
import Foundation
import Imaging

/// Writes the non-SR report objects of a result into the patient's study: the PDF report as Encapsulated PDF and
/// the result screen (the image with its regions, the curves) as an RGB Secondary Capture, both referencing the
/// images the result was measured on.
public enum ReportDocumentWriter {
    /// Encapsulated PDF Storage.
    public static let pdfSOPClassUID = "1.2.840.10008.5.1.4.1.1.104.1"
    /// Secondary Capture Image Storage.
    public static let secondaryCaptureSOPClassUID = "1.2.840.10008.5.1.4.1.1.7"

    static func base(sopClassUID: String, modality: String, study: StudyAttributes, series: SeriesAttributes, date: Date) -> Dataset {
        let (d, t) = MeasurementReportWriter.stamp(date)
        var ds = series.header(sopClassUID: sopClassUID, sopInstanceUID: UIDGenerator.newUID(), modality: modality, date: d, time: t, study: study)
        _ = ds.remove(.frameOfReferenceUID)
        _ = ds.remove(Tag(0x0020, 0x1040))
        ds.set(.manufacturer, .LO, "Scinti")
        MeasurementReportWriter.blankInvalidDates(&ds)
        ds.set(Tag(0x0008, 0x0064), .CS, "WSD")                                 // Conversion Type: workstation
        ds.set(.instanceNumber, .IS, "1")
        ds.set(.contentDate, .DA, d)
        ds.set(.contentTime, .TM, t)
        return ds
    }

    static func sourceSequence(_ refs: [MeasurementReport.ImageReference]) -> [Dataset] {
        refs.map { r in
            var i = Dataset()
            i.set(Tag(0x0008, 0x1150), .UI, r.sopClassUID)
            i.set(Tag(0x0008, 0x1155), .UI, r.sopInstanceUID)
            return i
        }
    }

    /// The Encapsulated PDF data set for `pdf` (the bytes of a PDF file) titled `title`.
    public static func pdfDataset(_ pdf: [UInt8], title: String, sources: [MeasurementReport.ImageReference], study: StudyAttributes,
                                  series: SeriesAttributes, date: Date = Date()) throws(DICOMError) -> Dataset {
        guard pdf.starts(with: Array("%PDF-".utf8)) else {
            throw DICOMError(.invalidValue, tag: Tag(0x0042, 0x0011), "Encapsulated PDF: the document does not start with %PDF-")
        }
        var ds = base(sopClassUID: pdfSOPClassUID, modality: "DOC", study: study, series: series, date: date)
        _ = ds.remove(Tag(0x0020, 0x0060))
        _ = ds.remove(.seriesDate); _ = ds.remove(.seriesTime)
        ds.set(Tag(0x0008, 0x002A), .DT, "")                                    // Acquisition DateTime (type 2)
        ds.set(Tag(0x0028, 0x0301), .CS, "YES")                                 // Burned In Annotation: names the patient
        ds.set(Tag(0x0042, 0x0010), .ST, String(title.prefix(1024)))            // Document Title
        ds.set(Tag(0x0040, 0xA043), sequence: [])                               // Concept Name Code Sequence (type 2)
        if !sources.isEmpty { ds.set(Tag(0x0042, 0x0013), sequence: sourceSequence(sources)) }  // Source Instance Sequence
        ds.set(Tag(0x0042, 0x0012), .LO, "application/pdf")
        ds.set(Tag(0x0042, 0x0015), .UL, numbers: [Double(pdf.count)])          // Encapsulated Document Length
        var bytes = pdf
        if bytes.count % 2 == 1 { bytes.append(0) }
        ds.set(Element(tag: Tag(0x0042, 0x0011), vr: .OB, bytes: bytes))
        return ds
    }

    /// The Secondary Capture data set of an 8-bit RGB result screen (`rgb` rows × columns × 3, interleaved).
    public static func secondaryCaptureDataset(rgb: [UInt8], columns: Int, rows: Int, title: String, sources: [MeasurementReport.ImageReference],
                                               study: StudyAttributes, series: SeriesAttributes, date: Date = Date()) throws(DICOMError) -> Dataset {
        guard columns > 0, rows > 0, columns <= 65535, rows <= 65535, rgb.count == columns * rows * 3 else {
            throw DICOMError(.invalidValue, tag: .pixelData, "Secondary Capture: \(rgb.count) bytes for \(columns)×\(rows) RGB")
        }
        var ds = base(sopClassUID: secondaryCaptureSOPClassUID, modality: "OT", study: study, series: series, date: date)
        ds.set(.imageType, .CS, strings: ["DERIVED", "SECONDARY"])
        ds.set(Tag(0x0020, 0x0020), .CS, "")                                    // Patient Orientation (type 2C)
        ds.set(Tag(0x0028, 0x0301), .CS, "NO")                                  // Burned In Annotation: no identifiers drawn
        ds.set(Tag(0x0008, 0x2111), .ST, String("Scinti result screen: \(title)".prefix(1024)))   // Derivation Description
        if !sources.isEmpty { ds.set(Tag(0x0008, 0x2112), sequence: sourceSequence(sources)) }   // Source Image Sequence
        ds.set(.samplesPerPixel, .US, numbers: [3])
        ds.set(.photometricInterpretation, .CS, "RGB")
        ds.set(Tag(0x0028, 0x0006), .US, numbers: [0])                          // Planar Configuration: interleaved
        ds.set(.rows, .US, numbers: [Double(rows)])
        ds.set(.columns, .US, numbers: [Double(columns)])
        ds.set(.bitsAllocated, .US, numbers: [8]); ds.set(.bitsStored, .US, numbers: [8]); ds.set(.highBit, .US, numbers: [7])
        ds.set(.pixelRepresentation, .US, numbers: [0])
        var bytes = rgb
        if bytes.count % 2 == 1 { bytes.append(0) }
        ds.set(Element(tag: .pixelData, vr: .OB, bytes: bytes))
        return ds
    }

    /// Writes a data set built here (explicit VR little endian, strict validation).
    public static func write(_ ds: Dataset, to path: String) throws(DICOMError) {
        try MeasurementReportWriter.writeFile(ds, to: path)
    }
}
