import Foundation
import Imaging
import Physics

/// A piecewise-linear curve of relative concentration against time (s after acquisition start); it multiplies
/// the compartment's concentration (physical decay is applied separately). Constant beyond its ends.
public struct TimeActivityCurve: Sendable, Codable, Equatable {
    /// Times (s), ascending.
    public var times: [Double]
    /// Relative concentrations at those times.
    public var values: [Double]
    /// Creates a curve.
    public init(times: [Double], values: [Double]) { self.times = times; self.values = values }
    /// A curve sampled from a function every `step` seconds up to `end`.
    public init(end: Double, step: Double = 5, _ f: (Double) -> Double) {
        times = stride(from: 0, through: end, by: step).map { $0 }
        values = times.map(f)
    }
    /// Value at `t`.
    public func value(at t: Double) -> Double {
        guard let first = times.first else { return 1 }
        if t <= first { return values[0] }
        if t >= times.last! { return values.last! }
        var lo = 0, hi = times.count - 1
        while hi - lo > 1 { let m = (lo + hi) / 2; if times[m] <= t { lo = m } else { hi = m } }
        let f = (t - times[lo]) / (times[hi] - times[lo])
        return values[lo] + f * (values[hi] - values[lo])
    }
}

/// One phase of a dynamic acquisition.
public struct DynamicPhase: Sendable, Codable, Equatable {
    /// Frames (time slices) in the phase.
    public var frames: Int
    /// Duration of each frame (s).
    public var secondsPerFrame: Double
    /// Phase Description.
    public var description: String?
    /// Creates a phase.
    public init(frames: Int, secondsPerFrame: Double, description: String? = nil) {
        self.frames = frames; self.secondsPerFrame = secondsPerFrame; self.description = description
    }
}

/// An ECG-gated planar blood-pool acquisition.
public struct GatedProtocol: Sendable, Codable, Equatable {
    /// Time slots per R-R interval.
    public var timeSlots: Int
    /// R-R interval (ms).
    public var rrMs: Double
    /// Total acquisition time (s).
    public var seconds: Double
    /// The view (default LAO 45°).
    public var view: PlanarView
    /// End-diastolic LV volume (mL).
    public var edvML: Double
    /// End-systolic LV volume (mL).
    public var esvML: Double
    /// End systole as a fraction of the R-R interval.
    public var endSystoleFraction: Double
    /// Detector distance (mm); nil: body + 10 mm.
    public var radiusMM: Double?
    /// RV ejection fraction (%) set apart from the LV's (virtual patients); nil: the RV follows the LV.
    public var rvefPercent: Double?
    /// Creates a protocol.
    public init(timeSlots: Int = 16, rrMs: Double = 857, seconds: Double = 600, view: PlanarView = .lao45,
                edvML: Double = 120, esvML: Double = 50, endSystoleFraction: Double = 0.35, radiusMM: Double? = nil, rvefPercent: Double? = nil) {
        self.timeSlots = timeSlots; self.rrMs = rrMs; self.seconds = seconds; self.view = view; self.edvML = edvML
        self.esvML = esvML; self.endSystoleFraction = endSystoleFraction; self.radiusMM = radiusMM; self.rvefPercent = rvefPercent
    }

    /// LV volume (mL) at fraction `phi` of the R-R interval: isovolumic contraction to 0.06, cosine ejection to ESV at end systole, rapid filling
    /// to 75 % of the stroke by 0.6, diastasis to 80 % by 0.85, atrial kick to EDV at 1.
    public func volume(atPhase phi: Double) -> Double {
        let sv = edvML - esvML, s = endSystoleFraction
        let p = phi - floor(phi)
        let f: Double
        let iso = 0.06  // isovolumic contraction after the R wave
        if p < iso { f = 1 }
        else if p < s { f = 0.5 * (1 + cos(.pi * (p - iso) / (s - iso))) }
        else if p < 0.6 { f = 0.75 * 0.5 * (1 - cos(.pi * (p - s) / (0.6 - s))) }
        else if p < 0.85 { f = 0.75 + 0.05 * (p - 0.6) / 0.25 }
        else { f = 0.8 + 0.2 * 0.5 * (1 - cos(.pi * (p - 0.85) / 0.15)) }
        return esvML + sv * f
    }

