import Foundation
import Imaging
import Physics

/// Simulated clinical planar studies for the planar analyses (gated blood pool, thyroid uptake, parathyroid, sentinel
/// node, bone scan with follow-up, In-111 octreotide, I-123 MIBG), each with its truth taken from the set-up
/// (concentrations, positions, times), never from an analysis.
public enum ClinicalStudies {
    // MARK: Gated blood pool

    /// A gated blood-pool study (Tc-99m RBC, LAO 45°) of a heart with ejection fraction `efPercent`: EDV
    /// `edvML`, ESV = EDV · (1 − EF). Truth in `truth.gated` (volume EF, framed EF, count EF).
    public static func gatedBloodPool(efPercent: Double, edvML: Double = 130, timeSlots: Int = 16, seconds: Double = 600,
                                      camera: Camera, voxelMM: Double = 5, subsamples: Int = 2, seed: UInt64 = 1,
                                      bloodBqPerML: Double = 150_000) -> SimulatedStudy {
        let tc = Radionuclide.named("Tc-99m")!
        let setup = SimulationSetup(phantom: Phantom(name: "none", compartments: []), nuclide: tc, camera: camera, voxelMM: voxelMM,
                                    subsamples: subsamples, seed: seed, injectionLeadSeconds: 1200,
                                    radiopharmaceutical: "Tc-99m labelled red blood cells")
        let g = GatedProtocol(timeSlots: timeSlots, rrMs: 857, seconds: seconds, view: .lao45, edvML: edvML,
                              esvML: edvML * (1 - efPercent / 100))
        return Simulator.gated(setup, activities: Presets.bloodPool(bloodBqPerML: bloodBqPerML), protocol: g)
    }

    // MARK: Neck phantoms

    /// Thyroid lobes and isthmus (as in the whole-body torso), moved by `offset`.
    static func thyroidShape(_ o: Vector3) -> Shape {
        .union([.ellipsoid(center: Vector3(-18, -30, 255) + o, semiAxes: Vector3(9, 9, 22)),
                .ellipsoid(center: Vector3(18, -30, 255) + o, semiAxes: Vector3(9, 9, 22)),
                .box(Box3(min: Vector3(-12, -36, 240) + o, max: Vector3(12, -30, 250) + o))])
    }

    /// Neck: elliptic cylinder 55 × 50 mm semi-axes, z 180…330 mm (soft tissue), moved by `offset`.
    static func neckShape(_ o: Vector3) -> Shape {
        .cylinder(centerX: o.x, centerY: o.y, radiusX: 55, radiusY: 50, zMin: 180 + o.z, zMax: 330 + o.z)
    }

    /// Where the thyroid-uptake capsule sat in the neck phantom until 2026-12-07: on the midline at the y of the lobes'
    /// centres, i.e. 20.0 mm below the anterior skin, where the gland lies on average 17.0 mm deep (the lobes are off
    /// the midline, where the elliptic neck is thinner): the gland was attenuated ~3 % less than the standard, the
    /// +1.75 % uptake bias of the trial (issue 18). Kept for comparison (`--capsule-depth 20`).
    public static let capsuleCentre = Vector3(0, -30, 255)

    /// Depth (mm) below the anterior skin of the neck (along the anterior view's rays, −y) of the gland's volume,
    /// averaged over the thyroid shape (0.5 mm sampling): 17.0 mm. The thyroid-uptake standard sits at this depth,
    /// as a neck phantom's capsule is meant to reproduce the gland's attenuation.
    public static let glandMeanDepthMM: Double = {
        let shape = thyroidShape(.zero)
        var sum = 0.0, n = 0
        for x in stride(from: -30.0, through: 30, by: 0.5) {
            let skin = -50 * (1 - x * x / (55 * 55)).squareRoot()   // neckShape's anterior surface at this x
            for y in stride(from: -45.0, through: -15, by: 0.5) {
                for z in stride(from: 230.0, through: 280, by: 0.5) where shape.contains(Vector3(x, y, z)) { sum += y - skin; n += 1 }
            }
        }
        return sum / Double(n)
    }()

