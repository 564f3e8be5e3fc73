import Foundation
import Imaging

/// One organ or tumour of a serial therapy study: an ellipsoid with a CT number and known kinetics.
///
/// Kinetics: total activity in the VOI A(t) = A₀·(e^(−λ_w t) − e^(−λ_u t)) (MBq, uptake–washout; uptake half-life
/// 0 gives the mono-exponential A₀·e^(−λ_w t)), so the true time-integrated activity is A₀·(1/λ_w − 1/λ_u).
public struct SerialStudyOrgan: Sendable, Equatable, Codable {
    /// VOI name (`kidneys`, `liver`, `spleen`, `tumour`…).
    public var name: String
    /// Centre (patient LPS, mm) and semi-axes (mm) in the reference position.
    public var center: Vector3, semiAxesMM: Vector3
    /// CT number, HU.
    public var hu: Float
    /// A₀ (MBq), washout (effective) half-life (h) and uptake half-life (h, 0 = instantaneous).
    public var a0MBq: Double, washoutHalfLifeHours: Double, uptakeHalfLifeHours: Double

    /// Creates an organ.
    public init(name: String, center: Vector3, semiAxesMM: Vector3, hu: Float, a0MBq: Double,
                washoutHalfLifeHours: Double, uptakeHalfLifeHours: Double = 0) {
        self.name = name; self.center = center; self.semiAxesMM = semiAxesMM; self.hu = hu; self.a0MBq = a0MBq
        self.washoutHalfLifeHours = washoutHalfLifeHours; self.uptakeHalfLifeHours = uptakeHalfLifeHours
    }

    /// Activity in the organ at `t` hours after administration, MBq.
    public func activityMBq(atHours t: Double) -> Double {
        let w = exp(-log(2) / washoutHalfLifeHours * t)
        return uptakeHalfLifeHours > 0 ? a0MBq * (w - exp(-log(2) / uptakeHalfLifeHours * t)) : a0MBq * w
    }

    /// True time-integrated activity 0 → ∞, MBq·h.
    public var tiaMBqh: Double {
        a0MBq * (washoutHalfLifeHours - uptakeHalfLifeHours) / log(2)
    }

    func contains(_ p: Vector3) -> Bool {
        let d = p - center
        let x = d.x / semiAxesMM.x, y = d.y / semiAxesMM.y, z = d.z / semiAxesMM.z
        return x * x + y * y + z * z <= 1
    }
}

/// A patient repositioning: the anatomy at reference point p appears at R·p + t in the scanner (R = Rz·Ry·Rx,
/// angles in degrees, about the patient origin).
public struct Repositioning: Sendable, Equatable, Codable {
    /// Rotations about x, y, z (degrees) and translation (mm).
    public var rotationDeg: Vector3, translationMM: Vector3
    /// Creates a repositioning.
    public init(rotationDeg: Vector3 = .zero, translationMM: Vector3 = .zero) {
        self.rotationDeg = rotationDeg; self.translationMM = translationMM
    }
    var matrix: [[Double]] { EulerRotation.matrixZYX(degrees: rotationDeg) }   // Rz·Ry·Rx
    /// The reference-anatomy point seen at scanner point q: Rᵀ(q − t).
    public func anatomyPoint(atScanner q: Vector3) -> Vector3 {
        let m = matrix, d = q - translationMM
        return Vector3(m[0][0] * d.x + m[1][0] * d.y + m[2][0] * d.z,
                       m[0][1] * d.x + m[1][1] * d.y + m[2][1] * d.z,
                       m[0][2] * d.x + m[1][2] * d.y + m[2][2] * d.z)
    }
}

/// One visit of a serial study: CT (HU) and quantitative SPECT (Bq/mL) on the same grid, in scanner coordinates.
public struct SerialTimePoint: Sendable {
    /// Hours after administration (acquisition time; the SPECT is decay-corrected to this time only).
    public var hours: Double
    /// CT in HU.
    public var ct: Volume
    /// Activity concentration in Bq/mL.
    public var spect: Volume
    /// How the patient lay at this visit relative to the reference anatomy.
    public var repositioning: Repositioning
}

