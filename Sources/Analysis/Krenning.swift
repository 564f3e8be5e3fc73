import Foundation
import Imaging

/// A named circular region on the anterior view's pixel grid.
public struct NamedPlanarDisk: Sendable, Codable, Equatable {
    /// Name (e.g. `lesion 1`, `liver`).
    public var name: String
    /// The disk (anterior-view pixels).
    public var roi: PlanarDisk
    /// Creates a region.
    public init(name: String, roi: PlanarDisk) { self.name = name; self.roi = roi }
}

/// Somatostatin-receptor scintigraphy (In-111 pentetreotide) planar scoring: the Krenning score of each lesion
/// against the liver and the spleen, and lesion counts followed across serial images (e.g. 4, 24, 48 h) with
/// decay correction.
///
/// Conventions (also written into every result):
/// - Intensity of a lesion: its peak (mean counts per pixel of the 3 × 3 pixels around the maximum of the
///   smoothed view inside its disk, as the eye grades the hottest part); of the liver, spleen and background: the
///   mean counts per pixel of the disk. With anterior and posterior views, the geometric
///   mean √(A·P) of the two means (conjugate views: independent of the depth of the structure), the posterior
///   disk mirrored onto its columns (c → columns − 1 − c). Regions are given on the anterior view's grid.
/// - Krenning score (Krenning et al., Eur J Nucl Med 1993;20:716–731; planar scale as used in the NETTER-1
///   eligibility, Strosberg et al., N Engl J Med 2017;376:125–135): 0 no uptake (lesion ≤ ``Options/noUptakeRatio``
///   × background, when a background region is given), 1 very low (< ``Options/veryLowFraction`` × liver), 2 up to
///   the liver, 3 above the liver, 4 above the spleen.
/// - Serial counts: net counts (disk minus the mean of an annulus of 1.5–2.5 radii, geometric mean of the views),
///   divided by the frame duration and decay-corrected to the injection with the decay during the frame:
///   rate × e^{λ t_start} × λτ / (1 − e^{−λτ}).
public struct KrenningAnalysis: Sendable {
    /// Tunable conventions.
    public struct Options: Sendable, Codable, Equatable {
        /// Score 1 below this fraction of the liver intensity.
        public var veryLowFraction: Double = 0.5
        /// Score 0 at or below this multiple of the background intensity (with a background region).
        public var noUptakeRatio: Double = 1.1
        /// Automatic regions (issue 18): radius (mm) of the liver, spleen and tumour discs; a tumour focus stands out
        /// of its 20–35 mm annulus by at least `lesionContrast` (relative) and `lesionSigma` (counting noise of a 3 × 3 sum).
        /// The liver and spleen discs are the reader's references, the same as the truth of the virtual trial
        /// (`PlanarStudyTruth.referenceDisc`): a 30 mm diameter disc in the liver, PERCIST's normal right-lobe VOI
        /// (Wahl et al., J Nucl Med 50:122S (2009)), and a 15 mm one in the spleen, each where the organ reads highest
        /// (thickest) inside its structure. Until 2026-12-08 they were 60 and 30 mm across at the deepest interior
        /// point, which read a median 8 % below the reader's discs on the tuning patients (branch `krenning16`).
        public var liverRadiusMM: Double = 15
        public var spleenRadiusMM: Double = 7.5
        public var lesionRadiusMM: Double = 15
        public var lesionContrast: Double = 0.25
        public var lesionSigma: Double = 6
        /// A grade within this relative distance of a boundary (plus twice the lesion peak's counting noise) is
        /// flagged (``LesionScore/nearBoundary``): 5 %, the spread of the automatic reference discs against the
        /// reader's on the tuning patients (0.97–1.05 × the truth's liver and spleen, session 16, docs/krenning.md).
        public var boundaryMargin: Double = 0.05
        /// Creates the default options.
        public init() {}
    }

