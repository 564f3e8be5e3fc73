import Foundation
import Testing
@testable import Analysis

/// Phase/amplitude images, septum check, LVEF and RVEF on an analytic gated phantom built here: projected
/// spheres (thickness 2√(R² − r²)) of blood for the LV, RV and atria whose radii follow set volume curves, a hot
/// static spleen inferolateral to the LV and a uniform background, blurred like a camera (Gaussian σ 1.2 px).
/// The truth is the set volumes (counts ∝ volume for uniform blood without attenuation), never the code's output.
@Suite("LVEF: phase, septum, regions on an analytic gated phantom")
struct LVEFPhaseTests {
    static let n = 16, size = 64

    /// Volume fraction of EDV at slot t: ED at the R wave, ES at slot 6, cosine ejection and filling.
    static func fraction(_ t: Int, ef: Double) -> Double {
        let x = Double(t) / Double(n)
        let f = x < 0.375 ? 0.5 * (1 + cos(Double.pi * x / 0.375)) : 0.5 * (1 - cos(Double.pi * (x - 0.375) / 0.625))
        return 1 - ef * (1 - f)
    }

    static func sphere(_ c: inout [Double], column: Double, row: Double, radius: Double, concentration: Double) {
        for r in 0..<size { for col in 0..<size {
            let d2 = (Double(col) - column) * (Double(col) - column) + (Double(r) - row) * (Double(r) - row)
            if d2 < radius * radius { c[r * size + col] += concentration * 2 * (radius * radius - d2).squareRoot() }
        } }
    }

    /// Frames of the phantom; `rvColumn` moves the RV (closer: no septum).
    static func frames(lvef: Double, rvef: Double, rvColumn: Double = 17) throws -> [PlanarViewImage] {
        let lvED = 9.0, rvED = 7.5, atED = 5.0
        return try (0..<n).map { t in
            var c = [Double](repeating: 6, count: size * size)
            sphere(&c, column: 38, row: 34, radius: lvED * cbrt(fraction(t, ef: lvef)), concentration: 10)
            sphere(&c, column: rvColumn, row: 33, radius: rvED * cbrt(fraction(t, ef: rvef)), concentration: 10)
            // Atria above the base: they fill as the ventricles empty.
            sphere(&c, column: 30, row: 17, radius: atED * cbrt(1 + 0.6 * (1 - fraction(t, ef: lvef))), concentration: 10)
            // Spleen: hot, static, inferolateral of the LV.
            sphere(&c, column: 53, row: 50, radius: 7, concentration: 8)
            let blurred = RegionTools.gaussian(c.map { Float($0) }, rows: size, columns: size, sigma: 1.2)
            return try PlanarViewImage(rows: size, columns: size, counts: blurred, pixelSpacingMM: 4.8)
        }
    }

    /// A pure first harmonic per pixel, f(t) = m + A cos(2πt/N − φ), comes back as (A, φ) to 1e-4.
    @Test func firstHarmonicRecoversSetAmplitudeAndPhase() throws {
        let rows = 8, cols = 8
        let setA = (0..<(rows * cols)).map { 1 + Double($0 % 7) * 3 }, setPhi = (0..<(rows * cols)).map { Double($0) * 5.5 }
        let frames = try (0..<Self.n).map { t in
            try PlanarViewImage(rows: rows, columns: cols, counts: (0..<(rows * cols)).map { i in
                Float(100 + setA[i] * cos(2 * Double.pi * Double(t) / Double(Self.n) - setPhi[i] * Double.pi / 180))
            })
        }
        let h = GatedBloodPoolLVEF.firstHarmonic(frames)
        for i in 0..<(rows * cols) {
            #expect(abs(h.amplitude[i] - setA[i]) < 1e-3, "amplitude \(h.amplitude[i]) vs \(setA[i])")
            #expect(GatedBloodPoolLVEF.phaseDistance(h.phaseDeg[i], setPhi[i]) < 1e-2, "phase \(h.phaseDeg[i]) vs \(setPhi[i])")
            #expect(abs(h.mean[i] - 100) < 1e-3)
        }
    }

