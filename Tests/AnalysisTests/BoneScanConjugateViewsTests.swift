import Foundation
import Testing
@testable import Analysis
import Imaging

/// An analytic pair of whole-body views (4.8 mm pixels, 128 × 200) whose normal bone is known by construction: soft
/// tissue 40 counts per pixel, a spine bar (columns 62–66) at 300, two symmetric long-bone bars (columns 46–50 and
/// 78–82) at 250; the posterior view is the anterior one mirrored (a symmetric body seen from behind). Lesions are
/// 5 × 5 px blocks of `excess` counts per pixel added to both views at the conjugate places (so the 15 mm disc, the
/// 3 × 3 block, lies inside them). Noise: Poisson, drawn per pixel from a fixed-seed generator (normal approximation
/// with a continuity-rounded √λ spread: λ ≥ 40 everywhere).
private struct ConjugatePhantom {
    static let rows = 200, cols = 128
    var lesions: [(column: Int, row: Int, excess: Float)] = []

    func normal(_ c: Int, _ r: Int) -> Float {
        guard r >= 5, r <= 195, c >= 36, c <= 92 else { return 0 }
        if (62...66).contains(c), r >= 8 { return 300 }
        if ((46...50).contains(c) || (78...82).contains(c)), r >= 40 { return 250 }
        return 40
    }

    func views(noiseSeed: UInt64?) -> [PlanarViewImage] {
        var rng = SplitMix(state: noiseSeed ?? 0)
        var ant = [Float](repeating: 0, count: Self.rows * Self.cols), post = ant
        for r in 0..<Self.rows {
            for c in 0..<Self.cols {
                var a = normal(c, r), p = normal(Self.cols - 1 - c, r)
                for l in lesions {
                    if abs(c - l.column) <= 2 && abs(r - l.row) <= 2 { a += l.excess }
                    if abs((Self.cols - 1 - c) - l.column) <= 2 && abs(r - l.row) <= 2 { p += l.excess }
                }
                if noiseSeed != nil { a = rng.poisson(a); p = rng.poisson(p) }
                ant[r * Self.cols + c] = a; post[r * Self.cols + c] = p
            }
        }
        return [PlanarViewImage(name: "Anterior projection", rows: Self.rows, columns: Self.cols, pixelSpacing: [4.8, 4.8], counts: ant),
                PlanarViewImage(name: "Posterior projection", rows: Self.rows, columns: Self.cols, pixelSpacing: [4.8, 4.8], counts: post)]
    }
}

/// SplitMix64 and a Poisson draw (normal approximation for λ ≥ 30, Knuth's product method below).
private struct SplitMix {
    var state: UInt64
    mutating func next() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) / Double(1 << 53)
    }
    mutating func poisson(_ lambda: Float) -> Float {
        guard lambda > 0 else { return 0 }
        if lambda >= 30 {
            let u1 = max(next(), 1e-300), u2 = next()
            let g = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            return Float(max(0, (Double(lambda) + g * Double(lambda).squareRoot()).rounded()))
        }
        let l = exp(-Double(lambda))
        var k = 0.0, p = 1.0
        repeat { k += 1; p *= next() } while p > l
        return Float(k - 1)
    }
}

