import Foundation
import Physics

/// Electron stopping powers and the continuous-slowing-down (CSDA) range of liquid water, for the Monte Carlo
/// engine's condensed-history electrons (``MonteCarloDose``).
///
/// - Collision: the Bethe formula for electrons as in ICRU Report 37 (1984) eq. 2.6, with I = 75 eV and
///   Z/A = 0.555087 for water, and the Sternheimer, Berger & Seltzer (1984) density-effect parameters of liquid water
///   (C̄ = 3.5017, X₀ = 0.2400, X₁ = 2.8004, a = 0.09116, m = 3.4773) — the formula and data NIST's ESTAR uses.
/// - Radiative: Bethe–Heitler without screening, S_rad/ρ = α r_e² N_A Σ wᵢ Zᵢ(Zᵢ+1)/Aᵢ · (T + mc²) · Φ with
///   Φ = max(16/3, 4 ln(2(T + mc²)/mc²) − 4/3) (≈ 1 % of the total at 2 MeV in water; its ±10 % accuracy moves the
///   range by < 0.1 %).
/// - Range: R(T) = ∫ dT / S_total from 1 keV (R(1 keV) = 1 keV / S(1 keV)).
///
/// Checked against ESTAR's CSDA ranges in `ElectronStoppingPowerTests`. Other media are treated as water with their
/// electron density: a mass thickness in a medium counts as (Z/A)_medium / (Z/A)_water of water's
/// (``electronDensityRatio(_:)``; the I-value's effect, a logarithmic one, is not modelled).
public enum ElectronStoppingPower {
    static let mc2 = 0.51099895
    /// 2π r_e² m c² N_A, MeV·cm²/mol.
    static let bethe = 0.1535375
    static let waterZoverA = 0.555087
    static let waterI = 75.0e-6
    /// Standard atomic weights (IUPAC 2021, abridged) of the elements the engine has photon data for.
    static let atomicWeight: [Int: Double] = [
        1: 1.008, 2: 4.0026, 3: 6.94, 4: 9.0122, 5: 10.81, 6: 12.011, 7: 14.007, 8: 15.999, 9: 18.998, 10: 20.180,
        11: 22.990, 12: 24.305, 13: 26.982, 14: 28.085, 15: 30.974, 16: 32.06, 17: 35.45, 18: 39.948, 19: 39.098,
        20: 40.078, 21: 44.956, 22: 47.867, 23: 50.942, 24: 51.996, 25: 54.938, 26: 55.845, 27: 58.933, 28: 58.693,
        29: 63.546, 30: 65.38, 53: 126.90, 56: 137.33, 82: 207.2]

    /// Collision stopping power of water, MeV·cm²/g, at kinetic energy `t` (MeV, ≥ 1 keV).
    public static func collisionWater(mev t0: Double) -> Double {
        let t = max(t0, 0.001)
        let tau = t / mc2, g = tau + 1, beta2 = 1 - 1 / (g * g)
        let f = 1 - beta2 + (tau * tau / 8 - (2 * tau + 1) * log(2.0)) / (g * g)
        let x = log10((tau * (tau + 2)).squareRoot())
        let delta: Double
        if x < 0.24 { delta = 0 } else if x < 2.8004 { delta = 4.6052 * x + 0.09116 * pow(2.8004 - x, 3.4773) - 3.5017 } else { delta = 4.6052 * x - 3.5017 }
        let ratio = waterI / mc2
        let bracket = log(tau * tau * (tau + 2) / (2 * ratio * ratio)) + f - delta
        return bethe * waterZoverA / beta2 * bracket
    }

    /// Radiative stopping power of water, MeV·cm²/g (Bethe–Heitler, unscreened; see the type's notes).
    public static func radiativeWater(mev t: Double) -> Double {
        // α r_e² N_A = 5.7946e-28 cm² × 6.02214e23 /mol; water: 2/18.015 g of H (Z = 1), 16/18.015 of O (Z = 8).
        let zz = (0.111894 / 1.008) * 2 + (0.888106 / 15.999) * 72
        let e = t + mc2
        let phi = max(16.0 / 3, 4 * log(2 * e / mc2) - 4.0 / 3)
        return 5.7946e-28 * 6.02214e23 * zz * e * phi
    }

