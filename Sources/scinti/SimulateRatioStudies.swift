import ArgumentParser
import Foundation
import Imaging
import Physics
import Simulation
import Workflows

/// Adds `key: value` (a Codable value) to the `truth.json` in `folder`.
func addToTruth<T: Encodable>(_ folder: String, key: String, _ value: T) throws {
    let url = URL(fileURLWithPath: "\(folder)/truth.json")
    do {
        var obj = (try JSONSerialization.jsonObject(with: try Data(contentsOf: url))) as? [String: Any] ?? [:]
        obj[key] = try JSONSerialization.jsonObject(with: try JSONEncoder().encode(value))
        try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]).write(to: url)
    } catch { throw failure(error, "writing \(key) into \(url.path)") }
}

/// `scinti simulate thyroid-uptake`: neck, standard capsule in the neck phantom, thigh and room images of a known
/// uptake (issue 18), one folder each, and `truth.json` with the true uptake.
struct SimulateThyroidUptake: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "thyroid-uptake",
        abstract: "Thyroid uptake measurement (neck, standard, thigh, room) of a known uptake; truth.json uptakePercent.")
    @Option(help: "True uptake (% of the administered activity in the gland at the neck acquisition, decay corrected).") var uptake: Double
    @Option(help: "Hours after administration of the neck acquisition.") var hours: Double = 24
    @Option(help: "Radionuclide: I-123, I-131 or Tc-99m.") var isotope = "I-123"
    @Option(help: "Administered activity (MBq).") var administered: Double = 10
    @Option(name: .customLong("standard-activity"), help: "Standard capsule activity (MBq) at administration (default: the administered activity, the SNMMI guideline's capsule itself; before 2026-12-07 a tenth of it).") var standardActivity: Double?
    @Option(help: "Neck and thigh tissue concentration (Bq/mL) at the neck acquisition (default: physiological, from the tracer's biokinetic model: ICRP iodine model for I-123/I-131, the label's excretion for Tc-99m pertechnetate; before 2026-12-07 a fixed 400).") var tissue: Double?
    @Option(help: "Seconds per image.") var duration: Double = 300
    @Option(help: "Collimator code.") var collimator = "LEHR"
    @Option(help: "Noise seed.") var seed: UInt64 = 1
    @Flag(name: .customLong("no-noise"), help: "Write the expected counts (rounded), no Poisson noise.") var noNoise = false
    @Option(name: .customLong("capsule-depth"), help: "Depth (mm) of the standard capsule below the neck phantom's anterior surface (default: the gland's mean depth, 17.0 mm; before 2026-12-07: 20).") var capsuleDepth: Double?
    @Option(help: "Output folder (neck/, standard/, thigh/, room/ and truth.json).") var out: String

    func run() throws {
        guard let n = Radionuclide.named(isotope), ["I-123", "I-131", "Tc-99m"].contains(n.name) else { throw fail("--isotope \(isotope) (allowed: I-123, I-131, Tc-99m)") }
        guard uptake.isFinite, uptake >= 0, uptake <= 100 else { throw fail("--uptake \(uptake) (allowed: 0–100 %)") }
        guard hours.isFinite, hours > 0, hours <= 240 else { throw fail("--hours \(hours) (allowed: 0 < h ≤ 240)") }
        guard administered.isFinite, administered > 0, administered <= 10_000 else { throw fail("--administered \(administered) MBq (allowed: 0 < A ≤ 10000)") }
        if let a = standardActivity, !(a.isFinite && a > 0 && a <= 10_000) { throw fail("--standard-activity \(a) MBq (allowed: 0 < A ≤ 10000)") }
        if let t = tissue, !(t.isFinite && t >= 0 && t <= 1e9) { throw fail("--tissue \(t) Bq/mL (allowed: 0–1e9)") }
        if let d = capsuleDepth, !(d.isFinite && d >= 0 && d <= 100) { throw fail("--capsule-depth \(d) mm (allowed: 0–100, inside the 100 mm deep neck phantom)") }
        guard Collimator.named(collimator) != nil else { throw fail("--collimator \(collimator) (known: \(Set(Collimator.catalog.map(\.code)).sorted().joined(separator: ", ")))") }
        let cam = ClinicalStudies.camera(nuclide: n, collimator: collimator)
        let c = ClinicalStudies.thyroidUptake(nuclide: n, uptakePercent: uptake, hoursAfterAdministration: hours, administeredMBq: administered,
                                              standardMBq: standardActivity, tissueBqPerML: tissue, seconds: duration, camera: cam, seed: seed, noise: !noNoise,
                                              capsuleDepthMM: capsuleDepth)
        for (name, s) in [("neck", c.neck), ("standard", c.standard), ("thigh", c.thigh), ("room", c.room)] {
            let setup = SimulationSetup(phantom: Phantom(name: name, compartments: []), nuclide: n, camera: cam, seed: seed)
            do { _ = try SimulationOutput.write(s, mode: "planar", setup: setup, out: "\(out)/\(name)", seconds: 0, ct: nil) } catch { throw failure(error) }
        }
        struct Truth: Encodable { var uptakePercent, administeredMBq, standardMBq, hoursAfterAdministration, thyroidMBqAtNeck, capsuleDepthMM, glandMeanDepthMM, seconds, standardSeconds, tissueBqPerMLAtNeck, tissueBqPerMLAtThigh: Double; var nuclide, definition, tissueModel: String }
        let t = Truth(uptakePercent: c.uptakePercent, administeredMBq: c.administeredBq / 1e6, standardMBq: c.standardBq / 1e6, hoursAfterAdministration: hours,
                      thyroidMBqAtNeck: c.thyroidBqAtNeck / 1e6, capsuleDepthMM: capsuleDepth ?? ClinicalStudies.glandMeanDepthMM,
                      glandMeanDepthMM: ClinicalStudies.glandMeanDepthMM, seconds: duration, standardSeconds: c.standardSeconds,
                      tissueBqPerMLAtNeck: c.tissueBqPerMLAtNeck, tissueBqPerMLAtThigh: c.tissueBqPerMLAtThigh, nuclide: n.name,
                      definition: "100 × voxelised thyroid activity at the neck acquisition start ÷ (administered activity × physical decay to then); standard capsule in a soft-tissue neck phantom of the neck's shape at the gland's mean depth below the anterior skin",
                      tissueModel: c.tissueModel)
        do {
            let data = try JSONEncoder().encode(["thyroidUptake": t])
            try data.write(to: URL(fileURLWithPath: "\(out)/truth.json"))
        } catch { throw failure(error, "writing \(out)/truth.json") }
        emit(String(format: "Simulated thyroid uptake: %@, true uptake %.2f %% at %.1f h → %@/{neck,standard,thigh,room}, truth.json\n", n.name, c.uptakePercent, hours, out))
    }
}

