import Foundation
import Imaging
import Physics
import Testing
@testable import Dosimetry

/// The geometric transfer matrix (``SpillCorrection``) against an image made independently: uniform regions of known
/// concentration blurred by a direct (non-separable) 3-D Gaussian convolution written in the test.
@Suite struct SpillCorrectionTests {
    /// Direct 3-D convolution with a Gaussian of σ voxels (kernel ±⌈3σ⌉, normalised over the whole kernel, zero
    /// outside the grid): the truth the separable production blur and the GTM are checked against.
    static func directBlur(_ a: [Float], _ n: Int, sigma: Double) -> [Float] {
        let r = Int(ceil(3 * sigma))
        var w: [Double] = []
        for k in -r...r { for j in -r...r { for i in -r...r { w.append(exp(-Double(i * i + j * j + k * k) / (2 * sigma * sigma))) } } }
        let sum = w.reduce(0, +)
        var out = [Float](repeating: 0, count: a.count)
        for z in 0..<n { for y in 0..<n { for x in 0..<n where a[x + n * (y + n * z)] != 0 {
            let v = Double(a[x + n * (y + n * z)])
            var m = 0
            for k in -r...r { for j in -r...r { for i in -r...r {
                defer { m += 1 }
                let (p, q, s) = (x + i, y + j, z + k)
                guard p >= 0, q >= 0, s >= 0, p < n, q < n, s < n else { continue }
                out[p + n * (q + n * s)] += Float(v * w[m] / sum)
            } } }
        } } }
        return out
    }

    @Test func transferMatrixRecoversTheTrueActivitiesOfAdjacentRegions() throws {
        // 22³ grid of 4 mm voxels, PSF FWHM 10 mm: a hot "organ" box touching a warm "neighbour" box, a cold shell and
        // a uniform body around them.
        let n = 22, mm = 4.0, fwhm = 10.0
        let size = GridSize(x: n, y: n, z: n), sp = Vector3(mm, mm, mm)
        func box(_ x: ClosedRange<Int>, _ y: ClosedRange<Int>, _ z: ClosedRange<Int>) -> [Bool] {
            (0..<size.count).map { i in x.contains(i % n) && y.contains((i / n) % n) && z.contains(i / (n * n)) }
        }
        let organ = box(7...12, 7...14, 6...15)
        var neighbour = box(13...16, 7...14, 6...15)
        for i in neighbour.indices where organ[i] { neighbour[i] = false }
        let body = box(2...19, 2...19, 2...19)
        // The organ's face at x = 6 is a partial layer (40 % organ, 60 % the shell's tissue), as a segmentation's edge.
        var organW: [Float] = organ.map { $0 ? 1 : 0 }
        for (i, f) in box(6...6, 7...14, 6...15).enumerated() where f { organW[i] = 0.4 }
        let regions = SpillCorrection.regions(organs: [.init(name: "organ", weights: organW, voi: "organ"), .init(name: "neighbour", mask: neighbour, voi: "neighbour")],
                                              body: body, shellMM: 8, size: size, spacing: sp)
        #expect(regions.map(\.name) == ["organ", "neighbour", "organ background shell", "neighbour background shell", "rest of body"])
        // Regions are disjoint and cover the body.
        for i in 0..<size.count { #expect(regions.reduce(Float(0)) { $0 + $1.weights[i] } == (body[i] ? 1 : 0)) }
        // True concentrations (Bq/mL): organ 1000, neighbour 3000, shells 150 and 50, rest 100.
        let conc: [Double] = [1000, 3000, 150, 50, 100]
        var truth = [Float](repeating: 0, count: size.count)
        for (r, c) in zip(regions, conc) { for i in r.weights.indices { truth[i] += r.weights[i] * Float(c) } }
        let sigma = fwhm / 2.3548200450309493 / mm
        let image = Self.directBlur(truth, n, sigma: sigma)
        // The separable production blur equals the direct convolution.
        let separable = GaussianFilter.smooth(truth, size: size, sigmaVoxels: (sigma, sigma, sigma), edges: .zero)
        let peak = image.max()!
        #expect(zip(image, separable).allSatisfy { abs($0 - $1) < 1e-4 * peak })
        let gtm = try SpillCorrection(regions: regions, fwhmMM: fwhm, size: size, spacing: sp)
        let est = try gtm.activitiesMBq(image)
        let voxelML = mm * mm * mm / 1000
        for (j, r) in regions.enumerated() {
            let trueMBq = conc[j] * r.weights.reduce(0.0) { $0 + Double($1) } * voxelML / 1e6
            #expect(abs(est[j] / trueMBq - 1) < 1e-3, "\(r.name): GTM \(est[j]) MBq vs truth \(trueMBq) MBq")
        }
        // The plain VOI sum of the organ is far off (spill-out to the cold shell, spill-in from the neighbour), so the
        // check above is not trivially met.
        let naive = organ.indices.filter { organ[$0] }.reduce(0.0) { $0 + Double(image[$1]) } * voxelML / 1e6
        let organMBq = conc[0] * organW.reduce(0.0) { $0 + Double($1) } * voxelML / 1e6
        #expect(abs(naive / organMBq - 1) > 0.05)
        #expect(gtm.region(forVOI: "organ") == 0 && gtm.region(forVOI: "rest of body") == nil)
        // Bad input: overlapping regions and a grid mismatch are errors naming the region or the sizes.
        #expect(throws: DosimetryError.self) { try SpillCorrection(regions: [.init(name: "a", mask: organ), .init(name: "b", mask: organ)], fwhmMM: fwhm, size: size, spacing: sp) }
        #expect(throws: DosimetryError.self) { try gtm.activitiesMBq([1, 2, 3]) }
    }

    @Test func dilationIsABallOfWholeVoxels() {
        // A single voxel dilated by 2 voxels (9.6 mm at 4.8 mm) is the 33 voxels with i² + j² + k² ≤ 4.
        let s = GridSize(x: 9, y: 9, z: 9)
        var m = [Bool](repeating: false, count: s.count); m[4 + 9 * (4 + 9 * 4)] = true
        let d = SpillCorrection.dilate(m, s, radiusMM: 9.6, spacing: Vector3(4.8, 4.8, 4.8))
        var expected = 0
        for k in -2...2 { for j in -2...2 { for i in -2...2 where i * i + j * j + k * k <= 4 { expected += 1 } } }
        #expect(d.filter { $0 }.count == expected && expected == 33)
        // Anisotropic voxels: 2 voxels in x and y (4 mm), 1 in z (8 mm) for 8 mm.
        let a = SpillCorrection.dilate(m, s, radiusMM: 8, spacing: Vector3(4, 4, 8))
        #expect(a[4 + 9 * (4 + 9 * 5)] && !a[4 + 9 * (4 + 9 * 6)] && a[6 + 9 * (4 + 9 * 4)] && !a[7 + 9 * (4 + 9 * 4)])
    }
}
