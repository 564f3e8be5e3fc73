import Foundation

/// One sample of a time–activity curve: activity in a VOI at a time after administration.
public struct TACPoint: Sendable, Equatable, Codable {
    /// Hours after the administration (the reference time of the study).
    public var timeHours: Double
    /// Activity in the VOI at that time, MBq (decay-corrected to the acquisition time only, never to injection).
    public var activityMBq: Double
    /// One standard deviation of the activity, MBq (nil: unknown, equal relative weights are used).
    public var sigmaMBq: Double?
    /// Creates a sample.
    public init(timeHours: Double, activityMBq: Double, sigmaMBq: Double? = nil) {
        self.timeHours = timeHours; self.activityMBq = activityMBq; self.sigmaMBq = sigmaMBq
    }
}

/// How the time-integrated activity of a curve is computed.
public enum TACMethod: String, Sendable, Codable, CaseIterable {
    /// Choose between `mono` and `bi` by the corrected Akaike information criterion (bi needs ≥ 4 points; plain
    /// AIC where the correction is undefined, n ≤ K + 1);
    /// falls back to `trapezoid` when neither fit is physical.
    case auto
    /// A(t) = A₀·e^(−λt), weighted least squares; TIA = A₀/λ.
    case mono
    /// Uptake–washout A(t) = A₀·(e^(−λ₁t) − e^(−λ₂t)), λ₂ > λ₁; TIA = A₀·(1/λ₁ − 1/λ₂).
    case bi
    /// Trapezoids between the samples, a triangle from (0, 0) to the first sample, and a tail after the last
    /// sample (physical decay, or the mono-exponential fitted to the last points).
    case trapezoid
    /// Single time point, Hänscheid et al. (J Nucl Med 2018;59:75–81): TIA ≈ A(t)·2t/ln 2.
    case hanscheid
    /// Single time point, Madsen et al. (Med Phys 2018;45:2318–2324): TIA = A(t)·e^(λ_eff t)/λ_eff with a
    /// population effective half-life.
    case madsen
}

/// The tail after the last sample of a trapezoid integration.
public enum TACTail: String, Sendable, Codable {
    /// A_last/λ_phys: clearance by physical decay only (an upper bound when there is biological washout).
    case physical
    /// A_last/λ with λ from a mono-exponential fit to the last two or more samples (λ ≥ λ_phys enforced).
    case fitted
}

/// A fitted or integrated time–activity curve and its time-integrated activity.
public struct TACFit: Sendable, Equatable, Codable {
    /// The method used (never `auto`: the choice made is stated).
    public var method: TACMethod
    /// Time-integrated activity from 0 to ∞, MBq·h.
    public var tiaMBqh: Double
    /// One standard deviation of the TIA from the fit covariance (nil when the method gives none).
    public var tiaSigmaMBqh: Double?
    /// Parameters by name (`A0MBq`, `lambdaPerH`, `lambdaUptakePerH`, `tailLambdaPerH`, …).
    public var parameters: [String: Double]
    /// One standard deviation of each fitted parameter.
    public var parameterSigmas: [String: Double]
    /// Effective (clearance) half-life in hours where the model has one.
    public var effectiveHalfLifeHours: Double?
    /// The tail convention for trapezoids.
    public var tail: TACTail?
    /// Residual sum of squares (weighted) for fits.
    public var weightedRSS: Double?
    /// Corrected Akaike information criterion for fits (plain AIC when n ≤ K + 1; smaller is better).
    public var aicc: Double?
    /// A sentence stating the method and its conventions, for reports.
    public var description: String
    /// Warnings (non-physical rates, fallback choices).
    public var warnings: [String]

