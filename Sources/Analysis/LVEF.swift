import Foundation
import Imaging

/// Left-ventricular ejection fraction from an ECG-gated planar blood-pool study (Tc-99m red blood cells, LAO view
/// with the best septal separation, 16–32 time slots per R-R interval).
///
/// Method (all steps automatic):
/// 1. Every frame is smoothed (9-point binomial kernel, two passes; and 1-2-1 over neighbouring time slots,
///    cyclic) for region finding; counts are always summed on the unsmoothed frames.
/// 2. Ventricles: the first Fourier harmonic of each pixel's time–activity curve gives an amplitude and a phase
///    image; the beating heart is the pixels with an amplitude ≥ 10 % of the maximum and a phase within 60° of the
///    ventricular phase (the atria beat in counter-phase), split by the septum, the count valley between the two
///    ventricles; in the LAO view the left ventricle is the part right of it (towards the patient's left). Without
///    a septum the LV cannot be told from the RV and no LVEF is given (``ventricles(amplitude:phaseDeg:summed:lowFraction:valleyRatio:minimumRows:)``).
/// 3. LV region per frame ("variable ROI"): the 8-connected region containing the frame's maximum whose smoothed
///    counts exceed background + `edgeFraction` × (maximum − background), found first in a search region around
///    the LV (kept off the other ventricle and the counter-phase atria) for end diastole, then on every frame
///    inside the end-diastolic region. With the fixed-ROI option the end-diastolic region is used on every frame.
/// 4. Background (``BackgroundRule``): a ring `backgroundGapPixels` outside the end-diastolic LV region (so that it
///    holds no ventricle at any phase), `backgroundWidthPixels` wide, off the RV and the atria, cut into sectors of
///    `backgroundSectorDeg` (45°) around the LV centre; the sector with the lowest mean counts on the summed frames is
///    the background region (hot organs — spleen, stomach, liver, great vessels — only raise a sector, so they are
///    never chosen; on the tuning patients it is the 4:30–6 o'clock sector of the usual inferolateral rule or its
///    septal-inferior neighbour). The former rule (inferolateral crescent, 3–6 o'clock, hot pixels left out) is
///    ``BackgroundRule/inferolateral``. Its mean count per pixel on the end-systolic frame (or, as an option, over all
///    frames), times the LV region's pixel count, is subtracted from each frame's LV counts.
/// 5. ED = frame of maximum, ES = frame of minimum background-corrected LV counts;
///    LVEF = (ED − ES) / ED · 100 %.
/// 6. Peak ejection and filling rates: the curve is fitted by a Fourier series with three harmonics; the most
///    negative slope before ES (ejection) and the most positive after ES (filling), in end-diastolic volumes per
///    second (EDV/s).
public struct GatedBloodPoolLVEF: Sendable {
    /// How the LV region is drawn on the frames.
    public enum ROIMethod: String, Sendable, Codable, CaseIterable {
        /// A region found on every frame (follows the ventricle; the usual clinical choice).
        case variable
        /// The end-diastolic region on every frame (includes more background at end systole: lower LVEF).
        case fixed
    }

    /// How the LV edge is found on each frame.
    public enum EdgeMethod: String, Sendable, Codable, CaseIterable {
        /// Where the Laplacian (second derivative) of the smoothed frame changes sign: the edge of a blurred
        /// uniform chamber, whatever its counts and the background.
        case secondDerivative = "second-derivative"
        /// At background + ``Options/edgeFraction`` × (maximum − background).
        case threshold
    }