    /// The volume (mL) of compartment `name` as the simulator will voxelise `phantom` with `setup`'s sampling.
    static func voxelVolume(_ phantom: Phantom, _ name: String, voxelMM: Double, subsamples: Int) -> Double {
        let (size, geom) = Voxelizer.coveringGrid(phantom, voxelMM: voxelMM, marginMM: voxelMM * 2)
        let vp = Voxelizer.voxelize(phantom, size: size, geometry: geom, subsamples: subsamples)
        return vp.volumeML(phantom.index(of: name)!)
    }

    /// Adds a uniform room background (Poisson, `cpsPerPixel` × frame duration) to the photopeak frames
    /// (energy window 1) of a planar study.
    static func addRoomBackground(_ s: inout SimulatedStudy, cpsPerPixel: Double, seconds: Double, seed: UInt64, noise: Bool = true) {
        guard cpsPerPixel > 0, var counts = s.acquisition.counts else { return }
        let np = s.acquisition.rows * s.acquisition.columns
        for f in s.acquisition.frames where f.energyWindow == 1 {
            var g = SeededGenerator(seed: seed, stream: 0xB0 + UInt64(f.frame))
            for i in 0..<np { counts[f.frame * np + i] += noise ? Float(g.poisson(cpsPerPixel * seconds)) : Float(cpsPerPixel * seconds) }
        }
        s.acquisition.counts = counts
    }

    // MARK: Thyroid uptake

    /// One thyroid-uptake case: neck, standard capsule in the neck phantom, thigh and room background images,
    /// acquired one after the other from `hoursAfterAdministration`, with the truth.
    public struct ThyroidUptakeCase: Sendable {
        /// Patient neck (anterior).
        public var neck: SimulatedStudy
        /// Standard capsule in the neck phantom.
        public var standard: SimulatedStudy
        /// Thigh (tissue background).
        public var thigh: SimulatedStudy
        /// Room background (no source).
        public var room: SimulatedStudy
        /// Truth: percent of the administered activity in the gland at the neck acquisition (decay corrected),
        /// from the thyroid compartment's voxelised activity.
        public var uptakePercent: Double
        /// Administered activity (Bq) at administration.
        public var administeredBq: Double
        /// Standard capsule activity (Bq) at its calibration time (the administration time).
        public var standardBq: Double
        /// Thyroid compartment activity (Bq) at the neck acquisition start.
        public var thyroidBqAtNeck: Double
        /// Duration (s) of the standard's acquisition: the protocol's, or shorter when the capsule's hottest pixel
        /// would pass the 16-bit pixel range (as a camera's preset-count stop would end it).
        public var standardSeconds: Double = 0
        /// Neck tissue concentration (Bq/mL) at the neck acquisition start, and the thigh's at its own start.
        public var tissueBqPerMLAtNeck: Double = 0
        public var tissueBqPerMLAtThigh: Double = 0
        /// Where the tissue concentration came from: the biokinetic model (``ThyroidTracerKinetics``) or "fixed".
        public var tissueModel = "fixed"
    }

    /// Expected counts above which the standard's hottest pixel is shortened (16-bit pixels; 5 σ of Poisson noise
    /// and the room background stay below 65 535).
    public static let standardPeakLimit = 60_000.0

