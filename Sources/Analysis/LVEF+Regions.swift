import Foundation
import Imaging

extension GatedBloodPoolLVEF {
    /// LVEF from LV and background regions given from outside (edited in the review, docs/review.md) instead of
    /// finding them: `lvROIs` one per time slot (in slot order), `backgroundROI` the background region.
    ///
    /// Background per pixel: with ``Options/backgroundFromEndSystole`` (default) the background region's mean on the
    /// end-systolic slot, that slot first found with the background's mean over all slots; otherwise the mean over
    /// all slots. LV counts are summed on the unsmoothed frames; ED, ES, LVEF and the rates as for found regions.
    public func analyze(frames: [PlanarViewImage], frameDurationMs: Double?, lvROIs: [PlanarROI],
                        backgroundROI: PlanarROI) throws(PlanarAnalysisError) -> Analysis {
        guard !frames.isEmpty, lvROIs.count == frames.count else {
            throw PlanarAnalysisError("\(lvROIs.count) LV regions for \(frames.count) time slots: one LV region per slot is needed")
        }
        let rows = frames[0].rows, cols = frames[0].columns
        for (k, r) in lvROIs.enumerated() {
            guard r.rows == rows, r.columns == cols else { throw PlanarAnalysisError("LV region of slot \(k + 1) is \(r.rows)×\(r.columns), the frames \(rows)×\(cols)") }
            guard r.count > 0 else { throw PlanarAnalysisError("LV region of slot \(k + 1) is empty") }
        }
        for (k, f) in frames.enumerated() where f.rows != rows || f.columns != cols {
            throw PlanarAnalysisError("frame \(k) is \(f.rows)×\(f.columns), frame 0 is \(rows)×\(cols): mismatched matrix sizes")
        }
        guard backgroundROI.rows == rows, backgroundROI.columns == cols, backgroundROI.count > 0 else {
            throw PlanarAnalysisError("the background region is empty or not on the \(rows)×\(cols) frames")
        }
        let n = frames.count
        let raw = zip(frames, lvROIs).map { $1.sum($0) }
        let meanAll = frames.reduce(0.0) { $0 + backgroundROI.mean($1) } / Double(n)
        var bg = meanAll
        if options.backgroundFromEndSystole {
            let first = zip(raw, lvROIs).map { $0 - meanAll * Double($1.count) }
            bg = backgroundROI.mean(frames[first.indices.min { first[$0] < first[$1] }!])
        }
        var sum = [Float](repeating: 0, count: rows * cols)
        for f in frames { for i in sum.indices { sum[i] += f.counts[i] } }
        let summed = PlanarViewImage(uncheckedRows: rows, columns: cols, counts: sum, pixelSpacingMM: frames[0].pixelSpacingMM)
        let method = "regions given (edited in review): LV region per slot and background region as given; background counts per pixel \(options.backgroundFromEndSystole ? "on the ES frame (found first with the mean over all frames)" : "mean over all frames"); LVEF = (ED − ES)/ED of background-corrected counts; rates from a 3-harmonic Fourier fit"
        return try finish(frames: frames, frameDurationMs: frameDurationMs, rois: lvROIs, backgroundROI: backgroundROI, backgroundPerPixel: bg,
                          raw: raw, summed: summed, method: method, warnings: [])
    }

