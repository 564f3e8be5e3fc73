import Foundation
import Testing
@testable import Analysis
import Imaging

/// An analytic, noise-free whole-body anterior view (4.8 mm pixels, 128 × 380) whose normal bone is known by
/// construction: soft tissue 400 counts per pixel, a spine bar (columns 62–66) at 1200, two symmetric femur/tibia
/// bars (columns 50–54 and 74–78) at 1000, symmetric knee foci (+900 on both bars, row 300), and two lesions that
/// the body-wide threshold misses (their focal excess is under 2.5 × the 95th-percentile top-hat, which the bars
/// set): on the right femur (column 52, row 240) +800 over 2.5 px, i.e. 1.8 × its bone; on the spine (column 64,
/// row 100) +500, i.e. 1.42 × the spine.
private func sameStructureView() -> PlanarViewImage {
    let cols = 128, rows = 380
    var img = [Float](repeating: 0, count: cols * rows)
    func fill(_ c0: Int, _ c1: Int, _ r0: Int, _ r1: Int, _ v: Float) {
        for r in r0...r1 { for c in c0...c1 { img[r * cols + c] = max(img[r * cols + c], v) } }
    }
    func add(_ cc: Double, _ rr: Double, _ rad: Double, _ v: Float) {
        for r in 0..<rows { for c in 0..<cols where hypot(Double(c) - cc, Double(r) - rr) <= rad { img[r * cols + c] += v } }
    }
    fill(56, 72, 2, 36, 400)                               // head
    fill(40, 88, 37, 200, 400)                             // trunk
    fill(22, 32, 40, 190, 400); fill(96, 106, 40, 190, 400) // arms
    fill(46, 60, 200, 376, 400); fill(68, 82, 200, 376, 400) // legs
    fill(62, 66, 30, 190, 1200)                            // spine
    fill(50, 54, 210, 370, 1000); fill(74, 78, 210, 370, 1000) // femora and tibiae
    add(52, 300, 2.2, 900); add(76, 300, 2.2, 900)         // symmetric knee uptake
    add(52, 240, 2.5, 800)                                 // lesion, right femur (image left on an anterior view)
    add(64, 100, 2.5, 500)                                 // lesion, thoracic spine
    return PlanarViewImage(name: "Anterior projection", rows: rows, columns: cols, pixelSpacing: [4.8, 4.8], counts: img,
                           origin: Vector3(-307, 0, 900), rowDirection: Vector3(1, 0, 0), columnDirection: Vector3(0, 0, -1))
}

@Suite("Bone scan: lesions against normal bone of the same structure")
struct BoneScanSameStructureTests {
    @Test("the comparison reads a femur lesion against the mirrored femur and a spine lesion along the spine (analytic levels)")
    func comparisonLevels() throws {
        let v = sameStructureView()
        let a = BoneScanAnalysis()
        let g = BodyGeometry(v, smoothingSigma: 1)
        let radius = a.options.newLesionDiscMM / 2 / 4.8
        let m = BoneScanAnalysis.discMean(v.counts, rows: v.rows, columns: v.columns, radius: radius)
        let n = Double(BoneScanAnalysis.discOffsets(radius: radius).count)
        #expect(n == 9)   // a 15 mm disc on 4.8 mm pixels: the 3 × 3 block
        let zeros = [Float](repeating: 0, count: v.counts.count)
        // Femur lesion: the disc lies inside the lesion (1800); the mirrored femur and the femur above and below are
        // bone (1000): ratio 1.8, significance 800 ÷ √(1000 / 9).
        let femur = a.compareWithStructure(discMean: m, topHat: zeros, rows: v.rows, columns: v.columns, discPixels: n,
                                           midline: 64, onMidline: false, column: 52, row: 240)
        #expect(abs(femur.here - 1800) < 1e-3 && abs((femur.mirrored ?? 0) - 1000) < 1e-3 && abs(femur.along - 1000) < 1e-3,
                "\(femur)")
        #expect(abs(femur.ratio - 1.8) < 1e-6)
        #expect(abs(femur.significance - 800 / (1000.0 / 9).squareRoot()) < 1e-6)
        // Spine lesion: along the spine 1200, ratio 1700 ÷ 1200.
        let spine = a.compareWithStructure(discMean: m, topHat: zeros, rows: v.rows, columns: v.columns, discPixels: n,
                                           midline: 64, onMidline: true, column: 64, row: 100)
        #expect(spine.mirrored == nil && abs(spine.here - 1700) < 1e-3 && abs(spine.along - 1200) < 1e-3, "\(spine)")
        // The midline of the analytic body is column 64 (symmetric by construction, the lesions aside).
        #expect(abs(g.midlineColumn - 64) < 0.5, "midline \(g.midlineColumn)")
    }

    @Test("lesions under the body-wide threshold are found by the same-structure pass; symmetric knees are not lesions")
    func detection() throws {
        let v = sameStructureView()
        let withPass = try BoneScanAnalysis().analyze([v], minutesAfterInjection: 180)
        var off = BoneScanAnalysis.Options()
        off.structureThresholdFactor = off.thresholdFactor
        let without = try BoneScanAnalysis(options: off).analyze([v], minutesAfterInjection: 180)
        func found(_ r: BoneScanAnalysis.Result, _ c: Double, _ row: Double) -> BoneScanAnalysis.Lesion? {
            r.lesions.first { hypot($0.column - c, $0.row - row) <= 1.5 }
        }
        let summary = withPass.lesions.map { ($0.column, $0.row, $0.region ?? "") }
        // The body-wide threshold alone misses both (their top-hat is under 2.5 × the bars' 95th percentile).
        #expect(found(without, 52, 240) == nil && found(without, 64, 100) == nil, "\(without.lesions.map { ($0.column, $0.row) })")
        let femur = try #require(found(withPass, 52, 240), "\(summary)")
        #expect(femur.side == "right")
        #expect(found(withPass, 64, 100)?.side == "midline", "\(summary)")
        // Knee foci are on both sides: never lesions.
        #expect(!withPass.lesions.contains { abs($0.row - 300) <= 4 }, "\(summary)")
        #expect(withPass.lesions.count == 2, "\(summary)")
    }
}