    /// Intensity of one region.
    public struct RegionValue: Sendable, Codable, Equatable {
        /// Region name.
        public var name: String
        /// Column, row, radius (anterior-view pixels).
        public var column: Double
        /// Row.
        public var row: Double
        /// Radius (pixels).
        public var radius: Double
        /// Mean counts/pixel on the anterior view.
        public var anteriorMean: Double
        /// Mean counts/pixel on the posterior view (mirrored disk), when given.
        public var posteriorMean: Double?
        /// The intensity used: geometric mean of the two, or the anterior mean.
        public var intensity: Double
    }

    /// One lesion's score.
    public struct LesionScore: Sendable, Codable, Equatable {
        /// The region.
        public var region: RegionValue
        /// Lesion ÷ liver intensity.
        public var ratioToLiver: Double
        /// Lesion ÷ spleen intensity.
        public var ratioToSpleen: Double
        /// Krenning score 0–4; nil when the grade is withheld (``withheld`` says why).
        public var krenningScore: Int?
        /// Why no grade is given: the reference organ the grade depends on was not told apart on the image
        /// (automatic regions only; issue 18). A withheld grade is no grade, never a guess.
        public var withheld: String? = nil
        /// Set when the lesion's intensity lies within ``Options/boundaryMargin`` (relative) plus twice its peak's
        /// counting noise of a grade boundary (0.5 × liver, the liver, the spleen): the neighbouring grade is as
        /// plausible, e.g. "1.02 × the liver: within 6 % of the grade 2/3 boundary". nil otherwise and when withheld.
        public var nearBoundary: String? = nil
    }

    /// The scoring result.
    public struct Result: Sendable, Codable, Equatable {
        /// Lesions with their scores.
        public var lesions: [LesionScore]
        /// Liver reference.
        public var liver: RegionValue
        /// Spleen reference.
        public var spleen: RegionValue
        /// Background reference, when given.
        public var background: RegionValue?
        /// `geometric mean of anterior and posterior` or `anterior only`.
        public var method: String
        /// Regions placed automatically on the anatomy (`liver`, `spleen`, `lesions`); empty when all were given.
        public var automaticRegions: [String]? = nil
        /// Serial lesion counts, when several time points were given.
        public var kinetics: [LesionKinetics]?
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

    /// One time point of a serial study.
    public struct TimePoint: Sendable {
        /// Anterior view.
        public var anterior: PlanarViewImage
        /// Posterior view (optional).
        public var posterior: PlanarViewImage?
        /// Acquisition start after the injection (h).
        public var hoursAfterInjection: Double
        /// Frame duration (s).
        public var durationSeconds: Double
        /// Creates a time point.
        public init(anterior: PlanarViewImage, posterior: PlanarViewImage?, hoursAfterInjection: Double, durationSeconds: Double) {
            self.anterior = anterior; self.posterior = posterior; self.hoursAfterInjection = hoursAfterInjection; self.durationSeconds = durationSeconds
        }
    }

    /// One lesion's counts over time.
    public struct LesionKinetics: Sendable, Codable, Equatable {
        /// Lesion name.
        public var name: String
        /// Acquisition starts (h after injection).
        public var hours: [Double]
        /// Net counts (geometric mean when both views).
        public var netCounts: [Double]
        /// Net count rate (counts/s).
        public var countRate: [Double]
        /// Net count rate decay-corrected to the injection (counts/s).
        public var decayCorrectedCountRate: [Double]
        /// Decay-corrected rate as a percentage of the first time point (null when the first has no net counts).
        public var percentOfFirst: [Double?]
    }

    /// The options.
    public var options: Options
    /// Creates an analysis.
    public init(options: Options = Options()) { self.options = options }

    static func check(_ roi: NamedPlanarDisk, _ v: PlanarViewImage) throws(PlanarAnalysisError) {
        let r = roi.roi
        guard r.radius > 0, r.column >= 0, r.row >= 0, r.column <= Double(v.columns - 1), r.row <= Double(v.rows - 1) else {
            throw PlanarAnalysisError("region \(roi.name) (column \(r.column), row \(r.row), radius \(r.radius)) lies outside the \(v.columns)×\(v.rows) view \(v.name)")
        }
    }