    /// Mean LV volume over each time slot.
    public var slotVolumes: [Double] {
        (0..<timeSlots).map { k in
            let n = 64
            return (0..<n).reduce(0.0) { $0 + volume(atPhase: (Double(k) + (Double($1) + 0.5) / Double(n)) / Double(timeSlots)) } / Double(n)
        }
    }
}

/// Ready-made activity distributions for the clinical study types.
public enum Presets {
    /// Tc-99m red blood cells (blood pool), Bq/mL: blood 150 kBq/mL (≈ 750 MBq in 5 L).
    public static func bloodPool(bloodBqPerML c: Double = 150_000) -> [Organ: Double] {
        [.lvBloodPool: c, .rvBloodPool: c, .atria: c, .lvMyocardium: 0.1 * c, .lungs: 0.12 * c, .body: 0.06 * c,
         .liver: 0.25 * c, .spleen: 0.5 * c, .kidneys: 0.25 * c, .bladder: 0.05 * c, .skeleton: 0.03 * c]
    }

    /// A renogram (Tc-99m MAG3-like): torso with blood/background clearing, kidneys peaking at 3 min and
    /// draining, bladder filling, liver small. Returns the phantom (concentrations at curve value 1) and curves
    /// keyed by compartment name.
    public static func renogram() -> (Phantom, [String: TimeActivityCurve]) {
        let acts: [Organ: Double] = [.body: 3_000, .kidneys: 60_000, .bladder: 40_000, .liver: 4_000, .spleen: 3_000,
                                     .lvBloodPool: 6_000, .rvBloodPool: 6_000, .atria: 6_000, .lvMyocardium: 3_000, .lungs: 1_500]
        let p = Phantom.torso(activities: acts)
        let blood = TimeActivityCurve(end: 1800) { 0.25 + 0.75 * exp(-$0 / 150) }
        let kidney = TimeActivityCurve(end: 1800) { t in t <= 0 ? 0 : (t / 180) * exp(1 - t / 180) }
        let bladder = TimeActivityCurve(end: 1800) { t in 1 - exp(-max(0, t - 60) / 900) }
        var curves: [String: TimeActivityCurve] = ["kidneys": kidney, "bladder": bladder]
        for c in ["body", "lvBloodPool", "rvBloodPool", "atria", "lungs", "lvMyocardium", "spleen"] { curves[c] = blood }
        curves["liver"] = TimeActivityCurve(end: 1800) { 0.3 + 0.7 * exp(-$0 / 300) }
        return (p, curves)
    }
}

extension Simulator {
    // MARK: Dynamic

