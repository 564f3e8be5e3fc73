import Imaging
import Testing
@testable import Workflows

struct StitchingTests {
    func bed(zOrigin: Double, slices: Int, value: (Double) -> Float) throws -> Volume {
        let g = ImageGeometry.axisAligned(origin: Vector3(-4, -4, zOrigin), spacing: Vector3(4, 4, 4))
        var v = [Float]()
        for k in 0..<slices { let z = zOrigin + Double(k) * 4; for _ in 0..<9 { v.append(value(z)) } }
        return try Volume(size: GridSize(x: 3, y: 3, z: slices), voxels: v, geometry: g, units: "Bq/ml")
    }

    @Test func twoBedsOfTheSameFieldJoinWithoutAStep() throws {
        // The same linear field f(z) = 100 + z seen by two beds overlapping by 5 slices: the stitched volume must be
        // f everywhere (exact: blending two equal values), cover both ranges, and keep each bed's values outside.
        let f: (Double) -> Float = { Float(100 + $0) }
        let a = try bed(zOrigin: 0, slices: 20, value: f), b = try bed(zOrigin: 60, slices: 20, value: f)
        let (s, note) = try Stitching.stitch([a, b])
        #expect(s.size.z == 35)
        #expect(s.geometry.origin.z == 0)
        for k in 0..<35 { #expect(abs(s[1, 1, k] - f(Double(k) * 4)) < 1e-3, "slice \(k)") }
        #expect(note.contains("5 overlapping slices"))
    }

    @Test func overlapWeightsFavourTheBedCentre() throws {
        // Bed A reads 10, bed B reads 20 everywhere; in the overlap the weight moves linearly from A to B.
        let a = try bed(zOrigin: 0, slices: 10, value: { _ in 10 }), b = try bed(zOrigin: 24, slices: 10, value: { _ in 20 })
        let (s, _) = try Stitching.stitch([a, b])
        // Overlap: z 24…36 (slices 6…9). At z = 24 A's edge distance is 3.5 slices, B's 0.5: (10·3.5 + 20·0.5)/4 = 11.25.
        #expect(abs(s[0, 0, 6] - 11.25) < 1e-4)
        #expect(s[0, 0, 5] == 10 && s[0, 0, 10] == 20)
        let values = (6...9).map { s[0, 0, $0] }
        #expect(values == values.sorted())
    }

    @Test func mismatchedGridsAreRefused() throws {
        let a = try bed(zOrigin: 0, slices: 5, value: { _ in 1 })
        var b = try bed(zOrigin: 10, slices: 5, value: { _ in 1 })
        b.geometry.origin.x += 4
        #expect(throws: WorkflowError.self) { try Stitching.stitch([a, b]) }
    }
}
