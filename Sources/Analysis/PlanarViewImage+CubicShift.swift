import Foundation
import Imaging

extension PlanarViewImage {
    /// The image moved by (dx, dy) pixels with cubic convolution (Keys 1981, a = −0.5; zero outside):
    /// output(c, r) = input(c − dx, r − dy).
    ///
    /// Bilinear resampling (``shifted(dx:dy:)``) blurs by a fractional shift f with variance f(1 − f) px² per axis: a
    /// focus of σ 1.2 px moved by (0.6, 0.8) px lost 7 % of its counts in a 2-px-radius disc
    /// (`ParathyroidRegistrationTests`, retention index 83 % for a set-up 90 %). Cubic convolution reproduces
    /// polynomials up to degree 2 and blurs far less; it can undershoot next to sharp edges (values may dip below zero).
    public func shiftedCubic(dx: Double, dy: Double) -> PlanarViewImage {
        func w(_ t: Double) -> Double {
            let a = -0.5, x = abs(t)
            return x < 1 ? (a + 2) * x * x * x - (a + 3) * x * x + 1 : x < 2 ? a * (x * x * x - 5 * x * x + 8 * x - 4) : 0
        }
        let x0 = Int(floor(-dx)), fx = -dx - Double(x0), y0 = Int(floor(-dy)), fy = -dy - Double(y0)
        let wx = (-1...2).map { w(Double($0) - fx) }, wy = (-1...2).map { w(Double($0) - fy) }
        var out = [Float](repeating: 0, count: counts.count)
        for r in 0..<rows {
            for c in 0..<columns {
                var v = 0.0
                for j in 0..<4 { for i in 0..<4 {
                    v += wy[j] * wx[i] * Double(at(c + x0 + i - 1, r + y0 + j - 1))
                } }
                out[r * columns + c] = Float(v)
            }
        }
        return with(counts: out)
    }
}
