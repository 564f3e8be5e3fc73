import Foundation

/// Poisson log-likelihood of measured projections y given the system model: L(x) = Σ y log ȳ − ȳ, ȳ = A x + s.
public struct PoissonLikelihood: Sendable {
    /// The system model (its ``SystemModel/scatter`` is the additive term s).
    public var system: SystemModel
    /// Measured counts.
    public var measured: Projections

    /// Pairs a system model with measured projections of the same geometry.
    public init(system: SystemModel, measured: Projections) throws(ReconstructionError) {
        let g = system.geometry
        guard measured.values.count == g.views * g.pixelsPerView else {
            throw .sizeMismatch(what: "measured projections", expected: g.views * g.pixelsPerView,
                                actual: measured.values.count)
        }
        self.system = system; self.measured = measured
    }

    /// Σ_{v∈views} A_vᵀ (y_v / ȳ_v) — the EM back-projected ratio (0 where ȳ ≤ 0).
    func backProjectedRatio(_ x: ReconVolume, views: [Int]) -> ReconVolume {
        let ppv = system.geometry.pixelsPerView
        return measured.values.withUnsafeBufferPointer { yp in
            let s = system.scatter
            return system.forwardThenBack(x, views: views) { v, buf in
                let y = yp.baseAddress! + v * ppv
                if let s {
                    s.values.withUnsafeBufferPointer { sp in
                        let sv = sp.baseAddress! + v * ppv
                        for k in 0..<ppv { let e = buf[k] + sv[k]; buf[k] = e > 0 ? y[k] / e : 0 }
                    }
                } else {
                    for k in 0..<ppv { let e = buf[k]; buf[k] = e > 0 ? y[k] / e : 0 }
                }
            }
        }
    }

    /// L(x) over all views (for diagnostics; constant terms dropped).
    public func logLikelihood(_ x: ReconVolume) -> Double {
        let e = system.expected(x)
        var l = 0.0
        for k in 0..<e.values.count {
            let m = Double(e.values[k])
            if m > 0 { l += Double(measured.values[k]) * log(m) - m }
        }
        return l
    }
}

/// Ordered-subsets expectation maximisation (Hudson & Larkin 1994); MLEM is OSEM with one subset.
///
/// Subsets are interleaved views (m, m+M, m+2M, …). Update per subset S:
/// x ← x / (A_Sᵀ 1) · A_Sᵀ (y / (A_S x + s)).
public struct OSEM: Sendable {
    /// The likelihood to maximise.
    public var likelihood: PoissonLikelihood
    /// Creates the algorithm.
    public init(likelihood: PoissonLikelihood) { self.likelihood = likelihood }

    /// Runs `iterations × subsets` sub-iterations from `initial` (default: ones inside the grid).
    public func run(iterations: Int, subsets: Int = 1, initial: ReconVolume? = nil,
                    progress: ((ReconProgress) -> Void)? = nil) -> ReconVolume {
        let sys = likelihood.system
        let m = max(1, min(subsets, sys.geometry.views))
        var x = initial ?? ReconVolume(geometry: sys.geometry, value: 1)
        let sets = (0..<m).map { sys.subsetViews($0, of: m) }
        let sens = sets.map { sys.sensitivity(views: $0) }
        for it in 0..<iterations {
            for (k, views) in sets.enumerated() {
                let r = likelihood.backProjectedRatio(x, views: views)
                let s = sens[k]
                x.values.withUnsafeMutableBufferPointer { xp in
                    for i in 0..<xp.count {
                        let d = s.values[i]
                        xp[i] = d > 0 ? xp[i] * r.values[i] / d : 0
                    }
                }
                progress?(ReconProgress(iteration: it, subset: k, iterations: iterations, subsets: m))
            }
        }
        return x
    }
}

/// MLEM (Shepp & Vardi 1982): OSEM with a single subset.
public struct MLEM: Sendable {
    /// The likelihood to maximise.
    public var likelihood: PoissonLikelihood
    /// Creates the algorithm.
    public init(likelihood: PoissonLikelihood) { self.likelihood = likelihood }
    /// Runs `iterations` full EM iterations.
    public func run(iterations: Int, initial: ReconVolume? = nil,
                    progress: ((ReconProgress) -> Void)? = nil) -> ReconVolume {
        OSEM(likelihood: likelihood).run(iterations: iterations, subsets: 1, initial: initial, progress: progress)
    }
}

/// The relative-difference prior (Nuyts et al. 2002) on the 26-neighbourhood with 1/distance weights:
/// R(x) = ½ Σ_j Σ_{k∈N_j} w_jk (x_j − x_k)² / (x_j + x_k + γ|x_j − x_k| + ε).
public struct RelativeDifferencePrior: Sendable {
    /// Edge-preservation parameter γ ≥ 0 (larger: less smoothing across edges).
    public var gamma: Double
    /// Small positive number that keeps the ratio finite at zero.
    public var epsilon: Double
    /// Creates the prior.
    public init(gamma: Double = 2, epsilon: Double = 1e-9) { self.gamma = gamma; self.epsilon = epsilon }

