import Foundation
import Imaging
import Physics

/// Parathyroid scintigraphy: dual-phase Tc-99m sestamibi (early and delayed) washout and retention, and
/// dual-tracer subtraction (sestamibi minus the normalised, registered pertechnetate or I-123 thyroid image);
/// candidate adenomas with their positions.
///
/// Conventions:
/// - Delayed counts are decay-corrected to the early acquisition (Tc-99m unless told) and both phases are taken
///   per second of acquisition.
/// - Background per pixel: median of a ring 2–5 pixels outside the gland region (smoothed early counts whose excess
///   over the body's median is ≥ 40 % of the maximum's, dilated by 1), inside the body (≥ 10 % of the maximum),
///   per image.
/// - Retention index of a region = 100 × (delayed − background) / (early − background), summed over the region;
///   washout = 100 − retention index (both percent).
/// - Subtraction image: with a thyroid image, early − k · (registered thyroid), k the median ratio of the
///   background-corrected early to thyroid counts over the thyroid core (thyroid image ≥ 50 % of its maximum),
///   registration a translation by normalised cross-correlation over the neck region; without one (washout
///   subtraction), min(delayed, early) − k · early of the white top-hat-filtered images (soft tissue, heart and liver
///   removed; the delayed top-hat is counted only up to the early one: a focus retains at most what it took up),
///   k = the lower quartile of the per-pixel delayed/early ratio over the gland region where the early top-hat is
///   ≥ 25 % of its bed maximum (the thyroid's retention; Σ delayed / Σ early over a thyroid core given from outside).
///   The delayed image is first registered onto the early one (``Registration``, ``Result/delayedRegistration``).
/// - Search (issue 18): only the thyroid bed and the neck-to-mediastinum corridor found from the body outline
///   (``Parathyroid/SearchRegion``); salivary glands, myocardium and liver are listed as physiology, never as
///   candidates.
/// - Candidates: local maxima of the subtraction image in the search region above max(median + 5 σ,
///   40 % of its maximum), at least 3 pixels apart, σ from the median absolute deviation over the body; position the
///   count-weighted centre of the 3 × 3 pixels around the maximum (0-based column, row of pixel centres).
public struct Parathyroid: Sendable {
    /// One image with its timing.
    public struct Phase: Sendable {
        public var image: PlanarViewImage
        public var start: Date?
        public var durationSeconds: Double?
        public init(image: PlanarViewImage, start: Date?, durationSeconds: Double?) {
            self.image = image; self.start = start; self.durationSeconds = durationSeconds
        }
    }

    /// A candidate adenoma.
    public struct Candidate: Sendable, Codable, Equatable {
        /// 0-based pixel centre (column, row) on the early image's grid.
        public var column: Double
        public var row: Double
        /// Patient position (LPS, mm) of the pixel centre, when the image geometry is known.
        public var patientMM: [Double]?
        /// Subtraction-image value at the maximum over the noise σ.
        public var significance: Double
        /// Retention index (percent) of a 2-pixel-radius disc around the candidate.
        public var retentionIndexPercent: Double
        /// Washout (percent) = 100 − retention index.
        public var washoutPercent: Double
        /// Retention index relative to the thyroid's (candidate / thyroid).
        public var retentionRelativeToThyroid: Double?
        /// Background-corrected early and delayed counts per second in the disc.
        public var earlyCPS: Double
        public var delayedCPS: Double
    }

    /// A region's dual-phase numbers.
    public struct Region: Sendable, Codable, Equatable {
        public var name: String
        public var pixels: Int
        public var earlyCPS: Double
        public var delayedCPS: Double
        public var retentionIndexPercent: Double
        public var washoutPercent: Double
    }

    /// The result; `candidates[]` with `column`, `row`, `retentionIndexPercent` is the contract.
    public struct Result: Sendable, Codable, Equatable {
        public var candidates: [Candidate]
        public var regions: [Region]
        /// `dual-tracer subtraction` or `dual-phase washout subtraction`.
        public var subtraction: String
        /// Thyroid-image registration (dx, dy pixels applied to the thyroid image) and correlation, when used.
        public var registrationShiftPixels: [Double]?
        /// Registration of the delayed image onto the early one (motion between the phases; issue 18): the
        /// transform, its quality and whether it was applied (``Parathyroid/Registration``).
        public var delayedRegistration: Registration? = nil
        public var registrationCorrelation: Double?
        /// Normalisation factor k of the subtraction.
        public var normalisationFactor: Double
        /// Decay factor that multiplied the delayed counts (to the early time).
        public var delayedDecayCorrection: Double
        public var hoursBetweenPhases: Double?
        public var radionuclide: String
        public var method: String
        public var units: [String: String]
        public var warnings: [String]
        /// What a physician reads (issue 18), one sentence each.
        public var findings: [String] = []
        /// Uptake seen and why it is not a finding.
        public var physiology: [PhysiologicalUptake] = []
        /// What limits the result (counts, view, phase, assumptions).
        public var quality: [String] = []
    }