    /// Settings.
    public struct Options: Sendable {
        /// LV region method.
        public var roiMethod: ROIMethod
        /// Edge threshold as a fraction of (frame maximum − background) above background.
        public var edgeFraction: Double
        /// Gap (pixels) between the end-diastolic LV region and the background crescent.
        public var backgroundGapPixels: Int
        /// Width (pixels) of the background crescent.
        public var backgroundWidthPixels: Int
        /// Take the background from the end-systolic frame only (instead of the mean over all frames).
        public var backgroundFromEndSystole: Bool
        /// Edge method (second derivative by default; the threshold uses ``edgeFraction``).
        public var edgeMethod: EdgeMethod = .secondDerivative
        /// Margin (pixels) around the LV's beating region (amplitude image) in which its edge is searched.
        public var searchMarginPixels: Int = 3
        /// Pixels added around the second-derivative region (within the search region). The Laplacian of the
        /// twice-smoothed frame changes sign inside the chamber's true edge, so the bare region misses the chamber's
        /// rim and overestimates the LVEF (by 2–5 points on the geometric torso at 4.8 mm pixels); 2 was chosen on the
        /// tuning patients 3101 and 3103 and the geometric torso at EF 30/45/65 % (mean error against the volume
        /// LVEF 1.2 points, against 2.3 for 1 pixel and 2.9 for none), never on the validation seeds.
        public var edgeGrowPixels: Int = 2
        /// The septum is "seen" when the count minimum between the ventricles is at most this fraction of the
        /// lower ventricular peak beside it.
        public var septumValleyRatio: Double = 0.9
        /// Background pixels hotter than this × the crescent's lower quartile are left out (spleen; with the
        /// ``BackgroundRule/inferolateral`` rule).
        public var backgroundHotFactor: Double = 1.3
        /// Where the background region is placed (``BackgroundRule``; the coldest sector of a ring by default).
        public var backgroundRule: BackgroundRule = .coldestSector
        /// Sector width (degrees) of the ``BackgroundRule/coldestSector`` rule: 45° = eight sectors around the LV.
        public var backgroundSectorDeg: Double = 45
        /// The plausible range of (background under the LV ÷ the background region's level), over which
        /// ``Result/lvefBackgroundRange`` is computed (issue 18 session 15). The region lies beside the LV (lung); the
        /// rays through the LV also cross its walls, the lung in front of and behind it and the mediastinal vessels,
        /// so the background under the LV may read higher or lower than the ring. 0.92–1.29 is the smallest and largest
        /// ratio (true background from the simulator's LV counts ÷ the coldest sector) on the tuning patients 3101–3115
        /// simulated with the measured myocardial blood volume (branch lvef12), rounded outward (the rule of branch
        /// lvef11, which found 0.98–1.77 on the patients simulated before that fix): for a new patient from the same
        /// population it covers the ratio with probability (n − 1)/(n + 1) = 87.5 % (n = 15). It is the background's
        /// share of the uncertainty only: the LV region's own error (≈ +2.6 points with the true background on the
        /// virtual patients) is not in it. docs/lvef.md, Session 15.
        public var backgroundUnderLVRatio: ClosedRange<Double> = 0.92...1.29
        /// Creates settings.
        public init(roiMethod: ROIMethod = .variable, edgeFraction: Double = 0.2, backgroundGapPixels: Int = 2,
                    backgroundWidthPixels: Int = 3, backgroundFromEndSystole: Bool = true, edgeMethod: EdgeMethod = .secondDerivative) {
            self.roiMethod = roiMethod; self.edgeFraction = edgeFraction; self.backgroundFromEndSystole = backgroundFromEndSystole
            self.backgroundGapPixels = backgroundGapPixels; self.backgroundWidthPixels = backgroundWidthPixels; self.edgeMethod = edgeMethod
        }
    }

