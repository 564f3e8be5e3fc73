import Foundation
import Physics

/// Unit conversions used throughout the module.
public enum DoseUnits {
    /// Joules per MeV (CODATA 2018, exact since the 2019 SI: 1 eV = 1.602176634 × 10⁻¹⁹ J).
    public static let joulePerMeV = 1.602176634e-13
    /// mGy per (MBq·s) deposited in `massKg` when each decay deposits `energyMeV`.
    public static func mGyPerMBqS(energyMeV: Double, massKg: Double) -> Double {
        energyMeV * joulePerMeV * 1e6 / massKg * 1000
    }
}

/// Water mass energy-absorption coefficients μ_en/ρ (cm²/g), NIST SRD 126 (Hubbell & Seltzer, NISTIR 5632),
/// Table 4 "Water, Liquid", column μ_en/ρ; log-log interpolation between grid points.
enum WaterEnergyAbsorption {
    static let table: [(keV: Double, muEn: Double)] = [
        (10, 4.944), (15, 1.374), (20, 0.5503), (30, 0.1557), (40, 0.06947), (50, 0.04223), (60, 0.03190),
        (80, 0.02597), (100, 0.02546), (150, 0.02764), (200, 0.02967), (300, 0.03192), (400, 0.03279),
        (500, 0.03299), (600, 0.03284), (800, 0.03206), (1000, 0.03103), (1250, 0.02965), (1500, 0.02833), (2000, 0.02608),
    ]
    static func muEn(keV e: Double) -> Double {
        let t = table
        if e <= t[0].keV { return t[0].muEn }
        if e >= t[t.count - 1].keV { return t[t.count - 1].muEn }
        let i = t.firstIndex { $0.keV >= e }! - 1
        let f = log(e / t[i].keV) / log(t[i + 1].keV / t[i].keV)
        return exp(log(t[i].muEn) + f * log(t[i + 1].muEn / t[i].muEn))
    }
}

/// The unit-density sphere model for tumours (and any compact VOI).
///
/// S(m) = [Δ_np·φ_np + Σᵢ Δ_p,i·φ_p,i(m)] / m with Δ the mean energy per decay (``Radionuclide/meanLocalEnergyMeV``
/// for the non-penetrating part: β, α, conversion and Auger electrons, photons < 10 keV) and φ the absorbed
/// fractions. Electrons are fully absorbed (φ_np = 1), the convention of the OLINDA/EXM sphere model for spheres of
/// grams and more; photons use φ_p ≈ 1 − exp(−μ_en·3r/4) (3r/4 is the mean distance from a uniformly distributed
/// point to the surface of a sphere along a random direction), μ_en of water from NIST.
public struct SphereModel: Sendable, Equatable, Codable {
    /// Sphere mass, grams (unit density: also its volume in mL).
    public var massGrams: Double
    /// Include the photon self-absorbed fractions (false: electrons/alpha only).
    public var includePhotons: Bool
    /// Creates a sphere.
    public init(massGrams: Double, includePhotons: Bool = true) { self.massGrams = massGrams; self.includePhotons = includePhotons }

    /// Radius of the unit-density sphere, cm.
    public var radiusCm: Double { pow(3 * massGrams / (4 * Double.pi), 1.0 / 3) }

    /// Self-absorbed fraction of a photon line in this sphere (approximation above).
    public func photonAbsorbedFraction(keV: Double) -> Double {
        1 - exp(-WaterEnergyAbsorption.muEn(keV: keV) * 0.75 * radiusCm)
    }

    /// Self-dose S value, mGy/(MBq·s). For Ra-223 the progeny in secular equilibrium are included
    /// (``Radionuclide/meanLocalEnergyWithProgenyMeV``).
    public func sValue(_ nuclide: Radionuclide) throws(DosimetryError) -> Double {
        guard massGrams.isFinite, massGrams > 0 else { throw .invalidArgument("sphere mass must be > 0 g (got \(massGrams))") }
        var e = nuclide.meanLocalEnergyWithProgenyMeV
        if includePhotons {
            for p in nuclide.photons { e += p.yield * p.energyKeV / 1000 * photonAbsorbedFraction(keV: p.energyKeV) }
        }
        return DoseUnits.mGyPerMBqS(energyMeV: e, massKg: massGrams / 1000)
    }

