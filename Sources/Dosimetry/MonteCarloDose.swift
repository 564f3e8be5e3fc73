import Foundation
import Imaging
import Physics

/// The voxel world of a Monte Carlo run: a grid of media with a mass density per voxel.
public struct MonteCarloGeometry: Sendable {
    /// Grid size and voxel edges (mm).
    public var size: GridSize
    public var voxelMM: Vector3
    /// Index into ``media`` per voxel (x fastest).
    public var mediumIndex: [UInt8]
    /// Mass density per voxel, g/cm³ (may differ from the medium's nominal density: CT-derived).
    public var density: [Float]
    /// The media (composition; their nominal density is not used for transport).
    public var media: [Medium]
    /// Periodic boundaries (an infinite repetition of the grid: for Fano and kernel tests); otherwise particles
    /// leaving the grid escape (their energy is tallied).
    public var periodic: Bool

    /// Creates a geometry; checks sizes and values.
    public init(size: GridSize, voxelMM: Vector3, mediumIndex: [UInt8], density: [Float], media: [Medium], periodic: Bool = false) throws(DosimetryError) {
        guard size.count > 0, mediumIndex.count == size.count, density.count == size.count else {
            throw .sizeMismatch("geometry \(size): \(mediumIndex.count) medium indices, \(density.count) densities")
        }
        guard voxelMM.x > 0, voxelMM.y > 0, voxelMM.z > 0 else { throw .invalidArgument("voxel size must be > 0 mm") }
        guard !media.isEmpty, let mx = mediumIndex.max(), Int(mx) < media.count else { throw .invalidArgument("medium index beyond the \(media.count) media") }
        guard density.allSatisfy({ $0.isFinite && $0 >= 0 && $0 < 30 }) else { throw .invalidArgument("densities must be 0…30 g/cm³") }
        self.size = size; self.voxelMM = voxelMM; self.mediumIndex = mediumIndex; self.density = density; self.media = media; self.periodic = periodic
    }

    /// Uniform medium.
    public static func uniform(_ m: Medium, size: GridSize, voxelMM: Vector3, density: Double? = nil, periodic: Bool = false) throws(DosimetryError) -> MonteCarloGeometry {
        try MonteCarloGeometry(size: size, voxelMM: voxelMM, mediumIndex: [UInt8](repeating: 0, count: size.count),
                               density: [Float](repeating: Float(density ?? m.densityGPerCm3), count: size.count), media: [m], periodic: periodic)
    }
}

/// The outcome of a Monte Carlo run: energy and dose per decay, their statistical uncertainty.
public struct MonteCarloResult: Sendable {
    /// Decays simulated.
    public var decays: Int
    /// Mean energy absorbed per voxel per decay, MeV.
    public var energyPerDecayMeV: [Double]
    /// Absorbed dose to medium per voxel per decay, Gy (0 where the mass is 0).
    public var doseGyPerDecay: [Double]
    /// Relative standard uncertainty (k = 1) of each voxel's dose from the spread of the batches (1 where no energy).
    public var relativeUncertainty: [Float]
    /// Energy per group (``MonteCarloDose/run(geometry:source:spectrum:decays:seed:threads:batches:groups:groupCount:)``)
    /// per decay (MeV) and its relative uncertainty (k = 1).
    public var groupEnergyMeV: [Double], groupRelativeUncertainty: [Double]
    /// Mean energy emitted and escaping the grid per decay, MeV.
    public var emittedMeV: Double, escapedMeV: Double
    /// Wall time (s) and threads.
    public var seconds: Double, threads: Int
    /// The physics, for reports.
    public var method: String
}

