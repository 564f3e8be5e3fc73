import ArgumentParser
import Foundation
import Imaging
import Reconstruction
import Simulation

/// `scinti bench recon`: the issue-3 reconstruction benchmark (128³ voxels of 4.8 mm, 120 views 128×128,
/// R = 25 cm, Siemens LEHR σ(d), water μ, OSEM 4×8 with AC + CDR), on a built-in IEC-like phantom or on the
/// projections and μ map dumped by `../shared/reference/pyt_spect_osem.py --dump` (`--from-dump DIR`).
struct BenchRecon: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recon",
        abstract: "OSEM 4×8 with AC + CDR on the reference problem; optionally on PyTomography's dumped data.")

    @Option(help: "Folder written by pyt_spect_osem.py --dump (geometry.json + raw float32); else a built-in phantom.")
    var fromDump: String?
    @Option(help: "Iterations.") var iterations = 4
    @Option(help: "Subsets.") var subsets = 8
    @Option(help: "Worker threads (default: all cores).") var threads: Int?
    @Flag(help: "No attenuation modelling.") var noAttenuation = false
    @Flag(help: "No collimator–detector response modelling.") var noCdr = false
    @Option(help: "Write the reconstruction (Bq/mL, raw little-endian float32, [x][y][z] C order) here.")
    var out: String?
    @Option(help: "Python with numpy for compare_recon.py (only with --from-dump and --out).") var python: String?
    @Option(help: "Folder of compare_recon.py.") var referenceDir = "../shared/reference"

    func run() throws {
        let t0 = Date()
        let cpu0 = cpuSeconds()
        var lines: [String] = []
        func say(_ s: String) { emit(s + "\n"); lines.append(s) }

        // ---- problem
        let geometry: SPECTGeometry
        let measured: Projections
        let mu: ReconVolume
        var cdr = CollimatorResponse.siemensLEHR
        var calibration = 1.0
        var probe: (object: ReconVolume, proj: [Float])?
        if let dir = fromDump {
            let d = try Dump(dir: dir)
            geometry = d.geometry; measured = d.counts; mu = d.muPerMM; cdr = d.collimator
            calibration = d.calibration; probe = d.probe
            say("input: PyTomography dump \(dir) (angles θ = −β, projections [view, r, z] = ours, μ 1/cm → 1/mm)")
        } else {
            let p = try Self.referencePhantom()
            geometry = p.geometry; measured = p.counts; mu = p.mu; calibration = p.calibration
            say("input: built-in IEC-like phantom (noiseless → Poisson, seed 1234), 8 M counts")
        }
        let g = geometry
        say("problem: \(g.n)×\(g.n)×\(g.slices) voxels of \(g.voxelSizeMM) mm, \(g.views) views \(g.columns)×\(g.rows) of "
            + "\(g.pixelSizeMM) mm, R = \(g.radiiMM[0]) mm; CDR \(noCdr ? "off" : cdr.label); AC \(noAttenuation ? "off" : "on")")
        let model = try SystemModel(geometry: g, attenuation: noAttenuation ? nil : AttenuationMap(muPerMM: mu),
                                    collimator: noCdr ? nil : cdr, threads: threads)
        say("threads: \(model.threads) of \(ProcessInfo.processInfo.activeProcessorCount) cores")

        // ---- per-view projector timing (one thread)
        var single = model
        single.threads = 1
        let x1 = ReconVolume(geometry: g, value: 1)
        let tv = Date(), cv = cpuSeconds()
        _ = single.forward(x1, views: Array(0..<12))
        let fwdMs = Date().timeIntervalSince(tv) * 1000 / 12, fwdCPU = (cpuSeconds() - cv) * 1000 / 12
        let tb = Date(), cb = cpuSeconds()
        _ = single.back(Projections(geometry: g, value: 1), views: Array(0..<12))
        let backMs = Date().timeIntervalSince(tb) * 1000 / 12, backCPU = (cpuSeconds() - cb) * 1000 / 12
        say(String(format: "projector, one thread, per view incl. attenuation and kernels: forward %.2f ms wall (%.2f ms CPU), back %.2f ms wall (%.2f ms CPU)",
                   fwdMs, fwdCPU, backMs, backCPU))

        if let probe {
            let fp = model.forward(probe.object)
            let r = nrmse(fp.values, probe.proj)
            say(String(format: "point probe (3 voxels, AC+CDR) forward projection vs PyTomography: NRMSE %.4f", r))
        }

        // ---- OSEM
        let lik = try PoissonLikelihood(system: model, measured: measured)
        let tr = Date(), cr = cpuSeconds()
        var last = Date()
        var subTimes: [Double] = []
        let x = OSEM(likelihood: lik).run(iterations: iterations, subsets: subsets) { p in
            let now = Date(); subTimes.append(now.timeIntervalSince(last)); last = now
            let w = 30, k = Int(p.fraction * Double(w))
            FileHandle.standardError.write(Data("\r[\(String(repeating: "#", count: k))\(String(repeating: ".", count: w - k))] it \(p.iteration + 1)/\(p.iterations) subset \(p.subset + 1)/\(p.subsets)".utf8))
        }
        FileHandle.standardError.write(Data("\n".utf8))
        let wall = Date().timeIntervalSince(tr), cpu = cpuSeconds() - cr
        let normS = (subTimes.first ?? 0) - (subTimes.dropFirst().reduce(0, +) / Double(max(1, subTimes.count - 1)))
        say(String(format: "OSEM %d×%d: wall %.2f s, CPU %.2f s (%.2f cores busy), first sub-iteration (incl. 8 sensitivity images) +%.2f s, mean sub-iteration %.3f s",
                   iterations, subsets, wall, cpu, cpu / max(wall, 1e-9), normS,
                   subTimes.dropFirst().reduce(0, +) / Double(max(1, subTimes.count - 1))))
        let bq = x.scaled(Float(1 / calibration))
        say(String(format: "total: wall %.2f s, CPU %.2f s, peak RSS %.0f MiB", Date().timeIntervalSince(t0),
                   cpuSeconds() - cpu0, peakRSSMiB()))
        if fromDump == nil {
            // Background VOI like the reference: z ∈ [35, 70] mm, ellipse shrunk by 30 mm.
            var s = 0.0, k = 0
            for ix in 0..<g.n { for iy in 0..<g.n { for iz in 0..<g.slices {
                let p = g.imageGeometry.patientPosition(ix, iy, iz)
                guard p.z >= 35, p.z <= 70, pow(p.x / 120, 2) + pow(p.y / 85, 2) <= 1 else { continue }
                s += Double(bq[x: ix, y: iy, z: iz]); k += 1
            } } }
            say(String(format: "background VOI mean %.0f Bq/mL (truth 30000): %+.2f %%", s / Double(k), 100 * (s / Double(k) / 30000 - 1)))
        }
        if let out {
            let data = bq.values.withUnsafeBufferPointer { Data(buffer: $0) }
            try data.write(to: URL(fileURLWithPath: out))
            say("wrote \(out) (Bq/mL, float32 [x][y][z])")
            if let python, let dir = fromDump {
                let p = Process()
                p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
                p.arguments = [python, referenceDir + "/compare_recon.py", dir, out, "--ref",
                               noCdr ? "recon_ac_\(iterations)x\(subsets)_bqml" : "recon_acpsf_\(iterations)x\(subsets)_bqml"]
                try p.run(); p.waitUntilExit()
            }
        }
    }

    // MARK: helpers

    func nrmse(_ a: [Float], _ b: [Float]) -> Double {
        var num = 0.0, den = 0.0
        for i in 0..<min(a.count, b.count) { let d = Double(a[i] - b[i]); num += d * d; den += Double(b[i]) * Double(b[i]) }
        return (num / max(den, 1e-30)).squareRoot()
    }

    /// The reference problem on an IEC-like phantom built here (2×2×2 supersampled partial volume).
    static func referencePhantom() throws -> (geometry: SPECTGeometry, counts: Projections, mu: ReconVolume, calibration: Double) {
        let n = 128, d = 4.8
        let g = try SPECTGeometry(n: n, slices: n, voxelSizeMM: d, columns: n, rows: n, pixelSizeMM: d,
                                  anglesDeg: SPECTGeometry.orbitAngles(views: 120), radiiMM: [250])
        var body = ReconVolume(geometry: g), spheres = ReconVolume(geometry: g)
        let c = (0..<n).map { (Double($0) - Double(n - 1) / 2) * d }
        let zs = c[n / 2]
        let diam: [Double] = [10, 13, 17, 22, 28, 37]
        for ix in 0..<n { for iy in 0..<n { for iz in 0..<n {
            var fb = 0.0, fs = 0.0
            for a in 0..<2 { for b in 0..<2 { for e in 0..<2 {
                let x = c[ix] + (Double(a) - 0.5) * d / 2, y = c[iy] + (Double(b) - 0.5) * d / 2
                let z = c[iz] + (Double(e) - 0.5) * d / 2
                if pow(x / 150, 2) + pow(y / 115, 2) <= 1 && abs(z) <= 90 { fb += 0.125 }
                for (k, dm) in diam.enumerated() {
                    let ang = Double(k) * .pi / 3
                    let dx = x - 57.2 * cos(ang), dy = y - 57.2 * sin(ang), dz = z - zs
                    if dx * dx + dy * dy + dz * dz <= dm * dm / 4 { fs += 0.125 }
                }
            } } }
            body[x: ix, y: iy, z: iz] = Float(fb); spheres[x: ix, y: iy, z: iz] = Float(fs)
        } } }
        let bg = 30000.0  // Bq/mL
        var conc = ReconVolume(geometry: g)
        for i in 0..<conc.values.count {
            conc.values[i] = Float(bg * (Double(body.values[i] - spheres.values[i]) + 4 * Double(spheres.values[i])))
        }
        let mu = body.scaled(0.01536)
        let model = try SystemModel(geometry: g, attenuation: AttenuationMap(muPerMM: mu), collimator: .siemensLEHR)
        let eps = 90e-6, vml = g.voxelVolumeML
        let rate = model.forward(conc.scaled(Float(vml * eps)))
        let tView = 8e6 / rate.sum
        var rng = SeededGenerator(seed: 1234)
        var counts = rate
        for i in 0..<counts.values.count { counts.values[i] = Float(rng.poisson(Double(rate.values[i]) * tView)) }
        return (g, counts, mu, eps * tView * vml)
    }
}


/// The arrays and geometry written by `pyt_spect_osem.py --dump`, mapped onto our conventions:
/// θ = −β (mod 360) makes r = x cos θ + y sin θ = x cos β − y sin β and u(θ) = (−sin β, −cos β, 0) = their n;
/// their projections `[view, r, z]` are then exactly our `[view][column][z-ascending row]`.
private struct Dump {
    let geometry: SPECTGeometry
    let counts: Projections
    let muPerMM: ReconVolume
    let collimator: CollimatorResponse
    let calibration: Double
    let probe: (object: ReconVolume, proj: [Float])?

    init(dir: String) throws {
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/geometry.json")))
        guard let j = json as? [String: Any], let obj = j["object"] as? [String: Any],
              let prj = j["projections"] as? [String: Any], let files = j["files"] as? [String: String],
              let shape = obj["shape"] as? [Int], let vox = obj["voxel_size_cm"] as? [Double],
              let pshape = prj["shape"] as? [Int], let pix = prj["pixel_size_cm"] as? [Double],
              let betas = prj["angles_deg"] as? [Double], let rcm = prj["radius_of_rotation_cm"] as? Double,
              let psf = j["psf"] as? [String: Any], let abc = psf["params_abc"] as? [Double],
              let cal = (j["calibration"] as? [String: Any])?["recon_units_per_Bq_per_mL"] as? Double
        else { throw ValidationError("\(dir)/geometry.json: unexpected layout") }
        guard shape[0] == shape[1] else { throw ValidationError("object must be square transaxially") }
        let angles = betas.map { b -> Double in let t = (-b).truncatingRemainder(dividingBy: 360); return t < 0 ? t + 360 : t }
        geometry = try SPECTGeometry(n: shape[0], slices: shape[2], voxelSizeMM: vox[0] * 10, sliceThicknessMM: vox[2] * 10,
                                     columns: pshape[1], rows: pshape[2], pixelSizeMM: pix[0] * 10,
                                     anglesDeg: angles, radiiMM: [rcm * 10])
        func load(_ key: String) throws -> [Float] {
            guard let f = files[key] else { throw ValidationError("geometry.json lists no \(key)") }
            let data = try Data(contentsOf: URL(fileURLWithPath: dir + "/" + f))
            return data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
        counts = try Projections(geometry: geometry, values: load("proj_counts"))
        muPerMM = try ReconVolume(n: shape[0], slices: shape[2], values: load("mu_map_per_cm").map { $0 / 10 })
        // σ_cm = sqrt((a·d_cm + b)² + c²)  ⇒  σ_mm = sqrt((a·d_mm + 10b)² + (10c)²)
        collimator = CollimatorResponse(a: abc[0], b: abc[1] * 10, c: abc[2] * 10)
        calibration = cal
        if files["point_probe_object"] != nil, files["point_probe_proj_acpsf"] != nil {
            probe = (try ReconVolume(n: shape[0], slices: shape[2], values: load("point_probe_object")),
                     try load("point_probe_proj_acpsf"))
        } else { probe = nil }
    }
}
