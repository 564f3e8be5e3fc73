import Foundation
import Imaging

/// Cardiac I-123 MIBG heart-to-mediastinum ratio on the anterior planar chest view, with the standard regions and
/// the collimator conversion to the standard medium-energy condition.
///
/// Conventions (also written into every result):
/// - Heart region: a circle over the whole heart (Flotats et al., "Proposal for standardization of 123I-MIBG
///   cardiac sympathetic imaging", Eur J Nucl Med Mol Imaging 2010;37:1802–1812), centred on the strongest
///   compact focus (difference of Gaussians, 8 and 40 mm) left of the body midline in the upper 60 % of the body,
///   at least 40 mm inside its outline,
///   when not given, radius
///   ``Options/heartRadiusMM``.
/// - Mediastinal region: a square of ``Options/mediastinumSidePixels`` pixels (7 × 7 as in ADMIRE-HF,
///   Jacobson et al., J Am Coll Cardiol 2010;55:2212–2221) in the upper mediastinum: on the body midline,
///   ``Options/mediastinumAboveHeartMM`` above the heart centre, when not given.
/// - H/M: mean counts per pixel in the heart region ÷ mean counts per pixel in the mediastinal region.
/// - Standardised H/M (Nakajima et al., J Nucl Cardiol 2014;21:970–978; European cross-calibration, Verschure et
///   al., J Nucl Cardiol 2018;25:1191–1197): 1 + 0.88 · (H/M − 1) / CC, CC the camera–collimator conversion
///   coefficient. Without a calibrated CC the class mean of the published European ranges is used — low-energy
///   collimators 0.553–0.605 (0.579), medium-energy 0.824–0.895 (0.860) — and a note says so.
public struct MIBGAnalysis: Sendable {
    /// Tunable conventions.
    public struct Options: Sendable, Codable, Equatable {
        /// Radius of the automatic heart circle (mm).
        public var heartRadiusMM: Double = 45
        /// Side of the mediastinal square (pixels).
        public var mediastinumSidePixels: Int = 7
        /// Distance of the automatic mediastinal square above the heart centre (mm).
        public var mediastinumAboveHeartMM: Double = 75
        /// The reference conversion coefficient of the standard medium-energy condition.
        public var referenceCoefficient: Double = 0.88
        /// Creates the default options.
        public init() {}
    }

    /// A square region (pixels).
    public struct SquareROI: Sendable, Codable, Equatable {
        /// Centre column.
        public var column: Double
        /// Centre row.
        public var row: Double
        /// Side (pixels).
        public var side: Int
        /// Creates a square.
        public init(column: Double, row: Double, side: Int) { self.column = column; self.row = row; self.side = side }
    }

    /// The result.
    public struct Result: Sendable, Codable, Equatable {
        /// Heart-to-mediastinum ratio as measured.
        public var heartToMediastinum: Double
        /// Standardised to the medium-energy reference (when a conversion coefficient is known).
        public var standardizedHeartToMediastinum: Double?
        /// The conversion coefficient used.
        public var conversionCoefficient: Double?
        /// Where the coefficient came from.
        public var conversionSource: String
        /// Heart circle.
        public var heartROI: PlanarDisk
        /// Mediastinal square.
        public var mediastinumROI: SquareROI
        /// Heart mean counts/pixel.
        public var heartMeanCounts: Double
        /// Mediastinum mean counts/pixel.
        public var mediastinumMeanCounts: Double
        /// Whether the regions were placed automatically.
        public var automaticRegions: Bool
        /// Conventions used.
        public var conventions: [String: String]
        /// Notes.
        public var notes: [String]
        /// What a physician reads (issue 18), one sentence each.
        public var findings: [String] = []
        /// Uptake seen and why it is not a finding.
        public var physiology: [PhysiologicalUptake] = []
        /// What limits the result (counts, view, phase, assumptions).
        public var quality: [String] = []
    }

    /// The options.
    public var options: Options
    /// Creates an analysis.
    public init(options: Options = Options()) { self.options = options }

