import Foundation
import Imaging
import Testing

@Suite struct GeometryTests {
    @Test func indexToPatientAndBack() throws {
        // Oblique, anisotropic geometry: rows along (cos30, sin30, 0), columns along z.
        let c = cos(Double.pi / 6), s = sin(Double.pi / 6)
        let g = ImageGeometry(origin: Vector3(10, -20, 5), rowDirection: Vector3(c, s, 0),
                              columnDirection: Vector3(0, 0, -1), spacing: Vector3(2, 3, 4))
        // slice = row × column = (s·(−1) − 0, 0 − c·(−1), 0) = (−s, c, 0)
        #expect(abs(g.sliceDirection.x + s) < 1e-12 && abs(g.sliceDirection.y - c) < 1e-12)
        let p = g.patientPosition(1, 2, 3)
        // Hand computed: origin + 1·2·row + 2·3·col + 3·4·slice
        let expected = Vector3(10 + 2 * c - 12 * s, -20 + 2 * s + 12 * c, 5 - 6)
        #expect((p - expected).length < 1e-9)
        let idx = try g.continuousIndex(of: p)
        #expect((idx - Vector3(1, 2, 3)).length < 1e-9)
        #expect(g.isOrthonormal())
    }

    @Test func singularGeometryThrows() {
        let g = ImageGeometry(origin: .zero, rowDirection: Vector3(1, 0, 0), columnDirection: Vector3(1, 0, 0),
                              sliceDirection: Vector3(0, 0, 1), spacing: Vector3(1, 1, 1))
        #expect(throws: GeometryError.self) { try g.continuousIndex(of: .zero) }
        #expect(!g.isOrthonormal())
    }

    @Test func volumeIndexingIsXFastest() throws {
        let v = try Volume(size: GridSize(x: 3, y: 2, z: 2), voxels: (0..<12).map(Float.init), geometry: .axisAligned())
        #expect(v[2, 1, 1] == 11)
        #expect(v[1, 0, 1] == 7)
        #expect(Array(v.slice(1)) == [6, 7, 8, 9, 10, 11])
        #expect(throws: ImagingError.self) { try Volume(size: GridSize(x: 2, y: 2, z: 2), voxels: [1], geometry: .axisAligned()) }
    }
}

@Suite struct NMDomainTests {
    @Test func gantryAngles() {
        let cw = Rotation(number: 1, startAngle: 0.16, angularStep: 6, direction: .clockwise, numberOfViews: 60)
        #expect(abs(cw.gantryAngle(view: 1)! - 0.16) < 1e-12)
        #expect(abs(cw.gantryAngle(view: 60)! - 354.16) < 1e-9)
        let cc = Rotation(number: 1, startAngle: 10, angularStep: 3, direction: .counterClockwise, numberOfViews: 10)
        #expect(abs(cc.gantryAngle(view: 5)! - 358) < 1e-9)  // 10 − 12 = −2 → 358
        #expect(Rotation(number: 1, startAngle: 0).gantryAngle(view: 2) == nil)
    }

    @Test func projectionSetSelectsAndOrdersViews() throws {
        // 2 windows × 2 views, window 2 written in reverse view order (Siemens-style interleaving).
        let frames = [
            FrameIndex(frame: 0, energyWindow: 1, detector: 1, rotation: 1, angularView: 1, gantryAngle: 0),
            FrameIndex(frame: 1, energyWindow: 1, detector: 1, rotation: 1, angularView: 2, gantryAngle: 90),
            FrameIndex(frame: 2, energyWindow: 2, detector: 1, rotation: 1, angularView: 2, gantryAngle: 90),
            FrameIndex(frame: 3, energyWindow: 2, detector: 1, rotation: 1, angularView: 1, gantryAngle: 0),
        ]
        let counts: [Float] = (0..<16).map(Float.init)  // 4 frames of 2×2
        let acq = NMAcquisition(imageType: .tomo, energyWindows: [EnergyWindow(number: 1, ranges: []), EnergyWindow(number: 2, name: "W2", ranges: [EnergyRange(lowerKeV: 1, upperKeV: 2)])],
                                frames: frames, rows: 2, columns: 2, counts: counts)
        let p = try acq.projectionSet(energyWindow: 2, detector: 1)
        #expect(p.views == 2)
        #expect(p.angles == [0, 90])
        #expect(Array(p.view(0)) == [12, 13, 14, 15])  // frame 3 (view 1)
        #expect(Array(p.view(1)) == [8, 9, 10, 11])    // frame 2 (view 2)
        #expect(p.energyWindow.name == "W2")
        #expect(throws: ImagingError.self) { try acq.projectionSet(energyWindow: 3) }
        let planar = try acq.planarImage(frame: 1)
        #expect(planar.totalCounts == 4 + 5 + 6 + 7)
    }
}

