import Foundation
import Imaging
import Physics

/// Simulated clinical planar studies with known truth for the analyses of issue 5 part B: sentinel node
/// lymphoscintigraphy, whole-body bone scans (with follow-up), In-111 octreotide (Krenning) and I-123 MIBG
/// (heart-to-mediastinum). Every study is made by the ordinary ``Simulator`` from the torso phantom plus point
/// sources or spherical lesions placed by the caller, so the truth (positions, activities, times) is the set-up
/// itself; ``projectedPixel(_:angleDeg:columns:rows:pixelMM:axialCentreMM:)`` gives where a point lands on a view
/// by the geometry of docs/spect-geometry.md (not by any analysis code).
public enum ClinicalStudiesB {
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
