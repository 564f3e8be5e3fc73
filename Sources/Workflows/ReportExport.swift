import DICOM
import DICOMImaging
import Foundation
import Imaging
import Rendering

/// Writes the report objects of a result (``ResultReport``) for the patient's study: the PDF, the measurement SR
/// (TID 1500), the result screen as Secondary Capture, the PDF as Encapsulated PDF, and for dose results the
/// Radiopharmaceutical Radiation Dose SR (TID 10021). Patient and study come from the analysed images, so every object
/// lands in the source study (same Study Instance UID).
public enum ReportExport {
    /// Where to write (nil: not written).
    public struct Targets: Sendable {
        public var pdf: String?, sr: String?, secondaryCapture: String?, encapsulatedPDF: String?, doseSR: String?
        /// Creates targets.
        public init(pdf: String? = nil, sr: String? = nil, secondaryCapture: String? = nil, encapsulatedPDF: String? = nil, doseSR: String? = nil) {
            self.pdf = pdf; self.sr = sr; self.secondaryCapture = secondaryCapture; self.encapsulatedPDF = encapsulatedPDF; self.doseSR = doseSR
        }
    }

    /// What was written: path → SOP Instance UID (empty for the plain PDF).
    public struct Written: Sendable {
        public var files: [(path: String, sopInstanceUID: String, kind: String)] = []
    }

    /// The image references and the study of the analysed DICOM files (the first file gives patient and study).
    public static func sources(files: [String]) throws(WorkflowError) -> ([MeasurementReport.ImageReference], StudyAttributes?) {
        var refs: [MeasurementReport.ImageReference] = []
        var study: StudyAttributes? = nil
        for f in files {
            let ds: Dataset
            do { ds = try DICOMFile.read(path: f, options: ReadOptions(stopBeforePixels: true)).dataset } catch {
                throw WorkflowError("\(f): cannot read the source image: \(error)")
            }
            guard let cls = ds.string(.sopClassUID), let inst = ds.string(.sopInstanceUID), let se = ds.string(.seriesInstanceUID),
                  let st = ds.string(.studyInstanceUID) else {
                throw WorkflowError("\(f): the source image lacks SOP Class/Instance, Series or Study Instance UID")
            }
            refs.append(.init(sopClassUID: cls, sopInstanceUID: inst, seriesUID: se, studyUID: st))
            if study == nil { study = StudyAttributes(copying: ds) }
        }
        return (refs, study)
    }

    /// Fills the administration of a dose report from the first source image's Radiopharmaceutical Information
    /// Sequence: activity (MBq), start date-time, route and the Radiopharmaceutical Administration Event UID
    /// (0008,3012), so that the dose SR names the same administration as the images. Values absent there stay empty.
    public static func fillAdministration(_ report: inout MeasurementReport, from file: String?) {
        guard report.administration != nil, let file,
              let ds = try? DICOMFile.read(path: file, options: ReadOptions(stopBeforePixels: true)).dataset,
              let item = ds.sequence(Tag(0x0054, 0x0016)).first else { return }
        if let bq = item.double(Tag(0x0018, 0x1074)), bq > 0 { report.administration?.activityMBq = bq / 1e6 }
        if let dt = item.string(Tag(0x0018, 0x1078)) { report.administration?.dateTime = dt }
        if let r = item.string(Tag(0x0018, 0x1070)) { report.administration?.route = r }
        if let uid = item.string(Tag(0x0008, 0x3012)) { report.administration?.eventUID = uid }
    }

    /// The reference to an existing SR (for amendments).
    public static func reference(sr path: String) throws(WorkflowError) -> MeasurementReport.ImageReference {
        let (refs, _) = try sources(files: [path])
        guard let r = refs.first, r.sopClassUID.hasPrefix("1.2.840.10008.5.1.4.1.1.88.") else {
            throw WorkflowError("\(path): the document to amend must be a DICOM SR")
        }
        return r
    }

