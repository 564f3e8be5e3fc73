import ArgumentParser
import Foundation
import Imaging
import Physics
import Simulation
import Workflows

/// `scinti simulate krenning`: In-111 pentetreotide anterior and posterior whole-torso views of an ICRP-110 virtual
/// patient with tumours (`--lesion REGION:DIAMETER:CONTRAST`), and every tumour's true Krenning grade in truth.json
/// (`krenning`, from the expected images and the projected liver and spleen; ``PlanarStudyTruth/krenning``).
///
/// With `--lesion-grade G` (one per `--lesion`, in order) each tumour's concentration is designed against this
/// patient's liver and spleen: the tumour's conjugate-view intensity (expected images) is set to the middle of grade
/// G's band — 1: 0.25 × the liver, 2: √0.5 × the liver, 3: √(spleen ÷ liver) × the liver (the geometric middle of
/// liver…spleen), 4: 2 × the spleen; 0: no uptake (the host's concentration). The `--lesion` contrast is then ignored.
/// The true grade is still taken from the final expected images (it differs from G only where G cannot be reached
/// at that site, e.g. a target below the tissue around the tumour). A tumour whose own excess (expected images minus
/// the expected images with every tumour at its host's concentration) is not visible by Rose's criterion is graded 0
/// (`visible` false; ``PlanarStudyTruth/krenningVisibility``).
struct SimulateKrenning: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "krenning",
        abstract: "In-111 octreotide anterior/posterior views of a virtual patient with tumours (--phantom icrp-am|icrp-af, --lesion [--lesion-grade]); truth.json krenning.")
    @OptionGroup var common: SimulateCommand.Common
    @Option(name: .customLong("lesion-grade"), help: "Design grade 0–4 of each --lesion (repeatable, in order): the tumour's concentration is set so that its expected conjugate-view intensity lies in the middle of that Krenning band against this patient's liver and spleen.")
    var lesionGrade: [Int] = []

    func run() throws {
        guard let p = common.phantom, p.lowercased().hasPrefix("icrp") else { throw fail("krenning needs --phantom icrp-am or icrp-af") }
        var c = common
        if c.patient.tracer == nil { c.patient.tracer = "in111-octreotide" }
        if c.isotope == "Tc-99m" { c.isotope = "In-111" }
        if c.collimator == "LEHR" { c.collimator = "MEGP" }
        var s = try c.setup(default: "torso")
        guard let patient = s.virtualPatient, s.patientTruth != nil else { throw fail("krenning: no virtual patient") }
        let centre = s.focusZ(), seconds = common.duration ?? 600
        let t0 = Date()
        // The expected views with every tumour at its host's concentration (the tumours' own excess is the difference).
        let atHost = lesionGrade.isEmpty ? try Self.hostViews(s, seconds: seconds, centre: centre) : try aim(&s, patient: patient, centre: centre, seconds: seconds)
        guard let pt = s.patientTruth else { throw fail("krenning: no virtual patient") }
        let study = Simulator.planar(s, views: [.anterior, .posterior], seconds: seconds, axialCentreMM: centre)
        let expected = Self.photopeakViews(s, seconds: seconds, centre: centre)
        let truth: PlanarStudyTruth.KrenningTruth
        do {
            truth = try PlanarStudyTruth.krenning(anterior: expected.views[0], posterior: expected.views[1], columns: expected.columns, rows: expected.rows,
                                                  pixelMM: s.camera.pixelSizeMM, axialCentreMM: centre, patient: patient, lesions: pt.lesions,
                                                  withoutExcess: pt.lesions.isEmpty ? nil : (atHost.views[0], atHost.views[1]))
        } catch { throw failure(error) }
        try c.finish(study, mode: "planar", setup: s, seconds: Date().timeIntervalSince(t0))
        try addToTruth(c.out, key: "krenning", truth)
        for (organ, ref, mm) in [("liver", truth.liverReference, PlanarStudyTruth.liverReferenceDiameterMM), ("spleen", truth.spleenReference, PlanarStudyTruth.spleenReferenceDiameterMM)]
        where ref == "outline" {
            emit("note: no \(Int(mm)) mm \(organ) disc fits clear of the kidneys and the tumours: the truth's \(organ) reference is its whole-outline mean (\(organ)Reference \"outline\")\n")
        }
        emit("true Krenning grades: " + truth.lesions.map {
            String(format: "%@ %d (%.2f × liver, %.2f × spleen; own excess %.3f × the counts without it, Rose SNR %.1f%@)", $0.region, $0.grade,
                   $0.ratioToLiver, $0.ratioToSpleen, $0.excessRatio ?? .nan, $0.excessSNR ?? .nan, $0.visible == false ? ": not visible, grade 0" : "")
        }.joined(separator: "; ") + "\n")
    }

    /// Expected (noise-free) anterior and posterior photopeak images of `s`: the windows centred on a line of the
    /// nuclide (In-111: 171 and 245 keV) summed per view.
    static func photopeakViews(_ s: SimulationSetup, seconds: Double, centre: Double) -> (views: [[Float]], rows: Int, columns: Int) {
        var e = s
        e.noise = false
        let acq = Simulator.planar(e, views: [.anterior, .posterior], seconds: seconds, axialCentreMM: centre).acquisition
        let np = acq.rows * acq.columns
        let counts = acq.counts ?? []
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
        return (views, acq.rows, acq.columns)
    }

    /// Expected photopeak views of `s` with every tumour (`lesionK` compartment) at its host's concentration.
    static func hostViews(_ s: SimulationSetup, seconds: Double, centre: Double) throws -> (views: [[Float]], rows: Int, columns: Int) {
        guard var vp = s.voxelized else { throw fail("krenning: no virtual patient") }
        var e = s
        for (i, c) in try tumourHosts(s) { vp.phantom.compartments[i].concentrationBqPerML = c }
        e.voxelized = vp
        e.phantom = vp.phantom
        return photopeakViews(e, seconds: seconds, centre: centre)
    }

    /// Each tumour's compartment in the voxelised phantom (`lesionK`) and its host's concentration (Bq/mL: the
    /// tumour's ÷ its contrast at the acquisition; 0 for a tumour of contrast 0).
    static func tumourHosts(_ s: SimulationSetup) throws -> [(compartment: Int, hostBqPerML: Double)] {
        guard let pt = s.patientTruth, let vp = s.voxelized else { throw fail("krenning: no virtual patient") }
        return try pt.lesions.enumerated().map { k, l in
            guard let i = vp.phantom.compartments.firstIndex(where: { $0.name == "lesion\(k + 1)" }) else { throw fail("krenning: lesion \(k + 1) not in the phantom") }
            let r = l.contrastAtAcquisition ?? l.contrast
            return (i, r > 0 ? l.concentrationBqPerML / r : 0)
        }
    }

    /// Sets each tumour's concentration for its design grade (`--lesion-grade`). The expected images are linear in
    /// each tumour's concentration, so two expected acquisitions give every tumour's response: all tumours at their
    /// host's concentration (no excess) and all with a known excess; the conjugate-view 3 × 3 mean at the tumour's
    /// projected centre (the truth's lesion intensity) is then solved for the target by bisection. Returns the expected
    /// views with every tumour at its host's concentration.
    func aim(_ s: inout SimulationSetup, patient: VirtualPatient, centre: Double, seconds: Double) throws -> (views: [[Float]], rows: Int, columns: Int) {
        guard var pt = s.patientTruth, var vp = s.voxelized else { throw fail("krenning: no virtual patient") }
        guard lesionGrade.count == pt.lesions.count else {
            throw fail("--lesion-grade given \(lesionGrade.count) times for \(pt.lesions.count) --lesion (give one grade per lesion, in order)")
        }
        if let g = lesionGrade.first(where: { !(0...4).contains($0) }) { throw fail("--lesion-grade \(g) (allowed: 0–4)") }
        let hosts = try Self.tumourHosts(s)
        let idx = hosts.map(\.compartment), host = hosts.map(\.hostBqPerML)
        let step: [Double] = host.map { max($0, 1) * 20 }
        func set(_ conc: [Double]) {
            for (k, i) in idx.enumerated() { vp.phantom.compartments[i].concentrationBqPerML = conc[k] }
            s.voxelized = vp
            s.phantom = vp.phantom
        }
        set(host)
        let base = Self.photopeakViews(s, seconds: seconds, centre: centre)
        set(zip(host, step).map { $0 + $1 })
        let raised = Self.photopeakViews(s, seconds: seconds, centre: centre)
        let rows = base.rows, cols = base.columns
        let t0: PlanarStudyTruth.KrenningTruth
        do {
            t0 = try PlanarStudyTruth.krenning(anterior: base.views[0], posterior: base.views[1], columns: cols, rows: rows, pixelMM: s.camera.pixelSizeMM,
                                               axialCentreMM: centre, patient: patient, lesions: pt.lesions)
        } catch { throw failure(error) }
        let liver = t0.liverIntensity, spleen = t0.spleenIntensity
        var conc = host
        for (k, g) in lesionGrade.enumerated() where g > 0 {
            let target = liver * Self.targetRatio(grade: g, spleenToLiver: spleen / liver)
            let c0 = Int(t0.lesions[k].pixel[0].rounded()), r0 = Int(t0.lesions[k].pixel[1].rounded())
            var px: [(a0: Double, da: Double, p0: Double, dp: Double)] = []
            for r in (r0 - 1)...(r0 + 1) { for c in (c0 - 1)...(c0 + 1) where r >= 0 && c >= 0 && r < rows && c < cols {
                let ia = r * cols + c, ip = r * cols + cols - 1 - c
                px.append((Double(base.views[0][ia]), Double(raised.views[0][ia] - base.views[0][ia]),
                           Double(base.views[1][ip]), Double(raised.views[1][ip] - base.views[1][ip])))
            } }
            func intensity(_ a: Double) -> Double { px.map { (max(0, $0.a0 + a * $0.da) * max(0, $0.p0 + a * $0.dp)).squareRoot() }.reduce(0, +) / Double(max(1, px.count)) }
            guard intensity(0) < target else {
                emit(String(format: "lesion %d (%@): grade %d not reachable (%.2f × liver without uptake); left at the host's concentration + 1 %%\n", k + 1, pt.lesions[k].region, g, intensity(0) / liver))
                conc[k] = host[k] * 1.01
                continue
            }
            var lo = 0.0, hi = 1.0
            while intensity(hi) < target && hi < 1e7 { hi *= 2 }
            for _ in 0..<60 { let m = (lo + hi) / 2; if intensity(m) < target { lo = m } else { hi = m } }
            conc[k] = host[k] + (lo + hi) / 2 * step[k]
        }
        set(conc)
        for k in pt.lesions.indices {
            let ratio = host[k] > 0 ? conc[k] / host[k] : 0
            pt.lesions[k].concentrationBqPerML = conc[k]
            pt.lesions[k].activityMBq = conc[k] * vp.volumeML(idx[k]) / 1e6
            // The contrast at the tracer's reference time scales with the one at this acquisition (same kinetics).
            let old = pt.lesions[k].contrastAtAcquisition ?? pt.lesions[k].contrast
            pt.lesions[k].contrast = old > 0 ? pt.lesions[k].contrast * ratio / old : ratio
            pt.lesions[k].contrastAtAcquisition = ratio
        }
        s.patientTruth = pt
        emit("Krenning design (liver \(String(format: "%.1f", liver)), spleen \(String(format: "%.1f", spleen)) counts/pixel, conjugate view): "
             + lesionGrade.enumerated().map { String(format: "lesion %d grade %d → %.3g × host", $0 + 1, $1, pt.lesions[$0].contrast) }.joined(separator: "; ") + "\n")
        return base
    }

    /// Middle of a Krenning band as a multiple of the liver's conjugate-view intensity: 1 → 0.25, 2 → √0.5,
    /// 3 → √(spleen ÷ liver) (when the spleen is not 10 % above the liver there is no band to aim inside: 2 × the
    /// brighter of the two, a true grade 4), 4 → 2 × max(spleen ÷ liver, 1).
    static func targetRatio(grade: Int, spleenToLiver q: Double) -> Double {
        switch grade {
        case 1: return 0.25
        case 2: return 0.5.squareRoot()
        case 3: return q > 1.1 ? q.squareRoot() : 2 * max(q, 1)   // no room between liver and spleen: above both
        default: return 2 * max(q, 1)
        }
    }
}
