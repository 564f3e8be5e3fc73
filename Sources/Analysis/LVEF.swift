import Foundation
import Imaging

/// Left-ventricular ejection fraction from an ECG-gated planar blood-pool study (Tc-99m red blood cells, LAO view
/// with the best septal separation, 16–32 time slots per R-R interval).
///
/// Method (all steps automatic):
/// 1. Every frame is smoothed (9-point binomial kernel, two passes; and 1-2-1 over neighbouring time slots,
///    cyclic) for region finding; counts are always summed on the unsmoothed frames.
/// 2. Ventricles: the first Fourier harmonic of each pixel's time–activity curve gives an amplitude and a phase
///    image; ventricular pixels have an amplitude ≥ 30 % of the maximum and a phase within 60° of the
///    ventricular phase (the atria beat in counter-phase). In the LAO view the left ventricle is the ventricular
///    region lying furthest to the image right (towards the patient's left); where both ventricles merge, the
///    septum is taken at the column of lowest summed counts between them.
/// 3. LV region per frame ("variable ROI"): the 8-connected region containing the frame's maximum whose smoothed
///    counts exceed background + `edgeFraction` × (maximum − background), found first in a search region around
///    the LV (kept off the other ventricle and the counter-phase atria) for end diastole, then on every frame
///    inside the end-diastolic region. With the fixed-ROI option the end-diastolic region is used on every frame.
/// 4. Background ("usual rule"): a crescent `backgroundGapPixels` outside the end-diastolic LV region (so that
///    it holds no ventricle at any phase), `backgroundWidthPixels` wide, inferolateral (between 3 and 6 o'clock on
///    the LAO image), leaving out pixels hotter than 1.5 × the crescent's median (the spleen, the other
///    ventricle). Its mean count per pixel on the end-systolic frame (or, as an option, over all frames), times
///    the LV region's pixel count, is subtracted from each frame's LV counts.
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
        /// Creates settings.
        public init(roiMethod: ROIMethod = .variable, edgeFraction: Double = 0.2, backgroundGapPixels: Int = 1,
                    backgroundWidthPixels: Int = 3, backgroundFromEndSystole: Bool = true) {
            self.roiMethod = roiMethod; self.edgeFraction = edgeFraction; self.backgroundFromEndSystole = backgroundFromEndSystole
            self.backgroundGapPixels = backgroundGapPixels; self.backgroundWidthPixels = backgroundWidthPixels
        }
    }

    /// The result, with its units and conventions (JSON keys are a contract: `lvef`, `edFrame`, `esFrame`,
    /// `method`, `curve`).
    public struct Result: Sendable, Codable, Equatable {
        /// Left-ventricular ejection fraction (percent).
        public var lvef: Double
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
        /// Background crescent size (pixels).
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

        // First harmonic.
        var amp = [Double](repeating: 0, count: np), phase = [Double](repeating: 0, count: np)
        for i in 0..<np {
            var a = 0.0, b = 0.0
            for t in 0..<n {
                let w = 2 * Double.pi * Double(t) / Double(n)
                let v = Double(smooth[t].counts[i])
                a += v * cos(w); b += v * sin(w)
            }
            amp[i] = (a * a + b * b).squareRoot(); phase[i] = atan2(b, a)
        }
        let maxAmp = amp.max() ?? 0
        guard maxAmp > 1e-4 * Double(summedSmooth.counts.max() ?? 0) else { throw PlanarAnalysisError("no pixel changes over the cycle: no beating ventricle in the frames") }
        let peak = amp.indices.max { amp[$0] < amp[$1] }!
        let ventricularPhase = phase[peak]
        func phaseDiff(_ a: Double, _ b: Double) -> Double {
            var d = abs(a - b).truncatingRemainder(dividingBy: 2 * .pi)
            if d > .pi { d = 2 * .pi - d }
            return d
        }
        let ventricular = (0..<np).map { amp[$0] >= 0.3 * maxAmp && phaseDiff(phase[$0], ventricularPhase) < Double.pi / 3 }
        // Components of the ventricular mask, largest first.
        var seen = [Bool](repeating: false, count: np)
        var comps: [PlanarROI] = []
        for i in 0..<np where ventricular[i] && !seen[i] {
            let c = PlanarROI.component(of: ventricular, rows: rows, columns: cols, seed: i)
            for j in c.indices { seen[j] = true }
            if c.count >= 4 { comps.append(c) }
        }
        guard !comps.isEmpty else { throw PlanarAnalysisError("no ventricular region found (amplitude image has no coherent beating region)") }
        comps.sort { $0.count > $1.count }
        // The two largest components: LV is the one further right (LAO: image right is the patient's left).
        var lvRegion: PlanarROI
        var excluded = PlanarROI(rows: rows, columns: cols)
        if comps.count >= 2 && comps[1].count >= comps[0].count / 4 {
            let (a, b) = (comps[0], comps[1])
            let lvFirst = a.centroid!.column > b.centroid!.column
            lvRegion = lvFirst ? a : b
            excluded = lvFirst ? b : a
        } else {
            // One merged region: split at the septum, the column of lowest mean summed counts in its middle half.
            let region = comps[0]
            let colsIn = region.indices.map { $0 % cols }.sorted()
            let lo = colsIn[colsIn.count / 4], hi = colsIn[(colsIn.count * 3) / 4]
            var septum = (lo + hi) / 2, best = Double.infinity
            if hi > lo + 1 {
                for c in (lo + 1)..<hi {
                    var s = 0.0, k = 0.0
                    for r in 0..<rows where region.inside[r * cols + c] { s += Double(summedSmooth.counts[r * cols + c]); k += 1 }
                    if k > 0, s / k < best { best = s / k; septum = c }
                }
            }
            lvRegion = region; excluded = region
            for i in region.indices { if i % cols > septum { excluded.inside[i] = false } else { lvRegion.inside[i] = false } }
            if lvRegion.count < 4 { lvRegion = region; excluded = PlanarROI(rows: rows, columns: cols) }
            warnings.append("the ventricles merge in the amplitude image: septum placed at column \(septum), the lowest-count column between them")
        }
        // Search region: LV dilated by 3 pixels, not into the other ventricle (dilated by 1).
        // The atria beat in counter-phase: pixels with a phase more than 90° from the ventricles' and a real
        // amplitude are kept out of the LV search (they lie just above the base).
        var search = lvRegion.dilated(3)
        var other = excluded.dilated(1)
        for i in 0..<np where amp[i] >= 0.15 * maxAmp && phaseDiff(phase[i], ventricularPhase) > Double.pi / 2 { other.inside[i] = true }
        other = other.dilated(1)
        for i in 0..<np where other.inside[i] && !lvRegion.inside[i] { search.inside[i] = false }

        // Background estimate for the edge threshold: the lowest 10 % of the search region in the summed image.
        func roi(for img: PlanarViewImage, background bgPerPixel: Double, within: PlanarROI? = nil) -> PlanarROI {
            let idx = (within ?? search).indices
            guard let top = idx.max(by: { img.counts[$0] < img.counts[$1] }) else { return PlanarROI(rows: rows, columns: cols) }
            let m = Double(img.counts[top])
            let thr = bgPerPixel + options.edgeFraction * (m - bgPerPixel)
            var allowed = [Bool](repeating: false, count: np)
            for i in idx where Double(img.counts[i]) >= thr { allowed[i] = true }
            return PlanarROI.component(of: allowed, rows: rows, columns: cols, seed: top)
        }
        let perFrameBackground0: Double = {
            let v = search.indices.map { Double(summedSmooth.counts[$0]) }.sorted()
            return v.isEmpty ? 0 : v[v.count / 10] / Double(n)
        }()
        // Pass 1: regions with the rough background, ED/ES, then the crescent; pass 2 with the crescent's background.
        var bgPerPixel = perFrameBackground0
        var rois: [PlanarROI] = []
        var bgROI = PlanarROI(rows: rows, columns: cols)
        var raw: [Double] = []
        var ed = 0, es = 0
        for pass in 0..<2 {
            // ED region first (largest LV counts in the search region), then every frame's region inside it.
            let first = smooth.map { roi(for: $0, background: bgPerPixel) }
            let rawFirst = zip(frames, first).map { $1.sum($0) - bgPerPixel * Double($1.count) }
            let edGuess = rawFirst.indices.max { rawFirst[$0] < rawFirst[$1] }!
            let edROI = first[edGuess]
            let variable = smooth.map { roi(for: $0, background: bgPerPixel, within: edROI) }
            // ED/ES from the variable regions (the fixed region is the ED one).
            let rawVar = zip(frames, variable).map { $1.sum($0) - bgPerPixel * Double($1.count) }
            ed = rawVar.indices.max { rawVar[$0] < rawVar[$1] }!
            es = rawVar.indices.min { rawVar[$0] < rawVar[$1] }!
            rois = options.roiMethod == .variable ? variable : Array(repeating: variable[ed], count: n)
            // Background crescent around the ES region.
            // Background crescent outside the end-diastolic LV region (so that it holds no LV at any phase).
            let edROIb = variable[ed]
            guard variable[es].count > 0 else { throw PlanarAnalysisError("the LV region is empty on the end-systolic frame \(es)") }
            guard let c = edROIb.centroid else { throw PlanarAnalysisError("the LV region is empty on the end-diastolic frame \(ed)") }
            let inner = edROIb.dilated(options.backgroundGapPixels), outer = edROIb.dilated(options.backgroundGapPixels + options.backgroundWidthPixels)
            var crescent = PlanarROI(rows: rows, columns: cols)
            for i in 0..<np where outer.inside[i] && !inner.inside[i] && !other.inside[i] {
                let dc = Double(i % cols) - c.column, dr = Double(i / cols) - c.row
                let ang = atan2(dr, dc) * 180 / .pi   // 0 = 3 o'clock (lateral), 90 = 6 o'clock (inferior)
                if ang >= 0 && ang <= 90 { crescent.inside[i] = true }
            }
            let vals = crescent.indices.map { Double(summedSmooth.counts[$0]) }.sorted()
            if !vals.isEmpty {
                let med = vals[vals.count / 2]
                for i in crescent.indices where Double(summedSmooth.counts[i]) > 1.5 * med { crescent.inside[i] = false }
            }
            guard crescent.count >= 4 else {
                throw PlanarAnalysisError("no room for the inferolateral background region (LV at the edge of the image?)")
            }
            bgROI = crescent
            bgPerPixel = options.backgroundFromEndSystole ? crescent.mean(frames[es])
                : frames.reduce(0.0) { $0 + crescent.mean($1) } / Double(n)
            if pass == 1 {
                raw = zip(frames, rois).map { $1.sum($0) }
            }
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
        let method = (lvRegions != nil || backgroundRegion != nil ? "edited regions replace the automatic ones where given; " : "") + "\(options.roiMethod == .variable ? "variable LV ROI (found on every frame)" : "fixed LV ROI (end-diastolic region on every frame)"): amplitude/phase-located LV, edge at background + \(Int(options.edgeFraction * 100)) % of (max − background) on 2×-smoothed frames; background: inferolateral crescent (3–6 o'clock) \(options.backgroundGapPixels) px outside the ED region, \(options.backgroundWidthPixels) px wide, hot pixels (> 1.5 × median) excluded, counts per pixel \(options.backgroundFromEndSystole ? "on the ES frame" : "mean over all frames"); LVEF = (ED − ES)/ED of background-corrected counts; rates from a 3-harmonic Fourier fit"
        return try finish(frames: frames, frameDurationMs: frameDurationMs, rois: rois, backgroundROI: bgROI, backgroundPerPixel: bgPerPixel,
                          raw: raw, summed: summed, method: method, warnings: warnings)
    }
}
