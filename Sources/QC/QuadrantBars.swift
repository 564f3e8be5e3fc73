import Foundation
import Imaging

/// Quadrant-bar phantom: bar visibility (MTF) and an equivalent FWHM per quadrant by the moments method of
/// Hander et al., Med. Phys. 24 (1997) 327 (eq. 8 and A8), as IAEA NMQC and pylinac's `QuadrantResolution` use it.
///
/// In a circular ROI over a bar pattern of period 2w the count variance is the Poisson variance (= mean) plus the
/// pattern's: σ² = μ + μ² M²/2 for a modulation M of the fundamental, so M = √(2(σ² − μ))/μ (the MTF at 1/(2w)
/// line pairs per mm, relative to the bars' own contrast), and for a Gaussian response
/// FWHM = 1.058 w √(ln(1/M)). Requires counts without smoothing or rescaling (Poisson variance = mean).
///
/// Conventions: quadrants in reading order — upper left, upper right, lower left, lower right of the detected field
/// (pixels ≥ 10 % of the maximum); each ROI a disc centred in its quadrant with a radius `roiRadiusFraction` of the
/// quadrant's smaller side.
public enum QuadrantBars {
    public struct Quadrant: Sendable, Codable, Equatable {
        /// "upper left", "upper right", "lower left", "lower right".
        public var position: String
        public var barWidthMM: Double
        public var linePairsPerMM: Double
        /// Modulation of the fundamental (0–1); 0 when the variance does not exceed Poisson (bars not resolved).
        public var mtf: Double
        /// Equivalent Gaussian FWHM (mm); nil when the bars are not resolved.
        public var fwhmMM: Double?
        /// Whether the bars are visible (MTF ≥ `visibleMTF`).
        public var barsVisible: Bool
        public var meanCounts: Double
        public var variance: Double
        public var roiPixels: Int
    }

    public struct Result: Sendable, Codable, Equatable {
        public var test = "resolution"
        public var kind = "quadrant-bar phantom"
        public var quadrants: [Quadrant]
        public var roiRadiusFraction: Double
        public var visibleMTF: Double
    }

    /// - Parameter barWidthsMM: bar widths of the four quadrants in reading order (upper left, upper right, lower
    ///   left, lower right).
    public static func analyze(_ image: PlanarImage, barWidthsMM: [Double], roiRadiusFraction: Double = 0.35,
                               visibleMTF: Double = 0.1) throws(QCError) -> Result {
        guard barWidthsMM.count == 4, barWidthsMM.allSatisfy({ $0 > 0 }) else {
            throw .invalidInput("the quadrant-bar phantom needs four positive bar widths in mm (upper left, upper right, lower left, lower right)")
        }
        let g = Grid(image)
        let mx = g.values.max() ?? 0
        guard mx > 0 else { throw .notAQCImage(test: "quadrant-bar", reason: "the image is empty") }
        var r0 = g.rows, r1 = -1, c0 = g.columns, c1 = -1
        for k in 0..<g.values.count where g.values[k] >= 0.1 * mx {
            r0 = min(r0, k / g.columns); r1 = max(r1, k / g.columns); c0 = min(c0, k % g.columns); c1 = max(c1, k % g.columns)
        }
        let midR = Double(r0 + r1) / 2, midC = Double(c0 + c1) / 2
        let qh = Double(r1 - r0 + 1) / 2, qw = Double(c1 - c0 + 1) / 2
        let radius = roiRadiusFraction * min(qh, qw)
        let names = ["upper left", "upper right", "lower left", "lower right"]
        var out = [Quadrant]()
        for q in 0..<4 {
            let cy = midR + (q < 2 ? -qh / 2 : qh / 2), cx = midC + (q % 2 == 0 ? -qw / 2 : qw / 2)
            var n = 0, s = 0.0, s2 = 0.0
            for i in max(0, Int(cy - radius) - 1)...min(g.rows - 1, Int(cy + radius) + 1) {
                for j in max(0, Int(cx - radius) - 1)...min(g.columns - 1, Int(cx + radius) + 1) {
                    let dy = Double(i) - cy, dx = Double(j) - cx
                    guard dx * dx + dy * dy <= radius * radius else { continue }
                    let v = g[i, j]; n += 1; s += v; s2 += v * v
                }
            }
            guard n > 10 else { throw .notAQCImage(test: "quadrant-bar", reason: "the \(names[q]) quadrant's ROI holds \(n) pixels") }
            let mean = s / Double(n), variance = (s2 - s * s / Double(n)) / Double(n - 1)
            guard mean >= 100 else {
                throw .insufficientCounts(what: "the mean count in the \(names[q]) quadrant", have: mean, need: 100, unit: "counts/pixel")
            }
            let excess = variance - mean
            let mtf = excess > 0 ? (2 * excess).squareRoot() / mean : 0
            let w = barWidthsMM[q]
            let fwhm: Double? = (mtf > 0 && mtf < 1) ? 1.058 * w * log(1 / mtf).squareRoot() : nil
            out.append(Quadrant(position: names[q], barWidthMM: w, linePairsPerMM: 1 / (2 * w), mtf: mtf, fwhmMM: fwhm,
                                barsVisible: mtf >= visibleMTF, meanCounts: mean, variance: variance, roiPixels: n))
        }
        return Result(quadrants: out, roiRadiusFraction: roiRadiusFraction, visibleMTF: visibleMTF)
    }
}
