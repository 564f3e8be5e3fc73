import Foundation

/// Materials with tabulated photon attenuation (NIST XCOM).
///
/// The mass attenuation coefficients are the total μ/ρ *with* coherent scattering of the NIST X-Ray Mass Attenuation
/// Coefficients tables (J. H. Hubbell and S. M. Seltzer, NIST Standard Reference Database 126, NISTIR 5632,
/// doi:10.18434/T4D01F; last data update July 2004; μ/ρ taken from the XCOM photon cross-section database), Table 4
/// (compounds and mixtures, compositions from ICRU Report 44) and Table 3 (lead), on the XCOM grid 50, 60, 80, 100,
/// 150, 200, 300, 400, 500, 600 keV. Between grid points the value is interpolated linearly in log μ/ρ versus
/// log E; outside 50–600 keV it is extrapolated log-log from the end intervals (documented, not tabulated data).
public enum Material: String, Sendable, CaseIterable, Codable {
    case water, softTissue, lung, corticalBone, air

    /// Density in g/cm³ (the value the XCOM/ICRU composition uses).
    ///
    /// - water: 1.000 (NIST SRD 126 Table 2, "Water, Liquid").
    /// - softTissue: 1.06 (NIST SRD 126 Table 2, "Tissue, Soft (ICRU-44)").
    /// - lung: **0.26**, the density of *inflated* adult lung (ICRU Report 44 / ICRU 46 value for lung in vivo); the
    ///   composition and μ/ρ are NIST's "Lung Tissue (ICRU-44)", whose table density 1.05 g/cm³ is that of the
    ///   (deflated, blood-filled) tissue. Use ``Material/lungTissueDensity`` for the latter.
    /// - corticalBone: 1.92 (NIST SRD 126 Table 2, "Bone, Cortical (ICRU-44)").
    /// - air: 1.205 × 10⁻³ (NIST SRD 126 Table 2, "Air, Dry (near sea level)").
    public var density: Double {
        switch self {
        case .water: return 1.0
        case .softTissue: return 1.06
        case .lung: return 0.26
        case .corticalBone: return 1.92
        case .air: return 1.205e-3
        }
    }

    /// Density of the lung *tissue* itself (NIST SRD 126 Table 2, "Lung Tissue (ICRU-44)": 1.05 g/cm³); ``density``
    /// of `.lung` is the inflated-lung value 0.26 g/cm³.
    public static let lungTissueDensity = 1.05

    /// Total mass attenuation coefficient with coherent scattering, cm²/g, at `energyKeV` (50–511 keV, log-log
    /// interpolation of the NIST XCOM table).
    public func massAttenuation(energyKeV: Double) -> Double {
        XCOMTable.logLog(energyKeV, XCOMTable.energiesKeV, XCOMTable.values(self))
    }
    /// Linear attenuation coefficient μ in 1/cm.
    public func mu(energyKeV: Double) -> Double { massAttenuation(energyKeV: energyKeV) * density }
}

/// Lead, for collimator septal penetration (NIST SRD 126 Table 3, Z = 82).
public enum Lead {
    /// Density of lead, 11.35 g/cm³ (NIST SRD 126 Table 1, Z = 82).
    public static let density = 11.35
    /// Total mass attenuation coefficient of lead with coherent scattering, cm²/g, log-log interpolated in the NIST
    /// table (50–600 keV) on the correct side of the K edge at 88.0045 keV.
    public static func massAttenuation(energyKeV: Double) -> Double {
        if energyKeV < XCOMTable.leadKEdgeKeV {
            return XCOMTable.logLog(energyKeV, XCOMTable.leadBelowKEnergies, XCOMTable.leadBelowK)
        }
        return XCOMTable.logLog(energyKeV, XCOMTable.leadAboveKEnergies, XCOMTable.leadAboveK)
    }
    /// Linear attenuation coefficient of lead in 1/mm.
    public static func muPerMM(energyKeV: Double) -> Double { massAttenuation(energyKeV: energyKeV) * density / 10 }
}

/// The NIST tables (cm²/g). Values copied from NIST SRD 126 (Hubbell & Seltzer), column μ/ρ, as also distributed in
/// PyTomography 3.4.0 `data/NIST_attenuation_data/*.csv` (checked equal, digit for digit, for water, air, cortical
/// bone, lung tissue, skeletal muscle and lead).
enum XCOMTable {
    static let energiesKeV: [Double] = [50, 60, 80, 100, 150, 200, 300, 400, 500, 600]

