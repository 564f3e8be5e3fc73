import Foundation
import Imaging
import Testing
@testable import Analysis

/// Drainage order, depth and skin marker of the sentinel-node analysis (issue 18) on an analytic construction: a
/// elliptic-cylinder body (semi-axes 150 mm in x, 100 mm in y: anterior skin at y = −100) with a uniform activity (projected: ∝ the chord length), an injection
/// site and two nodes at known LPS positions, projected by hand onto an anterior view (columns along +x) and a left
/// lateral view (columns along +y), 4 mm pixels, row 0 at z = +254 mm. The truth (depth = node y − (−100) mm, skin
/// marker (x, −100, z)) follows from the construction, not from the analysis.
@Suite struct SentinelLocalisationTests {
    static let n = 128, dx = 4.0
    static let zTop = Double(n - 1) / 2 * dx

    /// A view: background over the body's extent along `axis`, Gaussian blobs (σ 1.5 px) at the given points.
    static func view(lateral: Bool, points: [(p: Vector3, amplitude: Float)]) -> PlanarViewImage {
        var c = [Float](repeating: 0, count: n * n)
        let half = Double(n - 1) / 2
        for r in 0..<n { for k in 0..<n {
            let u = (Double(k) - half) * dx, z = zTop - Double(r) * dx
            // Projected thickness of an elliptic cylinder (semi-axes 150 mm in x, 100 mm in y) along the z axis.
            let a = lateral ? 100.0 : 150.0
            c[r * n + k] = Float(40 * max(0, 1 - (u / a) * (u / a)).squareRoot())
            for (p, a) in points {
                let pu = lateral ? p.y : p.x
                let d2 = ((u - pu) * (u - pu) + (z - p.z) * (z - p.z)) / (dx * dx)
                c[r * n + k] += a * Float(exp(-d2 / (2 * 1.5 * 1.5)))
            }
        } }
        let origin = lateral ? Vector3(0, -half * dx, zTop) : Vector3(-half * dx, 0, zTop)
        return PlanarViewImage(name: lateral ? "Left lateral projection" : "Anterior projection", rows: n, columns: n, pixelSpacing: [dx, dx],
                               counts: c, origin: origin, rowDirection: lateral ? Vector3(0, 1, 0) : Vector3(1, 0, 0),
                               columnDirection: Vector3(0, 0, -1), durationSeconds: 120)
    }

    @Test func nodesInDrainageOrderWithDepthAndSkinMarker() throws {
        let injection = Vector3(20, -90, -150)
        let sentinel = Vector3(60, -60, 0)      // depth 40 mm, first along the channel
        let second = Vector3(80, -30, 80)       // depth 70 mm, further on
        let pts: [(p: Vector3, amplitude: Float)] = [(injection, 40_000), (sentinel, 2_000), (second, 600)]
        let r = try SentinelNodeAnalysis().analyze([Self.view(lateral: false, points: pts), Self.view(lateral: true, points: pts)])
        let located = try #require(r.located)
        #expect(located.count == 2, "\(r.nodes.map { ($0.view, $0.column, $0.row, $0.counts) })")
        for (k, truth) in [sentinel, second].enumerated() where k < located.count {
            let l = located[k]
            #expect(l.drainageOrder == k + 1)
            #expect(abs(l.positionMM[0] - truth.x) <= 4 && abs(l.positionMM[1] - truth.y) <= 4 && abs(l.positionMM[2] - truth.z) <= 4)
            #expect(abs(l.depthMM - (truth.y + 100)) <= 6, "depth \(l.depthMM) mm, truth \(truth.y + 100)")
            #expect(abs(l.skinMarkerMM[1] + 100) <= 6 && abs(l.skinMarkerMM[0] - truth.x) <= 4)
        }
        // Per view, drainage order 1 is the node nearest the injection site (the sentinel), also where it is hotter.
        for v in ["Anterior projection", "Left lateral projection"] {
            let first = try #require(r.nodes.first { $0.view == v && $0.drainageOrder == 1 })
            #expect(abs(first.percentOfHottest - 100) < 1e-9)
        }
    }

    @Test func oneViewGivesNoDepth() throws {
        let pts: [(p: Vector3, amplitude: Float)] = [(Vector3(20, -90, -150), 40_000), (Vector3(60, -60, 0), 2_000)]
        let r = try SentinelNodeAnalysis().analyze([Self.view(lateral: false, points: pts)])
        #expect(r.located == nil)
        #expect(r.nodes.allSatisfy { $0.drainageOrder != nil })
    }
}