@Suite("Bone scan: conjugate views against the normal bone of the same structure")
struct BoneScanConjugateViewsTests {
    @Test("the calibrated significance is the closed form; the levels of the analytic skeleton are the constructed bone")
    func levels() {
        // (m − b) ÷ √(b/n + (f b)²): 1.5 × 400 over 400, 9 pixels, f = 0.1 → 200 ÷ √(44.44 + 1600).
        let z = BoneScanAnalysis.calibratedSignificance(mean: 600, level: 400, pixels: 9, floor: 0.1)
        #expect(abs(Double(z) - 200 / (400.0 / 9 + 1600).squareRoot()) < 1e-4)
        #expect(abs(Double(BoneScanAnalysis.calibratedSignificance(mean: 500, level: 400, pixels: 9, floor: 0)) - 100 / (400.0 / 9).squareRoot()) < 1e-4)
        var ph = ConjugatePhantom()
        ph.lesions = [(80, 100, 200)]
        let v = ph.views(noiseSeed: nil)[0]
        let m = BoneScanAnalysis.discMean(v.counts, rows: v.rows, columns: v.columns, radius: 15.0 / 2 / 4.8)
        // On the left bar with the lesion: along the bar 250 (the lesion's 5 px block reaches 2 px, the level's samples
        // start at 3 px, their disc touching 2 of the 12), mirrored bar 250; the disc mean is 450.
        let lesion = BoneScanAnalysis.normalBoneLevel(m, rows: v.rows, columns: v.columns, column: 80, row: 100, midline: 64, mirrorRows: 2)
        #expect(lesion.alongStructure == 250 && lesion.mirrored == 250 && lesion.level == 250, "\(lesion)")
        #expect(m[100 * v.columns + 80] == 450)
        // On the spine: the level along the spine, no mirror.
        let spine = BoneScanAnalysis.normalBoneLevel(m, rows: v.rows, columns: v.columns, column: 64, row: 60, midline: nil, mirrorRows: 2)
        #expect(spine.alongStructure == 300 && spine.mirrored == nil, "\(spine)")
    }

    /// Runs the conjugate pass alone (the top-hat and same-structure passes turned off) on the phantom.
    private func conjugateOnly(_ views: [PlanarViewImage], _ o: BoneScanAnalysis.Options) -> [BoneScanAnalysis.Lesion] {
        var off = o
        off.thresholdFactor = 1e9; off.structureThresholdFactor = 1e9; off.twoViewThresholdFactor = 1e9
        off.conjugatePass = true
        let a = BoneScanAnalysis(options: off)
        let g = views.map { BodyGeometry($0, smoothingSigma: 1) }
        var dets = zip(views, g).map { a.detect($0, body: $1) }
        #expect(dets.allSatisfy { $0.lesions.isEmpty })
        a.conjugateLesions(&dets, views: views, geometry: g)
        return dets.flatMap(\.lesions)
    }

    @Test("with Poisson noise, lesions are found as their analytic significance says: all at 10 σ, none at 2 σ, no false positives")
    func detectionRateFollowsAnalyticZ() throws {
        var o = BoneScanAnalysis.Options()
        o.conjugateLateralFloor = 0.05; o.conjugateMidlineFloor = 0.05
        o.conjugateLateralSignificance = 6; o.conjugateMidlineSignificance = 6
        // The analytic z of a lesion of excess e per view on the conjugate sum: normal 2·B (both views), disc of 9 px,
        // z = 2e ÷ √(2B/9 + (f·2B)²); solved for e at the wanted z.
        func excess(z: Double, bone: Double) -> Float {
            let b = 2 * bone
            return Float(z * (b / 9 + 0.05 * 0.05 * b * b).squareRoot() / 2)
        }
        var ph = ConjugatePhantom()
        var strong: [(Int, Int)] = [], weak: [(Int, Int)] = []
        for (k, row) in [50, 72, 94, 116, 138, 160, 182].enumerated() {
            // left bar (column 80) and spine (column 64) alternate strong and weak lesions, 22 rows apart.
            let z = k % 2 == 0 ? 10.0 : 2.0
            ph.lesions.append((80, row, excess(z: z, bone: 250)))
            ph.lesions.append((64, row + 11, excess(z: z, bone: 300)))
            if z > 6 { strong += [(80, row), (64, row + 11)] } else { weak += [(80, row), (64, row + 11)] }
        }
        var foundStrong = 0, foundWeak = 0, falsePositives = 0, runs = 0
        for seed in [UInt64(11), 12, 13] {
            let lesions = conjugateOnly(ph.views(noiseSeed: seed), o)
            runs += 1
            // A lesion found on the posterior view sits at the mirrored column.
            let places = lesions.map { l -> (Double, Double) in l.view.hasPrefix("Posterior") ? (Double(ConjugatePhantom.cols - 1) - l.column, l.row) : (l.column, l.row) }
            func hit(_ t: (Int, Int)) -> Bool { places.contains { hypot($0.0 - Double(t.0), $0.1 - Double(t.1)) <= 2.5 } }
            foundStrong += strong.filter(hit).count
            foundWeak += weak.filter(hit).count
            falsePositives += places.filter { p in !(strong + weak).contains { hypot(p.0 - Double($0.0), p.1 - Double($0.1)) <= 2.5 } }.count
        }
        // z = 10 with a threshold of 6: the Poisson part of the spread is under 1 σ here, so every one is found.
        #expect(foundStrong == strong.count * runs, "found \(foundStrong) of \(strong.count * runs)")
        // z = 2: none reaches 6.
        #expect(foundWeak == 0, "weak found \(foundWeak)")
        // Normal bone with noise (≈ 2 × 10⁴ body pixels per run): nothing reaches 6 σ.
        #expect(falsePositives == 0, "false positives \(falsePositives)")
    }

