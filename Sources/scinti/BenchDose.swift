import ArgumentParser
import Dosimetry
import Foundation
import Imaging
import Physics

/// `scinti bench dose`: voxel-S-value convolution of a 256³ activity map (4.8 mm voxels) by FFT, next to
/// scipy.signal.fftconvolve on the same data in the same run (scripts/bench_dose_scipy.py).
struct BenchDose: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dose",
        abstract: "VSV convolution of a 256³ activity map with a 4.8 mm-voxel kernel (FFTW), beside numpy/scipy.")

    @Option(help: "Grid size per axis.") var size = 256
    @Option(help: "Voxel size, mm.") var voxel = 4.8
    @Option(help: "Radionuclide of the kernel.") var isotope = "Lu-177"
    @Option(help: "Kernel half-width in voxels (5: an 11³ kernel, the size of published VSV tables).") var halfWidth = 5
    @Option(help: "FFTW threads (default: all cores).") var threads: Int?
    @Option(help: "Repetitions (the best is reported).") var repeats = 3
    @Option(help: "Python with numpy + scipy (empty: skip the comparison).") var python = "python3"
    @Option(help: "scripts/ folder holding bench_dose_scipy.py.") var scripts = "scripts"

    func run() throws {
        guard (8...512).contains(size), halfWidth >= 0, halfWidth <= 20 else { throw fail("--size 8…512, --half-width 0…20") }
        guard let nuclide = Radionuclide.named(isotope) else { throw fail("unknown radionuclide \(isotope)") }
        let n = threads ?? ProcessInfo.processInfo.activeProcessorCount
        let grid = GridSize(x: size, y: size, z: size)
        // Activity: a smooth body with hot spheres (deterministic), MBq·s per voxel.
        var tia = [Float](repeating: 0, count: grid.count)
        let c = Double(size - 1) / 2
        for k in 0..<size { for j in 0..<size { for i in 0..<size {
            let x = (Double(i) - c) / c, y = (Double(j) - c) / c, z = (Double(k) - c) / c
            var v: Float = x * x / 0.8 + y * y / 0.5 + z * z / 0.9 < 1 ? 1 : 0
            if (x - 0.3) * (x - 0.3) + y * y + (z + 0.2) * (z + 0.2) < 0.01 { v += 20 }
            if (x + 0.4) * (x + 0.4) + (y - 0.1) * (y - 0.1) + z * z < 0.004 { v += 50 }
            tia[i + size * (j + size * k)] = v * 3600
        } } }
        let tk = Date()
        let kernel: VoxelSValueKernel
        do { kernel = try VoxelSValueKernel.straightTrack(nuclide, voxelMM: (voxel, voxel, voxel), halfWidth: halfWidth) } catch { throw failure(error) }
        let kernelS = Date().timeIntervalSince(tk)
        emit(String(format: "kernel: %@ %d³ at %.2f mm (%.2f s to build; Σ = %.5f of %.5f MeV/decay)\n", nuclide.name, kernel.size.x, voxel,
                    kernelS, kernel.depositedEnergyMeV, kernel.energyPerDecayMeV))
        var best = Double.infinity
        var dose: [Float] = []
        for _ in 0..<max(1, repeats) {
            let t0 = Date()
            do { dose = try VoxelDose.convolveFFT(tia, size: grid, kernel: kernel, threads: n) } catch { throw failure(error) }
            best = min(best, Date().timeIntervalSince(t0))
        }
        emit(String(format: "swift FFTW (fftw3f, %d threads, padded to %d³): best of %d %.3f s for %d³\n", n,
                    VoxelDoseBenchInfo.padded(size, halfWidth), max(1, repeats), best, size))
        guard !python.isEmpty else { return }
        let dir = NSTemporaryDirectory() + "scinti-bench-dose-\(getpid())"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func dump(_ a: [Float], _ name: String) throws {
            try a.withUnsafeBufferPointer { try Data(buffer: $0).write(to: URL(fileURLWithPath: dir + "/" + name)) }
        }
        do {
            try dump(tia, "activity.f32"); try dump(kernel.values, "kernel.f32")
            let meta = "{\"size\": [\(size), \(size), \(size)], \"kernelSize\": [\(kernel.size.x), \(kernel.size.y), \(kernel.size.z)]}"
            try Data(meta.utf8).write(to: URL(fileURLWithPath: dir + "/meta.json"))
        } catch { throw failure(error, "cannot write the comparison data to \(dir)") }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [python, scripts + "/bench_dose_scipy.py", dir]
        let pipe = Pipe()
        p.standardOutput = pipe
        do { try p.run() } catch { warn("cannot run \(python): \(error)"); return }
        let outData = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { warn("\(python) bench_dose_scipy.py failed (numpy/scipy installed?)"); return }
        emit("numpy/scipy: " + String(decoding: outData, as: UTF8.self))
        guard let ref = FileManager.default.contents(atPath: dir + "/scipy_dose.f32"), ref.count == dose.count * 4 else {
            warn("scipy output missing"); return
        }
        let s = ref.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        var worst: Float = 0
        let peak = dose.max() ?? 1
        for i in dose.indices { worst = max(worst, abs(dose[i] - s[i])) }
        emit(String(format: "max |swift − scipy| / max dose = %.2e\n", worst / peak))
    }
}

enum VoxelDoseBenchInfo {
    static func padded(_ n: Int, _ h: Int) -> Int {
        var m = n + h
        while true {
            var r = m
            for p in [2, 3, 5, 7, 11, 13] { while r % p == 0 { r /= p } }
            if r == 1 { return m }
            m += 1
        }
    }
}
