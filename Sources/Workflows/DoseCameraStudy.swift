import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Simulation

extension DoseJob {
    /// Acquisition and reconstruction settings of a camera-simulated serial study (``DoseJob/writeSimulatedCamera(organs:visits:nuclide:to:settings:administration:)``).
    public struct CameraStudySettings: Sendable {
        /// Projection matrix (square) and pixel size (mm); the reconstruction grid is matrix³ at the pixel size.
        public var matrix: Int, pixelMM: Double
        /// Views (over 360°, both heads together), heads and seconds per view.
        public var views: Int, heads: Int, secondsPerView: Double
        /// Collimator code (``Physics/Collimator/named(_:vendor:)``).
        public var collimator: String
        /// Photopeak (keV): a 20 % window with 7 % TEW side windows.
        public var photopeakKeV: Double
        /// Simulation voxel edge (mm; finer than the reconstruction grid) and sub-samples per edge.
        public var simulationVoxelMM: Double, subsamples: Int
        /// Scatter in the simulation (and TEW in the reconstruction); attenuation is always simulated and corrected.
        public var scatter: Bool
        /// OSEM iterations × subsets.
        public var iterations: Int, subsets: Int
        /// CT series: matrix, pixel and slice (mm).
        public var ctMatrix: Int, ctPixelMM: Double
        /// Margin (mm) of the organ VOIs written to `masks.dcm`.
        public var voiMarginMM: Double
        /// Seed of the Poisson noise of visit 1 (visit k uses seed + k − 1).
        public var seed: UInt64

        /// CI-sized defaults: 64² × 6.4 mm, 60 views × 20 s on two heads, MEGP, 208 keV, 4.8 mm simulation voxels,
        /// OSEM 4 × 10 with CT AC, TEW and the collimator response, VOIs with a 12 mm margin.
        public init(matrix: Int = 64, pixelMM: Double = 6.4, views: Int = 60, heads: Int = 2, secondsPerView: Double = 20,
                    collimator: String = "MEGP", photopeakKeV: Double = 208.3662, simulationVoxelMM: Double = 4.8,
                    subsamples: Int = 2, scatter: Bool = true, iterations: Int = 4, subsets: Int = 10,
                    ctMatrix: Int = 64, ctPixelMM: Double = 5, voiMarginMM: Double = 12, seed: UInt64 = 177) {
            self.matrix = matrix; self.pixelMM = pixelMM; self.views = views; self.heads = heads
            self.secondsPerView = secondsPerView; self.collimator = collimator; self.photopeakKeV = photopeakKeV
            self.simulationVoxelMM = simulationVoxelMM; self.subsamples = subsamples; self.scatter = scatter
            self.iterations = iterations; self.subsets = subsets; self.ctMatrix = ctMatrix; self.ctPixelMM = ctPixelMM
            self.voiMarginMM = voiMarginMM; self.seed = seed
        }
    }

    /// What ``DoseJob/writeSimulatedCamera(organs:visits:nuclide:to:settings:administration:)`` wrote.
    public struct CameraStudy: Sendable {
        /// Visit folders `tp1`… (each: `spect.dcm` = RECON TOMO in Bq/mL, `ct/` = the CT series), for `--timepoint`.
        public var folders: [String]
        /// `masks.dcm`: SEG with the organ VOIs (margin as set) on visit 1's reconstruction grid.
        public var masks: String
        /// The in-air calibration used (cps/MBq, 208 keV photopeak after TEW when scatter is on; from `truth.json`).
        public var calibrationCpsPerMBq: Double
        /// Raw simulation folders `raw/visitK` (projections, CT, truth.json).
        public var raw: [String]
        /// One line per visit: counts and reconstruction time.
        public var log: [String]
    }

