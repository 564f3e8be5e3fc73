import Foundation
import Imaging
import Physics

/// A named energy window of the simulated camera.
public struct WindowSetting: Sendable, Codable, Equatable {
    /// Energy Window Name as the camera writes it, e.g. `Tc99m_PEAK`, `Tc99m_SC_LOW`.
    public var name: String
    /// Lower limit (keV).
    public var lowerKeV: Double
    /// Upper limit (keV).
    public var upperKeV: Double
    /// Creates a window.
    public init(name: String, lowerKeV: Double, upperKeV: Double) { self.name = name; self.lowerKeV = lowerKeV; self.upperKeV = upperKeV }
    /// Width (keV).
    public var widthKeV: Double { upperKeV - lowerKeV }

    /// The usual triple-energy-window set for a photopeak: the peak (`peakPercent` wide, e.g. 20 → ±10 %), then
    /// the adjacent lower and upper scatter windows, each `scatterPercent` of the photopeak energy wide.
    /// Order: peak, lower, upper.
    public static func tripleEnergyWindows(photopeakKeV e: Double, label: String, peakPercent: Double = 20,
                                           scatterPercent: Double = 7) -> [WindowSetting] {
        let lo = e * (1 - peakPercent / 200), hi = e * (1 + peakPercent / 200), w = e * scatterPercent / 100
        return [WindowSetting(name: "\(label)_\(Int(e))_PEAK", lowerKeV: round2(lo), upperKeV: round2(hi)),
                WindowSetting(name: "\(label)_\(Int(e))_SC_LOW", lowerKeV: round2(lo - w), upperKeV: round2(lo)),
                WindowSetting(name: "\(label)_\(Int(e))_SC_UP", lowerKeV: round2(hi), upperKeV: round2(hi + w))]
    }
    static func round2(_ v: Double) -> Double { (v * 100).rounded() / 100 }
}

/// How the simulator makes scattered counts (a transparent, deliberately simple model; see ``Camera``).
///
/// - Amount: photons emitted from a point whose optical depth to the detector along +u(θ) is τ = ∫μ ds reach
///   the detector with energies in the band E ± 10 % as primaries with probability exp(−τ) and as scatter with
///   probability exp(−τ)·(exp(β·τ) − 1): a build-up factor B = exp(β τ) (β = 1 − μ_broad/μ_narrow; 0.3 gives
///   μ_broad ≈ 0.108/cm for Tc-99m in water, within the 0.10–0.12/cm broad-beam values in use). Scatter-to-primary
///   is therefore exp(βτ) − 1, e.g. 0.59 at 10 cm of water at 140 keV (a 20 % window sees SPR ≈ 0.3–0.6 in
///   patients).
/// - Place: the scatter counts of each point are spread on the detector by a broad, normalised kernel (a sum of
///   Gaussians) centred on the point's projection.
/// - Energy: scattered photons of a line E₀ have the spectrum
///   g(E) ∝ ½erfc((E − E₀)/(√2σ_E)) · (1 + κ (E₀ − E)/E₀) · ½erfc((E_b − E)/(√2σ_E)), σ_E the energy resolution
///   at E₀ and E_b = E₀/(1 + 2E₀/511) the backscatter edge: flat-to-rising below the photopeak, blurred Compton
///   limit at E₀. Counts in any window are the integral of g over it, normalised so the E₀ ± 10 % band holds the
///   amount above: the photopeak and the scatter windows see the same scatter consistently.
public struct ScatterModel: Sendable, Codable, Equatable {
    /// Whether scatter is simulated at all.
    public var enabled: Bool
    /// β of the build-up factor exp(β τ).
    public var buildUpCoefficient: Double
    /// Widths (σ, mm) of the Gaussian components of the spatial kernel.
    public var kernelSigmasMM: [Double]
    /// Weights of the components (sum 1).
    public var kernelWeights: [Double]
    /// Slope κ of the scatter spectrum below the photopeak.
    public var spectrumSlope: Double
    /// Creates a model.
    public init(enabled: Bool = true, buildUpCoefficient: Double = 0.3, kernelSigmasMM: [Double] = [12, 45],
                kernelWeights: [Double] = [0.5, 0.5], spectrumSlope: Double = 0.5) {
        self.enabled = enabled; self.buildUpCoefficient = buildUpCoefficient; self.kernelSigmasMM = kernelSigmasMM
        self.kernelWeights = kernelWeights; self.spectrumSlope = spectrumSlope
    }
    /// No scatter.
    public static let none = ScatterModel(enabled: false)
}