    /// A dynamic planar acquisition: compartments named in `curves` follow them (× their concentration × decay),
    /// the others stay constant (× decay). Frames ordered energy window, detector, phase, time slice.
    public static func dynamic(_ setupIn: SimulationSetup, phases: [DynamicPhase], curves: [String: TimeActivityCurve],
                               views: [PlanarView] = [.posterior], radiusMM: Double? = nil, axialCentreMM: Double = 0) -> SimulatedStudy {
        var setup = setupIn
        let vp = voxelize(&setup)
        let model = ForwardModel(camera: setup.camera, nuclide: setup.nuclide, medium: setup.attenuation ? vp : nil)
        let cam = setup.camera
        let comps = setup.phantom.compartments
        let radii = views.map { ((radiusMM ?? planarRadius(vp, angleDeg: $0.angleDeg)) * 100).rounded() / 100 }
        let poses = zip(views, radii).map { DetectorPose(angleDeg: $0.angleDeg, radiusMM: $1, axialCentreMM: axialCentreMM) }
        // Sources: one per compartment (so truth per compartment is available), points with the static part.
        var rates: [[ViewRates]] = []
        var sourceBq: [Double] = []
        for c in comps.indices {
            var conc = [Double](repeating: 0, count: comps.count)
            conc[c] = comps[c].concentrationBqPerML
            let s = EmissionSource(concentration: vp!.activity(concentrations: conc))
            sourceBq.append(s.totalBq)
            rates.append(conc[c] == 0 ? [] : model.rates(s, poses: poses))
        }
        let pointRates = setup.pointSources.isEmpty ? [] : model.rates(EmissionSource(points: setup.pointSources), poses: poses)
        // Frame times.
        var starts: [Double] = [], durs: [Double] = [], phaseOf: [Int] = [], sliceOf: [Int] = []
        var t = 0.0
        for (pi, ph) in phases.enumerated() {
            for f in 0..<ph.frames { starts.append(t); durs.append(ph.secondsPerFrame); phaseOf.append(pi + 1); sliceOf.append(f + 1); t += ph.secondsPerFrame }
        }
        // Decay- and curve-weighted exposure of compartment c in frame f.
        func weight(_ c: Int, _ f: Int) -> Double {
            guard let curve = curves[comps[c].name] else { return setup.exposureSeconds(start: starts[f], duration: durs[f]) }
            let n = 16, h = durs[f] / Double(n)
            var s = 0.0
            for i in 0..<n {
                let ti = starts[f] + (Double(i) + 0.5) * h
                s += curve.value(at: ti) * exp(-setup.nuclide.decayConstant * ti) * h
            }
            return s
        }
        let np = cam.rows * cam.columns
        var frames: [FrameIndex] = [], prim: [Float] = [], scat: [Float] = [], counts: [Float] = []
        var perCompCounts: [String: [Double]] = [:]
        for w in 0..<cam.windows.count {
            for d in 0..<poses.count {
                for f in 0..<starts.count {
                    var fp = [Float](repeating: 0, count: np), fs = [Float](repeating: 0, count: np)
                    for c in comps.indices where !rates[c].isEmpty {
                        let wt = Float(weight(c, f))
                        var sum = 0.0
                        for i in 0..<np {
                            let a = rates[c][d].primary[w][i] * wt, b = rates[c][d].scatter[w][i] * wt
                            fp[i] += a; fs[i] += b; sum += Double(a + b)
                        }
                        if w == 0 {
                            var arr = perCompCounts[comps[c].name] ?? Array(repeating: 0, count: starts.count)
                            arr[f] += sum
                            perCompCounts[comps[c].name] = arr
                        }
                    }
                    if !pointRates.isEmpty {
                        let e = Float(setup.exposureSeconds(start: starts[f], duration: durs[f]))
                        for i in 0..<np { fp[i] += pointRates[d].primary[w][i] * e; fs[i] += pointRates[d].scatter[w][i] * e }
                    }
                    let k = frames.count
                    frames.append(FrameIndex(frame: k, energyWindow: w + 1, detector: d + 1, phase: phaseOf[f], timeSlice: sliceOf[f],
                                             gantryAngle: Rotation.normalize(poses[d].angleDeg)))
                    prim += fp; scat += fs
                    counts += poisson(zip(fp, fs).map { $0 + $1 }, seed: setup.seed, stream: UInt64(k), noise: setup.noise)
                }
            }
        }
        let src = source(vp, setup)
        let (windows, pharma) = windowsAndRadiopharmaceutical(setup, totalBq: src.totalBq)
        let dets = views.enumerated().map { d, v in
            detector(d + 1, angle: v.angleDeg, radius: [radii[d]], camera: cam, axialCentre: axialCentreMM, rows: cam.rows, view: v.name)
        }
        let phs = phases.enumerated().map { k, p in
            Phase(number: k + 1, delayMs: 0, frameDurationMs: p.secondsPerFrame * 1000, pauseBetweenFramesMs: 0,
                  numberOfFrames: p.frames, description: p.description)
        }
        let acq = NMAcquisition(imageType: .dynamic, energyWindows: windows, detectors: dets, phases: phs, radiopharmaceuticals: pharma,
                                acquisitionDate: DateText.da(setup.acquisitionStart), acquisitionTime: DateText.tm(setup.acquisitionStart),
                                frames: frames, rows: cam.rows, columns: cam.columns,
                                pixelSpacing: [cam.pixelSizeMM, cam.pixelSizeMM], manufacturer: cam.manufacturer, counts: counts)
        let vt = views.enumerated().map { d, v in ViewTruth(detector: d + 1, view: nil, angleDeg: v.angleDeg, radiusMM: radii[d], startSeconds: 0, durationSeconds: t, name: v.name) }
        var truth = SimulationTruth.make(mode: "dynamic", setup: setup, model: model, voxelized: vp, source: src,
                                         acquisition: acq, primary: prim, scatter: scat, views: vt)
        var act: [String: [Double]] = [:]
        for c in comps.indices {
            act[comps[c].name] = starts.indices.map { f in sourceBq[c] * weight(c, f) / durs[f] }
        }
        truth.dynamic = DynamicTruth(frameStartSeconds: starts, frameDurationSeconds: durs, activityBq: act, expectedCounts: perCompCounts)
        return SimulatedStudy(acquisition: acq, expectedPrimary: prim, expectedScatter: scat, truth: truth, voxelized: vp, extras: [:])
    }

