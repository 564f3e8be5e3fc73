import Foundation
import Imaging
import Physics
import Simulation

/// The main job on its embedded defaults: simulate a SPECT/CT study of the IEC body phantom (Tc-99m, LEHR, dual
/// head, 120 views, attenuation, depth-dependent response, scatter, Poisson noise), write it as DICOM like a camera,
/// reconstruct it from those files (OSEM with CT attenuation, TEW scatter, with and without collimator response),
/// measure it against the truth and write figures and a report.
public enum DemoJob {
    /// Settings (the defaults are the demo).
    public struct Options: Sendable {
        public var out: String
        public var matrix = 128
        public var pixelMM = 4.7952
        public var views = 120
        public var secondsPerView = 15.0
        public var backgroundKBqPerML = 30.0
        public var sphereRatio = 4.0
        public var iterations = 4
        public var subsets = 8
        public var seed: UInt64 = 1
        /// Creates options writing into `out`.
        public init(out: String) { self.out = out }
    }

    /// The figures a physicist checks.
    public struct Report: Sendable, Codable {
        public var folder: String
        public var nm: String
        public var ct: String?
        public var reconstruction: String
        public var withResponse: PhantomAnalysis.Result
        public var withoutResponse: PhantomAnalysis.Result
        public var counts: Double
        public var simulationSeconds: Double
        public var reconstructionSeconds: Double
        public var figures: [String]
        public var text: String
    }