/// Voxel Monte Carlo transport of a radionuclide's full ICRP-107 emission spectrum.
///
/// - Photons: Woodcock (delta) tracking against the majorant μ (max over media of μ/ρ × the largest density of a
///   voxel of that medium); photoelectric absorption (energy deposited locally: fluorescence and photoelectrons
///   stay in the voxel), incoherent scattering with the cross-section that includes binding (Elam/Hubbell
///   S(x, Z)) and Klein–Nishina angles (Geant4 `G4KleinNishinaCompton` sampling), the Compton electron's energy
///   deposited locally; coherent scattering with the Thomson angular distribution (no form factor). Photons below
///   1 keV are absorbed. Pair production is not modelled (no line above 1.022 MeV matters here).
/// - Electrons (β⁻ spectra, conversion and Auger electrons, Compton electrons > 50 keV): class-II condensed history —
///   continuous losses on the restricted range of water's ICRU-37 stopping power (collisions below 10 keV and
///   radiative; mass thickness scaled by each medium's electron density), hard collisions above 10 keV sampled
///   (energy-loss straggling; δ rays > 50 keV transported), the track walked voxel by voxel (exact mass thickness
///   through each voxel, so a uniform source per mass gives uniform dose whatever the density: Fano's theorem),
///   steps of at most 1/5 of the residual range, each with one elastic deflection of the screened-Rutherford
///   transport cross-section of the voxel's medium (``ElectronElasticScattering``: Wentzel angles with the step's
///   exact first moment) at a random point of the step; energy lost along each segment deposited in its voxel;
///   below 10 keV deposited locally. Bremsstrahlung photons are not produced (the radiative loss, ≤ 1 % of Y-90's
///   β energy, is deposited on the track). Checked against EGSnrc's scaled dose point kernels
///   (`ElectronDosePointKernelTests`).
/// - α particles and everything below 1 keV: local.
/// - Statistics: `batches` independent batches (one random stream each: seed, batch), batch spread → per-voxel
///   and per-group uncertainty; all cores (`threads`).
public enum MonteCarloDose {
    /// The physics summary stated in results.
    public static let method = "voxel Monte Carlo (Scinti): ICRP-107 full spectrum (β spectra PCHIP-interpolated); photons by Woodcock tracking (photoelectric, Compton with binding in the cross-section and Klein–Nishina angles, Rayleigh with Thomson angles; Elam/XCOM-based cross-sections by element); electrons by class-II condensed history (ICRU-37 restricted stopping, hard collisions > 10 keV with δ rays, screened-Rutherford multiple scattering with Wentzel angles, random hinge, voxel-exact path); α and < 1 keV local; dose to medium"