    /// A translation registration of one image onto the early image, as applied (or refused).
    public struct Registration: Sendable, Codable, Equatable {
        /// The image moved (`delayed`).
        public var image: String
        /// `translation` (rigid shift in the detector plane, bilinear resampling).
        public var transform: String
        /// Shift (dx, dy) in pixels applied to the image (+x to higher columns, +y to higher rows).
        public var shiftPixels: [Double]
        /// The same shift in mm (column and row spacing).
        public var shiftMM: [Double]
        /// Pearson correlation with the early image over the neck and chest region, after and before the shift.
        public var correlation: Double
        public var correlationUnregistered: Double
        /// Whether the shift was applied; a failed registration is reported, not used.
        public var used: Bool
        /// Why it was or was not used.
        public var note: String
    }

    /// Registration quality limits: the correlation with the early image must reach this, and the shift must lie
    /// inside the searched ±``registrationMaxShift`` pixels (a maximum at the edge of the search is no optimum).
    /// A shift below ``registrationMinShift`` pixels is no motion: the washed-out thyroid and the retained foci make
    /// the two phases differ, which moved the correlation maximum by up to 0.54 px on 16 unmoved tuning patients
    /// (seeds 4102–4120), so smaller shifts are reported and not applied.
    static let registrationMinCorrelation = 0.7, registrationMaxShift = 8, registrationMinShift = 1.0

    /// Registers the smoothed delayed image onto the smoothed early one by translation (normalised cross-correlation
    /// over the overlap of the two images, refined to 0.05 px by resampling:
    /// ``PlanarRegistration/translationOnOverlap(fixed:moving:maxShift:region:)``) over `region`; the shift is used only
    /// when the registration succeeded.
    static func registerDelayed(early eS: PlanarViewImage, delayed dS: PlanarViewImage, region: PlanarROI) -> Registration {
        let reg = PlanarRegistration.translationOnOverlap(fixed: eS, moving: dS, maxShift: registrationMaxShift, region: region)
        let before = PlanarRegistration.translationOnOverlap(fixed: eS, moving: dS, maxShift: 0, region: region).correlation
        let atEdge = max(abs(reg.dx), abs(reg.dy)) >= Double(registrationMaxShift) - 0.5
        let ok = reg.correlation >= registrationMinCorrelation && !atEdge
        let moved = max(abs(reg.dx), abs(reg.dy)) >= registrationMinShift
        let used = ok && moved
        let note = used ? String(format: "delayed image shifted by (%.2f, %.2f) px onto the early image (correlation %.3f, %.3f before)", reg.dx, reg.dy, reg.correlation, before)
            : ok ? String(format: "no motion between the phases: registration shift (%.2f, %.2f) px (correlation %.3f, %.3f before) is below %.0f px, within what the phases' different content gives on unmoved patients; delayed image used as acquired", reg.dx, reg.dy, reg.correlation, before, registrationMinShift)
            : atEdge ? String(format: "registration failed: best shift (%.1f, %.1f) px lies at the edge of the ±%d px search (no optimum found); delayed image used unshifted", reg.dx, reg.dy, registrationMaxShift)
            : String(format: "registration failed: correlation %.3f < %.2f (the two phases do not show the same anatomy); delayed image used unshifted", reg.correlation, registrationMinCorrelation)
        return Registration(image: "delayed", transform: "translation", shiftPixels: [reg.dx, reg.dy],
                            shiftMM: [reg.dx * eS.columnSpacingMM, reg.dy * eS.rowSpacingMM], correlation: reg.correlation,
                            correlationUnregistered: before, used: used, note: note)
    }

