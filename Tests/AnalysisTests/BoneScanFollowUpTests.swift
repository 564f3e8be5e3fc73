import Foundation
import Imaging
import Testing
@testable import Analysis

/// Follow-up new lesions from the normalised difference image, on analytic whole-body pairs with Poisson noise whose
/// truth (where the new lesion is, by how much the activity changed) is the construction itself.
@Suite("Bone scan follow-up: new lesions by subtraction")
struct BoneScanFollowUpTests {
    static let rows = 200, cols = 64

    /// Expected counts of one view: soft tissue, a spine band, two long bones; `lesion` adds `excess` × the spine level
    /// over a disc of radius 1.6 px (15 mm at 4.8 mm pixels) at (column, row) of the anterior view.
    static func expected(scale: Double, lesion: (column: Int, row: Int, excess: Double)?) -> [Double] {
        var e = [Double](repeating: 0, count: rows * cols)
        for r in 5..<195 {
            for c in 12..<52 {
                var v = 20.0
                if (28...35).contains(c) { v = 150 }
                if (16...19).contains(c) || (44...47).contains(c) { v = 100 }
                if let l = lesion, hypot(Double(c - l.column), Double(r - l.row)) <= 1.6 { v += l.excess * 150 }
                e[r * cols + c] = v * scale
            }
        }
        return e
    }

    static func views(scale: Double, lesion: (column: Int, row: Int, excess: Double)?, seed: UInt64) -> [PlanarViewImage] {
        var g = SeededGenerator(seed: seed)
        let e = expected(scale: scale, lesion: lesion)
        let ant = e.map { Float(g.poisson($0)) }
        // Posterior: the same body seen from behind (columns mirrored), its own noise.
        var post = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows { for c in 0..<cols { post[r * cols + c] = Float(g.poisson(e[r * cols + (cols - 1 - c)])) } }
        return [PlanarViewImage(name: "Anterior projection", rows: rows, columns: cols, pixelSpacing: [4.7952, 4.7952], counts: ant),
                PlanarViewImage(name: "Posterior projection", rows: rows, columns: cols, pixelSpacing: [4.7952, 4.7952], counts: post)]
    }

    @Test("a faint new spine lesion (+40 % of the spine over 15 mm) is new on both views; no change gives no new lesion")
    func newLesionBySubtraction() throws {
        let baseline = Self.views(scale: 1, lesion: nil, seed: 11)
        // Follow-up: 80 % of the baseline activity, one new lesion on the spine at column 31, row 100 (anterior).
        let followUp = Self.views(scale: 0.8, lesion: (31, 100, 0.4), seed: 12)
        let r = try BoneScanAnalysis().compare(baseline: baseline, followUp: followUp)
        let f = try #require(r.normalisationFactor)
        #expect(abs(f * 0.8 - 1) < 0.03, "normalisation \(f), truth 1.25")
        let new = r.lesions.filter { $0.status == "new" }
        let ant = new.filter { $0.view == "Anterior projection" && hypot($0.column - 31, $0.row - 100) <= 2 }
        let post = new.filter { $0.view == "Posterior projection" && hypot($0.column - 32, $0.row - 100) <= 2 }
        #expect(ant.count == 1 && post.count == 1, "new lesions: \(new.map { ($0.view, $0.column, $0.row) })")
        #expect(new.count == 2, "only the true new lesion: \(new.map { ($0.view, $0.column, $0.row) })")
        #expect(r.pcwg3?.newLesions == 1, "one distinct new lesion (seen on both views)")
        // Same activity, no change: noise only, no new lesion.
        let same = try BoneScanAnalysis().compare(baseline: baseline, followUp: Self.views(scale: 1, lesion: nil, seed: 13))
        #expect(!same.lesions.contains { $0.status == "new" }, "\(same.lesions.map { ($0.view, $0.column, $0.row, $0.status ?? "") })")
    }