    /// LVEF 30 and 60 %: within 3 points of the set EF; the LV region never reaches the RV, atria or spleen; the
    /// septum is seen; the RVEF is given; the ventricles beat near 0° and the atria near 180°.
    @Test(arguments: [0.30, 0.60]) func lvefOnAnalyticPhantom(ef: Double) throws {
        let f = try Self.frames(lvef: ef, rvef: 0.45)
        let a = try GatedBloodPoolLVEF().analyze(frames: f, frameDurationMs: 50)
        let r = a.result
        let lvef = try #require(r.lvef, "LVEF not given: \(r.quality)")
        #expect(abs(lvef - 100 * ef) <= 3, "LVEF \(lvef) vs \(100 * ef); pixels \(r.lvPixels), background \(r.backgroundCountsPerPixel) × \(r.backgroundPixels), curve \(r.curve.map { Int($0) }), \(r.warnings)")
        #expect(r.edFrame == 0 && r.esFrame == 6, "ED \(r.edFrame) ES \(r.esFrame)")
        #expect(r.septumSeen == true, "valley \(r.septalValleyRatio ?? -1)")
        #expect(!r.warnings.contains { $0.contains("septum not seen") })
        // No LV pixel on the RV (column ≤ 25), atria (row ≤ 22) or spleen (within 7 px of its centre).
        for roi in a.lvROIs { for i in roi.indices {
            let c = i % Self.size, row = i / Self.size
            #expect(c > 25 && row > 22 && hypot(Double(c) - 53, Double(row) - 50) > 7, "LV pixel at column \(c), row \(row)")
        } }
        for i in a.backgroundROI.indices { #expect(hypot(Double(i % Self.size) - 53, Double(i / Self.size) - 50) > 5, "background on the spleen") }
        let rvef = try #require(r.rvef)
        #expect(abs(rvef - 45) <= 8, "RVEF \(rvef)")
        #expect(r.amplitudeImage.count == Self.size * Self.size && r.phaseImageDeg.count == Self.size * Self.size)
        #expect(GatedBloodPoolLVEF.phaseDistance(Double(r.phaseImageDeg[34 * Self.size + 38]), 0) < 60)
        #expect(GatedBloodPoolLVEF.phaseDistance(Double(r.phaseImageDeg[17 * Self.size + 30]), 180) < 60)
        #expect(r.regionalWallMotion.count == 8 && r.regionalWallMotion.allSatisfy { $0.motion == "normal" }, "\(r.regionalWallMotion)")
    }

    /// RV against the LV, a count valley only on a few rows at the ventricles' ends (column 27): "septum not seen" is
    /// said (valley ratio at the LV's centre rows above 0.9) and no RVEF given; the LV is still the part right of the
    /// valley found, so the LVEF is the set one within 3 points, flagged by the warning.
    @Test func septumNotSeenIsSaid() throws {
        let a = try GatedBloodPoolLVEF().analyze(frames: try Self.frames(lvef: 0.5, rvef: 0.5, rvColumn: 27), frameDurationMs: 50)
        #expect(a.result.septumSeen == false)
        #expect(a.result.warnings.contains { $0.contains("septum not seen") })
        #expect(a.result.rvef == nil)
        let lvef = try #require(a.result.lvef)
        #expect(abs(lvef - 50) <= 3, "LVEF \(lvef)")
    }

    /// RV overlapping the LV (column 29): no count valley on any row, so the LV cannot be told from the RV; neither an
    /// LVEF (the reason is the first `quality` entry and the finding) nor an RVEF is given, and the regions are still
    /// drawn for a reader to correct.
    @Test func noSeptumNoLVEF() throws {
        let a = try GatedBloodPoolLVEF().analyze(frames: try Self.frames(lvef: 0.5, rvef: 0.5, rvColumn: 29), frameDurationMs: 50)
        #expect(a.result.septumSeen == false)
        #expect(a.result.lvef == nil && a.result.rvef == nil)
        #expect(a.result.quality.first?.hasPrefix("LVEF not given") == true, "\(a.result.quality)")
        #expect(a.result.findings.allSatisfy { !$0.contains("%") }, "\(a.result.findings)")
        #expect(a.result.backgroundSensitivity == nil && a.result.lvefBackgroundRange == nil, "no LVEF: no background effect on it")
        #expect(!a.result.quality.contains { $0.hasPrefix("background beside the LV") }, "\(a.result.quality)")
        #expect(a.lvROIs.allSatisfy { $0.count > 0 })
    }

    /// A weakly beating LV (EF 20 %) beside a strongly beating RV (EF 65 %): the RV's amplitude is several times the
    /// LV's, so the LV falls below a threshold relative to the strongest pixel (tuning patient 3102's failure: the RV
    /// taken for the LV, 41 % for 23 %). The septum's count valley still separates them: the LVEF is the LV's, within 3
    /// points of the set 20 %, and no LV pixel lies on the RV.
    @Test func weakLVBesideStrongRVIsTheLV() throws {
        let a = try GatedBloodPoolLVEF().analyze(frames: try Self.frames(lvef: 0.20, rvef: 0.65), frameDurationMs: 50)
        let r = a.result
        let lvef = try #require(r.lvef, "LVEF not given: \(r.quality)")
        #expect(abs(lvef - 20) <= 3, "LVEF \(lvef) vs 20; \(r.warnings)")
        #expect(r.septumSeen == true)
        for roi in a.lvROIs { for i in roi.indices { #expect(i % Self.size > 25, "LV pixel at column \(i % Self.size)") } }
        let rvef = try #require(r.rvef)
        #expect(abs(rvef - 65) <= 10, "RVEF \(rvef)")
    }
}