    /// Simulates a thyroid-uptake measurement with a gamma camera (anterior, parallel-hole collimator).
    /// `uptakePercent` of `administeredMBq` is in the gland at the neck acquisition (physical decay applied);
    /// the neck and thigh tissue hold `tissueBqPerML` at the neck acquisition (physical decay to the thigh's) or, when
    /// nil (the default since 2026-12-07; before, a fixed 400 Bq/mL at any time), the physiological mean tissue
    /// concentration of the tracer's biokinetic model at each acquisition (``ThyroidTracerKinetics``: ICRP iodine
    /// model for I-123/I-131 iodide, the label's excretion for Tc-99m pertechnetate); the standard capsule holds `standardMBq` at the
    /// administration time — default the administered activity itself, as the SNMMI procedure guideline for thyroid
    /// uptake measurement counts the patient's capsule or an identical one in the neck phantom (until 2026-12-07 a
    /// tenth of it: its counting noise dominated the trial's errors, issue 18); `roomCPSPerPixel` ambient background
    /// in every image. Acquisitions of `seconds` each (the standard's shortened when its hottest pixel would pass 16
    /// bits, ``ThyroidUptakeCase/standardSeconds``), neck at `hoursAfterAdministration`, then standard, thigh and
    /// room every `seconds + 60` s.
    public static func thyroidUptake(nuclide: Radionuclide, uptakePercent: Double, hoursAfterAdministration: Double,
                                     administeredMBq: Double, standardMBq: Double? = nil, tissueBqPerML: Double? = nil,
                                     roomCPSPerPixel: Double = 0.002, seconds: Double = 600, camera: Camera,
                                     voxelMM: Double = 3, subsamples: Int = 2, seed: UInt64 = 1, noise: Bool = true,
                                     capsuleDepthMM: Double? = nil) -> ThyroidUptakeCase {
        let admin = administeredMBq * 1e6
        let std = (standardMBq ?? administeredMBq) * 1e6
        let t0 = SimulationSetup.defaultStart.addingTimeInterval(-3600 * hoursAfterAdministration)   // administration
        let lead = 3600 * hoursAfterAdministration
        func setup(_ p: Phantom, _ k: Int, pharma: String, points: [PointSource] = []) -> SimulationSetup {
            let start = SimulationSetup.defaultStart.addingTimeInterval(Double(k) * (seconds + 60))
            return SimulationSetup(phantom: p, pointSources: points, nuclide: nuclide, camera: camera, voxelMM: voxelMM, subsamples: subsamples,
                                   seed: seed &+ UInt64(k), noise: noise, acquisitionStart: start, injectionLeadSeconds: start.timeIntervalSince(t0),
                                   radiopharmaceutical: pharma)
        }
        let decayAtNeck = exp(-nuclide.decayConstant * lead)
        let thyroidBq = uptakePercent / 100 * admin * decayAtNeck
        // Extrathyroidal tissue at the neck (k = 0) and the thigh (k = 2) acquisition starts.
        let compound = ThyroidTracerKinetics.Compound(nuclideName: nuclide.name)
        func tissue(_ k: Int) -> Double {
            let dt = Double(k) * (seconds + 60)
            if let fixed = tissueBqPerML { return fixed * exp(-nuclide.decayConstant * dt) }
            guard let compound else { return 0 }
            return ThyroidTracerKinetics.tissueConcentration(compound, administeredBq: admin, decayConstant: nuclide.decayConstant,
                                                             uptakeFraction: uptakePercent / 100, uptakeHours: hoursAfterAdministration,
                                                             hours: hoursAfterAdministration + dt / 3600)
        }
        let tissueModel = tissueBqPerML != nil ? "fixed" : compound.map { "ThyroidTracerKinetics.\($0.rawValue)" } ?? "none (no model for \(nuclide.name))"
        let tissueAtNeck = tissue(0), tissueAtThigh = tissue(2)
        var neckPhantom = Phantom(name: "neck", compartments: [
            Compartment(name: "neck", shape: neckShape(.zero), material: .softTissue, concentrationBqPerML: tissueAtNeck),
            Compartment(name: "thyroid", shape: thyroidShape(.zero), material: .softTissue, concentrationBqPerML: 1)],
            description: "Neck: elliptic cylinder 55x50 mm semi-axes, z 180..330; thyroid lobes at (+-18,-30,255) semi-axes 9,9,22 mm and isthmus")
        let vThy = voxelVolume(neckPhantom, "thyroid", voxelMM: voxelMM, subsamples: subsamples)
        neckPhantom.compartments[1].concentrationBqPerML = thyroidBq / vThy
        let pharmaName = nuclide.name.hasPrefix("I-") ? "Sodium iodide \(nuclide.name)" : nuclide.name
        var neck = Simulator.planar(setup(neckPhantom, 0, pharma: pharmaName), views: [.anterior], seconds: seconds, axialCentreMM: 255)
        neck.acquisition.radiopharmaceuticals[0].totalDoseBq = admin.rounded()
        // Standard: a capsule (point source) in the neck phantom (the neck's shape and tissue, no activity), on the
        // midline at the gland's mean depth below the anterior skin (`capsuleDepthMM`, default ``glandMeanDepthMM``).
        let depth = capsuleDepthMM ?? glandMeanDepthMM
        let capsule = Vector3(0, -50 + depth, capsuleCentre.z)
        let stdSetup = setup(Phantom(name: "neck phantom", compartments: [
            Compartment(name: "neckPhantom", shape: neckShape(.zero), material: .softTissue, concentrationBqPerML: 0)],
            description: String(format: "Neck phantom: soft-tissue elliptic cylinder 55x50 mm, capsule on the midline %.1f mm below the anterior surface (0,%.1f,255): the gland's mean depth", depth, capsule.y)),
            1, pharma: "\(pharmaName) standard capsule",
            points: [PointSource(position: capsule, activityBq: std * exp(-nuclide.decayConstant * (lead + seconds + 60)))])
        var standard = Simulator.planar(stdSetup, views: [.anterior], seconds: seconds, axialCentreMM: 255)
        var standardSeconds = seconds
        let peak = zip(standard.expectedPrimary, standard.expectedScatter).prefix(camera.rows * camera.columns).map { Double($0 + $1) }.max() ?? 0
        if peak > standardPeakLimit {
            standardSeconds = max(1, (seconds * standardPeakLimit / peak).rounded(.down))
            standard = Simulator.planar(stdSetup, views: [.anterior], seconds: standardSeconds, axialCentreMM: 255)
        }
        standard.acquisition.radiopharmaceuticals[0].totalDoseBq = std.rounded()
        // Thigh: same cylinder, no thyroid, the tissue concentration at its own acquisition (decay, and with the
        // biokinetic model also excretion and thyroid trapping, between the acquisitions).
        let thighConc = tissueAtThigh
        var thigh = Simulator.planar(setup(Phantom(name: "thigh", compartments: [
            Compartment(name: "thigh", shape: neckShape(.zero), material: .softTissue, concentrationBqPerML: thighConc)]), 2, pharma: pharmaName),
            views: [.anterior], seconds: seconds, axialCentreMM: 255)
        thigh.acquisition.radiopharmaceuticals[0].totalDoseBq = admin.rounded()
        var room = Simulator.planar(setup(Phantom(name: "none", compartments: []), 3, pharma: pharmaName), views: [.anterior], seconds: seconds, axialCentreMM: 255)
        room.acquisition.radiopharmaceuticals[0].totalDoseBq = admin.rounded()
        addRoomBackground(&neck, cpsPerPixel: roomCPSPerPixel, seconds: seconds, seed: seed &+ 100, noise: noise)
        addRoomBackground(&standard, cpsPerPixel: roomCPSPerPixel, seconds: standardSeconds, seed: seed &+ 101, noise: noise)
        addRoomBackground(&thigh, cpsPerPixel: roomCPSPerPixel, seconds: seconds, seed: seed &+ 102, noise: noise)
        addRoomBackground(&room, cpsPerPixel: roomCPSPerPixel, seconds: seconds, seed: seed &+ 103, noise: noise)
        let thyTruth = neck.truth.compartments.first { $0.name == "thyroid" }!.activityBq
        return ThyroidUptakeCase(neck: neck, standard: standard, thigh: thigh, room: room,
                                 uptakePercent: 100 * thyTruth / (admin * decayAtNeck), administeredBq: admin, standardBq: std,
                                 thyroidBqAtNeck: thyTruth, standardSeconds: standardSeconds, tissueBqPerMLAtNeck: tissueAtNeck,
                                 tissueBqPerMLAtThigh: tissueAtThigh, tissueModel: tissueModel)
    }