    /// The model activity at `t` hours (the fitted curve; piecewise-linear for trapezoids is not modelled: nil).
    public func activity(atHours t: Double) -> Double? {
        switch method {
        case .mono, .hanscheid, .madsen:
            guard let a0 = parameters["A0MBq"], let l = parameters["lambdaPerH"] else { return nil }
            return a0 * exp(-l * t)
        case .bi:
            guard let a0 = parameters["A0MBq"], let l1 = parameters["lambdaPerH"],
                  let l2 = parameters["lambdaUptakePerH"] else { return nil }
            return a0 * (exp(-l1 * t) - exp(-l2 * t))
        default: return nil
        }
    }
}

/// Time–activity curve fitting and time integration.
public enum TACFitter {
    /// Validates samples: at least `minimum`, finite, times > 0 and increasing, activities ≥ 0.
    static func validated(_ points: [TACPoint], minimum: Int) throws(DosimetryError) -> [TACPoint] {
        guard points.count >= minimum else {
            throw .invalidTAC("\(points.count) sample(s); this method needs at least \(minimum)")
        }
        let sorted = points.sorted { $0.timeHours < $1.timeHours }
        for (i, p) in sorted.enumerated() {
            guard p.timeHours.isFinite, p.activityMBq.isFinite, p.timeHours > 0 else {
                throw .invalidTAC("sample \(i) at t = \(p.timeHours) h: times must be finite and > 0")
            }
            guard p.activityMBq >= 0 else { throw .invalidTAC("sample \(i) at t = \(p.timeHours) h has negative activity \(p.activityMBq) MBq") }
            if let s = p.sigmaMBq { guard s.isFinite, s > 0 else { throw .invalidTAC("sample \(i): σ must be finite and > 0") } }
            if i > 0, sorted[i - 1].timeHours == p.timeHours { throw .invalidTAC("two samples at t = \(p.timeHours) h") }
        }
        return sorted
    }

    /// Fits or integrates `points` by `method`. `physicalHalfLifeHours` is the nuclide's half-life (tails,
    /// constraints); `populationEffectiveHalfLifeHours` is needed by Madsen's method.
    public static func fit(_ points: [TACPoint], method: TACMethod, physicalHalfLifeHours: Double,
                           tail: TACTail = .physical, populationEffectiveHalfLifeHours: Double? = nil) throws(DosimetryError) -> TACFit {
        guard physicalHalfLifeHours.isFinite, physicalHalfLifeHours > 0 else { throw .invalidArgument("physical half-life must be > 0 h") }
        switch method {
        case .mono: return try mono(points, physicalHalfLifeHours: physicalHalfLifeHours)
        case .bi: return try bi(points, physicalHalfLifeHours: physicalHalfLifeHours)
        case .trapezoid: return try trapezoid(points, tail: tail, physicalHalfLifeHours: physicalHalfLifeHours)
        case .hanscheid:
            let p = try validated(points, minimum: 1)
            return hanscheid(p.last!)
        case .madsen:
            let p = try validated(points, minimum: 1)
            guard let teff = populationEffectiveHalfLifeHours, teff > 0, teff.isFinite else {
                throw .invalidArgument("Madsen's single-time-point method needs a population effective half-life (h)")
            }
            return madsen(p.last!, effectiveHalfLifeHours: teff)
        case .auto:
            var candidates: [TACFit] = []
            var notes: [String] = []
            do { candidates.append(try mono(points, physicalHalfLifeHours: physicalHalfLifeHours)) } catch { notes.append("mono: \(error)") }
            if points.count >= 4 {
                do { candidates.append(try bi(points, physicalHalfLifeHours: physicalHalfLifeHours)) } catch { notes.append("bi: \(error)") }
            }
            let physical = candidates.filter { $0.warnings.isEmpty && ($0.aicc?.isFinite ?? false) }
            if var best = physical.min(by: { $0.aicc! < $1.aicc! }) {
                best.description = "auto (AICc) chose \(best.method.rawValue): " + best.description
                best.warnings += notes
                return best
            }
            var t = try trapezoid(points, tail: tail, physicalHalfLifeHours: physicalHalfLifeHours)
            t.warnings.append("auto: no physical exponential fit (\(notes.joined(separator: "; "))); trapezoid used")
            return t
        }
    }