    // MARK: Gated

    /// An ECG-gated planar blood-pool acquisition of the torso with the beating heart: one R-R interval window,
    /// `timeSlots` frames. The setup's phantom is replaced by the torso at each slot's mean LV volume.
    public static func gated(_ setup: SimulationSetup, activities activitiesIn: [Organ: Double] = Presets.bloodPool(),
                             tumours: [Tumour] = [], protocol g: GatedProtocol = GatedProtocol()) -> SimulatedStudy {
        var edSetup = setup
        var activities = activitiesIn
        edSetup.phantom = Phantom.torso(activities: activities, tumours: tumours, heart: HeartState(volumeML: g.edvML, edvML: g.edvML, esvML: g.esvML))
        let (size, geom) = Voxelizer.coveringGrid(edSetup.phantom, voxelMM: setup.voxelMM, marginMM: setup.voxelMM * 2)
        var edVP = Voxelizer.voxelize(edSetup.phantom, size: size, geometry: geom, subsamples: setup.subsamples)
        if let target = setup.totalActivityBq {
            let now = edSetup.phantom.compartments.indices.reduce(0.0) { $0 + edVP.volumeML($1) * edSetup.phantom.compartments[$1].concentrationBqPerML }
            if now > 0 {
                let f = target / now
                for k in activities.keys { activities[k]! *= f }
                edSetup.phantom = edSetup.phantom.scaled(by: f); edVP.phantom = edSetup.phantom
            }
        }
        let frozen = activities
        return gatedStudy(setup, edSetup: edSetup, edVP: edVP, heartZ: HeartState.endDiastole().center.z, protocol: g) { v in
            let ph = Phantom.torso(activities: frozen, tumours: tumours, heart: HeartState(volumeML: v, edvML: g.edvML, esvML: g.esvML))
            let vp = Voxelizer.voxelize(ph, size: size, geometry: geom, subsamples: setup.subsamples)
            let lvIndex = ph.index(of: "lvBloodPool")!
            var conc = [Double](repeating: 0, count: ph.compartments.count)
            conc[lvIndex] = ph.compartments[lvIndex].concentrationBqPerML
            return (vp, conc)
        }
    }

