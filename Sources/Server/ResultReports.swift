import Archive
import DICOM
import DICOMImaging
import Foundation
import GRDB
import Imaging
import Workflows

/// The report documents of finished results in the patient's study: after every analysis or dose job the measurement
/// SR (TID 1500), the result screen (Secondary Capture), the PDF (Encapsulated PDF) and for dose jobs the
/// Radiopharmaceutical Radiation Dose SR are written into the source study and indexed (QIDO finds them). A later
/// document for the same study, source series and title (a re-run, edited regions, a sign-off, an amendment)
/// references the one it replaces in the Predecessor Documents Sequence; nothing is overwritten.
public enum ResultReports {
    /// What a job's report is made from.
    public struct Inputs: Sendable {
        /// The job record's JSON.
        public var json: Data
        /// Paths of the analysed images (the first gives patient and study).
        public var sourceFiles: [String]
        /// The NM file drawn on the result screen.
        public var nmPath: String?
        /// The RT Dose of a dose job.
        public var rtDosePath: String?
        /// VOI label → segment of the job's SEG.
        public var segments: [String: MeasurementReport.SegmentReference]
    }

    /// Reads one job from `jobs.sqlite` of an archive folder (for `scinti report JOB_ID --archive DIR`).
    public static func job(id: String, archiveDirectory: String) throws -> JobRecord? {
        let path = archiveDirectory + "/jobs.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        return try SQLiteJobStore(path: path).get(id.lowercased())
    }

    /// The inputs of a finished job's report from the archive. Throws when the job has not finished successfully.
    public static func inputs(job: JobRecord, archive: Archive) throws -> Inputs {
        guard job.state == "done", let result = job.result else {
            throw WorkflowError("job \(job.id) is \(job.state)\(job.state == "failed" ? ": \(job.message)" : ""): no report for a job that has not finished successfully")
        }
        let req = try JSONDecoder().decode(JobRequest.self, from: Data(job.request.utf8))
        var files: [String] = []
        var nm: String? = nil, rtdose: String? = nil
        var segments: [String: MeasurementReport.SegmentReference] = [:]
        switch job.type {
        case "analysis":
            for uid in [req.series].compactMap({ $0 }) + (req.inputs ?? [:]).keys.sorted().compactMap({ req.inputs?[$0] }) {
                files += try archive.instances(seriesUIDs: [uid]).map(\.path)
            }
            nm = files.first
        case "dose":
            for v in req.visits ?? [] { files += try archive.instances(seriesUIDs: [v.spect]).map(\.path) }
            let r = try JSONSerialization.jsonObject(with: Data(result.utf8)) as? [String: Any]
            if let dose = r?["seriesUID"] as? String { rtdose = try archive.instances(seriesUIDs: [dose]).first?.path }
            if let m = req.masks, let seg = try archive.instances(seriesUIDs: [m]).first {
                let ds = try DICOMFile.read(path: seg.path, options: ReadOptions(stopBeforePixels: true)).dataset
                let ref = MeasurementReport.ImageReference(sopClassUID: ds.string(.sopClassUID) ?? SegmentationWriter.sopClassUID,
                                                           sopInstanceUID: seg.sopInstanceUID, seriesUID: seg.seriesUID, studyUID: seg.studyUID)
                for item in ds.sequence(Tag(0x0062, 0x0002)) {
                    if let n = item.int(Tag(0x0062, 0x0004)), let label = item.string(Tag(0x0062, 0x0005)) {
                        segments[label] = .init(segmentation: ref, segmentNumber: n, sourceSeriesUID: req.visits?.first?.spect)
                    }
                }
            }
        default:
            throw WorkflowError("job \(job.id) is a \(job.type) job: reports are written for analysis and dose jobs")
        }
        guard !files.isEmpty else { throw WorkflowError("job \(job.id): its source images are no longer in the archive") }
        return Inputs(json: Data(try JobAPI.encode(job)), sourceFiles: files, nmPath: nm, rtDosePath: rtdose, segments: segments)
    }

    /// Writes the job's report documents into the archive and records them. `signOff`/`impression` make the
    /// physician's report (a VERIFIED SR and the final PDF); `kinds` limits what is written.
    @discardableResult
    public static func store(job: JobRecord, archive: Archive, workDirectory: String, impression: String? = nil,
                             signOff: MeasurementReport.SignOff? = nil, kinds: Set<String> = ["sr", "sc", "pdf", "dose-sr"]) throws -> [Archive.ResultDocument] {
        let inputs = try Self.inputs(job: job, archive: archive)
        let (refs, study) = try ReportExport.sources(files: inputs.sourceFiles)
        var content = try ResultReport.content(json: inputs.json, source: "job \(job.id)", sources: refs, segments: inputs.segments)
        content.report.impression = impression
        ReportExport.fillAdministration(&content.report, from: inputs.sourceFiles.first)
        content.report.signOff = signOff
        return try store(content, study: study, resultID: job.id, nmPath: inputs.nmPath, rtDosePath: inputs.rtDosePath,
                         archive: archive, workDirectory: workDirectory, kinds: kinds)
    }

