import ArgumentParser
import DICOMImaging
import Foundation
import Imaging
import Simulation
import Workflows

/// `scinti simulate trial`: N varied virtual patients of one kind (a virtual clinical trial).
struct SimulateTrial: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trial",
        abstract: "A virtual clinical trial: N varied ICRP-110 patients with one tracer (one folder and truth.json each, trial.json index).")
    @OptionGroup var common: SimulateCommand.Common
    @Option(help: "Number of patients.") var patients = 10
    @Option(help: "Acquisition: planar, whole-body, spect or gated (default: whole-body for bone, octreotide, DOTATATE and I-131; gated for RBC; planar otherwise).") var mode: String?
    @Option(help: "SPECT views (both heads together).") var views = 120
    @Option(name: .customLong("first-seed"), help: "Patient seed of the first patient (the next ones count up).") var firstSeed: UInt64 = 1
    @Flag(name: .customLong("both-sexes"), help: "Alternate adult male and adult female (default: the --phantom given).") var bothSexes = false
    @Option(name: .customLong("visit-motion"), help: "With --serial: MAXDEG:MAXMM[:CTFIELDMM] — reposition the patient at every visit after the first by a random rigid motion drawn from the patient seed (each rotation ≤ MAXDEG, each translation component ≤ MAXMM) and limit the CT's axial field to CTFIELDMM; truth.json gets visitMotion (Dosimetry.RigidTransform convention).") var visitMotion: String?
    @Flag(help: "Serial study: each patient imaged at every phase of the tracer (e.g. Lu-177 DOTATATE at 4, 24, 72, 168 h), one folder per time point; truth.json carries each organ's time-integrated activity.") var serial = false

    /// One entry of trial.json.
    struct Entry: Codable { var patient: Int; var folder: String; var phantom: String; var patientSeed: UInt64; var nm: String; var truth: String; var hours: Double? }

    func run() throws {
        guard patients >= 1, patients <= 10_000 else { throw fail("--patients \(patients) (allowed: 1–10000)") }
        let tracer = try { () throws -> Tracer in do { return try Tracer.named(common.patient.tracer ?? "") } catch { throw failure(error) } }()
        let wb = ["tc99m-mdp", "in111-octreotide", "lu177-dotatate", "i131-iodide"].contains(tracer.name)
        let m = (mode ?? (wb ? "whole-body" : tracer.name == "tc99m-rbc" ? "gated" : "planar")).lowercased()
        guard ["planar", "whole-body", "spect", "gated"].contains(m) else { throw fail("--mode \(m) (allowed: planar, whole-body, spect, gated)") }
        let base = common.phantom ?? "icrp-am"
        let limits = try visitMotion.map { text throws -> (maxDeg: Double, maxMM: Double, ctFieldMM: Double?) in
            guard serial else { throw fail("--visit-motion \(text) needs --serial (motion between the visits of a serial study)") }
            do { return try VisitMotion.parseLimits(text) } catch { throw failure(error) }
        }
        var entries: [Entry] = []
        let t0 = Date()
        let timePoints: [(name: String?, hours: Double?)] = serial
            ? tracer.phases.sorted { $0.value < $1.value }.map { ($0.key, $0.value) } : [(nil, nil)]
        for i in 0..<patients {
          for (visit, tp) in timePoints.enumerated() {
            var c = common
            c.phantom = bothSexes ? (i % 2 == 0 ? "icrp-am" : "icrp-af") : base
            c.patient.patientSeed = firstSeed + UInt64(i)
            c.out = "\(common.out)/patient-\(String(format: "%03d", i + 1))" + (tp.name.map { "/\($0)" } ?? "")
            if let n = tp.name { c.patient.phase = n; c.patient.hours = nil }
            c.noCT = c.noCT || m != "spect"
            // Visits after the first: the patient lies differently (rotation about the body axis point of the pose).
            let motion = limits.flatMap { l -> VisitMotion? in
                guard visit > 0 else { return nil }
                let pose = PatientVariability.draw(seed: c.patient.patientSeed!)
                return VisitMotion.draw(seed: c.patient.patientSeed!, visit: visit, maxDeg: l.maxDeg, maxMM: l.maxMM,
                                        center: Vector3(pose.offsetMM.x, pose.offsetMM.y, 0))
            }
            var s = try c.setup(default: c.phantom!, mode: m, visitMotion: motion)
            let study: SimulatedStudy
            var options = NMWriter.Options()
            switch m {
            case "spect":
                study = Simulator.spect(s, protocol: SPECTProtocol(views: views, heads: 2, secondsPerView: c.duration ?? 20, axialCentreMM: s.focusZ()))
            case "gated":
                // LVEF drawn per patient from the seed: 20-75 % (a trial spans normal and severely reduced function,
                // issue 18).
                var g = SeededGenerator(seed: c.patient.patientSeed!, stream: 0xEF)
                let lvef = 20 + 55 * g.uniform()
                // RVEF drawn apart from the LVEF: 30-65 % (normal RVEF by equilibrium radionuclide angiography ≳ 40-45 %).
                let rvef = 30 + 35 * g.uniform()
                let gp = GatedProtocol(timeSlots: 16, seconds: c.duration ?? 600, view: .lao45, edvML: 120, esvML: 120 * (1 - lvef / 100),
                                       rvefPercent: rvef)
                do { study = try Simulator.gated(s, patient: s.virtualPatient!, protocol: gp, voxelMM: s.voxelMM, subsamples: s.subsamples) } catch { throw failure(error) }
                s.patientTruth = study.truth.patient
                options = NMWriter.Options(heartRate: 70)
            case "whole-body":
                study = Simulator.wholeBody(s, speedMMPerS: 2.5)
                options = NMWriter.Options(scanVelocityMMPerS: 2.5, scanLengthMM: study.extras["scanLengthMM"])
            default:
                study = Simulator.planar(s, views: [.anterior, .posterior], seconds: c.duration ?? 300, axialCentreMM: s.focusZ())
            }
            let written: SimulationOutput.Written
            do {
                written = try SimulationOutput.write(study, mode: m, setup: s, out: c.out, seconds: 0,
                                                     ct: c.noCT ? nil : .init(matrix: c.ctMatrix, pixelMM: c.ctPixel, sliceMM: c.ctSlice, axialFieldMM: limits?.ctFieldMM),
                                                     options: options)
            } catch { throw failure(error) }
            let folder = String(c.out.dropFirst(common.out.count + 1))
            entries.append(Entry(patient: i + 1, folder: folder, phantom: c.phantom!, patientSeed: c.patient.patientSeed!,
                                 nm: folder + "/" + (written.nmPath as NSString).lastPathComponent, truth: folder + "/truth.json",
                                 hours: written.truth.patient?.hoursAfterAdministration))
            emit("patient \(i + 1)/\(patients): \(c.phantom!) seed \(c.patient.patientSeed!) → \(c.out)\n")
          }
        }
        struct Index: Codable { var tracer: String; var mode: String; var patients: [Entry]; var seconds: Double; var generator: String }
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        let index = Index(tracer: tracer.name, mode: m, patients: entries, seconds: Date().timeIntervalSince(t0),
                          generator: "scinti simulate trial (ICRP-110 virtual patients, docs/virtual-patients.md)")
        do { try enc.encode(index).write(to: URL(fileURLWithPath: "\(common.out)/trial.json")) } catch { throw failure(error, "writing \(common.out)/trial.json") }
        emit(String(format: "trial: %d patients in %.1f s → %@/trial.json\n", patients, Date().timeIntervalSince(t0), common.out))
    }
}
