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
}
