import Foundation
import Testing
@testable import Analysis

/// The LV background region (`GatedBloodPoolLVEF.BackgroundRule.coldestSector`), against truth set here: sectors of
/// known counts, and the analytic gated phantom of ``LVEFPhaseTests`` (projected spheres, camera blur) with a uniform
/// background of known level and a hot static spleen lying over the whole inferolateral (3–6 o'clock) crescent.
@Suite("LVEF: background region")
struct LVEFBackgroundTests {
    /// A ring cut into eight 45° sectors of set levels: the coldest sector is returned with exactly its pixels,
    /// its first angle and its level.
    @Test func coldestSectorOfSetLevels() throws {
        let size = 41, centre = (column: 20.0, row: 20.0)
        // Level of sector k (k = 0 starts at 9 o'clock, −180°): the coldest is k = 5 (45–90°, 4:30–6 o'clock).
        let levels: [Double] = [90, 70, 300, 250, 120, 40, 400, 55]
        var ring = PlanarROI(rows: size, columns: size)
        var counts = [Float](repeating: 1000, count: size * size)
        var expected = PlanarROI(rows: size, columns: size)
        for r in 0..<size { for c in 0..<size {
            let dc = Double(c) - centre.column, dr = Double(r) - centre.row, d = hypot(dc, dr)
            guard d >= 8, d <= 11 else { continue }
            let k = min(7, Int((atan2(dr, dc) * 180 / .pi + 180) / 45))
            ring.inside[r * size + c] = true
            counts[r * size + c] = Float(levels[k])
            if k == 5 { expected.inside[r * size + c] = true }
        } }
        let image = try PlanarViewImage(rows: size, columns: size, counts: counts, pixelSpacingMM: 4.8)
        let s = try #require(GatedBloodPoolLVEF.coldestSector(of: ring, centre: centre, image: image, sectorDeg: 45))
        #expect(s.region == expected)
        #expect(s.startDeg == 45)
        #expect(abs(s.mean - 40) < 1e-9)
        #expect(GatedBloodPoolLVEF.clockText(startDeg: s.startDeg, widthDeg: 45) == "4:30–6 o'clock")
        #expect(GatedBloodPoolLVEF.clockText(startDeg: -180, widthDeg: 45) == "9–10:30 o'clock")
        // Sectors with fewer than 4 pixels are not considered; no sector of 4: nil.
        var tiny = PlanarROI(rows: size, columns: size)
        tiny.inside[20 * size + 30] = true
        #expect(GatedBloodPoolLVEF.coldestSector(of: tiny, centre: centre, image: image, sectorDeg: 45) == nil)
    }

    /// Frames of the analytic phantom (LV, RV, atria as in ``LVEFPhaseTests``) on a uniform background of 6 counts per
    /// pixel, with a hot static spleen (concentration 8, radius 10) right under and lateral to the LV, so that it covers
    /// the inferolateral crescent of the former rule.
    static func framesWithSpleenOnTheCrescent(lvef: Double) throws -> [PlanarViewImage] {
        let n = LVEFPhaseTests.n, size = LVEFPhaseTests.size
        return try (0..<n).map { t in
            var c = [Double](repeating: 6, count: size * size)
            LVEFPhaseTests.sphere(&c, column: 38, row: 34, radius: 9 * cbrt(LVEFPhaseTests.fraction(t, ef: lvef)), concentration: 10)
            LVEFPhaseTests.sphere(&c, column: 17, row: 33, radius: 7.5 * cbrt(LVEFPhaseTests.fraction(t, ef: 0.45)), concentration: 10)
            LVEFPhaseTests.sphere(&c, column: 30, row: 17, radius: 5 * cbrt(1 + 0.6 * (1 - LVEFPhaseTests.fraction(t, ef: lvef))), concentration: 10)
            LVEFPhaseTests.sphere(&c, column: 52, row: 48, radius: 10, concentration: 8)
            let blurred = RegionTools.gaussian(c.map { Float($0) }, rows: size, columns: size, sigma: 1.2)
            return try PlanarViewImage(rows: size, columns: size, counts: blurred, pixelSpacingMM: 4.8)
        }
    }

    /// With the spleen over the inferolateral crescent, the coldest sector holds the set background (6 counts per pixel
    /// within 2 %), never the spleen, and the LVEF is the set one within 3 points; the former inferolateral rule reads
    /// the spleen's edge as background (over-subtraction, said here so that the difference stays visible).
    @Test(arguments: [0.35, 0.70]) func spleenOnTheCrescent(ef: Double) throws {
        let frames = try Self.framesWithSpleenOnTheCrescent(lvef: ef)
        let a = try GatedBloodPoolLVEF().analyze(frames: frames, frameDurationMs: 50)
        let r = a.result
        #expect(r.backgroundRule == "coldest-sector")
        #expect(abs(r.backgroundCountsPerPixel - 6) <= 0.12, "background \(r.backgroundCountsPerPixel) vs 6 (\(r.backgroundSector ?? "-"))")
        for i in a.backgroundROI.indices {
            #expect(hypot(Double(i % LVEFPhaseTests.size) - 52, Double(i / LVEFPhaseTests.size) - 48) > 12, "background on the spleen")
        }
        let lvef = try #require(r.lvef, "LVEF not given: \(r.quality)")
        #expect(abs(lvef - 100 * ef) <= 3, "LVEF \(lvef) vs \(100 * ef); background \(r.backgroundCountsPerPixel), \(r.backgroundSector ?? "-")")
        var old = GatedBloodPoolLVEF.Options()
        old.backgroundRule = .inferolateral
        let o = try GatedBloodPoolLVEF(options: old).analyze(frames: frames, frameDurationMs: 50).result
        #expect(o.backgroundCountsPerPixel > r.backgroundCountsPerPixel, "inferolateral \(o.backgroundCountsPerPixel) vs coldest sector \(r.backgroundCountsPerPixel)")
    }
}
