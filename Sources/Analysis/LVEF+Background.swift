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

    /// The coldest sector of `ring` around `centre`: the ring's pixels are binned into sectors of `sectorDeg` degrees
    /// (the first starting at 9 o'clock, −180°; angles measured from 3 o'clock towards 6 o'clock, image rows down) and
    /// the sector with the lowest mean of `image` over its pixels is returned, with its first angle (degrees).
    /// Sectors with fewer than `minimumPixels` pixels are not considered; nil when none has enough.
    static func coldestSector(of ring: PlanarROI, centre: (column: Double, row: Double), image: PlanarViewImage,
                              sectorDeg: Double, minimumPixels: Int = 4) -> (region: PlanarROI, startDeg: Double, mean: Double)? {
        let cols = ring.columns
        let k = max(1, Int((360 / sectorDeg).rounded()))
        let width = 360 / Double(k)
        var sums = [Double](repeating: 0, count: k), counts = [Int](repeating: 0, count: k)
        var sectorOf = [Int](repeating: -1, count: ring.inside.count)
        for i in ring.indices {
            let a = atan2(Double(i / cols) - centre.row, Double(i % cols) - centre.column) * 180 / .pi + 180   // 0…360 from 9 o'clock
            let s = min(k - 1, max(0, Int(a / width)))
            sectorOf[i] = s; sums[s] += Double(image.counts[i]); counts[s] += 1
        }
        guard let best = (0..<k).filter({ counts[$0] >= minimumPixels }).min(by: { sums[$0] / Double(counts[$0]) < sums[$1] / Double(counts[$1]) }) else { return nil }
        var region = PlanarROI(rows: ring.rows, columns: cols)
        for i in ring.indices where sectorOf[i] == best { region.inside[i] = true }
        return (region, Double(best) * width - 180, sums[best] / Double(counts[best]))
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
}