/// Resampling through patient coordinates against values computed by hand.
struct ResampleTests {
    @Test func linearFieldIsReproducedExactlyOnAnotherGrid() throws {
        // Source: f(p) = 2x + 3y − z + 5 sampled on a 20³ grid of 2 mm from (−20, −20, −20).
        let sg = ImageGeometry.axisAligned(origin: Vector3(-20, -20, -20), spacing: Vector3(2, 2, 2))
        var vals = [Float]()
        for k in 0..<20 { for j in 0..<20 { for i in 0..<20 {
            let p = sg.patientPosition(i, j, k); vals.append(Float(2 * p.x + 3 * p.y - p.z + 5))
        } } }
        let src = try Volume(size: GridSize(x: 20, y: 20, z: 20), voxels: vals, geometry: sg)
        // Target: 7³ grid of 3.3 mm inside the source; trilinear interpolation is exact for a linear field.
        let tg = ImageGeometry.axisAligned(origin: Vector3(-9.1, -8.7, -10.2), spacing: Vector3(3.3, 3.3, 3.3))
        let out = try src.resampled(to: GridSize(x: 7, y: 7, z: 7), geometry: tg, outside: -999)
        for k in 0..<7 { for j in 0..<7 { for i in 0..<7 {
            let p = tg.patientPosition(i, j, k)
            #expect(abs(Double(out[i, j, k]) - (2 * p.x + 3 * p.y - p.z + 5)) < 1e-3)
        } } }
        // Outside the source: the fill value.
        let far = try src.resampled(to: GridSize(x: 1, y: 1, z: 1), geometry: .axisAligned(origin: Vector3(500, 0, 0)), outside: -999)
        #expect(far.voxels == [-999])
    }
}

/// The automatic emission-vs-CT check on volumes built here: an elliptic body on a table, with an arm in the CT that
/// holds little activity and a hot organ near one edge. Truth: the emission is placed with a known translation.
@Suite struct OutlineAgreementTests {
    static let n = 64, nz = 8
    static func volumes(shift: (Int, Int), armInCT: Bool = true) throws -> (Volume, Volume) {
        let n = Self.n, nz = Self.nz
        var ct = [Float](repeating: -1000, count: n * n * nz), em = [Float](repeating: 0, count: n * n * nz)
        for z in 0..<nz { for y in 0..<n { for x in 0..<n {
            let i = (z * n + y) * n + x
            let body = pow(Double(x - 32) / 20, 2) + pow(Double(y - 30) / 14, 2) <= 1
            let arm = armInCT && pow(Double(x - 57) / 4, 2) + pow(Double(y - 30) / 4, 2) <= 1
            let table = y >= 46 && y <= 47 && x >= 4 && x <= 60
            if body || arm || table { ct[i] = body ? 40 : (arm ? 60 : 300) }
            // Emission of the body, shifted; a hot organ near the anterior-left edge; none in the arm or table.
            let (ex, ey) = (x - shift.0, y - shift.1)
            if pow(Double(ex - 32) / 20, 2) + pow(Double(ey - 30) / 14, 2) <= 1 {
                em[i] = 10
                if pow(Double(ex - 40) / 5, 2) + pow(Double(ey - 20) / 5, 2) <= 1 { em[i] = 200 }
            }
        } } }
        let g = ImageGeometry.axisAligned(spacing: Vector3(4, 4, 4))
        return (try Volume(size: GridSize(x: n, y: n, z: nz), voxels: em, geometry: g),
                try Volume(size: GridSize(x: n, y: n, z: nz), voxels: ct, geometry: g))
    }

    @Test func inPlaceDespiteArmTableAndHotOrgan() throws {
        let (em, ct) = try Self.volumes(shift: (0, 0))
        let a = try #require(OutlineAgreement.measure(emission: em, ctHU: ct))
        #expect(a.agrees, "\(a.summary)")
        #expect(a.offsetVoxels.allSatisfy { abs($0) <= 0.5 }, "\(a.offsetVoxels)")
    }

    @Test(arguments: [(2, 0), (0, -3), (3, 2)])
    func translationIsMeasured(dx: Int, dy: Int) throws {
        let (em, ct) = try Self.volumes(shift: (dx, dy))
        let a = try #require(OutlineAgreement.measure(emission: em, ctHU: ct))
        #expect(!a.agrees, "\(a.summary)")
        #expect(abs(a.offsetVoxels[0] - Double(dx)) <= 1 && abs(a.offsetVoxels[1] - Double(dy)) <= 1, "\(a.offsetVoxels)")
    }

    @Test func emissionOutsideTheCT() throws {
        let (em, ct) = try Self.volumes(shift: (0, 0))
        var empty = ct
        empty.voxels = [Float](repeating: -1000, count: ct.voxels.count)
        let a = try #require(OutlineAgreement.measure(emission: em, ctHU: empty))
        #expect(!a.agrees && a.fractionInBody == 0, "\(a.summary)")
    }
}
