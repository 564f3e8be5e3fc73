import CFFTW
import Foundation
import Imaging
import Physics

/// Serialises FFTW planning (the planner is not thread-safe) and initialises its threads once.
private enum FFTWState {
    static let lock = NSLock()
    static let threadsReady: Bool = { fftwf_init_threads() != 0 }()
}

/// Voxel dosimetry on a grid: voxel-S-value convolution (FFT or direct) and local energy deposition.
///
/// Input is a time-integrated activity map in MBq·s per voxel (x fastest); output absorbed dose in mGy per voxel
/// of unit-density water, optionally divided by the voxel's relative mass density (``densityFromHU(_:)``): the
/// usual first-order density correction of water kernels.
public enum VoxelDose {
    /// Smallest integer ≥ n whose prime factors are 2, 3, 5, 7, 11, 13 (FFTW has codelets for all of them).
    static func smoothSize(_ n: Int) -> Int {
        var m = max(n, 1)
        while true {
            var r = m
            for p in [2, 3, 5, 7, 11, 13] { while r % p == 0 { r /= p } }
            if r == 1 { return m }
            m += 1
        }
    }

    static func check(_ tia: [Float], _ size: GridSize, _ kernel: VoxelSValueKernel) throws(DosimetryError) {
        guard size.x > 0, size.y > 0, size.z > 0, tia.count == size.count else {
            throw .sizeMismatch("activity map has \(tia.count) values for a \(size) grid")
        }
        guard size.count <= 1 << 28 else { throw .invalidArgument("grid \(size) too large (> 2²⁸ voxels)") }
    }

