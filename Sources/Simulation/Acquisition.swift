import Foundation
import Imaging
import Physics

/// Everything a simulated acquisition shares: phantom, nuclide, camera, sampling, noise and times.
public struct SimulationSetup: Sendable {
    /// The activity and material distribution (may have no compartments: point sources in air).
    public var phantom: Phantom
    /// Extra point sources (exact positions).
    public var pointSources: [PointSource]
    /// Radionuclide (decay data set as chosen).
    public var nuclide: Radionuclide
    /// The camera.
    public var camera: Camera
    /// Edge of the simulation voxels (mm). Finer than the reconstruction grid avoids an inverse crime.
    public var voxelMM: Double
    /// Sub-samples per voxel edge for voxelisation.
    public var subsamples: Int
    /// Seed of the Poisson noise.
    public var seed: UInt64
    /// Whether to add Poisson noise (false: the expected counts, rounded to the nearest integer).
    public var noise: Bool
    /// Acquisition start (the reference time of the phantom's concentrations).
    public var acquisitionStart: Date
    /// Administration happened this long before the acquisition start (s); sets Radiopharmaceutical Start
    /// DateTime and the Radionuclide Total Dose (activity at administration).
    public var injectionLeadSeconds: Double
    /// Radiopharmaceutical name written to DICOM.
    public var radiopharmaceutical: String
    /// Whether the phantom attenuates and scatters (false: everything in air).
    public var attenuation: Bool
    /// When set, every concentration is scaled so that the voxelised phantom holds exactly this activity (Bq) at
    /// the acquisition start (point sources excluded).
    public var totalActivityBq: Double?
    /// An already voxelised phantom (a ``VirtualPatient``): used as it is instead of voxelising `phantom`.
    public var voxelized: VoxelizedPhantom?
    /// Activity administered (Bq), when it differs from what is in the body decayed back (excretion before imaging).
    public var administeredActivityBq: Double?
    /// The virtual patient the study is of (for its CT and truth), when any.
    public var virtualPatient: VirtualPatient?
    /// The patient's truth (organs, lesions) from ``VirtualPatient/build(voxelMM:subsamples:)``.
    public var patientTruth: PatientTruth?

    /// Creates a setup.
    public init(phantom: Phantom, pointSources: [PointSource] = [], nuclide: Radionuclide, camera: Camera,
                voxelMM: Double = 4, subsamples: Int = 3, seed: UInt64 = 1, noise: Bool = true,
                acquisitionStart: Date = SimulationSetup.defaultStart, injectionLeadSeconds: Double = 0,
                radiopharmaceutical: String? = nil, attenuation: Bool = true) {
        self.phantom = phantom; self.pointSources = pointSources; self.nuclide = nuclide; self.camera = camera
        self.voxelMM = voxelMM; self.subsamples = subsamples; self.seed = seed; self.noise = noise
        self.acquisitionStart = acquisitionStart; self.injectionLeadSeconds = injectionLeadSeconds
        self.radiopharmaceutical = radiopharmaceutical ?? "\(nuclide.name) phantom fill"
        self.attenuation = attenuation
    }

    /// 2025-01-15 10:00:00 UTC: a fixed default so that outputs are reproducible.
    public static let defaultStart = Date(timeIntervalSince1970: 1_736_935_200)

    /// Mean of exp(−λt) over [t0, t0 + τ] times τ: the decay-weighted exposure (s) of a frame.
    public func exposureSeconds(start t0: Double, duration tau: Double) -> Double {
        let l = nuclide.decayConstant
        let x = l * tau
        return tau * exp(-l * t0) * (x < 1e-9 ? 1 - x / 2 : (1 - exp(-x)) / x)
    }
}

/// A planar view (one detector position).
public struct PlanarView: Sendable, Codable, Equatable {
    /// View name as written in the View Code Sequence code meaning (CID 26: `Anterior projection`, `Posterior projection`, `Left anterior oblique`…).
    public var name: String
    /// Gantry angle (degrees, spect-geometry.md).
    public var angleDeg: Double
    /// Creates a view.
    public init(name: String, angleDeg: Double) { self.name = name; self.angleDeg = angleDeg }
    /// Anterior (0°).
    public static let anterior = PlanarView(name: "Anterior projection", angleDeg: 0)
    /// Posterior (180°).
    public static let posterior = PlanarView(name: "Posterior projection", angleDeg: 180)
    /// Left anterior oblique 45° (best septal view for gated blood pool).
    public static let lao45 = PlanarView(name: "Left anterior oblique", angleDeg: 45)
}