    static func mirrored(_ r: PlanarDisk, columns: Int) -> PlanarDisk { PlanarDisk(column: Double(columns - 1) - r.column, row: r.row, radius: r.radius) }

    /// Peak of a lesion: mean of the 3 × 3 pixels around the maximum of the smoothed view (σ 1 px) inside the disk.
    static func peak(_ v: PlanarViewImage, _ smoothed: [Float], _ roi: PlanarDisk) -> Double {
        var best = -1
        for r in 0..<v.rows where abs(Double(r) - roi.row) <= roi.radius {
            for c in 0..<v.columns where hypot(Double(c) - roi.column, Double(r) - roi.row) <= roi.radius {
                if best < 0 || smoothed[r * v.columns + c] > smoothed[best] { best = r * v.columns + c }
            }
        }
        guard best >= 0 else { return 0 }
        return RegionTools.disk(v.counts, rows: v.rows, columns: v.columns,
                              PlanarDisk(column: Double(best % v.columns), row: Double(best / v.columns), radius: 1.5)).mean
    }

    func value(_ roi: NamedPlanarDisk, anterior a: PlanarViewImage, posterior p: PlanarViewImage?, lesion: Bool = false) -> RegionValue {
        if lesion {
            let ma = Self.peak(a, RegionTools.gaussian(a.counts, rows: a.rows, columns: a.columns, sigma: 1), roi.roi)
            let mp = p.map { Self.peak($0, RegionTools.gaussian($0.counts, rows: $0.rows, columns: $0.columns, sigma: 1), Self.mirrored(roi.roi, columns: $0.columns)) }
            return RegionValue(name: roi.name, column: roi.roi.column, row: roi.roi.row, radius: roi.roi.radius,
                               anteriorMean: ma, posteriorMean: mp, intensity: mp.map { (ma * $0).squareRoot() } ?? ma)
        }
        let ma = RegionTools.disk(a.counts, rows: a.rows, columns: a.columns, roi.roi).mean
        let mp = p.map { RegionTools.disk($0.counts, rows: $0.rows, columns: $0.columns, Self.mirrored(roi.roi, columns: $0.columns)).mean }
        let intensity = mp.map { (ma * $0).squareRoot() } ?? ma
        return RegionValue(name: roi.name, column: roi.roi.column, row: roi.roi.row, radius: roi.roi.radius,
                           anteriorMean: ma, posteriorMean: mp, intensity: intensity)
    }

    /// Net counts (disk minus annulus mean) on one view.
    static func net(_ v: PlanarViewImage, _ r: PlanarDisk) -> Double {
        let d = RegionTools.disk(v.counts, rows: v.rows, columns: v.columns, r)
        let bg = RegionTools.annulus(v.counts, rows: v.rows, columns: v.columns, column: r.column, row: r.row, inner: 1.5 * r.radius, outer: 2.5 * r.radius)
        return d.counts - bg.mean * Double(d.pixels)
    }

    /// Scores lesions on one time point. `background` is optional (enables score 0).
    public func score(anterior: PlanarViewImage, posterior: PlanarViewImage?, lesions: [NamedPlanarDisk], liver: NamedPlanarDisk, spleen: NamedPlanarDisk,
                      background: NamedPlanarDisk? = nil) throws(PlanarAnalysisError) -> Result {
        try score(anterior: anterior, posterior: posterior, lesions: lesions, liver: liver, spleen: spleen, background: background, allowNoLesions: false)
    }