    /// Dose (mGy) = TIA (MBq·s/voxel) ⊛ kernel by FFT (FFTW, single precision, r2c/c2r), zero activity outside
    /// the grid (linear, not circular, convolution: the grid is zero-padded by the kernel half-width and rounded
    /// to a 2·3·5·7·11·13-smooth size). Single-precision round-off leaves values of order 1e-5 of the maximum where the
    /// dose is 0; negative ones are clamped to 0. `threads`: FFTW threads (default: all active cores).
    public static func convolveFFT(_ tia: [Float], size: GridSize, kernel: VoxelSValueKernel,
                                   threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws(DosimetryError) -> [Float] {
        try check(tia, size, kernel)
        let h = kernel.halfWidth
        let nx = smoothSize(size.x + h.x), ny = smoothSize(size.y + h.y), nz = smoothSize(size.z + h.z)
        let nReal = nx * ny * nz, ncx = nx / 2 + 1, nComplex = nz * ny * ncx
        guard let a = fftwf_alloc_real(nReal), let kr = fftwf_alloc_real(nReal),
              let fa = fftwf_alloc_complex(nComplex), let fk = fftwf_alloc_complex(nComplex) else {
            throw .invalidArgument("cannot allocate FFT buffers for \(nx)×\(ny)×\(nz)")
        }
        defer { fftwf_free(a); fftwf_free(kr); fftwf_free(fa); fftwf_free(fk) }
        // Plan first (FFTW_ESTIMATE does not touch the arrays, but fill afterwards anyway).
        FFTWState.lock.lock()
        if FFTWState.threadsReady { fftwf_plan_with_nthreads(Int32(max(1, threads))) }
        let forwardA = fftwf_plan_dft_r2c_3d(Int32(nz), Int32(ny), Int32(nx), a, fa, UInt32(FFTW_ESTIMATE))
        let forwardK = fftwf_plan_dft_r2c_3d(Int32(nz), Int32(ny), Int32(nx), kr, fk, UInt32(FFTW_ESTIMATE))
        let backward = fftwf_plan_dft_c2r_3d(Int32(nz), Int32(ny), Int32(nx), fa, a, UInt32(FFTW_ESTIMATE))
        FFTWState.lock.unlock()
        defer {
            FFTWState.lock.lock()
            fftwf_destroy_plan(forwardA); fftwf_destroy_plan(forwardK); fftwf_destroy_plan(backward)
            FFTWState.lock.unlock()
        }
        a.initialize(repeating: 0, count: nReal)
        kr.initialize(repeating: 0, count: nReal)
        tia.withUnsafeBufferPointer { src in
            for k in 0..<size.z {
                for j in 0..<size.y {
                    let s = (k * size.y + j) * size.x, d = (k * ny + j) * nx
                    (a + d).update(from: src.baseAddress! + s, count: size.x)
                }
            }
        }
        let kn = kernel.size
        for k in 0..<kn.z {
            for j in 0..<kn.y {
                for i in 0..<kn.x {
                    let di = (i - h.x + nx) % nx, dj = (j - h.y + ny) % ny, dk = (k - h.z + nz) % nz
                    kr[(dk * ny + dj) * nx + di] = kernel.values[i + kn.x * (j + kn.y * k)]
                }
            }
        }
        fftwf_execute(forwardA)
        fftwf_execute(forwardK)
        let scale = 1 / Float(nReal)
        let faRaw = UnsafeMutableRawPointer(fa).assumingMemoryBound(to: Float.self)
        let fkRaw = UnsafeMutableRawPointer(fk).assumingMemoryBound(to: Float.self)
        let box = SendableBox((faRaw, fkRaw))
        let chunks = max(1, min(64, nComplex / 65536))
        DispatchQueue.concurrentPerform(iterations: chunks) { c in
            let (x, y) = box.value
            let lo = nComplex * c / chunks, hi = nComplex * (c + 1) / chunks
            for n in lo..<hi {
                let ar = x[2 * n], ai = x[2 * n + 1], br = y[2 * n], bi = y[2 * n + 1]
                x[2 * n] = (ar * br - ai * bi) * scale
                x[2 * n + 1] = (ar * bi + ai * br) * scale
            }
        }
        fftwf_execute(backward)
        var out = [Float](repeating: 0, count: size.count)
        out.withUnsafeMutableBufferPointer { dst in
            for k in 0..<size.z {
                for j in 0..<size.y {
                    let s = (k * ny + j) * nx, d = (k * size.y + j) * size.x
                    for i in 0..<size.x { dst[d + i] = max(a[s + i], 0) }
                }
            }
        }
        return out
    }

    /// The same convolution evaluated directly (Σ over kernel taps), parallel over slices: the reference the FFT
    /// path is tested against, and faster for kernels of a few voxels.
    public static func convolveDirect(_ tia: [Float], size: GridSize, kernel: VoxelSValueKernel) throws(DosimetryError) -> [Float] {
        try check(tia, size, kernel)
        let h = kernel.halfWidth, kn = kernel.size
        var out = [Float](repeating: 0, count: size.count)
        let kv = kernel.values
        out.withUnsafeMutableBufferPointer { dst in
            tia.withUnsafeBufferPointer { src in
                kv.withUnsafeBufferPointer { kp in
                    let box = SendableBox((dst, src, kp))
                    DispatchQueue.concurrentPerform(iterations: size.z) { z in
                        let (d, s, kk) = box.value
                        for y in 0..<size.y {
                            for x in 0..<size.x {
                                var acc: Float = 0
                                for c in 0..<kn.z {
                                    let sz = z - (c - h.z)
                                    if sz < 0 || sz >= size.z { continue }
                                    for b in 0..<kn.y {
                                        let sy = y - (b - h.y)
                                        if sy < 0 || sy >= size.y { continue }
                                        let row = (sz * size.y + sy) * size.x, krow = kn.x * (b + kn.y * c)
                                        for a in 0..<kn.x {
                                            let sx = x - (a - h.x)
                                            if sx < 0 || sx >= size.x { continue }
                                            acc += s[row + sx] * kk[krow + a]
                                        }
                                    }
                                }
                                d[(z * size.y + y) * size.x + x] = acc
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    /// Local energy deposition: all non-penetrating energy of a decay absorbed in its voxel. Dose (mGy) =
    /// TIA (MBq·s) · E_local (MeV) / (ρ · V). `density` relative to water per voxel (nil: unit density).
    public static func localDeposition(_ tia: [Float], size: GridSize, voxelMM: Vector3, nuclide: Radionuclide,
                                       density: [Float]? = nil) throws(DosimetryError) -> [Float] {
        guard tia.count == size.count else { throw .sizeMismatch("activity map has \(tia.count) values for a \(size) grid") }
        if let d = density, d.count != size.count { throw .sizeMismatch("density map has \(d.count) values for a \(size) grid") }
        let massKg = voxelMM.x * voxelMM.y * voxelMM.z / 1e6
        let f = Float(DoseUnits.mGyPerMBqS(energyMeV: nuclide.meanLocalEnergyWithProgenyMeV, massKg: massKg))
        var out = tia.map { $0 * f }
        if let d = density { for i in out.indices { out[i] /= max(d[i], 0.001) } }
        return out
    }

    /// Divides a water-kernel dose map by the relative mass density (first-order density correction).
    public static func densityCorrected(_ dose: [Float], density: [Float]) throws(DosimetryError) -> [Float] {
        guard dose.count == density.count else { throw .sizeMismatch("dose \(dose.count) vs density \(density.count) voxels") }
        return zip(dose, density).map { $0 / max($1, 0.001) }
    }

    /// Mass density relative to water from CT numbers: ρ = 1 + HU/1000 for HU ≤ 0 (air–water mixture) and
    /// ρ = 1 + 0.000613·HU above (water–cortical bone line through ICRU 44 cortical bone, 1.92 g/cm³ at ≈ 1500 HU);
    /// clamped to 0.001…3.
    public static func densityFromHU(_ hu: [Float]) -> [Float] {
        hu.map { v in
            let r: Float = v <= 0 ? 1 + v / 1000 : 1 + 0.000613 * v
            return min(max(r, 0.001), 3)
        }
    }
}

/// A dose–volume histogram of one VOI.
public struct DoseVolumeHistogram: Sendable, Equatable, Codable {
    /// Bin edges' lower dose, Gy (uniform bins from 0).
    public var doseGy: [Double]
    /// Fraction of the VOI volume receiving at least `doseGy[i]` (cumulative DVH, 1 at 0 Gy).
    public var volumeFraction: [Double]
    /// Mean, minimum and maximum dose, Gy.
    public var meanGy: Double, minGy: Double, maxGy: Double
    /// D98, D50, D2: minimum dose to the hottest 98 %, 50 %, 2 % of the volume, Gy.
    public var d98Gy: Double, d50Gy: Double, d2Gy: Double
    /// VOI volume, mL.
    public var volumeML: Double

    /// Builds the cumulative DVH of `dose` (Gy) over voxels where `mask` is true, `bins` bins up to the max.
    public static func make(doseGy dose: [Float], mask: [Bool], voxelML: Double, bins: Int = 100) throws(DosimetryError) -> DoseVolumeHistogram {
        guard dose.count == mask.count else { throw .sizeMismatch("dose \(dose.count) vs mask \(mask.count) voxels") }
        var values: [Double] = []
        for i in dose.indices where mask[i] { values.append(Double(dose[i])) }
        guard !values.isEmpty else { throw .invalidArgument("empty VOI (no voxel in the mask)") }
        guard bins > 0, bins <= 100_000 else { throw .invalidArgument("bins must be 1…100000") }
        values.sort()
        let n = Double(values.count)
        let maxD = values.last!, step = max(maxD, 1e-12) / Double(bins)
        var dGy: [Double] = [], frac: [Double] = []
        var idx = 0
        for b in 0...bins {
            let d = Double(b) * step
            while idx < values.count && values[idx] < d { idx += 1 }
            dGy.append(d); frac.append(Double(values.count - idx) / n)
        }
        // D_x: dose such that x % of the volume gets at least it (nearest rank).
        func dx(_ x: Double) -> Double { values[min(values.count - 1, max(0, Int((1 - x / 100) * n)))] }
        return DoseVolumeHistogram(doseGy: dGy, volumeFraction: frac, meanGy: values.reduce(0, +) / n,
                                   minGy: values.first!, maxGy: maxD, d98Gy: dx(98), d50Gy: dx(50), d2Gy: dx(2),
                                   volumeML: n * voxelML)
    }
}