    /// The result, with its units and conventions (JSON keys are a contract: `lvef`, `edFrame`, `esFrame`,
    /// `method`, `curve`).
    public struct Result: Sendable, Codable, Equatable {
        /// Left-ventricular ejection fraction (percent); absent (nil) when it is not given because the LV cannot be
        /// told from the RV (no septum seen; the reason is the first `quality` entry, the regions are still drawn).
        public var lvef: Double?
        /// End-diastolic frame (0-based).
        public var edFrame: Int
        /// End-systolic frame (0-based).
        public var esFrame: Int
        /// The method in words (ROI method, edge rule, background rule).
        public var method: String
        /// `variable` or `fixed`.
        public var roiMethod: String
        /// Background-corrected LV counts per frame (counts).
        public var curve: [Double]
        /// LV counts per frame before background correction (counts).
        public var lvCounts: [Double]
        /// LV region size per frame (pixels).
        public var lvPixels: [Int]
        /// Background per pixel (counts per pixel per frame) subtracted.
        public var backgroundCountsPerPixel: Double
        /// Background region size (pixels).
        public var backgroundPixels: Int
        /// Start time of each frame within the R-R interval (ms), when the frame time is known.
        public var frameTimesMs: [Double]?
        /// Frame (time slot) duration (ms), when known.
        public var frameDurationMs: Double?
        /// Peak ejection rate (EDV/s, positive), when the frame time is known.
        public var peakEjectionRateEDVPerS: Double?
        /// Peak filling rate (EDV/s), when the frame time is known.
        public var peakFillingRateEDVPerS: Double?
        /// Time from ES to peak filling (ms), when the frame time is known.
        public var timeToPeakFillingMs: Double?
        /// Total counts of the study.
        public var totalCounts: Double
        /// Units of every number.
        public var units: [String: String]
        /// What had to be assumed.
        public var warnings: [String]
        /// What a physician reads (issue 18), one sentence each.
        public var findings: [String] = []
        /// Uptake seen and why it is not a finding.
        public var physiology: [PhysiologicalUptake] = []
        /// What limits the result (counts, view, phase, assumptions).
        public var quality: [String] = []
        /// Right-ventricular ejection fraction (percent, equilibrium), when the view separates the RV.
        public var rvef: Double? = nil
        /// Whether the septum between the ventricles is seen (best-septal LAO view); nil with edited regions.
        public var septumSeen: Bool? = nil
        /// Count minimum between the ventricles ÷ the lower ventricular peak (summed frames); nil without an RV.
        public var septalValleyRatio: Double? = nil
        /// Mean phase of the LV (degrees, amplitude-weighted over the ED region; ``Harmonic``).
        public var lvPhaseDeg: Double? = nil
        /// Amplitude-weighted circular standard deviation of the phase over the LV (degrees): dyssynchrony.
        public var lvPhaseSDDeg: Double? = nil
        /// Regional wall motion in eight sectors of the ED region.
        public var regionalWallMotion: [RegionalWallMotion] = []
        /// First-harmonic amplitude image (counts per frame, row-major, rows × columns of the frames).
        public var amplitudeImage: [Float] = []
        /// First-harmonic phase image (degrees 0–360, row-major).
        public var phaseImageDeg: [Float] = []
        /// How the background region was placed (``BackgroundRule`` raw value; nil with an edited background region).
        public var backgroundRule: String? = nil
        /// Direction of the background region from the LV centre on the LAO image (clock hours, 3 = lateral,
        /// 6 = inferior), with the ``BackgroundRule/coldestSector`` rule.
        public var backgroundSector: String? = nil
        /// Every sector of the background ring with what it reads, with the ``BackgroundRule/coldestSector`` rule
        /// (issue 18 session 11): how far the chosen sector lies below the others.
        public var backgroundRing: [BackgroundSector]? = nil
        /// How far the background moves the LVEF (issue 18 session 15): LVEF points per +10 % of the subtracted
        /// background, the derivative of (ED − ES)/ED at the ED and ES frames, × 0.1 × the background (positive: more
        /// background, higher LVEF). Nil when no LVEF is given.
        public var backgroundSensitivity: Double? = nil
        /// The LVEF (percent) at the lower and at the upper end of ``backgroundRatioRange`` × the subtracted
        /// background, recomputed exactly from the same regions (ED and ES chosen again on each curve), each clamped to
        /// 0–100 (100 where the upper background leaves no LV counts at end systole). Nil when no LVEF is given.
        public var lvefBackgroundRange: [Double]? = nil
        /// The plausible range of (background under the LV ÷ the background region's level) used for
        /// ``lvefBackgroundRange`` (``Options/backgroundUnderLVRatio``), lower and upper end.
        public var backgroundRatioRange: [Double]? = nil
    }

    /// The result and the regions, for figures.
    public struct Analysis: Sendable {
        /// The numbers.
        public var result: Result
        /// LV region of every frame (identical with the fixed method).
        public var lvROIs: [PlanarROI]
        /// The background crescent.
        public var backgroundROI: PlanarROI
        /// The summed image (counts).
        public var summed: PlanarViewImage
    }

    /// Settings used.
    public var options: Options

    /// Creates the analysis.
    public init(options: Options = Options()) { self.options = options }

