import DICOM
import Foundation
import Imaging
import Testing
@testable import DICOMImaging

struct ReconTomoTests {
    @Test func writeReadRoundTripKeepsGeometryAndBqPerML() throws {
        // A 6×5×4 volume with known values (0 … 11.9 kBq/mL) on an offset, anisotropic grid.
        let n = 6 * 5 * 4
        let values = (0..<n).map { Float($0) * 100 }
        let geometry = ImageGeometry.axisAligned(origin: Vector3(-12.5, 30, -200), spacing: Vector3(4.4, 4.4, 3.3))
        let v = try Volume(size: GridSize(x: 6, y: 5, z: 4), voxels: values, geometry: geometry, units: "Bq/ml")
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("recon-\(UUID().uuidString).dcm").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try ReconTomo.write(v, info: ReconTomoInfo(source: nil, frameOfReferenceUID: "1.2.3.4", seriesDescription: "test",
                                                   provenance: "unit test"), to: path)
        let back = try ReconTomo.read(path: path)
        #expect(back.size == v.size)
        #expect(back.units == "Bq/ml")
        #expect(back.frameOfReferenceUID == "1.2.3.4")
        #expect(back.geometry.origin == geometry.origin)
        #expect(abs(back.geometry.spacing.x - 4.4) < 1e-9 && abs(back.geometry.spacing.z - 3.3) < 1e-9)
        // 16-bit quantisation: error at most half a step of max/65535.
        let step = Float(11_900) / 65535
        for (a, b) in zip(values, back.voxels) { #expect(abs(a - b) <= step / 2 + 1e-3) }
        // dciodvfy (dicom3tools), when installed, finds no error in it.
        if let errors = dciodvfyErrors(path) { #expect(errors.isEmpty, "dciodvfy: \(errors)") }
        // The NM reader sees a RECON TOMO with one slice per frame.
        let acq = try NMReader.read(path: path)
        #expect(acq.imageType == .reconTomo)
        #expect(acq.frames.count == 4)
    }
}

/// `dciodvfy -new` error lines for a file, or nil when dciodvfy is not installed.
func dciodvfyErrors(_ path: String) -> [String]? {
    let candidates = ["/usr/bin/dciodvfy", "/usr/local/bin/dciodvfy"]
    guard let exe = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
        print("dciodvfy not installed: skipping the IOD check"); return nil
    }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = ["-new", path]
    let pipe = Pipe()
    p.standardOutput = pipe; p.standardError = pipe
    guard (try? p.run()) != nil else { return nil }
    let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return out.split(separator: "\n").filter { $0.hasPrefix("Error") }.map(String.init)
}
