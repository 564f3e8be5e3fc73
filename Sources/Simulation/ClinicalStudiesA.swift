import Foundation
import Imaging
import Physics

/// Simulated clinical studies for the part-A analyses (gated blood pool, thyroid uptake, parathyroid), each with
/// its truth taken from the set-up (concentrations, positions, times), never from an analysis.
public enum ClinicalStudiesA {
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

    /// Where the thyroid-uptake capsule sits in the neck phantom: at the depth of the thyroid lobes' centres.
    public static let capsuleCentre = Vector3(0, -30, 255)

    /// The volume (mL) of compartment `name` as the simulator will voxelise `phantom` with `setup`'s sampling.
    static func voxelVolume(_ phantom: Phantom, _ name: String, voxelMM: Double, subsamples: Int) -> Double {
        let (size, geom) = Voxelizer.coveringGrid(phantom, voxelMM: voxelMM, marginMM: voxelMM * 2)
        let vp = Voxelizer.voxelize(phantom, size: size, geometry: geom, subsamples: subsamples)
        return vp.volumeML(phantom.index(of: name)!)
    }

    /// Adds a uniform room background (Poisson, `cpsPerPixel` × frame duration) to the photopeak frames
    /// (energy window 1) of a planar study.
    static func addRoomBackground(_ s: inout SimulatedStudy, cpsPerPixel: Double, seconds: Double, seed: UInt64) {
        guard cpsPerPixel > 0, var counts = s.acquisition.counts else { return }
        let np = s.acquisition.rows * s.acquisition.columns
        for f in s.acquisition.frames where f.energyWindow == 1 {
            var g = SeededGenerator(seed: seed, stream: 0xB0 + UInt64(f.frame))
            for i in 0..<np { counts[f.frame * np + i] += Float(g.poisson(cpsPerPixel * seconds)) }
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
    }

    /// Simulates a thyroid-uptake measurement with a gamma camera (anterior, parallel-hole collimator).
    /// `uptakePercent` of `administeredMBq` is in the gland at the neck acquisition (physical decay applied);
    /// the neck tissue holds `tissueBqPerML` (the thigh the same); the standard capsule holds `standardMBq` (default a
    /// tenth of the administered activity, so that its pixels fit 16 bits) at the administration time; `roomCPSPerPixel` ambient background in every image. Acquisitions of `seconds` each,
    /// neck at `hoursAfterAdministration`, then standard, thigh and room every `seconds + 60` s.
    public static func thyroidUptake(nuclide: Radionuclide, uptakePercent: Double, hoursAfterAdministration: Double,
                                     administeredMBq: Double, standardMBq: Double? = nil, tissueBqPerML: Double = 400,
                                     roomCPSPerPixel: Double = 0.002, seconds: Double = 600, camera: Camera,
                                     voxelMM: Double = 3, subsamples: Int = 2, seed: UInt64 = 1) -> ThyroidUptakeCase {
        let admin = administeredMBq * 1e6
        let std = (standardMBq ?? administeredMBq / 10) * 1e6
        let t0 = SimulationSetup.defaultStart.addingTimeInterval(-3600 * hoursAfterAdministration)   // administration
        let lead = 3600 * hoursAfterAdministration
        func setup(_ p: Phantom, _ k: Int, pharma: String, points: [PointSource] = []) -> SimulationSetup {
            let start = SimulationSetup.defaultStart.addingTimeInterval(Double(k) * (seconds + 60))
            return SimulationSetup(phantom: p, pointSources: points, nuclide: nuclide, camera: camera, voxelMM: voxelMM, subsamples: subsamples,
                                   seed: seed &+ UInt64(k), acquisitionStart: start, injectionLeadSeconds: start.timeIntervalSince(t0),
                                   radiopharmaceutical: pharma)
        }
        let decayAtNeck = exp(-nuclide.decayConstant * lead)
        let thyroidBq = uptakePercent / 100 * admin * decayAtNeck
        var neckPhantom = Phantom(name: "neck", compartments: [
            Compartment(name: "neck", shape: neckShape(.zero), material: .softTissue, concentrationBqPerML: tissueBqPerML),
            Compartment(name: "thyroid", shape: thyroidShape(.zero), material: .softTissue, concentrationBqPerML: 1)],
            description: "Neck: elliptic cylinder 55x50 mm semi-axes, z 180..330; thyroid lobes at (+-18,-30,255) semi-axes 9,9,22 mm and isthmus")
        let vThy = voxelVolume(neckPhantom, "thyroid", voxelMM: voxelMM, subsamples: subsamples)
        neckPhantom.compartments[1].concentrationBqPerML = thyroidBq / vThy
        let pharmaName = nuclide.name.hasPrefix("I-") ? "Sodium iodide \(nuclide.name)" : nuclide.name
        var neck = Simulator.planar(setup(neckPhantom, 0, pharma: pharmaName), views: [.anterior], seconds: seconds, axialCentreMM: 255)
        neck.acquisition.radiopharmaceuticals[0].totalDoseBq = admin.rounded()
        // Standard: a capsule (point source) in the neck phantom (water-equivalent, no activity).
        let stdSetup = setup(Phantom(name: "neck phantom", compartments: [
            Compartment(name: "neckPhantom", shape: neckShape(.zero), material: .water, concentrationBqPerML: 0)],
            description: "Neck phantom: water-equivalent elliptic cylinder 55x50 mm, capsule at the thyroid depth (0,-30,255)"),
            1, pharma: "\(pharmaName) standard capsule",
            points: [PointSource(position: capsuleCentre, activityBq: std * exp(-nuclide.decayConstant * (lead + seconds + 60)))])
        var standard = Simulator.planar(stdSetup, views: [.anterior], seconds: seconds, axialCentreMM: 255)
        standard.acquisition.radiopharmaceuticals[0].totalDoseBq = std.rounded()
        // Thigh: same cylinder, same tissue concentration, no thyroid (tissue decays between acquisitions).
        let thighConc = tissueBqPerML * exp(-nuclide.decayConstant * 2 * (seconds + 60))
        var thigh = Simulator.planar(setup(Phantom(name: "thigh", compartments: [
            Compartment(name: "thigh", shape: neckShape(.zero), material: .softTissue, concentrationBqPerML: thighConc)]), 2, pharma: pharmaName),
            views: [.anterior], seconds: seconds, axialCentreMM: 255)
        thigh.acquisition.radiopharmaceuticals[0].totalDoseBq = admin.rounded()
        var room = Simulator.planar(setup(Phantom(name: "none", compartments: []), 3, pharma: pharmaName), views: [.anterior], seconds: seconds, axialCentreMM: 255)
        room.acquisition.radiopharmaceuticals[0].totalDoseBq = admin.rounded()
        addRoomBackground(&neck, cpsPerPixel: roomCPSPerPixel, seconds: seconds, seed: seed &+ 100)
        addRoomBackground(&standard, cpsPerPixel: roomCPSPerPixel, seconds: seconds, seed: seed &+ 101)
        addRoomBackground(&thigh, cpsPerPixel: roomCPSPerPixel, seconds: seconds, seed: seed &+ 102)
        addRoomBackground(&room, cpsPerPixel: roomCPSPerPixel, seconds: seconds, seed: seed &+ 103)
        let thyTruth = neck.truth.compartments.first { $0.name == "thyroid" }!.activityBq
        return ThyroidUptakeCase(neck: neck, standard: standard, thigh: thigh, room: room,
                                 uptakePercent: 100 * thyTruth / (admin * decayAtNeck), administeredBq: admin, standardBq: std,
                                 thyroidBqAtNeck: thyTruth)
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
    }

    /// Simulates dual-phase sestamibi (early at 10 min, delayed at `delayedHours`) and a pertechnetate thyroid
    /// image of a neck with an adenoma of `adenomaDiameterMM` at `adenomaCentre` (default below the right lobe).
    /// `earlyViews`: the views of the early acquisition (e.g. posterior and anterior in one file, as dual-head
    /// cameras store them).
    public static func parathyroid(camera: Camera, adenomaCentre: Vector3 = Vector3(-22, -26, 222), adenomaDiameterMM: Double = 12,
                                   delayedHours: Double = 2, thyroidShiftMM: Vector3 = Vector3(6, 0, -5),
                                   retention: (adenoma: Double, thyroid: Double, background: Double) = (0.9, 0.45, 0.6),
                                   seconds: Double = 600, voxelMM: Double = 3, subsamples: Int = 2, seed: UInt64 = 7,
                                   earlyViews: [PlanarView] = [.anterior]) -> ParathyroidCase {
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
        let delayed = Simulator.planar(setup(phantom(.zero, tissue: bg * retention.background * dec, thyroid: thy * retention.thyroid * dec,
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
                               adenomaPixel: (col, row), retention: retention, thyroidShiftMM: thyroidShiftMM)
    }
}