    /// The gated acquisition of a heart whose LV volume goes through `g.slotVolumes`: `slot(volume)` gives the
    /// voxelised phantom at that volume and the concentrations of the LV blood pool alone (for the count truth).
    static func gatedStudy(_ setup: SimulationSetup, edSetup: SimulationSetup, edVP: VoxelizedPhantom, heartZ: Double,
                           protocol g: GatedProtocol, slot: (Double) -> (VoxelizedPhantom, [Double])) -> SimulatedStudy {
        let vols = g.slotVolumes
        let cam = setup.camera
        let model = ForwardModel(camera: cam, nuclide: setup.nuclide, medium: setup.attenuation ? edVP : nil)
        let radius = ((g.radiusMM ?? planarRadius(edVP, angleDeg: g.view.angleDeg)) * 100).rounded() / 100
        // The camera is centred axially on the heart, as a technologist would position it.
        let pose = DetectorPose(angleDeg: g.view.angleDeg, radiusMM: radius, axialCentreMM: heartZ)
        let exposure = setup.exposureSeconds(start: 0, duration: g.seconds) / Double(g.timeSlots)
        let np = cam.rows * cam.columns
        var slotRates: [ViewRates] = [], lvCounts: [Double] = []
        for v in vols {
            let (vp, conc) = slot(v)
            // The attenuation map follows the heart too (it is all soft tissue inside the heart region anyway).
            let m = ForwardModel(camera: cam, nuclide: setup.nuclide, medium: setup.attenuation ? vp : nil)
            slotRates.append(m.viewRates(EmissionSource(concentration: vp.activity(), points: setup.pointSources), pose: pose, rows: cam.rows))
            let lv = m.viewRates(EmissionSource(concentration: vp.activity(concentrations: conc)), pose: pose, rows: cam.rows)
            lvCounts.append(lv.total(0).reduce(0) { $0 + Double($1) } * exposure)
        }
        var frames: [FrameIndex] = [], prim: [Float] = [], scat: [Float] = [], counts: [Float] = []
        for w in 0..<cam.windows.count {
            for s in 0..<g.timeSlots {
                let fp = slotRates[s].primary[w].map { $0 * Float(exposure) }, fs = slotRates[s].scatter[w].map { $0 * Float(exposure) }
                let k = frames.count
                frames.append(FrameIndex(frame: k, energyWindow: w + 1, detector: 1, rrInterval: 1, timeSlot: s + 1, gantryAngle: Rotation.normalize(g.view.angleDeg)))
                prim += fp; scat += fs
                counts += poisson(zip(fp, fs).map { $0 + $1 }, seed: setup.seed, stream: UInt64(k), noise: setup.noise)
            }
        }
        _ = np
        let src = EmissionSource(concentration: edVP.activity(), points: setup.pointSources)
        let (windows, pharma) = windowsAndRadiopharmaceutical(edSetup, totalBq: src.totalBq)
        let det = detector(1, angle: g.view.angleDeg, radius: [radius], camera: cam, axialCentre: heartZ, rows: cam.rows, view: g.view.name)
        let slotMs = g.rrMs / Double(g.timeSlots)
        let beats = Int((g.seconds * 1000 / g.rrMs).rounded(.down))
        let rr = RRInterval(number: 1, triggerTimeMs: 0, framingType: "FORW", frameTimeMs: slotMs, nominalIntervalMs: g.rrMs,
                            lowRRMs: (g.rrMs * 0.9).rounded(), highRRMs: (g.rrMs * 1.1).rounded(), intervalsAcquired: beats,
                            intervalsRejected: 0, timeSlots: (0..<g.timeSlots).map { TimeSlot(number: $0 + 1, timeMs: Double($0) * slotMs) })
        let acq = NMAcquisition(imageType: .gated, energyWindows: windows, detectors: [det], rrIntervals: [rr], numberOfTimeSlots: g.timeSlots,
                                radiopharmaceuticals: pharma, acquisitionDate: DateText.da(setup.acquisitionStart),
                                acquisitionTime: DateText.tm(setup.acquisitionStart),
                                frames: frames, rows: cam.rows, columns: cam.columns,
                                pixelSpacing: [cam.pixelSizeMM, cam.pixelSizeMM], manufacturer: cam.manufacturer, counts: counts)
        let vt = [ViewTruth(detector: 1, view: nil, angleDeg: g.view.angleDeg, radiusMM: radius, startSeconds: 0, durationSeconds: g.seconds, name: g.view.name)]
        var truth = SimulationTruth.make(mode: "gated", setup: edSetup, model: model, voxelized: edVP, source: src,
                                         acquisition: acq, primary: prim, scatter: scat, views: vt)
        let ed = vols.indices.max { vols[$0] < vols[$1] }!, es = vols.indices.min { vols[$0] < vols[$1] }!
        let edC = lvCounts.max()!, esC = lvCounts.min()!
        truth.gated = GatedTruth(timeSlots: g.timeSlots, rrIntervalMs: g.rrMs, beats: beats, edvML: g.edvML, esvML: g.esvML,
                                 lvefPercent: 100 * (g.edvML - g.esvML) / g.edvML, slotVolumesML: vols,
                                 framedLVEFPercent: 100 * (vols[ed] - vols[es]) / vols[ed], lvCountsExpected: lvCounts,
                                 countLVEFPercent: 100 * (edC - esC) / edC, edSlot: ed, esSlot: es)
        return SimulatedStudy(acquisition: acq, expectedPrimary: prim, expectedScatter: scat, truth: truth, voxelized: edVP, extras: [:])
    }
}