    /// Collimator class of a collimator code: `LE`, `ME` or nil (unknown, high energy, low-medium energy).
    public static func collimatorClass(_ code: String?) -> String? {
        guard let c = code?.uppercased().replacingOccurrences(of: " ", with: ""), !c.isEmpty else { return nil }
        if c.hasPrefix("LME") || c.contains("LOWMEDIUM") { return nil }
        if c.hasPrefix("LE") || c.hasPrefix("LOW") { return "LE" }
        if c.hasPrefix("ME") || c.hasPrefix("MEDIUM") { return "ME" }
        return nil
    }

    /// The published class-mean conversion coefficient of a collimator class (Verschure et al. 2018 ranges' midpoints).
    public static func classCoefficient(_ cls: String?) -> Double? {
        switch cls { case "LE": return 0.579; case "ME": return 0.860; default: return nil }
    }

    /// Standardised H/M: 1 + reference · (H/M − 1) / CC.
    public static func standardize(_ hm: Double, coefficient cc: Double, reference: Double = 0.88) -> Double {
        1 + reference * (hm - 1) / cc
    }

    static func squareStats(_ v: PlanarViewImage, _ s: SquareROI) -> PlanarRegionSum {
        let h = Double(s.side) / 2
        var sum = 0.0, n = 0
        for r in 0..<v.rows where abs(Double(r) - s.row) < h {
            for c in 0..<v.columns where abs(Double(c) - s.column) < h { sum += Double(v.counts[r * v.columns + c]); n += 1 }
        }
        return PlanarRegionSum(counts: sum, pixels: n)
    }