    /// Analyses the frames of one R-R interval, in time-slot order. `frameDurationMs`: the time slot duration
    /// (nil: no rates). Throws with a clear message on too few frames, mismatched matrices, empty frames or no
    /// beating ventricle.
    /// `lvRegions` (one per frame, or one for every frame) and `backgroundRegion` replace the automatic regions when
    /// given (regions edited by a reader, issue 13/18); the result is computed from them in the same way.
    public func analyze(frames: [PlanarViewImage], frameDurationMs: Double?, lvRegions: [PlanarROI]? = nil,
                        backgroundRegion: PlanarROI? = nil) throws(PlanarAnalysisError) -> Analysis {
        guard frames.count >= 8 else {
            throw PlanarAnalysisError("a gated blood-pool study needs at least 8 time slots per R-R interval (16–32 usual); got \(frames.count)")
        }
        guard frames.count <= 128 else { throw PlanarAnalysisError("\(frames.count) time slots: more than 128 is not a gated blood-pool study") }
        let rows = frames[0].rows, cols = frames[0].columns
        for (k, f) in frames.enumerated() {
            guard f.rows == rows, f.columns == cols else {
                throw PlanarAnalysisError("frame \(k) is \(f.rows)×\(f.columns), frame 0 is \(rows)×\(cols): mismatched matrix sizes")
            }
            guard f.totalCounts > 0 else { throw PlanarAnalysisError("frame \(k) has zero counts") }
        }
        guard rows >= 16, cols >= 16 else { throw PlanarAnalysisError("matrix \(rows)×\(cols) is too small for an LV region (at least 16×16)") }
        var warnings: [String] = []
        let n = frames.count, np = rows * cols
        let spatial = frames.map { $0.smoothed(passes: 2) }
        // Regions are found on frames smoothed in time too (1-2-1 over neighbouring slots, cyclic): less noise
        // on the edges; counts are summed on the original frames.
        let smooth: [PlanarViewImage] = (0..<frames.count).map { t in
            let a = spatial[(t + frames.count - 1) % frames.count].counts, b = spatial[t].counts, c = spatial[(t + 1) % frames.count].counts
            var v = [Float](repeating: 0, count: b.count)
            for i in v.indices { v[i] = 0.25 * a[i] + 0.5 * b[i] + 0.25 * c[i] }
            return PlanarViewImage(uncheckedRows: spatial[t].rows, columns: spatial[t].columns, counts: v, pixelSpacingMM: spatial[t].pixelSpacingMM)
        }
        var sumCounts = [Float](repeating: 0, count: np)
        for f in frames { for i in 0..<np { sumCounts[i] += f.counts[i] } }
        let summed = PlanarViewImage(uncheckedRows: rows, columns: cols, counts: sumCounts, pixelSpacingMM: frames[0].pixelSpacingMM)
        let summedSmooth = summed.smoothed(passes: 2)

        // First harmonic of the smoothed frames: where the ventricles beat.
        let h = Self.firstHarmonic(smooth)
        let amp = h.amplitude
        let maxAmp = amp.max() ?? 0
        guard maxAmp > 1e-5 * (h.mean.max() ?? 0) else { throw PlanarAnalysisError("no pixel changes over the cycle: no beating ventricle in the frames") }
        let peak = amp.indices.max { amp[$0] < amp[$1] }!
        let ventricularPhase = h.phaseDeg[peak]
        // The ventricles: beating in phase on the first-harmonic images, told apart by the septum's count valley
        // (``ventricles(amplitude:phaseDeg:summed:lowFraction:valleyRatio:minimumRows:)``); LV right of it.
        guard let vent = Self.ventricles(amplitude: amp, phaseDeg: h.phaseDeg, summed: summedSmooth, valleyRatio: options.septumValleyRatio) else {
            throw PlanarAnalysisError("no ventricular region found (amplitude image has no coherent beating region)")
        }
        let lvRegion = vent.lv, excluded = vent.rv
        // Without a septum the LV cannot be told from the RV: the regions are still drawn (for a reader to correct
        // them) but no LVEF is given.
        let withheld: String? = vent.separated ? nil
            : "LVEF not given: no septum (count valley between two ventricles) seen on the beating heart (\(vent.valleyRows) rows with a valley, at least 3 needed), so the LV cannot be told from the RV; acquire the best-septal LAO view or draw the LV region (edited regions)"
        // The atria fill while the ventricles empty: pixels beating more than 90° from the ventricles.
        var atria = PlanarROI(rows: rows, columns: cols)
        for i in 0..<np where amp[i] >= 0.15 * maxAmp && Self.phaseDistance(h.phaseDeg[i], ventricularPhase) > 90 { atria.inside[i] = true }
        // LV centre: amplitude-weighted centroid of the LV's beating region.
        var wc = 0.0, wr = 0.0, ws = 0.0
        for i in lvRegion.indices { wc += amp[i] * Double(i % cols); wr += amp[i] * Double(i / cols); ws += amp[i] }
        let lvCentre = (column: wc / ws, row: wr / ws)
        let sep = Self.septum(summedSmooth, lv: lvRegion, rv: excluded, lvCentre: lvCentre)
        let septumSeen = sep.valleyRatio.map { $0 <= options.septumValleyRatio } ?? false
        if let v = sep.valleyRatio, !septumSeen {
            warnings.append(String(format: "septum not seen: the count minimum between the ventricles is %.0f %% of the lower ventricular peak (a septum is seen below %.0f %%); not the best-septal LAO view? The LV region may include RV counts", 100 * v, 100 * options.septumValleyRatio))
        } else if sep.valleyRatio == nil {
            warnings.append("septum not seen: no right ventricle beside the LV in the amplitude image (not the best-septal LAO view?); the LV region is bounded by the amplitude image only")
        }
        // The region the LV may occupy: its beating region + a margin, right of the septum, off the RV and the atria.
        let keepOut: PlanarROI = {
            var k = excluded.dilated(1)
            for i in atria.dilated(1).indices { k.inside[i] = true }
            return k
        }()
        var bound = lvRegion.dilated(options.searchMarginPixels)
        for i in bound.indices {
            let r = i / cols, c = i % cols
            if keepOut.inside[i] && !lvRegion.inside[i] { bound.inside[i] = false }
            if let s = sep.columns[r], c <= s { bound.inside[i] = false }
        }
        var seedSet = bound
        for i in seedSet.indices where !lvRegion.inside[i] { seedSet.inside[i] = false }
        if seedSet.count == 0 { seedSet = bound }
        guard bound.count >= 4 else { throw PlanarAnalysisError("no room for the LV right of the septum (LV region of \(bound.count) pixels)") }

        // Pass 1: regions with a rough background, ED/ES, then the crescent; pass 2 with the crescent's background.
        var bgPerPixel: Double = {
            let v = bound.indices.map { Double(summedSmooth.counts[$0]) }.sorted()
            return v.isEmpty ? 0 : v[v.count / 10] / Double(n)
        }()
        var rois: [PlanarROI] = []
        var bgROI = PlanarROI(rows: rows, columns: cols)
        var sectorText: String? = nil
        var ringTable: [BackgroundSector]? = nil
        var raw: [Double] = []
        for pass in 0..<2 {
            // ED region first (largest LV counts in the bound), then every frame's region inside it.
            let first = smooth.map { edge($0, within: bound, seeds: seedSet, background: bgPerPixel) }
            let rawFirst = zip(frames, first).map { $1.sum($0) - bgPerPixel * Double($1.count) }
            let edGuess = rawFirst.indices.max { rawFirst[$0] < rawFirst[$1] }!
            let edROI = first[edGuess]
            let variable = smooth.map { edge($0, within: edROI, seeds: seedSet, background: bgPerPixel) }
            let rawVar = zip(frames, variable).map { $1.sum($0) - bgPerPixel * Double($1.count) }
            let ed = rawVar.indices.max { rawVar[$0] < rawVar[$1] }!
            let es = rawVar.indices.min { rawVar[$0] < rawVar[$1] }!
            rois = options.roiMethod == .variable ? variable : Array(repeating: variable[ed], count: n)
            guard variable[es].count > 0 else { throw PlanarAnalysisError("the LV region is empty on the end-systolic frame \(es)") }
            guard let c = variable[ed].centroid else { throw PlanarAnalysisError("the LV region is empty on the end-diastolic frame \(ed)") }
            // Background crescent outside the end-diastolic LV region (so that it holds no LV at any phase),
            // inferolateral, off the other chambers and hot pixels (spleen).
            let inner = variable[ed].dilated(options.backgroundGapPixels), outer = variable[ed].dilated(options.backgroundGapPixels + options.backgroundWidthPixels)
            // Candidates: the ring, off the other chambers; inferolateral (3–6 o'clock) first, the whole ring when
            // the image edge or the other chambers leave no room there (warned).
            func ring(from a0: Double, to a1: Double, hotRule: Bool) -> PlanarROI {
                var m = PlanarROI(rows: rows, columns: cols)
                for i in 0..<np where outer.inside[i] && !inner.inside[i] && !keepOut.inside[i] {
                    let dc = Double(i % cols) - c.column, dr = Double(i / cols) - c.row
                    let ang = atan2(dr, dc) * 180 / .pi   // 0 = 3 o'clock (lateral), 90 = 6 o'clock (inferior)
                    if ang >= a0 && ang <= a1 { m.inside[i] = true }
                }
                let vals = m.indices.map { Double(summedSmooth.counts[$0]) }.sorted()
                if hotRule, !vals.isEmpty {
                    let ref = vals[vals.count / 4]
                    for i in m.indices where Double(summedSmooth.counts[i]) > options.backgroundHotFactor * ref { m.inside[i] = false }
                }
                return m
            }
            var crescent: PlanarROI
            switch options.backgroundRule {
            case .coldestSector:
                // The coldest sector of the ring (summed frames): hot organs and the other chambers only raise a sector.
                let whole = ring(from: -180, to: 180, hotRule: false)
                if let s = Self.coldestSector(of: whole, centre: c, image: summed, sectorDeg: options.backgroundSectorDeg) {
                    crescent = s.region
                    let width = 360 / Double(max(1, Int((360 / options.backgroundSectorDeg).rounded())))
                    sectorText = Self.clockText(startDeg: s.startDeg, widthDeg: width)
                    ringTable = Self.ringSectors(of: whole, centre: c, sectorDeg: options.backgroundSectorDeg).filter { $0.region.count > 0 }.map {
                        BackgroundSector(sector: Self.clockText(startDeg: $0.startDeg, widthDeg: width), pixels: $0.region.count,
                                         meanCountsPerPixel: $0.region.mean(summed) / Double(n), endSystoleCountsPerPixel: $0.region.mean(frames[es]),
                                         chosen: $0.region == s.region)
                    }
                } else {
                    crescent = whole
                    sectorText = nil
                    ringTable = nil
                    if pass == 1 { warnings.append("no background sector of 4 pixels around the LV: the background is taken all round the LV") }
                }
            case .inferolateral:
                crescent = ring(from: 0, to: 90, hotRule: true)
                if crescent.count < 4 {
                    crescent = ring(from: -180, to: 180, hotRule: true)
                    if pass == 1 { warnings.append("no room for the inferolateral background region: the background is taken all round the LV") }
                }
            }
            guard crescent.count >= 4 else {
                throw PlanarAnalysisError("no room for a background region around the LV (LV at the edge of the image?)")
            }
            bgROI = crescent
            bgPerPixel = options.backgroundFromEndSystole ? crescent.mean(frames[es]) : frames.reduce(0.0) { $0 + crescent.mean($1) } / Double(n)
            if pass == 1 { raw = zip(frames, rois).map { $1.sum($0) } }
        }
        // RVEF where the view allows it: an RV beside the LV with a septum between them.
        var rvef: Double? = nil
        var rvNote: String
        if septumSeen, excluded.count >= 4 {
            var rvBound = excluded.dilated(2)
            for i in rvBound.indices {
                let r = i / cols, c = i % cols
                if (atria.dilated(1).inside[i] && !excluded.inside[i]) || lvRegion.inside[i] { rvBound.inside[i] = false }
                if let s = sep.columns[r], c >= s { rvBound.inside[i] = false }
            }
            var rvSeeds = rvBound
            for i in rvSeeds.indices where !excluded.inside[i] { rvSeeds.inside[i] = false }
            if rvBound.count >= 4, rvSeeds.count > 0 {
                let first = smooth.map { edge($0, within: rvBound, seeds: rvSeeds, background: bgPerPixel) }
                let c1 = zip(frames, first).map { $1.sum($0) - bgPerPixel * Double($1.count) }
                let edROI = first[c1.indices.max { c1[$0] < c1[$1] }!]
                let rvROIs = smooth.map { edge($0, within: edROI, seeds: rvSeeds, background: bgPerPixel) }
                let curve = zip(frames, rvROIs).map { $1.sum($0) - bgPerPixel * Double($1.count) }
                if let mx = curve.max(), let mn = curve.min(), mx > 0 { rvef = 100 * (mx - mn) / mx }
            }
            rvNote = "RVEF from the RV region left of the septum with the LV's background; in the LAO view the right atrium overlaps the RV, so equilibrium RVEF reads lower than first-pass RVEF (the reference method)"
        } else {
            rvNote = "RVEF not given: the view does not separate the RV from the LV (no septum seen or no RV beating beside the LV)"
        }
        if lvRegions != nil || backgroundRegion != nil {
            if let given = lvRegions {
                guard given.count == n || given.count == 1 else {
                    throw PlanarAnalysisError("\(given.count) LV regions given for \(n) frames (allowed: one per frame or one for all)")
                }
                guard given.allSatisfy({ $0.rows == rows && $0.columns == cols && $0.count > 0 }) else {
                    throw PlanarAnalysisError("an LV region given is empty or not on the \(cols)×\(rows) frame grid")
                }
                rois = given.count == n ? given : Array(repeating: given[0], count: n)
            }
            if let bg = backgroundRegion {
                guard bg.rows == rows, bg.columns == cols, bg.count > 0 else {
                    throw PlanarAnalysisError("the background region given is empty or not on the \(cols)×\(rows) frame grid")
                }
                bgROI = bg
            }
            let esGuess = zip(frames, rois).map { $1.sum($0) }.enumerated().min { $0.element < $1.element }!.offset
            bgPerPixel = options.backgroundFromEndSystole ? bgROI.mean(frames[esGuess]) : frames.reduce(0.0) { $0 + bgROI.mean($1) } / Double(n)
            raw = zip(frames, rois).map { $1.sum($0) }
            warnings.append("regions given from outside (edited): \(lvRegions == nil ? "" : "LV")\(lvRegions != nil && backgroundRegion != nil ? " and " : "")\(backgroundRegion == nil ? "" : "background")")
        }
        let edgeText = options.edgeMethod == .secondDerivative ? "edge where the Laplacian of the 2×-smoothed frame changes sign (second-derivative edge), grown by \(options.edgeGrowPixels) px"
            : "edge at background + \(Int(options.edgeFraction * 100)) % of (max − background) on 2×-smoothed frames"
        let backgroundText: String = {
            switch options.backgroundRule {
            case .coldestSector:
                let k = max(1, Int((360 / options.backgroundSectorDeg).rounded()))
                return "the coldest of \(k) sectors (\(Int((360 / Double(k)).rounded()))° each, lowest mean counts on the summed frames) of a ring \(options.backgroundGapPixels + 1)–\(options.backgroundGapPixels + options.backgroundWidthPixels) px outside the ED region, off the RV and the atria (here \(sectorText ?? "all round")),"
            case .inferolateral:
                return "inferolateral crescent (3–6 o'clock) \(options.backgroundGapPixels) px outside the ED region, \(options.backgroundWidthPixels) px wide, RV, atria and hot pixels (> \(options.backgroundHotFactor) × its lower quartile: spleen) excluded,"
            }
        }()
        let method = (lvRegions != nil || backgroundRegion != nil ? "edited regions replace the automatic ones where given; " : "") + "\(options.roiMethod == .variable ? "variable LV ROI (found on every frame)" : "fixed LV ROI (end-diastolic region on every frame)"): ventricles = the heart beating in phase on the first-harmonic amplitude/phase images (≥ 10 % of the strongest pixel), split by the septum (the count valley between them), LV right of it (LAO) and kept off the counter-phase atria, \(edgeText); background: \(backgroundText) counts per pixel \(options.backgroundFromEndSystole ? "on the ES frame" : "mean over all frames"); ED/ES = max/min of the background-corrected LV counts (the volume curve); LVEF = (ED − ES)/ED; rates from a 3-harmonic Fourier fit"
        var a = try finish(frames: frames, frameDurationMs: frameDurationMs, rois: rois, backgroundROI: bgROI, backgroundPerPixel: bgPerPixel,
                           raw: raw, summed: summed, method: method, warnings: warnings)
        a.result.septumSeen = septumSeen
        if backgroundRegion == nil {
            a.result.backgroundRule = options.backgroundRule.rawValue
            a.result.backgroundSector = options.backgroundRule == .coldestSector ? sectorText : "3–6 o'clock"
            a.result.units["backgroundRule"] = options.backgroundRule == .coldestSector
                ? "background region = the coldest \(Int(options.backgroundSectorDeg))° sector of a ring around the ED LV region (\(options.backgroundGapPixels + 1)–\(options.backgroundGapPixels + options.backgroundWidthPixels) px out, off RV and atria), lowest mean on the summed frames; counts per pixel \(options.backgroundFromEndSystole ? "on the ES frame" : "mean over all frames")"
                : "background region = inferolateral crescent (3–6 o'clock on the LAO image) around the ED LV region, hot pixels left out"
            a.result.units["backgroundSector"] = "clock hours on the LAO image from the LV centre (3 = lateral, 6 = inferior, 9 = septal, 12 = basal)"
            if let ringTable {
                a.result.backgroundRing = ringTable
                a.result.units["backgroundRing"] = "every sector of the background ring: clock hours, pixels, mean counts per pixel per frame over all frames, counts per pixel on the ES frame, and whether it is the background region"
            }
        }
        a.result.septalValleyRatio = sep.valleyRatio
        if let withheld, lvRegions == nil {
            a.result.lvef = nil
            a.result.findings = [withheld + "."]
            a.result.quality.insert(withheld, at: 0)
            a.result.warnings.append(withheld)
            a.result.regionalWallMotion = []
            a.result.backgroundSensitivity = nil
            a.result.lvefBackgroundRange = nil
            a.result.backgroundRatioRange = nil
            a.result.quality.removeAll { $0.hasPrefix(Self.backgroundQualityPrefix) }
            rvef = nil
        }
        if lvRegions == nil {
            a.result.rvef = rvef
            a.result.quality.append(rvNote)
            if let rvef { a.result.findings.append(String(format: "RVEF %.0f %% (equilibrium, LAO view).", rvef)) }
            a.result.units["rvef"] = "percent"
        }
        a.result.units["septalValleyRatio"] = "count minimum between the ventricles ÷ the lower ventricular peak (summed frames)"
        return a
    }

