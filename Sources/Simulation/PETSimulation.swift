import Foundation
import Imaging
import Physics

/// Why a PET study cannot be simulated.
public struct PETSimulationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong.
    public var message: String
    /// Creates an error.
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A spherical lesion of a simulated PET study, given by its true SUVbw.
public struct PETLesion: Sendable, Codable, Equatable {
    /// Name (e.g. `lesion1`).
    public var name: String
    /// Centre (LPS, mm).
    public var center: Vector3
    /// Diameter (mm).
    public var diameterMM: Double
    /// True SUVbw of the lesion (g/mL).
    public var suv: Double
    /// Creates a lesion.
    public init(name: String, center: Vector3, diameterMM: Double, suv: Double) {
        self.name = name; self.center = center; self.diameterMM = diameterMM; self.suv = suv
    }
}

/// What to simulate: a patient, an FDG injection, a body with liver and lesions of known SUV, and the grid.
public struct PETStudySpec: Sendable, Codable, Equatable {
    public var weightKg: Double
    public var heightCm: Double
    /// `M` or `F`.
    public var sex: String
    /// Injected activity at injection (MBq).
    public var injectedMBq: Double
    /// Time from injection to the scan start (s).
    public var uptakeSeconds: Double
    /// Radionuclide (decay data from ``Physics/Radionuclide``).
    public var radionuclide: String
    /// SUVbw of the body (elliptic cylinder) and of the liver (ellipsoid).
    public var backgroundSUV: Double
    public var liverSUV: Double
    /// Lesions.
    public var lesions: [PETLesion]
    /// Grid: voxels per axis and voxel size (mm); centred on the origin.
    public var size: GridSize
    public var voxelMM: Double

    /// Creates a specification; the defaults are a 75 kg, 175 cm male, 300 MBq F-18 FDG, 60 min uptake, three
    /// lesions of SUV 4, 8 and 12 (30, 24 and 20 mm) in a 128 × 128 × 64 grid of 4 mm voxels.
    public init(weightKg: Double = 75, heightCm: Double = 175, sex: String = "M", injectedMBq: Double = 300,
                uptakeSeconds: Double = 3600, radionuclide: String = "F-18", backgroundSUV: Double = 1,
                liverSUV: Double = 2.0, lesions: [PETLesion]? = nil,
                size: GridSize = GridSize(x: 128, y: 128, z: 64), voxelMM: Double = 4) {
        self.weightKg = weightKg; self.heightCm = heightCm; self.sex = sex; self.injectedMBq = injectedMBq
        self.uptakeSeconds = uptakeSeconds; self.radionuclide = radionuclide; self.backgroundSUV = backgroundSUV
        self.liverSUV = liverSUV
        self.lesions = lesions ?? [
            PETLesion(name: "lesion1", center: Vector3(80, -20, -40), diameterMM: 30, suv: 4),
            PETLesion(name: "lesion2", center: Vector3(50, 30, 10), diameterMM: 24, suv: 8),
            PETLesion(name: "lesion3", center: Vector3(0, -40, 40), diameterMM: 20, suv: 12),
        ]
        self.size = size; self.voxelMM = voxelMM
    }
}

/// Known truth of a simulated PET study.
public struct PETTruth: Sendable, Codable, Equatable {
    /// Half-life used (s) and its source.
    public var halfLifeSeconds: Double
    public var decayDataSource: String
    /// Injected activity (Bq) and the activity decayed to the scan start (Bq).
    public var injectedBq: Double
    public var decayedBq: Double
    /// The true SUVbw factor (g/mL per Bq/mL) = weight (g) / decayed activity.
    public var suvbwFactor: Double
    /// Activity concentration at the scan start (Bq/mL) per compartment name.
    public var concentrationsBqPerML: [String: Double]
    /// SUVbw per compartment name.
    public var suv: [String: Double]
    /// Lesions as simulated.
    public var lesions: [PETLesion]
    /// Conventions.
    public var notes: [String]
}

/// A simulated PET activity image (Bq/mL at scan start, i.e. decay corrected to START) with its truth.
public struct PETSimulation: Sendable {
    /// The image (Bq/mL).
    public var image: Volume
    /// The truth.
    public var truth: PETTruth
    /// The specification.
    public var spec: PETStudySpec