/// A simulated serial SPECT/CT therapy study with known kinetics and known repositioning.
///
/// What is simulated (stated so that results are read correctly): the SPECT is the *ideal* quantitative image —
/// the true activity concentration sampled on the grid (2³ sub-samples per voxel), optionally blurred by a
/// Gaussian of the given FWHM and perturbed by seeded multiplicative Gaussian noise — not a projection +
/// reconstruction (the OSEM chain at CI size would dominate the test time). The CT is the analytic anatomy in HU.
public struct SerialStudy: Sendable {
    /// The organs with their kinetics (reference position).
    public var organs: [SerialStudyOrgan]
    /// The visits.
    public var timePoints: [SerialTimePoint]
    /// Reference-position label map on the grid (0 = none, i + 1 = organs[i]).
    public var labels: [UInt16]

    /// Organs of the default Lu-177 study (reference position) with their kinetics.
    public static let lu177DefaultOrgans: [SerialStudyOrgan] = [
        SerialStudyOrgan(name: "liver", center: Vector3(-35, -5, 10), semiAxesMM: Vector3(38, 32, 30), hu: 60,
                         a0MBq: 400, washoutHalfLifeHours: 70, uptakeHalfLifeHours: 1.5),
        SerialStudyOrgan(name: "left kidney", center: Vector3(40, 25, -25), semiAxesMM: Vector3(16, 16, 28), hu: 35,
                         a0MBq: 150, washoutHalfLifeHours: 50, uptakeHalfLifeHours: 2),
        SerialStudyOrgan(name: "spleen", center: Vector3(45, 10, 45), semiAxesMM: Vector3(20, 22, 26), hu: 45,
                         a0MBq: 90, washoutHalfLifeHours: 65, uptakeHalfLifeHours: 1),
        SerialStudyOrgan(name: "tumour", center: Vector3(-10, -35, -50), semiAxesMM: Vector3(18, 18, 18), hu: 40,
                         a0MBq: 60, washoutHalfLifeHours: 110, uptakeHalfLifeHours: 6),
    ]
    /// Visits of the default Lu-177 study: hours after administration and the repositioning at each.
    public static let lu177DefaultVisits: [(hours: Double, repositioning: Repositioning)] = [
        (4, Repositioning()),
        (24, Repositioning(rotationDeg: Vector3(2, -1, 3), translationMM: Vector3(6, -4, 5))),
        (96, Repositioning(rotationDeg: Vector3(-2, 2, -4), translationMM: Vector3(-5, 7, -3))),
        (168, Repositioning(rotationDeg: Vector3(1, 3, 2), translationMM: Vector3(3, 5, 8))),
    ]

    /// The default Lu-177 PRRT-like study: body, kidneys, liver, spleen, a 30-mm tumour; visits at 4, 24, 96,
    /// 168 h; repositioned at each visit by a few mm and degrees.
    public static func lu177Default(size: GridSize = GridSize(x: 48, y: 40, z: 48), voxelMM: Double = 4.8,
                                    fwhmMM: Double = 0, noise: Double = 0.03, seed: UInt64 = 177) -> SerialStudy {
        make(organs: lu177DefaultOrgans, visits: lu177DefaultVisits, size: size, voxelMM: voxelMM, fwhmMM: fwhmMM, noise: noise, seed: seed)
    }

