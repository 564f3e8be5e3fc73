import Foundation
import Imaging

/// Planar flood-field uniformity (NEMA NU 1 §2.4, as the IAEA NMQC plugins and pylinac process it).
///
/// Processing, in order (each step a field of ``Conventions``):
/// 1. Rebin by summing 2 × 2 blocks until the pixel is at least 4.48 mm (NEMA asks for 6.4 mm ± 30 %).
/// 2. Nine-point smoothing, kernel (1 2 1; 2 4 2; 1 2 1)/16, outside the image counted as 0.
/// 3. The outermost row and column are set to 0; pixels below 75 % of the mean of the pixels above 10 % of the
///    maximum are set to 0 (the edge rule); isolated single pixels are removed.
/// 4. UFOV: the field eroded (Euclidean distance) until its linear size is `ufovFraction` (0.95, NMQC) of the
///    largest connected field's bounding box; CFOV: the same with `ufovFraction × cfovFraction` (75 % of the
///    UFOV's linear size).
/// 5. Integral uniformity IU = 100 (max − min)/(max + min) over each FOV; differential uniformity DU = the largest
///    IU over every run of 5 consecutive pixels in a row or a column lying wholly inside the FOV.
public struct FloodUniformity: Sendable {
    /// The processing conventions (defaults: NEMA NU 1 as implemented by NMQC and pylinac).
    public struct Conventions: Sendable, Codable, Equatable {
        /// Rebin (2 × 2 sums, repeatedly) until the pixel size is at least this (mm).
        public var minimumBinnedPixelMM: Double = 4.48
        /// Edge rule: pixels below this fraction of the mean field count are outside the field.
        public var edgeThresholdFraction: Double = 0.75
        /// The mean for the edge rule is taken over pixels above this fraction of the maximum.
        public var meanAboveFractionOfMaximum: Double = 0.10
        /// UFOV linear size as a fraction of the detected field.
        public var ufovFraction: Double = 0.95
        /// CFOV linear size as a fraction of the UFOV.
        public var cfovFraction: Double = 0.75
        /// Differential-uniformity run length (pixels).
        public var differentialRunPixels: Int = 5
        /// Floods with fewer mean counts per binned CFOV pixel are refused.
        public var minimumCountsPerPixel: Double = 4000
        /// NEMA NU 1 asks for this many counts in the centre (binned) pixel; below it a warning says so.
        public var nemaCountsPerPixel: Double = 10000
        /// A flood's field (above the edge threshold) covers at least this fraction of the image.
        public var minimumFieldCoverage: Double = 0.15
        /// Monte-Carlo realisations for the Poisson-expected IU.
        public var poissonRealisations: Int = 8
        public init() {}
    }

    /// Uniformity of one field of view.
    public struct Field: Sendable, Codable, Equatable {
        /// Integral uniformity (%): 100 (max − min)/(max + min) of the smoothed pixels.
        public var integralUniformityPercent: Double
        /// Differential uniformity (%): largest IU over 5-pixel runs in rows and columns.
        public var differentialUniformityPercent: Double
        /// IU expected from Poisson noise alone for a perfectly uniform flood with the same counts per pixel,
        /// the same binning, smoothing and FOV (mean of Monte-Carlo realisations).
        public var poissonExpectedIntegralUniformityPercent: Double
        /// Pixels in the FOV (binned).
        public var pixels: Int
        /// Mean counts per binned, smoothed pixel in the FOV.
        public var meanCountsPerPixel: Double
        /// Maximum and minimum smoothed counts per pixel in the FOV.
        public var maximumCountsPerPixel: Double
        public var minimumCountsPerPixel: Double
        /// Linear size of the FOV (mm): the longer side of its bounding box.
        public var sizeMM: Double
    }

    /// The result for one flood image.
    public struct Result: Sendable, Codable, Equatable {
        public var test = "uniformity"
        public var ufov: Field
        public var cfov: Field
        /// Rebinning factor applied (pixels summed per side).
        public var binningFactor: Int
        /// Pixel size after rebinning (mm).
        public var binnedPixelSizeMM: Double
        /// Total counts in the image.
        public var totalCounts: Double
        /// Counts in the binned (unsmoothed) pixel nearest the CFOV centre.
        public var centrePixelCounts: Double
        /// Whether the NEMA NU 1 count requirement (`nemaCountsPerPixel` in the centre pixel) is met.
        public var meetsNEMACountRequirement: Bool
        public var conventions: Conventions
        public var warnings: [String]
    }

