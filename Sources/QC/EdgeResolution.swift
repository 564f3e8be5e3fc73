import Foundation
import Imaging

/// Intrinsic resolution from an edge (a lead or attenuating plate's straight edge on the detector): the
/// edge-spread function (ESF) sampled at a tenth of a pixel across the fitted edge line, fitted by an error
/// function (a Gaussian line-spread function): FWHM and FWTM.
///
/// Conventions: a square ROI (given, or centred in the image) holding one straight edge; the edge's orientation is
/// the direction of the larger summed gradient (columns or rows); its position in each row (or column) is the
/// centre of the |gradient| (central differences) within ±4 pixels of its largest 5-pixel sum, a straight line is fitted through them; each
/// pixel's signed distance to that line bins the ESF (0.1 pixel bins); an error-function edge
/// L + (H − L)·½(1 + erf((d − d0)/(√2 σ))) is fitted to the binned ESF (weighted by the pixels per bin): the LSF is
/// then a Gaussian of that σ (FWHM = 2.355 σ, FWTM = 4.292 σ).
public enum EdgeResolution {
    public struct Result: Sendable, Codable, Equatable {
        public var test = "resolution"
        public var kind = "edge"
        public var fwhmMM: Double
        public var fwtmMM: Double
        /// Edge direction: angle from the image's column axis (degrees) when the edge runs down the rows, else from
        /// the row axis.
        public var edgeAngleDegrees: Double
        /// "vertical" or "horizontal".
        public var orientation: String
        /// ROI: first column, first row, size (pixels).
        public var roi: [Int]
        /// Mean counts on the low and high sides of the edge.
        public var lowSideCounts: Double
        public var highSideCounts: Double
    }