    /// VOI masks on the reference grid covering each organ with a margin: voxels whose centre lies inside the
    /// ellipsoid with semi-axes grown by `marginMM` (so boundary voxels that hold part of the organ's activity, and
    /// the edge blur of resampling, are inside). Organs of the default study are > 2 margins apart.
    public func coveringMasks(marginMM: Double) -> [[Bool]] {
        guard let g = timePoints.first?.spect.geometry, let size = timePoints.first?.spect.size else { return [] }
        return organs.map { o in
            var grown = o
            grown.semiAxesMM = o.semiAxesMM + Vector3(marginMM, marginMM, marginMM)
            var m = [Bool](repeating: false, count: size.count)
            for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x where grown.contains(g.patientPosition(i, j, k)) {
                m[i + size.x * (j + size.y * k)] = true
            } } }
            return m
        }
    }

    /// The inactive anatomy every study shares (reference position): body outline (10 HU), spine (700 HU), lung
    /// (−800 HU); ellipsoids. The lung overlaps the top of the spleen (z > 40 mm); there the CT shows the organ.
    public static let anatomy = (
        body: SerialStudyOrgan(name: "body", center: Vector3(0, 0, 0), semiAxesMM: Vector3(105, 80, 200), hu: 10,
                               a0MBq: 0, washoutHalfLifeHours: 1),
        spine: SerialStudyOrgan(name: "spine", center: Vector3(0, 45, 0), semiAxesMM: Vector3(12, 12, 300), hu: 700,
                                a0MBq: 0, washoutHalfLifeHours: 1),
        lung: SerialStudyOrgan(name: "lung", center: Vector3(25, 0, 85), semiAxesMM: Vector3(35, 40, 45), hu: -800,
                               a0MBq: 0, washoutHalfLifeHours: 1))

    /// Builds a study on an axis-aligned grid centred on the origin.
    public static func make(organs: [SerialStudyOrgan], visits: [(hours: Double, repositioning: Repositioning)],
                            size: GridSize, voxelMM: Double, fwhmMM: Double, noise: Double, seed: UInt64) -> SerialStudy {
        let origin = Vector3(-voxelMM * Double(size.x - 1) / 2, -voxelMM * Double(size.y - 1) / 2, -voxelMM * Double(size.z - 1) / 2)
        let g = ImageGeometry.axisAligned(origin: origin, spacing: Vector3(voxelMM, voxelMM, voxelMM))
        let (body, spine, lung) = (anatomy.body, anatomy.spine, anatomy.lung)
        func organIndex(_ p: Vector3) -> Int? { organs.firstIndex { $0.contains(p) } }
        // Reference labels (voxel centres) and organ volumes by 2³ sub-samples.
        let sub = [-0.25, 0.25].map { $0 * voxelMM }
        var labels = [UInt16](repeating: 0, count: size.count)
        var volumeML = [Double](repeating: 0, count: organs.count)
        let voxelML = voxelMM * voxelMM * voxelMM / 1000
        for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x {
            let p = g.patientPosition(i, j, k)
            if let o = organIndex(p) { labels[i + size.x * (j + size.y * k)] = UInt16(o + 1) }
            for dx in sub { for dy in sub { for dz in sub {
                if let o = organIndex(p + Vector3(dx, dy, dz)) { volumeML[o] += voxelML / 8 }
            } } }
        } } }
        var rng = SeededGenerator(seed: seed)
        var points: [SerialTimePoint] = []
        for (hours, pose) in visits {
            var ct = [Float](repeating: -1000, count: size.count)
            var spect = [Float](repeating: 0, count: size.count)
            let conc = organs.enumerated().map { $0.element.activityMBq(atHours: hours) * 1e6 / max(volumeML[$0.offset], 1e-9) }
            for k in 0..<size.z { for j in 0..<size.y { for i in 0..<size.x {
                let q = g.patientPosition(i, j, k)
                let p = pose.anatomyPoint(atScanner: q)
                let n = i + size.x * (j + size.y * k)
                if body.contains(p) {
                    // An organ wins over the lung and spine it overlaps (the spleen's top reaches into the lung
                    // ellipsoid), as in ``cameraPhantom``: the CT shows the organ's tissue where its activity is.
                    ct[n] = organIndex(p).map { organs[$0].hu } ?? (spine.contains(p) ? spine.hu : lung.contains(p) ? lung.hu : body.hu)
                }
                var a = 0.0
                for dx in sub { for dy in sub { for dz in sub {
                    if let o = organIndex(pose.anatomyPoint(atScanner: q + Vector3(dx, dy, dz))) { a += conc[o] / 8 }
                } } }
                spect[n] = Float(a)
            } } }
            if fwhmMM > 0 { let sigma = fwhmMM / 2.3548 / voxelMM; spect = GaussianFilter.smooth(spect, size: size, sigmaVoxels: (sigma, sigma, sigma), edges: .zero) }
            if noise > 0 {
                for n in spect.indices where spect[n] > 0 { spect[n] *= Float(max(0, 1 + noise * rng.normal())) }
            }
            points.append(SerialTimePoint(hours: hours,
                                          ct: Volume(unchecked: size, voxels: ct, geometry: g, units: "HU"),
                                          spect: Volume(unchecked: size, voxels: spect, geometry: g, units: "Bq/mL"),
                                          repositioning: pose))
        }
        return SerialStudy(organs: organs, timePoints: points, labels: labels)
    }
}