    /// Runs `decays` decays distributed by `source` (relative decays per voxel, ≥ 0). `groups`: optional group
    /// index per voxel (−1: none) for group tallies with batch uncertainty (organs).
    public static func run(geometry g: MonteCarloGeometry, source: [Float], spectrum: EmissionSpectrum, decays: Int, seed: UInt64 = 1,
                           threads: Int = ProcessInfo.processInfo.activeProcessorCount, batches: Int = 20,
                           groups: [Int32]? = nil, groupCount: Int = 0) throws(DosimetryError) -> MonteCarloResult {
        guard source.count == g.size.count else { throw .sizeMismatch("source has \(source.count) voxels, geometry \(g.size.count)") }
        guard decays > 0, decays <= 10_000_000_000 else { throw .invalidArgument("decays must be 1…1e10 (got \(decays))") }
        guard (2...1000).contains(batches) else { throw .invalidArgument("batches must be 2…1000") }
        if let gr = groups { guard gr.count == g.size.count, groupCount > 0 else { throw .sizeMismatch("groups need one index per voxel and a count") } }
        // Source voxels and cumulative weights.
        var srcIdx: [Int32] = [], cum: [Double] = []
        var acc = 0.0
        for (i, w) in source.enumerated() where w > 0 && w.isFinite { acc += Double(w); srcIdx.append(Int32(i)); cum.append(acc) }
        guard acc > 0 else { throw .invalidArgument("the source is zero everywhere") }
        let tables = try g.media.map { m throws(DosimetryError) in try MediumPhotonTable(m) }
        // Majorant per energy grid point (1/cm).
        var maxDensity = [Double](repeating: 0, count: g.media.count)
        for i in 0..<g.size.count { let m = Int(g.mediumIndex[i]); maxDensity[m] = max(maxDensity[m], Double(g.density[i])) }
        var majorant = [Double](repeating: 0, count: MediumPhotonTable.n)
        for k in 0..<MediumPhotonTable.n {
            for (m, t) in tables.enumerated() { majorant[k] = max(majorant[k], t.values[3 * k + 2] * maxDensity[m]) }
            majorant[k] *= 1.0001
        }
        let sampler = DecaySampler(spectrum)
        let ranges = ElectronRangeTable.waterRestricted
        let nThreads = max(1, min(threads, batches))
        let start = Date()
        let n = g.size.count
        let accumulator = Accumulator(n: n, groups: groupCount)
        let world = World(g: g, tables: tables.map(\.values), majorant: majorant, ranges: ranges,
                          scattering: ElectronElasticScattering(media: g.media))
        let shared = SendableBox((srcIdx, cum, acc))
        DispatchQueue.concurrentPerform(iterations: nThreads) { worker in
            var local = [Double](repeating: 0, count: n)
            var touched: [Int32] = []
            var gl = [Double](repeating: 0, count: groupCount)
            let (srcIdx, cum, total) = shared.value
            let sx = g.size.x, sy = g.size.y
            for b in stride(from: worker, to: batches, by: nThreads) {
                var rng = SeededGenerator(seed: seed, stream: UInt64(b))
                let nb = decays / batches + (b < decays % batches ? 1 : 0)
                var escaped = 0.0, emitted = 0.0
                local.withUnsafeMutableBufferPointer { e in
                    var t = Tracker(w: world, e: e, touched: touched)
                    for _ in 0..<nb {
                        // Decay position: voxel by weight, uniform inside it.
                        let u = rng.uniform() * total
                        var lo = 0, hi = cum.count - 1
                        while lo < hi { let m = (lo + hi) >> 1; if cum[m] < u { lo = m + 1 } else { hi = m } }
                        let v = Int(srcIdx[lo])
                        let pos = SIMD3<Double>((Double(v % sx) + rng.uniform()) * g.voxelMM.x,
                                                (Double((v / sx) % sy) + rng.uniform()) * g.voxelMM.y,
                                                (Double(v / (sx * sy)) + rng.uniform()) * g.voxelMM.z)
                        if sampler.localMeV > 0 { t.deposit(v, sampler.localMeV) }
                        emitted += sampler.localMeV
                        for _ in 0..<sampler.count(&rng) {
                            let (kind, en) = sampler.draw(&rng)
                            emitted += en
                            switch kind {
                            case .photon: escaped += t.photon(pos, isotropic(&rng), en, &rng)
                            case .electron, .beta: escaped += t.electron(pos, isotropic(&rng), en, &rng)
                            case .alpha: t.deposit(v, en)
                            }
                        }
                    }
                    touched = t.touched
                }
                if let gr = groups {
                    for i in 0..<groupCount { gl[i] = 0 }
                    for i in touched { let k = Int(gr[Int(i)]); if k >= 0 { gl[k] += local[Int(i)] } }
                }
                accumulator.merge(&local, touched: touched, groups: gl, escaped: escaped, emitted: emitted)
                touched.removeAll(keepingCapacity: true)
            }
        }
        let sum = accumulator.sum, sum2 = accumulator.sum2, gsum = accumulator.gsum, gsum2 = accumulator.gsum2
        let escapedTotal = accumulator.escaped, emittedTotal = accumulator.emitted
        // Batch means are per batch of ≈ decays/batches decays: scale to per decay.
        let B = Double(batches)
        var energy = [Double](repeating: 0, count: n), dose = energy
        var rel = [Float](repeating: 1, count: n)
        let voxelCm3 = g.voxelMM.x * g.voxelMM.y * g.voxelMM.z / 1000
        func relative(_ s: Double, _ s2: Double) -> Double {
            guard s > 0 else { return 1 }
            let mean = s / B, v = max(s2 / B - mean * mean, 0) * B / (B - 1)
            return (v / B).squareRoot() / mean
        }
        for i in 0..<n where sum[i] > 0 {
            energy[i] = sum[i] / Double(decays)
            let massKg = Double(g.density[i]) * voxelCm3 / 1000
            dose[i] = massKg > 0 ? energy[i] * DoseUnits.joulePerMeV / massKg : 0
            rel[i] = Float(relative(sum[i], sum2[i]))
        }
        return MonteCarloResult(decays: decays, energyPerDecayMeV: energy, doseGyPerDecay: dose, relativeUncertainty: rel,
                                groupEnergyMeV: gsum.map { $0 / Double(decays) }, groupRelativeUncertainty: zip(gsum, gsum2).map { relative($0, $1) },
                                emittedMeV: emittedTotal / Double(decays), escapedMeV: escapedTotal / Double(decays),
                                seconds: Date().timeIntervalSince(start), threads: nThreads, method: method)
    }

