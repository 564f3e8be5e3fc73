import Foundation
import Imaging

/// The physician's report template of a study type: the heading and procedure of the examination, the findings
/// pre-filled from the analysis (its result rows with units, then its own findings and quality statements), and a
/// suggested impression that names the key results and leaves the interpretation to the physician (in brackets, to be
/// replaced before signing). Scinti classifies nothing here: no normal range is applied on the physician's behalf.
public struct ReportTemplate: Sendable, Codable, Equatable {
    /// Study type: the analysis (`lvef`, `bone-scan`, `sentinel`, `mibg-hm`, `thyroid-uptake`, …), `dose`, `qc` or
    /// `generic`.
    public var studyType: String
    /// Report heading (the examination).
    public var heading: String
    /// Procedure line.
    public var procedure: String
    /// Findings pre-filled from the analysis.
    public var findings: [String]
    /// Suggested impression text.
    public var impression: String

    /// Placeholder the physician replaces with the interpretation.
    public static let interpretationPlaceholder = "[interpretation]"

    /// The template of `report`, for the analysis named `analysis` (nil: from the report's kind).
    public static func make(for report: MeasurementReport, analysis: String?) -> ReportTemplate {
        let type = analysis ?? (report.kind == "analysis" ? "generic" : report.kind)
        let (heading, procedure, focus): (String, String, String) = switch type {
        case "lvef": ("Gated blood-pool ventriculography", "ECG-gated equilibrium radionuclide ventriculography (Tc-99m labelled red cells), left anterior oblique view", "Left ventricular function")
        case "bone-scan": ("Whole-body bone scintigraphy", "Whole-body planar imaging, anterior and posterior views", "Skeletal uptake")
        case "sentinel": ("Sentinel lymph node lymphoscintigraphy", "Planar imaging after peritumoural injection", "Lymphatic drainage")
        case "mibg-hm": ("Cardiac I-123 MIBG scintigraphy", "Planar anterior chest view; heart-to-mediastinum ratio", "Cardiac sympathetic innervation")
        case "thyroid-uptake": ("Thyroid uptake measurement", "Neck counts against a standard, background-corrected", "Thyroid uptake")
        case "dose": ("Post-therapy dosimetry", "Quantitative SPECT/CT time points, time-activity fits and absorbed dose per VOI (EANM reporting items)", "Absorbed doses")
        case "qc": ("Gamma camera quality control", "Acceptance/constancy test", "Test result")
        default: (report.title, "Quantitative analysis by Scinti", "Result")
        }
        var findings = report.summary.compactMap { row -> String? in
            guard let k = row.first, !k.isEmpty else { return nil }
            return row.count > 1 ? "\(k): \(row[1...].joined(separator: " "))" : k
        }
        findings += report.findings
        findings += report.quality.map { "Quality: \($0)" }
        if let a = report.administration {
            findings += a.organDoses.map { o in "Mean absorbed dose \(o.name): \(format(o.meanGy)) Gy" }
        }
        let key = findings.prefix(type == "dose" ? 4 : 2).joined(separator: "; ")
        let impression = "\(focus): \(key.isEmpty ? "see findings" : key). \(interpretationPlaceholder)"
        return ReportTemplate(studyType: type, heading: heading, procedure: procedure, findings: findings, impression: impression)
    }

    static func format(_ v: Double) -> String {
        let s = String(format: "%.3g", v)
        return s
    }
}