/// SPECT acquisition: circular orbit, step and shoot.
public struct SPECTProtocol: Sendable, Codable, Equatable {
    /// Total views over all heads.
    public var views: Int
    /// Heads (1 or 2); head h starts at start + h · arc/heads in the rotation direction.
    public var heads: Int
    /// Total arc covered by all heads together (degrees), e.g. 360 (H-mode) or 180 (L-mode cardiac).
    public var arcDeg: Double
    /// Start angle of head 1 (degrees).
    public var startAngleDeg: Double
    /// Direction.
    public var direction: RotationDirection
    /// Radius of the circular orbit (collimator face to axis, mm); nil: body extent + 15 mm.
    public var radiusMM: Double?
    /// Time per view (s).
    public var secondsPerView: Double
    /// Dead time between views while the gantry steps (s).
    public var pauseSeconds: Double
    /// Axial centre of the field of view (mm).
    public var axialCentreMM: Double
    /// Body-contour (non-circular) orbit: each view's radius is the body's extent towards the detector + this
    /// margin (mm), never more than the circular radius; nil: circular orbit.
    public var contourMarginMM: Double?
    /// Creates a protocol.
    public init(views: Int = 120, heads: Int = 2, arcDeg: Double = 360, startAngleDeg: Double = 0,
                direction: RotationDirection = .clockwise, radiusMM: Double? = nil, secondsPerView: Double = 20,
                pauseSeconds: Double = 0, axialCentreMM: Double = 0, contourMarginMM: Double? = nil) {
        self.views = views; self.heads = heads; self.arcDeg = arcDeg; self.startAngleDeg = startAngleDeg
        self.direction = direction; self.radiusMM = radiusMM; self.secondsPerView = secondsPerView
        self.pauseSeconds = pauseSeconds; self.axialCentreMM = axialCentreMM; self.contourMarginMM = contourMarginMM
    }
    /// Views per head.
    public var viewsPerHead: Int { views / max(1, heads) }
    /// Angular step between views of one head (degrees).
    public var stepDeg: Double { arcDeg / Double(views) }
    /// Gantry angle of 0-based `view` of 0-based `head`.
    public func angle(head: Int, view: Int) -> Double {
        Rotation.normalize(startAngleDeg + direction.sign * (Double(head) * arcDeg / Double(heads) + stepDeg * Double(view)))
    }
}

/// A simulated study: the acquisition as the camera would store it (counts and every DICOM-relevant attribute)
/// and its truth.
public struct SimulatedStudy: Sendable {
    /// The acquisition, with counts (frames × rows × columns).
    public var acquisition: NMAcquisition
    /// Expected primary counts, same layout as the counts.
    public var expectedPrimary: [Float]
    /// Expected scatter counts, same layout.
    public var expectedScatter: [Float]
    /// Truth.
    public var truth: SimulationTruth
    /// The phantom as voxelised for the simulation (nil for point sources only).
    public var voxelized: VoxelizedPhantom?
    /// Extra attributes for the writer (e.g. whole-body scan speed).
    public var extras: [String: Double]
    /// Expected (noiseless) counts.
    public var expected: [Float] { zip(expectedPrimary, expectedScatter).map { $0 + $1 } }
}

/// Builds acquisitions.
public enum Simulator {
    // MARK: Shared pieces

    static func voxelize(_ setup: inout SimulationSetup) -> VoxelizedPhantom? {
        if let v = setup.voxelized { setup.phantom = v.phantom; return v }
        guard !setup.phantom.compartments.isEmpty else { return nil }
        let (size, geom) = Voxelizer.coveringGrid(setup.phantom, voxelMM: setup.voxelMM, marginMM: setup.voxelMM * 2)
        var vp = Voxelizer.voxelize(setup.phantom, size: size, geometry: geom, subsamples: setup.subsamples)
        if let target = setup.totalActivityBq {
            let now = setup.phantom.compartments.indices.reduce(0.0) { $0 + vp.volumeML($1) * setup.phantom.compartments[$1].concentrationBqPerML }
            if now > 0 { setup.phantom = setup.phantom.scaled(by: target / now); vp.phantom = setup.phantom }
        }
        return vp
    }

