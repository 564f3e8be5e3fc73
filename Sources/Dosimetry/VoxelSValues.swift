import Foundation
import Imaging
import Physics

/// β⁻ emission data used to shape voxel-S-value kernels: the endpoint energies and intensities of the main
/// branches and the mean β energy per decay (ENSDF, NuDat 3). The kernel's total energy is the nuclide's
/// ``Radionuclide/meanLocalEnergyMeV`` from Physics (ENSDF/ICRP-107); these branches only distribute it in space.
public struct BetaEmission: Sendable, Equatable, Codable {
    /// (endpoint MeV, β per decay) of the main branches.
    public var branches: [[Double]]
    /// Mean β energy per decay, MeV.
    public var meanBetaMeV: Double
    /// Source of the values.
    public var source: String

    /// The data for the therapy nuclides of this module; nil for others.
    public static func named(_ name: String) -> BetaEmission? {
        switch Radionuclide.named(name)?.name {
        case "Lu-177":
            // ENSDF 177Lu β⁻: 498.3 keV 79.4 %, 385.3 keV 9.1 %, 176.5 keV 11.7 %; mean β 0.133644 MeV.
            return BetaEmission(branches: [[0.4983, 0.794], [0.3853, 0.091], [0.1765, 0.117]], meanBetaMeV: 0.133644,
                                source: "ENSDF (NuDat 3) 177Lu β⁻ branches")
        case "I-131":
            // ENSDF 131I β⁻: 606.3 keV 89.6 %, 333.8 keV 7.23 %, 247.9 keV 2.08 %, 806.9 keV 0.39 %; mean β 0.1819 MeV.
            return BetaEmission(branches: [[0.6063, 0.896], [0.3338, 0.0723], [0.2479, 0.0208], [0.8069, 0.0039]],
                                meanBetaMeV: 0.1819, source: "ENSDF (NuDat 3) 131I β⁻ branches")
        case "Y-90":
            // ENSDF 90Y β⁻: 2278.5 keV 99.98 %; mean β 0.93231 MeV.
            return BetaEmission(branches: [[2.2785, 0.9998]], meanBetaMeV: 0.93231, source: "ENSDF (NuDat 3) 90Y β⁻")
        case "Sm-153":
            // ENSDF 153Sm β⁻: 807.6 keV 18.4 %, 704.6 keV 49.6 %, 634.7 keV 31.3 %; mean β 0.224445 MeV.
            return BetaEmission(branches: [[0.8076, 0.184], [0.7046, 0.496], [0.6347, 0.313]], meanBetaMeV: 0.224445,
                                source: "ENSDF (NuDat 3) 153Sm β⁻ branches")
        default: return nil
        }
    }
}

/// Electron ranges in water.
public enum ElectronRange {
    /// CSDA-like range in water (cm, unit density) of an electron of kinetic energy `mev`, Katz & Penfold
    /// (Rev Mod Phys 1952;24:28): R = 0.412·E^(1.265 − 0.0954 ln E) g/cm² for 0.01–2.5 MeV, 0.530E − 0.106 above.
    public static func cm(mev e: Double) -> Double {
        guard e > 0 else { return 0 }
        if e > 2.5 { return 0.530 * e - 0.106 }
        return 0.412 * pow(e, 1.265 - 0.0954 * log(e))
    }
}

