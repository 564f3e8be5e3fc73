import Foundation
import Imaging

/// Errors of the reconstruction module.
public enum ReconstructionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An array does not have the size the geometry asks for.
    case sizeMismatch(what: String, expected: Int, actual: Int)
    /// A parameter is out of its valid range.
    case invalidParameter(String)
    /// Human explanation.
    public var description: String {
        switch self {
        case .sizeMismatch(let w, let e, let a): return "\(w): expected \(e) values, got \(a)"
        case .invalidParameter(let m): return m
        }
    }
}

/// The geometry of a SPECT acquisition and of its reconstruction grid (conventions of `docs/spect-geometry.md`).
///
/// - Grid: `n × n × slices` voxels, transaxial voxel size ``voxelSizeMM``, slice thickness ``sliceThicknessMM``,
///   centred at ``centre`` (LPS mm). The rotation axis is the z axis through the isocentre `(0, 0)`; the projector
///   works in a rotating frame of `n × n` points centred on that axis with the transaxial voxel spacing, so a grid
///   offset from the axis loses what falls outside that frame.
/// - Detector: ``columns`` × ``rows`` pixels of ``pixelSizeMM``; column axis t(θ) = (cos θ, sin θ, 0), rows from
///   head (row 0) to feet, axial centre ``detectorAxialCentreMM``.
/// - Views: gantry angles ``anglesDeg`` (0° anterior, clockwise seen from the feet) and radii ``radiiMM``
///   (rotation axis to collimator face) per view.
public struct SPECTGeometry: Sendable, Hashable, Codable {
    /// Transaxial voxels per side (x and y).
    public var n: Int
    /// Slices (z).
    public var slices: Int
    /// Transaxial voxel size, mm.
    public var voxelSizeMM: Double
    /// Slice spacing, mm.
    public var sliceThicknessMM: Double
    /// Patient position (LPS mm) of the centre of the grid.
    public var centre: Vector3
    /// Detector columns.
    public var columns: Int
    /// Detector rows.
    public var rows: Int
    /// Detector pixel size (square pixels), mm.
    public var pixelSizeMM: Double
    /// z (LPS mm) of the detector's axial centre (between rows `(rows-1)/2`).
    public var detectorAxialCentreMM: Double
    /// Gantry angle of each view, degrees.
    public var anglesDeg: [Double]
    /// Distance from the rotation axis to the collimator face for each view, mm.
    public var radiiMM: [Double]

    /// Creates a geometry. `radiiMM` must have one entry per angle (or exactly one, used for every view);
    /// the detector's axial centre defaults to the grid centre's z.
    public init(n: Int, slices: Int, voxelSizeMM: Double, sliceThicknessMM: Double? = nil,
                centre: Vector3 = .zero, columns: Int, rows: Int, pixelSizeMM: Double,
                detectorAxialCentreMM: Double? = nil, anglesDeg: [Double], radiiMM: [Double]) throws(ReconstructionError) {
        guard n > 0, slices > 0, columns > 0, rows > 0 else { throw .invalidParameter("grid and detector sizes must be positive") }
        guard voxelSizeMM > 0, pixelSizeMM > 0, (sliceThicknessMM ?? 1) > 0 else {
            throw .invalidParameter("voxel and pixel sizes must be positive")
        }
        guard !anglesDeg.isEmpty else { throw .invalidParameter("no views") }
        guard radiiMM.count == anglesDeg.count || radiiMM.count == 1 else {
            throw .sizeMismatch(what: "radii", expected: anglesDeg.count, actual: radiiMM.count)
        }
        self.n = n; self.slices = slices; self.voxelSizeMM = voxelSizeMM
        self.sliceThicknessMM = sliceThicknessMM ?? voxelSizeMM
        self.centre = centre; self.columns = columns; self.rows = rows; self.pixelSizeMM = pixelSizeMM
        self.detectorAxialCentreMM = detectorAxialCentreMM ?? centre.z
        self.anglesDeg = anglesDeg
        self.radiiMM = radiiMM.count == anglesDeg.count ? radiiMM : Array(repeating: radiiMM[0], count: anglesDeg.count)
    }

    /// Angles of a step-and-shoot rotation: θ_v = start + s·(arc/views)·v, s = +1 clockwise, −1 counter-clockwise,
    /// normalised to [0, 360).
    public static func orbitAngles(views: Int, startDeg: Double = 0, arcDeg: Double = 360,
                                   clockwise: Bool = true) -> [Double] {
        (0..<views).map { v in
            let a = startDeg + (clockwise ? 1 : -1) * arcDeg / Double(views) * Double(v)
            let m = a.truncatingRemainder(dividingBy: 360)
            return m < 0 ? m + 360 : m
        }
    }