    static func source(_ vp: VoxelizedPhantom?, _ setup: SimulationSetup, concentrations: [Double]? = nil) -> EmissionSource {
        if let vp { return EmissionSource(concentration: vp.activity(concentrations: concentrations), points: setup.pointSources) }
        return EmissionSource(points: setup.pointSources)
    }

    /// Smallest radius that clears the body on a circular orbit: farthest material voxel from the axis + margin.
    public static func bodyRadius(_ vp: VoxelizedPhantom?, points: [PointSource] = [], margin: Double = 15) -> Double {
        var r = points.map { ($0.position.x * $0.position.x + $0.position.y * $0.position.y).squareRoot() }.max() ?? 0
        if let vp {
            let g = vp.geometry
            for cv in vp.compartmentVoxels {
                for i in cv.indices {
                    let lin = Int(i) % (vp.size.x * vp.size.y)
                    let p = g.patientPosition(lin % vp.size.x, lin / vp.size.x, 0)
                    r = max(r, (p.x * p.x + p.y * p.y).squareRoot() + g.spacing.x * 0.71)
                }
            }
        }
        return r + margin
    }

    /// Smallest distance from the axis to a planar detector at `angle` that clears the body.
    public static func planarRadius(_ vp: VoxelizedPhantom?, angleDeg: Double, margin: Double = 10) -> Double {
        guard let vp else { return 100 }
        let th = angleDeg * .pi / 180
        let ux = sin(th), uy = -cos(th)
        var s = -Double.infinity
        let g = vp.geometry
        for cv in vp.compartmentVoxels {
            for i in cv.indices {
                let lin = Int(i) % (vp.size.x * vp.size.y)
                let p = g.patientPosition(lin % vp.size.x, lin / vp.size.x, 0)
                s = max(s, p.x * ux + p.y * uy + g.spacing.x * 0.71)
            }
        }
        return s + margin
    }

    static func poisson(_ expected: [Float], seed: UInt64, stream: UInt64, noise: Bool) -> [Float] {
        guard noise else { return expected.map { $0.rounded() } }
        var g = SeededGenerator(seed: seed, stream: stream)
        return expected.map { Float(g.poisson(Double($0))) }
    }

    static func windowsAndRadiopharmaceutical(_ setup: SimulationSetup, totalBq: Double) -> ([EnergyWindow], [Radiopharmaceutical]) {
        let windows = setup.camera.windows.enumerated().map { k, w in
            EnergyWindow(number: k + 1, name: w.name, ranges: [EnergyRange(lowerKeV: w.lowerKeV, upperKeV: w.upperKeV)])
        }
        let injected = setup.administeredActivityBq ?? totalBq * exp(setup.nuclide.decayConstant * setup.injectionLeadSeconds)
        let start = setup.acquisitionStart.addingTimeInterval(-setup.injectionLeadSeconds)
        let pharma = Radiopharmaceutical(name: setup.radiopharmaceutical, radionuclide: NuclideNames.codeMeaning(setup.nuclide.name),
                                         totalDoseBq: injected.rounded(), startDateTime: DateText.dt(start),
                                         startTime: DateText.tm(start), halfLifeSeconds: (setup.nuclide.halfLifeSeconds * 1000).rounded() / 1000)
        return (windows, [pharma])
    }