/// A voxel-S-value kernel: absorbed dose to each voxel (mGy) per MBq·s in the central voxel, unit-density water.
///
/// Construction (stated in every result as ``method``): the nuclide's non-penetrating energy per decay
/// (``Radionuclide/meanLocalEnergyWithProgenyMeV``) is split into β⁻ (``BetaEmission``) and the rest (conversion and
/// Auger electrons, α, photons < 10 keV), deposited in the source voxel. β energy is spread by a seeded Monte-Carlo
/// integration: decay points uniform in the source voxel, isotropic directions, electron energies drawn from the
/// allowed β spectrum shape N(T) ∝ p·W·(E₀ − T)² (no Fermi function) weighted by T, energy deposited uniformly
/// along a straight track of the Katz–Penfold range. Penetrating photons (≥ 10 keV) are NOT in the kernel (their
/// energy mostly leaves a voxel; the fraction left out is ``omittedPhotonMeV``). Alpha emitters (Ra-223) deposit
/// locally (ranges < 0.1 mm). The kernel reaches past the longest β range, so its energy sum equals the
/// non-penetrating energy per decay.
public struct VoxelSValueKernel: Sendable, Equatable {
    /// Nuclide name.
    public var nuclide: String
    /// Voxel edge lengths, mm.
    public var voxelMM: (x: Double, y: Double, z: Double) { (vx, vy, vz) }
    var vx: Double, vy: Double, vz: Double
    /// Half-width in voxels along x, y, z (the kernel is (2h+1) voxels per axis).
    public var halfWidth: (x: Int, y: Int, z: Int) { (hx, hy, hz) }
    var hx: Int, hy: Int, hz: Int
    /// Kernel values, mGy/(MBq·s), x fastest; index `(i+hx) + nx·((j+hy) + ny·(k+hz))`.
    public var values: [Float]
    /// Non-penetrating energy per decay the kernel represents, MeV.
    public var energyPerDecayMeV: Double
    /// Photon energy per decay (lines ≥ 10 keV) not in the kernel, MeV.
    public var omittedPhotonMeV: Double
    /// The construction, for reports.
    public var method: String

    public static func == (a: Self, b: Self) -> Bool {
        a.nuclide == b.nuclide && a.vx == b.vx && a.vy == b.vy && a.vz == b.vz && a.values == b.values
    }

    /// Kernel size along each axis.
    public var size: (x: Int, y: Int, z: Int) { (2 * hx + 1, 2 * hy + 1, 2 * hz + 1) }

    /// Mass of one voxel of unit-density water, kg.
    public var voxelMassKg: Double { vx * vy * vz / 1000 / 1000 }

    /// Energy (MeV per decay) the kernel deposits in total: Σ S · voxel mass, converted back.
    public var depositedEnergyMeV: Double {
        let s = values.reduce(0.0) { $0 + Double($1) }
        return s / DoseUnits.mGyPerMBqS(energyMeV: 1, massKg: voxelMassKg)
    }