/// The simulated gamma camera: collimator, detector resolution and efficiency, matrix, energy windows, scatter.
public struct Camera: Sendable {
    /// Collimator (resolution from `systemFWHM`, efficiency from `geometricEfficiency`).
    public var collimator: Collimator
    /// Intrinsic spatial resolution FWHM (mm).
    public var intrinsicFWHMmm: Double
    /// Energy resolution FWHM at 140 keV (%); scales as 1/√E.
    public var energyResolutionPercentAt140: Double
    /// Intrinsic photopeak-band detection efficiency of the crystal (1 = every photon that passes the collimator
    /// is detected; counts then equal A · ε_collimator · yield · t · window fraction).
    public var intrinsicEfficiency: Double
    /// Matrix columns.
    public var columns: Int
    /// Matrix rows.
    public var rows: Int
    /// Pixel size (mm), square pixels.
    public var pixelSizeMM: Double
    /// Energy windows, in the order the file will number them (1-based).
    public var windows: [WindowSetting]
    /// Scatter model.
    public var scatter: ScatterModel
    /// Manufacturer and model written to DICOM.
    public var manufacturer: String
    /// Model name written to DICOM.
    public var modelName: String
    /// Where the rotation axis lies in the patient (CT) frame written to DICOM (x, y in mm; z unused). The simulation
    /// itself runs with the axis at the origin; the files and the truth are written in the frame this places.
    public var axisPositionMM: Vector3 = .zero
    /// Table Height (mm) written in the Rotation Information (Siemens: the rotation axis lies at y = −Table Height).
    public var tableHeightMM: Double? = nil

    /// The DICOM geometry rule this camera's manufacturer follows (docs/vendor-geometry.md).
    public var geometryRule: NMVendorGeometry { NMVendorGeometry.identify(manufacturer: manufacturer, model: modelName) }

    /// Sets manufacturer, model and the patient frame as `vendor`'s camera writes them: `siemens` (Symbia T2, axis at
    /// y = −Table Height 173.1 mm), `ge` (Discovery NM/CT 670), `philips` (BrightView XCT), `mediso` (AnyScan SC);
    /// the last three with the rotation axis off the CT's origin, so that a reader must take it from the file.
    /// Throws nothing; returns false for an unknown vendor.
    public mutating func present(asVendor vendor: String) -> Bool {
        switch vendor.lowercased() {
        case "siemens": manufacturer = "SIEMENS"; modelName = "Symbia T2"; tableHeightMM = 173.1; axisPositionMM = Vector3(0, -173.1, 0)
        case "ge": manufacturer = "GE MEDICAL SYSTEMS"; modelName = "Discovery NM/CT 670"; axisPositionMM = Vector3(0, -35, 0)
        case "philips": manufacturer = "Philips Medical Systems"; modelName = "BrightView XCT"; axisPositionMM = Vector3(6, -60, 0)
        case "mediso": manufacturer = "MEDISO"; modelName = "AnyScan SC"; axisPositionMM = Vector3(-8, -45, 0)
        case "scinti": manufacturer = "Scinti"; modelName = "Scinti simulated dual-head camera"; axisPositionMM = .zero; tableHeightMM = nil
        default: return false
        }
        return true
    }

    /// Creates a camera.
    public init(collimator: Collimator, intrinsicFWHMmm: Double = 3.8, energyResolutionPercentAt140: Double = 9.5,
                intrinsicEfficiency: Double = 1, columns: Int = 128, rows: Int = 128, pixelSizeMM: Double = 4.7952,
                windows: [WindowSetting], scatter: ScatterModel = ScatterModel(),
                manufacturer: String = "Scinti", modelName: String = "Scinti simulated dual-head camera") {
        self.collimator = collimator; self.intrinsicFWHMmm = intrinsicFWHMmm
        self.energyResolutionPercentAt140 = energyResolutionPercentAt140; self.intrinsicEfficiency = intrinsicEfficiency
        self.columns = columns; self.rows = rows; self.pixelSizeMM = pixelSizeMM; self.windows = windows
        self.scatter = scatter; self.manufacturer = manufacturer; self.modelName = modelName
    }

    /// Energy resolution σ (keV) at `energyKeV`.
    public func energySigmaKeV(_ energyKeV: Double) -> Double {
        energyResolutionPercentAt140 / 100 * 140 * (energyKeV / 140).squareRoot() / 2.354820045
    }

    /// Fraction of primary (unscattered, fully absorbed) photons of `energyKeV` recorded in `window`.
    public func primaryFraction(energyKeV e: Double, window w: WindowSetting) -> Double {
        let s = energySigmaKeV(e) * 2.0.squareRoot()
        return 0.5 * (erf((w.upperKeV - e) / s) - erf((w.lowerKeV - e) / s))
    }