    /// "Water, Liquid" (NIST SRD 126 Table 4, ComTab/water.html).
    static let water: [Double] = [0.2269, 0.2059, 0.1837, 0.1707, 0.1505, 0.1370, 0.1186, 0.1061, 0.09687, 0.08956]
    /// "Tissue, Soft (ICRU-44)". 50–100 keV: NIST SRD 126 Table 4, ComTab/tissue.html (0.2264, 0.2048, 0.1823,
    /// 0.1693). 150–600 keV: NOT read from the soft-tissue page here (not reachable from this workplace); the values
    /// are NIST's "Muscle, Skeletal (ICRU-44)" (ComTab/muscle.html), whose ICRU-44 composition differs from soft
    /// tissue by ≤ 0.2 % by weight per element (same H, C, N, S; O 71.0 vs 70.8 %) — in this Compton-dominated range
    /// μ/ρ ∝ Z/A and the two agree to the 4 digits given at 60–100 keV, where both pages were read.
    static let softTissue: [Double] = [0.2264, 0.2048, 0.1823, 0.1693, 0.1492, 0.1358, 0.1176, 0.1052, 0.09598, 0.08874]
    /// "Lung Tissue (ICRU-44)" (NIST SRD 126 Table 4, ComTab/lung.html).
    static let lung: [Double] = [0.2270, 0.2053, 0.1826, 0.1695, 0.1493, 0.1359, 0.1177, 0.1053, 0.09607, 0.08882]
    /// "Bone, Cortical (ICRU-44)" (NIST SRD 126 Table 4, ComTab/bone.html).
    static let corticalBone: [Double] = [0.4242, 0.3148, 0.2229, 0.1855, 0.1480, 0.1309, 0.1113, 0.09908, 0.09022, 0.08332]
    /// "Air, Dry (near sea level)" (NIST SRD 126 Table 4, ComTab/air.html).
    static let air: [Double] = [0.2080, 0.1875, 0.1662, 0.1541, 0.1356, 0.1233, 0.1067, 0.09549, 0.08712, 0.08055]

    /// Lead K-shell absorption edge, keV (NIST SRD 126 Table 3, Z = 82: 8.80045E-02 MeV).
    static let leadKEdgeKeV = 88.0045
    /// Lead below the K edge: 40, 50, 60, 80, 88.0045⁻ keV (NIST SRD 126 Table 3, ElemTab/z82.html).
    static let leadBelowKEnergies: [Double] = [40, 50, 60, 80, 88.0045]
    static let leadBelowK: [Double] = [14.36, 8.041, 5.021, 2.419, 1.910]
    /// Lead above the K edge: 88.0045⁺, 100 … 600 keV (NIST SRD 126 Table 3).
    static let leadAboveKEnergies: [Double] = [88.0045, 100, 150, 200, 300, 400, 500, 600]
    static let leadAboveK: [Double] = [7.683, 5.549, 2.014, 0.9985, 0.4031, 0.2323, 0.1614, 0.1248]

    static func values(_ m: Material) -> [Double] {
        switch m {
        case .water: return water
        case .softTissue: return softTissue
        case .lung: return lung
        case .corticalBone: return corticalBone
        case .air: return air
        }
    }

    /// Linear interpolation of log y against log x; log-log extrapolation from the end intervals outside the grid.
    /// Non-finite or non-positive energies give the value at the lowest grid point (never NaN).
    static func logLog(_ x: Double, _ xs: [Double], _ ys: [Double]) -> Double {
        guard x.isFinite, x > 0 else { return ys[0] }
        var i = 0
        while i < xs.count - 2 && x > xs[i + 1] { i += 1 }
        let x0 = log(xs[i]), x1 = log(xs[i + 1]), y0 = log(ys[i]), y1 = log(ys[i + 1])
        let t = (log(x) - x0) / (x1 - x0)
        return exp(y0 + t * (y1 - y0))
    }
}