    /// Result plus images and regions for the figure.
    public struct Analysis: Sendable {
        public var result: Result
        public var subtractionImage: PlanarViewImage
        public var neckROI: PlanarROI
        public var thyroidCore: PlanarROI
        public var registeredThyroid: PlanarViewImage?
    }

    /// Radionuclide of the sestamibi images (decay correction).
    public var nuclide: Radionuclide
    /// Creates the analysis.
    public init(nuclide: Radionuclide) { self.nuclide = nuclide }

    static func median(_ v: [Double]) -> Double {
        guard !v.isEmpty else { return 0 }
        let s = v.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : 0.5 * (s[s.count / 2 - 1] + s[s.count / 2])
    }

    /// Runs the analysis. `pixelToPatient` maps a (column, row) to LPS mm, when known.
    /// Regions from outside (edited by a reader, issue 13/18): `candidateRegions` (discs on the early image's grid)
    /// replace the automatic candidate search, `thyroidRegion` the automatic thyroid core; retention, washout and
    /// the subtraction are computed from them in the same way.
    public func analyze(early: Phase, delayed: Phase, thyroid: Phase?,
                        pixelToPatient: (@Sendable (Double, Double) -> [Double])? = nil,
                        candidateRegions: [PlanarDisk]? = nil, thyroidRegion: PlanarROI? = nil) throws(PlanarAnalysisError) -> Analysis {
        let e = early.image
        var d = delayed.image
        guard e.rows == d.rows, e.columns == d.columns else {
            throw PlanarAnalysisError("delayed image is \(d.rows)×\(d.columns), early \(e.rows)×\(e.columns): mismatched matrix sizes")
        }
        if let t = thyroid?.image, t.rows != e.rows || t.columns != e.columns {
            throw PlanarAnalysisError("thyroid image is \(t.rows)×\(t.columns), early \(e.rows)×\(e.columns): mismatched matrix sizes")
        }
        guard e.totalCounts > 0 else { throw PlanarAnalysisError("early image has zero counts") }
        guard d.totalCounts > 0 else { throw PlanarAnalysisError("delayed image has zero counts") }
        if let t = thyroid?.image, t.totalCounts <= 0 { throw PlanarAnalysisError("thyroid image has zero counts") }
        var warnings: [String] = []
        let rows = e.rows, cols = e.columns, np = rows * cols
        // Per-second and decay correction.
        func perSecond(_ p: Phase, _ name: String) -> Double {
            if let s = p.durationSeconds, s > 0 { return 1 / s }
            warnings.append("\(name): acquisition duration unknown: counts not divided by time (equal durations assumed)")
            return 1
        }
        let eScale = perSecond(early, "early")
        var dScale = perSecond(delayed, "delayed")
        var decay = 1.0, hours: Double? = nil
        if let es = early.start, let ds = delayed.start {
            let dt = ds.timeIntervalSince(es)
            guard dt > 0 else { throw PlanarAnalysisError("the delayed image (\(ds)) is not later than the early one (\(es))") }
            hours = dt / 3600
            decay = 1 / Decay.factor(halfLifeSeconds: nuclide.halfLifeSeconds, elapsedSeconds: dt)
            dScale *= decay
        } else {
            warnings.append("acquisition times unknown: delayed counts not decay-corrected (washout overestimated)")
        }
        let eS = e.smoothed(passes: 2)
        var dS = d.smoothed(passes: 2)
        // Where to search (thyroid bed and neck-to-mediastinum corridor) and the physiology around it.
        var search = Self.searchRegion(early: eS, delayed: dS)
        warnings += search.notes
        let globalMax = eS.counts.max() ?? 0
        // Neck region and background ring: the gland is the hottest structure of the thyroid bed, not of the image
        // (liver, myocardium and salivary glands are hotter).
        let eMax = search.region.indices.map { eS.counts[$0] }.max() ?? globalMax
        // Gland region: every pixel of the smoothed early image ≥ 40 % of its maximum (thyroid and hot foci);
        // body: ≥ 10 %. Background: a ring 2–5 pixels outside the gland region, inside the body.
        var neck = PlanarROI(rows: rows, columns: cols), body = PlanarROI(rows: rows, columns: cols)
        for i in 0..<np where eS.counts[i] >= 0.1 * globalMax { body.inside[i] = true }
        // Tissue level: the median of the body (most of it is soft tissue); the gland stands out above it.
        let tissue = Float(Self.median(body.indices.map { Double(eS.counts[$0]) }))
        // Gland region: the compact structures of the thyroid bed (top-hat ≥ 40 % of its maximum there).
        let topE = Self.topHat(eS)
        let bedTop = search.bed.indices.map { topE[$0] }.max() ?? 0
        for i in search.bed.indices where bedTop > 0 && topE[i] >= 0.4 * bedTop { neck.inside[i] = true }
        if neck.count == 0 { for i in search.region.indices where eS.counts[i] - tissue >= 0.4 * (eMax - tissue) { neck.inside[i] = true } }
        neck = neck.dilated(1)
        // Motion between the phases (issue 18: registration, not alignment by assumption): the delayed image is
        // registered onto the early one over the body of the searched rows (3 rows either side, the full width with
        // the body's outline), leaving out the gland region and 2 px around it: the thyroid washes out and an
        // adenoma is retained, so the glands do not look alike in the two phases and would pull the registration
        // (on unmoved tuning patients they gave apparent shifts of 0.3–0.7 px).
        let glands = neck.dilated(2)
        let searchedRows = Set(search.region.indices.map { $0 / cols })
        var regRegion = PlanarROI(rows: rows, columns: cols)
        for i in 0..<np where !glands.inside[i] && (-3...3).contains(where: { searchedRows.contains(i / cols + $0) })
            && eS.counts[i] >= 0.05 * globalMax { regRegion.inside[i] = true }
        regRegion = regRegion.dilated(2)
        for i in glands.indices { regRegion.inside[i] = false }
        let delayedReg = Self.registerDelayed(early: eS, delayed: dS, region: regRegion)
        if delayedReg.used {
            d = d.shiftedCubic(dx: delayedReg.shiftPixels[0], dy: delayedReg.shiftPixels[1])
            dS = d.smoothed(passes: 2)
            search.physiology = Self.searchRegion(early: eS, delayed: dS).physiology
        } else {
            warnings.append(delayedReg.note)
        }
        let topD = Self.topHat(dS)
        let outer = neck.dilated(5), inner = neck.dilated(2)
        var ring = PlanarROI(rows: rows, columns: cols)
        for i in 0..<np where outer.inside[i] && !inner.inside[i] && body.inside[i] { ring.inside[i] = true }
        guard ring.count >= 8 else { throw PlanarAnalysisError("no room for a background ring around the thyroid region") }
        let bgE = Self.median(ring.indices.map { Double(eS.counts[$0]) })
        let bgD = Self.median(ring.indices.map { Double(dS.counts[$0]) })
        // Background-corrected, per-second (delayed decay-corrected) images.
        let eC = e.counts.map { (Double($0) - bgE) * eScale }, dC = d.counts.map { (Double($0) - bgD) * dScale }
        let eCS = eS.counts.map { (Double($0) - bgE) * eScale }

        // Subtraction.
        var sub = [Double](repeating: 0, count: np)
        // The image whose spread gives the noise σ (the subtraction itself, or its unbounded form; see below).
        var noiseImage: [Double]? = nil
        var k = 0.0, shift: [Double]? = nil, corr: Double? = nil, mode = ""
        var core = PlanarROI(rows: rows, columns: cols)
        if let g = thyroidRegion {
            guard g.rows == rows, g.columns == cols, g.count > 0 else {
                throw PlanarAnalysisError("the thyroid region given is empty or not on the \(cols)×\(rows) early image grid")
            }
            warnings.append("thyroid region given from outside (edited): \(g.count) pixels")
        }
        for d in candidateRegions ?? [] {
            guard d.radius > 0, d.column >= 0, d.row >= 0, d.column <= Double(cols - 1), d.row <= Double(rows - 1) else {
                throw PlanarAnalysisError("candidate region given at column \(d.column), row \(d.row), radius \(d.radius) lies outside the \(cols)×\(rows) early image")
            }
        }
        var registered: PlanarViewImage? = nil
        if let t = thyroid {
            mode = "dual-tracer subtraction"
            let reg = PlanarRegistration.translation(fixed: eS, moving: t.image.smoothed(passes: 2), maxShift: 8, region: neck.dilated(3))
            shift = [reg.dx, reg.dy]; corr = reg.correlation
            if reg.correlation < 0.5 { warnings.append(String(format: "thyroid image registration is poor (correlation %.2f)", reg.correlation)) }
            let tr = t.image.shifted(dx: reg.dx, dy: reg.dy)
            registered = tr
            let trS = tr.smoothed(passes: 2)
            // Thyroid background from the same ring on the registered image.
            let bgT = Self.median(ring.indices.map { Double(trS.counts[$0]) })
            let tMax = trS.counts.max() ?? 0
            for i in 0..<np where Double(trS.counts[i]) >= 0.5 * Double(tMax) && neck.inside[i] { core.inside[i] = true }
            if let g = thyroidRegion { core = g }
            let ratios = core.indices.compactMap { i -> Double? in
                let tv = Double(trS.counts[i]) - bgT
                return tv > 0 ? eCS[i] / eScale / tv : nil
            }
            guard !ratios.isEmpty else { throw PlanarAnalysisError("the thyroid image shows no thyroid over the sestamibi neck region") }
            k = Self.median(ratios)
            for i in 0..<np { sub[i] = (Double(trS.counts[i]) - bgT) }
            for i in 0..<np { sub[i] = eCS[i] / eScale - k * sub[i] }
        } else {
            mode = "dual-phase washout subtraction"
            // Thyroid core: the top-hat's upper half in the gland region. Both images are top-hat filtered (soft
            // tissue, heart and liver removed), k = Σ delayed / Σ early over the core (the thyroid's retention), and
            // the subtraction delayed − k · early leaves what the thyroid does not: retained compact foci.
            for i in neck.indices where topE[i] >= 0.5 * bedTop { core.inside[i] = true }
            if core.count == 0 { for i in neck.indices where eS.counts[i] - tissue >= 0.5 * (eMax - tissue) { core.inside[i] = true } }
            if let g = thyroidRegion { core = g }
            let se = core.indices.reduce(0.0) { $0 + topE[$1] } * eScale, sd = core.indices.reduce(0.0) { $0 + topD[$1] } * dScale
            k = se > 0 ? sd / se : 0
            // The thyroid's retention, not the adenoma's: a bright adenoma can fill most of the core and pull the sum
            // ratio up to its own retention (tuning seed 4108: k 0.79 against the thyroid's 0.28, the adenoma then
            // subtracted away). The thyroid washes out and a retaining focus has the highest delayed/early ratios, so
            // k is the lower quartile of the per-pixel ratio over the gland region where the early top-hat is ≥ 25 %
            // of its bed maximum (chosen on tuning seeds 4101–4120: 15/16 found, 14/16 with the sum ratio).
            if thyroidRegion == nil {
                let ratios = neck.indices.filter { topE[$0] >= 0.25 * bedTop && topE[$0] > 0 }.map { topD[$0] * dScale / (topE[$0] * eScale) }.sorted()
                if !ratios.isEmpty { k = ratios[Int(0.25 * Double(ratios.count - 1))] }
            }
            if k <= 0 { warnings.append("the thyroid core has no retained counts on the delayed image: washout normalisation k = 0") }
            k = max(0, k)
            // A retaining focus keeps at most what it held on the early image (decay-corrected retention ≤ 1: an adenoma
            // is a focus on the early image already): the delayed top-hat counts only up to the early one. Structures
            // that are compact on the delayed image alone — soft tissue at the neck–shoulder outline, whose counts do not
            // wash out while the thyroid's do, and noise — then no longer outrank an adenoma (an 8 mm adenoma second
            // behind such a structure of ratio 2.35 on validation seed 4009, the same on tuning seed 4137; tuning seed
            // 4112's first candidate had an early top-hat ≈ 0; adenomas' delayed/early top-hat ratio 0.5–1.1 on tuning
            // seeds 4101–4120, the thyroid's 0.2–0.4, delayed-only structures 1.3 to ∞).
            for i in 0..<np { sub[i] = (min(topD[i] * dScale, topE[i] * eScale) - k * topE[i] * eScale) / eScale }
            // The bound sets the subtraction to exactly 0 wherever the early top-hat is 0 (most of the body), which
            // would shrink the median absolute deviation far below the noise: σ is taken from the unbounded
            // delayed − k · early, as before the bound.
            noiseImage = (0..<np).map { (topD[$0] * dScale - k * topE[$0] * eScale) / eScale }
        }
        // Noise: robust spread (median absolute deviation) of the subtraction image over the body.
        let inBody = body.indices.map { (noiseImage ?? sub)[$0] }
        let med = Self.median(inBody)
        var sigma = 1.4826 * Self.median(inBody.map { abs($0 - med) })
        if sigma <= 0 { sigma = max(1e-9, (sub.max() ?? 1) * 1e-3) }
        let subImage = try PlanarViewImage(rows: rows, columns: cols, counts: sub.map { Float(max(0, $0)) }, pixelSpacingMM: e.pixelSpacingMM)
        // Adenomas are searched only in the thyroid bed and the corridor, inside the body.
        var searchable = search.region
        for i in searchable.indices where !body.inside[i] { searchable.inside[i] = false }
        // Local maxima inside the search region (or the regions given).
        let found = candidateRegions.map { given in
            given.map { d -> (column: Double, row: Double, radius: Double, value: Double) in
                let i = min(rows - 1, max(0, Int(d.row.rounded()))) * cols + min(cols - 1, max(0, Int(d.column.rounded())))
                return (d.column, d.row, d.radius, sub[i])
            }
        } ?? Self.peaks(sub, body: searchable, rows: rows, columns: cols, median: med, sigma: sigma)
        var regions: [Region] = []
        let candidates = Self.finish(found, sub: sub, eC: eC, dC: dC, core: core, rows: rows, columns: cols, median: med, sigma: sigma,
                                     pixelToPatient: pixelToPatient, regions: &regions, neck: neck)
        if candidateRegions != nil { warnings.append("candidate regions given from outside (edited): \(found.count)") }
        if candidates.isEmpty { warnings.append("no focus stands out of the subtraction image: no candidate adenoma") }
        let result = Result(
            candidates: candidates, regions: regions, subtraction: mode, registrationShiftPixels: shift, registrationCorrelation: corr,
            normalisationFactor: k, delayedDecayCorrection: decay, hoursBetweenPhases: hours, radionuclide: nuclide.name,
            method: "background: median of a ring 2–5 px outside the gland region (early counts above the body's median by ≥ 40 % of the maximum's excess), inside the body (≥ 10 % of max), per image; delayed decay-corrected to the early time (\(nuclide.name), \(nuclide.dataSet.rawValue)), per second; retention index = 100 × delayed/early of background-corrected counts, washout = 100 − RI; \(mode == "dual-tracer subtraction" ? "subtraction early − k × thyroid image registered by translation (normalised cross-correlation), k = median early/thyroid ratio over the thyroid core (≥ 50 % of thyroid max)" : "subtraction of the top-hat-filtered images (7-pixel square opening removed) min(delayed, early) − k × early (a focus retains at most its early counts), k = lower quartile of the per-pixel delayed/early top-hat ratio over the gland region where the early top-hat is ≥ 25 % of its thyroid-bed maximum (Σ delayed / Σ early over the thyroid core when the core is given)"); delayed image registered onto the early one by translation (normalised cross-correlation over the overlap of the two images, within the body of the searched rows ±3, without the gland region + 2 px, ±8 px whole-pixel search refined to 0.05 px by bilinear resampling; applied when the correlation is ≥ 0.7, the shift inside the ±8 px search and ≥ 1 px, else reported and not applied); candidates: local maxima of the 2×-smoothed subtraction image in the thyroid bed (±45 mm of the midline, 25–110 mm below the neck) and the neck-to-mediastinum corridor (±30 mm, to 130 mm below the neck) above max(median + 5σ (MAD over the body), 40 % of max), ≥ 3 px apart",
            units: ["column": "0-based pixel (early image grid)", "row": "0-based pixel (early image grid)", "patientMM": "LPS mm",
                    "retentionIndexPercent": "percent", "washoutPercent": "percent", "*CPS": "background-corrected counts per second (delayed decay-corrected)",
                    "significance": "subtraction maximum / noise sigma", "registrationShiftPixels": "pixels (dx, dy) applied to the thyroid image"],
            warnings: warnings)
        var r = result
        r.delayedRegistration = delayedReg
        r.findings = candidates.isEmpty ? ["No focus of retained tracer outside the thyroid: no candidate adenoma."] : candidates.prefix(3).enumerated().map { k, c in
            String(format: "Candidate %d at column %.1f, row %.1f: retention index %.0f %% (washout %.0f %%), %.1f σ on the %@ image.", k + 1, c.column, c.row,
                   c.retentionIndexPercent, c.washoutPercent, c.significance, mode)
        }
        r.quality = warnings
        r.physiology = search.physiology
        return Analysis(result: r, subtractionImage: subImage, neckROI: neck, thyroidCore: core, registeredThyroid: registered)
    }