    /// Analyses a flood.
    /// - Throws: ``QCError/insufficientCounts(what:have:need:unit:)`` when the flood has too few counts,
    ///   ``QCError/notAQCImage(test:reason:)`` when the image does not look like a flood.
    public static func analyze(_ image: PlanarImage, conventions cv: Conventions = Conventions()) throws(QCError) -> Result {
        guard image.rows >= 16, image.columns >= 16, image.counts.count == image.rows * image.columns else {
            throw .invalidInput("a flood needs at least 16 × 16 pixels (got \(image.rows) × \(image.columns))")
        }
        guard let px = image.pixelSpacing.first, px > 0 else {
            throw .invalidInput("the flood has no Pixel Spacing; uniformity needs it to rebin to NEMA pixel size")
        }
        if let py = image.pixelSpacing.last, abs(py - px) > 0.01 * px {
            throw .invalidInput("the flood's pixels are not square (\(px) × \(py) mm); NEMA uniformity needs square pixels")
        }
        var warnings = [String]()
        var factor = 1, size = px
        while size < cv.minimumBinnedPixelMM { size *= 2; factor *= 2 }
        if size > 6.4 * 1.3 || size < 6.4 * 0.7 {
            warnings.append(String(format: "binned pixel %.2f mm is outside NEMA's 6.4 mm ± 30 %%", size))
        }
        let raw = Grid(image)
        let binned = raw.blockSum(factor)
        var field = binned.ninePointSmoothed()
        let r = field.rows, c = field.columns
        for j in 0..<c { field[0, j] = 0; field[r - 1, j] = 0 }
        for i in 0..<r { field[i, 0] = 0; field[i, c - 1] = 0 }
        let maxV = field.values.max() ?? 0
        guard maxV > 0 else { throw .notAQCImage(test: "flood", reason: "the image is empty (no counts)") }
        let meaningful = field.values.filter { $0 > maxV * cv.meanAboveFractionOfMaximum }
        let threshold = meaningful.reduce(0, +) / Double(meaningful.count) * cv.edgeThresholdFraction
        for k in 0..<field.values.count where field.values[k] < threshold { field.values[k] = 0 }
        var mask = field.values.map { $0 > 0 }
        let (labels, sizes) = Grid.label(mask, rows: r, columns: c)
        for k in 0..<mask.count where mask[k] && sizes[labels[k]] < 2 { mask[k] = false; field.values[k] = 0 }

        // The detected field: the largest connected region; a flood fills most of its bounding box.
        let relabel = Grid.label(mask, rows: r, columns: c)
        guard let largest = relabel.sizes.indices.dropFirst().max(by: { relabel.sizes[$0] < relabel.sizes[$1] }) else {
            throw .notAQCImage(test: "flood", reason: "no pixel reaches 75 % of the mean count")
        }
        var minR = r, maxR = -1, minC = c, maxC = -1
        for k in 0..<mask.count where relabel.labels[k] == largest {
            minR = min(minR, k / c); maxR = max(maxR, k / c); minC = min(minC, k % c); maxC = max(maxC, k % c)
        }
        let boxH = maxR - minR + 1, boxW = maxC - minC + 1
        let area = relabel.sizes[largest]
        let fill = Double(area) / Double(boxH * boxW)
        let coverage = Double(area) / Double(r * c)
        let countsInField = (0..<mask.count).reduce(0.0) { relabel.labels[$1] == largest ? $0 + binned.values[$1] : $0 }
        let countFraction = countsInField / max(binned.values.reduce(0, +), 1)
        if coverage < cv.minimumFieldCoverage || fill < 0.6 || countFraction < 0.5 {
            throw .notAQCImage(test: "flood", reason: String(
                format: "the region above 75 %% of the mean count covers %.0f %% of the image, fills %.0f %% of its bounding box and holds %.0f %% of the counts; a flood covers ≥ %.0f %%, fills ≥ 60 %% and holds ≥ 50 %% (a patient or phantom image?)",
                coverage * 100, fill * 100, countFraction * 100, cv.minimumFieldCoverage * 100))
        }
        let longest = Double(max(boxH, boxW))
        let distance = Grid.distanceToBackground(mask, rows: r, columns: c)
        func fovMask(_ fraction: Double) -> [Bool] {
            // Python's round() (half to even), as the reference implementation uses.
            let erosion = ((1 - fraction) * longest).rounded(.toNearestOrEven)
            return distance.map { $0 > erosion / 2 }
        }
        let ufovMask = fovMask(cv.ufovFraction)
        let cfovMask = fovMask(cv.ufovFraction * cv.cfovFraction)
        guard ufovMask.contains(true), cfovMask.contains(true) else {
            throw .notAQCImage(test: "flood", reason: "the field is too small for a UFOV and a CFOV")
        }

        // Counts: mean per binned pixel in the CFOV and in the centre pixel.
        var cSum = 0.0, cN = 0, cr = 0.0, cc = 0.0
        for k in 0..<mask.count where cfovMask[k] { cSum += binned.values[k]; cN += 1; cr += Double(k / c); cc += Double(k % c) }
        let meanCFOVRaw = cSum / Double(cN)
        let centre = binned[Int((cr / Double(cN)).rounded()), Int((cc / Double(cN)).rounded())]
        guard meanCFOVRaw >= cv.minimumCountsPerPixel else {
            throw .insufficientCounts(what: String(format: "the mean count per %.2f mm pixel in the CFOV", size),
                                      have: meanCFOVRaw, need: cv.minimumCountsPerPixel, unit: "counts/pixel")
        }
        let meetsNEMA = centre >= cv.nemaCountsPerPixel
        if !meetsNEMA {
            warnings.append(String(format: "the centre pixel holds %.0f counts; NEMA NU 1 asks for %.0f (acquire %.1f× longer for acceptance testing)",
                                   centre, cv.nemaCountsPerPixel, cv.nemaCountsPerPixel / max(centre, 1)))
        }

        let ufovExpected = poissonExpectedIU(mean: meanCFOVRaw, masks: [ufovMask, cfovMask], rows: binned.rows,
                                             columns: binned.columns, conventions: cv)
        func measure(_ m: [Bool], expected: Double) -> Field {
            let (iu, du, n, mean, mx, mn) = uniformity(field, mask: m, run: cv.differentialRunPixels)
            var minR2 = r, maxR2 = -1, minC2 = c, maxC2 = -1
            for k in 0..<m.count where m[k] {
                minR2 = min(minR2, k / c); maxR2 = max(maxR2, k / c); minC2 = min(minC2, k % c); maxC2 = max(maxC2, k % c)
            }
            return Field(integralUniformityPercent: iu, differentialUniformityPercent: du,
                         poissonExpectedIntegralUniformityPercent: expected, pixels: n, meanCountsPerPixel: mean,
                         maximumCountsPerPixel: mx, minimumCountsPerPixel: mn,
                         sizeMM: Double(max(maxR2 - minR2, maxC2 - minC2) + 1) * size)
        }
        return Result(ufov: measure(ufovMask, expected: ufovExpected[0]), cfov: measure(cfovMask, expected: ufovExpected[1]),
                      binningFactor: factor, binnedPixelSizeMM: size, totalCounts: image.totalCounts,
                      centrePixelCounts: centre, meetsNEMACountRequirement: meetsNEMA, conventions: cv, warnings: warnings)
    }