    /// Builds the activity image: body (elliptic cylinder 150 × 110 mm radii over the whole grid length), liver
    /// (ellipsoid on the patient's right), lesions; each voxel holds the volume-weighted concentration of what it
    /// contains (3³ subsamples). No resolution loss and no noise: the image is the truth, so SUV read from the
    /// written DICOM series can be checked against the lesion SUVs directly.
    public static func make(_ spec: PETStudySpec) throws(PETSimulationError) -> PETSimulation {
        guard let nuc = Radionuclide.named(spec.radionuclide) else {
            throw PETSimulationError("unknown radionuclide \(spec.radionuclide)")
        }
        guard spec.weightKg > 0, spec.injectedMBq > 0, spec.uptakeSeconds >= 0, spec.voxelMM > 0,
              spec.size.x > 0, spec.size.y > 0, spec.size.z > 0, spec.size.count <= 64 * 1024 * 1024 else {
            throw PETSimulationError("PET study: weight, activity, voxel size and grid must be positive (grid ≤ 64 Mi voxels)")
        }
        let injected = spec.injectedMBq * 1e6
        let decayed = injected * Decay.factor(halfLifeSeconds: nuc.halfLifeSeconds, elapsedSeconds: spec.uptakeSeconds)
        let factor = spec.weightKg * 1000 / decayed
        func conc(_ suv: Double) -> Double { suv / factor }
        let spacing = Vector3(spec.voxelMM, spec.voxelMM, spec.voxelMM)
        let geo = Voxelizer.centredGrid(size: spec.size, spacing: spacing)
        let halfZ = Double(spec.size.z) * spec.voxelMM / 2 + 1
        var comps: [Compartment] = [
            Compartment(name: "body", shape: .cylinder(centerX: 0, centerY: 0, radiusX: 150, radiusY: 110, zMin: -halfZ, zMax: halfZ),
                        material: .softTissue, concentrationBqPerML: conc(spec.backgroundSUV)),
            Compartment(name: "liver", shape: .ellipsoid(center: Vector3(-70, -10, 0), semiAxes: Vector3(60, 50, 40)),
                        material: .softTissue, concentrationBqPerML: conc(spec.liverSUV)),
        ]
        for l in spec.lesions {
            comps.append(Compartment(name: l.name, shape: .sphere(center: l.center, radius: l.diameterMM / 2),
                                     material: .softTissue, concentrationBqPerML: conc(l.suv)))
        }
        let phantom = Phantom(name: "pet-body", compartments: comps,
                              landmarks: spec.lesions.map { Landmark(name: $0.name, center: $0.center, diameterMM: $0.diameterMM) },
                              description: "Simulated FDG PET body with liver and spherical lesions")
        let vox = Voxelizer.voxelize(phantom, size: spec.size, geometry: geo, subsamples: 3)
        var image = vox.activity()
        image.units = "BQML"
        var concs: [String: Double] = [:], suvs: [String: Double] = [:]
        for c in comps { concs[c.name] = c.concentrationBqPerML; suvs[c.name] = c.concentrationBqPerML * factor }
        let truth = PETTruth(halfLifeSeconds: nuc.halfLifeSeconds, decayDataSource: nuc.source,
                             injectedBq: injected, decayedBq: decayed, suvbwFactor: factor,
                             concentrationsBqPerML: concs, suv: suvs, lesions: spec.lesions,
                             notes: ["concentrations at the scan start (series time); SUVbw = C × weight(g) / (injected × 2^(−uptake/T½))",
                                     "no resolution loss, no noise; partial-volume voxels hold volume-weighted concentrations (3³ subsamples)"])
        return PETSimulation(image: image, truth: truth, spec: spec)
    }
}

extension PETSimulation {
    /// The activity image of a virtual patient (ICRP-110 anatomy, the tracer's biodistribution at its uptake time,
    /// lesions) as a PET scanner's quantitative image would show it without resolution loss or noise; SUVs of the
    /// organs in the truth (SUVbw with `weightKg`, 73 kg / 60 kg ICRP reference by default).
    public static func make(patient: VirtualPatient, voxelMM: Double = 4, weightKg: Double? = nil,
                            heightCm: Double? = nil) throws(PETSimulationError) -> PETSimulation {
        let built: (VoxelizedPhantom, PatientTruth)
        do { built = try patient.build(voxelMM: voxelMM, subsamples: 2) } catch { throw PETSimulationError(error.description) }
        let (vp, pt) = built
        guard let nuc = Radionuclide.named(patient.tracer.nuclide) else { throw PETSimulationError("unknown radionuclide \(patient.tracer.nuclide)") }
        let male = patient.phantom.kind == .adultMale
        // ICRP 89 reference adults: 73 kg / 176 cm (male), 60 kg / 163 cm (female).
        let w = weightKg ?? (male ? 73 : 60) * patient.variability.volumeScale
        let h = heightCm ?? (male ? 176 : 163) * patient.variability.heightScale
        let injected = patient.administeredMBq * 1e6
        let decayed = injected * Decay.factor(halfLifeSeconds: nuc.halfLifeSeconds, elapsedSeconds: patient.hours * 3600)
        let factor = w * 1000 / decayed
        var image = vp.activity()
        image.units = "BQML"
        var concs: [String: Double] = [:], suvs: [String: Double] = [:]
        for o in pt.organs where o.volumeML > 0 {
            concs[o.name] = o.activityMBq * 1e6 / o.volumeML; suvs[o.name] = concs[o.name]! * factor
        }
        let lesions = pt.lesions.enumerated().map { k, l in
            PETLesion(name: "lesion\(k + 1)", center: Vector3(l.centerLPS[0], l.centerLPS[1], l.centerLPS[2]), diameterMM: l.diameterMM,
                      suv: l.concentrationBqPerML * factor)
        }
        for l in lesions { concs[l.name] = l.suv / factor; suvs[l.name] = l.suv }
        let spec = PETStudySpec(weightKg: w, heightCm: h, sex: male ? "M" : "F", injectedMBq: patient.administeredMBq,
                                uptakeSeconds: patient.hours * 3600, radionuclide: nuc.name, lesions: lesions, size: vp.size, voxelMM: voxelMM)
        let truth = PETTruth(halfLifeSeconds: nuc.halfLifeSeconds, decayDataSource: nuc.source, injectedBq: injected, decayedBq: decayed,
                             suvbwFactor: factor, concentrationsBqPerML: concs, suv: suvs, lesions: lesions,
                             notes: ["virtual patient \(patient.phantom.kind.rawValue), \(patient.tracer.name) at \(patient.hours) h (docs/virtual-patients.md)",
                                     "concentrations at the scan start; SUVbw = C × weight(g) / (injected × 2^(−uptake/T½))",
                                     "no resolution loss, no noise; partial-volume voxels hold volume-weighted concentrations (2³ subsamples)"])
        return PETSimulation(image: image, truth: truth, spec: spec)
    }
}
