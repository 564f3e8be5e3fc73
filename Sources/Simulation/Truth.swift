import Foundation
import Imaging
import Physics

/// One view of the truth: which detector, angle, radius and when.
public struct ViewTruth: Sendable, Codable, Equatable {
    /// Detector (1-based).
    public var detector: Int
    /// Angular view (1-based) for SPECT.
    public var view: Int?
    /// Gantry angle (degrees).
    public var angleDeg: Double
    /// Radial position (mm).
    public var radiusMM: Double
    /// Start (s after acquisition start).
    public var startSeconds: Double
    /// Duration (s).
    public var durationSeconds: Double
    /// Planar view name.
    public var name: String?
    init(detector: Int, view: Int?, angleDeg: Double, radiusMM: Double, startSeconds: Double, durationSeconds: Double, name: String? = nil) {
        self.detector = detector; self.view = view; self.angleDeg = angleDeg; self.radiusMM = radiusMM
        self.startSeconds = startSeconds; self.durationSeconds = durationSeconds; self.name = name
    }
}

/// Compartment truth.
public struct CompartmentTruth: Sendable, Codable, Equatable {
    public var name: String
    public var material: String
    /// Concentration at acquisition start (Bq/mL).
    public var concentrationBqPerML: Double
    /// Exact volume (mL) where analytic (painting order not accounted for), else nil.
    public var analyticVolumeML: Double?
    /// Volume (mL) as voxelised (after painting order: overlaps removed).
    public var voxelVolumeML: Double
    /// Activity (Bq) at acquisition start, from the voxelised volume.
    public var activityBq: Double
}

/// Expected counts of one energy window over the whole acquisition.
public struct WindowTruth: Sendable, Codable, Equatable {
    public var number: Int
    public var name: String
    public var lowerKeV: Double
    public var upperKeV: Double
    /// Expected primary counts.
    public var expectedPrimary: Double
    /// Expected scatter counts.
    public var expectedScatter: Double
    /// Counts actually recorded (after noise).
    public var recorded: Double
    /// Planar sensitivity of the simulated camera for this window in air (primary counts per second per MBq):
    /// Σ over lines of yield × collimator efficiency × intrinsic efficiency × fraction of the line in the window.
    /// What a calibration with a point source in air would measure; the calibration factor for quantitation.
    public var sensitivityCpsPerMBqInAir: Double
    /// The same in-air calibration measured with triple-energy-window scatter correction applied, as a protocol
    /// that reconstructs with TEW calibrates (MIRD Pamphlet 23: calibrate with the windows and corrections used for
    /// the patient): photopeak sensitivity minus the TEW estimate from the adjacent windows, which in air holds only
    /// the primary photons that the energy resolution spreads into them. Nil for windows without two neighbours.
    public var sensitivityTEWCpsPerMBqInAir: Double?
}

/// Whole-body sweep truth.
public struct WholeBodyTruth: Sendable, Codable, Equatable {
    public var speedMMPerS: Double
    public var scanLengthMM: Double
    public var topZMM: Double
    public var detectorAxialMM: Double
    public var rowDwellSeconds: Double
    public var totalSeconds: Double
    /// z (mm) of the centre of the first and last rows.
    public var rowZMM: [Double]
}

/// Gated blood-pool truth.
public struct GatedTruth: Sendable, Codable, Equatable {
    public var timeSlots: Int
    public var rrIntervalMs: Double
    public var beats: Int
    public var edvML: Double
    public var esvML: Double
    /// (EDV − ESV)/EDV, percent: the physiological EF of the volume curve.
    public var lvefPercent: Double
    /// LV volume (mL) averaged over each time slot.
    public var slotVolumesML: [Double]
    /// EF of the slot-averaged volumes (what a framed acquisition can show), percent.
    public var framedLVEFPercent: Double
    /// Expected photopeak counts from the LV blood pool alone, per slot (attenuated, no background).
    public var lvCountsExpected: [Double]
    /// EF from those counts, percent: the count-based truth an ideal LV ROI with perfect background subtraction gives.
    public var countLVEFPercent: Double
    public var edSlot: Int
    public var esSlot: Int
}

/// Dynamic truth.
public struct DynamicTruth: Sendable, Codable, Equatable {
    /// Frame start (s) and duration (s).
    public var frameStartSeconds: [Double]
    public var frameDurationSeconds: [Double]
    /// Per compartment: mean activity (Bq, decay included) during each frame.
    public var activityBq: [String: [Double]]
    /// Per compartment: expected photopeak counts per frame (all views), noiseless.
    public var expectedCounts: [String: [Double]]
}

