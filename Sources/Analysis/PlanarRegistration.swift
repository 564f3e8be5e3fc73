import Foundation
import Imaging

/// Integer-and-subpixel translation registration of two planar images by normalised cross-correlation.
public enum PlanarRegistration {
    /// The shift (dx, dy) in pixels to apply to `moving` (``PlanarViewImage/shifted(dx:dy:)``) so that it best matches
    /// `fixed`: exhaustive search over ±`maxShift` pixels of the Pearson correlation of the two images over
    /// `region` (or the whole image), refined to a parabola's vertex in each direction.
    public static func translation(fixed: PlanarViewImage, moving: PlanarViewImage, maxShift: Int = 6,
                                   region: PlanarROI? = nil) -> (dx: Double, dy: Double, correlation: Double) {
        let idx = region?.indices ?? Array(0..<(fixed.rows * fixed.columns))
        func ncc(_ dx: Int, _ dy: Int) -> Double {
            var sa = 0.0, sb = 0.0, saa = 0.0, sbb = 0.0, sab = 0.0, n = 0.0
            for i in idx {
                let r = i / fixed.columns, c = i % fixed.columns
                let a = Double(fixed.counts[i]), b = Double(moving.at(c - dx, r - dy))
                sa += a; sb += b; saa += a * a; sbb += b * b; sab += a * b; n += 1
            }
            let va = saa - sa * sa / n, vb = sbb - sb * sb / n
            return va > 0 && vb > 0 ? (sab - sa * sb / n) / (va * vb).squareRoot() : -1
        }
        var best = (0, 0), bestV = -Double.infinity
        var table: [Int: Double] = [:]
        for dy in -maxShift...maxShift { for dx in -maxShift...maxShift {
            let v = ncc(dx, dy)
            table[(dy + maxShift) * 1000 + dx + maxShift] = v
            if v > bestV { bestV = v; best = (dx, dy) }
        } }
        func value(_ dx: Int, _ dy: Int) -> Double? { table[(dy + maxShift) * 1000 + dx + maxShift] }
        func vertex(_ m: Double?, _ c: Double, _ p: Double?) -> Double {
            guard let m, let p else { return 0 }
            let d = m - 2 * c + p
            return d < 0 ? max(-0.5, min(0.5, 0.5 * (m - p) / d)) : 0
        }
        let fx = vertex(value(best.0 - 1, best.1), bestV, value(best.0 + 1, best.1))
        let fy = vertex(value(best.0, best.1 - 1), bestV, value(best.0, best.1 + 1))
        return (Double(best.0) + fx, Double(best.1) + fy, bestV)
    }
}