    func score(anterior: PlanarViewImage, posterior: PlanarViewImage?, lesions: [NamedPlanarDisk], liver: NamedPlanarDisk, spleen: NamedPlanarDisk,
               background: NamedPlanarDisk?, allowNoLesions: Bool) throws(PlanarAnalysisError) -> Result {
        try anterior.validate()
        if let p = posterior {
            try p.validate()
            guard p.rows == anterior.rows, p.columns == anterior.columns else {
                throw PlanarAnalysisError("mismatched matrix sizes: anterior \(anterior.columns)×\(anterior.rows), posterior \(p.columns)×\(p.rows)")
            }
        }
        guard allowNoLesions || !lesions.isEmpty else { throw PlanarAnalysisError("Krenning score: no lesion regions given") }
        for r in lesions + [liver, spleen] + (background.map { [$0] } ?? []) { try Self.check(r, anterior) }
        let lv = value(liver, anterior: anterior, posterior: posterior), sp = value(spleen, anterior: anterior, posterior: posterior)
        guard lv.intensity > 0, sp.intensity > 0 else { throw PlanarAnalysisError("Krenning score: the liver or spleen region has zero counts") }
        let bg = background.map { value($0, anterior: anterior, posterior: posterior) }
        var notes: [String] = []
        if sp.intensity <= lv.intensity { notes.append(String(format: "the spleen region (%.1f counts/pixel) is not hotter than the liver region (%.1f), unusual in In-111 pentetreotide images: score 4 means above both and score 3 cannot be given; check that the spleen region lies on the spleen", sp.intensity, lv.intensity)) }
        let scores = lesions.map { l -> LesionScore in
            let v = value(l, anterior: anterior, posterior: posterior, lesion: true)
            let rl = v.intensity / lv.intensity, rs = v.intensity / sp.intensity
            var s: Int
            if let bg, v.intensity <= options.noUptakeRatio * bg.intensity { s = 0 }
            else if v.intensity > max(sp.intensity, lv.intensity) { s = 4 }
            else if v.intensity > lv.intensity { s = 3 }
            else if rl >= options.veryLowFraction { s = 2 }
            else { s = 1 }
            var score = LesionScore(region: v, ratioToLiver: rl, ratioToSpleen: rs, krenningScore: s)
            score.nearBoundary = Self.nearBoundary(score, spleenHotter: sp.intensity > lv.intensity, margin: options.boundaryMargin,
                                                   views: posterior == nil ? 1 : 2, veryLow: options.veryLowFraction)
            return score
        }
        var r = Result(lesions: scores, liver: lv, spleen: sp, background: bg,
                       method: posterior == nil ? "anterior only" : "geometric mean of anterior and posterior",
                       kinetics: nil, conventions: conventions, notes: notes)
        r.findings = Self.findings(scores)
        r.quality = notes + (posterior == nil ? ["anterior view only: no geometric mean"] : [])
        return r
    }

    /// The grade boundary (if any) the lesion's intensity lies within `margin` + 2 σ of, σ the relative counting
    /// noise of its peak (a 3 × 3 mean: 1/√(9 × counts), per view; the conjugate mean of two views halves the
    /// variance). Boundaries: 1/2 at `veryLow` × liver, 2/3 at the liver, 3/4 at the spleen (or, with the spleen not
    /// hotter than the liver, 2/4 at the liver). A lesion graded 0 against the background region is not flagged.
    static func nearBoundary(_ s: LesionScore, spleenHotter: Bool, margin: Double, views: Int, veryLow: Double) -> String? {
        guard let g = s.krenningScore, g > 0 else { return nil }
        let counts = max(s.region.intensity, 1e-9)
        let m = margin + 2 / (9 * counts * Double(views)).squareRoot()
        var candidates: [(ratio: Double, label: String)] = [(s.ratioToLiver / veryLow, String(format: "%.2f × the liver: within %.0f %% of the grade 1/2 boundary (%.2f × the liver)", s.ratioToLiver, 100 * m, veryLow)),
                                                           (s.ratioToLiver, String(format: "%.2f × the liver: within %.0f %% of the grade %@ boundary (the liver)", s.ratioToLiver, 100 * m, spleenHotter ? "2/3" : "2/4"))]
        if spleenHotter { candidates.append((s.ratioToSpleen, String(format: "%.2f × the spleen: within %.0f %% of the grade 3/4 boundary (the spleen)", s.ratioToSpleen, 100 * m))) }
        return candidates.first { abs($0.ratio - 1) <= m }?.label
    }