    /// Electron step, as a fraction of the residual (restricted) range. The elastic deflection of a step is exact in
    /// its first moment for any length (``ElectronElasticScattering``), so the step only sets how often the direction
    /// changes along the track (docs/dosimetry-validation.md: the dose point kernels' mean radius moves by ≤ 0.2 %
    /// between 0.2 and 0.05, numpy replica of this loop).
    static let electronStepFraction = 0.2
    /// Multiple-scattering deflection at a random point of each step (else at its end).
    static let randomHinge = true

    @inline(__always) static func isotropic(_ rng: inout SeededGenerator) -> SIMD3<Double> {
        let c = 2 * rng.uniform() - 1, phi = 2 * Double.pi * rng.uniform(), s = (1 - c * c).squareRoot()
        return SIMD3(s * cos(phi), s * sin(phi), c)
    }

    /// The run's sums, merged batch by batch under a lock.
    final class Accumulator: @unchecked Sendable {
        var sum: [Double], sum2: [Double], gsum: [Double], gsum2: [Double]
        var escaped = 0.0, emitted = 0.0
        let lock = NSLock()
        init(n: Int, groups: Int) {
            sum = [Double](repeating: 0, count: n); sum2 = sum
            gsum = [Double](repeating: 0, count: groups); gsum2 = gsum
        }
        /// Adds one batch and clears its buffer.
        func merge(_ local: inout [Double], touched: [Int32], groups: [Double], escaped e: Double, emitted m: Double) {
            lock.lock(); defer { lock.unlock() }
            for i in touched {
                let k = Int(i), x = local[k]
                if x != 0 { sum[k] += x; sum2[k] += x * x; local[k] = 0 }
            }
            for i in groups.indices { gsum[i] += groups[i]; gsum2[i] += groups[i] * groups[i] }
            escaped += e; emitted += m
        }
    }

    /// Read-only transport data shared by the workers.
    final class World: @unchecked Sendable {
        let nx: Int, ny: Int, nz: Int
        let vx: Double, vy: Double, vz: Double, lx: Double, ly: Double, lz: Double
        let medium: [UInt8], density: [Float]
        let tables: [[Double]], majorant: [Double]
        let ranges: ElectronRangeTable
        let scattering: ElectronElasticScattering
        /// Water-equivalent mass thickness per g/cm² of each medium for electrons ((Z/A) ratio).
        let electronScale: [Double]
        let periodic: Bool
        init(g: MonteCarloGeometry, tables: [[Double]], majorant: [Double], ranges: ElectronRangeTable, scattering: ElectronElasticScattering) {
            nx = g.size.x; ny = g.size.y; nz = g.size.z
            vx = g.voxelMM.x / 10; vy = g.voxelMM.y / 10; vz = g.voxelMM.z / 10   // cm
            lx = vx * Double(nx); ly = vy * Double(ny); lz = vz * Double(nz)
            medium = g.mediumIndex; density = g.density; self.tables = tables; self.majorant = majorant
            self.ranges = ranges; self.scattering = scattering; periodic = g.periodic
            electronScale = g.media.map { ElectronStoppingPower.electronDensityRatio($0) }
        }
    }