    /// Fraction of the E ± 10 % scatter (see ``ScatterModel``) of a line of `energyKeV` recorded in `window`.
    public func scatterFraction(energyKeV e: Double, window w: WindowSetting) -> Double {
        let band = integrateScatterSpectrum(e, 0.9 * e, 1.1 * e)
        return band > 0 ? integrateScatterSpectrum(e, w.lowerKeV, w.upperKeV) / band : 0
    }

    /// ∫ g(E) over [a, b] for a line e (Simpson's rule, 0.05 keV steps).
    func integrateScatterSpectrum(_ e: Double, _ a: Double, _ b: Double) -> Double {
        guard b > a else { return 0 }
        let s = energySigmaKeV(e) * 2.0.squareRoot()
        let eb = e / (1 + 2 * e / 511)
        let k = scatter.spectrumSlope
        func g(_ x: Double) -> Double { 0.25 * erfc((x - e) / s) * max(0, 1 + k * (e - x) / e) * erfc((eb - x) / s) }
        let n = max(2, Int(((b - a) / 0.05).rounded(.up)) / 2 * 2)
        let h = (b - a) / Double(n)
        var sum = g(a) + g(b)
        for i in 1..<n { sum += g(a + Double(i) * h) * (i % 2 == 1 ? 4 : 2) }
        return sum * h / 3
    }
}

/// Where a detector is for one view: gantry angle, distance of the collimator face from the rotation axis, and
/// the axial centre of its field of view (spect-geometry.md).
public struct DetectorPose: Sendable, Codable, Equatable {
    /// Gantry angle θ (degrees): 0 = anterior, 90 = patient left, clockwise seen from the feet.
    public var angleDeg: Double
    /// Radial position R(θ): rotation axis to collimator face (mm).
    public var radiusMM: Double
    /// z of the centre of the detector's rows (mm).
    public var axialCentreMM: Double
    /// Creates a pose.
    public init(angleDeg: Double, radiusMM: Double, axialCentreMM: Double = 0) {
        self.angleDeg = angleDeg; self.radiusMM = radiusMM; self.axialCentreMM = axialCentreMM
    }
}

/// A point source (exact position, no voxelisation).
public struct PointSource: Sendable, Codable, Equatable {
    /// Position (LPS, mm).
    public var position: Vector3
    /// Activity at the reference time (Bq).
    public var activityBq: Double
    /// Creates a point source.
    public init(position: Vector3, activityBq: Double) { self.position = position; self.activityBq = activityBq }
}

/// What emits: activity in voxels of a grid (Bq per voxel, sparse) and/or point sources.
public struct EmissionSource: Sendable {
    /// Grid size of the voxel emitters.
    public var size: GridSize
    /// Grid geometry (axis-aligned).
    public var geometry: ImageGeometry
    /// Linear indices of voxels that emit, ascending.
    public var indices: [Int32]
    /// Activity (Bq) of each listed voxel.
    public var activityBq: [Float]
    /// Point sources.
    public var points: [PointSource]

    /// Only point sources.
    public init(points: [PointSource]) {
        size = GridSize(x: 1, y: 1, z: 1); geometry = .axisAligned(); indices = []; activityBq = []; self.points = points
    }

    /// The voxels of a concentration volume (Bq/mL), plus optional points.
    public init(concentration v: Volume, points: [PointSource] = []) {
        size = v.size; geometry = v.geometry; self.points = points
        let ml = Float(v.geometry.spacing.x * v.geometry.spacing.y * v.geometry.spacing.z / 1000)
        var idx = [Int32](), act = [Float]()
        for (i, c) in v.voxels.enumerated() where c > 0 { idx.append(Int32(i)); act.append(c * ml) }
        indices = idx; activityBq = act
    }

    /// Total activity (Bq).
    public var totalBq: Double { activityBq.reduce(0) { $0 + Double($1) } + points.reduce(0) { $0 + $1.activityBq } }
}

/// Expected counts per second (no decay, no noise) of one view, per energy window, split into primary and scatter.
public struct ViewRates: Sendable {
    /// Per window, rows × columns primary count rates.
    public var primary: [[Float]]
    /// Per window, rows × columns scatter count rates.
    public var scatter: [[Float]]
    /// Primary + scatter of window `w`.
    public func total(_ w: Int) -> [Float] { zip(primary[w], scatter[w]).map { $0 + $1 } }
}