    /// Builds the kernel of `nuclide` for voxels of `voxelMM` (x, y, z) mm. `halfWidth` nil: just past the longest
    /// β range; `samples` Monte-Carlo deposits (the sum is exact whatever the count; the shape converges as 1/√N).
    public static func make(_ nuclide: Radionuclide, voxelMM: (Double, Double, Double), halfWidth: Int? = nil,
                            samples: Int = 400_000, seed: UInt64 = 0x5EED) throws(DosimetryError) -> VoxelSValueKernel {
        let (vx, vy, vz) = voxelMM
        guard vx > 0.05, vy > 0.05, vz > 0.05, vx < 100, vy < 100, vz < 100 else {
            throw .invalidArgument("voxel size must be 0.05–100 mm (got \(vx)×\(vy)×\(vz))")
        }
        guard samples > 0, samples <= 100_000_000 else { throw .invalidArgument("samples must be 1…1e8") }
        let local = nuclide.meanLocalEnergyWithProgenyMeV
        let photonMeV = nuclide.photons.filter { $0.energyKeV >= 10 }.reduce(0.0) { $0 + $1.yield * $1.energyKeV / 1000 }
        let beta = BetaEmission.named(nuclide.name)
        let isAlpha = nuclide.meanAlphaEnergyWithProgenyMeV > 0
        guard beta != nil || isAlpha else {
            throw .unsupportedNuclide("no voxel-S-value data for \(nuclide.name) (have Lu-177, I-131, Y-90, Sm-153, Ra-223)")
        }
        let maxRangeMM = (beta?.branches.map { ElectronRange.cm(mev: $0[0]) }.max() ?? 0) * 10
        func hw(_ v: Double) -> Int { halfWidth ?? max(1, Int(ceil(maxRangeMM / v + 0.5))) }
        let hx = hw(vx), hy = hw(vy), hz = hw(vz)
        guard hx <= 64, hy <= 64, hz <= 64 else { throw .invalidArgument("kernel half-width > 64 voxels") }
        let nx = 2 * hx + 1, ny = 2 * hy + 1, nz = 2 * hz + 1
        var energy = [Double](repeating: 0, count: nx * ny * nz)
        let centre = hx + nx * (hy + ny * hz)
        var betaMeV = 0.0
        if let beta, !isAlpha {
            betaMeV = min(beta.meanBetaMeV, local)
            energy[centre] += local - betaMeV
            // Energy-weighted spectrum: a table of T on a fine grid with cumulative weights T·N(T).
            let m = 0.51099895
            var ts: [Double] = [], cdf: [Double] = []
            var acc = 0.0
            for b in beta.branches {
                let e0 = b[0], n = 200
                var wsum = 0.0
                var local: [(Double, Double)] = []
                for i in 0..<n {
                    let t = (Double(i) + 0.5) / Double(n) * e0
                    let w = t + m, p = (t * t + 2 * t * m).squareRoot()
                    let nT = p * w * (e0 - t) * (e0 - t)
                    local.append((t, nT)); wsum += nT
                }
                for (t, nT) in local { acc += b[1] * nT / wsum * t; ts.append(t); cdf.append(acc) }
            }
            // Sorting by T is not needed for inverse-CDF sampling over an arbitrary ordering of bins.
            let total = acc
            var rng = SeededGenerator(seed: seed)
            let perSample = betaMeV / Double(samples)
            for _ in 0..<samples {
                let u = rng.uniform() * total
                var lo = 0, hi = cdf.count - 1
                while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] < u { lo = mid + 1 } else { hi = mid } }
                let rangeMM = ElectronRange.cm(mev: ts[lo]) * 10
                let r = rng.uniform() * rangeMM
                let cz = 2 * rng.uniform() - 1, phi = 2 * Double.pi * rng.uniform()
                let sz = (1 - cz * cz).squareRoot()
                let x = (rng.uniform() - 0.5) * vx + r * sz * cos(phi)
                let y = (rng.uniform() - 0.5) * vy + r * sz * sin(phi)
                let z = (rng.uniform() - 0.5) * vz + r * cz
                let i = Int((x / vx + 0.5).rounded(.down)) + hx
                let j = Int((y / vy + 0.5).rounded(.down)) + hy
                let k = Int((z / vz + 0.5).rounded(.down)) + hz
                guard i >= 0, i < nx, j >= 0, j < ny, k >= 0, k < nz else { continue }
                energy[i + nx * (j + ny * k)] += perSample
            }
        } else {
            energy[centre] = local
        }
        let massKg = vx * vy * vz / 1e6
        let toMGy = DoseUnits.mGyPerMBqS(energyMeV: 1, massKg: massKg)
        let method = isAlpha
            ? "local deposition of the α chain energy (\(String(format: "%.4g", local)) MeV/decay incl. progeny) in the source voxel; penetrating photons omitted"
            : String(format: "Monte-Carlo (%d samples, seed %llu) straight-track β kernel, Katz–Penfold ranges, allowed spectrum shape; CE/Auger/low-energy photons (%.4g MeV) local; photons ≥ 10 keV (%.4g MeV/decay) omitted", samples, seed, local - betaMeV, photonMeV)
        return VoxelSValueKernel(nuclide: nuclide.name, vx: vx, vy: vy, vz: vz, hx: hx, hy: hy, hz: hz,
                                 values: energy.map { Float($0 * toMGy) }, energyPerDecayMeV: local,
                                 omittedPhotonMeV: photonMeV, method: method)
    }
}
