import Foundation

/// A Gaussian fitted to a profile, y = baseline + amplitude · exp(−(x − centre)² / (2σ²)), with the widths that
/// follow from σ: FWHM = 2√(2 ln 2) σ, FWTM = 2√(2 ln 10) σ.
public struct GaussianFit: Sendable, Equatable, Codable {
    /// Peak height above the baseline (profile units).
    public var amplitude: Double
    /// Centre (units of the abscissa, mm where the profile is in mm).
    public var centre: Double
    /// Standard deviation (abscissa units), always ≥ 0.
    public var sigma: Double
    /// Constant baseline (0 when the fit was made without one).
    public var baseline: Double

    /// Full width at half maximum (abscissa units).
    public var fwhm: Double { 2 * (2 * log(2.0)).squareRoot() * sigma }
    /// Full width at tenth maximum (abscissa units).
    public var fwtm: Double { 2 * (2 * log(10.0)).squareRoot() * sigma }

    /// Fits a Gaussian by Levenberg–Marquardt least squares, started from the profile's moments.
    /// - Parameters:
    ///   - x: abscissae (strictly increasing).
    ///   - y: values.
    ///   - withBaseline: fit a constant baseline too (4 parameters) or fix it at 0 (3 parameters, as NMQC/pylinac).
    public static func fit(x: [Double], y: [Double], withBaseline: Bool) throws(QCError) -> GaussianFit {
        guard x.count == y.count, x.count >= (withBaseline ? 5 : 4) else {
            throw .fitFailed("a Gaussian needs at least \(withBaseline ? 5 : 4) profile points, got \(x.count)")
        }
        let n = x.count
        let ymin = y.min()!, ymax = y.max()!
        guard ymax > ymin, ymax.isFinite, ymin.isFinite else { throw .fitFailed("the profile is flat or not finite") }
        let b0 = withBaseline ? ymin : 0
        var sw = 0.0, swx = 0.0
        for i in 0..<n { let w = max(0, y[i] - b0); sw += w; swx += w * x[i] }
        let imax = y.firstIndex(of: ymax)!
        let c0 = x[imax]
        // Width from the points above half maximum.
        let half = b0 + (ymax - b0) / 2
        let above = (0..<n).filter { y[$0] >= half }
        let span = (x[above.last!] - x[above.first!]) + (n > 1 ? abs(x[1] - x[0]) : 1)
        var p = [ymax - b0, sw > 0 ? 0.5 * (c0 + swx / sw) : c0, max(span / 2.3548, 1e-6 + abs(x[min(1, n - 1)] - x[0]) * 0.3), b0]
        let np = withBaseline ? 4 : 3
        func model(_ p: [Double], _ xi: Double) -> Double {
            let d = (xi - p[1]) / p[2]
            return p[0] * exp(-0.5 * d * d) + (withBaseline ? p[3] : 0)
        }
        p = Array(p.prefix(np))
        p = levenbergMarquardt(p, count: n, positive: 2, weight: { _ in 1 }, residual: { q, i in y[i] - model(q, x[i]) }) { q, i in
            let d = (x[i] - q[1]) / q[2]
            let e = exp(-0.5 * d * d)
            return Array([e, q[0] * e * d / q[2], q[0] * e * d * d / q[2], 1.0].prefix(np))
        }
        guard p[2].isFinite, p[2] > 0, p[0] > 0 else { throw .fitFailed("the Gaussian fit gave σ = \(p[2]), amplitude = \(p[0])") }
        return GaussianFit(amplitude: p[0], centre: p[1], sigma: p[2], baseline: withBaseline ? p[3] : 0)
    }
}

/// Weighted Levenberg–Marquardt least squares: minimises Σ w_i r_i(p)² from `p0`, with the Jacobian of the model
/// (∂model/∂p, i.e. −∂r/∂p) per point; parameter `positive` is kept ≥ 0 (a width). Returns the last accepted
/// parameters (the start when no step improved).
func levenbergMarquardt(_ p0: [Double], count n: Int, positive: Int, weight: (Int) -> Double,
                        residual: ([Double], Int) -> Double, jacobian: ([Double], Int) -> [Double]) -> [Double] {
    let np = p0.count
    func cost(_ p: [Double]) -> Double { (0..<n).reduce(0.0) { s, i in let r = residual(p, i); return s + weight(i) * r * r } }
    var p = p0, c = cost(p0), lambda = 1e-3
    for _ in 0..<200 {
        var jtj = [Double](repeating: 0, count: np * np), jtr = [Double](repeating: 0, count: np)
        for i in 0..<n {
            let g = jacobian(p, i), r = residual(p, i), w = weight(i)
            for a in 0..<np {
                jtr[a] += w * g[a] * r
                for b in 0..<np { jtj[a * np + b] += w * g[a] * g[b] }
            }
        }
        var improved = false
        for _ in 0..<20 {
            var m = jtj
            for a in 0..<np { m[a * np + a] *= 1 + lambda }
            guard let step = solve(m, jtr, np) else { lambda *= 10; continue }
            var q = p
            for a in 0..<np { q[a] += step[a] }
            q[positive] = abs(q[positive])
            let cq = cost(q)
            if cq.isFinite && cq < c && q[positive] > 0 {
                let rel = (c - cq) / max(c, 1e-300)
                p = q; c = cq; lambda = max(lambda / 10, 1e-12); improved = true
                if rel < 1e-12 { return p }
                break
            }
            lambda *= 10
        }
        if !improved { break }
    }
    return p
}

/// Solves the small dense system `a · x = b` (n × n, row-major) by Gaussian elimination with partial pivoting.
func solve(_ a: [Double], _ b: [Double], _ n: Int) -> [Double]? {
    var m = a, v = b
    for col in 0..<n {
        var piv = col
        for r in (col + 1)..<max(col + 1, n) where abs(m[r * n + col]) > abs(m[piv * n + col]) { piv = r }
        guard abs(m[piv * n + col]) > 1e-300 else { return nil }
        if piv != col {
            for k in 0..<n { m.swapAt(col * n + k, piv * n + k) }
            v.swapAt(col, piv)
        }
        for r in (col + 1)..<max(col + 1, n) {
            let f = m[r * n + col] / m[col * n + col]
            if f == 0 { continue }
            for k in col..<n { m[r * n + k] -= f * m[col * n + k] }
            v[r] -= f * v[col]
        }
    }
    var x = [Double](repeating: 0, count: n)
    for r in stride(from: n - 1, through: 0, by: -1) {
        var s = v[r]
        for k in (r + 1)..<max(r + 1, n) { s -= m[r * n + k] * x[k] }
        x[r] = s / m[r * n + r]
    }
    return x.allSatisfy(\.isFinite) ? x : nil
}

/// Linear least squares `y ≈ Σ c_k f_k(x)` for a few basis functions (normal equations).
func linearLeastSquares(rows: [[Double]], y: [Double]) -> [Double]? {
    guard let k = rows.first?.count, rows.count >= k else { return nil }
    var ata = [Double](repeating: 0, count: k * k), aty = [Double](repeating: 0, count: k)
    for (r, yi) in zip(rows, y) {
        for a in 0..<k {
            aty[a] += r[a] * yi
            for b in 0..<k { ata[a * k + b] += r[a] * r[b] }
        }
    }
    return solve(ata, aty, k)
}