    // MARK: Parathyroid

    /// A parathyroid case: early and delayed Tc-99m sestamibi and a thyroid (pertechnetate) image, with truth.
    public struct ParathyroidCase: Sendable {
        /// Early sestamibi (anterior, 10 min after injection).
        public var early: SimulatedStudy
        /// Delayed sestamibi (anterior).
        public var delayed: SimulatedStudy
        /// Tc-99m pertechnetate thyroid image (patient moved by `thyroidShiftMM`).
        public var thyroid: SimulatedStudy
        /// Adenoma centre (LPS, mm) in the sestamibi images.
        public var adenomaCentre: Vector3
        /// Adenoma centre on the sestamibi images' pixel grid (column, row; 0-based pixel centres), from the
        /// camera geometry of the set-up (anterior view: column along +x, row 0 the most superior).
        public var adenomaPixel: (column: Double, row: Double)
        /// Biological retention (delayed/early concentration, decay excluded) of adenoma, thyroid and background.
        public var retention: (adenoma: Double, thyroid: Double, background: Double)
        /// Patient displacement in the thyroid image (mm).
        public var thyroidShiftMM: Vector3
        /// Patient displacement in the delayed sestamibi image (mm): motion between the phases (zero: none).
        public var delayedShiftMM: Vector3 = .zero
    }

