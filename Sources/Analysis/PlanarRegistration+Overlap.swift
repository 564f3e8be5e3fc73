import Foundation
import Imaging

extension PlanarRegistration {
    /// The shift (dx, dy) in pixels to apply to `moving` (``PlanarViewImage/shifted(dx:dy:)``) so that it best matches
    /// `fixed`, with the correlation taken only where both images are defined, and refined by resampling.
    ///
    /// - Overlap: the Pearson correlation over the pixels of `region` (or the whole image) whose source point in
    ///   `moving` lies inside it. ``translation(fixed:moving:maxShift:region:)`` reads zeros outside the moving image,
    ///   so where the body runs off the edge of the field of view (the neck above a parathyroid image) a shift that
    ///   brings the edge into the region looks like missing anatomy and is penalised: on an analytic neck moved
    ///   (+2.6, −1.8) px that pulled the answer to dy = 0 (`ParathyroidRegistrationTests`).
    /// - Search: exhaustive over whole pixels in ±`maxShift`, then over ±0.5 px around the best in steps of 0.25 px and
    ///   ±0.15 px around that in steps of 0.05 px, each with bilinear resampling of `moving` (the same interpolation
    ///   as ``PlanarViewImage/shifted(dx:dy:)``). A parabola through three whole-pixel values is biased where the
    ///   correlation peak is not a parabola (sharp outlines give a cone); the resampled search is not.
    /// - Returns the shift and its correlation; correlation −1 when fewer than 8 pixels overlap or an image is flat there.
    public static func translationOnOverlap(fixed: PlanarViewImage, moving: PlanarViewImage, maxShift: Int = 6,
                                            region: PlanarROI? = nil) -> (dx: Double, dy: Double, correlation: Double) {
        let idx = region?.indices ?? Array(0..<(fixed.rows * fixed.columns))
        let cols = fixed.columns, mr = moving.rows, mc = moving.columns
        func ncc(_ dx: Double, _ dy: Double) -> Double {
            var sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0, n = 0.0
            for i in idx {
                let x = Double(i % cols) - dx, y = Double(i / cols) - dy
                guard x >= 0, y >= 0, x <= Double(mc - 1), y <= Double(mr - 1) else { continue }
                let x0 = min(mc - 2, Int(x)), y0 = min(mr - 2, Int(y))
                let fx = x - Double(x0), fy = y - Double(y0)
                let b = fx == 0 && fy == 0 ? Double(moving.at(x0, y0))
                    : (1 - fx) * (1 - fy) * Double(moving.at(x0, y0)) + fx * (1 - fy) * Double(moving.at(x0 + 1, y0))
                    + (1 - fx) * fy * Double(moving.at(x0, y0 + 1)) + fx * fy * Double(moving.at(x0 + 1, y0 + 1))
                let a = Double(fixed.counts[i])
                sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b; n += 1
            }
            guard n >= 8 else { return -1 }
            let va = saa - sa * sa / n, vb = sbb - sb * sb / n
            return va > 0 && vb > 0 ? (sab - sa * sb / n) / (va * vb).squareRoot() : -1
        }
        var best = (dx: 0.0, dy: 0.0, correlation: -Double.infinity)
        func search(around c: (Double, Double), half: Int, step: Double) {
            for j in -half...half { for k in -half...half {
                let dx = c.0 + Double(k) * step, dy = c.1 + Double(j) * step
                guard abs(dx) <= Double(maxShift), abs(dy) <= Double(maxShift) else { continue }
                let v = ncc(dx, dy)
                if v > best.correlation { best = (dx, dy, v) }
            } }
        }
        search(around: (0, 0), half: max(0, maxShift), step: 1)
        search(around: (best.dx, best.dy), half: 2, step: 0.25)
        search(around: (best.dx, best.dy), half: 3, step: 0.05)
        return best
    }
}