    /// ∂R/∂x_j = Σ_k w_jk (x_j − x_k)(x_j + 3x_k + γ|x_j − x_k|) / (x_j + x_k + γ|x_j − x_k| + ε)².
    public func gradient(_ x: ReconVolume) -> ReconVolume {
        let n = x.n, nz = x.slices
        var g = ReconVolume(n: n, slices: nz)
        let gm = Float(gamma), eps = Float(epsilon)
        var offsets: [(Int, Int, Int, Float)] = []
        for dx in -1...1 { for dy in -1...1 { for dz in -1...1 where dx != 0 || dy != 0 || dz != 0 {
            offsets.append((dx, dy, dz, 1 / Float(Double(dx * dx + dy * dy + dz * dz).squareRoot())))
        } } }
        x.values.withUnsafeBufferPointer { xp in
            g.values.withUnsafeMutableBufferPointer { gp in
                for ix in 0..<n { for iy in 0..<n {
                    let row = (ix * n + iy) * nz
                    for (dx, dy, dz, w) in offsets {
                        let jx = ix + dx, jy = iy + dy
                        if jx < 0 || jy < 0 || jx >= n || jy >= n { continue }
                        let nrow = (jx * n + jy) * nz
                        let z0 = max(0, -dz), z1 = min(nz, nz - dz)
                        for z in z0..<z1 {
                            let a = xp[row + z], b = xp[nrow + z + dz]
                            let d = a - b, ad = abs(d)
                            let den = a + b + gm * ad + eps
                            gp[row + z] += w * d * (a + 3 * b + gm * ad) / (den * den)
                        }
                    }
                } }
            }
        }
        return g
    }
}

/// Block sequential regularised EM (De Pierro & Yamagishi 2001; Ahn & Fessler 2003) maximising L(x) − β R(x):
/// per subset S, x ← max(x + α_n · x / (A_Sᵀ1) · [A_Sᵀ(y/ȳ) − A_Sᵀ1 − (β/M) ∇R(x)], x_min), with a relaxation
/// α_n = α₀ / (1 + η·n) that decreases with the iteration n. With β = 0 and α = 1 one sub-iteration is OSEM's.
public struct BSREM: Sendable {
    /// The likelihood.
    public var likelihood: PoissonLikelihood
    /// The prior.
    public var prior: RelativeDifferencePrior
    /// Prior strength β (in the units of the likelihood: counts).
    public var beta: Double
    /// Initial relaxation α₀.
    public var relaxation: Double
    /// Relaxation decay η.
    public var relaxationDecay: Double
    /// Creates the algorithm.
    public init(likelihood: PoissonLikelihood, prior: RelativeDifferencePrior = RelativeDifferencePrior(),
                beta: Double, relaxation: Double = 1, relaxationDecay: Double = 0.1) {
        self.likelihood = likelihood; self.prior = prior; self.beta = beta
        self.relaxation = relaxation; self.relaxationDecay = relaxationDecay
    }

    /// Runs `iterations × subsets` sub-iterations from `initial` (default: ones).
    public func run(iterations: Int, subsets: Int, initial: ReconVolume? = nil,
                    progress: ((ReconProgress) -> Void)? = nil) -> ReconVolume {
        let sys = likelihood.system
        let m = max(1, min(subsets, sys.geometry.views))
        var x = initial ?? ReconVolume(geometry: sys.geometry, value: 1)
        let sets = (0..<m).map { sys.subsetViews($0, of: m) }
        let sens = sets.map { sys.sensitivity(views: $0) }
        let scale = Float(beta / Double(m))
        for it in 0..<iterations {
            let alpha = Float(relaxation / (1 + relaxationDecay * Double(it)))
            for (k, views) in sets.enumerated() {
                let r = likelihood.backProjectedRatio(x, views: views)
                let pg = beta > 0 ? prior.gradient(x) : nil
                let s = sens[k]
                x.values.withUnsafeMutableBufferPointer { xp in
                    for i in 0..<xp.count {
                        let d = s.values[i]
                        guard d > 0 else { xp[i] = 0; continue }
                        var grad = r.values[i] - d
                        if let pg { grad -= scale * pg.values[i] }
                        xp[i] = max(xp[i] + alpha * xp[i] / d * grad, 1e-6 * xp[i] + 1e-12)
                    }
                }
                progress?(ReconProgress(iteration: it, subset: k, iterations: iterations, subsets: m))
            }
        }
        return x
    }
}