    /// One sentence per lesion: its grade, or why it is withheld.
    static func findings(_ scores: [LesionScore]) -> [String] {
        scores.enumerated().map { k, s in
            if let g = s.krenningScore {
                let near = s.nearBoundary.map { " Near a boundary: \($0); the neighbouring grade is as plausible." } ?? ""
                return String(format: "Lesion %d: Krenning grade %d (%.2f × liver, %.2f × spleen).", k + 1, g, s.ratioToLiver, s.ratioToSpleen) + near
            }
            return String(format: "Lesion %d: Krenning grade withheld (%.2f × the liver region): %@.", k + 1, s.ratioToLiver, s.withheld ?? "reference organ not told apart")
        }
    }

    var conventions: [String: String] {
        [
            "units": "mean counts per pixel (photopeak windows summed as read); regions on the anterior view's pixel grid (0-based centres)",
            "intensity": "lesion: peak (3x3 mean at the smoothed maximum in its disk); organs: disk mean; geometric mean of anterior and mirrored posterior (conjugate views), else the anterior value",
            "krenningScore": String(format: "0: ≤ %.2f × background; 1: < %.2f × liver; 2: ≤ liver; 3: > liver; 4: > spleen (Krenning 1993, planar scale)", options.noUptakeRatio, options.veryLowFraction),
            "kinetics": "net counts (disk minus annulus 1.5–2.5 radii), per second, decay-corrected to the injection including decay during the frame",
        ]
    }

    /// Lesion counts across serial time points, decay-corrected to the injection with `halfLifeSeconds`.
    public func kinetics(_ points: [TimePoint], lesions: [NamedPlanarDisk], halfLifeSeconds: Double) throws(PlanarAnalysisError) -> [LesionKinetics] {
        guard !points.isEmpty else { throw PlanarAnalysisError("lesion kinetics: no time points") }
        guard halfLifeSeconds > 0 else { throw PlanarAnalysisError("lesion kinetics: the half-life must be positive") }
        let first = points[0].anterior
        for p in points {
            try p.anterior.validate()
            guard p.anterior.rows == first.rows, p.anterior.columns == first.columns else {
                throw PlanarAnalysisError("lesion kinetics: mismatched matrix sizes (\(first.columns)×\(first.rows) and \(p.anterior.columns)×\(p.anterior.rows))")
            }
            guard p.durationSeconds > 0 else { throw PlanarAnalysisError("lesion kinetics: time point at \(p.hoursAfterInjection) h has no frame duration") }
        }
        for l in lesions { try Self.check(l, first) }
        let lambda = log(2) / halfLifeSeconds
        let sorted = points.sorted { $0.hoursAfterInjection < $1.hoursAfterInjection }
        return lesions.map { l in
            var nets: [Double] = [], rates: [Double] = [], corrected: [Double] = []
            for p in sorted {
                let na = Self.net(p.anterior, l.roi)
                let n = p.posterior.map { post in (max(na, 0) * max(Self.net(post, Self.mirrored(l.roi, columns: post.columns)), 0)).squareRoot() } ?? na
                let tau = p.durationSeconds, t0 = p.hoursAfterInjection * 3600
                let x = lambda * tau
                let duringFrame = x < 1e-9 ? 1 : x / (1 - exp(-x))
                nets.append(n); rates.append(n / tau); corrected.append(n / tau * exp(lambda * t0) * duringFrame)
            }
            let ref = corrected.first ?? 1
            return LesionKinetics(name: l.name, hours: sorted.map(\.hoursAfterInjection), netCounts: nets, countRate: rates,
                                  decayCorrectedCountRate: corrected, percentOfFirst: corrected.map { ref > 0 ? 100 * $0 / ref : nil })
        }
    }
}
