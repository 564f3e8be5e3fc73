import Foundation

/// The region-geometry correction of the thyroid uptake (issue 18) and its counting uncertainty.
///
/// **Why.** The neck and the standard are measured with the same disc, but the gland is extended (two lobes ±18 mm
/// from the midline, 44 mm tall) and the capsule is a point: the broad scatter tails of the gland's off-centre parts
/// reach further past the disc's edge than the capsule's do, so the disc collects a smaller fraction of the gland's
/// counts than of the standard's (noise-free: −0.8 % relative with 50 mm discs, branch `uptake4`).
///
/// **How, measured rather than modelled.** The standard image *is* the system's response to a point in the neck
/// phantom at the gland's depth, primary and scatter together. A gland element at pixel y is seen as that response
/// moved from the capsule's position x_s to y, so the neck disc R collects the fraction
/// F(y) = Σ_{p ∈ R} S(p − y + x_s) of it (S the room-subtracted standard image, bilinear sampling). The gland's
/// elements are weighted by the net neck image (neck − thigh rates) over its hot core (smoothed counts ≥ 30 % of the
/// maximum, as for the region's centre) and
///
///     k = Σ_y w(y) F(y) / (Σ_y w(y) · F(c))        c = the weights' centre
///
/// is the fraction the disc collects of the extended gland relative to a point at the gland's centre (the capsule's
/// situation); the uptake is divided by k. No constant is fitted: k comes from the two images of the measurement.
/// Not applied to regions given from outside (a reader's region is measured as drawn; the standard drawn by hand
/// need not be point-like).
extension ThyroidUptake {
    /// The minimum net counts per measurement (neck net of thigh, standard net of room) under which the result is
    /// warned: 10 000 counts, a 1 % relative Poisson uncertainty (k = 1) — the customary minimum for uptake counting.
    public static let minimumNetCounts = 10_000.0

    /// The precision (percentage points) an uptake is stated to (issue 18: "within 0.5 points"). A result whose
    /// counting uncertainty at k = 2 (≈ 95 % interval) is wider than this is warned.
    public static let statementPoints = 0.5

    /// Pixels of the hot core of `img` (smoothed counts ≥ 30 % of the maximum) — the rule of the region's centre.
    static func hotCore(_ img: PlanarViewImage) -> [Bool] {
        let s = img.smoothed(passes: 2)
        let m = s.counts.max() ?? 0
        return s.counts.map { m > 0 && $0 >= 0.3 * m }
    }

    /// Bilinear sample of a row-major image at (column, row); 0 outside.
    static func sample(_ v: [Double], rows: Int, columns: Int, column x: Double, row y: Double) -> Double {
        let x0 = Int(floor(x)), y0 = Int(floor(y))
        let fx = x - Double(x0), fy = y - Double(y0)
        func at(_ c: Int, _ r: Int) -> Double { c >= 0 && r >= 0 && c < columns && r < rows ? v[r * columns + c] : 0 }
        return (1 - fx) * (1 - fy) * at(x0, y0) + fx * (1 - fy) * at(x0 + 1, y0) + (1 - fx) * fy * at(x0, y0 + 1) + fx * fy * at(x0 + 1, y0 + 1)
    }

    /// The factor k above: `gland` the net neck image (any unit, per pixel), `core` the gland's pixels, `region` the
    /// neck region, `standard` the room-subtracted standard image, `capsule` its centre (column, row). Returns 1 when
    /// the weights or the standard give nothing to measure.
    static func regionGeometryFactor(gland: [Double], core: [Bool], region: PlanarROI, standard: [Double],
                                     capsule: (column: Double, row: Double)) -> Double {
        let rows = region.rows, cols = region.columns
        let pixels = region.inside.indices.filter { region.inside[$0] }
        var weights: [(c: Double, r: Double, w: Double)] = []
        for i in gland.indices where core[i] && region.inside[i] && gland[i] > 0 {
            weights.append((Double(i % cols), Double(i / cols), gland[i]))
        }
        let wSum = weights.reduce(0) { $0 + $1.w }
        guard wSum > 0, !pixels.isEmpty else { return 1 }
        // Fraction (unnormalised) that the region collects of a point at (column, row).
        func collected(_ yc: Double, _ yr: Double) -> Double {
            var s = 0.0
            for p in pixels {
                s += sample(standard, rows: rows, columns: cols, column: Double(p % cols) - yc + capsule.column,
                            row: Double(p / cols) - yr + capsule.row)
            }
            return s
        }
        let cc = weights.reduce(0) { $0 + $1.w * $1.c } / wSum, cr = weights.reduce(0) { $0 + $1.w * $1.r } / wSum
        let atCentre = collected(cc, cr)
        guard atCentre > 0 else { return 1 }
        let mean = weights.reduce(0) { $0 + $1.w * collected($1.c, $1.r) } / wSum
        let k = mean / atCentre
        return k.isFinite && k > 0 ? k : 1
    }

    /// Relative standard uncertainty (k = 1) of a ratio num/den of count-rate combinations, from the variances of
    /// numerator and denominator (Poisson: variance of a count = the count), neglecting their covariance.
    static func ratioRelativeUncertainty(num: Double, varNum: Double, den: Double, varDen: Double) -> Double {
        guard num != 0, den != 0 else { return .infinity }
        return (varNum / (num * num) + varDen / (den * den)).squareRoot()
    }
}