    /// The LV (or RV) region on one smoothed frame: the 8-connected region around the hottest pixel of `seeds`
    /// (within `within`) inside the edge (``EdgeMethod``).
    func edge(_ img: PlanarViewImage, within: PlanarROI, seeds: PlanarROI, background bg: Double) -> PlanarROI {
        let rows = img.rows, cols = img.columns
        let idx = within.indices
        let seedIdx = seeds.indices.filter { within.inside[$0] }
        guard let top = (seedIdx.isEmpty ? idx : seedIdx).max(by: { img.counts[$0] < img.counts[$1] }) else { return PlanarROI(rows: rows, columns: cols) }
        var allowed = [Bool](repeating: false, count: rows * cols)
        switch options.edgeMethod {
        case .secondDerivative:
            let v = img.counts
            for i in idx {
                let r = i / cols, c = i % cols
                guard r > 0, c > 0, r < rows - 1, c < cols - 1 else { continue }
                let lap = v[i - 1] + v[i + 1] + v[i - cols] + v[i + cols] - 4 * v[i]
                if lap < 0 { allowed[i] = true }
            }
            allowed[top] = true
        case .threshold:
            let m = Double(img.counts[top])
            let thr = bg + options.edgeFraction * (m - bg)
            for i in idx where Double(img.counts[i]) >= thr { allowed[i] = true }
        }
        let region = PlanarROI.component(of: allowed, rows: rows, columns: cols, seed: top)
        guard options.edgeMethod == .secondDerivative, options.edgeGrowPixels > 0 else { return region }
        let d = region.dilated(options.edgeGrowPixels)
        var out = PlanarROI(rows: rows, columns: cols)
        for i in d.indices where within.inside[i] { out.inside[i] = true }
        return out
    }

