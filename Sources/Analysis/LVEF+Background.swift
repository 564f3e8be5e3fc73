import Foundation
import Imaging

extension GatedBloodPoolLVEF {
    /// Where the background region of the LV is placed (``Options/backgroundRule``).
    public enum BackgroundRule: String, Sendable, Codable, CaseIterable {
        /// The coldest sector of a ring around the end-diastolic LV region (default since issue 18 session 10): the ring
        /// (``Options/backgroundGapPixels`` out, ``Options/backgroundWidthPixels`` wide, off the RV and the atria) is cut
        /// into sectors of ``Options/backgroundSectorDeg`` around the LV centre and the sector with the lowest mean
        /// counts per pixel on the summed frames is the background. Spleen, stomach, liver, great vessels, RV and atria
        /// only make a sector hotter, so they are never chosen, wherever they lie around the LV.
        case coldestSector = "coldest-sector"
        /// The inferolateral crescent (3 to 6 o'clock on the LAO image), leaving out pixels hotter than
        /// ``Options/backgroundHotFactor`` × its lower quartile (the rule of sessions 3–9).
        case inferolateral
    }

    /// What one sector of the background ring reads (``Result/backgroundRing``): every direction around the LV, so that
    /// a reader sees how far the chosen (coldest) sector lies below the others (the lung beside the LV reads below the
    /// mediastinum under it; hot organs read above it).
    public struct BackgroundSector: Sendable, Codable, Equatable {
        /// Direction from the LV centre on the LAO image, clock hours (3 = lateral, 6 = inferior, 9 = septal, 12 = basal).
        public var sector: String
        /// Ring pixels in the sector (off the RV and the atria).
        public var pixels: Int
        /// Mean counts per pixel per frame over all frames (the image the coldest sector is chosen on).
        public var meanCountsPerPixel: Double
        /// Mean counts per pixel on the end-systolic frame (the value subtracted when the sector is the background).
        public var endSystoleCountsPerPixel: Double
        /// The sector taken as the background region.
        public var chosen: Bool
    }

    /// The pixels of `ring` binned into sectors of `sectorDeg` degrees around `centre` (the first starting at 9 o'clock,
    /// −180°; angles measured from 3 o'clock towards 6 o'clock, image rows down): one region per sector (possibly
    /// empty), with its first angle (degrees).
    static func ringSectors(of ring: PlanarROI, centre: (column: Double, row: Double), sectorDeg: Double) -> [(region: PlanarROI, startDeg: Double)] {
        let cols = ring.columns
        let k = max(1, Int((360 / sectorDeg).rounded()))
        let width = 360 / Double(k)
        var out = (0..<k).map { (region: PlanarROI(rows: ring.rows, columns: cols), startDeg: Double($0) * width - 180) }
        for i in ring.indices {
            let a = atan2(Double(i / cols) - centre.row, Double(i % cols) - centre.column) * 180 / .pi + 180   // 0…360 from 9 o'clock
            out[min(k - 1, max(0, Int(a / width)))].region.inside[i] = true
        }
        return out
    }

    /// The coldest sector of `ring` around `centre` (sectors of ``ringSectors(of:centre:sectorDeg:)``): the sector
    /// with the lowest mean of `image` over its pixels is returned, with its first angle (degrees).
    /// Sectors with fewer than `minimumPixels` pixels are not considered; nil when none has enough.
    static func coldestSector(of ring: PlanarROI, centre: (column: Double, row: Double), image: PlanarViewImage,
                              sectorDeg: Double, minimumPixels: Int = 4) -> (region: PlanarROI, startDeg: Double, mean: Double)? {
        ringSectors(of: ring, centre: centre, sectorDeg: sectorDeg)
            .filter { $0.region.count >= minimumPixels }
            .map { (region: $0.region, startDeg: $0.startDeg, mean: $0.region.mean(image)) }
            .min { $0.mean < $1.mean }
    }

    /// A sector's direction on the LAO image as clock hours (3 o'clock = lateral, 6 o'clock = inferior), e.g. "4:30–6 o'clock".
    static func clockText(startDeg: Double, widthDeg: Double) -> String {
        func clock(_ deg: Double) -> String {
            var h = (3 + deg / 30).truncatingRemainder(dividingBy: 12)
            if h <= 0 { h += 12 }
            let hours = Int(h), minutes = Int(((h - Double(hours)) * 60).rounded())
            return minutes == 0 ? "\(hours)" : String(format: "%d:%02d", hours, minutes)
        }
        return "\(clock(startDeg))–\(clock(startDeg + widthDeg)) o'clock"
    }

