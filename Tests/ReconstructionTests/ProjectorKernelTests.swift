import Foundation
import Imaging
import Simulation
import Testing
@testable import Reconstruction

// The register-blocked (16-wide vector) projector kernels against the textbook sums written out here in Double,
// with row lengths that exercise the 64-, 16- and 1-wide paths (83 = 64 + 16 + 3), and the projector's
// inner-product identity ⟨Ax, y⟩ = ⟨x, Aᵀy⟩ on a grid deep enough to run the vector paths.
@Suite struct ProjectorKernels {
    func randomArray(_ n: Int, _ rng: inout SeededGenerator) -> [Float] { (0..<n).map { _ in Float(rng.uniform()) } }

    func kernel(_ K: Int, _ rng: inout SeededGenerator) -> [Float] { randomArray(2 * K + 1, &rng) }

    @Test(arguments: [0, 1, 4, 9, 90])
    func convolveZMatchesDirectSum(half K: Int) {
        var rng = SeededGenerator(seed: UInt64(7 + K))
        let nr = 3, nz = 83
        let inp = randomArray(nr * nz, &rng), w = kernel(K, &rng)
        var out = [Float](repeating: .nan, count: nr * nz)
        inp.withUnsafeBufferPointer { i in w.withUnsafeBufferPointer { wp in out.withUnsafeMutableBufferPointer { o in
            convolveZ(i.baseAddress!, o.baseAddress!, nr: nr, nz: nz, wp.baseAddress!, half: K)
        } } }
        var worst = 0.0
        for r in 0..<nr { for z in 0..<nz {
            var s = 0.0
            for t in -K...K where z + t >= 0 && z + t < nz { s += Double(w[K + t]) * Double(inp[r * nz + z + t]) }
            worst = max(worst, abs(Double(out[r * nz + z]) - s) / max(1, abs(s)))
        } }
        #expect(worst < 1e-5, "K = \(K): worst relative error \(worst)")
    }

    /// Even and odd numbers of output rows (rows are done in pairs), windows cut by [inLo, inHi].
    @Test(arguments: [(false, 13), (true, 13), (false, 12), (true, 12)])
    func convolveRRangeMatchesDirectSum(overwrite: Bool, outHi: Int) {
        var rng = SeededGenerator(seed: overwrite ? 11 : 12)
        let rowsIn = 14, nz = 83, K = 4, inLo = 3, inHi = 10, outLo = 0
        let inp = randomArray(rowsIn * nz, &rng), w = kernel(K, &rng)
        let start = randomArray(rowsIn * nz, &rng)
        var out = start
        inp.withUnsafeBufferPointer { i in w.withUnsafeBufferPointer { wp in out.withUnsafeMutableBufferPointer { o in
            convolveRRange(i.baseAddress!, inLo: inLo, inHi: inHi, o.baseAddress!, outLo: outLo, outHi: outHi, nz: nz,
                           wp.baseAddress!, half: K, overwrite: overwrite)
        } } }
        var worst = 0.0
        for o in 0..<rowsIn { for z in 0..<nz {
            if o > outHi { #expect(out[o * nz + z] == start[o * nz + z]); continue }  // rows outside: untouched
            var s = overwrite ? 0.0 : Double(start[o * nz + z])
            for k in -K...K where o + k >= inLo && o + k <= inHi { s += Double(w[k + K]) * Double(inp[(o + k) * nz + z]) }
            worst = max(worst, abs(Double(out[o * nz + z]) - s) / max(1, abs(s)))
        } }
        #expect(worst < 1e-5, "overwrite \(overwrite): worst relative error \(worst)")
    }

    @Test func bilinearRowsAreEachOthersTranspose() {
        var rng = SeededGenerator(seed: 5)
        let nz = 83
        let rows = (0..<4).map { _ in randomArray(nz, &rng) }
        let w: [Float] = [0.1, 0.2, 0.3, 0.4]
        var d = [Float](repeating: 0, count: nz)
        rows[0].withUnsafeBufferPointer { a in rows[1].withUnsafeBufferPointer { b in
        rows[2].withUnsafeBufferPointer { c in rows[3].withUnsafeBufferPointer { e in d.withUnsafeMutableBufferPointer { dp in
            bilinearRow(dp.baseAddress!, a.baseAddress!, b.baseAddress!, c.baseAddress!, e.baseAddress!,
                        w[0], w[1], w[2], w[3], nz: nz)
        } } } } }
        for z in 0..<nz {
            let s = (0..<4).reduce(0.0) { $0 + Double(w[$1]) * Double(rows[$1][z]) }
            #expect(abs(Double(d[z]) - s) < 1e-5)
        }
        var acc = [Float](repeating: 0, count: 4 * nz)
        let src = randomArray(nz, &rng)
        src.withUnsafeBufferPointer { s in acc.withUnsafeMutableBufferPointer { ap in
            let p = ap.baseAddress!
            bilinearRowAdjoint(s.baseAddress!, p, p + nz, p + 2 * nz, p + 3 * nz, w[0], w[1], w[2], w[3], nz: nz)
            bilinearRowAdjoint(s.baseAddress!, p, p + nz, p + 2 * nz, p + 3 * nz, w[0], w[1], w[2], w[3], nz: nz)
        } }
        for k in 0..<4 { for z in 0..<nz { #expect(abs(Double(acc[k * nz + z]) - 2 * Double(w[k]) * Double(src[z])) < 1e-5) } }
    }

    /// 83 slices: every row of the projector runs through the 64-, 16- and 1-wide paths.
    @Test func adjointWithVectorPaths() throws {
        let g = try SPECTGeometry(n: 10, slices: 83, voxelSizeMM: 4, sliceThicknessMM: 3,
                                  centre: Vector3(2, -1, 3), columns: 13, rows: 90, pixelSizeMM: 3.5,
                                  anglesDeg: SPECTGeometry.orbitAngles(views: 4, startDeg: 11), radiiMM: [45])
        var rng = SeededGenerator(seed: 77)
        var mu = cylinder(g, radius: 16).scaled(0.015)
        for i in 0..<mu.values.count where mu.values[i] > 0 { mu.values[i] *= Float(0.5 + rng.uniform()) }
        let model = try SystemModel(geometry: g, attenuation: AttenuationMap(muPerMM: mu),
                                    collimator: CollimatorResponse(a: 0.04, b: 1, c: 3))
        var x = ReconVolume(geometry: g)
        for i in 0..<x.values.count { x.values[i] = Float(rng.uniform()) }
        var y = Projections(geometry: g)
        for i in 0..<y.values.count { y.values[i] = Float(rng.uniform()) }
        let lhs = dot(model.forward(x).values, y.values)
        let rhs = dot(x.values, model.back(y).values)
        #expect(lhs > 0)
        #expect(abs(lhs - rhs) / abs(lhs) < 2e-6, "⟨Ax,y⟩=\(lhs) ⟨x,Aᵀy⟩=\(rhs)")
    }

    /// IEEE: 2⁻¹³⁰ is subnormal; times 1 it stays 2⁻¹³⁰ unless flushed. The environment is restored afterwards.
    @Test func subnormalsFlushOnlyInsideTheProjectorScope() {
        let tiny = Float(sign: .plus, exponent: -130, significand: 1)
        #expect(tiny.isSubnormal)
        @inline(never) func times(_ a: Float, _ b: Float) -> Float { a * b }
        let inside = withSubnormalsFlushed { times(tiny, 1) }
        #if arch(x86_64) && os(Linux)
        #expect(inside == 0)
        #endif
        #expect(times(tiny, 1) == tiny)
    }
}