    /// Simulates dual-phase sestamibi (early at 10 min, delayed at `delayedHours`) and a pertechnetate thyroid
    /// image of a neck with an adenoma of `adenomaDiameterMM` at `adenomaCentre` (default below the right lobe).
    /// `earlyViews`: the views of the early acquisition (e.g. posterior and anterior in one file, as dual-head
    /// cameras store them). `delayedShiftMM`: the patient moved by this (LPS mm) between the early and the delayed
    /// acquisition (the whole neck, thyroid and adenoma; the delayed truth is then this shift, on the anterior view
    /// x/Δ columns and −z/Δ rows).
    public static func parathyroid(camera: Camera, adenomaCentre: Vector3 = Vector3(-22, -26, 222), adenomaDiameterMM: Double = 12,
                                   delayedHours: Double = 2, thyroidShiftMM: Vector3 = Vector3(6, 0, -5),
                                   retention: (adenoma: Double, thyroid: Double, background: Double) = (0.9, 0.45, 0.6),
                                   seconds: Double = 600, voxelMM: Double = 3, subsamples: Int = 2, seed: UInt64 = 7,
                                   earlyViews: [PlanarView] = [.anterior], delayedShiftMM: Vector3 = .zero) -> ParathyroidCase {
        let tc = Radionuclide.named("Tc-99m")!
        // Sestamibi early concentrations (Bq/mL): tissue 4 kBq/mL, thyroid 6×, adenoma 10× (plausible ratios).
        let bg = 4_000.0, thy = 24_000.0, ad = 40_000.0
        func phantom(_ o: Vector3, tissue: Double, thyroid: Double, adenoma: Double) -> Phantom {
            Phantom(name: "neck", compartments: [
                Compartment(name: "neck", shape: .cylinder(centerX: o.x, centerY: o.y, radiusX: 60, radiusY: 55, zMin: 150 + o.z, zMax: 330 + o.z),
                            material: .softTissue, concentrationBqPerML: tissue),
                Compartment(name: "thyroid", shape: thyroidShape(o), material: .softTissue, concentrationBqPerML: thyroid),
                Compartment(name: "adenoma", shape: .sphere(center: adenomaCentre + o, radius: adenomaDiameterMM / 2),
                            material: .softTissue, concentrationBqPerML: adenoma)],
                landmarks: [Landmark(name: "adenoma", center: adenomaCentre + o, diameterMM: adenomaDiameterMM)],
                description: "Neck 60x55 mm semi-axes z 150..330, thyroid lobes at (+-18,-30,255), adenoma sphere \(adenomaDiameterMM) mm")
        }
        let early0 = SimulationSetup.defaultStart
        func setup(_ p: Phantom, start: Date, lead: Double, seed s: UInt64, pharma: String) -> SimulationSetup {
            SimulationSetup(phantom: p, nuclide: tc, camera: camera, voxelMM: voxelMM, subsamples: subsamples, seed: s,
                            acquisitionStart: start, injectionLeadSeconds: lead, radiopharmaceutical: pharma)
        }
        let centre = 245.0
        let early = Simulator.planar(setup(phantom(.zero, tissue: bg, thyroid: thy, adenoma: ad), start: early0, lead: 600, seed: seed, pharma: "Tc-99m sestamibi"),
                                     views: earlyViews, seconds: seconds, axialCentreMM: centre)
        let dt = delayedHours * 3600 - 600
        let dec = exp(-tc.decayConstant * dt)
        let delayed = Simulator.planar(setup(phantom(delayedShiftMM, tissue: bg * retention.background * dec, thyroid: thy * retention.thyroid * dec,
                                                     adenoma: ad * retention.adenoma * dec),
                                             start: early0.addingTimeInterval(dt), lead: delayedHours * 3600, seed: seed &+ 1, pharma: "Tc-99m sestamibi"),
                                       views: [.anterior], seconds: seconds, axialCentreMM: centre)
        // Pertechnetate: thyroid 15 kBq/mL, tissue 1.5 kBq/mL, adenoma like tissue; acquired the day before.
        let thyroidImage = Simulator.planar(setup(phantom(thyroidShiftMM, tissue: 1_500, thyroid: 15_000, adenoma: 1_500),
                                                  start: early0.addingTimeInterval(-86_400), lead: 1200, seed: seed &+ 2, pharma: "Tc-99m pertechnetate"),
                                            views: [.anterior], seconds: seconds / 2, axialCentreMM: centre)
        let px = camera.pixelSizeMM
        let col = adenomaCentre.x / px + Double(camera.columns - 1) / 2
        let row = (centre + Double(camera.rows - 1) / 2 * px - adenomaCentre.z) / px
        return ParathyroidCase(early: early, delayed: delayed, thyroid: thyroidImage, adenomaCentre: adenomaCentre,
                               adenomaPixel: (col, row), retention: retention, thyroidShiftMM: thyroidShiftMM, delayedShiftMM: delayedShiftMM)
    }
}