/// Truth CT description.
public struct CTTruth: Sendable, Codable, Equatable {
    public var size: [Int]
    public var spacingMM: [Double]
    public var originMM: [Double]
    public var kVp: Double
    public var effectiveEnergyKeV: Double
    public var huPerMaterial: [String: Double]
}

/// Everything known about a simulated study, written as `truth.json`.
public struct SimulationTruth: Sendable, Codable {
    public var generator = "Scinti Simulation (physics forward model independent of the Reconstruction module)"
    public var mode: String
    public var conventions = "docs/spect-geometry.md: LPS mm; gantry angle 0 = anterior, clockwise seen from the feet; column along (cos θ, sin θ, 0); row 0 most superior; planar/whole-body/dynamic/gated detector Image Position (Patient) = centre of the first pixel (row 0, column 0) in the plane through the rotation axis, Image Orientation = (cos θ, sin θ, 0)\\(0, 0, -1); TOMO detector Image Position (Patient) = x, y of the centre of the first voxel of the columns x columns x rows reconstruction grid of one pixel (axes +x/+y, centred on the rotation axis) and z of projection row 0, the most superior slice (GE convention), Image Orientation = that of the detector at its start angle"
    public var phantomName: String
    public var phantomDescription: String
    public var compartments: [CompartmentTruth]
    public var landmarks: [Landmark]
    /// Where the rotation axis lies in the patient frame of the files and of every position here (x, y, z mm; the
    /// simulation itself runs with the axis at the origin). Absent means (0, 0, 0).
    public var rotationAxisMM: [Double]? = nil
    public var pointSources: [PointSource]
    public var isotope: [String: String]
    public var halfLifeSeconds: Double
    public var simulatedLines: [[String: Double]]
    public var omittedLines: [String]
    public var collimator: [String: String]
    public var collimatorEfficiencyAtPhotopeak: Double
    public var systemFWHMmmAt100mm: Double
    public var camera: [String: Double]
    public var scatterModel: ScatterModel
    public var windows: [WindowTruth]
    public var views: [ViewTruth]
    public var spect: SPECTProtocol?
    public var wholeBody: WholeBodyTruth?
    public var gated: GatedTruth?
    public var dynamic: DynamicTruth?
    public var ct: CTTruth?
    /// The virtual patient (ICRP-110 phantom, tracer, organs, lesions), when the study is of one.
    public var patient: PatientTruth?
    public var seed: UInt64
    public var noise: Bool
    public var acquisitionStart: String
    public var injectionDateTime: String
    /// Total activity at acquisition start (Bq) and at administration.
    public var totalActivityBq: Double
    public var administeredActivityBq: Double
    /// Simulation grid.
    public var simulationGrid: [String: [Double]]
    /// Files written next to the truth (filled by the CLI).
    public var files: [String: String] = [:]