/// CT numbers to linear attenuation at an emission energy: the bilinear model (water–air below the break point,
/// water–bone above it) with a kVp-dependent bone slope.
///
/// Model (Kinahan et al., Med. Phys. 25:2046 (1998), doi:10.1118/1.598392; Bai et al., IEEE TNS 50:1510 (2003),
/// doi:10.1109/TNS.2003.817281; break points and slopes per kVp from Carney et al., Med. Phys. 33:976 (2006),
/// doi:10.1118/1.2174132, Table 1):
/// - HU ≤ BP(kVp): water–air mixture, μ(E) = μ_water(E) · (1 + HU/1000) (air taken as 0; clipped at 0).
/// - HU > BP(kVp): water–cortical-bone mixture, μ(E) = μ_water(E)(1 + BP/1000) + (HU − BP) · (μ_bone(E) − μ_water(E)) / HU_bone(kVp).
///
/// HU_bone(kVp), the CT number that pure ICRU-44 cortical bone (1.92 g/cm³) would have on that scanner, is
/// recovered from Carney's 511-keV bone-segment slope a(kVp) (cm⁻¹ per HU): HU_bone = (μ_bone(511) − μ_water(511)) / a.
/// At E = 511 keV the model therefore reproduces Carney's curve exactly; at other energies the same water/bone
/// mixing fraction is applied to the XCOM μ of water and bone at E. Carney's Table 1 (Siemens Biograph CT):
/// 80 kVp a = 3.64e-5, BP = 50 HU; 100 kVp 4.43e-5, 52; 120 kVp 5.10e-5, 47; 140 kVp 5.64e-5, 30 (their BP is
/// quoted as HU + 1000: 1050, 1052, 1047, 1030). Between these kVp the coefficients are interpolated linearly, and
/// clamped outside 80–140 kVp. (110 and 130 kVp rows are not used: the two transcriptions found differ there.)
public struct HUToMu: Sendable, Equatable {
    /// Photon energy of the emission in keV.
    public var energyKeV: Double
    /// Tube voltage of the CT in kVp.
    public var kVp: Double
    /// Creates the model.
    public init(energyKeV: Double, kVp: Double) { self.energyKeV = energyKeV; self.kVp = kVp }

    /// Carney et al. 2006, Table 1: (kVp, a in cm⁻¹/HU at 511 keV, break point in HU).
    static let carney: [(kVp: Double, a: Double, breakHU: Double)] = [
        (80, 3.64e-5, 50), (100, 4.43e-5, 52), (120, 5.10e-5, 47), (140, 5.64e-5, 30),
    ]

    static func carneyCoefficients(kVp: Double) -> (a: Double, breakHU: Double) {
        let t = carney
        let k = kVp.isFinite ? kVp : 120
        if k <= t[0].kVp { return (t[0].a, t[0].breakHU) }
        if k >= t[t.count - 1].kVp { return (t[t.count - 1].a, t[t.count - 1].breakHU) }
        var i = 0
        while k > t[i + 1].kVp { i += 1 }
        let f = (k - t[i].kVp) / (t[i + 1].kVp - t[i].kVp)
        return (t[i].a + f * (t[i + 1].a - t[i].a), t[i].breakHU + f * (t[i + 1].breakHU - t[i].breakHU))
    }

    /// Break point between the water–air and water–bone segments, HU (Carney et al. 2006).
    public var breakPointHU: Double { Self.carneyCoefficients(kVp: kVp).breakHU }

    /// CT number that pure ICRU-44 cortical bone has at this kVp, derived from Carney's 511-keV slope (about 2080 HU
    /// at 80 kVp, 1480 HU at 120 kVp, 1340 HU at 140 kVp).
    public var corticalBoneHU: Double {
        let a = Self.carneyCoefficients(kVp: kVp).a
        return (Material.corticalBone.mu(energyKeV: 511) - Material.water.mu(energyKeV: 511)) / a
    }

    /// Slope of the bone segment at this emission energy, cm⁻¹ per HU.
    public var boneSlopePerHU: Double {
        (Material.corticalBone.mu(energyKeV: energyKeV) - Material.water.mu(energyKeV: energyKeV)) / corticalBoneHU
    }

    /// μ in 1/cm for a CT number (HU). Values below −1000 give 0; never negative.
    public func mu(hu: Double) -> Double {
        guard hu.isFinite else { return hu == .infinity ? mu(hu: 4000) : 0 }
        let muW = Material.water.mu(energyKeV: energyKeV)
        let bp = breakPointHU
        let value: Double
        if hu <= bp {
            value = muW * (1 + hu / 1000)
        } else {
            value = muW * (1 + bp / 1000) + (hu - bp) * boneSlopePerHU
        }
        return max(0, value)
    }

    /// μ in 1/mm (the unit of the reconstruction grid, see docs/spect-geometry.md).
    public func muPerMM(hu: Double) -> Double { mu(hu: hu) / 10 }
}
