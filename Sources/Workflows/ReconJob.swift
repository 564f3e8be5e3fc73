import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Reconstruction

/// Reconstruction algorithms offered on the command line.
public enum ReconAlgorithmName: String, Sendable, Codable, CaseIterable { case osem, mlem, bsrem, fbp }
/// Attenuation correction choices.
public enum AttenuationChoice: String, Sendable, Codable, CaseIterable { case ct, chang, none }
/// Collimator–detector response modelling.
public enum PSFChoice: String, Sendable, Codable, CaseIterable { case auto, none }
/// Scatter correction choices.
public enum ScatterChoice: String, Sendable, Codable, CaseIterable { case tew, dew, none }

/// Reconstructs a SPECT study from DICOM: projections (and CT) in, NM RECON TOMO (and NIfTI/Interfile) out, with
/// every decision and convention stated in the result.
public enum ReconJob {
    /// What to do.
    public struct Options: Sendable {
        public var projections: String
        public var ct: String?
        public var algorithm: ReconAlgorithmName = .osem
        public var iterations = 4
        public var subsets = 8
        public var attenuation: AttenuationChoice = .ct
        public var psf: PSFChoice = .auto
        public var scatter: ScatterChoice = .tew
        public var window: Int?
        public var calibrationCpsPerMBq: Double?
        public var postFilterFWHMmm: Double?
        public var beta = 0.1
        public var radionuclide: String?
        public var out: String
        public var nifti: String?
        public var interfile: String?
        /// Folder for PNG figures (MIP, slices, fused with the CT).
        public var figures: String?
        /// Also write the attenuation map (1/mm) on the reconstruction grid as NIfTI.
        public var muMapOut: String?
        /// Further beds of a multi-bed acquisition (each reconstructed like the first, then stitched along z).
        public var moreBeds: [String] = []
        /// Write the output files (false for the per-bed passes of a multi-bed job).
        var writeFiles = true
        /// Creates options with the defaults above.
        public init(projections: String, out: String) { self.projections = projections; self.out = out }
    }

    /// What was done and what came out (JSON keys are a contract for scripts).
    public struct Result: Sendable, Codable {
        public var output: String
        public var nifti: String?
        public var interfile: String?
        public var algorithm: String
        public var iterations: Int
        public var subsets: Int
        public var window: Int
        public var windowKeV: [Double]
        public var windowChoice: String
        public var scatter: String
        public var attenuation: String
        public var psf: String
        public var radionuclide: String?
        public var grid: [Int]
        public var voxelSizeMM: Double
        public var placement: String
        public var angles: String
        /// The automatic check of the emission's body outline against the CT (nil without a CT).
        public var ctCheck: String? = nil
        public var frameOfReferenceUID: String?
        public var units: String
        public var calibration: String
        public var projectionCounts: Double
        public var maxValue: Double
        public var seconds: Double
        public var warnings: [String]
        /// Human summary.
        public var text: String {
            var s = "Reconstructed \(output)\n"
            s += "  \(algorithm.uppercased()) \(iterations) iterations × \(subsets) subsets; window \(window) (\(windowKeV.map { String(format: "%.1f", $0) }.joined(separator: "–")) keV): \(windowChoice)\n"
            s += "  attenuation: \(attenuation)\n  scatter: \(scatter)\n  collimator–detector response: \(psf)\n"
            s += "  radionuclide: \(radionuclide ?? "unknown")\n"
            s += "  angles: \(angles)\n"
            s += "  grid \(grid.map(String.init).joined(separator: "×")) voxels of \(String(format: "%.4g", voxelSizeMM)) mm; \(placement)\n"
            if let ctCheck { s += "  CT check: \(ctCheck)\n" }
            s += "  values in \(units): \(calibration)\n"
            s += String(format: "  projection counts %.0f, max voxel %.4g %@, %.1f s\n", projectionCounts, maxValue, units, seconds)
            if let nifti { s += "  NIfTI: \(nifti)\n" }
            if let interfile { s += "  Interfile: \(interfile)\n" }
            return s
        }
    }

    /// Everything a run produced, for callers that go on working with the images (tests, the demo, the server).
    public struct Output: Sendable {
        /// The summary written to the console / JSON.
        public var result: Result
        /// The reconstruction in patient coordinates (units in `result.units`).
        public var volume: Volume
        /// The attenuation map (1/mm) on the same grid, when CT attenuation correction was used.
        public var muMap: Volume?
        /// The CT in HU as read, when one was given.
        public var ct: Volume?
        /// What the output files are written from.
        var source: Dataset
        var description: String
        var provenance: String
    }