    static func detector(_ number: Int, angle: Double, radius: [Double], camera: Camera, axialCentre: Double,
                         rows: Int, view: String? = nil) -> Detector {
        let th = angle * .pi / 180
        // Values rounded so that they survive DICOM DS (16 characters) exactly.
        func q(_ v: Double, _ s: Double) -> Double { let r = (v * s).rounded() / s; return r == 0 ? 0 : r }
        let t = Vector3(q(cos(th), 1e10), q(sin(th), 1e10), 0)
        let r0 = -Double(camera.columns - 1) / 2 * camera.pixelSizeMM
        let zTop = axialCentre + Double(rows - 1) / 2 * camera.pixelSizeMM
        let a = camera.axisPositionMM
        let ipp = Vector3(q(a.x + r0 * t.x, 1e4), q(a.y + r0 * t.y, 1e4), q(zTop, 1e4))
        return Detector(number: number, imagePosition: ipp, rowDirection: t, columnDirection: Vector3(0, 0, -1),
                        collimatorName: camera.collimator.code, collimatorType: "PARA", radialPositions: radius,
                        startAngle: angle, zoomFactor: [1, 1], centerOfRotationOffset: 0, tilt: 0,
                        fieldOfViewShape: "RECTANGLE",
                        fieldOfViewDimensions: [Double(camera.columns) * camera.pixelSizeMM, Double(camera.rows) * camera.pixelSizeMM].map { $0.rounded() },
                        view: view)
    }

    // MARK: SPECT

    /// A SPECT acquisition (TOMO): frames ordered energy window, detector, angular view.
    public static func spect(_ setupIn: SimulationSetup, protocol p: SPECTProtocol) -> SimulatedStudy {
        precondition(p.heads >= 1 && p.heads <= 2 && p.views % p.heads == 0, "views must divide among 1 or 2 heads")
        var setup = setupIn
        let vp = voxelize(&setup)
        let medium = setup.attenuation ? vp : nil
        let model = ForwardModel(camera: setup.camera, nuclide: setup.nuclide, medium: medium)
        let src = source(vp, setup)
        let radius = ((p.radiusMM ?? bodyRadius(vp, points: setup.pointSources)) * 100).rounded() / 100
        let n = p.viewsPerHead
        var poses: [DetectorPose] = []
        for h in 0..<p.heads {
            for v in 0..<n {
                let a = p.angle(head: h, view: v)
                var r = radius
                if let m = p.contourMarginMM {
                    let ux: Double = sin(a * Double.pi / 180), uy: Double = -cos(a * Double.pi / 180)
                    var pointReach = -Double.infinity
                    for ps in setup.pointSources { pointReach = max(pointReach, ps.position.x * ux + ps.position.y * uy) }
                    r = min(radius, max(planarRadius(vp, angleDeg: a, margin: m), pointReach + m))
                    r = (r * 100).rounded() / 100
                }
                poses.append(DetectorPose(angleDeg: a, radiusMM: r, axialCentreMM: p.axialCentreMM))
            }
        }
        let rates = model.rates(src, poses: poses)
        let cam = setup.camera
        let np = cam.rows * cam.columns
        var frames: [FrameIndex] = [], prim: [Float] = [], scat: [Float] = [], counts: [Float] = []
        var viewTruth: [ViewTruth] = []
        for w in 0..<cam.windows.count {
            for h in 0..<p.heads {
                for v in 0..<n {
                    let t0 = Double(v) * (p.secondsPerView + p.pauseSeconds)
                    let e = setup.exposureSeconds(start: t0, duration: p.secondsPerView)
                    let r = rates[h * n + v]
                    let fp = r.primary[w].map { $0 * Float(e) }, fs = r.scatter[w].map { $0 * Float(e) }
                    let k = frames.count
                    frames.append(FrameIndex(frame: k, energyWindow: w + 1, detector: h + 1, rotation: 1, angularView: v + 1,
                                             gantryAngle: poses[h * n + v].angleDeg, radialPosition: poses[h * n + v].radiusMM))
                    prim += fp; scat += fs
                    counts += poisson(zip(fp, fs).map { $0 + $1 }, seed: setup.seed, stream: UInt64(k), noise: setup.noise)
                    if w == 0 { viewTruth.append(ViewTruth(detector: h + 1, view: v + 1, angleDeg: poses[h * n + v].angleDeg, radiusMM: poses[h * n + v].radiusMM, startSeconds: t0, durationSeconds: p.secondsPerView)) }
                }
            }
        }
        _ = np
        let (windows, pharma) = windowsAndRadiopharmaceutical(setup, totalBq: src.totalBq)
        // z of projection row 0 (the most superior slice): a reader places the grid's bottom slice at
        // z − (rows − 1)·pixel because the column direction is −z.
        let zRow0 = ((p.axialCentreMM + Double(cam.rows - 1) / 2 * cam.pixelSizeMM) * 1e4).rounded() / 1e4
        // Written as the camera's manufacturer does (docs/vendor-geometry.md): the rule encodes where the rotation
        // axis (cam.axisPositionMM in the patient frame) and row 0 are, and each head's start angle.
        let rule = cam.geometryRule
        func q4(_ v: Double) -> Double { let r = (v * 1e4).rounded() / 1e4; return r == 0 ? 0 : r }
        func q10(_ v: Double) -> Double { let r = (v * 1e10).rounded() / 1e10; return r == 0 ? 0 : r }
        let dets = (0..<p.heads).map { h in
            let theta = p.angle(head: h, view: 0)
            var d = detector(h + 1, angle: theta, radius: (0..<n).map { poses[h * n + $0].radiusMM }, camera: cam,
                             axialCentre: p.axialCentreMM, rows: cam.rows)
            let enc = rule.encode(axis: cam.axisPositionMM, zRow0: zRow0, columns: cam.columns, pixelMM: cam.pixelSizeMM, thetaDeg: theta)
            d.imagePosition = Vector3(q4(enc.imagePosition.x), q4(enc.imagePosition.y), enc.imagePosition.z)
            d.rowDirection = Vector3(q10(enc.rowDirection.x), q10(enc.rowDirection.y), 0)
            if rule.rule != .gridCorner { d.startAngle = q4(enc.startAngle) }
            return d
        }
        let rot = Rotation(number: 1, startAngle: rule.rule == .gridCorner ? p.startAngleDeg : dets[0].startAngle, angularStep: p.stepDeg, direction: p.direction,
                           numberOfViews: n, scanArc: p.arcDeg / Double(p.heads), actualFrameDurationMs: p.secondsPerView * 1000,
                           radialPosition: [radius], tableHeight: cam.tableHeightMM)
        let acq = NMAcquisition(imageType: .tomo, energyWindows: windows, detectors: dets, rotations: [rot],
                                radiopharmaceuticals: pharma, acquisitionDate: DateText.da(setup.acquisitionStart),
                                acquisitionTime: DateText.tm(setup.acquisitionStart),
                                frames: frames, rows: cam.rows, columns: cam.columns,
                                pixelSpacing: [cam.pixelSizeMM, cam.pixelSizeMM], manufacturer: cam.manufacturer,
                                manufacturerModelName: cam.modelName, counts: counts)
        var truth = SimulationTruth.make(mode: "spect", setup: setup, model: model, voxelized: vp, source: src,
                                         acquisition: acq, primary: prim, scatter: scat, views: viewTruth)
        truth.spect = p
        return SimulatedStudy(acquisition: acq, expectedPrimary: prim, expectedScatter: scat, truth: truth, voxelized: vp, extras: [:])
    }