    /// Measures H/M on the anterior view. Regions are found automatically when nil. `collimator` is the
    /// collimator code from the file; `coefficient` a calibrated conversion coefficient (overrides the class mean).
    public func analyze(_ v: PlanarViewImage, heart: PlanarDisk? = nil, mediastinum: SquareROI? = nil, collimator: String? = nil,
                        coefficient: Double? = nil) throws(PlanarAnalysisError) -> Result {
        try v.validate()
        let o = options
        let px = (v.rowSpacingMM + v.columnSpacingMM) / 2
        var notes: [String] = []
        let s = RegionTools.gaussian(v.counts, rows: v.rows, columns: v.columns, sigma: max(1, 8 / px))
        // Body extent (rows and the midline) from the smoothed image.
        let p99 = RegionTools.quantile(s, 0.99)
        var top = v.rows, bottom = -1
        for r in 0..<v.rows where (0..<v.columns).contains(where: { s[r * v.columns + $0] > 0.1 * p99 }) { top = min(top, r); bottom = max(bottom, r) }
        guard bottom >= top else { throw PlanarAnalysisError("MIBG: no body found in view \(v.name)") }
        func midline(_ row: Int) -> Double {
            let r = min(max(row, 0), v.rows - 1)
            var lo = -1, hi = -1
            let m = (0..<v.columns).map { s[r * v.columns + $0] }.max() ?? 0
            for c in 0..<v.columns where s[r * v.columns + c] > 0.25 * m { if lo < 0 { lo = c }; hi = c }
            return lo < 0 ? Double(v.columns - 1) / 2 : Double(lo + hi) / 2
        }
        var heartROI: PlanarDisk
        if let heart {
            heartROI = heart
        } else {
            // Hottest focus on the patient's left (columns beyond the midline in an anterior view) in the upper
            // 60 % of the body.
            // A blob detector (difference of Gaussians, 8 and 40 mm) favours the compact heart over the broad
            // liver, whose left lobe can reach past the midline.
            let broad = RegionTools.gaussian(v.counts, rows: v.rows, columns: v.columns, sigma: max(2, 40 / px))
            // Only well inside the body (40 mm from its outline): the body's edge is a step the detector would take.
            let inside = RegionTools.squareFilter(s.map { $0 > 0.15 * p99 ? Float(1) : Float(0) }, rows: v.rows, columns: v.columns,
                                                half: max(1, Int((40 / px).rounded())), useMax: false)
            let lastRow = top + Int(Double(bottom - top) * 0.6)
            var best = -1, bestDoG: Float = -.infinity
            for r in top...lastRow {
                let mid = midline(r)
                for c in 0..<v.columns where Double(c) > mid && inside[r * v.columns + c] > 0 {
                    let i = r * v.columns + c
                    if s[i] - broad[i] > bestDoG { best = i; bestDoG = s[i] - broad[i] }
                }
            }
            guard best >= 0 else { throw PlanarAnalysisError("MIBG: no heart focus found in view \(v.name); give --heart") }
            let c = RegionTools.centroid(s, rows: v.rows, columns: v.columns, column: best % v.columns, row: best / v.columns,
                                       radius: o.heartRadiusMM / px, floor: s[best] * 0.6)
            heartROI = PlanarDisk(column: c.column, row: c.row, radius: o.heartRadiusMM / px)
            notes.append("heart circle placed automatically (strongest compact focus left of the midline in the upper body); check the figure")
        }
        var medROI: SquareROI
        if let mediastinum {
            medROI = mediastinum
        } else {
            let row = heartROI.row - o.mediastinumAboveHeartMM / px
            medROI = SquareROI(column: midline(Int(row.rounded())), row: row, side: o.mediastinumSidePixels)
            notes.append("mediastinal square placed automatically (midline, \(Int(o.mediastinumAboveHeartMM)) mm above the heart centre)")
        }
        let h = RegionTools.disk(v.counts, rows: v.rows, columns: v.columns, heartROI)
        let m = Self.squareStats(v, medROI)
        guard h.pixels > 0, m.pixels > 0 else { throw PlanarAnalysisError("MIBG: a region lies outside the \(v.columns)×\(v.rows) view") }
        guard m.mean > 0 else { throw PlanarAnalysisError("MIBG: the mediastinal region has zero counts") }
        let hm = h.mean / m.mean
        var cc = coefficient, source: String
        if let cc { source = "calibrated coefficient given by the user" }
        else if let cls = Self.collimatorClass(collimator), let c = Self.classCoefficient(cls) {
            cc = c
            source = "class mean for \(cls) collimators (\(collimator ?? "")): midpoint of the European ranges, Verschure et al., J Nucl Cardiol 2018;25:1191–1197; a camera-specific calibration is better"
            notes.append("standardised H/M uses the class-mean conversion coefficient \(c); give --conversion-coefficient for a calibrated camera")
        } else {
            source = "no conversion: collimator \(collimator ?? "not recorded") has no published class coefficient; give --conversion-coefficient"
            notes.append(source)
        }
        let conventions = [
            "units": "mean counts per pixel; regions on the view's pixel grid (0-based centres)",
            "heartROI": "circle over the whole heart (Flotats 2010), radius \(String(format: "%.0f", heartROI.radius * px)) mm",
            "mediastinumROI": "\(medROI.side)×\(medROI.side)-pixel square, upper mediastinum on the midline (ADMIRE-HF)",
            "standardization": String(format: "1 + %.2f × (H/M − 1) / CC (Nakajima 2014; Verschure 2018)", o.referenceCoefficient),
        ]
        var r = Result(heartToMediastinum: hm, standardizedHeartToMediastinum: cc.map { Self.standardize(hm, coefficient: $0, reference: o.referenceCoefficient) },
                       conversionCoefficient: cc, conversionSource: source, heartROI: heartROI, mediastinumROI: medROI,
                       heartMeanCounts: h.mean, mediastinumMeanCounts: m.mean, automaticRegions: heart == nil || mediastinum == nil,
                       conventions: conventions, notes: notes)
        r.findings = [String(format: "Heart-to-mediastinum ratio %.2f%@.", hm, r.standardizedHeartToMediastinum.map { String(format: " (%.2f standardised to the medium-energy reference)", $0) } ?? "")]
        r.quality = notes + (r.automaticRegions ? ["regions placed automatically: check the heart circle and the mediastinal square"] : [])
        return r
    }
}
