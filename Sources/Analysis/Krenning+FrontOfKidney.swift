import Foundation
import Imaging

/// Tumours lying in front of a kidney, on its shoulder (issue 18, branch `krenning14`): a liver tumour over a kidney's
/// pole has no hill of its own on the 8 mm-smoothed image (tuning seeds 7122 and 7204), so the hill rules of
/// ``KrenningAnalysis/automaticRegions(anterior:posterior:)`` never seek it.
///
/// Method: a two-depth decomposition of the two views over the kidney. Activity at the kidney's depth has
/// posterior ÷ anterior `k` (the kidney's own, a robust mean over its grown region), activity at the body's median
/// depth has `f`. The front-lying image `F = (k·A − P) ÷ (k − f)` holds no kidney counts wherever the kidney's P/A is
/// `k`, while activity in front of it (P/A below `k`) remains. The kidney is not at one depth (its poles and hilum lie
/// at other depths): the spread of its own P/A about `k` (over its region, outliers beyond 2.5 σ left out, the counting
/// noise of the ratio subtracted) leaves a residual `k·spread·A ÷ (k − f)` in `F`, which is taken as a systematic error
/// beside the counting noise. A maximum of `F` near the kidney (its grown region + 5 px, the mask in which the
/// hill rules skip it) that lies in front (P/A below ``frontLimit(bodyPA:organPA:)``) and stands out of its 20–35 mm
/// annulus of `F` by the usual gates (``Options/lesionContrast`` and ``Options/lesionSigma`` of that total σ) is a
/// focus in front of the kidney.
extension KrenningAnalysis {
    /// A focus of the front-lying image near a kidney.
    struct FrontOfKidneyFocus: Equatable {
        var column: Int
        var row: Int
        /// Its excess over the annulus in units of the total σ (counting noise and the kidney's own P/A spread).
        var sigma: Double
        /// Its 3 × 3 mean over the annulus mean, minus 1.
        var contrast: Double
    }

    /// The kidney's own posterior ÷ anterior `k` and the spread of its log about `k` beyond the counting noise, over
    /// `region`, from the 1-pixel-smoothed views: a weighted mean of log(P/A) (weights 1 ÷ (1/A + 1/P)) iterated six
    /// times, each time leaving out the pixels beyond 2.5 × the median absolute deviation (1.4826 × MAD) from it.
    /// Nil when the region has no counts.
    static func kidneyDepthRatio(a1: [Float], p1: [Float], region: [Int]) -> (k: Double, spread: Double)? {
        let idx = region.filter { a1[$0] > 0 && p1[$0] > 0 }
        guard !idx.isEmpty else { return nil }
        let y = idx.map { log(Double(p1[$0]) / Double(a1[$0])) }
        let w = idx.map { 1 / (1 / max(Double(a1[$0]), 1) + 1 / max(Double(p1[$0]), 1)) }
        // Counting variance of log(P1/A1): Σ of the squared σ=1 px Gaussian weights is 1/(4π).
        let cv = idx.map { (1 / max(Double(a1[$0]), 1) + 1 / max(Double(p1[$0]), 1)) / (4 * Double.pi) }
        var keep = [Bool](repeating: true, count: y.count)
        var mean = 0.0
        func weightedMean() -> Double {
            var s = 0.0, sw = 0.0
            for j in y.indices where keep[j] { s += w[j] * y[j]; sw += w[j] }
            return sw > 0 ? s / sw : 0
        }
        for _ in 0..<6 {
            mean = weightedMean()
            let dev = y.indices.filter { keep[$0] }.map { abs(y[$0] - mean) }.sorted()
            let mad = dev.isEmpty ? 0 : 1.4826 * dev[dev.count / 2]
            let limit = 2.5 * max(mad, 1e-6)
            keep = y.map { abs($0 - mean) <= limit }
        }
        let kept = y.indices.filter { keep[$0] }
        guard !kept.isEmpty else { return (exp(mean), 0) }
        let m = weightedMean()
        let scatter = kept.map { pow(y[$0] - m, 2) }.reduce(0, +) / Double(kept.count)
        let noise = kept.map { cv[$0] }.reduce(0, +) / Double(kept.count)
        return (exp(mean), max(0, scatter - noise).squareRoot())
    }

    /// Foci in front of one kidney (see the extension's description), strongest first. `a`, `p`: anterior and
    /// mirrored posterior counts; `pa`: the 8 mm-smoothed posterior ÷ anterior; `kidney`: the kidney's grown region;
    /// `top`: its maximum. Empty when the kidney does not lie behind the body's median (k ≤ 1.1 × bodyPA: the
    /// decomposition is not defined).
    static func frontOfKidneyFoci(a: [Float], p: [Float], rows: Int, columns: Int, px: Double, pa: [Float], bodyPA: Float,
                                  kidney: PlanarROI, top: Int, contrast: Double, sigma: Double) -> [FrontOfKidneyFocus] {
        let a1 = RegionTools.gaussian(a, rows: rows, columns: columns, sigma: 1)
        let p1 = RegionTools.gaussian(p, rows: rows, columns: columns, sigma: 1)
        guard let (k, spread) = kidneyDepthRatio(a1: a1, p1: p1, region: kidney.indices) else { return [] }
        let f = Double(bodyPA)
        guard k > 1.1 * f else { return [] }
        let d = k - f
        let front = a1.indices.map { Float((k * Double(a1[$0]) - Double(p1[$0])) / d) }
        let frontRaw = a.indices.map { Float((k * Double(a[$0]) - Double(p[$0])) / d) }
        let search = kidney.dilated(5)
        let limit = frontLimit(bodyPA: bodyPA, organPA: pa[top])
        var out: [FrontOfKidneyFocus] = []
        for m in RegionTools.localMaxima(front, rows: rows, columns: columns, radius: 3, threshold: 0,
                                         excluded: search.inside.map { !$0 }) {
            let i = m.row * columns + m.column
            guard pa[i] < limit else { continue }
            var sum = 0.0, variance = 0.0, anterior = 0.0
            for dr in -1...1 { for dc in -1...1 {
                let r = m.row + dr, c = m.column + dc
                guard r >= 0, c >= 0, r < rows, c < columns else { continue }
                let j = r * columns + c
                sum += Double(frontRaw[j]); anterior += Double(a[j])
                variance += (k * k * Double(a[j]) + Double(p[j])) / (d * d)
            } }
            let bg = RegionTools.annulus(frontRaw, rows: rows, columns: columns, column: Double(m.column), row: Double(m.row),
                                         inner: 20 / px, outer: 35 / px).mean
            guard bg > 0 else { continue }
            let systematic = k * spread * anterior / d
            let z = (sum - 9 * bg) / (max(variance, 1) + systematic * systematic).squareRoot()
            let con = sum / 9 / bg - 1
            guard con >= contrast, z >= sigma else { continue }
            out.append(FrontOfKidneyFocus(column: m.column, row: m.row, sigma: z, contrast: con))
        }
        return out.sorted { $0.sigma > $1.sigma }
    }
}