    public static func analyze(_ image: PlanarImage, roiColumn: Int? = nil, roiRow: Int? = nil, roiSize: Int? = nil) throws(QCError) -> Result {
        guard let px = image.pixelSpacing.last, px > 0 else { throw .invalidInput("the image has no Pixel Spacing; FWHM in mm needs it") }
        let g = Grid(image)
        let size = roiSize ?? max(16, min(g.rows, g.columns) / 8)
        let c0 = roiColumn.map { $0 - size / 2 } ?? (g.columns - size) / 2, r0 = roiRow.map { $0 - size / 2 } ?? (g.rows - size) / 2
        guard c0 >= 1, r0 >= 1, c0 + size < g.columns - 1, r0 + size < g.rows - 1, size >= 12 else {
            throw .invalidInput("the edge ROI (\(c0), \(r0), size \(size)) must lie inside the \(g.columns) × \(g.rows) image and be ≥ 12 pixels")
        }
        var gx = 0.0, gy = 0.0
        for i in r0..<(r0 + size) { for j in c0..<(c0 + size) {
            gx += abs(g[i, j + 1] - g[i, j - 1]); gy += abs(g[i + 1, j] - g[i - 1, j])
        } }
        let vertical = gx >= gy  // intensity changes along x: the edge runs down the rows
        // Edge position per line through the ROI.
        var ts = [Double](), ps = [Double]()
        for t in 0..<size {
            let grad = (0..<size).map { u -> Double in
                let (i, j) = vertical ? (r0 + t, c0 + u) : (r0 + u, c0 + t)
                return vertical ? abs(g[i, j + 1] - g[i, j - 1]) : abs(g[i + 1, j] - g[i - 1, j])
            }
            // The largest 5-point gradient sum, then the weighted centre of the gradient within ±4 pixels of it.
            let window = (0..<size).map { u in (max(0, u - 2)...min(size - 1, u + 2)).reduce(0.0) { $0 + grad[$1] } }
            let peak = window.indices.max { window[$0] < window[$1] } ?? size / 2
            var s = 0.0, sp = 0.0
            for u in max(0, peak - 4)...min(size - 1, peak + 4) { s += grad[u]; sp += grad[u] * Double(u) }
            guard s > 0 else { continue }
            ts.append(Double(t)); ps.append(sp / s)
        }
        guard ts.count >= size / 2, let line = linearLeastSquares(rows: ts.map { [1, $0] }, y: ps) else {
            throw .notAQCImage(test: "edge", reason: "no straight edge found in the ROI")
        }
        let (a, b) = (line[0], line[1])
        let norm = (1 + b * b).squareRoot()
        // ESF in 0.1-pixel bins of the signed distance to the line.
        let binsPerPixel = 10.0
        var sums = [Int: (Double, Int)]()
        var low = [Double](), high = [Double]()
        for t in 0..<size { for u in 0..<size {
            let (i, j) = vertical ? (r0 + t, c0 + u) : (r0 + u, c0 + t)
            let d = (Double(u) - (a + b * Double(t))) / norm
            let k = Int((d * binsPerPixel).rounded(.down))
            let v = g[i, j]
            let e = sums[k] ?? (0, 0)
            sums[k] = (e.0 + v, e.1 + 1)
            if d < -size.double / 4 { low.append(v) } else if d > size.double / 4 { high.append(v) }
        } }
        let keys = sums.keys.sorted()
        guard let kmin = keys.first, let kmax = keys.last, kmax - kmin > 40 else { throw .notAQCImage(test: "edge", reason: "the ROI is too small") }
        let lowMean = low.isEmpty ? 0 : low.reduce(0, +) / Double(low.count)
        let highMean = high.isEmpty ? 0 : high.reduce(0, +) / Double(high.count)
        guard abs(highMean - lowMean) > 5 * max(lowMean, highMean).squareRoot() / Double(size) else {
            throw .notAQCImage(test: "edge", reason: "no contrast across the ROI")
        }
        // Fit ESF(d) = L + (H − L)·½(1 + erf((d − d0)/(√2 σ))) to the binned ESF (each bin weighted by its pixels).
        let binMM = px / binsPerPixel
        var xs = [Double](), ys = [Double](), ws = [Double]()
        for k in kmin...kmax { if let e = sums[k], e.1 > 0 { xs.append((Double(k) + 0.5) * binMM); ys.append(e.0 / Double(e.1)); ws.append(Double(e.1)) } }
        let sigma = try fitEdge(xs, ys, ws, low: lowMean, high: highMean)
        let fit = GaussianFit(amplitude: 1, centre: 0, sigma: sigma, baseline: 0)
        let angle = atan(b) * 180 / .pi
        // The distance is measured perpendicular to the edge, so the fitted width is the true one.
        return Result(fwhmMM: fit.fwhm, fwtmMM: fit.fwtm, edgeAngleDegrees: angle, orientation: vertical ? "vertical" : "horizontal",
                      roi: [c0, r0, size], lowSideCounts: min(lowMean, highMean), highSideCounts: max(lowMean, highMean))
    }
}

private extension Int { var double: Double { Double(self) } }

extension EdgeResolution {
    /// Weighted least-squares fit of an error-function edge (L, H, d0, σ) by Levenberg–Marquardt with numeric
    /// derivatives; returns σ (mm).
    static func fitEdge(_ x: [Double], _ y: [Double], _ w: [Double], low: Double, high: Double) throws(QCError) -> Double {
        func model(_ p: [Double], _ d: Double) -> Double { p[0] + (p[1] - p[0]) * 0.5 * (1 + erf((d - p[2]) / (2.0.squareRoot() * p[3]))) }
        // Start: the half-way crossing and a σ of a twentieth of the range.
        let mid = (low + high) / 2
        let d0 = zip(x, y).min { abs($0.1 - mid) < abs($1.1 - mid) }?.0 ?? 0
        let start = [low, high, d0, max(1e-3, (x.last! - x.first!) / 20)]
        let p = levenbergMarquardt(start, count: x.count, positive: 3, weight: { w[$0] }, residual: { q, i in y[i] - model(q, x[i]) }) { q, i in
            // Numeric derivatives (forward differences).
            let f = model(q, x[i])
            return (0..<4).map { a in
                var r = q; let h = max(1e-6, abs(q[a]) * 1e-6); r[a] += h
                return (model(r, x[i]) - f) / h
            }
        }
        guard p[3].isFinite, p[3] > 0 else { throw .fitFailed("the edge fit gave σ = \(p[3])") }
        return p[3]
    }
}
