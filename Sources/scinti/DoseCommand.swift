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
        abstract: "Radionuclide-therapy dosimetry from serial SPECT/CT: registration, TAC fits, TIA, absorbed dose (JSON, SVG/PNG, RT Dose).",
        subcommands: [DosePhantomCommand.self, DoseRecoveryCommand.self])

    @Option(name: .customLong("timepoint"), help: "Visit folder (one quantitative SPECT in Bq/mL + its CT series); repeat per visit.")
    var timepoints: [String] = []
    @Option(help: "DICOM SEG with the VOIs (default: one VOI at --threshold % of the first visit's maximum).") var masks: String?
    @Option(help: "Radionuclide: Lu-177, I-131, Y-90, Sm-153, Ra-223.") var isotope = "Lu-177"
    @Option(help: "Decay data set: ensdf | icrp107.") var decayData = "ensdf"
    @Option(help: "voxel | sphere | organ | ldm | monte-carlo") var method: DoseMethod = .voxel
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
    @Flag(help: "With --write-simulated: acquire each visit with the camera simulation (MEGP, 208 keV TEW, 64² × 6.4 mm, 60 views) and reconstruct it (OSEM 4×10, CT AC, TEW, collimator response) instead of writing ideal activity images.")
    var camera = false
    @Flag(help: "Print the JSON report.") var json = false
    @Option(help: "Registrations accepted in review: JSON array [{\"visit\": i, \"rotationDeg\": [x,y,z], \"translationMM\": [x,y,z], \"acceptedBy\": \"…\", \"acceptedAt\": \"ISO\"}] (visit 0-based in time order).")
    var acceptedTransforms: String?
    @Option(help: "Recovery curve JSON (scinti dose recovery) for partial-volume correction by VOI volume.") var recovery: String?
    @Option(help: "Relative standard uncertainty of the calibration factor (default 0.05, stated as assumed).") var calibrationUncertainty: Double?
    @Option(help: "Counts recorded per MBq in one acquisition (Poisson component of the uncertainty).") var countsPerMbq: Double?
    @Option(help: "Decays for --method monte-carlo and for `scinti dose phantom`.") var decays: Int = 2_000_000

    func run() throws {
        guard let set = DecayDataSet(rawValue: decayData.lowercased()) else { throw fail("--decay-data must be ensdf or icrp107 (got \(decayData))") }
        if camera && writeSimulated == nil { throw fail("--camera goes with --write-simulated DIR") }
        if let dir = writeSimulated {
            do {
                let nuclide = Radionuclide.named("Lu-177", dataSet: set)!
                if camera {
                    let organs = SerialStudy.lu177DefaultOrgans
                    let cam = try DoseJob.writeSimulatedCamera(organs: organs, visits: SerialStudy.lu177DefaultVisits, nuclide: nuclide, to: dir)
                    let truth: [[String: Any]] = organs.map { ["name": $0.name, "tiaMBqh": $0.tiaMBqh] }
                    let data = try JSONSerialization.data(withJSONObject: ["organs": truth, "visitsHours": SerialStudy.lu177DefaultVisits.map(\.hours),
                                                                           "folders": cam.folders, "calibrationCpsPerMBq": cam.calibrationCpsPerMBq,
                                                                           "simulation": "camera + OSEM reconstruction"],
                                                          options: [.prettyPrinted, .sortedKeys])
                    try data.write(to: URL(fileURLWithPath: (dir as NSString).appendingPathComponent("truth.json")))
                    emit(cam.log.joined(separator: "\n") + "\nwrote \(cam.folders.count) camera-simulated visits to \(dir) (masks.dcm: organ VOIs; truth.json: true TIA per organ; raw/: projections)\n")
                    return
                }
                let study = SerialStudy.lu177Default()
                let folders = try DoseJob.writeSimulated(study, nuclide: nuclide, to: dir)
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
        var options = DoseJob.Options(timepoints: timepoints, masks: masks, isotope: isotope, dataSet: set, method: method, fit: fit,
                                      tail: tail, administration: administration, thresholdPercent: threshold,
                                      register: !noRegistration, out: out, populationEffectiveHalfLifeHours: effectiveHalfLife)
        do {
            if let path = acceptedTransforms {
                guard let data = FileManager.default.contents(atPath: path) else { throw fail("--accepted-transforms \(path): not readable") }
                (options.acceptedTransforms, options.acceptedBy) = try DoseJob.acceptedTransforms(json: data, name: path)
            }
            if let path = recovery {
                guard let data = FileManager.default.contents(atPath: path) else { throw fail("--recovery \(path): not readable") }
                do { options.recovery = try JSONDecoder().decode(RecoveryCurve.self, from: data) } catch { throw fail("--recovery \(path): not a recovery curve (\(error))") }
            }
            guard decays > 0, decays <= 10_000_000_000 else { throw fail("--decays must be 1…1e10 (got \(decays))") }
            options.monteCarloDecays = decays
            options.uncertainty = UncertaintyInputs(calibrationRelative: calibrationUncertainty, countsPerMBq: countsPerMbq)
        } catch let e as ExitCode { throw e } catch { throw fail("\(error)") }
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
