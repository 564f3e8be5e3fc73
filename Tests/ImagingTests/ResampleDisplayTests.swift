import Foundation
import Imaging
import Testing

/// The display resampling (block average, then trilinear; separable for axis-aligned grids) against a linear field
/// computed here (box averages and trilinear interpolation reproduce a linear field exactly) and against the general
/// trilinear path on random values.
struct ResampleDisplayTests {
    /// f(p) = 2x − 3y + 0.5z + 7 at patient position p (mm).
    static func field(_ p: Vector3) -> Double { 2 * p.x - 3 * p.y + 0.5 * p.z + 7 }

    /// A 1 × 1 × 2.5 mm source grid of 48 × 40 × 30 sampling the field (a CT-like fine grid).
    static func source() throws -> Volume {
        let g = ImageGeometry.axisAligned(origin: Vector3(-24, -20, -30), spacing: Vector3(1, 1, 2.5))
        var v = [Float]()
        for k in 0..<30 { for j in 0..<40 { for i in 0..<48 { v.append(Float(field(g.patientPosition(i, j, k)))) } } }
        return try Volume(size: GridSize(x: 48, y: 40, z: 30), voxels: v, geometry: g)
    }

    @Test func linearFieldOnACoarserGridIsExact() throws {
        let src = try Self.source()
        // A 4.4 mm grid (blocks of 4 × 4 × 1) inside the source, the emission-like target.
        let tg = ImageGeometry.axisAligned(origin: Vector3(-14.3, -11.1, -18.7), spacing: Vector3(4.4, 4.4, 4.4))
        let out = try src.resampledForDisplay(to: GridSize(x: 7, y: 6, z: 9), geometry: tg, outside: -1000)
        #expect(out.size == GridSize(x: 7, y: 6, z: 9) && out.geometry == tg)
        for k in 0..<9 { for j in 0..<6 { for i in 0..<7 {
            #expect(abs(Double(out[i, j, k]) - Self.field(tg.patientPosition(i, j, k))) < 2e-3)
        } } }
    }

    @Test func permutedAndFlippedAxesAreExactToo() throws {
        let src = try Self.source()
        // Target columns run towards −y, rows towards +x, slices towards −z (a sagittal-like, reversed grid).
        let tg = ImageGeometry(origin: Vector3(-10.2, 8.9, 30.3), rowDirection: Vector3(0, -1, 0), columnDirection: Vector3(1, 0, 0),
                               sliceDirection: Vector3(0, 0, -1), spacing: Vector3(3.1, 5.2, 6.4))
        let out = try src.resampledForDisplay(to: GridSize(x: 8, y: 5, z: 8), geometry: tg, outside: -1000)
        for k in 0..<8 { for j in 0..<5 { for i in 0..<8 {
            #expect(abs(Double(out[i, j, k]) - Self.field(tg.patientPosition(i, j, k))) < 2e-3)
        } } }
    }

    @Test func separableEqualsBlockAverageThenTrilinearIncludingEdgesAndOutside() throws {
        // Random values; a target that overhangs the source on every side (clamped edges, outside voxels).
        var rng = SystemRandomNumberGenerator()
        let sg = ImageGeometry.axisAligned(origin: Vector3(3, -7, 11), spacing: Vector3(0.9, 1.1, 2))
        let src = try Volume(size: GridSize(x: 37, y: 29, z: 13), voxels: (0..<(37 * 29 * 13)).map { _ in Float.random(in: -1000...1500, using: &rng) },
                             geometry: sg)
        let tg = ImageGeometry.axisAligned(origin: Vector3(-2, -12, 6), spacing: Vector3(3.7, 4.2, 4.1))
        let size = GridSize(x: 12, y: 10, z: 9)
        let fast = try src.resampledForDisplay(to: size, geometry: tg, outside: -1000)
        let slow = try src.blockAveraged(towards: tg.spacing).resampled(to: size, geometry: tg, outside: -1000)
        #expect(fast.voxels.contains(-1000) && fast.voxels.contains { $0 != -1000 })
        for n in 0..<size.count {
            #expect(abs(fast.voxels[n] - slow.voxels[n]) <= 1e-3 * max(1, abs(slow.voxels[n])), "voxel \(n)")
        }
    }

    @Test func obliqueGridFallsBackToTheGeneralPath() throws {
        let src = try Self.source()
        let c = cos(0.3), s = sin(0.3)
        let tg = ImageGeometry(origin: Vector3(-8, -6, -15), rowDirection: Vector3(c, s, 0), columnDirection: Vector3(-s, c, 0),
                               sliceDirection: Vector3(0, 0, 1), spacing: Vector3(3, 3, 5))
        let out = try src.resampledForDisplay(to: GridSize(x: 4, y: 4, z: 5), geometry: tg, outside: -1000)
        for k in 0..<5 { for j in 0..<4 { for i in 0..<4 {
            #expect(abs(Double(out[i, j, k]) - Self.field(tg.patientPosition(i, j, k))) < 2e-3)
        } } }
    }
}