// Sentinel node
// lymphoscintigraphy, whole-body bone scans (with follow-up), In-111 octreotide (Krenning) and I-123 MIBG
// (heart-to-mediastinum). Every study is made by the ordinary ``Simulator`` from the torso phantom plus point
// sources or spherical lesions placed by the caller, so the truth (positions, activities, times) is the set-up
// itself; ``projectedPixel(_:angleDeg:columns:rows:pixelMM:axialCentreMM:)`` gives where a point lands on a view
// by the geometry of docs/spect-geometry.md (not by any analysis code).
extension ClinicalStudies {
    /// A point source with a name (injection site, lymph node).
    public struct NamedSource: Sendable, Codable, Equatable {
        /// Name.
        public var name: String
        /// Position (LPS mm).
        public var position: Vector3
        /// Activity (MBq) at the acquisition start.
        public var activityMBq: Double
        /// Creates a source.
        public init(name: String, position: Vector3, activityMBq: Double) { self.name = name; self.position = position; self.activityMBq = activityMBq }
    }

    /// A spherical lesion.
    public struct Lesion: Sendable, Codable, Equatable {
        /// Name.
        public var name: String
        /// Centre (LPS mm).
        public var center: Vector3
        /// Diameter (mm).
        public var diameterMM: Double
        /// Concentration (Bq/mL) at the acquisition start (before any global scaling).
        public var concentrationBqPerML: Double
        /// Creates a lesion.
        public init(name: String, center: Vector3, diameterMM: Double, concentrationBqPerML: Double) {
            self.name = name; self.center = center; self.diameterMM = diameterMM; self.concentrationBqPerML = concentrationBqPerML
        }
    }

    /// A camera with a single photopeak window (±10 %) for a nuclide, or two for In-111's 171 and 245 keV lines.
    public static func camera(nuclide: Radionuclide, collimator: String, columns: Int = 128, rows: Int = 128,
                              pixelMM: Double = 4.7952) -> Camera {
        let coll = Collimator.named(collimator, vendor: "GE") ?? Collimator.named(collimator)!
        var windows: [WindowSetting] = []
        if nuclide.name == "In-111" {
            windows = [WindowSetting(name: "In111_171_PEAK", lowerKeV: 154.0, upperKeV: 188.0),
                       WindowSetting(name: "In111_245_PEAK", lowerKeV: 220.5, upperKeV: 269.5)]
        } else {
            let e = nuclide.photopeakKeV ?? 140
            windows = [WindowSetting.tripleEnergyWindows(photopeakKeV: e, label: nuclide.name.replacingOccurrences(of: "-", with: ""))[0]]
        }
        return Camera(collimator: coll, columns: columns, rows: rows, pixelSizeMM: pixelMM, windows: windows)
    }

