import DICOM
import DICOMImaging
import Foundation
import Imaging
import Simulation

/// Writes a simulated study as a camera and a CT would: NM DICOM, a CT series sharing its Frame of Reference, and
/// `truth.json` with the ground truth (plus the voxelised activity as raw float32).
public enum SimulationOutput {
    /// CT series settings.
    public struct CTSettings: Sendable {
        public var matrix: Int
        public var pixelMM: Double
        public var sliceMM: Double
        /// Axial field of a virtual patient's CT (mm), centred on the SPECT's axial centre (the grid's centre
        /// otherwise); nil: the SPECT's axial field of view (the whole patient for planar studies).
        public var axialFieldMM: Double?
        /// Creates settings.
        public init(matrix: Int = 128, pixelMM: Double = 4, sliceMM: Double = 4, axialFieldMM: Double? = nil) {
            self.matrix = matrix; self.pixelMM = pixelMM; self.sliceMM = sliceMM; self.axialFieldMM = axialFieldMM
        }
    }

    /// What was written.
    public struct Written: Sendable {
        /// The NM file.
        public var nmPath: String
        /// The CT folder, when written.
        public var ctFolder: String?
        /// The truth as written to `truth.json`.
        public var truth: SimulationTruth
        /// A human summary.
        public var text: String
    }

