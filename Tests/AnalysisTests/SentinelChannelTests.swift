import Foundation
import Imaging
import Testing
@testable import Analysis

/// Drainage order along the traced lymphatic channel (issue 18) on an analytic anterior view: tissue 2 counts per
/// pixel, an injection site (10 000, Gaussian σ 1.5 px) at (20, 100), node A (600) at (25, 20) and node B (300) at
/// (60, 60). B lies nearer the injection site (56.6 px) than A (80.2 px), but the drawn channel (6 counts over the
/// tissue, one pixel wide) runs from the injection site to A and on from A to B: along the channel A comes first and
/// B drains through A. Without the channel the order falls back to the distance through tissue (B first). The truth
/// is the construction, not an analysis output.
@Suite struct SentinelChannelTests {
    static let n = 128

    static func view(channel: Bool) -> PlanarViewImage {
        var c = [Float](repeating: 2, count: n * n)
        func line(_ a: (Double, Double), _ b: (Double, Double)) {
            let steps = Int(3 * max(abs(b.0 - a.0), abs(b.1 - a.1)))
            var done = Set<Int>()
            for k in 0...steps {
                let t = Double(k) / Double(steps)
                let col = Int((a.0 + t * (b.0 - a.0)).rounded()), row = Int((a.1 + t * (b.1 - a.1)).rounded())
                if done.insert(row * n + col).inserted { c[row * n + col] += 6 }
            }
        }
        if channel { line((20, 100), (25, 20)); line((25, 20), (60, 60)) }
        for (x, y, a) in [(20.0, 100.0, Float(10_000)), (25, 20, 600), (60, 60, 300)] {
            for r in 0..<n { for k in 0..<n {
                let d2 = (Double(k) - x) * (Double(k) - x) + (Double(r) - y) * (Double(r) - y)
                c[r * n + k] += a * Float(exp(-d2 / (2 * 1.5 * 1.5)))
            } }
        }
        return PlanarViewImage(name: "Anterior projection", rows: n, columns: n, pixelSpacing: [4, 4], counts: c, durationSeconds: 120)
    }

    static func node(_ r: SentinelNodeAnalysis.Result, near p: (Double, Double)) throws -> (Int, SentinelNodeAnalysis.Node) {
        let k = try #require(r.nodes.firstIndex { abs($0.column - p.0) <= 1.5 && abs($0.row - p.1) <= 1.5 },
                             "no node near \(p): \(r.nodes.map { ($0.column, $0.row) })")
        return (k, r.nodes[k])
    }

    @Test
    func drainageOrderFollowsTheChannel() throws {
        let r = try SentinelNodeAnalysis().analyze([Self.view(channel: true)])
        #expect(r.nodes.count == 2, "\(r.nodes.map { ($0.column, $0.row, $0.significance) })")
        let (ia, a) = try Self.node(r, near: (25, 20)), (_, b) = try Self.node(r, near: (60, 60))
        #expect(a.drainageOrder == 1 && b.drainageOrder == 2)
        #expect(a.channel?.upstreamNode == nil)
        // B drains through A: its traced path passes A (a visible channel costs the square of tissue ÷ counts).
        #expect(b.channel?.upstreamNode == ia)
        // The channel is seen (counts 8 on tissue 2) and its traced length follows the drawn one: 80.2 px to A.
        let ca = try #require(a.channel)
        #expect(ca.contrast > 2, "channel contrast \(ca.contrast)")
        #expect(abs(ca.lengthMM / 4 - 80.2) < 12, "length \(ca.lengthMM / 4) px outside the mask")
        // B is nearer by distance: the old rule would have put it first.
        #expect(b.distanceFromInjectionMM < a.distanceFromInjectionMM)
    }

    @Test
    func withoutAChannelTheOrderIsTheDistanceThroughTissue() throws {
        let r = try SentinelNodeAnalysis().analyze([Self.view(channel: false)])
        let (_, a) = try Self.node(r, near: (25, 20)), (_, b) = try Self.node(r, near: (60, 60))
        #expect(b.drainageOrder == 1 && a.drainageOrder == 2)
        #expect(a.channel?.upstreamNode == nil && b.channel?.upstreamNode == nil)
        withKnownIssue("open (issue 18): without a drawn channel the path crosses the injection halo, contrast ≈ 1.6") {
            #expect(abs((a.channel?.contrast ?? 0) - 1) < 0.2, "no channel drawn: contrast \(a.channel?.contrast ?? 0)")
        }
    }
}