    /// Runs the job. `progress(done, total)` reports sub-iterations.
    public static func run(_ o: Options, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> Result {
        try execute(o, progress: progress).result
    }

    /// Runs the job and returns the images too.
    public static func execute(_ o: Options, progress: (@Sendable (Int, Int) -> Void)? = nil) throws -> Output {
        if !o.moreBeds.isEmpty { return try executeBeds(o, progress: progress) }
        let t0 = Date()
        var warnings: [String] = []
        let file = try DICOMFile.read(path: o.projections)
        warnings += file.warnings.map { "\(o.projections): \($0)" }
        // What the header says decides whether the study can be reconstructed at all, before its pixels are read.
        let header = try NMReader.read(file, loadPixels: false)
        guard header.imageType == .tomo || header.imageType == .gatedTomo else {
            throw WorkflowError("\(o.projections) is NM \(header.imageType.rawValue), not TOMO projections")
        }
        try StudyPreparation.checkCollimatorGeometry(header, seriesDescription: file.dataset.string(.seriesDescription))
        let acq = try NMReader.read(file)
        warnings += acq.warnings
        let vendor = StudyPreparation.vendorGeometry(acq)
        if !vendor.known { warnings.append("\(vendor.description): check the fused result (docs/vendor-geometry.md)") }
        // Radionuclide: the study's, or the one given.
        var nuclide = StudyPreparation.radionuclide(named: acq.radiopharmaceutical?.radionuclide)
        if let given = o.radionuclide {
            guard let r = StudyPreparation.radionuclide(named: given) else { throw WorkflowError("unknown radionuclide \(given)") }
            if let n = nuclide, n.name != r.name { warnings.append("the study says \(n.name); using \(r.name) as given") }
            nuclide = r
        }
        let choice = try StudyPreparation.chooseWindows(acq, requested: o.window, radionuclide: nuclide)
        let peakKeV = nuclide?.photons.filter { ($0.energyKeV >= (choice.peak.lowerKeV ?? 0)) && ($0.energyKeV <= (choice.peak.upperKeV ?? 0)) }
            .max { $0.yield < $1.yield }?.energyKeV ?? (((choice.peak.lowerKeV ?? 0) + (choice.peak.upperKeV ?? 0)) / 2)
        if nuclide == nil { warnings.append("radionuclide unknown: attenuation and collimator response use the window centre \(String(format: "%.1f", peakKeV)) keV") }

        // Projections of the photopeak window, ordered by rotation, view, detector.
        let ps = try acq.projectionSet(energyWindow: choice.peak.number)
        let (angles, angleNote) = try StudyPreparation.gantryAngles(acq, frames: ps.frames)
        var radii: [Double] = []
        var missingRadius = false
        for f in ps.frames {
            if let r = f.radialPosition { radii.append(r) } else { missingRadius = true; radii.append(250) }
        }
        if missingRadius { warnings.append("no Radial Position for some views: 250 mm assumed for them (circular orbit)") }
        let delta = ps.pixelSpacing.first ?? acq.pixelSpacing.first ?? 1
        let geometry = try SPECTGeometry(n: ps.columns, slices: ps.rows, voxelSizeMM: delta, centre: .zero,
                                         columns: ps.columns, rows: ps.rows, pixelSizeMM: delta, anglesDeg: angles, radiiMM: radii)
        let measured = try Projections(projectionSet: ps, geometry: geometry)
        let grid = StudyPreparation.reconGrid(acq)

        // Scatter estimate from the neighbouring windows, per pixel, smoothed.
        var scatterNote = "none"
        var scatter: Projections? = nil
        if o.scatter != .none {
            let wP = choice.peak.widthKeV
            switch (o.scatter, choice.lower, choice.upper) {
            case (.tew, .some(let lw), let uw):
                let lower = try Projections(projectionSet: acq.projectionSet(energyWindow: lw.number), geometry: geometry)
                let upper = try uw.map { try Projections(projectionSet: acq.projectionSet(energyWindow: $0.number), geometry: geometry) }
                var s = measured
                for i in s.values.indices {
                    let l = Double(lower.values[i]) / lw.widthKeV
                    let u = upper.map { Double($0.values[i]) / uw!.widthKeV } ?? 0
                    s.values[i] = Float((l + u) * wP / 2)
                }
                scatter = try smooth(s, geometry: geometry)
                scatterNote = "TEW (Ogawa 1991) from window \(lw.number)" + (uw.map { " and window \($0.number)" } ?? " (no upper window: taken as 0)") + ", smoothed with a 5×5 binomial kernel"
            case (.dew, .some(let lw), _):
                let lower = try Projections(projectionSet: acq.projectionSet(energyWindow: lw.number), geometry: geometry)
                var s = lower
                for i in s.values.indices { s.values[i] = Float(0.5 * Double(lower.values[i]) * wP / lw.widthKeV) }
                scatter = try smooth(s, geometry: geometry)
                scatterNote = "DEW (Jaszczak 1984, k = 0.5) from window \(lw.number), smoothed"
            default:
                warnings.append("no scatter window adjacent to window \(choice.peak.number): scatter correction off")
            }
        }

        // Attenuation.
        var attenuation: AttenuationMap? = nil
        var ctVolume: Volume? = nil
        var ctOnGrid: Volume? = nil   // the CT resampled once, for μ and for the fused figures
        var muVolume: Volume? = nil
        var attenuationNote = "none"
        var frameOfReference = acq.frameOfReferenceUID
        switch o.attenuation {
        case .ct:
            guard let ctPath = o.ct else { throw WorkflowError("--attenuation ct needs --ct DIR (or use --attenuation chang|none)") }
            let ct = try SeriesVolumeReader.read(path: ctPath)
            warnings += ct.warnings
            let ctFile = try DICOMFile.read(path: ct.sliceSources[0], options: ReadOptions(stopBeforePixels: true))
            let kVp = ctFile.dataset.double(.kvp) ?? 120
            if ctFile.dataset.double(.kvp) == nil { warnings.append("CT has no KVP: 120 kVp assumed for HU → μ") }
            if let a = acq.frameOfReferenceUID, let b = ct.volume.frameOfReferenceUID, a != b {
                warnings.append("projections and CT have different Frames of Reference (\(a) vs \(b)): aligned by patient coordinates anyway")
            }
            frameOfReference = ct.volume.frameOfReferenceUID ?? frameOfReference
            let hu = try StudyPreparation.ctOnGrid(ct.volume, size: grid.size, geometry: grid.geometry)
            let mu = StudyPreparation.muMap(huOnGrid: hu, kVp: kVp, energyKeV: peakKeV)
            ctVolume = ct.volume; ctOnGrid = hu; muVolume = mu
            attenuation = try AttenuationMap(muPerMM: ReconVolume(volume: mu))
            attenuationNote = "CT (\(ct.volume.size) slices from \(ctPath)), bilinear HU → μ at \(String(format: "%.1f", peakKeV)) keV for \(Int(kVp)) kVp, resampled through patient coordinates"
        case .chang:
            attenuationNote = "uniform water (μ = \(String(format: "%.4f", Material.water.mu(energyKeV: peakKeV))) /cm) inside the body outline of a non-corrected reconstruction (10 % threshold)"
            let plain = try SystemModel(geometry: geometry, scatter: scatter)
            let first = try OSEM(likelihood: PoissonLikelihood(system: plain, measured: measured)).run(iterations: 2, subsets: min(8, geometry.views))
            let threshold = 0.1 * (first.values.max() ?? 0)
            var mu = ReconVolume(geometry: geometry)
            let muWater = Float(Material.water.mu(energyKeV: peakKeV) / 10)
            for i in mu.values.indices where first.values[i] > threshold { mu.values[i] = muWater }
            attenuation = AttenuationMap(muPerMM: mu)
        case .none: break
        }

        // Collimator–detector response.
        var collimator: CollimatorResponse? = nil
        var psfNote = "not modelled"
        if o.psf == .auto {
            let (c, note) = StudyPreparation.collimator(acq)
            if let c {
                let e = peakKeV
                collimator = CollimatorResponse.fromFWHM(label: c.name) { d in c.systemFWHM(distanceMM: max(d, 0), energyKeV: e) }
                psfNote = "Gaussian, FWHM(d) of \(note); \(String(format: "%.1f", c.systemFWHM(distanceMM: 100, energyKeV: e))) mm at 10 cm"
            } else {
                warnings.append("\(note): collimator–detector response not modelled")
            }
        }

        let system = try SystemModel(geometry: geometry, attenuation: attenuation, collimator: collimator, scatter: scatter)
        let likelihood = try PoissonLikelihood(system: system, measured: measured)
        let total = o.algorithm == .fbp ? 1 : o.iterations * (o.algorithm == .mlem ? 1 : o.subsets)
        var done = 0
        let report: (ReconProgress) -> Void = { _ in done += 1; progress?(done, total) }
        var x: ReconVolume
        switch o.algorithm {
        case .osem: x = OSEM(likelihood: likelihood).run(iterations: o.iterations, subsets: o.subsets, progress: report)
        case .mlem: x = MLEM(likelihood: likelihood).run(iterations: o.iterations, progress: report)
        case .bsrem: x = BSREM(likelihood: likelihood, beta: o.beta).run(iterations: o.iterations, subsets: o.subsets, progress: report)
        case .fbp:
            var p = measured
            if let s = scatter { for i in p.values.indices { p.values[i] = max(0, p.values[i] - s.values[i]) } }
            x = FBP(geometry: geometry).reconstruct(p, chang: attenuation == nil ? nil : system.changCorrection())
            progress?(1, 1)
        }
        if let f = o.postFilterFWHMmm, f > 0 { x = GaussianFilter(fwhmMM: f).apply(x, geometry: geometry) }

        // Units: counts, or Bq/mL with a calibration factor (decay during the acquisition corrected).
        var units = "counts"
        var calibrationNote = "no calibration factor: expected counts per view time (give --calibration CPS_PER_MBQ for Bq/mL)"
        if let cal = o.calibrationCpsPerMBq {
            let frameS = (acq.rotations.first?.actualFrameDurationMs ?? acq.actualFrameDurationMs ?? 0) / 1000
            guard frameS > 0 else { throw WorkflowError("--calibration needs the frame duration (Actual Frame Duration) which the study lacks") }
            var decay = 1.0
            var decayNote = "no decay correction (half-life unknown)"
            if let h = nuclide?.halfLifeSeconds {
                let totalS = frameS * Double(geometry.views) / Double(max(1, acq.detectors.count))
                // Counts carry the mean of the decaying activity over the acquisition, f = (1 − e^(−λT))/(λT) times the
                // activity at the start; Quantitation multiplies by its decay factor, so give it the correction 1/f.
                decay = 1 / Decay.duringAcquisitionFactor(halfLifeSeconds: h, durationSeconds: totalS)
                decayNote = "decay-corrected to the acquisition start (mean over \(Int(totalS)) s, \(nuclide!.name) T½ \(String(format: "%.4g", h / 3600)) h, \(nuclide!.dataSet.rawValue))"
            }
            let q = Quantitation(calibrationCPSPerMBq: cal, frameDurationS: frameS, voxelVolumeML: geometry.voxelVolumeML, decayFactor: decay)
            x = x.scaled(Float(1 / q.valuePerBqPerML))
            units = "Bq/ml"
            calibrationNote = "Bq/mL with \(cal) cps/MBq, \(frameS) s per view, voxel \(String(format: "%.4g", geometry.voxelVolumeML)) mL; \(decayNote)"
        }
        var volume = x.volume(geometry: geometry, units: units)
        volume.geometry = grid.geometry
        volume.frameOfReferenceUID = frameOfReference
        // Every SPECT/CT reconstruction is checked against its CT: a misplaced grid must not be silent.
        var outlineNote: String? = nil
        if let hu = ctOnGrid, let check = OutlineAgreement.measure(emission: volume, ctHU: hu) {
            outlineNote = check.summary
            if !check.agrees { warnings.append(check.summary) }
        }

        let description = "\(o.algorithm.rawValue.uppercased()) \(o.iterations)i\(o.subsets)s" + (attenuation != nil ? " AC" : "") + (scatter != nil ? " SC" : "") + (collimator != nil ? " RR" : "") + " \(units)"
        let provenance = "Scinti \(description). Window \(choice.peak.number) (\(choice.reason)); scatter: \(scatterNote); attenuation: \(attenuationNote); response: \(psfNote); \(calibrationNote); \(grid.note); \(angleNote)\(outlineNote.map { "; " + $0 } ?? "")."
        if o.writeFiles {
            try writeOutputs(volume, o: o, source: file.dataset, description: description, provenance: provenance,
                             window: choice.peak.number, ct: ctOnGrid, mu: muVolume)
        }
        let result = Result(output: o.out, nifti: o.nifti, interfile: o.interfile, algorithm: o.algorithm.rawValue, iterations: o.iterations,
                      subsets: o.algorithm == .mlem || o.algorithm == .fbp ? 1 : o.subsets, window: choice.peak.number,
                      windowKeV: [choice.peak.lowerKeV ?? 0, choice.peak.upperKeV ?? 0], windowChoice: choice.reason, scatter: scatterNote,
                      attenuation: attenuationNote, psf: psfNote, radionuclide: nuclide?.name,
                      grid: [volume.size.x, volume.size.y, volume.size.z], voxelSizeMM: delta, placement: grid.note, angles: angleNote, ctCheck: outlineNote,
                      frameOfReferenceUID: frameOfReference, units: units, calibration: calibrationNote,
                      projectionCounts: measured.sum, maxValue: Double(volume.voxels.max() ?? 0),
                      seconds: Date().timeIntervalSince(t0), warnings: warnings)
        return Output(result: result, volume: volume, muMap: muVolume, ct: ctVolume, source: file.dataset,
                      description: description, provenance: provenance)
    }

    /// Writes NM RECON TOMO and the optional NIfTI, Interfile, figures and μ map.
    static func writeOutputs(_ volume: Volume, o: Options, source: Dataset, description: String, provenance: String,
                             window: Int, ct: Volume?, mu: Volume?) throws {
        let bq = volume.units == "Bq/ml"
        try ReconTomo.write(volume, info: ReconTomoInfo(source: source, frameOfReferenceUID: volume.frameOfReferenceUID, seriesDescription: description,
                                                       unitsCode: bq ? "Bq/ml" : "{counts}", unitsMeaning: bq ? "becquerels per milliliter" : "counts",
                                                       provenance: provenance, energyWindow: window), to: o.out)
        if let n = o.nifti { try AtomicFile.write(VolumeExport.nifti(volume, description: description), to: n) }
        if let f = o.figures { try Figures.write(emission: volume, ct: ct, to: f) }
        if let m = o.muMapOut, let mu { try AtomicFile.write(VolumeExport.nifti(mu, description: "mu 1/mm"), to: m) }
        if let h = o.interfile {
            let data = (h as NSString).deletingPathExtension + ".v"
            try AtomicFile.write(VolumeExport.raw(volume), to: data)
            try AtomicFile.write(Array(VolumeExport.interfileHeader(volume, dataFile: (data as NSString).lastPathComponent, units: volume.units).utf8), to: h)
        }
    }

    /// Multi-bed: every bed reconstructed on its own grid with the same settings, then stitched along z.
    static func executeBeds(_ o: Options, progress: (@Sendable (Int, Int) -> Void)?) throws -> Output {
        let t0 = Date()
        var outputs: [Output] = []
        for bed in [o.projections] + o.moreBeds {
            var b = o
            b.projections = bed; b.moreBeds = []; b.writeFiles = false
            outputs.append(try execute(b, progress: progress))
        }
        let (stitched, note) = try Stitching.stitch(outputs.map(\.volume))
        let mu = try? Stitching.stitch(outputs.compactMap(\.muMap)).volume
        let first = outputs[0]
        var result = first.result
        result.grid = [stitched.size.x, stitched.size.y, stitched.size.z]
        result.placement = "\(outputs.count) beds stitched: \(note)"
        result.projectionCounts = outputs.reduce(0) { $0 + $1.result.projectionCounts }
        result.maxValue = Double(stitched.voxels.max() ?? 0)
        result.warnings = outputs.flatMap(\.result.warnings)
        result.seconds = Date().timeIntervalSince(t0)
        let provenance = first.provenance + " Multi-bed: " + note + "."
        if o.writeFiles {
            try writeOutputs(stitched, o: o, source: first.source, description: first.description + " \(outputs.count) beds",
                             provenance: provenance, window: first.result.window, ct: first.ct, mu: mu)
        }
        return Output(result: result, volume: stitched, muMap: mu, ct: first.ct, source: first.source,
                      description: first.description, provenance: provenance)
    }

    /// 5×5 binomial smoothing of each view (the usual smoothing of window-based scatter estimates).
    static func smooth(_ p: Projections, geometry: SPECTGeometry) throws -> Projections {
        let k: [Float] = [1, 4, 6, 4, 1].map { $0 / 16 }
        let (c, r) = (p.columns, p.rows)
        let viewSize = c * r
        // Work in the views × rows × columns layout (the internal one is the projector's business).
        var vrc = p.viewsRowsColumns()
        var tmp = vrc
        for v in 0..<p.views {
            let base = v * viewSize
            for y in 0..<r { for x in 0..<c {
                var s: Float = 0
                for t in -2...2 { s += k[t + 2] * vrc[base + y * c + min(max(x + t, 0), c - 1)] }
                tmp[base + y * c + x] = s
            } }
            for y in 0..<r { for x in 0..<c {
                var s: Float = 0
                for t in -2...2 { s += k[t + 2] * tmp[base + min(max(y + t, 0), r - 1) * c + x] }
                vrc[base + y * c + x] = s
            } }
        }
        return try Projections(viewsRowsColumns: vrc, geometry: geometry)
    }
}
