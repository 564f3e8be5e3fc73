import Analysis
import ArgumentParser
import Foundation
import Physics
import Workflows

/// `scinti analyze thyroid-uptake`: percent uptake with decay correction, and the Marinelli therapy activity.
struct AnalyzeThyroidUptake: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "thyroid-uptake",
        abstract: "Thyroid uptake (neck, standard in a neck phantom, thigh, room) with decay correction; Marinelli activity.")
    @Option(help: "Neck image (STATIC NM DICOM).") var neck: String
    @Option(help: "Standard capsule in the neck phantom (STATIC NM DICOM).") var standard: String
    @Option(help: "Thigh image (tissue background).") var thigh: String?
    @Option(help: "Room background image.") var room: String?
    @Option(name: .customLong("standard-activity"), help: "Standard activity (MBq) at its calibration time (default: the standard file's Radionuclide Total Dose at its Radiopharmaceutical Start DateTime).") var standardActivity: Double?
    @Option(help: "Administered activity (MBq) at administration (default: the neck file's Radionuclide Total Dose).") var administered: Double?
    @Option(name: .customLong("roi-radius"), help: "Radius (mm) of the circular regions.") var roiRadius: Double = 50
    @Option(name: .customLong("target-dose"), help: "Marinelli: target absorbed dose (Gy).") var targetDose: Double?
    @Option(name: .customLong("gland-mass"), help: "Marinelli: gland mass (g) (= volume in mL).") var glandMass: Double?
    @Option(name: .customLong("effective-half-life"), help: "Marinelli: effective half-life (days).") var effectiveHalfLife: Double?
    @Flag(help: "Print the result as JSON.") var json = false
    @Option(help: "Write a figure (the four images with their regions).") var png: String?

    func run() throws {
        do {
            var marinelli: (Double, Double, Double)? = nil
            let given = [targetDose, glandMass, effectiveHalfLife].compactMap { $0 }.count
            if given == 3 { marinelli = (targetDose!, glandMass!, effectiveHalfLife!) }
            else if given > 0 { throw fail("the Marinelli activity needs all of --target-dose, --gland-mass and --effective-half-life") }
            let out = try ThyroidUptakeJob.run(.init(neck: neck, standard: standard, thigh: thigh, room: room, standardActivityMBq: standardActivity,
                                                     administeredMBq: administered, roiRadiusMM: roiRadius,
                                                     marinelli: marinelli.map { (targetDoseGy: $0.0, glandMassG: $0.1, effectiveHalfLifeDays: $0.2) }))
            for w in out.warnings { warn(w) }
            let a = out.analysis
            let (n, s, t, r) = (out.neck, out.standard, out.thigh, out.room)
            if let png { try AnalysisFigures.thyroidUptake(a, neck: n.image, standard: s.image, thigh: t?.image, room: r?.image, to: png) }
            if json { emit(try analysisJSON(a.result)); return }
            let x = a.result
            var text = String(format: "Thyroid uptake %.2f %% at %.1f h after administration (%@)\n", x.uptakePercent, x.hoursAfterAdministration, x.radionuclide)
            text += String(format: "  neck %.2f cps, thigh %@ cps, standard %.2f cps, room %@ cps (at the neck mid-time)\n", x.neckCPS,
                           x.thighCPS.map { String(format: "%.2f", $0) } ?? "—", x.standardCPS, x.roomCPS.map { String(format: "%.3f", $0) } ?? "—")
            text += String(format: "  administered %.3f MBq (%.3f MBq at reference), standard %.3f MBq (%.3f at reference), gland %.4f MBq, sensitivity %.1f cps/MBq\n",
                           x.administeredMBq, x.administeredAtReferenceMBq, x.standardMBq, x.standardAtReferenceMBq, x.thyroidMBq, x.sensitivityCPSPerMBq)
            if let mm = x.marinelli {
                text += String(format: "  Marinelli: %.0f MBq for %.0f Gy to %.1f g, uptake %.1f %%, Teff %.2f d — %@\n", mm.activityMBq, mm.targetDoseGy, mm.glandMassG, mm.uptakePercent, mm.effectiveHalfLifeDays, mm.formula)
            }
            text += "  activities: " + x.activitySources.joined(separator: "; ") + "\n"
            text += "  method: \(x.method)\n"
            if let png { text += "figure → \(png)\n" }
            emit(text)
        } catch { throw failure(error) }
    }
}