    /// Number of views.
    public var views: Int { anglesDeg.count }
    /// Voxels in the grid.
    public var voxelCount: Int { n * n * slices }
    /// Values in one projection view.
    public var pixelsPerView: Int { columns * rows }
    /// Voxel volume in mL (cm³).
    public var voxelVolumeML: Double { voxelSizeMM * voxelSizeMM * sliceThicknessMM / 1000 }
    /// Patient position of voxel (0, 0, 0).
    public var origin: Vector3 {
        let h = Double(n - 1) / 2, hz = Double(slices - 1) / 2
        return Vector3(centre.x - h * voxelSizeMM, centre.y - h * voxelSizeMM, centre.z - hz * sliceThicknessMM)
    }
    /// The axis-aligned patient geometry of the grid (for ``Imaging/Volume``).
    public var imageGeometry: ImageGeometry {
        .axisAligned(origin: origin, spacing: Vector3(voxelSizeMM, voxelSizeMM, sliceThicknessMM))
    }
    /// Transaxial coordinate r = p·t(θ) of a point for view `v`, mm.
    public func detectorR(of p: Vector3, view v: Int) -> Double {
        let t = anglesDeg[v] * .pi / 180
        return p.x * cos(t) + p.y * sin(t)
    }
    /// Distance (mm) from a point to the collimator face in view `v`: d = R(θ) − p·u(θ).
    public func collimatorDistance(of p: Vector3, view v: Int) -> Double {
        let t = anglesDeg[v] * .pi / 180
        return radiiMM[v] - (p.x * sin(t) - p.y * cos(t))
    }
    /// The (fractional) column and row at which a point projects in view `v`
    /// (`c = r/Δ + (C−1)/2`, `ρ = (z_centre − z)/Δ + (R−1)/2`).
    public func detectorPosition(of p: Vector3, view v: Int) -> (column: Double, row: Double) {
        (detectorR(of: p, view: v) / pixelSizeMM + Double(columns - 1) / 2,
         (detectorAxialCentreMM - p.z) / pixelSizeMM + Double(rows - 1) / 2)
    }
}

/// A depth-dependent Gaussian collimator–detector response: σ(d) in mm at distance d (mm) from the collimator face,
/// applied separably in the transaxial (r) and axial (z) directions and truncated at ``truncationSigmas``.
public struct CollimatorResponse: Sendable {
    /// σ (mm) as a function of the distance to the collimator face (mm). Negative distances are clamped to 0.
    public var sigmaMM: @Sendable (Double) -> Double
    /// Kernel half-width in σ (default 3).
    public var truncationSigmas: Double
    /// A short description (for reports).
    public var label: String

    /// A response from any σ(d) (mm → mm).
    public init(label: String = "custom", truncationSigmas: Double = 3, sigmaMM: @escaping @Sendable (Double) -> Double) {
        self.sigmaMM = sigmaMM; self.truncationSigmas = truncationSigmas; self.label = label
    }

    /// The PyTomography/SIMIND fit σ(d) = sqrt((a·d + b)² + c²) with d, b, c in **mm** (a is dimensionless).
    public init(a: Double, b: Double, c: Double, truncationSigmas: Double = 3) {
        self.init(label: String(format: "sigma(d)=sqrt((%.5g*d+%.5g)^2+%.5g^2) mm", a, b, c),
                  truncationSigmas: truncationSigmas) { d in
            let g = a * d + b
            return (g * g + c * c).squareRoot()
        }
    }

    /// From a system FWHM(d) model (mm → mm), e.g. `{ collimator.systemFWHM(distanceMM: $0, energyKeV: 140.5) }`
    /// from the Physics module: σ = FWHM / 2.3548.
    public static func fromFWHM(label: String = "FWHM model", _ fwhmMM: @escaping @Sendable (Double) -> Double) -> CollimatorResponse {
        CollimatorResponse(label: label) { fwhmMM($0) / (8 * log(2.0)).squareRoot() }
    }

    /// Siemens LEHR at 140.5 keV with 3.8 mm intrinsic FWHM, the benchmark's model:
    /// σ(d) = sqrt((0.02019·d + 0.4714)² + 1.6108²) mm (the reference's 0.04714 cm and 0.16108 cm).
    public static let siemensLEHR = CollimatorResponse(a: 0.02019, b: 0.4714, c: 1.6108)
}