    /// IU, DU, pixel count, mean, max and min of the non-zero pixels of `grid` inside `mask`.
    static func uniformity(_ grid: Grid, mask: [Bool], run: Int)
        -> (iu: Double, du: Double, n: Int, mean: Double, max: Double, min: Double) {
        var mx = -Double.infinity, mn = Double.infinity, s = 0.0, n = 0
        var inside = [Bool](repeating: false, count: mask.count)
        for k in 0..<mask.count where mask[k] && grid.values[k] > 0 {
            inside[k] = true
            let v = grid.values[k]
            mx = max(mx, v); mn = min(mn, v); s += v; n += 1
        }
        let iu = n > 0 ? 100 * (mx - mn) / (mx + mn) : .nan
        var du = 0.0
        let r = grid.rows, c = grid.columns
        // Rows (runs along columns) and columns (runs along rows); a run counts only when wholly inside.
        for i in 0..<r {
            guard c >= run else { break }
            for j0 in 0...(c - run) {
                var a = -Double.infinity, b = Double.infinity, ok = true
                for j in j0..<(j0 + run) {
                    let k = i * c + j
                    guard inside[k] else { ok = false; break }
                    a = max(a, grid.values[k]); b = min(b, grid.values[k])
                }
                if ok { du = max(du, 100 * (a - b) / (a + b)) }
            }
        }
        for j in 0..<c {
            guard r >= run else { break }
            for i0 in 0...(r - run) {
                var a = -Double.infinity, b = Double.infinity, ok = true
                for i in i0..<(i0 + run) {
                    let k = i * c + j
                    guard inside[k] else { ok = false; break }
                    a = max(a, grid.values[k]); b = min(b, grid.values[k])
                }
                if ok { du = max(du, 100 * (a - b) / (a + b)) }
            }
        }
        return (iu, du, n, n > 0 ? s / Double(n) : 0, mx, mn)
    }

    /// Mean IU over Monte-Carlo floods of `mean` counts per binned pixel (Gaussian approximation to Poisson, valid
    /// for the ≥ 1000 counts per pixel the test requires), smoothed and measured on the same FOV masks.
    static func poissonExpectedIU(mean: Double, masks: [[Bool]], rows: Int, columns: Int, conventions cv: Conventions) -> [Double] {
        guard cv.poissonRealisations > 0 else { return masks.map { _ in .nan } }
        var rng = SeededGenerator(seed: 0x5C1_2026)
        var sums = [Double](repeating: 0, count: masks.count)
        let sd = mean.squareRoot()
        let n = max(1, cv.poissonRealisations)
        for _ in 0..<n {
            var g = Grid(rows: rows, columns: columns)
            for k in 0..<g.values.count { g.values[k] = max(0, mean + sd * rng.normal()) }
            let s = g.ninePointSmoothed()
            // Only interior pixels: the FOV masks exclude the zeroed outer ring already.
            for (m, mask) in masks.enumerated() { sums[m] += uniformity(s, mask: mask, run: cv.differentialRunPixels).iu }
        }
        return sums.map { $0 / Double(n) }
    }
}