    @Test("a lesion on one side only is found; the same uptake on both sides (joints) is not")
    func symmetricUptakeIsNormal() throws {
        var o = BoneScanAnalysis.Options()
        o.conjugateLateralFloor = 0.05; o.conjugateLateralSignificance = 6
        var ph = ConjugatePhantom()
        ph.lesions = [(80, 120, 250), (48, 80, 250), (80, 80, 250)]
        let found = conjugateOnly(ph.views(noiseSeed: 5), o)
        let places = found.map { $0.view.hasPrefix("Posterior") ? (Double(ConjugatePhantom.cols - 1) - $0.column, $0.row) : ($0.column, $0.row) }
        #expect(places.contains { hypot($0.0 - 80, $0.1 - 120) <= 2.5 }, "\(places)")
        #expect(!places.contains { abs($0.1 - 80) <= 3 }, "\(places)")
    }
    @Test("with the hot-mirror rule, lesions on both mirrored bones are found (each read along its own bone); without it neither")
    func lesionsOnBothMirroredBones() throws {
        var o = BoneScanAnalysis.Options()
        o.conjugateLateralFloor = 0.05; o.conjugateLateralSignificance = 6
        var ph = ConjugatePhantom()
        // The same lesion on both long-bone bars at row 80, 250 counts over 250 of bone: on the disc means of the
        // conjugate sum M = 1000, the level along each bar 500 (the median of the discs at 3–8 px; only the one at
        // 3 px touches the 5 px block), the mirror 1000 = 2 × its own level along its bar: hot at a ratio of 1.3.
        ph.lesions = [(80, 80, 250), (48, 80, 250)]
        let v = ph.views(noiseSeed: nil)
        let sum = zip(v[0].counts, v[1].mirroredColumns().counts).map { $0 + $1 }
        let m = BoneScanAnalysis.discMean(sum, rows: v[0].rows, columns: v[0].columns, radius: 15.0 / 2 / 4.8)
        let level = BoneScanAnalysis.normalBoneLevel(m, rows: v[0].rows, columns: v[0].columns, column: 80, row: 80, midline: 64,
                                                     mirrorRows: 2, mirrorHotRatio: 1.3)
        #expect(level.alongStructure == 500 && level.mirrored == 1000 && level.mirroredAlongStructure == 500, "\(level)")
        #expect(level.mirroredHot && level.level == 500, "\(level)")
        func places(_ o: BoneScanAnalysis.Options) -> [(Double, Double)] {
            conjugateOnly(ph.views(noiseSeed: 7), o).map { $0.view.hasPrefix("Posterior") ? (Double(ConjugatePhantom.cols - 1) - $0.column, $0.row) : ($0.column, $0.row) }
        }
        // Analytic z along the bar on the sum: (1000 − 500) ÷ √(500/9 + (0.05 · 500)²) = 19 > 6; against the mirror 0.
        var hot = o
        hot.conjugateMirrorHotRatio = 1.3
        let withRule = places(hot)
        #expect(withRule.contains { hypot($0.0 - 80, $0.1 - 80) <= 2.5 } && withRule.contains { hypot($0.0 - 48, $0.1 - 80) <= 2.5 }, "\(withRule)")
        #expect(!places(o).contains { abs($0.1 - 80) <= 3 })
    }
}