    /// Simulates a serial therapy study through the gamma camera and the reconstruction: for each visit, the organs'
    /// activities at that time from their known kinetics, placed as the patient lay (``SerialStudy/cameraPhantom(organs:hours:repositioning:)``),
    /// are acquired by ``Simulation/Simulator/spect(_:protocol:)`` (attenuation, depth-dependent collimator response,
    /// scatter, Poisson noise, decay during the scan), written as NM projections + CT + truth.json (`raw/visitK`),
    /// and reconstructed by ``ReconJob`` (OSEM with CT attenuation correction, TEW scatter correction, collimator
    /// response) to Bq/mL with the in-air calibration of the simulated camera. The visit folders hold what `scinti dose`
    /// reads; administration is at `administration` (DICOM DT, UTC) and each acquisition starts `hours` later.
    public static func writeSimulatedCamera(organs: [SerialStudyOrgan], visits: [(hours: Double, repositioning: Repositioning)],
                                            nuclide: Radionuclide, to dir: String, settings s: CameraStudySettings = CameraStudySettings(),
                                            administration: String = "20260112080000+0000") throws -> CameraStudy {
        guard let admin = DICOMDateTime.parse(dt: administration) else { throw WorkflowError("bad administration DT \(administration)") }
        guard let collimator = Collimator.named(s.collimator) else { throw WorkflowError("unknown collimator \(s.collimator)") }
        guard !visits.isEmpty, !organs.isEmpty else { throw WorkflowError("a serial study needs at least one visit and one organ") }
        guard visits[0].repositioning == Repositioning() else {
            throw WorkflowError("visit 1 is the reference position: its repositioning must be the identity")
        }
        let label = nuclide.name.replacingOccurrences(of: "-", with: "")
        let camera = Camera(collimator: collimator, columns: s.matrix, rows: s.matrix, pixelSizeMM: s.pixelMM,
                            windows: WindowSetting.tripleEnergyWindows(photopeakKeV: s.photopeakKeV, label: label),
                            scatter: s.scatter ? ScatterModel() : .none)
        var out = CameraStudy(folders: [], masks: (dir as NSString).appendingPathComponent("masks.dcm"), calibrationCpsPerMBq: 0, raw: [], log: [])
        for (k, visit) in visits.enumerated() {
            let t0 = Date()
            let phantom = SerialStudy.cameraPhantom(organs: organs, hours: visit.hours, repositioning: visit.repositioning)
            let setup = SimulationSetup(phantom: phantom, nuclide: nuclide, camera: camera, voxelMM: s.simulationVoxelMM,
                                        subsamples: s.subsamples, seed: s.seed &+ UInt64(k),
                                        acquisitionStart: admin.addingTimeInterval(visit.hours * 3600),
                                        injectionLeadSeconds: visit.hours * 3600,
                                        radiopharmaceutical: "\(nuclide.name) serial therapy (simulated)")
            let study = Simulator.spect(setup, protocol: SPECTProtocol(views: s.views, heads: s.heads, secondsPerView: s.secondsPerView))
            let raw = (dir as NSString).appendingPathComponent("raw/visit\(k + 1)")
            let written = try SimulationOutput.write(study, mode: "spect", setup: setup, out: raw, seconds: 0,
                                                     ct: SimulationOutput.CTSettings(matrix: s.ctMatrix, pixelMM: s.ctPixelMM, sliceMM: s.ctPixelMM))
            guard let ctFolder = written.ctFolder else { throw WorkflowError("\(raw): no CT written") }
            if k == 0 {
                guard let peak = written.truth.windows.first(where: { $0.name.hasSuffix("_PEAK") }) else {
                    throw WorkflowError("\(raw)/truth.json: no photopeak window")
                }
                if s.scatter {
                    guard let c = peak.sensitivityTEWCpsPerMBqInAir else { throw WorkflowError("\(raw)/truth.json: no TEW in-air sensitivity") }
                    out.calibrationCpsPerMBq = c
                } else { out.calibrationCpsPerMBq = peak.sensitivityCpsPerMBqInAir }
            }
            let folder = (dir as NSString).appendingPathComponent("tp\(k + 1)")
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw WorkflowError("cannot create \(folder): \(error)")
            }
            var o = ReconJob.Options(projections: written.nmPath, out: (folder as NSString).appendingPathComponent("spect.dcm"))
            o.ct = ctFolder; o.iterations = s.iterations; o.subsets = s.subsets
            o.scatter = s.scatter ? .tew : .none; o.calibrationCpsPerMBq = out.calibrationCpsPerMBq
            let recon = try ReconJob.execute(o)
            do { try FileManager.default.copyItem(atPath: ctFolder, toPath: (folder as NSString).appendingPathComponent("ct")) } catch {
                throw WorkflowError("cannot copy \(ctFolder) to \(folder)/ct: \(error)")
            }
            if k == 0 {
                let v = recon.volume
                let masks = SerialStudy.coveringMasks(organs: organs, marginMM: s.voiMarginMM, size: v.size, geometry: v.geometry)
                let fmt = DateFormatter()
                fmt.locale = Locale(identifier: "en_US_POSIX"); fmt.timeZone = TimeZone(identifier: "UTC")
                let when = admin.addingTimeInterval(visit.hours * 3600)
                fmt.dateFormat = "yyyyMMdd"; let date = fmt.string(from: when)
                fmt.dateFormat = "HHmmss"; let time = fmt.string(from: when)
                let attrs = StudyAttributes(patientName: "Phantom^Serial", patientID: "SERIAL1", studyDate: date, studyTime: time,
                                            frameOfReferenceUID: v.frameOfReferenceUID ?? UIDGenerator.newUID())
                do {
                    try SegmentationWriter.write(segments: organs.enumerated().map { ($0.element.name, masks[$0.offset]) },
                                                 size: v.size, geometry: v.geometry, study: attrs,
                                                 series: SeriesAttributes(seriesNumber: 3, seriesDescription: "Organ VOIs (\(s.voiMarginMM) mm margin)"),
                                                 to: out.masks)
                } catch { throw WorkflowError("\(out.masks): \(error)") }
            }
            out.folders.append(folder); out.raw.append(raw)
            let peakCounts = written.truth.windows.first { $0.name.hasSuffix("_PEAK") }?.recorded ?? 0
            out.log.append(String(format: "visit %d at %.0f h: %.3g photopeak counts, simulated + reconstructed in %.1f s → %@",
                                  k + 1, visit.hours, peakCounts, Date().timeIntervalSince(t0), folder))
        }
        return out
    }
}
