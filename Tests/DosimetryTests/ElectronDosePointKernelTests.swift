import Foundation
import Imaging
import Physics
import Testing
@testable import Dosimetry

/// The engine's electron transport alone: scaled dose point kernels of monoenergetic electrons in water,
/// F(r/r₀) = d(E/E₀)/d(r/r₀) with r₀ the CSDA range, against EGSnrc (EDKnrc, PRESTA-II, ESTEPE 1 %, tracking cut
/// 1 keV below 1 MeV; Mainegra-Hing, Rogers & Kawrakow, Med Phys 32 (2005) 685), bins of 0.05 r₀ centred at
/// 0.025 … 1.175 (the first bin's centre is given as 0.029), as distributed with Geant4's TestEm12 example
/// (`examples/extended/electromagnetic/TestEm12/berger/EGSnrc/100keV-DPK.ascii`, `1MeV-DPK.ascii`).
///
/// Compared: the mean radius of the deposited energy ⟨r⟩/r₀ — which sets the energy escaping a voxel (for a source
/// uniform in a convex region the escaping fraction is ⟨r⟩ × surface / (4 × volume) to first order), the 90 % radius
/// X₉₀, and the whole shape as ∫|F − F_EGSnrc| d(r/r₀) (twice the fraction of the energy deposited at the wrong
/// radius). The references' own figures are computed here from their tables.
///
/// Measured 2026-12-07 (`dosimetry8`), 2 × 10⁴ electrons: the present model (screened-Rutherford transport
/// cross-section with Wentzel angles, hard collisions sampled) gives at 0.1 / 1 MeV ⟨r⟩/r₀ −0.94 / −1.34 %, X₉₀
/// +0.17 / +0.23 %, ∫|ΔF| 0.044 / 0.057. The former electrons (CSDA, one Highland width per step), run as a numpy
/// replica of the same algorithm (the Swift code was replaced before this test existed): ⟨r⟩ +2.9 / +0.5 %, X₉₀
/// −1.6 / −1.8 %, ∫|ΔF| 0.18 / 0.11 — a peak 19 % too high at 0.1 MeV (too little scattering at low energy), and ⟨r⟩
/// another 1.7 % larger with 4 × shorter steps (the Highland log term does not add up over steps).
@Suite struct ElectronDosePointKernelTests {
    /// EGSnrc F(r/r₀) per 0.05 r₀ bin (Mainegra et al. 2005, via Geant4 TestEm12).
    static let egsnrc: [Double: [Double]] = [
        0.1: [0.577, 0.630, 0.680, 0.739, 0.813, 0.900, 1.002, 1.120, 1.248, 1.375, 1.494, 1.572, 1.601, 1.553, 1.402, 1.190,
              0.916, 0.614, 0.349, 0.157, 0.050, 0.009, 0.001, 0.000],
        1.0: [0.764, 0.814, 0.850, 0.886, 0.930, 0.984, 1.050, 1.130, 1.222, 1.318, 1.405, 1.466, 1.483, 1.436, 1.313, 1.103,
              0.834, 0.536, 0.279, 0.104, 0.024, 0.002, 0.000, 0.000],
    ]

    /// ⟨r⟩/r₀ and X₉₀ of a binned kernel (bins of 0.05 r₀ from 0).
    static func moments(_ f: [Double]) -> (mean: Double, x90: Double) {
        let w = 0.05
        let total = f.reduce(0, +) * w
        let mean = f.enumerated().reduce(0) { $0 + (Double($1.offset) + 0.5) * w * $1.element * w } / total
        var cum = 0.0, x90 = Double(f.count) * w
        for (i, v) in f.enumerated() {
            let next = cum + v * w
            if next >= 0.9 * total { x90 = (Double(i) + (0.9 * total - cum) / max(v * w, 1e-300)) * w; break }
            cum = next
        }
        return (mean, x90)
    }

    /// The engine's kernel: `electrons` electrons of `mev` from the centre voxel of a water grid of r₀/40 voxels
    /// (101³, ±1.26 r₀), energy binned by voxel-centre radius.
    static func engineKernel(mev: Double, electrons: Int, seed: UInt64) throws -> [Double] {
        let r0mm = ElectronStoppingPower.csdaRangeWater(mev: mev) * 10    // water, 1 g/cm³
        let h = 50, n = 2 * h + 1, vox = r0mm / 40
        let size = GridSize(x: n, y: n, z: n)
        let g = try MonteCarloGeometry.uniform(.water, size: size, voxelMM: Vector3(vox, vox, vox))
        var source = [Float](repeating: 0, count: size.count)
        source[h + n * (h + n * h)] = 1
        let line = EmissionSpectrum(name: "e⁻ \(mev) MeV", halfLifeSeconds: 1, members: "", photons: [], electrons: [[mev, 1]],
                                    alphas: [], betas: [], localMeV: 0)
        let r = try MonteCarloDose.run(geometry: g, source: source, spectrum: line, decays: electrons, seed: seed)
        var f = [Double](repeating: 0, count: 24)
        for z in 0..<n { for y in 0..<n { for x in 0..<n {
            let e = r.energyPerDecayMeV[x + n * (y + n * z)]
            guard e > 0 else { continue }
            let dx = Double(x - h), dy = Double(y - h), dz = Double(z - h)
            let rr = (dx * dx + dy * dy + dz * dz).squareRoot() / 40    // in r₀
            f[min(Int(rr / 0.05), 23)] += e / mev / 0.05
        } } }
        return f
    }

    @Test(arguments: [0.1, 1.0])
    func scaledKernelMatchesEGSnrc(mev: Double) throws {
        let electrons = ProcessInfo.processInfo.environment["SCINTI_VALIDATION"] != nil ? 200_000 : 20_000
        let ref = try #require(Self.egsnrc[mev])
        let ours = try Self.engineKernel(mev: mev, electrons: electrons, seed: 8)
        let (mr, xr) = Self.moments(ref), (mo, xo) = Self.moments(ours)
        let shape = zip(ours, ref).reduce(0) { $0 + abs($1.0 - $1.1) } * 0.05
        print(String(format: "e⁻ %.1f MeV in water: ⟨r⟩/r₀ %.4f vs EGSnrc %.4f (%+.2f %%), X90 %.4f vs %.4f (%+.2f %%), ∫|ΔF| %.3f; F %@",
                     mev, mo, mr, 100 * (mo / mr - 1), xo, xr, 100 * (xo / xr - 1), shape, ours.map { String(format: "%.3f", $0) }.joined(separator: " ")))
        // Energy conservation in an infinite medium (nothing leaves ±1.26 r₀ but bremsstrahlung, which is deposited
        // on the track here).
        #expect(abs(ours.reduce(0, +) * 0.05 - 1) < 0.002)
        // Limits: the mean radius within 3 % (0.3 % of the centre-voxel dose of I-131 at 4.8 mm per 3 %), X₉₀ within 2 %,
        // at most 4 % of the energy at the wrong radius (∫|ΔF| ≤ 0.08). The former Highland/CSDA electrons failed the
        // last at both energies (0.18, 0.11).
        #expect(abs(mo / mr - 1) <= 0.03, "⟨r⟩/r₀ \(mo) vs EGSnrc \(mr)")
        #expect(abs(xo / xr - 1) <= 0.02, "X90 \(xo) vs EGSnrc \(xr)")
        #expect(shape <= 0.08, "∫|F − F_EGSnrc| = \(shape)")
    }
}