    // MARK: Planar static

    /// Planar static views acquired simultaneously (one detector per view), `seconds` each.
    public static func planar(_ setupIn: SimulationSetup, views: [PlanarView] = [.anterior, .posterior], seconds: Double = 300,
                              radiusMM: Double? = nil, axialCentreMM: Double = 0) -> SimulatedStudy {
        var setup = setupIn
        let vp = voxelize(&setup)
        let model = ForwardModel(camera: setup.camera, nuclide: setup.nuclide, medium: setup.attenuation ? vp : nil)
        let src = source(vp, setup)
        let radii = views.map { ((radiusMM ?? planarRadius(vp, angleDeg: $0.angleDeg)) * 100).rounded() / 100 }
        let poses = zip(views, radii).map { DetectorPose(angleDeg: $0.angleDeg, radiusMM: $1, axialCentreMM: axialCentreMM) }
        let rates = model.rates(src, poses: poses)
        let e = setup.exposureSeconds(start: 0, duration: seconds)
        var frames: [FrameIndex] = [], prim: [Float] = [], scat: [Float] = [], counts: [Float] = []
        for w in 0..<setup.camera.windows.count {
            for (d, pose) in poses.enumerated() {
                let fp = rates[d].primary[w].map { $0 * Float(e) }, fs = rates[d].scatter[w].map { $0 * Float(e) }
                let k = frames.count
                frames.append(FrameIndex(frame: k, energyWindow: w + 1, detector: d + 1, gantryAngle: Rotation.normalize(pose.angleDeg)))
                prim += fp; scat += fs
                counts += poisson(zip(fp, fs).map { $0 + $1 }, seed: setup.seed, stream: UInt64(k), noise: setup.noise)
            }
        }
        let (windows, pharma) = windowsAndRadiopharmaceutical(setup, totalBq: src.totalBq)
        let dets = views.enumerated().map { d, v in
            detector(d + 1, angle: v.angleDeg, radius: [radii[d]], camera: setup.camera, axialCentre: axialCentreMM, rows: setup.camera.rows, view: v.name)
        }
        let acq = NMAcquisition(imageType: .staticImage, energyWindows: windows, detectors: dets, radiopharmaceuticals: pharma,
                                acquisitionDate: DateText.da(setup.acquisitionStart), acquisitionTime: DateText.tm(setup.acquisitionStart),
                                actualFrameDurationMs: seconds * 1000, frames: frames, rows: setup.camera.rows,
                                columns: setup.camera.columns, pixelSpacing: [setup.camera.pixelSizeMM, setup.camera.pixelSizeMM],
                                manufacturer: setup.camera.manufacturer, counts: counts)
        let vt = views.enumerated().map { d, v in ViewTruth(detector: d + 1, view: nil, angleDeg: v.angleDeg, radiusMM: radii[d], startSeconds: 0, durationSeconds: seconds, name: v.name) }
        let truth = SimulationTruth.make(mode: "planar", setup: setup, model: model, voxelized: vp, source: src,
                                         acquisition: acq, primary: prim, scatter: scat, views: vt)
        return SimulatedStudy(acquisition: acq, expectedPrimary: prim, expectedScatter: scat, truth: truth, voxelized: vp, extras: [:])
    }