    /// Weights 1/σ² from the samples' σ, or relative weights 1/A² (equal relative error) when σ is unknown.
    static func weights(_ p: [TACPoint]) -> [Double] {
        p.map { q in
            if let s = q.sigmaMBq { return 1 / (s * s) }
            return 1 / max(q.activityMBq * q.activityMBq, 1e-30)
        }
    }

    /// Mono-exponential A₀e^(−λt) by weighted Levenberg–Marquardt, started from the log-linear fit.
    public static func mono(_ points: [TACPoint], physicalHalfLifeHours: Double) throws(DosimetryError) -> TACFit {
        let p = try validated(points, minimum: 2)
        let w = weights(p)
        // Start: weighted log-linear regression on positive samples.
        let pos = p.filter { $0.activityMBq > 0 }
        guard pos.count >= 2 else { throw .fitFailed("mono-exponential needs two samples with activity > 0") }
        let (slope, intercept) = linearRegression(pos.map(\.timeHours), pos.map { log($0.activityMBq) })
        var start = [exp(intercept), max(-slope, 1e-6)]
        if !start[0].isFinite { start[0] = pos[0].activityMBq }
        let model: ([Double], Double) -> (Double, [Double]) = { q, t in
            let e = exp(-q[1] * t)
            return (q[0] * e, [e, -q[0] * t * e])
        }
        let r = try levenbergMarquardt(t: p.map(\.timeHours), y: p.map(\.activityMBq), w: w, start: start, model: model)
        let a0 = r.params[0], l = r.params[1]
        guard a0 > 0, l > 0 else { throw .fitFailed("mono-exponential gave A0 = \(a0) MBq, λ = \(l) /h (not a clearing curve)") }
        let tia = a0 / l
        let g = [1 / l, -a0 / (l * l)]
        let varT = quadratic(g, r.covariance)
        let lphys = log(2) / physicalHalfLifeHours
        var warnings: [String] = []
        if l < lphys * 0.98 { warnings.append(String(format: "fitted λ = %.4g /h is slower than physical decay (%.4g /h): uptake still going on at the last sample?", l, lphys)) }
        return TACFit(method: .mono, tiaMBqh: tia, tiaSigmaMBqh: varT.squareRoot(),
                      parameters: ["A0MBq": a0, "lambdaPerH": l],
                      parameterSigmas: ["A0MBq": r.covariance[0][0].squareRoot(), "lambdaPerH": r.covariance[1][1].squareRoot()],
                      effectiveHalfLifeHours: log(2) / l, tail: nil, weightedRSS: r.rss,
                      aicc: aicc(rss: r.rss, n: p.count, k: 2),
                      description: String(format: "mono-exponential A0·exp(−λt), weighted least squares (%@), integrated 0→∞; T_eff = %.4g h",
                                          p.contains { $0.sigmaMBq != nil } ? "1/σ² weights" : "equal relative weights", log(2) / l),
                      warnings: warnings)
    }

