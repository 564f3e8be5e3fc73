import Foundation
import Testing
@testable import Imaging

/// `GaussianFilter` against a direct (non-separable) 3-D convolution written here, and its edge rules against what
/// they must do by definition.
@Suite struct GaussianFilterTests {
    /// Direct triple sum Σ g(dx) g(dy) g(dz) a(x+dx, y+dy, z+dz) with the textbook Gaussian, zero or clamped outside.
    static func direct(_ a: [Float], _ s: GridSize, sigma: (Double, Double, Double), clamp: Bool) -> [Float] {
        func kernel(_ sg: Double) -> [Double] {
            guard sg > 0 else { return [1] }
            let r = Int(ceil(3 * sg))
            let w = (-r...r).map { d in exp(-Double(d * d) / (2 * sg * sg)) }
            let t = w.reduce(0, +)
            return w.map { $0 / t }
        }
        let kx = kernel(sigma.0), ky = kernel(sigma.1), kz = kernel(sigma.2)
        let rx = kx.count / 2, ry = ky.count / 2, rz = kz.count / 2
        var out = [Float](repeating: 0, count: a.count)
        for z in 0..<s.z { for y in 0..<s.y { for x in 0..<s.x {
            var acc = 0.0
            for dz in -rz...rz { for dy in -ry...ry { for dx in -rx...rx {
                var (i, j, k) = (x + dx, y + dy, z + dz)
                if clamp { i = min(max(i, 0), s.x - 1); j = min(max(j, 0), s.y - 1); k = min(max(k, 0), s.z - 1) }
                guard i >= 0, j >= 0, k >= 0, i < s.x, j < s.y, k < s.z else { continue }
                acc += kx[dx + rx] * ky[dy + ry] * kz[dz + rz] * Double(a[i + s.x * (j + s.y * k)])
            } } }
            out[x + s.x * (y + s.y * z)] = Float(acc)
        } } }
        return out
    }

    static func randomGrid(_ s: GridSize, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        return (0..<(s.x * s.y * s.z)).map { _ in Float.random(in: 0...100, using: &g) }
    }

    /// Both edge rules against the direct triple sum, on a random grid with a different σ per axis.
    @Test(arguments: [
        (GridSize(x: 13, y: 9, z: 7), UInt64(3), [1.3, 0.8, 2.1], GaussianFilter.Edges.zero),
        (GridSize(x: 8, y: 11, z: 5), UInt64(4), [0.9, 1.7, 0.6], GaussianFilter.Edges.clamp),
    ])
    func equalsTheDirectConvolution(size s: GridSize, seed: UInt64, sigma: [Double], edges: GaussianFilter.Edges) {
        let a = Self.randomGrid(s, seed: seed)
        let f = GaussianFilter.smooth(a, size: s, sigmaVoxels: (sigma[0], sigma[1], sigma[2]), edges: edges)
        let d = Self.direct(a, s, sigma: (sigma[0], sigma[1], sigma[2]), clamp: edges == .clamp)
        #expect(zip(f, d).allSatisfy { abs($0 - $1) <= 1e-4 * 100 })
    }

    @Test func clampedEdgesKeepAConstant() {
        let s = GridSize(x: 8, y: 11, z: 5)
        let c = [Float](repeating: 42, count: s.x * s.y * s.z)
        #expect(GaussianFilter.smooth(c, size: s, sigmaVoxels: (2, 2, 2), edges: .clamp).allSatisfy { abs($0 - 42) < 1e-4 })
    }

    @Test func zeroEdgesConserveTheSumAwayFromTheEdgesOnly() {
        // A point in the middle of a large grid keeps its sum (the kernel is normalised); a point on the edge loses
        // the half of the kernel that falls outside: 1 − Σ_{d<0} w(d) of the x kernel, the sampled kernel's right half.
        let s = GridSize(x: 31, y: 31, z: 31), sg = 1.5
        var a = [Float](repeating: 0, count: s.x * s.y * s.z)
        a[15 + 31 * (15 + 31 * 15)] = 1
        let mid = GaussianFilter.smooth(a, size: s, sigmaVoxels: (sg, sg, sg), edges: .zero).reduce(0.0) { $0 + Double($1) }
        #expect(abs(mid - 1) < 1e-5)
        var e = [Float](repeating: 0, count: a.count)
        e[0 + 31 * (15 + 31 * 15)] = 1
        let edge = GaussianFilter.smooth(e, size: s, sigmaVoxels: (sg, sg, sg), edges: .zero).reduce(0.0) { $0 + Double($1) }
        let w = GaussianFilter.weights(sigma: sg), r = w.count / 2
        let kept = w[r...].reduce(0, +)
        #expect(abs(edge - kept) < 1e-5)
        // The kept fraction from the continuous Gaussian: the half on the grid's side plus the centre voxel's half
        // width, ½ + ½·erf(0.5 / (σ√2)) (sampled weights and the continuous integral agree to ~1 % at σ = 1.5).
        #expect(abs(kept - (0.5 + 0.5 * erf(0.5 / (sg * 2.0.squareRoot())))) < 0.01)
    }

    @Test func axesAtOrBelowTheMinimumSigmaAreLeftAlone() {
        let s = GridSize(x: 6, y: 6, z: 6)
        let a = Self.randomGrid(s, seed: 5)
        let f = GaussianFilter.smooth(a, size: s, sigmaVoxels: (0.2, 0, 0.1), edges: .clamp, minimumSigma: 0.2)
        #expect(f == a)
        #expect(GaussianFilter.weights(sigma: 0) == [1])
    }
}