    /// Local maxima of the subtraction image inside the body above max(median + 5σ, 40 % of its maximum), at least
    /// 3 pixels apart, each with the count-weighted centre of its 3 × 3 pixels (at most 5, strongest first).
    static func peaks(_ sub: [Double], body: PlanarROI, rows: Int, columns cols: Int, median med: Double,
                      sigma: Double) -> [(column: Double, row: Double, radius: Double, value: Double)] {
        let smax = body.indices.map { sub[$0] }.max() ?? 0
        let thr = max(med + 5 * sigma, 0.4 * smax)
        var peaks: [(Int, Double)] = []
        for i in body.indices where sub[i] > thr {
            let r = i / cols, c = i % cols
            var isMax = true
            for dr in -1...1 { for dc in -1...1 where dr != 0 || dc != 0 {
                let rr = r + dr, cc = c + dc
                if rr >= 0, cc >= 0, rr < rows, cc < cols, sub[rr * cols + cc] > sub[i] { isMax = false }
            } }
            if isMax { peaks.append((i, sub[i])) }
        }
        peaks.sort { $0.1 > $1.1 }
        var kept: [(Int, Double)] = []
        for p in peaks where kept.allSatisfy({ q in
            let dr = p.0 / cols - q.0 / cols, dc = p.0 % cols - q.0 % cols
            return dr * dr + dc * dc > 9 }) { kept.append(p) }
        return kept.prefix(5).map { (i, v) in
            var w = 0.0, sc = 0.0, sr = 0.0
            for dr in -1...1 { for dc in -1...1 {
                let rr = i / cols + dr, cc = i % cols + dc
                guard rr >= 0, cc >= 0, rr < rows, cc < cols else { continue }
                let x = max(0, sub[rr * cols + cc]); w += x; sc += x * Double(cc); sr += x * Double(rr)
            } }
            return (w > 0 ? sc / w : Double(i % cols), w > 0 ? sr / w : Double(i / cols), 2, v)
        }
    }