    /// Total (collision + radiative) stopping power of water, MeV·cm²/g.
    public static func totalWater(mev t: Double) -> Double { collisionWater(mev: t) + radiativeWater(mev: t) }

    /// The range integrand in u = ln T: dR/du = T / S_total(T) (g/cm²).
    static func rangeIntegrand(logMeV u: Double) -> Double { let e = exp(u); return e / totalWater(mev: e) }

    /// Energy-transfer threshold of the hard (δ-ray producing) collisions the Monte Carlo engine samples one by one,
    /// MeV; softer collisions are continuous (``restrictedWater(mev:)``). Equal to the electron tracking cut-off.
    public static let hardCollisionThresholdMeV = 0.01

    /// 2π r_e² m c² N_A (Z/A)_water / β²: the free-electron (Rutherford) collision cross-section of water per unit
    /// energy transfer W is this / W², per g/cm² (ICRU Report 37 §2; the Møller terms that differ from it near W = T/2
    /// are left out, for the mean loss and its sampling alike, so the mean stays the Bethe value).
    static func hardCoefficient(mev t: Double) -> Double {
        let g = t / mc2 + 1
        return bethe * waterZoverA / (1 - 1 / (g * g))
    }

    /// Mean energy lost per g/cm² of water in hard collisions (W from ``hardCollisionThresholdMeV`` to T/2),
    /// MeV·cm²/g: k/β² · ln(T / 2Δ); 0 below 2Δ.
    public static func hardWater(mev t: Double) -> Double {
        let d = hardCollisionThresholdMeV
        guard t > 2 * d else { return 0 }
        return hardCoefficient(mev: t) * log(t / (2 * d))
    }

    /// Number of hard collisions per g/cm² of water: k/β² · (1/Δ − 2/T); 0 below 2Δ.
    public static func hardCollisionsWater(mev t: Double) -> Double {
        let d = hardCollisionThresholdMeV
        guard t > 2 * d else { return 0 }
        return hardCoefficient(mev: t) * (1 / d - 2 / t)
    }

    /// Restricted stopping power of water (collision losses below ``hardCollisionThresholdMeV`` plus radiative),
    /// MeV·cm²/g: S_total − ``hardWater(mev:)``. The continuous part of the engine's class-II condensed history.
    public static func restrictedWater(mev t: Double) -> Double { totalWater(mev: t) - hardWater(mev: t) }

    /// The restricted range integrand in u = ln T: T / S_restricted(T) (g/cm²).
    static func restrictedRangeIntegrand(logMeV u: Double) -> Double { let e = exp(u); return e / restrictedWater(mev: e) }

    /// CSDA range of water, g/cm², at kinetic energy `t` (MeV), by integrating 1/S_total on a log grid.
    public static func csdaRangeWater(mev t: Double) -> Double {
        guard t > 0.001 else { return max(t, 0) / totalWater(mev: 0.001) }
        let r = 0.001 / totalWater(mev: 0.001)
        // Simpson's rule in ln T (dT = T d ln T), 64 intervals per decade.
        let a = log(0.001), b = log(t)
        let n = max(2, Int((b - a) / log(10.0) * 64) & ~1)
        let h = (b - a) / Double(n)
        let g = rangeIntegrand(logMeV:)
        var s = g(a) + g(b)
        for i in 1..<n { s += g(a + Double(i) * h) * (i % 2 == 1 ? 4 : 2) }
        return r + s * h / 3
    }

    /// (Z/A) of a medium over (Z/A) of water: how much more water-equivalent mass thickness a g/cm² of the medium
    /// holds for electrons (collision stopping ∝ electron density). 1 for elements without an atomic weight here.
    public static func electronDensityRatio(_ m: Medium) -> Double {
        var za = 0.0, w = 0.0
        for (z, f) in m.massFractions { guard let a = atomicWeight[z] else { continue }; za += f * Double(z) / a; w += f }
        guard w > 0 else { return 1 }
        return za / w / waterZoverA
    }
}
