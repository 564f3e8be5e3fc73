import Foundation
import Testing
@testable import Analysis

/// Regions given from outside (a reader's edit) replace the automatic ones: on an analytic gated sequence whose LV
/// disc holds `v_t` counts per pixel above a uniform background of 10, a hand-given LV disc and a background ring
/// give LVEF = (max v − min v) / max v exactly (the truth by construction).
@Suite("LVEF with regions given from outside")
struct LVEFRegionOverrideTests {
    @Test("given LV and background regions: LVEF equals the analytic value")
    func givenRegions() throws {
        let n = 16, size = 48
        let lv = (0..<n).map { t in 100 * (1 - 0.55 * pow(sin(Double.pi * Double(t) / Double(n)), 2)) }   // ED 100, ES 45 → 55 %
        let frames = try (0..<n).map { t -> PlanarViewImage in
            var c = [Float](repeating: 10, count: size * size)
            for r in 0..<size { for col in 0..<size where hypot(Double(col) - 30, Double(r) - 22) <= 6 { c[r * size + col] += Float(lv[t]) } }
            for r in 0..<size { for col in 0..<size where hypot(Double(col) - 15, Double(r) - 22) <= 6 { c[r * size + col] += 60 } }  // RV, clear of the LV disc
            return try PlanarViewImage(rows: size, columns: size, counts: c, pixelSpacingMM: 4)
        }
        let disc = PlanarROI.disc(rows: size, columns: size, column: 30, row: 22, radius: 6)
        var ring = PlanarROI.disc(rows: size, columns: size, column: 30, row: 40, radius: 3)
        ring.inside = ring.inside.enumerated().map { $0.element && !disc.inside[$0.offset] }
        let a = try GatedBloodPoolLVEF().analyze(frames: frames, frameDurationMs: 50, lvRegions: [disc], backgroundRegion: ring)
        let truth = 100 * (lv.max()! - lv.min()!) / lv.max()!
        let lvef = try #require(a.result.lvef)
        #expect(abs(lvef - truth) < 1e-6, "LVEF \(lvef) vs \(truth)")
        #expect(a.result.warnings.contains { $0.contains("regions given from outside") })
        #expect(throws: PlanarAnalysisError.self) {
            _ = try GatedBloodPoolLVEF().analyze(frames: frames, frameDurationMs: 50, lvRegions: [disc, disc])
        }
    }
}