    // MARK: Whole body

    /// A continuous whole-body sweep, head first, anterior and posterior heads together. The image has
    /// `ceil(scanLength / pixel)` rows; every row is seen for `detectorAxialMM / speed` seconds, centred on the
    /// time the detector centre passes it (decay per row).
    public static func wholeBody(_ setupIn: SimulationSetup, speedMMPerS: Double = 2.5, scanLengthMM: Double? = nil,
                                 topZMM: Double? = nil, detectorAxialMM: Double = 400, radiusMM: Double? = nil) -> SimulatedStudy {
        var setup = setupIn
        let vp = voxelize(&setup)
        let model = ForwardModel(camera: setup.camera, nuclide: setup.nuclide, medium: setup.attenuation ? vp : nil)
        let src = source(vp, setup)
        let cam = setup.camera
        let bb = setup.phantom.compartments.isEmpty ? Box3(min: Vector3(0, 0, -100), max: Vector3(0, 0, 100)) : setup.phantom.boundingBox
        let top = topZMM ?? (bb.max.z + 20)
        let length = scanLengthMM ?? (top - (bb.min.z - 20))
        let rows = Int((length / cam.pixelSizeMM).rounded(.up))
        let centre = top - Double(rows) * cam.pixelSizeMM / 2
        let views = [PlanarView.anterior, PlanarView.posterior]
        let radii = views.map { ((radiusMM ?? planarRadius(vp, angleDeg: $0.angleDeg)) * 100).rounded() / 100 }
        let poses = zip(views, radii).map { DetectorPose(angleDeg: $0.angleDeg, radiusMM: $1, axialCentreMM: centre) }
        let rates = model.rates(src, poses: poses, rows: rows)
        let dwell = detectorAxialMM / speedMMPerS
        let rowExposure = (0..<rows).map { r in
            setup.exposureSeconds(start: Double(r) * cam.pixelSizeMM / speedMMPerS, duration: dwell)
        }
        let total = Double(rows) * cam.pixelSizeMM / speedMMPerS + dwell
        var frames: [FrameIndex] = [], prim: [Float] = [], scat: [Float] = [], counts: [Float] = []
        for w in 0..<cam.windows.count {
            for d in 0..<2 {
                var fp = rates[d].primary[w], fs = rates[d].scatter[w]
                for r in 0..<rows { for c in 0..<cam.columns { fp[r * cam.columns + c] *= Float(rowExposure[r]); fs[r * cam.columns + c] *= Float(rowExposure[r]) } }
                let k = frames.count
                frames.append(FrameIndex(frame: k, energyWindow: w + 1, detector: d + 1, gantryAngle: poses[d].angleDeg))
                prim += fp; scat += fs
                counts += poisson(zip(fp, fs).map { $0 + $1 }, seed: setup.seed, stream: UInt64(k), noise: setup.noise)
            }
        }
        let (windows, pharma) = windowsAndRadiopharmaceutical(setup, totalBq: src.totalBq)
        let dets = views.enumerated().map { d, v in
            detector(d + 1, angle: v.angleDeg, radius: [radii[d]], camera: cam, axialCentre: centre, rows: rows, view: v.name)
        }
        let acq = NMAcquisition(imageType: .wholeBody, energyWindows: windows, detectors: dets, radiopharmaceuticals: pharma,
                                acquisitionDate: DateText.da(setup.acquisitionStart), acquisitionTime: DateText.tm(setup.acquisitionStart),
                                actualFrameDurationMs: (total * 1000).rounded(), frames: frames, rows: rows, columns: cam.columns,
                                pixelSpacing: [cam.pixelSizeMM, cam.pixelSizeMM], manufacturer: cam.manufacturer,
                                manufacturerModelName: cam.modelName, counts: counts)
        let vt = views.enumerated().map { d, v in ViewTruth(detector: d + 1, view: nil, angleDeg: v.angleDeg, radiusMM: radii[d], startSeconds: 0, durationSeconds: total, name: v.name) }
        var truth = SimulationTruth.make(mode: "whole-body", setup: setup, model: model, voxelized: vp, source: src,
                                         acquisition: acq, primary: prim, scatter: scat, views: vt)
        truth.wholeBody = WholeBodyTruth(speedMMPerS: speedMMPerS, scanLengthMM: Double(rows) * cam.pixelSizeMM, topZMM: top,
                                         detectorAxialMM: detectorAxialMM, rowDwellSeconds: dwell, totalSeconds: total,
                                         rowZMM: [top - cam.pixelSizeMM / 2, top - Double(rows) * cam.pixelSizeMM + cam.pixelSizeMM / 2])
        return SimulatedStudy(acquisition: acq, expectedPrimary: prim, expectedScatter: scat, truth: truth, voxelized: vp,
                              extras: ["scanVelocityMMPerS": speedMMPerS, "scanLengthMM": Double(rows) * cam.pixelSizeMM])
    }
}