    /// One worker's transport, depositing into its energy buffer.
    struct Tracker {
        let w: World
        let e: UnsafeMutableBufferPointer<Double>
        var touched: [Int32]

        @inline(__always) mutating func deposit(_ v: Int, _ mev: Double) {
            guard mev > 0 else { return }
            if e[v] == 0 { touched.append(Int32(v)) }
            e[v] += mev
        }

        /// Voxel of a position (cm), wrapping when periodic; nil when outside.
        @inline(__always) func voxel(_ p: inout SIMD3<Double>) -> Int? {
            if w.periodic {
                p.x -= (p.x / w.lx).rounded(.down) * w.lx; p.y -= (p.y / w.ly).rounded(.down) * w.ly; p.z -= (p.z / w.lz).rounded(.down) * w.lz
            } else if p.x < 0 || p.y < 0 || p.z < 0 || p.x >= w.lx || p.y >= w.ly || p.z >= w.lz { return nil }
            let i = min(Int(p.x / w.vx), w.nx - 1), j = min(Int(p.y / w.vy), w.ny - 1), k = min(Int(p.z / w.vz), w.nz - 1)
            return i + w.nx * (j + w.ny * k)
        }

        /// Transports a photon from `posMM`; returns the energy escaping the grid (MeV).
        mutating func photon(_ posMM: SIMD3<Double>, _ dir0: SIMD3<Double>, _ e0: Double, _ rng: inout SeededGenerator) -> Double {
            var p = posMM / 10, d = dir0, en = e0
            let step = MediumPhotonTable.step, lmin = MediumPhotonTable.logMin
            while true {
                if en < 0.001 { var q = p; if let v = voxel(&q) { deposit(v, en); return 0 }; return en }
                let x = (log(en) - lmin) / step
                let k = min(max(Int(x), 0), MediumPhotonTable.n - 2), f = x - Double(k)
                let mu = w.majorant[k] + f * (w.majorant[k + 1] - w.majorant[k])
                p += d * (-log(rng.uniform()) / mu)
                guard let v = voxel(&p) else { return en }
                let t = w.tables[Int(w.medium[v])]
                let rho = Double(w.density[v])
                @inline(__always) func at(_ c: Int) -> Double { t[3 * k + c] + f * (t[3 * (k + 1) + c] - t[3 * k + c]) }
                let total = at(2) * rho
                let u = rng.uniform() * mu
                if u >= total { continue }                       // virtual interaction
                if u < at(0) * rho { deposit(v, en); return 0 }  // photoelectric
                if u < at(1) * rho {
                    // Compton (Klein–Nishina, Geant4 sampling).
                    let kk = en / 0.51099895
                    let eps0 = 1 / (1 + 2 * kk), eps0sq = eps0 * eps0, a1 = -log(eps0), a2 = a1 + 0.5 * (1 - eps0sq)
                    var eps = 1.0, onecost = 0.0
                    while true {
                        var epssq: Double
                        if a1 > a2 * rng.uniform() { eps = exp(-a1 * rng.uniform()); epssq = eps * eps } else {
                            epssq = eps0sq + (1 - eps0sq) * rng.uniform(); eps = epssq.squareRoot()
                        }
                        onecost = (1 - eps) / (eps * kk)
                        let sint2 = onecost * (2 - onecost)
                        if 1 - eps * sint2 / (1 + epssq) >= rng.uniform() { break }
                    }
                    let te = en * (1 - eps)
                    if te > 0.05 { _ = electronCm(p, d, te, &rng) } else { deposit(v, te) }
                    en *= eps
                    d = rotate(d, cosTheta: 1 - onecost, &rng)
                } else {
                    // Rayleigh, Thomson angles (1 + cos²θ).
                    var c = 0.0
                    repeat { c = 2 * rng.uniform() - 1 } while rng.uniform() * 2 > 1 + c * c
                    d = rotate(d, cosTheta: c, &rng)
                }
            }
        }