/// The CT that goes with a phantom: CT numbers from the materials (partial volumes included).
public enum CTSimulator {
    /// Effective photon energy of a CT beam (keV), a rule of thumb: 0.55 × kVp, at least 50 keV (the attenuation
    /// tables' lower end).
    public static func effectiveEnergyKeV(kVp: Double) -> Double { max(50, 0.55 * kVp) }

    /// CT number of a material: 1000 · (μ/μ_water − 1) at the effective energy.
    public static func hu(_ m: Material, kVp: Double = 120) -> Double {
        if m == .air { return -1000 }
        let e = effectiveEnergyKeV(kVp: kVp)
        return 1000 * (m.mu(energyKeV: e) / Material.water.mu(energyKeV: e) - 1)
    }

    /// A CT grid of `columns`² × slices covering the phantom: `pixelMM` in-plane, `sliceMM` apart, centred on the
    /// rotation axis transaxially.
    public static func grid(for phantom: Phantom, columns: Int = 128, pixelMM: Double = 3.5, sliceMM: Double = 5) -> (GridSize, ImageGeometry) {
        let b = phantom.boundingBox
        let nz = Int(((b.max.z - b.min.z + 2 * sliceMM) / sliceMM).rounded(.up))
        let size = GridSize(x: columns, y: columns, z: nz)
        return (size, Voxelizer.centredGrid(size: size, spacing: Vector3(pixelMM, pixelMM, sliceMM), center: Vector3(0, 0, (b.min.z + b.max.z) / 2)))
    }

    /// The HU volume (air −1000 outside the phantom), optionally with Gaussian noise of `noiseHU`.
    public static func simulate(_ phantom: Phantom, size: GridSize, geometry: ImageGeometry, kVp: Double = 120,
                                subsamples: Int = 2, noiseHU: Double = 0, seed: UInt64 = 1) -> Volume {
        let vp = Voxelizer.voxelize(phantom, size: size, geometry: geometry, subsamples: subsamples)
        var v = [Float](repeating: -1000, count: size.count)
        var table: [Material: Float] = [:]
        for m in Material.allCases { table[m] = Float(hu(m, kVp: kVp)) }
        for (c, cv) in vp.compartmentVoxels.enumerated() {
            let h = table[phantom.compartments[c].material]! + 1000
            for (i, f) in zip(cv.indices, cv.fractions) { v[Int(i)] += h * f }
        }
        return huVolume(v, size: size, geometry: geometry, noiseHU: noiseHU, seed: seed)
    }

    /// CT numbers + Gaussian noise (σ `noiseHU`, seeded), rounded and clipped at −1024, as an HU volume.
    static func huVolume(_ hu: [Float], size: GridSize, geometry: ImageGeometry, noiseHU: Double, seed: UInt64) -> Volume {
        var v = hu
        if noiseHU > 0 {
            var g = SeededGenerator(seed: seed, stream: 0xC7)
            for i in v.indices { v[i] += Float(noiseHU * g.normal()) }
        }
        for i in v.indices { v[i] = max(-1024, v[i].rounded()) }
        return try! Volume(size: size, voxels: v, geometry: geometry, units: "HU")
    }

    /// Truth record of a simulated CT.
    public static func truth(_ v: Volume, kVp: Double) -> CTTruth {
        var t: [String: Double] = [:]
        for m in Material.allCases { t[m.rawValue] = hu(m, kVp: kVp) }
        return CTTruth(size: [v.size.x, v.size.y, v.size.z], spacingMM: v.geometry.spacing.array, originMM: v.geometry.origin.array,
                       kVp: kVp, effectiveEnergyKeV: effectiveEnergyKeV(kVp: kVp), huPerMaterial: t)
    }
}
