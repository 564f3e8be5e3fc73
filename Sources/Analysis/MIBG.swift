import Foundation
import Imaging

/// Cardiac I-123 MIBG heart-to-mediastinum ratio on the anterior planar chest view, with the standard regions and
/// the collimator conversion to the standard medium-energy condition.
///
/// Conventions (also written into every result):
/// - Heart region: over the whole heart, cavity included (Flotats et al., "Proposal for standardization of 123I-MIBG
///   cardiac sympathetic imaging", Eur J Nucl Med Mol Imaging 2010;37:1802–1812). Automatic (issue 18): the heart's
///   outline found on the anatomy — the compact focus left of the midline ABOVE the liver, the myocardium's outer
///   edge at `heartEdgeFraction` (50 %) of its contrast, the liver left out (`MIBG+Anatomy.swift`); `heartROI` then holds the circle of
///   the same area at the region's centre (for display and editing). Given from outside: a circle.
/// - Mediastinal region: a square of ``Options/mediastinumSidePixels`` pixels (7 × 7 as in ADMIRE-HF,
///   Jacobson et al., J Am Coll Cardiol 2010;55:2212–2221) in the upper mediastinum between the lung apices and the
///   heart: on the body midline, 55 % of the way from the base of the neck (where the body outline reaches 60 % of
///   its widest row) to the top of the heart region, when not given.
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
        /// Distance of the mediastinal square above the heart centre (mm): no longer used (the square is placed on the
        /// anatomy since 2026-12-07); kept so that stored options still decode.
        public var mediastinumAboveHeartMM: Double = 75
        /// The heart counts as visible when its plateau exceeds the surrounding background by this fraction.
        public var heartVisibleContrast: Double = 0.1
        /// The heart region's edge: this fraction of the way from the background to the heart's plateau (chosen on
        /// the tuning patients 8101–8104 and 8121–8130; 0.4 until `uptake7`).
        public var heartEdgeFraction: Double = 0.5
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
        /// Automatic heart region (issue 18): its pixels (row-major indices on the view), count, the heart's
        /// plateau over its background (contrast − 1) and whether the heart is visible; nil when the heart was given.
        public var heartRegionIndices: [Int]? = nil
        public var heartRegionPixels: Int? = nil
        public var heartContrast: Double? = nil
        public var heartVisible: Bool? = nil
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
        let anatomy = heart == nil || mediastinum == nil ? try Self.anatomy(v, options: o) : nil
        var heartROI: PlanarDisk
        var heartMask: PlanarROI? = nil
        if let heart {
            heartROI = heart
        } else if let a = anatomy {
            heartMask = a.heart
            let c = a.heart.centroid ?? (Double(a.focus.column), Double(a.focus.row))
            heartROI = PlanarDisk(column: c.column, row: c.row, radius: (Double(a.heart.count) / Double.pi).squareRoot())
            notes.append(String(format: "heart region placed automatically on the heart's outline above the liver (%d pixels, centre column %.1f, row %.1f); check the figure", a.heart.count, c.column, c.row))
            if a.contrast < o.heartVisibleContrast {
                notes.append(String(format: "heart not visible: its counts exceed the surrounding background by %.0f %% only (low cardiac uptake); the region is placed above the liver where the heart lies, H/M is that of this region", 100 * a.contrast))
            }
        } else { throw PlanarAnalysisError("MIBG: no heart region") }
        var medROI: SquareROI
        if let mediastinum {
            medROI = mediastinum
        } else if let a = anatomy {
            medROI = a.mediastinum
            if a.neckBaseRow != nil {
                notes.append("mediastinal square placed automatically (upper mediastinum on the midline, 55 % of the way from the base of the neck to the top of the heart)")
            } else {
                notes.append(String(format: "neck not in the view: mediastinal square placed %.0f mm above the top of the heart (the lung apices cannot be located); check it or give --mediastinum", Self.mediastinumAboveHeartTopMM))
            }
        } else { throw PlanarAnalysisError("MIBG: no mediastinal region") }
        let h = heartMask.map { PlanarRegionSum(counts: $0.sum(v), pixels: $0.count) } ?? RegionTools.disk(v.counts, rows: v.rows, columns: v.columns, heartROI)
        let m = Self.squareStats(v, medROI)
        guard h.pixels > 0, m.pixels > 0 else { throw PlanarAnalysisError("MIBG: a region lies outside the \(v.columns)×\(v.rows) view") }
        guard m.mean > 0 else { throw PlanarAnalysisError("MIBG: the mediastinal region has zero counts") }
        let hm = h.mean / m.mean
        var cc = coefficient, source: String
        if cc != nil { source = "calibrated coefficient given by the user" }
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
            "heartROI": heartMask != nil ? "automatic: the heart's outline (myocardium's outer edge at \(Int(100 * o.heartEdgeFraction)) % of its contrast over the background, its convex hull (cavity enclosed), liver band excluded; Flotats 2010, ADMIRE-HF); heartROI is the circle of the same area" : "circle over the whole heart (Flotats 2010), radius \(String(format: "%.0f", heartROI.radius * px)) mm",
            "mediastinumROI": "\(medROI.side)×\(medROI.side)-pixel square, upper mediastinum on the midline (ADMIRE-HF)",
            "standardization": String(format: "1 + %.2f × (H/M − 1) / CC (Nakajima 2014; Verschure 2018)", o.referenceCoefficient),
        ]
        var r = Result(heartToMediastinum: hm, standardizedHeartToMediastinum: cc.map { Self.standardize(hm, coefficient: $0, reference: o.referenceCoefficient) },
                       conversionCoefficient: cc, conversionSource: source, heartROI: heartROI, mediastinumROI: medROI,
                       heartMeanCounts: h.mean, mediastinumMeanCounts: m.mean, automaticRegions: heart == nil || mediastinum == nil,
                       conventions: conventions, notes: notes)
        if let m = heartMask, let a = anatomy {
            r.heartRegionIndices = m.indices; r.heartRegionPixels = m.count
            r.heartContrast = a.contrast; r.heartVisible = a.contrast >= o.heartVisibleContrast
        }
        r.findings = [String(format: "Heart-to-mediastinum ratio %.2f%@.", hm, r.standardizedHeartToMediastinum.map { String(format: " (%.2f standardised to the medium-energy reference)", $0) } ?? "")]
        if r.heartVisible == false { r.findings.append("The heart is not visible (low cardiac MIBG uptake): H/M is measured over the region above the liver where the heart lies.") }
        r.quality = notes + (r.automaticRegions ? ["regions placed automatically: check the heart region and the mediastinal square"] : [])
        return r
    }
}