    /// A whole-body pair for the midline cases: the same body as ``expected(scale:lesion:)`` (soft tissue 20, spine band
    /// columns 28–35 at 150, long bones 100 counts per pixel), where the vertebra at rows 57–63 is normal but brighter
    /// (`vertebra` × the spine: the vertebral levels of a real spine differ), plus lesions that add `excess` × the spine
    /// level over a disc of `radius` px at (column, row) of the anterior view; the posterior view is the body seen from
    /// behind (columns mirrored) with its own Poisson noise.
    static func midlineViews(scale: Double, vertebra: Double, lesions: [(column: Int, row: Int, excess: Double, radius: Double)],
                             seed: UInt64) -> [PlanarViewImage] {
        var e = [Double](repeating: 0, count: rows * cols)
        for r in 5..<195 {
            for c in 12..<52 {
                var v = 20.0
                if (28...35).contains(c) { v = (57...63).contains(r) ? 150 * vertebra : 150 }
                if (16...19).contains(c) || (44...47).contains(c) { v = 100 }
                for l in lesions where hypot(Double(c - l.column), Double(r - l.row)) <= l.radius { v += l.excess * 150 }
                e[r * cols + c] = v * scale
            }
        }
        var g = SeededGenerator(seed: seed)
        let ant = e.map { Float(g.poisson($0)) }
        var post = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows { for c in 0..<cols { post[r * cols + c] = Float(g.poisson(e[r * cols + (cols - 1 - c)])) } }
        return [PlanarViewImage(name: "Anterior projection", rows: rows, columns: cols, pixelSpacing: [4.7952, 4.7952], counts: ant),
                PlanarViewImage(name: "Posterior projection", rows: rows, columns: cols, pixelSpacing: [4.7952, 4.7952], counts: post)]
    }

    /// The statuses of the follow-up lesions within 3 px of (column, row) of the anterior view and of its mirrored place
    /// on the posterior view.
    static func statuses(_ r: BoneScanAnalysis.Result, column: Double, row: Double) -> [String] {
        r.lesions.filter { l in
            let c = l.view.hasPrefix("Posterior") ? Double(cols - 1) - column : column
            return hypot(l.column - c, l.row - row) <= 3
        }.compactMap(\.status)
    }

    @Test("a new lesion on a normal vertebra brighter than its neighbours is new (the baseline has no lesion there)")
    func midlineNewLesionOnBrightVertebra() throws {
        // Truth by construction: the baseline's vertebra at rows 57–63 is normal bone 1.35 × the spine; the follow-up
        // adds a lesion (+1.0 × the spine over 15 mm) there. Against the spine's neighbours the baseline's 15 mm disc
        // reads ≈ 1.35 × 150 = 202 over ≈ 150 counts per pixel: (202 − 150) ÷ √(150 ÷ 9) ≈ 13 Poisson σ, a "focus" for a
        // Poisson test (the rule before, ≥ 6 σ, called such lesions progressing); the vertebral levels of a spine differ
        // by that much, so it is normal bone, and the lesion is new.
        let baseline = Self.midlineViews(scale: 1, vertebra: 1.35, lesions: [], seed: 21)
        let followUp = Self.midlineViews(scale: 0.9, vertebra: 1.35, lesions: [(31, 60, 1.0, 1.6)], seed: 22)
        let r = try BoneScanAnalysis().compare(baseline: baseline, followUp: followUp)
        let s = Self.statuses(r, column: 31, row: 60)
        #expect(!s.isEmpty && s.allSatisfy { $0 == "new" }, "statuses at the new lesion: \(s); all: \(r.lesions.map { ($0.view, $0.column, $0.row, $0.status ?? "", $0.baselineSignificance ?? .nan) })")
        #expect(r.pcwg3?.newLesions == 1, "one distinct new lesion")
    }

    @Test("a midline lesion already on the baseline (2 × the spine, missed by the baseline's hot-spot threshold) that grew is progressing, not new")
    func midlineProgressingLesion() throws {
        // Truth by construction: a 21 mm lesion of 2 × the spine (+1.0 × 150 counts per pixel) on the baseline at the
        // normal vertebra of row 60; on the follow-up it is 4 × the spine (+3.0 ×): net counts × 3, progressing. Its
        // baseline disc stands (300 − 150) ÷ √(150 ÷ 9 + (0.08 × 150)²) ≈ 11.8 calibrated σ over the spine (≥ 7).
        let baseline = Self.midlineViews(scale: 1, vertebra: 1, lesions: [(31, 60, 1.0, 2.2)], seed: 31)
        let followUp = Self.midlineViews(scale: 0.9, vertebra: 1, lesions: [(31, 60, 3.0, 2.2)], seed: 32)
        let r = try BoneScanAnalysis().compare(baseline: baseline, followUp: followUp)
        let s = Self.statuses(r, column: 31, row: 60)
        #expect(!s.isEmpty && s.allSatisfy { $0 == "progressing" }, "statuses at the grown lesion: \(s); all: \(r.lesions.map { ($0.view, $0.column, $0.row, $0.status ?? "", $0.ratio ?? .nan) })")
        #expect(!r.lesions.contains { $0.status == "new" }, "no new lesion: \(r.lesions.map { ($0.view, $0.column, $0.row, $0.status ?? "") })")
    }
}
