import ArgumentParser
import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Simulation
import Workflows

/// `scinti simulate`: a camera study with known truth — NM DICOM as a camera writes it, the matching CT series,
/// and `truth.json`.
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a gamma-camera study (NM DICOM + CT series + truth.json).",
        subcommands: [Spect.self, Planar.self, WholeBody.self, Dynamic.self, Gated.self, SimulateTrial.self, SimulateThyroidUptake.self, SimulateMIBG.self,
                      SimulateKrenning.self])

    /// Options every mode shares.
    struct Common: ParsableArguments {
        @Option(help: "Phantom: iec, jaszczak, torso, body (torso with head, neck and legs), or the ICRP-110 virtual patients icrp-am, icrp-af (with --tracer).") var phantom: String?
        @Option(help: "Radionuclide (e.g. Tc-99m, I-123, Lu-177, In-111).") var isotope = "Tc-99m"
        @Option(name: .customLong("data-set"), help: "Decay data: ensdf or icrp107.") var dataSet = "ensdf"
        @Option(help: "Collimator code (LEHR, LEGP, MELP, MEGP, HE…).") var collimator = "LEHR"
        @Option(help: "Camera vendor: siemens (Symbia T2), ge (Discovery 670), philips (BrightView XCT), mediso (AnyScan SC) or scinti (default). Sets the collimator catalogue entry, Manufacturer and Model, and writes the NM and CT files with that manufacturer's geometry conventions (docs/vendor-geometry.md).") var vendor: String?
        @Option(help: "Total activity at acquisition start (MBq); scales every concentration.") var activity: Double?
        @Option(help: "IEC/Jaszczak background concentration (kBq/mL).") var background: Double = 10
        @Option(name: .customLong("sphere-ratio"), help: "IEC sphere-to-background ratio.") var sphereRatio: Double = 4
        @Flag(name: .customLong("hot-rods"), help: "Jaszczak: rods filled hot (sphere-ratio × background) instead of cold.") var hotRods = false
        @Flag(name: .customLong("hot-spheres"), help: "Jaszczak: spheres filled hot instead of cold.") var hotSpheres = false
        @Option(help: "Seconds: per view (spect), per frame (planar), total (gated).") var duration: Double?
        @Option(help: "Noise seed.") var seed: UInt64 = 1
        @Flag(name: .customLong("no-noise"), help: "Write the expected counts (rounded), no Poisson noise.") var noNoise = false
        @Flag(name: .customLong("no-scatter"), help: "No scatter.") var noScatter = false
        @Flag(name: .customLong("no-attenuation"), help: "Everything in air (no attenuation, no scatter).") var noAttenuation = false
        @Option(help: "Projection matrix (columns = rows).") var matrix = 128
        @Option(help: "Projection pixel size (mm).") var pixel = 4.7952
        @Option(help: "Simulation voxel (mm); default: the projection pixel (use half of it to keep clear of the reconstruction grid).") var voxel: Double?
        @Option(help: "Sub-samples per voxel edge for voxelisation.") var subsamples = 2
        @Option(name: .customLong("peak-percent"), help: "Photopeak window width (%).") var peakPercent: Double = 20
        @Option(name: .customLong("scatter-percent"), help: "Width of each TEW scatter window (% of the photopeak).") var scatterPercent: Double = 7
        @Option(name: .customLong("injection-hours"), help: "Administration this long before the acquisition start.") var injectionHours: Double = 0
        @Option(name: .customLong("ct-matrix"), help: "CT columns/rows.") var ctMatrix = 128
        @Option(name: .customLong("ct-pixel"), help: "CT pixel (mm).") var ctPixel: Double = 4
        @Option(name: .customLong("ct-slice"), help: "CT slice spacing (mm).") var ctSlice: Double = 4
        @Flag(name: .customLong("no-ct"), help: "Do not write the CT series.") var noCT = false
        @Option(help: "Output folder.") var out: String
        @OptionGroup var patient: PatientOptions

        func nuclide() throws -> Radionuclide {
            guard let ds = DecayDataSet(rawValue: dataSet.lowercased()) else { throw fail("unknown data set \(dataSet) (ensdf, icrp107)") }
            guard let n = Radionuclide.named(isotope, dataSet: ds) else {
                throw fail("unknown radionuclide \(isotope); known: \(Radionuclide.all(dataSet: ds).map(\.name).joined(separator: ", "))")
            }
            return n
        }

        /// The vendor whose conventions the files follow: `--vendor`, else Siemens (Symbia) for virtual patients
        /// (issue 12: studies written as the camera would), else Scinti's own.
        var effectiveVendor: String? { vendor ?? (phantom?.lowercased().hasPrefix("icrp") == true ? "siemens" : nil) }

        func camera(_ n: Radionuclide) throws -> Camera {
            let vendor = effectiveVendor
            let catalogueVendor: String? = vendor.map { v in ["siemens": "Siemens", "ge": "GE", "philips": "Philips"][v.lowercased()] ?? v }
            guard let c = Collimator.named(collimator, vendor: catalogueVendor) ?? (vendor?.lowercased() == "mediso" ? Collimator.named(collimator) : nil) else {
                throw fail("unknown collimator \(collimator)\(vendor.map { " (\($0))" } ?? ""); known: \(Set(Collimator.catalog.map(\.code)).sorted().joined(separator: ", "))")
            }
            // Photopeak windows: the main line, plus Lu-177's 113 keV and In-111's two lines as vendors set them.
            var windows: [WindowSetting] = []
            let label = n.name.replacingOccurrences(of: "-", with: "")
            var peaks = [n.photopeakKeV ?? 140]
            if n.name == "In-111" || n.name == "Lu-177" {
                peaks = n.photons.filter { $0.energyKeV >= 100 && $0.yield > 0.05 }.map(\.energyKeV).sorted()
            }
            for e in peaks { windows += WindowSetting.tripleEnergyWindows(photopeakKeV: e, label: label, peakPercent: peakPercent, scatterPercent: scatterPercent) }
            var cam = Camera(collimator: c, columns: matrix, rows: matrix, pixelSizeMM: pixel, windows: windows,
                             scatter: noScatter ? .none : ScatterModel())
            if let v = vendor, !cam.present(asVendor: v) {
                throw fail("unknown --vendor \(v); known: siemens, ge, philips, mediso, scinti")
            }
            return cam
        }

        func buildPhantom(default name: String) throws -> Phantom {
            switch (phantom ?? name).lowercased() {
            case "iec", "nema": return Phantom.iec(sphereToBackground: sphereRatio, backgroundBqPerML: background * 1000)
            case "jaszczak": return Phantom.jaszczak(backgroundBqPerML: background * 1000, rodsHot: hotRods, spheresHot: hotSpheres, hotRatio: sphereRatio)
            case "torso": return Phantom.torso()
            case "body", "whole-body": return Phantom.torso(extent: .wholeBody)
            default: throw fail("unknown phantom \(phantom ?? name) (iec, jaszczak, torso, body, icrp-am, icrp-af)")
            }
        }

        func setup(default name: String, mode: String = "", visitMotion: VisitMotion? = nil) throws -> SimulationSetup {
            if let p = phantom, p.lowercased().hasPrefix("icrp") {
                return try patient.setup(phantom: p, mode: mode, nuclideFallback: camera, voxelMM: voxel ?? pixel, subsamples: subsamples,
                                         seed: seed, noise: !noNoise, attenuation: !noAttenuation, visitMotion: visitMotion)
            }
            let n = try nuclide()
            var s = SimulationSetup(phantom: try buildPhantom(default: name), nuclide: n, camera: try camera(n),
                                    voxelMM: voxel ?? pixel, subsamples: subsamples, seed: seed, noise: !noNoise,
                                    injectionLeadSeconds: injectionHours * 3600, attenuation: !noAttenuation)
            s.totalActivityBq = activity.map { $0 * 1e6 }
            return s
        }

        /// Writes NM, CT and truth (through the library); prints the summary.
        func finish(_ study: SimulatedStudy, mode: String, setup: SimulationSetup, seconds: Double, options: NMWriter.Options = .init()) throws {
            do {
                let written = try SimulationOutput.write(study, mode: mode, setup: setup, out: out, seconds: seconds,
                                                         ct: noCT ? nil : .init(matrix: ctMatrix, pixelMM: ctPixel, sliceMM: ctSlice),
                                                         options: options)
                emit(written.text)
            } catch { throw failure(error) }
        }
    }

    struct Spect: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "spect", abstract: "SPECT projections (TOMO).")
        @OptionGroup var common: Common
        @Option(help: "Total views (all heads).") var views = 120
        @Option(help: "Total arc (degrees) covered by all heads.") var arc: Double = 360
        @Option(help: "Heads (1 or 2).") var heads = 2
        @Option(help: "Orbit radius (mm); default body extent + 15 mm.") var radius: Double?
        @Option(name: .customLong("start-angle"), help: "Start angle of head 1 (degrees).") var startAngle: Double = 0
        @Option(help: "Rotation direction: CW or CC.") var direction = "CW"
        @Option(help: "Body-contour orbit: this margin (mm) between body and collimator at every view (default: circular).") var contour: Double?

        func run() throws {
            let s = try common.setup(default: "iec", mode: "spect")
            guard heads == 1 || heads == 2, views % heads == 0 else { throw fail("--views must be divisible by --heads (1 or 2)") }
            let dir: RotationDirection = direction.uppercased().hasPrefix("CC") ? .counterClockwise : .clockwise
            let p = SPECTProtocol(views: views, heads: heads, arcDeg: arc, startAngleDeg: startAngle, direction: dir, radiusMM: radius,
                                  secondsPerView: common.duration ?? 20, axialCentreMM: s.focusZ(), contourMarginMM: contour)
            let t0 = Date()
            let study = Simulator.spect(s, protocol: p)
            try common.finish(study, mode: "spect", setup: s, seconds: Date().timeIntervalSince(t0))
        }
    }

    struct Planar: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "planar", abstract: "Planar static views (anterior/posterior by default).")
        @OptionGroup var common: Common
        @Option(help: "Views: anterior, posterior, lao, rao, llat, rlat or angles, comma-separated.") var views = "anterior,posterior"
        @Option(help: "Detector distance from the axis (mm); default body + 10 mm.") var radius: Double?

        func run() throws {
            let s = try common.setup(default: "torso")
            let vs = try views.split(separator: ",").map { try planarView(String($0)) }
            let t0 = Date()
            let study = Simulator.planar(s, views: vs, seconds: common.duration ?? 300, radiusMM: radius, axialCentreMM: s.focusZ())
            try common.finish(study, mode: "planar", setup: s, seconds: Date().timeIntervalSince(t0))
        }
    }

    struct WholeBody: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "whole-body", abstract: "Whole-body sweep, anterior and posterior.")
        @OptionGroup var common: Common
        @Option(help: "Table speed (mm/s).") var speed: Double = 2.5
        @Option(name: .customLong("detector-axial"), help: "Axial field of view of the detector (mm).") var detectorAxial: Double = 400

        func run() throws {
            let s = try common.setup(default: "body")
            let t0 = Date()
            let study = Simulator.wholeBody(s, speedMMPerS: speed, detectorAxialMM: detectorAxial)
            try common.finish(study, mode: "whole-body", setup: s, seconds: Date().timeIntervalSince(t0),
                              options: NMWriter.Options(scanVelocityMMPerS: speed, scanLengthMM: study.extras["scanLengthMM"]))
        }
    }

    struct Dynamic: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "dynamic", abstract: "Dynamic planar study (renogram preset on the torso).")
        @OptionGroup var common: Common
        @Option(help: "Phases as FRAMESxSECONDS, comma-separated.") var phases = "60x2,48x20"
        @Option(help: "Views (default posterior).") var views = "posterior"

        func run() throws {
            var s = try common.setup(default: "torso")
            let (p, curves) = Presets.renogram()
            s.phantom = p
            var ph: [DynamicPhase] = []
            for (k, spec) in phases.split(separator: ",").enumerated() {
                let parts = spec.split(separator: "x")
                guard parts.count == 2, let n = Int(parts[0]), let d = Double(parts[1]), n > 0, d > 0 else { throw fail("bad phase \(spec) (FRAMESxSECONDS)") }
                ph.append(DynamicPhase(frames: n, secondsPerFrame: d, description: k == 0 ? "FLOW" : "UPTAKE"))
            }
            let vs = try views.split(separator: ",").map { try planarView(String($0)) }
            let t0 = Date()
            let study = Simulator.dynamic(s, phases: ph, curves: curves, views: vs)
            try common.finish(study, mode: "dynamic", setup: s, seconds: Date().timeIntervalSince(t0))
        }
    }

    struct Gated: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "gated", abstract: "ECG-gated planar blood pool (LAO 45°).")
        @OptionGroup var common: Common
        @Option(help: "Time slots per R-R interval.") var slots = 16
        @Option(name: .customLong("rr-ms"), help: "R-R interval (ms).") var rrMs: Double = 857
        @Option(help: "End-diastolic LV volume (mL).") var edv: Double = 120
        @Option(help: "End-systolic LV volume (mL); or give --lvef.") var esv: Double?
        @Option(help: "LV ejection fraction (%) (sets ESV from EDV).") var lvef: Double?
        @Option(help: "RV ejection fraction (%) of a virtual patient (default: the LV's).") var rvef: Double?
        @Option(help: "View (default lao).") var view = "lao"

        func run() throws {
            var s = try common.setup(default: "torso", mode: "gated")
            let esvML = esv ?? edv * (1 - (lvef ?? 60) / 100)
            if let r = rvef, !(r > 0 && r < 100) { throw fail("--rvef \(r) (allowed: 0 < RVEF < 100 %)") }
            let g = GatedProtocol(timeSlots: slots, rrMs: rrMs, seconds: common.duration ?? 600, view: try planarView(view), edvML: edv, esvML: esvML,
                                  rvefPercent: rvef)
            let t0 = Date()
            let study: SimulatedStudy
            if let patient = s.virtualPatient {
                do { study = try Simulator.gated(s, patient: patient, protocol: g, voxelMM: s.voxelMM, subsamples: s.subsamples) } catch { throw failure(error) }
                s.patientTruth = study.truth.patient
            } else {
                s.phantom = Phantom.torso(activities: Presets.bloodPool())
                study = Simulator.gated(s, protocol: g)
            }
            try common.finish(study, mode: "gated", setup: s, seconds: Date().timeIntervalSince(t0),
                              options: NMWriter.Options(heartRate: Int((60_000 / rrMs).rounded())))
        }
    }
}

/// A planar view from a name or an angle.
func planarView(_ text: String) throws -> PlanarView {
    switch text.lowercased().trimmingCharacters(in: .whitespaces) {
    case "anterior", "ant": return .anterior
    case "posterior", "post": return .posterior
    case "lao": return .lao45
    case "rao": return PlanarView(name: "Right anterior oblique", angleDeg: 315)
    case "llat", "left": return PlanarView(name: "Left lateral projection", angleDeg: 90)
    case "rlat", "right": return PlanarView(name: "Right lateral projection", angleDeg: 270)
    default:
        guard let a = Double(text) else { throw fail("unknown view \(text)") }
        return PlanarView(name: "Oblique", angleDeg: a)
    }
}