    /// The background-corrected LV curve of the LV counts `raw` (one value per frame) of regions of `pixels` pixels
    /// with `background` counts per pixel subtracted, its ED and ES frames (the curve's maximum and minimum) and the
    /// LVEF (percent; above 100 where the background leaves negative counts at ES). Nil when no LV counts are left at
    /// ED. The analysis (``finish``) and the background's effect (``backgroundEffect``) both choose ED/ES this way.
    static func corrected(raw: [Double], pixels: [Int], background: Double) -> (curve: [Double], ed: Int, es: Int, lvef: Double)? {
        let curve = zip(raw, pixels).map { $0 - background * Double($1) }
        guard let ed = curve.indices.max(by: { curve[$0] < curve[$1] }), let es = curve.indices.min(by: { curve[$0] < curve[$1] }),
              curve[ed] > 0 else { return nil }
        return (curve, ed, es, 100 * (curve[ed] - curve[es]) / curve[ed])
    }

    /// What the subtracted background does to the LVEF (issue 18 session 15; ``Result/backgroundSensitivity``,
    /// ``Result/lvefBackgroundRange``).
    struct BackgroundEffect: Sendable {
        /// LVEF points per +10 % of the background: 0.1·b·d/db [100·(E − S)/E] at the chosen frames, with
        /// E = R_ED − b·N_ED and S = R_ES − b·N_ES, i.e. 10·b·(N_ES·E − N_ED·S)/E².
        var pointsPerTenPercent: Double
        /// The LVEF at `ratio.lowerBound` × b and at `ratio.upperBound` × b (exact, ED/ES chosen again), clamped to 0–100.
        var range: (atLower: Double, atUpper: Double)
        /// Whether the upper end leaves no LV counts at end systole (its LVEF reached or passed 100 % and was clamped).
        var upperLeavesNoLV: Bool
    }

    /// The background's effect on the LVEF of the curve `raw` − `background`·`pixels` with ED frame `ed` and ES frame
    /// `es`, over the plausible ratios `ratio` of the background under the LV to `background`. Nil when the curve
    /// has no positive counts at ED.
    static func backgroundEffect(raw: [Double], pixels: [Int], background: Double, ed: Int, es: Int,
                                 ratio: ClosedRange<Double>) -> BackgroundEffect? {
        let e = raw[ed] - background * Double(pixels[ed]), s = raw[es] - background * Double(pixels[es])
        guard e > 0 else { return nil }
        let slope = 10 * background * (Double(pixels[es]) * e - Double(pixels[ed]) * s) / (e * e)
        func clamped(_ v: Double?) -> Double { min(100, max(0, v ?? 100)) }
        let lower = corrected(raw: raw, pixels: pixels, background: background * ratio.lowerBound)?.lvef
        let upper = corrected(raw: raw, pixels: pixels, background: background * ratio.upperBound)?.lvef
        return BackgroundEffect(pointsPerTenPercent: slope, range: (clamped(lower), clamped(upper)), upperLeavesNoLV: (upper ?? 100) >= 100)
    }

    /// The start of the quality line on the background's effect (so that it can be taken out where no LVEF is given).
    static let backgroundQualityPrefix = "background beside the LV"

    /// The quality line a physician reads on the background's effect on the LVEF.
    static func backgroundQuality(_ effect: BackgroundEffect, ratio: ClosedRange<Double>) -> String {
        let lo = min(effect.range.atLower, effect.range.atUpper), hi = max(effect.range.atLower, effect.range.atUpper)
        return backgroundQualityPrefix + String(format: " (lung): +10 %% background → %+.1f LVEF points; the background under the LV (its walls, the lung in front of and behind it, the mediastinal vessels) was %.2f–%.2f × the background beside it on the virtual patients, and over that range the background alone moves the LVEF over %.0f–%.0f %% (the LV region's own error is not included)", effect.pointsPerTenPercent, ratio.lowerBound, ratio.upperBound, lo, hi)
            + (effect.upperLeavesNoLV ? " (at the upper end no LV counts are left at end systole)" : "")
            + (hi - lo > 10 ? ": the background measured beside the LV does not fix the LVEF closer than that" : "")
    }
}