    /// Runs the demo; `log` receives progress lines.
    public static func run(_ o: Options, log: (String) -> Void = { _ in }) throws -> Report {
        guard let nuclide = Radionuclide.named("Tc-99m"), let lehr = Collimator.named("LEHR") else {
            throw WorkflowError("Tc-99m or LEHR missing from the Physics tables")
        }
        let t0 = Date()
        let phantom = Phantom.iec(sphereToBackground: o.sphereRatio, backgroundBqPerML: o.backgroundKBqPerML * 1000)
        let windows = WindowSetting.tripleEnergyWindows(photopeakKeV: nuclide.photopeakKeV ?? 140.5, label: "Tc99m")
        let camera = Camera(collimator: lehr, columns: o.matrix, rows: o.matrix, pixelSizeMM: o.pixelMM, windows: windows)
        let setup = SimulationSetup(phantom: phantom, nuclide: nuclide, camera: camera, voxelMM: o.pixelMM, subsamples: 2, seed: o.seed)
        log("simulating IEC phantom, Tc-99m, \(lehr.name), \(o.views) views of \(o.matrix)² × \(o.pixelMM) mm …")
        let study = Simulator.spect(setup, protocol: SPECTProtocol(views: o.views, heads: 2, secondsPerView: o.secondsPerView))
        let simSeconds = Date().timeIntervalSince(t0)
        let written = try SimulationOutput.write(study, mode: "spect", setup: setup, out: o.out + "/study", seconds: simSeconds)
        log("wrote \(written.nmPath)" + (written.ctFolder.map { " and \($0)" } ?? ""))

        // Reconstruct from the DICOM files, calibrated with the camera's planar sensitivity in air (with TEW).
        let t1 = Date()
        func recon(psf: Bool, name: String, figures: String?) throws -> ReconJob.Output {
            var r = ReconJob.Options(projections: written.nmPath, out: o.out + "/\(name).dcm")
            r.ct = written.ctFolder
            r.iterations = o.iterations; r.subsets = o.subsets
            r.psf = psf ? .auto : .none
            r.nifti = o.out + "/\(name).nii"
            r.figures = figures
            // Calibrate with the photopeak window's planar sensitivity in air, measured with TEW like the
            // reconstruction (what a QC measurement with the same windows and corrections gives).
            if let w = written.truth.windows.first(where: { $0.name.hasSuffix("_PEAK") }) {
                let cal = w.sensitivityTEWCpsPerMBqInAir ?? w.sensitivityCpsPerMBqInAir
                if cal > 0 { r.calibrationCpsPerMBq = cal }
            }
            return try ReconJob.execute(r)
        }
        log("reconstructing OSEM \(o.iterations)×\(o.subsets) with CT attenuation, TEW scatter and collimator response …")
        let rr = try recon(psf: true, name: "recon_osem_ac_sc_rr", figures: o.out + "/figures")
        log("reconstructing again without collimator response …")
        let noRR = try recon(psf: false, name: "recon_osem_ac_sc", figures: nil)
        let reconSeconds = Date().timeIntervalSince(t1)

        let spheres = phantom.landmarks.compactMap { l in l.diameterMM.map { (name: l.name, centre: l.center, diameterMM: $0) } }
        let sphereTrue = o.backgroundKBqPerML * 1000 * o.sphereRatio
        let a = PhantomAnalysis.iec(rr.volume, spheres: spheres, sphereTrue: sphereTrue, backgroundTrue: o.backgroundKBqPerML * 1000)
        let b = PhantomAnalysis.iec(noRR.volume, spheres: spheres, sphereTrue: sphereTrue, backgroundTrue: o.backgroundKBqPerML * 1000)
        let figures = ((try? FileManager.default.contentsOfDirectory(atPath: o.out + "/figures")) ?? []).sorted().map { "figures/" + $0 }

        var text = "# Scinti demo — simulated SPECT/CT of the IEC body phantom\n\n"
        text += "Simulation: \(nuclide.name) (\(nuclide.dataSet.rawValue)), \(lehr.name), dual head, \(o.views) views × \(o.secondsPerView) s, "
        text += "\(o.matrix)² pixels of \(o.pixelMM) mm; background \(o.backgroundKBqPerML) kBq/mL, spheres \(o.sphereRatio):1; "
        text += String(format: "%.0f photopeak counts; %.1f s.\n\n", rr.result.projectionCounts, simSeconds)
        text += "Reconstruction: \(rr.result.algorithm.uppercased()) \(rr.result.iterations)×\(rr.result.subsets); window \(rr.result.window) (\(rr.result.windowChoice)); "
        text += "attenuation: \(rr.result.attenuation); scatter: \(rr.result.scatter); response: \(rr.result.psf); \(rr.result.calibration). "
        text += String(format: "Both reconstructions %.1f s.\n\n", reconSeconds)
        text += "Values in \(a.units). Conventions: \(a.conventions).\n\n"
        text += "| sphere | d (mm) | position offset (voxels) | RC with response | RC without |\n|---|---|---|---|---|\n"
        for (s, t) in zip(a.spheres, b.spheres) {
            text += String(format: "| %@ | %.0f | %.2f | %.3f | %.3f |\n", s.name, s.diameterMM, s.offsetVoxels, s.recovery, t.recovery)
        }
        text += String(format: "\nBackground: %.0f %@ measured vs %.0f true (%+.2f %%), CV %.1f %% (with response); %+.2f %% without.\n",
                       a.backgroundMean, a.units, a.backgroundTrue, a.backgroundErrorPercent, a.backgroundCVPercent, b.backgroundErrorPercent)
        text += "\nFiles: study/ (NM, CT, truth.json), recon_osem_ac_sc_rr.dcm/.nii, recon_osem_ac_sc.dcm/.nii, figures/ (" + figures.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ") + ").\n"
        if !figures.isEmpty { text += "\n" + figures.map { "![\(($0 as NSString).lastPathComponent)](\($0))" }.joined(separator: " ") + "\n" }
        try text.write(toFile: o.out + "/report.md", atomically: true, encoding: .utf8)
        let report = Report(folder: o.out, nm: written.nmPath, ct: written.ctFolder, reconstruction: rr.result.output, withResponse: a,
                            withoutResponse: b, counts: rr.result.projectionCounts, simulationSeconds: simSeconds,
                            reconstructionSeconds: reconSeconds, figures: figures, text: text)
        let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        try enc.encode(report).write(to: URL(fileURLWithPath: o.out + "/report.json"))
        return report
    }
}