    /// Uptake–washout bi-exponential A₀(e^(−λ₁t) − e^(−λ₂t)) by weighted Levenberg–Marquardt.
    public static func bi(_ points: [TACPoint], physicalHalfLifeHours: Double) throws(DosimetryError) -> TACFit {
        let p = try validated(points, minimum: 3)
        let w = weights(p)
        // Start: washout from the mono fit of the samples after the maximum, uptake 5× faster than the first sample.
        let imax = p.indices.max { p[$0].activityMBq < p[$1].activityMBq }!
        let tailPoints = Array(p[imax...])
        var l1 = log(2) / physicalHalfLifeHours, a0 = p[imax].activityMBq * exp(l1 * p[imax].timeHours)
        if tailPoints.count >= 2, tailPoints.allSatisfy({ $0.activityMBq > 0 }) {
            let (s, i) = linearRegression(tailPoints.map(\.timeHours), tailPoints.map { log($0.activityMBq) })
            if -s > 0 { l1 = -s; a0 = exp(i) }
        }
        let l2 = max(5 / p[0].timeHours, 2 * l1)
        let model: ([Double], Double) -> (Double, [Double]) = { q, t in
            let e1 = exp(-q[1] * t), e2 = exp(-q[2] * t)
            return (q[0] * (e1 - e2), [e1 - e2, -q[0] * t * e1, q[0] * t * e2])
        }
        let r = try levenbergMarquardt(t: p.map(\.timeHours), y: p.map(\.activityMBq), w: w, start: [a0, l1, l2], model: model)
        let A = r.params[0], la = r.params[1], lb = r.params[2]
        guard A > 0, la > 0, lb > la else {
            throw .fitFailed(String(format: "bi-exponential gave A0 = %.4g MBq, λ1 = %.4g /h, λ2 = %.4g /h (need A0 > 0, 0 < λ1 < λ2)", A, la, lb))
        }
        let tia = A * (1 / la - 1 / lb)
        let g = [1 / la - 1 / lb, -A / (la * la), A / (lb * lb)]
        let varT = quadratic(g, r.covariance)
        let lphys = log(2) / physicalHalfLifeHours
        var warnings: [String] = []
        if la < lphys * 0.98 { warnings.append(String(format: "fitted washout λ = %.4g /h is slower than physical decay (%.4g /h)", la, lphys)) }
        return TACFit(method: .bi, tiaMBqh: tia, tiaSigmaMBqh: varT.squareRoot(),
                      parameters: ["A0MBq": A, "lambdaPerH": la, "lambdaUptakePerH": lb],
                      parameterSigmas: ["A0MBq": r.covariance[0][0].squareRoot(), "lambdaPerH": r.covariance[1][1].squareRoot(),
                                        "lambdaUptakePerH": r.covariance[2][2].squareRoot()],
                      effectiveHalfLifeHours: log(2) / la, tail: nil, weightedRSS: r.rss,
                      aicc: aicc(rss: r.rss, n: p.count, k: 3),
                      description: String(format: "bi-exponential uptake–washout A0·(exp(−λ1 t) − exp(−λ2 t)), weighted least squares, integrated 0→∞; washout T_eff = %.4g h, uptake T = %.4g h",
                                          log(2) / la, log(2) / lb),
                      warnings: warnings)
    }

    /// Trapezoid rule over the samples with a triangle from (0, 0) and a tail after the last sample.
    public static func trapezoid(_ points: [TACPoint], tail: TACTail, physicalHalfLifeHours: Double) throws(DosimetryError) -> TACFit {
        let p = try validated(points, minimum: 1)
        var area = 0.5 * p[0].timeHours * p[0].activityMBq
        for i in 1..<max(p.count, 1) where i < p.count {
            area += 0.5 * (p[i].timeHours - p[i - 1].timeHours) * (p[i].activityMBq + p[i - 1].activityMBq)
        }
        let lphys = log(2) / physicalHalfLifeHours
        var lambda = lphys
        var warnings: [String] = []
        var usedTail = tail
        if tail == .fitted {
            let last = Array(p.suffix(min(3, p.count)))
            if last.count >= 2, last.allSatisfy({ $0.activityMBq > 0 }) {
                let (s, _) = linearRegression(last.map(\.timeHours), last.map { log($0.activityMBq) })
                if -s >= lphys { lambda = -s } else {
                    warnings.append(String(format: "fitted tail λ = %.4g /h < physical λ; physical decay used for the tail", -s))
                    usedTail = .physical
                }
            } else {
                warnings.append("fitted tail needs two samples with activity > 0 at the end; physical decay used")
                usedTail = .physical
            }
        }
        let tailArea = p.last!.activityMBq / lambda
        return TACFit(method: .trapezoid, tiaMBqh: area + tailArea, tiaSigmaMBqh: nil,
                      parameters: ["tailLambdaPerH": lambda, "areaSampledMBqh": area, "areaTailMBqh": tailArea],
                      parameterSigmas: [:], effectiveHalfLifeHours: nil, tail: usedTail, weightedRSS: nil, aicc: nil,
                      description: String(format: "trapezoids, linear uptake from (0,0) to the first sample, %@ tail A_last/λ (λ = %.4g /h)",
                                          usedTail == .physical ? "physical-decay" : "fitted mono-exponential", lambda),
                      warnings: warnings)
    }