/// `scinti simulate mibg`: I-123 MIBG anterior chest view of an ICRP-110 virtual patient with the true
/// heart-to-mediastinum ratio in truth.json (`heartToMediastinum`, from the expected image and the projected anatomy).
struct SimulateMIBG: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "mibg",
        abstract: "I-123 MIBG anterior chest view of a virtual patient (--phantom icrp-am|icrp-af); truth.json heartToMediastinum.")
    @OptionGroup var common: SimulateCommand.Common

    func run() throws {
        guard let p = common.phantom, p.lowercased().hasPrefix("icrp") else { throw fail("mibg needs --phantom icrp-am or icrp-af") }
        var c = common
        if c.patient.tracer == nil { c.patient.tracer = "i123-mibg" }
        let s = try c.setup(default: "torso")
        guard let patient = s.virtualPatient else { throw fail("mibg: no virtual patient") }
        let centre = s.focusZ(), seconds = common.duration ?? 600
        let t0 = Date()
        let study = Simulator.planar(s, views: [.anterior], seconds: seconds, axialCentreMM: centre)
        var e = s
        e.noise = false
        let expected = Simulator.planar(e, views: [.anterior], seconds: seconds, axialCentreMM: centre)
        let np = expected.acquisition.rows * expected.acquisition.columns
        let counts = Array((expected.acquisition.counts ?? [])[0..<np])
        let truth: PlanarStudyTruth.HeartToMediastinum
        do {
            truth = try PlanarStudyTruth.heartToMediastinum(expected: counts, columns: expected.acquisition.columns, rows: expected.acquisition.rows,
                                                            pixelMM: s.camera.pixelSizeMM, axialCentreMM: centre, patient: patient)
        } catch { throw failure(error) }
        try c.finish(study, mode: "planar", setup: s, seconds: Date().timeIntervalSince(t0))
        try addToTruth(c.out, key: "heartToMediastinum", truth)
        emit(String(format: "true H/M %.3f\n", truth.heartToMediastinum))
    }
}
