import ArgumentParser
import Foundation
import Imaging
import Physics
import Simulation
import Workflows

/// `scinti simulate krenning`: In-111 pentetreotide anterior and posterior whole-torso views of an ICRP-110 virtual
/// patient with tumours (`--lesion REGION:DIAMETER:CONTRAST`), and every tumour's true Krenning grade in truth.json
/// (`krenning`, from the expected images and the projected liver and spleen; ``PlanarStudyTruth/krenning``).
struct SimulateKrenning: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "krenning",
        abstract: "In-111 octreotide anterior/posterior views of a virtual patient with tumours (--phantom icrp-am|icrp-af, --lesion); truth.json krenning.")
    @OptionGroup var common: SimulateCommand.Common

    func run() throws {
        guard let p = common.phantom, p.lowercased().hasPrefix("icrp") else { throw fail("krenning needs --phantom icrp-am or icrp-af") }
        var c = common
        if c.patient.tracer == nil { c.patient.tracer = "in111-octreotide" }
        if c.isotope == "Tc-99m" { c.isotope = "In-111" }
        if c.collimator == "LEHR" { c.collimator = "MEGP" }
        let s = try c.setup(default: "torso")
        guard let patient = s.virtualPatient, let pt = s.patientTruth else { throw fail("krenning: no virtual patient") }
        let centre = s.focusZ(), seconds = common.duration ?? 600
        let t0 = Date()
        let study = Simulator.planar(s, views: [.anterior, .posterior], seconds: seconds, axialCentreMM: centre)
        var e = s
        e.noise = false
        let expected = Simulator.planar(e, views: [.anterior, .posterior], seconds: seconds, axialCentreMM: centre)
        let acq = expected.acquisition, np = acq.rows * acq.columns
        let counts = acq.counts ?? []
        // Photopeak windows: those centred on a line of the nuclide (In-111: 171 and 245 keV), summed per view.
        let peaks = s.nuclide.photons.filter { $0.yield > 0.05 }.map(\.energyKeV)
        let peakWindows = Set(s.camera.windows.indices.filter { w in
            let win = s.camera.windows[w], mid = (win.lowerKeV + win.upperKeV) / 2
            return peaks.contains { abs($0 - mid) < 0.02 * $0 }
        }.map { $0 + 1 })
        var views = [[Float]](repeating: [Float](repeating: 0, count: np), count: 2)
        for f in acq.frames where peakWindows.contains(f.energyWindow ?? 1) {
            let v = (f.detector ?? 1) - 1
            guard v >= 0, v < 2, (f.frame + 1) * np <= counts.count else { continue }
            for i in 0..<np { views[v][i] += counts[f.frame * np + i] }
        }
        let truth: PlanarStudyTruth.KrenningTruth
        do {
            truth = try PlanarStudyTruth.krenning(anterior: views[0], posterior: views[1], columns: acq.columns, rows: acq.rows,
                                                  pixelMM: s.camera.pixelSizeMM, axialCentreMM: centre, patient: patient, lesions: pt.lesions)
        } catch { throw fail("\(error)") }
        try c.finish(study, mode: "planar", setup: s, seconds: Date().timeIntervalSince(t0))
        try addToTruth(c.out, key: "krenning", truth)
        emit("true Krenning grades: " + truth.lesions.map { String(format: "%@ %d (%.2f × liver, %.2f × spleen)", $0.region, $0.grade, $0.ratioToLiver, $0.ratioToSpleen) }.joined(separator: "; ") + "\n")
    }
}