    /// Hänscheid's single-time-point approximation TIA ≈ A(t)·2t/ln 2. For a mono-exponential curve the ratio to
    /// the true TIA is 2x·e^(−x)/ln 2 with x = t·ln2/T_eff: exact at t = T_eff (and t ≈ 1.95 T_eff), at most 6.2 %
    /// high (t = T_eff/ln 2), about 10 % low at t = 0.75 T_eff and t = 2.4 T_eff.
    public static func hanscheid(_ p: TACPoint) -> TACFit {
        let tia = p.activityMBq * 2 * p.timeHours / log(2)
        return TACFit(method: .hanscheid, tiaMBqh: tia, tiaSigmaMBqh: nil,
                      parameters: ["timeHours": p.timeHours, "activityMBq": p.activityMBq], parameterSigmas: [:],
                      effectiveHalfLifeHours: nil, tail: nil, weightedRSS: nil, aicc: nil,
                      description: String(format: "single time point (Hänscheid 2018, J Nucl Med 59:75): A(t)·2t/ln2 at t = %.4g h", p.timeHours),
                      warnings: [])
    }

    /// Madsen's single-time-point method TIA = A(t)·e^(λt)/λ with λ = ln 2 / T_eff(population).
    public static func madsen(_ p: TACPoint, effectiveHalfLifeHours teff: Double) -> TACFit {
        let l = log(2) / teff
        let a0 = p.activityMBq * exp(l * p.timeHours)
        return TACFit(method: .madsen, tiaMBqh: a0 / l, tiaSigmaMBqh: nil,
                      parameters: ["A0MBq": a0, "lambdaPerH": l], parameterSigmas: [:],
                      effectiveHalfLifeHours: teff, tail: nil, weightedRSS: nil, aicc: nil,
                      description: String(format: "single time point (Madsen 2018, Med Phys 45:2318): A(t)·exp(λt)/λ at t = %.4g h, population T_eff = %.4g h", p.timeHours, teff),
                      warnings: [])
    }

    // MARK: - Numerics