    /// The physician's report template of a finished job: its study type's heading, findings pre-filled from the
    /// analysis and a suggested impression (``ReportTemplate``).
    public static func template(job: JobRecord, archive: Archive) throws -> ReportTemplate {
        let inputs = try Self.inputs(job: job, archive: archive)
        let (refs, _) = try ReportExport.sources(files: inputs.sourceFiles)
        var content = try ResultReport.content(json: inputs.json, source: "job \(job.id)", sources: refs, segments: inputs.segments)
        ReportExport.fillAdministration(&content.report, from: inputs.sourceFiles.first)
        let req = try? JSONDecoder().decode(JobRequest.self, from: Data(job.request.utf8))
        return ReportTemplate.make(for: content.report, analysis: job.type == "dose" ? "dose" : req?.analysis)
    }

    /// After a job finished: its documents go into the study; a failure is appended to the job's message (the result
    /// stays done).
    static func afterJob(_ rec: JobRecord, manager: JobManager) {
        do {
            let docs = try store(job: rec, archive: manager.archive, workDirectory: manager.workDirectory)
            manager.update(rec.id, message: rec.message + "; reports: " + docs.map(\.kind).joined(separator: ", "))
        } catch {
            manager.update(rec.id, message: rec.message + "; reports not written: \(error)")
        }
    }

    /// Writes report documents of a content into the archive (shared by jobs and QC results).
    static func store(_ content: ResultReport.Content, study: StudyAttributes?, resultID: String, nmPath: String?, rtDosePath: String?,
                      archive: Archive, workDirectory: String, kinds: Set<String>) throws -> [Archive.ResultDocument] {
        guard let study else { throw WorkflowError("result \(resultID): no source image, so no study to write the report into") }
        var content = content
        let sourceSeries = content.report.sourceImages.first?.seriesUID
        if let previous = try archive.latestResultDocument(kind: "sr", studyUID: study.studyInstanceUID, sourceSeries: sourceSeries, title: content.report.title),
           let inst = try archive.instances(sopUIDs: [previous.sopInstanceUID]).first {
            content.report.predecessor = .init(sopClassUID: previous.sopClassUID, sopInstanceUID: previous.sopInstanceUID,
                                               seriesUID: inst.seriesUID, studyUID: inst.studyUID)
        }
        let dir = workDirectory + "/reports-" + UUID().uuidString.lowercased()
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let t = ReportExport.Targets(sr: kinds.contains("sr") ? dir + "/sr.dcm" : nil,
                                     secondaryCapture: kinds.contains("sc") ? dir + "/sc.dcm" : nil,
                                     encapsulatedPDF: kinds.contains("pdf") ? dir + "/pdf.dcm" : nil,
                                     doseSR: kinds.contains("dose-sr") && content.report.administration != nil ? dir + "/dose-sr.dcm" : nil)
        var written = try ReportExport.write(content, study: study, nmPath: nmPath, rtDosePath: rtDosePath, to: t)
        // A result screen needs an image or a curve; without them the other documents are still written.
        written.files.removeAll { $0.sopInstanceUID.isEmpty }
        var docs: [Archive.ResultDocument] = []
        let now = Archive.timestamp(Date())
        for f in written.files {
            switch try archive.importFile(f.path, sourceAE: "SCINTI-REPORT") {
            case .rejected(let why): throw WorkflowError("report \(f.kind) not stored: \(why)")
            default: break
            }
            let cls = try DICOMFile.read(path: f.path, options: ReadOptions(stopBeforePixels: true)).dataset.string(.sopClassUID) ?? ""
            let d = Archive.ResultDocument(sopInstanceUID: f.sopInstanceUID, sopClassUID: cls, kind: f.kind == "pdf-dicom" ? "pdf" : f.kind,
                                           resultID: resultID, studyUID: study.studyInstanceUID, sourceSeries: sourceSeries,
                                           title: content.report.title, created: now,
                                           predecessor: f.kind == "sr" ? content.report.predecessor?.sopInstanceUID : nil,
                                           signedBy: content.report.signOff?.name, signedAt: content.report.signOff?.dateTime)
            try archive.insertResultDocument(d)
            docs.append(d)
        }
        return docs
    }

    /// The QC result `id` as a report content (the QC image's study), with the physicist's approval as sign-off.
    static func qcContent(_ r: Archive.QCResultRecord, archive: Archive, approval: Archive.ResultApproval?) throws -> (ResultReport.Content, StudyAttributes?, String?) {
        var object = (try? JSONSerialization.jsonObject(with: Data(r.resultJSON.utf8))) as? [String: Any] ?? [:]
        object["test"] = r.test; object["status"] = r.status; object["camera"] = r.camera
        if let h = r.head { object["head"] = h }
        if let c = r.collimator { object["collimator"] = c }
        object["summary"] = r.summary
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        let path = try r.sopInstanceUID.flatMap { try archive.instances(sopUIDs: [$0]).first?.path }
        let (refs, study) = try ReportExport.sources(files: path.map { [$0] } ?? [])
        var content = try ResultReport.content(json: data, source: "QC result \(r.id ?? 0)", sources: refs)
        content.report.resultID = "QC result \(r.id ?? 0)"
        if !r.summary.isEmpty { content.report.findings.append(r.summary) }
        if let a = approval {
            content.report.signOff = .init(name: a.approvedBy, organisation: "", dateTime: dicomDateTime(Date()))
            content.report.quality.append("Approved by the physicist \(a.approvedBy) at \(a.approvedAt)\(a.comment.isEmpty ? "" : ": \(a.comment)")")
        }
        return (content, study, path)
    }

    /// A DICOM DT (UTC, with offset) of a date.
    static func dicomDateTime(_ d: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX"); f.timeZone = TimeZone(identifier: "UTC"); f.dateFormat = "yyyyMMddHHmmss"
        return f.string(from: d) + "+0000"
    }
}
