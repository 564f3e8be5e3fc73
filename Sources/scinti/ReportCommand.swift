import Archive
import ArgumentParser
import Foundation
import Imaging
import Server
import Workflows

/// `scinti report JOB_ID|RESULT.json --pdf OUT.pdf --sr OUT.dcm [--sc OUT.dcm]`: the report documents of a finished
/// result (docs/reports.md).
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Report documents of a finished analysis, dose or QC result: PDF, measurement SR (TID 1500), result screen, Encapsulated PDF, dose SR.",
        discussion: """
        INPUT is a job id (with --archive: the job, its source images and RT Dose come from the archive) or a JSON file:
        a job record (GET /api/jobs/ID), a job result ({"analysis","result","display"} or {"report","display"}) or a
        QC result (scinti qc --json). DICOM objects go into the study of the source images (--source for a file).
        --amend OLD_SR.dcm writes an amendment: the new SR names the old one in its Predecessor Documents Sequence.
        Nothing is written when the input is malformed, the job failed or does not exist.
        """)

    @Argument(help: "A job id or a result JSON file.")
    var input: String
    @Option(help: "Write the PDF report here.") var pdf: String?
    @Option(help: "Write the measurement SR (Comprehensive SR, TID 1500) here.") var sr: String?
    @Option(help: "Write the result screen (Secondary Capture) here.") var sc: String?
    @Option(name: .customLong("dicom-pdf"), help: "Write the PDF as an Encapsulated PDF object here.") var dicomPDF: String?
    @Option(name: .customLong("dose-sr"), help: "Write the Radiopharmaceutical Radiation Dose SR (TID 10021) here (dose results).") var doseSR: String?
    @Option(help: "Archive folder (for a job id).") var archive: String?
    @Option(help: "The shared index and job queue the job was submitted to (postgres://…; a build with the PostgreSQL trait); default: the archive folder's jobs.sqlite.") var database: String?
    @Option(parsing: .upToNextOption, help: "The analysed DICOM images (for a JSON file): patient, study and references.") var source: [String] = []
    @Option(help: "RT Dose file drawn on the result screen (dose results given as a file).") var rtdose: String?
    @Option(help: "The SR this report amends.") var amend: String?
    @Option(help: "Physician's impression (physician report).") var impression: String?

    func run() throws {
        guard pdf != nil || sr != nil || sc != nil || dicomPDF != nil || doseSR != nil else {
            throw fail("report: nothing to write; give --pdf, --sr, --sc, --dicom-pdf and/or --dose-sr")
        }
        do {
            let json: Data, files: [String], nm: String?, dose: String?
            var segments: [String: MeasurementReport.SegmentReference] = [:]
            let isJobID = input.count == 36 && input.allSatisfy { $0.isHexDigit || $0 == "-" } && !FileManager.default.fileExists(atPath: input)
            if isJobID {
                guard let dir = archive else { throw WorkflowError("report: \(input) looks like a job id: give --archive DIR (or a result JSON file)") }
                let choice = try DatabaseChoice.open(database)
                let found = try choice.jobs.map { try $0.get(input.lowercased()) } ?? ResultReports.job(id: input, archiveDirectory: dir)
                guard let rec = found else {
                    throw WorkflowError("report: no job \(input) in \(choice.jobs != nil ? "the job queue of " + (choice.index?.location ?? "the database") : dir + "/jobs.sqlite")")
                }
                let inputs = try ResultReports.inputs(job: rec, archive: try Archive(directory: dir, index: choice.index, audit: choice.audit))
                (json, files, nm, dose, segments) = (inputs.json, inputs.sourceFiles, inputs.nmPath, inputs.rtDosePath, inputs.segments)
            } else {
                guard let d = FileManager.default.contents(atPath: input) else { throw WorkflowError("report: cannot read \(input) (no such file; a job id needs --archive)") }
                (json, files, nm, dose) = (d, source, source.first, rtdose)
            }
            let (refs, study) = try ReportExport.sources(files: files)
            var content = try ResultReport.content(json: json, source: input, sources: refs, segments: segments)
            if let a = amend { content.report.predecessor = try ReportExport.reference(sr: a) }
            content.report.impression = impression
            ReportExport.fillAdministration(&content.report, from: files.first)
            if doseSR != nil && content.report.administration == nil { throw WorkflowError("report: --dose-sr needs a dose result (\(input) is a \(content.report.kind) result)") }
            let written = try ReportExport.write(content, study: study, nmPath: nm, rtDosePath: dose,
                                                 to: .init(pdf: pdf, sr: sr, secondaryCapture: sc, encapsulatedPDF: dicomPDF, doseSR: doseSR))
            for f in written.files { emit("\(f.kind)\t\(f.path)\(f.sopInstanceUID.isEmpty ? "" : "\t\(f.sopInstanceUID)")\n") }
        } catch { throw failure(error) }
    }
}