    static func make(mode: String, setup: SimulationSetup, model: ForwardModel, voxelized vp: VoxelizedPhantom?,
                     source: EmissionSource, acquisition acq: NMAcquisition, primary: [Float], scatter: [Float],
                     views: [ViewTruth]) -> SimulationTruth {
        let cam = setup.camera
        let comps: [CompartmentTruth] = setup.phantom.compartments.enumerated().map { c, comp in
            let v = vp?.volumeML(c) ?? 0
            return CompartmentTruth(name: comp.name, material: comp.material.rawValue, concentrationBqPerML: comp.concentrationBqPerML,
                                    analyticVolumeML: comp.shape.analyticVolumeML, voxelVolumeML: v, activityBq: v * comp.concentrationBqPerML)
        }
        let np = acq.rows * acq.columns
        var wt: [WindowTruth] = []
        for (k, w) in cam.windows.enumerated() {
            var p = 0.0, s = 0.0, r = 0.0
            for f in acq.frames where f.energyWindow == k + 1 {
                let range = (f.frame * np)..<((f.frame + 1) * np)
                p += primary[range].reduce(0) { $0 + Double($1) }
                s += scatter[range].reduce(0) { $0 + Double($1) }
                r += acq.counts![range].reduce(0) { $0 + Double($1) }
            }
            func sensitivity(_ j: Int) -> Double { model.lines.reduce(0.0) { $0 + $1.yield * $1.efficiency * $1.primaryFraction[j] } * 1e6 }
            let sens = sensitivity(k)
            var tew: Double? = nil
            if let lo = cam.windows.firstIndex(where: { abs($0.upperKeV - w.lowerKeV) < 0.01 }),
               let hi = cam.windows.firstIndex(where: { abs($0.lowerKeV - w.upperKeV) < 0.01 }) {
                let wl = cam.windows[lo].upperKeV - cam.windows[lo].lowerKeV, wh = cam.windows[hi].upperKeV - cam.windows[hi].lowerKeV
                tew = sens - (sensitivity(lo) / wl + sensitivity(hi) / wh) * (w.upperKeV - w.lowerKeV) / 2
            }
            wt.append(WindowTruth(number: k + 1, name: w.name, lowerKeV: w.lowerKeV, upperKeV: w.upperKeV, expectedPrimary: p,
                                  expectedScatter: s, recorded: r, sensitivityCpsPerMBqInAir: sens, sensitivityTEWCpsPerMBqInAir: tew))
        }
        let e0 = setup.nuclide.photopeakKeV ?? 140
        let total = source.totalBq
        var grid: [String: [Double]] = [:]
        if let vp {
            grid = ["size": [Double(vp.size.x), Double(vp.size.y), Double(vp.size.z)],
                    "spacingMM": vp.geometry.spacing.array, "originMM": vp.geometry.origin.array,
                    "subsamples": [Double(vp.subsamples)]]
        }
        return SimulationTruth(
            mode: mode, phantomName: setup.phantom.name, phantomDescription: setup.phantom.description, compartments: comps,
            landmarks: setup.phantom.landmarks, pointSources: setup.pointSources,
            isotope: ["name": setup.nuclide.name, "dataSet": setup.nuclide.dataSet.rawValue, "source": setup.nuclide.source],
            halfLifeSeconds: setup.nuclide.halfLifeSeconds,
            simulatedLines: model.lines.map { ["energyKeV": $0.energyKeV, "yield": $0.yield, "efficiency": $0.efficiency] },
            omittedLines: model.omittedLines,
            collimator: ["code": cam.collimator.code, "name": cam.collimator.name, "vendor": cam.collimator.vendor, "source": cam.collimator.source],
            collimatorEfficiencyAtPhotopeak: cam.collimator.geometricEfficiency(energyKeV: e0),
            systemFWHMmmAt100mm: cam.collimator.systemFWHM(distanceMM: 100, energyKeV: e0, intrinsicFWHMmm: cam.intrinsicFWHMmm),
            camera: ["columns": Double(cam.columns), "rows": Double(acq.rows), "pixelSizeMM": cam.pixelSizeMM,
                     "intrinsicFWHMmm": cam.intrinsicFWHMmm, "energyResolutionPercentAt140keV": cam.energyResolutionPercentAt140,
                     "intrinsicEfficiency": cam.intrinsicEfficiency],
            scatterModel: cam.scatter, windows: wt, views: views, seed: setup.seed, noise: setup.noise,
            acquisitionStart: DateText.dt(setup.acquisitionStart),
            injectionDateTime: DateText.dt(setup.acquisitionStart.addingTimeInterval(-setup.injectionLeadSeconds)),
            totalActivityBq: total, administeredActivityBq: setup.administeredActivityBq ?? total * exp(setup.nuclide.decayConstant * setup.injectionLeadSeconds),
            simulationGrid: grid)
    }

    /// Pretty, key-sorted JSON.
    public func json() throws -> Data {
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return try enc.encode(self)
    }
}

extension SimulationTruth {
    /// The truth with every patient position moved by `offset` (mm): landmarks, point sources, the CT and simulation
    /// grids. Used when a camera writes its files in a patient frame whose origin is not the rotation axis
    /// (``Camera/axisPositionMM``).
    public func translated(by offset: Vector3) -> SimulationTruth {
        guard offset != .zero else { return self }
        var t = self
        t.landmarks = landmarks.map { var l = $0; l.center = l.center + offset; return l }
        t.pointSources = pointSources.map { var p = $0; p.position = p.position + offset; return p }
        if var ct = t.ct, ct.originMM.count == 3 {
            ct.originMM = zip(ct.originMM, offset.array).map { $0 + $1 }
            t.ct = ct
        }
        if let o = t.simulationGrid["originMM"], o.count == 3 { t.simulationGrid["originMM"] = zip(o, offset.array).map { $0 + $1 } }
        if var p = t.patient {
            p.lesions = p.lesions.map { l in
                var m = l
                if m.centerLPS.count == 3 { m.centerLPS = zip(m.centerLPS, offset.array).map { $0 + $1 } }
                return m
            }
            p.visitMotion = p.visitMotion?.translated(by: offset)
            p.physiology = p.physiology.map { s in
                var m = s
                if m.centerLPS.count == 3 { m.centerLPS = zip(m.centerLPS, offset.array).map { $0 + $1 } }
                return m
            }
            p.variability.visitMotion = p.variability.visitMotion?.translated(by: offset)
            t.patient = p
        }
        t.rotationAxisMM = offset.array
        return t
    }
}