    /// Writes `study` into `out` (created if needed).
    public static func write(_ study: SimulatedStudy, mode: String, setup: SimulationSetup, out: String, seconds: Double,
                             ct ctSettings: CTSettings? = CTSettings(), options: NMWriter.Options = .init()) throws -> Written {
        let t0 = Date()
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch { throw WorkflowError("cannot create \(out): \(error)") }
        let acq = study.acquisition
        let attrs = StudyAttributes(studyDate: acq.acquisitionDate ?? "20250115", studyTime: acq.acquisitionTime ?? "100000",
                                    studyDescription: "Simulated \(mode) \(setup.phantom.name) \(setup.nuclide.name)",
                                    manufacturer: setup.camera.manufacturer, manufacturerModelName: setup.camera.modelName)
        var truth = study.truth
        let nmPath = "\(out)/NM_\(mode.uppercased().replacingOccurrences(of: "-", with: "_")).dcm"
        do {
            try NMWriter.write(acq, study: attrs, series: SeriesAttributes(seriesNumber: 1, seriesDescription: "\(mode.uppercased()) \(setup.nuclide.name) \(setup.camera.collimator.code)"),
                               to: nmPath, options: options)
        } catch { throw WorkflowError("writing \(nmPath): \(error)") }
        truth.files["nm"] = (nmPath as NSString).lastPathComponent
        var ctInfo = ""
        var ctFolder: String? = nil
        if let cs = ctSettings, !setup.phantom.compartments.isEmpty {
            let ctPhantom = study.voxelized?.phantom ?? setup.phantom
            let (size, geom) = CTSimulator.grid(for: ctPhantom, columns: cs.matrix, pixelMM: cs.pixelMM, sliceMM: cs.sliceMM)
            var ct: Volume
            if let patient = setup.virtualPatient {
                // A virtual patient: HU from the media's composition (+ 10 HU noise), on a grid wide enough for the body.
                let b = ctPhantom.boundingBox
                let cols = max(cs.matrix, Int((2 * max(abs(b.min.x), abs(b.max.x), abs(b.min.y), abs(b.max.y)) / cs.pixelMM).rounded(.up)) + 2)
                var (sz, g) = CTSimulator.grid(for: ctPhantom, columns: cols, pixelMM: cs.pixelMM, sliceMM: cs.sliceMM)
                if let sp = study.truth.spect {
                    // SPECT/CT: the CT covers the SPECT's axial field of view (+ one slice), not the whole patient.
                    let half = Double(acq.rows) * (acq.pixelSpacing.first ?? 1) / 2 + cs.sliceMM
                    sz.z = min(sz.z, Int((2 * half / cs.sliceMM).rounded(.up)))
                    g = Voxelizer.centredGrid(size: sz, spacing: g.spacing, center: Vector3(0, 0, sp.axialCentreMM))
                }
                if let f = cs.axialFieldMM {
                    // A limited CT field (serial studies with visit motion): CTFIELDMM about the same centre.
                    let centreZ = g.origin.z + Double(sz.z - 1) * g.spacing.z / 2
                    sz.z = max(1, Int((f / cs.sliceMM).rounded()))
                    g = Voxelizer.centredGrid(size: sz, spacing: g.spacing, center: Vector3(0, 0, centreZ))
                }
                ct = patient.ct(size: sz, geometry: g, kVp: 120, noiseHU: 10, seed: setup.seed)
            } else {
                ct = CTSimulator.simulate(ctPhantom, size: size, geometry: geom, kVp: 120, subsamples: 2)
            }
            truth.ct = CTSimulator.truth(ct, kVp: 120)   // in the simulation frame; moved with the rest below
            // The CT in the patient frame the camera writes (rotation axis at camera.axisPositionMM).
            ct.geometry.origin = ct.geometry.origin + setup.camera.axisPositionMM
            do {
                try CTSeriesWriter.write(ct, study: attrs, series: SeriesAttributes(seriesNumber: 2, seriesDescription: "CTAC 120 kVp (simulated)"),
                                         to: "\(out)/CT", kVp: 120)
            } catch { throw WorkflowError("writing the CT: \(error)") }
            truth.files["ct"] = "CT"
            ctFolder = "\(out)/CT"
            ctInfo = "CT: \(ct.size.x)×\(ct.size.y)×\(ct.size.z) at \(cs.pixelMM)×\(cs.pixelMM)×\(cs.sliceMM) mm → \(out)/CT\n"
        }
        if let vp = study.voxelized {
            let act = vp.activity(concentrations: vp.phantom.compartments.map(\.concentrationBqPerML))
            let data = act.voxels.withUnsafeBufferPointer { Data(buffer: $0) }
            try data.write(to: URL(fileURLWithPath: "\(out)/truth_activity_bqml.f32"))
            truth.files["activity"] = "truth_activity_bqml.f32 (float32 little endian, x fastest, grid in simulationGrid, Bq/mL)"
        }
        // Pixels from the written detectors (whose Image Position includes the camera's axis position): project the
        // truth positions after moving them into that same frame (lateral views of a Siemens camera were 36 columns off).
        truth.patient = setup.patientTruth
        truth = truth.translated(by: setup.camera.axisPositionMM)
        truth.patient = truth.patient.map { $0.withPixels(acq) }
        try truth.json().write(to: URL(fileURLWithPath: "\(out)/truth.json"))
        let dt = Date().timeIntervalSince(t0)
        var text = "Simulated \(mode): \(setup.phantom.name), \(setup.nuclide.name) (\(setup.nuclide.dataSet.rawValue)), \(setup.camera.collimator.name)\n"
        text += "  \(acq.frames.count) frames of \(acq.columns)×\(acq.rows) at \(setup.camera.pixelSizeMM) mm; activity \(String(format: "%.1f", truth.totalActivityBq / 1e6)) MBq at start; seed \(setup.seed)\(setup.noise ? "" : " (no noise)")\n"
        for w in truth.windows {
            text += String(format: "  window %d %@ %.2f–%.2f keV: %.0f counts (expected primary %.0f, scatter %.0f)\n",
                           w.number, w.name, w.lowerKeV, w.upperKeV, w.recorded, w.expectedPrimary, w.expectedScatter)
        }
        if let g = truth.gated { text += String(format: "  LVEF truth %.1f %% (framed %.1f %%, from LV counts %.1f %%), ED slot %d, ES slot %d\n", g.lvefPercent, g.framedLVEFPercent, g.countLVEFPercent, g.edSlot + 1, g.esSlot + 1) }
        text += "NM → \(nmPath)\n" + ctInfo + "truth → \(out)/truth.json\n"
        text += String(format: "Simulation %.2f s, writing %.2f s\n", seconds, dt)
        return Written(nmPath: nmPath, ctFolder: ctFolder, truth: truth, text: text)
    }
}
