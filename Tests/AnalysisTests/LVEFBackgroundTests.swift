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

    /// The ring table (`backgroundRing`, session 11) on the spleen phantom: one row per sector, exactly one chosen, the
    /// chosen one is the reported sector with the subtracted ES level, no sector reads below it on the summed frames,
    /// and the sector holding the spleen (beside 4:30 o'clock) reads above the set background of 6 by the spleen's counts.
    @Test func ringTableOnTheSpleenPhantom() throws {
        let frames = try Self.framesWithSpleenOnTheCrescent(lvef: 0.5)
        let r = try GatedBloodPoolLVEF().analyze(frames: frames, frameDurationMs: 50).result
        let ring = try #require(r.backgroundRing)
        #expect(ring.count >= 4 && ring.count <= 8)
        let chosen = ring.filter(\.chosen)
        try #require(chosen.count == 1)
        #expect(chosen[0].sector == r.backgroundSector)
        #expect(abs(chosen[0].endSystoleCountsPerPixel - r.backgroundCountsPerPixel) < 1e-9)
        #expect(ring.allSatisfy { $0.meanCountsPerPixel >= chosen[0].meanCountsPerPixel && $0.pixels > 0 })
        // The spleen's centre lies at 45° from the LV's (4:30 o'clock): the hotter of the two sectors beside that
        // direction holds it.
        let spleenSide = ring.filter { $0.sector == "3–4:30 o'clock" || $0.sector == "4:30–6 o'clock" }.map(\.meanCountsPerPixel).max() ?? 0
        #expect(spleenSide > 6.5, "spleen sector \(spleenSide); ring \(ring)")
        // The former rule gives no ring table.
        var old = GatedBloodPoolLVEF.Options()
        old.backgroundRule = .inferolateral
        #expect(try GatedBloodPoolLVEF(options: old).analyze(frames: frames, frameDurationMs: 50).result.backgroundRing == nil)
    }

    /// Frames of the analytic phantom with a patient-like background (session 11): lung and chest wall at `lung` counts
    /// per pixel everywhere, and under the LV a static disk of mediastinal tissue (radius 10 px, the LV's ED radius
    /// is 9) reaching `underLV` — so that the ring 3–5 px outside the LV region sees only the lung level. The LV's
    /// background-free counts are 10 × the projected sphere (peak 180), like the patients' LV : background of
    /// about 1 : 1.4 (tuning patients: B/N 110–210 counts per pixel beside 120–170 of LV).
    static func framesWithTissueUnderTheLV(lvef: Double, lung: Double, underLV: Double) throws -> [PlanarViewImage] {
        let n = LVEFPhaseTests.n, size = LVEFPhaseTests.size
        return try (0..<n).map { t in
            var c = [Double](repeating: lung, count: size * size)
            for r in 0..<size { for col in 0..<size where hypot(Double(col) - 38, Double(r) - 34) < 10 { c[r * size + col] = underLV } }
            LVEFPhaseTests.sphere(&c, column: 38, row: 34, radius: 9 * cbrt(LVEFPhaseTests.fraction(t, ef: lvef)), concentration: 10)
            LVEFPhaseTests.sphere(&c, column: 17, row: 33, radius: 7.5 * cbrt(LVEFPhaseTests.fraction(t, ef: 0.45)), concentration: 10)
            LVEFPhaseTests.sphere(&c, column: 30, row: 17, radius: 5 * cbrt(1 + 0.6 * (1 - LVEFPhaseTests.fraction(t, ef: lvef))), concentration: 10)
            let blurred = RegionTools.gaussian(c.map { Float($0) }, rows: size, columns: size, sigma: 1.2)
            return try PlanarViewImage(rows: size, columns: size, counts: blurred, pixelSpacingMM: 4.8)
        }
    }

    /// The limitation that remains (docs/lvef.md "Session 11"): with the tissue under the LV at the lung's level the
    /// LVEF is the set one (70 %) within 3 points; with the tissue under the LV 4/3 of the lung beside it (the
    /// coldest sector of tuning patient 3104 reads 0.71 of the background under its LV, 3105 0.76) every sector of
    /// the ring reads the lung, the background is under-subtracted and the LVEF reads low. Recorded as a known issue:
    /// when a rule that sees the tissue under the LV arrives, this test reports that the issue is gone.
    @Test func tissueUnderTheLVDenserThanTheLungBesideIt() throws {
        let ef = 0.70, lung = 75.0, underLV = 100.0
        let uniform = try GatedBloodPoolLVEF().analyze(frames: Self.framesWithTissueUnderTheLV(lvef: ef, lung: lung, underLV: lung), frameDurationMs: 50).result
        let u = try #require(uniform.lvef, "LVEF not given: \(uniform.quality)")
        #expect(abs(u - 100 * ef) <= 3, "uniform background: LVEF \(u) vs \(100 * ef)")
        #expect(abs(uniform.backgroundCountsPerPixel - lung) <= 0.02 * lung)
        let r = try GatedBloodPoolLVEF().analyze(frames: Self.framesWithTissueUnderTheLV(lvef: ef, lung: lung, underLV: underLV), frameDurationMs: 50).result
        let m = try #require(r.lvef, "LVEF not given: \(r.quality)")
        // Every sector reads the lung: the disk ends inside the LV region, 3 px or more from the ring (blur σ 1.2 px).
        #expect(abs(r.backgroundCountsPerPixel - lung) <= 0.02 * lung, "background \(r.backgroundCountsPerPixel), ring \(r.backgroundRing ?? [])")
        #expect(m < 100 * ef - 1, "LVEF \(m): the under-subtraction should show")
        withKnownIssue("the background ring beside the LV cannot see denser tissue under the LV (docs/lvef.md, Session 11)") {
            #expect(abs(m - 100 * ef) <= 3, "LVEF \(m) vs \(100 * ef) with the tissue under the LV at \(underLV), the lung at \(lung)")
        }
    }

    /// What the background does to the LVEF (session 15: `backgroundSensitivity`, `lvefBackgroundRange`), on the phantom
    /// with the tissue under the LV (90 counts per pixel) denser than the lung beside it (75), so that the ring reads a
    /// known 0.83 of the background under the LV (ratio 1.2, inside the plausible 0.92–1.29). Truth computed here:
    /// - the sensitivity is the closed form 0.1·b·d/db [100·(E − S)/E] with E = R_ED − b·N_ED, S = R_ES − b·N_ES
    ///   (E′ = −N_ED, S′ = −N_ES: 10·b·(N_ES·E − N_ED·S)/E²), R and N summed here on the frames and the regions
    ///   the analysis drew (with the fixed region N_ES = N_ED: the brief's d/db of (ED − ES)/(ED − b·N));
    /// - the range brackets the LVEF of the same regions with the true background, the static background image
    ///   (lung, the disk under the LV, blurred like the frames) subtracted pixel by pixel.
    @Test(arguments: [GatedBloodPoolLVEF.ROIMethod.variable, .fixed]) func backgroundSensitivityAndRange(method: GatedBloodPoolLVEF.ROIMethod) throws {
        let ef = 0.70, lung = 75.0, underLV = 90.0, n = LVEFPhaseTests.n, size = LVEFPhaseTests.size
        let frames = try Self.framesWithTissueUnderTheLV(lvef: ef, lung: lung, underLV: underLV)
        let a = try GatedBloodPoolLVEF(options: .init(roiMethod: method)).analyze(frames: frames, frameDurationMs: 50)
        let r = a.result
        let measured = try #require(r.lvef, "LVEF not given: \(r.quality)")
        let b = r.backgroundCountsPerPixel
        #expect(abs(b - lung) <= 0.02 * lung, "the ring should read the lung: \(b)")
        func sum(_ t: Int) -> Double { a.lvROIs[t].indices.reduce(0.0) { $0 + Double(frames[t].counts[$1]) } }
        let nED = Double(a.lvROIs[r.edFrame].count), nES = Double(a.lvROIs[r.esFrame].count)
        let e = sum(r.edFrame) - b * nED, s = sum(r.esFrame) - b * nES
        #expect(abs(100 * (e - s) / e - measured) <= 1e-6, "LVEF \(measured) vs \(100 * (e - s) / e) from the sums")
        let closedForm = 0.1 * b * 100 * (nES * e - nED * s) / (e * e)
        let sensitivity = try #require(r.backgroundSensitivity)
        #expect(abs(sensitivity - closedForm) <= 1e-6 * abs(closedForm), "sensitivity \(sensitivity) vs closed form \(closedForm)")
        #expect(sensitivity > 0)
        // The true background under the regions: the static image without the chambers, blurred as the frames are.
        var still = [Double](repeating: lung, count: size * size)
        for row in 0..<size { for col in 0..<size where hypot(Double(col) - 38, Double(row) - 34) < 10 { still[row * size + col] = underLV } }
        let background = RegionTools.gaussian(still.map { Float($0) }, rows: size, columns: size, sigma: 1.2)
        let trueCurve = (0..<n).map { t in a.lvROIs[t].indices.reduce(0.0) { $0 + Double(frames[t].counts[$1]) - Double(background[$1]) } }
        let trueLVEF = 100 * (trueCurve.max()! - trueCurve.min()!) / trueCurve.max()!
        let range = try #require(r.lvefBackgroundRange)
        try #require(range.count == 2)
        #expect(r.backgroundRatioRange == [0.92, 1.29])
        #expect(range.min()! <= trueLVEF && trueLVEF <= range.max()!, "range \(range) vs the LVEF with the true background \(trueLVEF) (measured \(measured))")
        #expect(range.min()! <= measured && measured <= range.max()!, "range \(range) vs measured \(measured)")
        // The lower end is the LVEF with 0.92 × the ring's background, computed here from the sums (fixed frames: the
        // lower background does not move ED or ES on this smooth curve).
        let e92 = sum(r.edFrame) - 0.92 * b * nED, s92 = sum(r.esFrame) - 0.92 * b * nES
        #expect(abs(range[0] - 100 * (e92 - s92) / e92) <= 1e-6, "lower end \(range[0]) vs \(100 * (e92 - s92) / e92)")
        print(String(format: "%@ region: LVEF %.1f (true background %.1f, set %.0f), %+.2f points per +10 %% background, range %.1f–%.1f",
                     method.rawValue, measured, trueLVEF, 100 * ef, sensitivity, range[0], range[1]))
        // The physician reads it: the first quality line, and the finding gives the range.
        #expect(r.quality.first?.hasPrefix("background beside the LV") == true, "\(r.quality)")
        #expect(r.findings.first?.contains(String(format: "%.0f–%.0f %%", range.min()!, range.max()!)) == true, "\(r.findings)")
    }
}
