import Analysis
import ArgumentParser
import Foundation
import Physics
import Workflows

/// `scinti analyze parathyroid`: dual-phase washout/retention and dual-tracer subtraction; candidate adenomas.
struct AnalyzeParathyroid: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "parathyroid",
        abstract: "Parathyroid: dual-phase sestamibi retention/washout, dual-tracer subtraction, candidate adenomas.")
    @Option(help: "Early sestamibi image (STATIC NM DICOM).") var early: String
    @Option(help: "Delayed sestamibi image (STATIC NM DICOM).") var delayed: String
    @Option(help: "Thyroid image (pertechnetate or I-123) for dual-tracer subtraction.") var thyroid: String?
    @Flag(help: "Print the result as JSON.") var json = false
    @Option(help: "Write a figure (early, delayed, registered thyroid, subtraction with the candidates).") var png: String?

    func run() throws {
        do {
            let e = try PlanarInputs.planar(path: early, role: "early")
            let d = try PlanarInputs.planar(path: delayed, role: "delayed")
            let t = try thyroid.map { try PlanarInputs.planar(path: $0, role: "thyroid") }
            for w in e.warnings + d.warnings + (t?.warnings ?? []) { warn(w) }
            let nuclide = e.nuclide ?? d.nuclide ?? {
                warn("\(early): no radionuclide in the Radiopharmaceutical Information Sequence: Tc-99m assumed for the decay correction")
                return Radionuclide.named("Tc-99m")!
            }()
            let map = PlanarInputs.pixelToPatient(e)
            // Files that record different injection times (separately written phases): their starts are put on the
            // early image's injection clock (time after injection kept), with a warning.
            func onEarlyClock(_ p: PlanarInputs.PlanarStudy) -> Date? {
                guard let s = p.acquisitionStart, let a = p.administration, let a0 = e.administration, abs(a.timeIntervalSince(a0)) > 1 else { return p.acquisitionStart }
                warn("\(delayed): Radiopharmaceutical Start DateTime differs from the early image's: times after injection used")
                return a0.addingTimeInterval(s.timeIntervalSince(a))
            }
            let a = try Parathyroid(nuclide: nuclide).analyze(
                early: .init(image: e.image, start: e.acquisitionStart, durationSeconds: e.durationSeconds),
                delayed: .init(image: d.image, start: onEarlyClock(d), durationSeconds: d.durationSeconds),
                thyroid: t.map { .init(image: $0.image, start: onEarlyClock($0), durationSeconds: $0.durationSeconds) }, pixelToPatient: map)
            for w in a.result.warnings { warn(w) }
            if let png { try AnalysisFigures.parathyroid(a, early: e.image, delayed: d.image, to: png) }
            if json { emit(try analysisJSON(a.result)); return }
            let x = a.result
            var text = "Parathyroid (\(x.subtraction)): \(x.candidates.count) candidate adenoma(s)\n"
            for (k, c) in x.candidates.enumerated() {
                text += String(format: "  %d. column %.1f, row %.1f%@: retention index %.0f %%, washout %.0f %%, significance %.1f σ\n", k + 1, c.column, c.row,
                               c.patientMM.map { String(format: " (LPS %.0f, %.0f, %.0f mm)", $0[0], $0[1], $0[2]) } ?? "",
                               c.retentionIndexPercent, c.washoutPercent, c.significance)
            }
            for r in x.regions.prefix(2) {
                text += String(format: "  %@: retention index %.0f %%, washout %.0f %% (%d px)\n", r.name, r.retentionIndexPercent, r.washoutPercent, r.pixels)
            }
            if let s = x.registrationShiftPixels { text += String(format: "  thyroid image shifted by (%.1f, %.1f) px, correlation %.3f, normalisation %.3f\n", s[0], s[1], x.registrationCorrelation ?? 0, x.normalisationFactor) }
            if let g = x.delayedRegistration { text += "  \(g.note)\n" }
            text += "  method: \(x.method)\n"
            if let png { text += "figure → \(png)\n" }
            emit(text)
        } catch { throw failure(error) }
    }
}
