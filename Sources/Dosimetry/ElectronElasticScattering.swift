import Foundation
import Imaging
import Physics

/// Elastic (multiple) scattering of electrons for the condensed-history steps of ``MonteCarloDose``.
///
/// - Cross-section: screened Rutherford (Wentzel) per element with Molière's screening parameter,
///   A = (ħ / 2pa)² (1.13 + 3.76 (αZ/β)²), a = 0.88534 a₀ Z^(−1/3); its first transport cross-section
///   σ₁ = 2π Z(Z+1) (r_e mc²)² / (pβc)² · [ln(1 + 1/A) − 1/(1 + A)] (Z(Z+1): scattering by the atomic electrons
///   included), summed over the medium's elements by mass fraction: 1/λ₁ per g/cm² (Salvat et al., PENELOPE-2014,
///   NEA/NSC/DOC(2015)3, §3.1; Berger, Methods Comput. Phys. 1 (1963) 135).
/// - Deflection over a step: the angular distribution after a path s has ⟨1 − cos θ⟩ = 1 − exp(−∫ ds/λ₁) exactly
///   (Goudsmit–Saunderson / Lewis 1950, for any step length); the engine samples cos θ from a Wentzel distribution
///   P(μ) ∝ (1 − μ + 2A′)⁻² whose A′ gives that first moment (the "simple" model of PENELOPE's mixed simulation). The
///   integral over the step comes from ``cumulative``, so the result does not depend on the step length — unlike a
///   Highland width per step (fitted for heavy particles, with a log term that does not add up over steps).
///
/// Checked against the scaled dose point kernels of EGSnrc (Mainegra et al., Med Phys 2005) in
/// `ElectronDosePointKernelTests`.
struct ElectronElasticScattering: Sendable {
    /// Per medium (``ElectronRangeTable/n`` values each, one flat array): G(E) = ∫ ds/λ₁ along the
    /// continuous-slowing-down path (``ElectronRangeTable/waterRestricted``, water-equivalent mass thickness) from the
    /// grid's lowest energy up to E, on ``ElectronRangeTable``'s grid.
    let cumulative: [Double]
    /// ``wentzelTable``, held by each instance (the transport loop reads it without a global's access check).
    let wentzel: [Double]

    init(media: [Medium]) {
        wentzel = Self.wentzelTable
        cumulative = media.flatMap { (m: Medium) -> [Double] in
            let scale = ElectronStoppingPower.electronDensityRatio(m)
            // dG/du (u = ln T) = T / S_restricted,water(T) · (1/λ₁ per g/cm² of the medium) / (water-equivalent g per g).
            return ElectronRangeTable.cumulativeIntegral(from: 0) { u in
                let t = exp(u)
                return t / ElectronStoppingPower.restrictedWater(mev: t) * Self.inverseTransportMFP(m, mev: t) / scale
            }
        }
    }

    /// 1/λ₁ of a medium, cm²/g, at kinetic energy `t` (MeV): screened Rutherford with Molière screening.
    static func inverseTransportMFP(_ m: Medium, mev t: Double) -> Double {
        let mc2 = ElectronStoppingPower.mc2
        let pc = (t * (t + 2 * mc2)).squareRoot(), beta = pc / (t + mc2)
        let reMc2 = 2.8179403262e-13 * mc2            // r_e m c², MeV·cm
        let hbarc = 197.3269804e-13                    // MeV·cm
        let a0 = 0.529177210903e-8, alpha = 1 / 137.035999
        var sum = 0.0
        for (z, w) in m.massFractions {
            guard let aw = ElectronStoppingPower.atomicWeight[z], w > 0 else { continue }
            let zd = Double(z)
            let aTF = 0.88534 * a0 * pow(zd, -1.0 / 3)
            let screen = hbarc / (2 * pc * aTF)
            let a = screen * screen * (1.13 + 3.76 * (alpha * zd / beta) * (alpha * zd / beta))
            let sigma1 = 2 * Double.pi * zd * (zd + 1) * reMc2 * reMc2 / ((pc * beta) * (pc * beta)) * (log(1 + 1 / a) - 1 / (1 + a))
            sum += w / aw * sigma1
        }
        return sum * 6.02214076e23
    }

    /// G at energy `t` (MeV) in medium `m` (linear in ln T between grid points).
    @inline(__always) func transportNumber(_ m: Int, mev t: Double) -> Double {
        transportNumber(m, logMeV: log(max(t, 0.001)))
    }

    /// G at ln T = `u` (u = ln max(T, 1 keV)): for the transport loop, which already holds the logarithm of the energy
    /// at a step's start (the end of the step before).
    @inline(__always) func transportNumber(_ m: Int, logMeV u: Double) -> Double {
        let n = ElectronRangeTable.n
        let x = (u - ElectronRangeTable.logMin) / (ElectronRangeTable.logMax - ElectronRangeTable.logMin) * Double(n - 1)
        let i = min(max(Int(x), 0), n - 2), f = min(max(x - Double(i), 0), 1)
        let k = m * n + i
        return cumulative[k] + f * (cumulative[k + 1] - cumulative[k])
    }

    /// The Wentzel screening parameter A′ with 2A′[(1 + A′) ln(1 + 1/A′) − 1] = m (the mean 1 − cos θ), tabulated in
    /// ln m (m from 10⁻¹⁰ to 0.999, 1 024 points; ln A′ linear between them).
    static let wentzelTable: [Double] = {
        func moment(_ a: Double) -> Double { 2 * a * ((1 + a) * log1p(1 / a) - 1) }
        return (0..<wentzelPoints).map { k in
            let target = exp(wentzelLogMin + Double(k) * (wentzelLogMax - wentzelLogMin) / Double(wentzelPoints - 1))
            var lo = log(1e-16), hi = log(1e8)
            for _ in 0..<90 { let mid = (lo + hi) / 2; if moment(exp(mid)) > target { hi = mid } else { lo = mid } }
            return (lo + hi) / 2
        }
    }()
    static let wentzelPoints = 1024
    static let wentzelLogMin = log(1e-10), wentzelLogMax = log(0.999)

    /// cos θ of the deflection after a path with transport number `lambda` (= ∫ ds/λ₁).
    @inline(__always) func sampleCosine(transportNumber lambda: Double, _ rng: inout SeededGenerator) -> Double {
        let m = -expm1(-lambda)                        // ⟨1 − cos θ⟩
        let u = rng.uniform()
        if m >= 0.999 { return 2 * u - 1 }             // fully randomised: isotropic
        if m <= 1e-10 { return 1 }
        let x = (log(m) - Self.wentzelLogMin) / (Self.wentzelLogMax - Self.wentzelLogMin) * Double(Self.wentzelPoints - 1)
        let i = min(max(Int(x), 0), Self.wentzelPoints - 2), f = x - Double(i)
        let a = exp(wentzel[i] + f * (wentzel[i + 1] - wentzel[i]))
        return max(-1, 1 - 2 * a * u / (1 - u + a))
    }
}