    /// Where a point lands on a planar view at gantry angle θ (docs/spect-geometry.md): column
    /// `(x cos θ + y sin θ)/Δ + (C−1)/2`, row `(z_centre − z)/Δ + (R−1)/2` (0-based pixel centres).
    public static func projectedPixel(_ p: Vector3, angleDeg: Double, columns: Int, rows: Int, pixelMM: Double,
                                      axialCentreMM: Double = 0) -> (column: Double, row: Double) {
        let th = angleDeg * Double.pi / 180
        let r = p.x * cos(th) + p.y * sin(th)
        return (r / pixelMM + Double(columns - 1) / 2, (axialCentreMM - p.z) / pixelMM + Double(rows - 1) / 2)
    }

    // MARK: Sentinel node

    /// The left lateral view (detector at the patient's left, gantry angle 90°).
    public static let leftLateral = PlanarView(name: "Left lateral projection", angleDeg: 90)

    /// Breast lymphoscintigraphy: Tc-99m nanocolloid, LEHR, anterior and left lateral views acquired together
    /// (one file, two detectors), `seconds` each. The torso attenuates and scatters and holds a faint diffuse
    /// background (`backgroundBqPerML`); the injection site and the nodes are point sources.
    public static func sentinel(injection: NamedSource, nodes: [NamedSource], seconds: Double = 180, seed: UInt64 = 1,
                                backgroundBqPerML: Double = 20, voxelMM: Double = 8) -> SimulatedStudy {
        let tc = Radionuclide.named("Tc-99m")!
        var activities: [Organ: Double] = [:]
        for o in Organ.allCases { activities[o] = 0 }
        activities[.body] = backgroundBqPerML
        let phantom = Phantom.torso(activities: activities)
        let points = ([injection] + nodes).map { PointSource(position: $0.position, activityBq: $0.activityMBq * 1e6) }
        var setup = SimulationSetup(phantom: phantom, pointSources: points, nuclide: tc,
                                    camera: camera(nuclide: tc, collimator: "LEHR"), voxelMM: voxelMM, subsamples: 2, seed: seed,
                                    injectionLeadSeconds: 2 * 3600, radiopharmaceutical: "Tc-99m nanocolloid")
        setup.attenuation = true
        return Simulator.planar(setup, views: [.anterior, leftLateral], seconds: seconds)
    }

    // MARK: Bone scan

    /// Tc-99m HDP whole-body sweep (anterior and posterior) of the torso phantom with bone lesions.
    /// `activityScale` multiplies every concentration (lesions included), as a different administered activity or
    /// uptake time would; `topZMM` sets where the sweep starts (a different patient position on the table);
    /// `extent` `.wholeBody` adds head, neck and legs (sweep e.g. from 520 mm over 1600 mm).
    public static func boneScan(lesions: [Lesion], activityScale: Double = 1, topZMM: Double = 230, lengthMM: Double = 520,
                                speedMMPerS: Double = 2, seed: UInt64 = 1, voxelMM: Double = 8,
                                extent: BodyExtent = .torso) -> SimulatedStudy {
        let tc = Radionuclide.named("Tc-99m")!
        let activities: [Organ: Double] = [
            .body: 600, .lungs: 150, .liver: 700, .spleen: 700, .kidneys: 2_000, .bladder: 15_000, .skeleton: 5_000,
            .lvMyocardium: 600, .lvBloodPool: 900, .rvBloodPool: 900, .atria: 900, .thyroid: 600, .brain: 300,
        ]
        let tumours = lesions.map { Tumour(center: $0.center, diameterMM: $0.diameterMM, concentrationBqPerML: $0.concentrationBqPerML, name: $0.name) }
        let phantom = Phantom.torso(activities: activities, tumours: tumours, extent: extent).scaled(by: activityScale)
        let setup = SimulationSetup(phantom: phantom, nuclide: tc, camera: camera(nuclide: tc, collimator: "LEHR"),
                                    voxelMM: voxelMM, subsamples: 2, seed: seed, injectionLeadSeconds: 3 * 3600,
                                    radiopharmaceutical: "Tc-99m HDP")
        return Simulator.wholeBody(setup, speedMMPerS: speedMMPerS, scanLengthMM: lengthMM, topZMM: topZMM)
    }

