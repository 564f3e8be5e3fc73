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
}