    /// The shared finishing step: dual-phase numbers of the thyroid (core without the candidate discs), of the gland
    /// region and of each candidate disc; candidates with their significance and retention relative to the thyroid.
    static func finish(_ found: [(column: Double, row: Double, radius: Double, value: Double)], sub: [Double], eC: [Double], dC: [Double],
                       core: PlanarROI, rows: Int, columns cols: Int, median med: Double, sigma: Double,
                       pixelToPatient: (@Sendable (Double, Double) -> [Double])?, regions: inout [Region], neck: PlanarROI) -> [Candidate] {
        var thyroidRegion = core
        let discs = found.map { PlanarROI.disc(rows: rows, columns: cols, column: $0.column, row: $0.row, radius: $0.radius) }
        for d in discs { for j in d.dilated(1).indices { thyroidRegion.inside[j] = false } }
        func dual(_ roi: PlanarROI, _ name: String) -> Region {
            let ec = roi.indices.reduce(0.0) { $0 + eC[$1] }, dc = roi.indices.reduce(0.0) { $0 + dC[$1] }
            let ri = ec > 0 ? 100 * dc / ec : 0
            return Region(name: name, pixels: roi.count, earlyCPS: ec, delayedCPS: dc, retentionIndexPercent: ri, washoutPercent: 100 - ri)
        }
        regions = [dual(thyroidRegion, "thyroid"), dual(neck, "gland region")]
        let thyroidRI = regions[0].retentionIndexPercent
        var candidates: [Candidate] = []
        for (n, f) in found.enumerated() {
            let reg = dual(discs[n], "candidate\(n + 1)")
            regions.append(reg)
            candidates.append(Candidate(column: f.column, row: f.row, patientMM: pixelToPatient?(f.column, f.row), significance: (f.value - med) / sigma,
                                        retentionIndexPercent: reg.retentionIndexPercent, washoutPercent: reg.washoutPercent,
                                        retentionRelativeToThyroid: thyroidRI > 0 ? reg.retentionIndexPercent / thyroidRI : nil,
                                        earlyCPS: reg.earlyCPS, delayedCPS: reg.delayedCPS))
        }
        return candidates
    }
}