        /// Electron from a position in mm.
        mutating func electron(_ posMM: SIMD3<Double>, _ dir: SIMD3<Double>, _ t0: Double, _ rng: inout SeededGenerator) -> Double {
            electronCm(posMM / 10, dir, t0, &rng)
        }

        /// Class-II condensed history from `p0` (cm); returns the energy escaping the grid.
        ///
        /// Continuous losses on the restricted range (``ElectronRangeTable/waterRestricted``: collisions below
        /// ``ElectronStoppingPower/hardCollisionThresholdMeV`` and radiative), in steps of ``electronStepFraction`` of
        /// the residual range (water-equivalent mass thickness); hard collisions (energy transfer W above the
        /// threshold, free-electron cross-section k/β²W⁻²) sampled per step — the energy-loss straggling a CSDA track
        /// lacks — with their δ ray (> 50 keV transported, else deposited) and the primary's deflection by binary
        /// kinematics. Each step's elastic deflection (``ElectronElasticScattering``: the transport number of the whole
        /// step, Wentzel angles) and its hard collisions happen at a uniformly random point of the step (the "random
        /// hinge" of PENELOPE, Salvat et al., NEA 2015, §4.1: it gives the right mean longitudinal and lateral
        /// displacement over the step, where a deflection at the step's end lets the electron run straight for the
        /// whole step and overestimates its penetration).
        mutating func electronCm(_ p0: SIMD3<Double>, _ d0: SIMD3<Double>, _ t0: Double, _ rng: inout SeededGenerator) -> Double {
            var p = p0, d = d0
            var q = p
            guard var v = voxel(&q) else { return t0 }
            p = q
            // The tables as locals: read from the shared class once per track, not retained at every step.
            let ranges = w.ranges, scattering = w.scattering
            var residual = ranges.rangeOf(t0)    // g/cm², water-equivalent, restricted range
            // Energy at the last deposit (entry into the current voxel): the energy lost in a voxel is deposited when
            // the electron leaves it or stops, so a step that stays inside one voxel needs no range → energy lookup.
            var tEntry = t0
            var escapedSecondaries = 0.0
            /// Walks `mass` (g/cm²) along `d` voxel by voxel, depositing the energy lost in each voxel it leaves; false
            /// when the electron leaves the grid (the energy it carries out is then `tEntry`).
            func walk(_ mass: Double) -> Bool {
                var stepLeft = mass
                while stepLeft > 0 {
                    let rho = max(Double(w.density[v]) * w.electronScale[Int(w.medium[v])], 1e-6)
                    // Distance to the voxel boundary along d.
                    let i = Double(v % w.nx), j = Double((v / w.nx) % w.ny), k = Double(v / (w.nx * w.ny))
                    var dist = Double.infinity
                    if d.x > 0 { dist = min(dist, ((i + 1) * w.vx - p.x) / d.x) } else if d.x < 0 { dist = min(dist, (i * w.vx - p.x) / d.x) }
                    if d.y > 0 { dist = min(dist, ((j + 1) * w.vy - p.y) / d.y) } else if d.y < 0 { dist = min(dist, (j * w.vy - p.y) / d.y) }
                    if d.z > 0 { dist = min(dist, ((k + 1) * w.vz - p.z) / d.z) } else if d.z < 0 { dist = min(dist, (k * w.vz - p.z) / d.z) }
                    dist = max(dist, 0)
                    let massToBoundary = dist * rho
                    if massToBoundary >= stepLeft {
                        p += d * (stepLeft / rho)
                        residual -= stepLeft; stepLeft = 0
                    } else {
                        residual -= massToBoundary; stepLeft -= massToBoundary
                        let t1 = ranges.energy(range: residual)
                        deposit(v, tEntry - t1); tEntry = t1
                        p += d * (dist + 1e-9)
                        q = p
                        guard let nv = voxel(&q) else { return false }
                        p = q; v = nv
                    }
                }
                return true
            }
            let mc2 = ElectronStoppingPower.mc2, cut = ElectronStoppingPower.hardCollisionThresholdMeV
            var t = t0
            var logT = log(max(t0, 0.001))   // ln of the step's start energy: the previous step's end, computed once
            while t > 0.01 {
                var step = max(residual * MonteCarloDose.electronStepFraction, 2e-4)
                step = min(step, residual)
                // Elastic scattering over the whole step: its transport number from the continuous energy loss.
                let m = Int(w.medium[v])
                let tEnd = ranges.energy(range: residual - step)
                let logTEnd = log(max(tEnd, 0.001))
                let lambda = scattering.transportNumber(m, logMeV: logT) - scattering.transportNumber(m, logMeV: logTEnd)
                let cosTheta = scattering.sampleCosine(transportNumber: max(lambda, 0), &rng)
                // Hard collisions in the step (Poisson, at the energy of its start).
                let mean = step * ElectronStoppingPower.hardCollisionsWater(mev: t)
                var hard = 0
                if mean > 0 {
                    var prod = rng.uniform(); let limit = exp(-mean)
                    while prod > limit { hard += 1; prod *= rng.uniform() }
                }
                let hinge = MonteCarloDose.randomHinge ? rng.uniform() : 1
                guard walk(step * hinge) else { return tEntry + escapedSecondaries }
                d = rotate(d, cosTheta: cosTheta, &rng)
                if hard > 0 {
                    var th = ranges.energy(range: residual)
                    for _ in 0..<hard where th > 2 * cut {
                        // W from k/β²W⁻² on [Δ, T/2]; the δ ray and the primary leave by binary kinematics.
                        let u = rng.uniform()
                        let transfer = 1 / (1 / cut - u * (1 / cut - 2 / th))
                        let cosDelta = (transfer * (th + 2 * mc2) / (th * (transfer + 2 * mc2))).squareRoot()
                        let rest = th - transfer
                        let cosPrimary = (rest * (th + 2 * mc2) / (th * (rest + 2 * mc2))).squareRoot()
                        let phi = 2 * Double.pi * rng.uniform()   // δ ray and primary on opposite azimuths
                        let deltaDir = rotate(d, cosTheta: min(cosDelta, 1), phi: phi)
                        d = rotate(d, cosTheta: min(cosPrimary, 1), phi: phi + Double.pi)
                        tEntry -= transfer
                        if transfer > 0.05 { escapedSecondaries += electronCm(p, deltaDir, transfer, &rng) } else { deposit(v, transfer) }
                        th = rest
                    }
                    residual = ranges.rangeOf(th)
                }
                if hinge < 1 { guard walk(min(step * (1 - hinge), residual)) else { return tEntry + escapedSecondaries } }
                // Without a hard collision the step ended on the continuous path: its end energy is known.
                t = hard == 0 ? tEnd : ranges.energy(range: residual)
                logT = hard == 0 ? logTEnd : log(max(t, 0.001))
            }
            deposit(v, tEntry)
            return escapedSecondaries
        }

        /// Rotates `d` by polar angle acos(cosTheta) and a uniform azimuth.
        @inline(__always) func rotate(_ d: SIMD3<Double>, cosTheta c: Double, _ rng: inout SeededGenerator) -> SIMD3<Double> {
            rotate(d, cosTheta: c, phi: 2 * Double.pi * rng.uniform())
        }

        /// Rotates `d` by polar angle acos(cosTheta) and azimuth `phi`.
        @inline(__always) func rotate(_ d: SIMD3<Double>, cosTheta c: Double, phi: Double) -> SIMD3<Double> {
            let s = max(0, 1 - c * c).squareRoot()
            let cp = cos(phi), sp = sin(phi)
            if abs(d.z) > 0.99999 {
                return SIMD3(s * cp, s * sp, c * (d.z > 0 ? 1 : -1))
            }
            let r = (1 - d.z * d.z).squareRoot()
            return SIMD3(d.x * c + s * (d.x * d.z * cp - d.y * sp) / r,
                         d.y * c + s * (d.y * d.z * cp + d.x * sp) / r,
                         d.z * c - s * cp * r)
        }
    }
}
