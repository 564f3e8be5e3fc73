import ArgumentParser
import Dosimetry
import Foundation
import Physics
import Simulation
import Workflows

extension DoseMethod: ExpressibleByArgument {}
extension TACMethod: ExpressibleByArgument {}
extension TACTail: ExpressibleByArgument {}

/// `scinti dose`: absorbed dose from serial quantitative SPECT/CT visits.
struct DoseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dose",
        abstract: "Radionuclide-therapy dosimetry from serial SPECT/CT: registration, TAC fits, TIA, absorbed dose (JSON, SVG/PNG, RT Dose).")

    @Option(name: .customLong("timepoint"), help: "Visit folder (one quantitative SPECT in Bq/mL + its CT series); repeat per visit.")
    var timepoints: [String] = []
    @Option(help: "DICOM SEG with the VOIs (default: one VOI at --threshold % of the first visit's maximum).") var masks: String?
    @Option(help: "Radionuclide: Lu-177, I-131, Y-90, Sm-153, Ra-223.") var isotope = "Lu-177"
    @Option(help: "Decay data set: ensdf | icrp107.") var decayData = "ensdf"
    @Option(help: "voxel | sphere | organ | ldm") var method: DoseMethod = .voxel
    @Option(help: "auto | mono | bi | trapezoid | hanscheid | madsen") var fit: TACMethod = .auto
    @Option(help: "Trapezoid tail: physical | fitted") var tail: TACTail = .physical
    @Option(help: "Population effective half-life (h) for --fit madsen.") var effectiveHalfLife: Double?
    @Option(help: "Administration time as DICOM DT (YYYYMMDDHHMMSS±ZZZZ) when the SPECT lacks Radiopharmaceutical Start DateTime.")
    var administration: String?
    @Option(help: "Threshold VOI (% of max) when no --masks.") var threshold: Double = 20
    @Flag(help: "Do not register the visits (they are already aligned).") var noRegistration = false
    @Option(help: "Output folder (dose.json, tac.svg, dvh.svg, dose.png, rtdose.dcm).") var out: String?
    @Option(help: "Write a simulated Lu-177 serial study (4 visits, known kinetics and repositioning) into this folder and exit.")
    var writeSimulated: String?
    @Flag(help: "Print the JSON report.") var json = false

    func run() throws {
        guard let set = DecayDataSet(rawValue: decayData.lowercased()) else { throw fail("--decay-data must be ensdf or icrp107 (got \(decayData))") }
        if let dir = writeSimulated {
            do {
                let study = SerialStudy.lu177Default()
                let folders = try DoseJob.writeSimulated(study, nuclide: Radionuclide.named("Lu-177", dataSet: set)!, to: dir)
                var truth: [[String: Any]] = []
                for o in study.organs { truth.append(["name": o.name, "tiaMBqh": o.tiaMBqh]) }
                let data = try JSONSerialization.data(withJSONObject: ["organs": truth, "visitsHours": study.timePoints.map(\.hours),
                                                                       "folders": folders], options: [.prettyPrinted, .sortedKeys])
                try data.write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("truth.json")))
                emit("wrote \(folders.count) visits to \(dir) (masks.dcm: organ VOIs; truth.json: true TIA per organ)\n")
            } catch { throw fail("\(error)") }
            return
        }
        guard !timepoints.isEmpty else { throw fail("give --timepoint DIR for each visit (or --write-simulated DIR)") }
        let options = DoseJob.Options(timepoints: timepoints, masks: masks, isotope: isotope, dataSet: set, method: method, fit: fit,
                                      tail: tail, administration: administration, thresholdPercent: threshold,
                                      register: !noRegistration, out: out, populationEffectiveHalfLifeHours: effectiveHalfLife)
        do {
            let (report, _) = try DoseJob.run(options)
            for w in report.warnings { warn(w) }
            if json {
                let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                emit(String(decoding: try enc.encode(report), as: UTF8.self) + "\n")
            } else {
                emit("\(report.isotope) (\(report.decayData)), dose method \(report.method), TAC \(report.fitMethod)\n")
                for v in report.vois {
                    emit(String(format: "%@: TIA %.5g MBq·h (%@), mean dose %.4g Gy%@\n", v.name, v.tiaMBqh, v.fit.method.rawValue, v.meanDoseGy,
                                v.bedGy.map { String(format: ", BED %.4g Gy", $0) } ?? ""))
                }
                for o in report.outputs { emit("wrote \(o)\n") }
            }
        } catch { throw fail("\(error)") }
    }
}
