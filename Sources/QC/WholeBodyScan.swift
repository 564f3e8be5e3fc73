import Foundation
import Imaging

/// Whole-body scan uniformity along the scan (NEMA NU 1 §4, IAEA NMQC whole-body scan speed): a uniform sheet or
/// line source scanned over its length must give the same counts per unit length everywhere, or the table speed
/// varies.
///
/// Conventions: the scan axis is the image's longer side; the profile is the sum of counts across the scan per
/// pixel row; the covered length is where the profile reaches 50 % of its median over the non-empty rows; the
/// central 80 % of that length is evaluated: coefficient of variation (%) and largest deviation from the mean (%).
public enum WholeBodyScan {
    public struct Result: Sendable, Codable, Equatable {
        public var test = "wholebody"
        /// Frame (view) analysed, 1-based, and its detector.
        public var frame: Int
        public var coveredLengthMM: Double
        public var evaluatedLengthMM: Double
        public var scanProfileCoefficientOfVariationPercent: Double
        public var scanProfileMaximumDeviationPercent: Double
        /// Declared scan speed (mm/s) and the speed implied by the covered length and the frame duration, when known.
        public var declaredScanSpeedMMPerS: Double?
        public var pixelSizeAlongScanMM: Double
        /// Counts per row along the scan (evaluated section).
        public var profile: [Double]
    }

    public static func analyze(_ image: PlanarImage, frame: Int, declaredScanSpeedMMPerS: Double?) throws(QCError) -> Result {
        let alongRows = image.rows >= image.columns
        guard max(image.rows, image.columns) >= 2 * min(image.rows, image.columns) else {
            throw .wrongImageType(test: "wholebody", found: "a \(image.rows) × \(image.columns) image", allowed: "a whole-body scan (length ≥ 2 × width)")
        }
        let spacing = alongRows ? (image.pixelSpacing.first ?? 0) : (image.pixelSpacing.last ?? 0)
        guard spacing > 0 else { throw .invalidInput("no Pixel Spacing; lengths need it") }
        let g = Grid(image)
        let n = alongRows ? g.rows : g.columns, m = alongRows ? g.columns : g.rows
        let profile = (0..<n).map { i in (0..<m).reduce(0.0) { $0 + (alongRows ? g[i, $1] : g[$1, i]) } }
        let nonEmpty = profile.filter { $0 > 0 }.sorted()
        guard !nonEmpty.isEmpty else { throw .notAQCImage(test: "wholebody", reason: "the image is empty") }
        let median = nonEmpty[nonEmpty.count / 2]
        let covered = (0..<n).filter { profile[$0] >= 0.5 * median }
        guard let a = covered.first, let b = covered.last, b - a >= 10 else {
            throw .notAQCImage(test: "wholebody", reason: "no source covers the scan")
        }
        let trim = Int((Double(b - a + 1) * 0.1).rounded())
        let section = Array(profile[(a + trim)...(b - trim)])
        let mean = section.reduce(0, +) / Double(section.count)
        guard mean >= 100 else { throw .insufficientCounts(what: "the mean count per row along the scan", have: mean, need: 100, unit: "counts/row") }
        let sd = (section.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(section.count - 1)).squareRoot()
        let dev = section.map { abs($0 - mean) }.max()! / mean * 100
        guard sd / mean <= 0.25 else {
            throw .notAQCImage(test: "wholebody", reason: String(format: "the counts along the scan vary by %.0f %% (CoV); a uniform source varies by a few %% (a patient scan?)", sd / mean * 100))
        }
        return Result(frame: frame, coveredLengthMM: Double(b - a + 1) * spacing, evaluatedLengthMM: Double(section.count) * spacing,
                      scanProfileCoefficientOfVariationPercent: sd / mean * 100, scanProfileMaximumDeviationPercent: dev,
                      declaredScanSpeedMMPerS: declaredScanSpeedMMPerS, pixelSizeAlongScanMM: spacing, profile: section)
    }
}