    static func linearRegression(_ x: [Double], _ y: [Double]) -> (slope: Double, intercept: Double) {
        let n = Double(x.count)
        let mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx) }
        let s = sxx > 0 ? sxy / sxx : 0
        return (s, my - s * mx)
    }

    static func quadratic(_ g: [Double], _ c: [[Double]]) -> Double {
        var v = 0.0
        for i in g.indices { for j in g.indices { v += g[i] * c[i][j] * g[j] } }
        return max(v, 0)
    }

    static func aicc(rss: Double, n: Int, k: Int) -> Double {
        let nn = Double(n), kk = Double(k + 1)  // +1: the residual variance
        let base = nn * log(max(rss, 1e-300) / nn) + 2 * kk
        // The small-sample correction is undefined for n ≤ K + 1 (e.g. a bi-exponential on 4 samples): plain AIC then.
        return nn - kk - 1 > 0 ? base + 2 * kk * (kk + 1) / (nn - kk - 1) : base
    }

    struct LMResult { var params: [Double]; var covariance: [[Double]]; var rss: Double }

    /// Weighted Levenberg–Marquardt for small models; covariance (JᵀWJ)⁻¹ scaled by the reduced χ² when the
    /// weights are relative, i.e. the usual "σ from the scatter" estimate (unscaled when dof = 0).
    static func levenbergMarquardt(t: [Double], y: [Double], w: [Double], start: [Double],
                                   model: ([Double], Double) -> (Double, [Double])) throws(DosimetryError) -> LMResult {
        let k = start.count
        var q = start
        func rss(_ q: [Double]) -> Double {
            var s = 0.0
            for i in t.indices { let r = y[i] - model(q, t[i]).0; s += w[i] * r * r }
            return s
        }
        var current = rss(q)
        var mu = 1e-3
        for _ in 0..<500 {
            var jtj = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
            var jtr = [Double](repeating: 0, count: k)
            for i in t.indices {
                let (f, g) = model(q, t[i])
                let r = y[i] - f
                for a in 0..<k {
                    jtr[a] += w[i] * g[a] * r
                    for b in 0..<k { jtj[a][b] += w[i] * g[a] * g[b] }
                }
            }
            var improved = false
            for _ in 0..<30 {
                var m = jtj
                for a in 0..<k { m[a][a] += mu * max(jtj[a][a], 1e-300) }
                guard let step = solve(m, jtr) else { mu *= 10; continue }
                let trial = zip(q, step).map { $0 + $1 }
                let s = rss(trial)
                if s.isFinite, s <= current {
                    let rel = (current - s) / max(current, 1e-300)
                    q = trial; current = s; mu = max(mu / 3, 1e-12); improved = true
                    if rel < 1e-14 || step.enumerated().allSatisfy({ abs($0.element) <= 1e-12 * max(abs(q[$0.offset]), 1e-12) }) {
                        return try finish(q, jtjAt(q), current)
                    }
                    break
                }
                mu *= 10
            }
            if !improved { break }
        }
        return try finish(q, jtjAt(q), current)

        func jtjAt(_ q: [Double]) -> [[Double]] {
            var jtj = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)
            for i in t.indices {
                let g = model(q, t[i]).1
                for a in 0..<k { for b in 0..<k { jtj[a][b] += w[i] * g[a] * g[b] } }
            }
            return jtj
        }
        func finish(_ q: [Double], _ jtj: [[Double]], _ s: Double) throws(DosimetryError) -> LMResult {
            guard q.allSatisfy(\.isFinite), let inv = invert(jtj) else { throw .fitFailed("singular normal matrix (parameters not determined by the samples)") }
            let dof = t.count - k
            let scale = dof > 0 ? s / Double(dof) : 1
            return LMResult(params: q, covariance: inv.map { $0.map { $0 * scale } }, rss: s)
        }
    }

    static func solve(_ a: [[Double]], _ b: [Double]) -> [Double]? {
        guard let inv = invert(a) else { return nil }
        return inv.map { row in zip(row, b).reduce(0) { $0 + $1.0 * $1.1 } }
    }

    /// Gauss–Jordan inverse with partial pivoting; nil when singular.
    static func invert(_ a: [[Double]]) -> [[Double]]? {
        let n = a.count
        var m = a
        var inv = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0.0 } }
        let scale = a.flatMap { $0 }.map(abs).max() ?? 0
        guard scale > 0, scale.isFinite else { return nil }
        for c in 0..<n {
            let p = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) }!
            guard abs(m[p][c]) > 1e-300 else { return nil }
            m.swapAt(c, p); inv.swapAt(c, p)
            let d = m[c][c]
            for j in 0..<n { m[c][j] /= d; inv[c][j] /= d }
            for r in 0..<n where r != c {
                let f = m[r][c]
                if f == 0 { continue }
                for j in 0..<n { m[r][j] -= f * m[c][j]; inv[r][j] -= f * inv[c][j] }
            }
        }
        return inv.allSatisfy({ $0.allSatisfy(\.isFinite) }) ? inv : nil
    }
}