    /// PDF header rows from the study.
    public static func header(_ s: StudyAttributes?, report: MeasurementReport) -> [(String, String)] {
        var rows: [(String, String)] = []
        if let s {
            rows.append(("Patient", "\(s.patientName.replacingOccurrences(of: "^", with: " ")) (ID \(s.patientID))"))
            if !s.patientBirthDate.isEmpty || !s.patientSex.isEmpty { rows.append(("Birth date / sex", "\(s.patientBirthDate) / \(s.patientSex)")) }
            rows.append(("Study", "\(s.studyDescription) \(s.studyDate) \(s.studyTime.prefix(6))".trimmingCharacters(in: .whitespaces)))
            if !s.accessionNumber.isEmpty { rows.append(("Accession", s.accessionNumber)) }
            rows.append(("Study Instance UID", s.studyInstanceUID))
        } else {
            rows.append(("Patient", "unknown (no source image given)"))
        }
        rows.append(("Result", report.resultID))
        for r in report.sourceImages.prefix(3) { rows.append(("Source image", "series \(r.seriesUID)")) }
        return rows
    }

    /// Writes the requested objects. DICOM objects need the study (`study` non-nil).
    public static func write(_ content: ResultReport.Content, study: StudyAttributes?, nmPath: String?, rtDosePath: String?,
                             to t: Targets, date: Date = Date()) throws(WorkflowError) -> Written {
        var out = Written()
        let report = content.report
        let wantsDICOM = t.sr != nil || t.secondaryCapture != nil || t.encapsulatedPDF != nil || t.doseSR != nil
        guard !wantsDICOM || study != nil else {
            throw WorkflowError("DICOM report objects need the analysed images (the patient and study they belong to): give --source FILE")
        }
        let image = ResultScreen.image(display: content.display, nmPath: nmPath, rtDosePath: rtDosePath)
        var pdf: [UInt8] = []
        if t.pdf != nil || t.encapsulatedPDF != nil {
            do { pdf = try report.pdf(header: header(study, report: report), figures: image.map { [$0] } ?? [], charts: content.charts) } catch {
                throw WorkflowError("PDF: \(error.message)")
            }
        }
        do {
            if let p = t.pdf {
                try AtomicFile.write(pdf, to: p)
                out.files.append((p, "", "pdf"))
            }
            if let p = t.sr, let s = study {
                let uid = try MeasurementReportWriter.write(report, study: s, series: SeriesAttributes(seriesNumber: 900, seriesDescription: "Scinti measurements"), to: p)
                out.files.append((p, uid, "sr"))
            }
            if let p = t.secondaryCapture, let s = study {
                guard let screen = ResultScreen.compose(image: image, charts: content.charts) else {
                    throw WorkflowError("result screen: no image (source or RT Dose) and no curve to show")
                }
                let ds = try ReportDocumentWriter.secondaryCaptureDataset(rgb: screen.pixels, columns: screen.width, rows: screen.height, title: report.title,
                                                                          sources: report.sourceImages, study: s,
                                                                          series: SeriesAttributes(seriesNumber: 901, seriesDescription: "Scinti result screen"), date: date)
                try ReportDocumentWriter.write(ds, to: p)
                out.files.append((p, ds.string(.sopInstanceUID) ?? "", "sc"))
            }
            if let p = t.encapsulatedPDF, let s = study {
                let ds = try ReportDocumentWriter.pdfDataset(pdf, title: report.title, sources: report.sourceImages, study: s,
                                                             series: SeriesAttributes(seriesNumber: 902, seriesDescription: "Scinti report (PDF)"), date: date)
                try ReportDocumentWriter.write(ds, to: p)
                out.files.append((p, ds.string(.sopInstanceUID) ?? "", "pdf-dicom"))
            }
            if let p = t.doseSR, let s = study, report.administration != nil {
                let ds = try RadiopharmaceuticalDoseReportWriter.dataset(report, study: s,
                                                                          series: SeriesAttributes(seriesNumber: 903, seriesDescription: "Scinti radiopharmaceutical dose"))
                try ReportDocumentWriter.write(ds, to: p)
                out.files.append((p, ds.string(.sopInstanceUID) ?? "", "dose-sr"))
            }
        } catch let e as WorkflowError { throw e } catch {
            throw WorkflowError("\(error)")
        }
        return out
    }
}