    /// Mean absorbed dose (Gy) for a time-integrated activity in MBq·h.
    public func meanDoseGy(tiaMBqh: Double, nuclide: Radionuclide) throws(DosimetryError) -> Double {
        try sValue(nuclide) * tiaMBqh * 3600 / 1000
    }
}

/// Reference organs (ICRP Publication 89 reference adult masses) for organ self-dose S values.
public enum ReferenceOrgan: String, Sendable, Codable, CaseIterable {
    case kidneys, liver, spleen, thyroid, redMarrow, lungs, heartWall, urinaryBladderWall, salivaryGlands

    /// Reference mass in grams: ICRP Publication 89 (2002), Table 2.8, adult male / adult female.
    public func referenceMassGrams(male: Bool) -> Double {
        switch self {
        case .kidneys: return male ? 310 : 275
        case .liver: return male ? 1800 : 1400
        case .spleen: return male ? 150 : 130
        case .thyroid: return male ? 20 : 17
        case .redMarrow: return male ? 1170 : 900
        case .lungs: return male ? 1200 : 950
        case .heartWall: return male ? 330 : 250
        case .urinaryBladderWall: return male ? 50 : 40
        case .salivaryGlands: return male ? 85 : 70
        }
    }

    /// Looks up an organ by a VOI name (`kidney`, `Left Kidney`, `liver`…); nil when not a reference organ.
    public static func matching(_ name: String) -> ReferenceOrgan? {
        let n = name.lowercased().filter(\.isLetter)
        if n.contains("kidney") { return .kidneys }
        if n.contains("liver") { return .liver }
        if n.contains("spleen") { return .spleen }
        if n.contains("thyroid") { return .thyroid }
        if n.contains("marrow") { return .redMarrow }
        if n.contains("lung") { return .lungs }
        if n.contains("heart") { return .heartWall }
        if n.contains("bladder") { return .urinaryBladderWall }
        if n.contains("salivary") || n.contains("parotid") { return .salivaryGlands }
        return nil
    }
}

/// MIRD organ self-dose S values for a reference adult, scaled to the patient's organ mass.
///
/// Reference S: the organ as a unit-density sphere of the ICRP 89 reference mass (non-penetrating energy fully
/// absorbed, photon self-absorbed fraction as in ``SphereModel``). Mass scaling as in MIRD Pamphlet No. 11 and
/// OLINDA/EXM (Stabin, Sparks & Crowe, J Nucl Med 2005;46:1023): the non-penetrating part scales as m_ref/m, the
/// photon part as (m_ref/m)^(2/3). Cross-organ (photon) doses are not included: for β emitters they are a few per
/// cent of the self dose; this is stated in every result.
public struct OrganSValue: Sendable, Equatable, Codable {
    /// The organ.
    public var organ: ReferenceOrgan
    /// Reference phantom sex (ICRP 89 adult male or female).
    public var male: Bool
    /// Creates the model.
    public init(organ: ReferenceOrgan, male: Bool = true) { self.organ = organ; self.male = male }

    /// Non-penetrating and photon parts of the reference self S value, mGy/(MBq·s).
    public func referenceParts(_ nuclide: Radionuclide) -> (np: Double, photon: Double) {
        let m = organ.referenceMassGrams(male: male)
        let np = DoseUnits.mGyPerMBqS(energyMeV: nuclide.meanLocalEnergyWithProgenyMeV, massKg: m / 1000)
        let sphere = SphereModel(massGrams: m)
        var e = 0.0
        for p in nuclide.photons { e += p.yield * p.energyKeV / 1000 * sphere.photonAbsorbedFraction(keV: p.energyKeV) }
        return (np, DoseUnits.mGyPerMBqS(energyMeV: e, massKg: m / 1000))
    }

    /// Self S value for an organ of `patientMassGrams` (nil: the reference mass), mGy/(MBq·s).
    public func sValue(_ nuclide: Radionuclide, patientMassGrams: Double? = nil) throws(DosimetryError) -> Double {
        let (np, ph) = referenceParts(nuclide)
        guard let m = patientMassGrams else { return np + ph }
        guard m.isFinite, m > 0 else { throw .invalidArgument("organ mass must be > 0 g (got \(m))") }
        let r = organ.referenceMassGrams(male: male) / m
        return np * r + ph * pow(r, 2.0 / 3)
    }
}

