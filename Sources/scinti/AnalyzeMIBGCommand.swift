import Analysis
import ArgumentParser
import Foundation
import Imaging
import Physics
import Workflows

/// `scinti analyze mibg-hm`: I-123 MIBG heart-to-mediastinum ratio. Thin: read, analyse, print.
struct MIBGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mibg-hm",
        abstract: "I-123 MIBG heart-to-mediastinum ratio (standard regions) with the collimator conversion to the ME reference.")

    @Argument(help: "NM STATIC file with the anterior chest view.") var file: String
    @Option(help: "Heart circle COLUMN,ROW,RADIUS (pixels; default: found automatically).") var heart: String?
    @Option(help: "Mediastinal square COLUMN,ROW,SIDE (pixels; default: 7×7 on the midline above the heart).") var mediastinum: String?
    @Option(help: "Calibrated camera-collimator conversion coefficient (default: the published class mean for LE/ME collimators).") var conversionCoefficient: Double?
    @Option(help: "Photopeak energy window number (1-based).") var window: Int?
    @Option(help: "Write a PNG figure with the regions.") var png: String?
    @Flag(help: "Print JSON (keys: heartToMediastinum, standardizedHeartToMediastinum, conversionCoefficient, heartROI, mediastinumROI).") var json = false

    func run() throws {
        if try reportedNotAPatient([file], analysis: "MIBG heart-to-mediastinum ratio", json: json) { return }
        let h = try heart.map { try parseDisk($0, "--heart") }
        let m = try mediastinum.map { d -> MIBGAnalysis.SquareROI in
            let q = try parseDisk(d, "--mediastinum")
            return MIBGAnalysis.SquareROI(column: q.column, row: q.row, side: Int(q.radius.rounded()))
        }
        if let cc = conversionCoefficient, !(cc > 0 && cc <= 1.5) { throw fail("--conversion-coefficient must be in (0, 1.5], got \(cc)") }
        do {
            let v = try PlanarInputs.read(path: file, allowed: [.staticImage], window: window)
            warnAll(v.notes)
            let ap = try PlanarInputs.anteriorPosterior(v, source: file)
            warnAll(ap.notes)
            let coll = v.acquisition.detectors.first?.collimatorName
            if coll == nil { warn("\(file): the collimator is not recorded; no standardised H/M without --conversion-coefficient") }
            let r = try MIBGAnalysis().analyze(ap.anterior, heart: h, mediastinum: m, collimator: coll, coefficient: conversionCoefficient)
            warnAll(r.notes)
            if let png { try AnalysisFigures.mibg(ap.anterior, r, to: png) }
            if json { emit(try jsonText(r)); return }
            var t = String(format: "MIBG heart-to-mediastinum ratio %.2f (heart %.1f, mediastinum %.1f counts/pixel)\n", r.heartToMediastinum, r.heartMeanCounts, r.mediastinumMeanCounts)
            if let s = r.standardizedHeartToMediastinum, let cc = r.conversionCoefficient {
                t += String(format: "  standardised to the ME reference: %.2f (CC %.3f: %@)\n", s, cc, r.conversionSource)
            } else { t += "  not standardised: \(r.conversionSource)\n" }
            t += String(format: "  heart circle column %.1f, row %.1f, radius %.1f px; mediastinum %d×%d px at column %.1f, row %.1f\n",
                        r.heartROI.column, r.heartROI.row, r.heartROI.radius, r.mediastinumROI.side, r.mediastinumROI.side, r.mediastinumROI.column, r.mediastinumROI.row)
            if let png { t += "Figure → \(png)\n" }
            emit(t)
        } catch { throw failure(error) }
    }
}