    /// Row and column of a point on a whole-body sweep that starts at `topZMM` (row 0 centre at top − Δ/2).
    public static func wholeBodyPixel(_ p: Vector3, anterior: Bool, columns: Int = 128, topZMM: Double,
                                      pixelMM: Double = 4.7952) -> (column: Double, row: Double) {
        let th = anterior ? 0.0 : 180.0
        let c = (p.x * cos(th * .pi / 180) + p.y * sin(th * .pi / 180)) / pixelMM + Double(columns - 1) / 2
        return (c, (topZMM - p.z) / pixelMM - 0.5)
    }

    // MARK: Octreotide (Krenning) and MIBG

    /// In-111 octreotide planar anterior and posterior views (MEGP) of the torso with lesions, acquired
    /// `hoursAfterInjection` after the injection. Concentrations are those at the injection; everything decays
    /// physically, lesions also biologically with `lesionBiologicalHalfLifeHours` (nil: no washout).
    public static func octreotide(lesions: [Lesion], liverBqPerML: Double = 2_000, spleenBqPerML: Double = 12_000,
                                  bodyBqPerML: Double = 300, hoursAfterInjection: Double = 24,
                                  lesionBiologicalHalfLifeHours: Double? = nil, seconds: Double = 600, seed: UInt64 = 1,
                                  voxelMM: Double = 8) -> SimulatedStudy {
        let inn = Radionuclide.named("In-111")!
        var activities: [Organ: Double] = [:]
        for o in Organ.allCases { activities[o] = bodyBqPerML }
        activities[.liver] = liverBqPerML; activities[.spleen] = spleenBqPerML; activities[.lungs] = bodyBqPerML / 3
        activities[.kidneys] = 2_000; activities[.bladder] = 2_000
        let t = hoursAfterInjection * 3600
        let phys = exp(-inn.decayConstant * t)
        let bio = lesionBiologicalHalfLifeHours.map { exp(-log(2) / ($0 * 3600) * t) } ?? 1
        let tumours = lesions.map { Tumour(center: $0.center, diameterMM: $0.diameterMM, concentrationBqPerML: $0.concentrationBqPerML * bio, name: $0.name) }
        let phantom = Phantom.torso(activities: activities, tumours: tumours).scaled(by: phys)
        let setup = SimulationSetup(phantom: phantom, nuclide: inn, camera: camera(nuclide: inn, collimator: "MEGP"),
                                    voxelMM: voxelMM, subsamples: 2, seed: seed, injectionLeadSeconds: t,
                                    radiopharmaceutical: "In-111 pentetreotide")
        return Simulator.planar(setup, views: [.anterior, .posterior], seconds: seconds)
    }

    /// I-123 MIBG anterior chest view (`collimator`: `LEHR` or `MEGP`), myocardium and mediastinal background as
    /// given, 4 h after injection.
    public static func mibg(myocardiumBqPerML: Double, backgroundBqPerML: Double = 1_000, liverBqPerML: Double = 3_000,
                            collimator: String = "MEGP", seconds: Double = 300, seed: UInt64 = 1, voxelMM: Double = 8) -> SimulatedStudy {
        let i123 = Radionuclide.named("I-123")!
        var activities: [Organ: Double] = [:]
        for o in Organ.allCases { activities[o] = backgroundBqPerML }
        activities[.lvMyocardium] = myocardiumBqPerML; activities[.liver] = liverBqPerML; activities[.lungs] = backgroundBqPerML / 2
        let setup = SimulationSetup(phantom: Phantom.torso(activities: activities), nuclide: i123,
                                    camera: camera(nuclide: i123, collimator: collimator), voxelMM: voxelMM, subsamples: 2,
                                    seed: seed, injectionLeadSeconds: 4 * 3600, radiopharmaceutical: "I-123 MIBG")
        return Simulator.planar(setup, views: [.anterior], seconds: seconds)
    }
}