/// Biologically effective dose (linear-quadratic model) for an exponentially decreasing dose rate.
///
/// BED = D·(1 + G·D/(α/β)) with the Lea–Catcheside factor for a dose rate Ḋ₀e^(−λt) (instant uptake) and
/// mono-exponential repair μ = ln2/T_rep: G = λ/(λ + μ) (Dale, Br J Radiol 1985;58:515). Kidney defaults
/// α/β = 2.6 Gy and T_rep = 2.8 h as used for PRRT by Bodei et al. (Eur J Nucl Med Mol Imaging 2008;35:1847) and
/// Wessels et al. (J Nucl Med 2008;49:1884).
public struct BEDModel: Sendable, Equatable, Codable {
    /// α/β in Gy.
    public var alphaBetaGy: Double
    /// Repair half-time, hours.
    public var repairHalfTimeHours: Double
    /// Creates a model (defaults: kidneys).
    public init(alphaBetaGy: Double = 2.6, repairHalfTimeHours: Double = 2.8) {
        self.alphaBetaGy = alphaBetaGy; self.repairHalfTimeHours = repairHalfTimeHours
    }

    /// The kidney model (α/β 2.6 Gy, T_rep 2.8 h).
    public static let kidneys = BEDModel()

    /// BED (Gy) of one cycle delivering `doseGy` with effective half-life `effectiveHalfLifeHours`.
    public func bed(doseGy: Double, effectiveHalfLifeHours: Double) throws(DosimetryError) -> Double {
        guard doseGy >= 0, doseGy.isFinite, effectiveHalfLifeHours > 0, alphaBetaGy > 0, repairHalfTimeHours > 0 else {
            throw .invalidArgument("BED needs dose ≥ 0 Gy, T_eff > 0 h, α/β > 0 Gy, T_rep > 0 h")
        }
        let g = repairHalfTimeHours / (repairHalfTimeHours + effectiveHalfLifeHours)  // = λ/(λ+μ)
        return doseGy * (1 + g * doseGy / alphaBetaGy)
    }

    /// Cumulative BED over cycles (each cycle's BED added: full repair between cycles weeks apart).
    public func cumulativeBED(cycles: [(doseGy: Double, effectiveHalfLifeHours: Double)]) throws(DosimetryError) -> Double {
        var s = 0.0
        for c in cycles { s += try bed(doseGy: c.doseGy, effectiveHalfLifeHours: c.effectiveHalfLifeHours) }
        return s
    }
}

/// Dose accumulated over several therapy cycles.
public struct CycleDose: Sendable, Equatable, Codable {
    /// Cycle number (1-based) or label.
    public var cycle: Int
    /// Mean absorbed dose in this cycle, Gy.
    public var doseGy: Double
    /// Effective half-life of the dose rate in this cycle, h (for BED).
    public var effectiveHalfLifeHours: Double?
    /// Creates an entry.
    public init(cycle: Int, doseGy: Double, effectiveHalfLifeHours: Double? = nil) {
        self.cycle = cycle; self.doseGy = doseGy; self.effectiveHalfLifeHours = effectiveHalfLifeHours
    }

    /// Sum of the cycles' doses, Gy.
    public static func cumulativeDose(_ cycles: [CycleDose]) -> Double { cycles.reduce(0) { $0 + $1.doseGy } }
}

/// Ra-223 and other alpha emitters: the relative biological effectiveness applied to the alpha part.
public enum AlphaRBE {
    /// RBE 5 for alpha particles for deterministic effects, the value recommended by MIRD Pamphlet No. 22
    /// (Sgouros et al., J Nucl Med 2010;51:311).
    public static let deterministic = 5.0
    /// Fraction of the local (non-penetrating) energy carried by alpha particles (progeny in equilibrium included).
    public static func alphaFraction(_ n: Radionuclide) -> Double {
        let local = n.meanLocalEnergyWithProgenyMeV
        return local > 0 ? n.meanAlphaEnergyWithProgenyMeV / local : 0
    }
    /// RBE-weighted dose (Gy(RBE)) for an absorbed dose from local deposition of `nuclide`.
    public static func weightedDose(_ doseGy: Double, nuclide: Radionuclide, rbe: Double = deterministic) -> Double {
        let f = alphaFraction(nuclide)
        return doseGy * (f * rbe + (1 - f))
    }
}
