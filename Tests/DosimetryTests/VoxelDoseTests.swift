import Foundation
import Imaging
import Physics
import Testing
@testable import Dosimetry

/// Voxel-S-value kernels, FFT convolution, local deposition and DVHs.
@Suite struct VoxelDoseTests {
    static let voxel = (4.8, 4.8, 4.8)

    @Test(arguments: ["Lu-177", "I-131", "Y-90", "Sm-153", "Ra-223"])
    func kernelSumsToEnergyPerDecay(_ name: String) throws {
        // Truth: the non-penetrating energy per decay tabulated in Physics from ENSDF (β mean, conversion
        // electrons from ICC) + ICRP-107 Auger (Ra-223: whole chain in equilibrium). Σ S·m must give it back
        // within 2 %.
        let n = try #require(Radionuclide.named(name))
        let k = try VoxelSValueKernel.straightTrack(n, voxelMM: Self.voxel, samples: 100_000)
        #expect(abs(k.depositedEnergyMeV / n.meanLocalEnergyWithProgenyMeV - 1) < 0.02,
                "\(name): kernel \(k.depositedEnergyMeV) MeV vs \(n.meanLocalEnergyWithProgenyMeV) MeV per decay")
        // Symmetric under x ↔ −x within Monte-Carlo noise, centre is the maximum.
        let c = k.values.count / 2
        #expect(k.values[c] == k.values.max())
    }

    @Test func kernelShapeFollowsBetaRange() throws {
        // Lu-177 β (mean range ≈ 0.3 mm) stays ≥ 90 % in a 4.8 mm source voxel; Y-90 (max range 11 mm)
        // deposits markedly less there and reaches neighbours three voxels away.
        let lu = try VoxelSValueKernel.straightTrack(Radionuclide.named("Lu-177")!, voxelMM: Self.voxel, samples: 100_000)
        let y = try VoxelSValueKernel.straightTrack(Radionuclide.named("Y-90")!, voxelMM: Self.voxel, samples: 100_000)
        func centreFraction(_ k: VoxelSValueKernel) -> Double {
            Double(k.values[k.values.count / 2]) / k.values.reduce(0.0) { $0 + Double($1) }
        }
        #expect(centreFraction(lu) > 0.9)
        #expect(centreFraction(y) < 0.75 && centreFraction(y) > 0.3)
        #expect(y.halfWidth.x >= 3)
        // Self-voxel S for Lu-177 at 4.8 mm: at most full absorption of 0.14795 MeV in 0.1106 g = 0.2143 mGy/(MBq·s).
        let full = DoseUnits.mGyPerMBqS(energyMeV: 0.14795, massKg: 4.8 * 4.8 * 4.8 / 1e6)
        #expect(Double(lu.values[lu.values.count / 2]) < full && Double(lu.values[lu.values.count / 2]) > 0.9 * full)
    }

    @Test func fftConvolutionEqualsDirectSum() throws {
        let k = try VoxelSValueKernel.straightTrack(Radionuclide.named("Y-90")!, voxelMM: Self.voxel, samples: 50_000)
        let size = GridSize(x: 23, y: 19, z: 17)
        var rng = SeededGenerator(seed: 7)
        let tia = (0..<size.count).map { _ in Float(rng.uniform() < 0.1 ? rng.uniform() * 100 : 0) }
        let f = try VoxelDose.convolveFFT(tia, size: size, kernel: k, threads: 2)
        let d = try VoxelDose.convolveDirect(tia, size: size, kernel: k)
        let scale = d.max()!
        var worst: Float = 0
        for i in d.indices { worst = max(worst, abs(f[i] - d[i])) }
        #expect(worst < 1e-4 * scale, "max |FFT − direct| = \(worst) of \(scale)")
        // A point source gives back the kernel, placed at the source (no wrap-around).
        var point = [Float](repeating: 0, count: size.count)
        point[0] = 1
        let p = try VoxelDose.convolveFFT(point, size: size, kernel: k)
        let h = k.halfWidth, kn = k.size
        #expect(abs(p[1 + size.x * (2 + size.y * 3)] - k.values[(h.x + 1) + kn.x * ((h.y + 2) + kn.y * (h.z + 3))]) < 1e-6 * k.values.max()!)
        #expect(abs(p[size.count - 1]) < 1e-7)
        #expect(throws: DosimetryError.self) { try VoxelDose.convolveFFT([1, 2], size: size, kernel: k) }
    }

    @Test func uniformActivityGivesLocalDepositionDoseInTheInterior() throws {
        // Charged-particle equilibrium: inside a uniform source larger than the β range, every voxel absorbs what
        // it emits, so kernel convolution must equal local deposition E·Ã/m (exact physics, independent of the
        // kernel's shape). Y-90, 4.8 mm voxels, 21³ grid; checked on the central 5³.
        let y90 = try #require(Radionuclide.named("Y-90"))
        let k = try VoxelSValueKernel.straightTrack(y90, voxelMM: Self.voxel, samples: 100_000)
        let size = GridSize(x: 21, y: 21, z: 21)
        let tia = [Float](repeating: 3600, count: size.count)  // 1 MBq·h per voxel
        let dose = try VoxelDose.convolveFFT(tia, size: size, kernel: k)
        let ldm = try VoxelDose.localDeposition(tia, size: size, voxelMM: Vector3(4.8, 4.8, 4.8), nuclide: y90)
        for z in 8..<13 { for y in 8..<13 { for x in 8..<13 {
            let i = x + 21 * (y + 21 * z)
            #expect(abs(dose[i] / ldm[i] - 1) < 0.02)
        } } }
        // LDM by hand: 0.93231 MeV × 1.602e-13 J/MeV × 3600e6 decays / 1.10592e-4 kg = 4.862 Gy.
        #expect(abs(ldm[0] / 1000 - 0.93231 * 1.602176634e-13 * 3.6e9 / 1.10592e-4) < 1e-3)
        // Density: bone (≈ +1500 HU) halves the dose roughly (ρ 1.92), lung (−740 HU) quadruples it (ρ 0.26).
        let rho = VoxelDose.densityFromHU([0, 1500, -740])
        #expect(abs(rho[0] - 1) < 1e-6 && abs(rho[1] - 1.92) < 0.01 && abs(rho[2] - 0.26) < 1e-4)
    }

    @Test func dvhOfAKnownDoseDistribution() throws {
        // Doses 1…100 Gy, one voxel each: mean 50.5, D50 = 51 (nearest rank), D98 = 3, D2 = 99; V(≥ 50 Gy) = 51 %.
        let dose = (1...100).map { Float($0) }
        let dvh = try DoseVolumeHistogram.make(doseGy: dose, mask: Array(repeating: true, count: 100), voxelML: 0.1, bins: 100)
        #expect(abs(dvh.meanGy - 50.5) < 1e-9)
        #expect(dvh.d50Gy == 51 && dvh.d98Gy == 3 && dvh.d2Gy == 99)
        #expect(abs(dvh.volumeML - 10) < 1e-9)
        #expect(dvh.volumeFraction.first == 1)
        #expect(abs(dvh.volumeFraction[50] - 0.51) < 1e-12)
        #expect(throws: DosimetryError.self) {
            try DoseVolumeHistogram.make(doseGy: dose, mask: Array(repeating: false, count: 100), voxelML: 1)
        }
    }
}
