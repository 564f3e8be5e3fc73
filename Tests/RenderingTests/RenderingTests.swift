import Foundation
import Imaging
import Testing
@testable import Rendering

struct RenderingTests {
    @Test func pngRoundTripThroughLibpng() throws {
        let px: [UInt8] = (0..<(5 * 3 * 3)).map { UInt8($0 * 5 % 256) }
        let r = Raster(width: 5, height: 3, channels: 3, pixels: px)
        let png = try PNG.encode(r)
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        let back = try PNG.decode(png)
        #expect(back.width == 5 && back.height == 3)
        for n in 0..<15 { #expect(Array(back.pixels[(4 * n)..<(4 * n + 3)]) == Array(px[(3 * n)..<(3 * n + 3)])) }
    }

    @Test func colourMapsEndpoints() {
        #expect(ColorMap.gray.rgb(0) == (0, 0, 0) && ColorMap.gray.rgb(1) == (255, 255, 255))
        #expect(ColorMap.hot.rgb(1) == (255, 255, 255) && ColorMap.hot.rgb(0) == (0, 0, 0))
        #expect(ColorMap.inverseGray.rgb(1) == (0, 0, 0))
    }

    /// A 4×3×2 volume whose voxel value encodes its index: v = i + 10 j + 100 k.
    func indexed() -> Volume {
        var v = [Float]()
        for k in 0..<2 { for j in 0..<3 { for i in 0..<4 { v.append(Float(i + 10 * j + 100 * k)) } } }
        return try! Volume(size: GridSize(x: 4, y: 3, z: 2), voxels: v, geometry: .axisAligned(spacing: Vector3(2, 3, 4)))
    }

    @Test func slicesFollowDisplayConventions() {
        let v = indexed()
        let ax = Render.slice(v, .axial, index: 1)
        #expect(ax.width == 4 && ax.height == 3 && ax.values[0] == 100 && ax.values[5] == 111)
        // Coronal: top row is the most superior slice (k = 1), columns run along +x.
        let co = Render.slice(v, .coronal, index: 2)
        #expect(co.width == 4 && co.height == 2 && co.values[0] == 120 && co.values[4] == 20)
        let sa = Render.slice(v, .sagittal, index: 3)
        #expect(sa.values[0] == 103 && sa.values[1] == 113)
        #expect(Render.mip(v, .coronal).values[0] == 120)   // max over j of i=0,k=1
        #expect(Render.mip(v, .axial).values[0] == 100)
    }

    @Test func niftiHeaderAndSform() {
        var v = indexed()
        v.geometry = ImageGeometry.axisAligned(origin: Vector3(-10, -20, 30), spacing: Vector3(2, 3, 4))
        let b = VolumeExport.nifti(v)
        func i16(_ o: Int) -> Int16 { Int16(littleEndian: b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: Int16.self) }) }
        func f32(_ o: Int) -> Float { Float(bitPattern: UInt32(littleEndian: b.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: o, as: UInt32.self) })) }
        #expect(i16(40) == 3 && i16(42) == 4 && i16(44) == 3 && i16(46) == 2 && i16(70) == 16)
        #expect(Array(b[344..<347]) == Array("n+1".utf8))
        // RAS = (−x, −y, z): srow_x = [−2, 0, 0, 10], srow_y = [0, −3, 0, 20], srow_z = [0, 0, 4, 30].
        #expect([f32(280), f32(292), f32(300), f32(308), f32(320), f32(324)] == [-2, 10, -3, 20, 4, 30])
        #expect(b.count == 352 + 24 * 4)
        #expect(f32(352 + 4 * 5) == 11)   // voxel (1,1,0)
    }

    @Test func svgPlotHasSeriesAndLabels() {
        let svg = SVGPlot(title: "TAC", xLabel: "time (h)", yLabel: "activity (MBq)",
                          series: [.init(label: "kidney", x: [4, 24, 96], y: [10, 6, 1])]).svg()
        #expect(svg.contains("<polyline") && svg.contains("time (h)") && svg.contains("kidney"))
    }
}