    /// The septum: per row, the column of lowest counts of `image` between the RV's hottest pixel of that row
    /// and the LV centre (rows without an interior minimum take the nearest row's column), and the valley ratio
    /// (median over the rows within 3 of the LV centre of the minimum ÷ the lower of the two peaks beside it).
    /// Nil ratio and no columns when there is no RV beside the LV.
    static func septum(_ image: PlanarViewImage, lv: PlanarROI, rv: PlanarROI, lvCentre: (column: Double, row: Double)) -> (columns: [Int?], valleyRatio: Double?) {
        let rows = image.rows, cols = image.columns
        var columns = [Int?](repeating: nil, count: rows)
        guard rv.count > 0, let rvC = rv.centroid else { return (columns, nil) }
        let lvRows = lv.indices.map { $0 / cols }
        guard let lo = lvRows.min(), let hi = lvRows.max() else { return (columns, nil) }
        let r0 = max(0, lo - 3), r1 = min(rows - 1, hi + 3)
        let lvCol = Int(lvCentre.column.rounded())
        var ratios: [Double] = []
        for r in r0...r1 {
            var rvCol = Int(rvC.column.rounded()), best = -1.0
            for c in 0..<cols where rv.inside[r * cols + c] && Double(image.counts[r * cols + c]) > best { best = Double(image.counts[r * cols + c]); rvCol = c }
            guard lvCol - rvCol >= 2 else { continue }
            var mc = rvCol, mv = Double.infinity
            for c in rvCol...lvCol { let v = Double(image.counts[r * cols + c]); if v < mv { mv = v; mc = c } }
            guard mc > rvCol, mc < lvCol else { continue }
            columns[r] = mc
            let rvPeak = (rvCol...mc).map { Double(image.counts[r * cols + $0]) }.max()!
            let lvPeak = (mc...lvCol).map { Double(image.counts[r * cols + $0]) }.max()!
            if abs(Double(r) - lvCentre.row) <= 3, min(rvPeak, lvPeak) > 0 { ratios.append(mv / min(rvPeak, lvPeak)) }
        }
        let found = (r0...r1).filter { columns[$0] != nil }
        guard !found.isEmpty else { return (columns, 1) }
        for r in r0...r1 where columns[r] == nil {
            let near = found.min { abs($0 - r) < abs($1 - r) }!
            columns[r] = columns[near]
        }
        ratios.sort()
        return (columns, ratios.isEmpty ? 1 : ratios[ratios.count / 2])
    }
}