    /// ED, ES, LVEF and the rates from the LV counts `raw` of `rois` and the background per pixel.
    func finish(frames: [PlanarViewImage], frameDurationMs: Double?, rois: [PlanarROI], backgroundROI: PlanarROI, backgroundPerPixel: Double,
                raw: [Double], summed: PlanarViewImage, method: String, warnings: [String]) throws(PlanarAnalysisError) -> Analysis {
        let n = frames.count
        var warnings = warnings
        guard let (curve, ed, es, lvef) = Self.corrected(raw: raw, pixels: rois.map(\.count), background: backgroundPerPixel) else {
            throw PlanarAnalysisError("the background-corrected LV counts are not positive: background exceeds the ventricle")
        }
        if ed != 0 && ed != n - 1 { warnings.append("end diastole at frame \(ed), not at the R wave (frame 0): check the gating") }

        // Rates from a 3-harmonic Fourier fit.
        var per: Double? = nil, pfr: Double? = nil, ttpf: Double? = nil, times: [Double]? = nil
        if let dt = frameDurationMs, dt > 0 {
            times = (0..<n).map { Double($0) * dt }
            let period = dt * Double(n) / 1000
            var ak = [Double](repeating: 0, count: 4), bk = [Double](repeating: 0, count: 4)
            for k in 1...3 { for t in 0..<n {
                // Frame t covers [t, t+1) slots: its mid-time (t + 0.5) is where its mean is sampled.
                let w = 2 * Double.pi * Double(k) * (Double(t) + 0.5) / Double(n)
                ak[k] += 2 * curve[t] * cos(w) / Double(n); bk[k] += 2 * curve[t] * sin(w) / Double(n)
            } }
            let m = 512
            var slopes: [Double] = []
            for j in 0..<m {
                let x = Double(j) / Double(m)   // fraction of the cycle
                var d = 0.0
                for k in 1...3 {
                    let w = 2 * Double.pi * Double(k) * x
                    d += 2 * Double.pi * Double(k) / period * (-ak[k] * sin(w) + bk[k] * cos(w))
                }
                slopes.append(d)
            }
            let esX = (Double(es) + 0.5) / Double(n)
            let esJ = Int(esX * Double(m))
            let ejection = slopes[0..<max(1, esJ)]
            let filling = slopes[min(m - 1, esJ)..<m]
            per = -(ejection.min() ?? 0) / curve[ed]
            let fj = filling.indices.max { filling[$0] < filling[$1] }!
            pfr = filling[fj] / curve[ed]
            ttpf = (Double(fj) / Double(m) - esX) * period * 1000
        } else {
            warnings.append("frame time unknown (no Frame Time / R-R interval): peak ejection and filling rates not given")
        }
        let result = Result(lvef: lvef, edFrame: ed, esFrame: es, method: method, roiMethod: options.roiMethod.rawValue, curve: curve,
                            lvCounts: raw, lvPixels: rois.map(\.count), backgroundCountsPerPixel: backgroundPerPixel,
                            backgroundPixels: backgroundROI.count, frameTimesMs: times, frameDurationMs: frameDurationMs,
                            peakEjectionRateEDVPerS: per, peakFillingRateEDVPerS: pfr, timeToPeakFillingMs: ttpf,
                            totalCounts: summed.totalCounts,
                            units: ["lvef": "percent", "curve": "counts per frame", "lvCounts": "counts per frame",
                                    "backgroundCountsPerPixel": "counts per pixel per frame", "frameTimesMs": "ms from the R wave",
                                    "peakEjectionRateEDVPerS": "end-diastolic counts per second", "peakFillingRateEDVPerS": "end-diastolic counts per second",
                                    "timeToPeakFillingMs": "ms after end systole", "edFrame": "0-based frame", "esFrame": "0-based frame"],
                            warnings: warnings)
        var r = result
        let ratio = options.backgroundUnderLVRatio
        let effect = Self.backgroundEffect(raw: raw, pixels: rois.map(\.count), background: backgroundPerPixel, ed: ed, es: es, ratio: ratio)
        let rangeText = effect.map { e in String(format: "; background-limited range %.0f–%.0f %% (background under the LV %.2f–%.2f × the background beside it), see quality",
                                                 min(e.range.atLower, e.range.atUpper), max(e.range.atLower, e.range.atUpper), ratio.lowerBound, ratio.upperBound) } ?? ""
        r.findings = [String(format: "LVEF %.0f %% (gated blood pool, %@ LV region%@), end diastole frame %d, end systole frame %d of %d.", lvef, options.roiMethod.rawValue, rangeText, ed + 1, es + 1, curve.count)]
        if let per { r.findings.append(String(format: "Peak ejection rate %.2f EDV/s, peak filling rate %.2f EDV/s.", per, pfr ?? 0)) }
        r.quality = warnings + [String(format: "%.3g counts in the summed frames", summed.totalCounts)]
        if let effect {
            r.backgroundSensitivity = effect.pointsPerTenPercent
            r.lvefBackgroundRange = [effect.range.atLower, effect.range.atUpper]
            r.backgroundRatioRange = [ratio.lowerBound, ratio.upperBound]
            r.units["backgroundSensitivity"] = "LVEF points per +10 % of the subtracted background (derivative at the ED and ES frames)"
            r.units["lvefBackgroundRange"] = "percent: the LVEF with the background × the lower and × the upper end of backgroundRatioRange (same regions, ED/ES chosen again), clamped to 0–100"
            r.units["backgroundRatioRange"] = "plausible background under the LV ÷ the background region's level (tuning patients 3101–3115)"
            r.quality.insert(Self.backgroundQuality(effect, ratio: ratio), at: 0)
        }
        if summed.totalCounts < 2.0e6 { r.quality.append("fewer than 2 million counts summed: noisy LV curve") }
        // Phase and amplitude images (first harmonic of the frames as given), the LV's phase and regional wall motion.
        let h = Self.firstHarmonic(frames)
        r.amplitudeImage = h.amplitude.map { Float($0) }
        r.phaseImageDeg = h.phaseDeg.map { Float($0) }
        r.units["amplitudeImage"] = "counts per frame (first Fourier harmonic), row-major"
        r.units["phaseImageDeg"] = "degrees 0–360: time of the first harmonic's maximum × 360° / R-R interval, row-major"
        if let p = Self.meanPhase(h, over: rois[ed].indices) {
            r.lvPhaseDeg = p.mean; r.lvPhaseSDDeg = p.sd
            r.units["lvPhaseDeg"] = "degrees"; r.units["lvPhaseSDDeg"] = "degrees (amplitude-weighted circular SD over the ED region)"
            r.regionalWallMotion = Self.wallMotion(frames: frames, ed: ed, es: es, edROI: rois[ed], esROI: rois[es], backgroundPerPixel: backgroundPerPixel,
                                                   harmonic: h, lvef: lvef, lvPhase: p.mean)
            r.units["regionalWallMotion"] = "regional EF percent, phase degrees, amplitude relative to the LV mean; segments of the LAO view"
            let abnormal = r.regionalWallMotion.filter { $0.motion != "normal" }
            if !abnormal.isEmpty {
                r.findings.append("Regional wall motion: " + abnormal.map { String(format: "%@ %@ (regional EF %.0f %%)", $0.segment, $0.motion, $0.ejectionFractionPercent) }.joined(separator: ", ") + ".")
            } else if !r.regionalWallMotion.isEmpty {
                r.findings.append("Regional wall motion: no hypokinetic, akinetic or dyskinetic segment.")
            }
        }
        return Analysis(result: r, lvROIs: rois, backgroundROI: backgroundROI, summed: summed)
    }
}