/// Text forms of dates (DICOM DA/TM/DT strings, UTC) without depending on DICOM.
public enum DateText {
    static func parts(_ d: Date) -> DateComponents {
        var cal = Calendar(identifier: .gregorian)
        cal.timeZone = TimeZone(identifier: "UTC")!
        return cal.dateComponents([.year, .month, .day, .hour, .minute, .second, .nanosecond], from: d)
    }
    /// `YYYYMMDD`.
    public static func da(_ d: Date) -> String { let c = parts(d); return String(format: "%04d%02d%02d", c.year!, c.month!, c.day!) }
    /// `HHMMSS.FFFFFF`.
    public static func tm(_ d: Date) -> String {
        let c = parts(d)
        return String(format: "%02d%02d%02d.%06d", c.hour!, c.minute!, c.second!, (c.nanosecond! + 500) / 1000 % 1_000_000)
    }
    /// `YYYYMMDDHHMMSS.FFFFFF+0000`.
    public static func dt(_ d: Date) -> String { da(d) + tm(d) + "+0000" }
}

/// Radionuclide names in DICOM's code-meaning form.
public enum NuclideNames {
    /// `Tc-99m` → `^99m^Technetium`.
    public static func codeMeaning(_ name: String) -> String {
        let elements = ["Tc": "Technetium", "I": "Iodine", "In": "Indium", "Lu": "Lutetium", "Ga": "Gallium", "F": "Fluorine",
                        "Y": "Yttrium", "Ra": "Radium", "Sm": "Samarium", "Tl": "Thallium", "Xe": "Xenon", "Co": "Cobalt", "Cr": "Chromium"]
        let parts = name.split(separator: "-")
        guard parts.count == 2, let el = elements[String(parts[0])] else { return name }
        return "^\(parts[1])^\(el)"
    }
}
