import DICOM
import DICOMImaging
import Foundation
import Imaging
import Testing
@testable import Workflows

/// The real GE Discovery 670 Lu-177 SPECT/CT (../shared/corpus; anonymised clinical data, read in place).
enum GECorpus {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/corpus").standardizedFileURL.path
    static let nm = root + "/nm/GE_D670_Lu177_TOMO_bed2_projections.dcm"
    static let ct = root + "/ct/GE_D670_CTAC"
    static var present: Bool { FileManager.default.fileExists(atPath: nm) && FileManager.default.fileExists(atPath: ct) }
}

@Suite(.enabled(if: GECorpus.present, "../shared/corpus with the GE D670 study is absent: skipped"))
struct GEDiscoveryReconTests {
    func tmp(_ name: String) -> String { FileManager.default.temporaryDirectory.appendingPathComponent("scinti-ge-\(UUID().uuidString)-\(name)").path }

    /// Body outline: a reconstruction of the 113 keV window (plenty of counts, no scatter correction), smoothed with
    /// a Gaussian of one voxel σ (FWHM 10.4 mm, as body contouring does) and thresholded at 2 % of its 99th percentile, against the CT body (μ > 0.005 /mm) on the same grid: the outline must lie within
    /// one voxel (median edge offset) and overlap well; mirrored anterior/posterior it must fit clearly worse.
    @Test func bodyOutlineLiesOnTheCT() throws {
        var o = ReconJob.Options(projections: GECorpus.nm, out: tmp("w1.dcm"))
        o.ct = GECorpus.ct; o.window = 1; o.scatter = .none; o.radionuclide = "Lu-177"   // the clinical 4 × 8
        o.postFilterFWHMmm = 10.4
        defer { try? FileManager.default.removeItem(atPath: o.out) }
        let out = try ReconJob.execute(o)
        let mu = try #require(out.muMap)
        let v = out.volume
        #expect(v.size == GridSize(x: 128, y: 128, z: 128))
        let (nx, ny, nz) = (v.size.x, v.size.y, v.size.z)
        let body = mu.voxels.map { $0 > 0.005 }
        let slices = (0..<nz).filter { z in (0..<(nx * ny)).reduce(0) { $0 + (body[z * nx * ny + $1] ? 1 : 0) } > 200 }
        let sorted = slices.flatMap { z in v.voxels[(z * nx * ny)..<((z + 1) * nx * ny)] }.sorted()
        let threshold = 0.02 * sorted[Int(Double(sorted.count - 1) * 0.99)]
        func metrics(_ value: (Int, Int, Int) -> Float) -> (dice: Double, medianEdge: Double) {
            var inter = 0, a = 0, b = 0
            var edges: [Double] = []
            for z in slices {
                var colsCT = [Bool](repeating: false, count: nx), colsR = colsCT, rowsCT = [Bool](repeating: false, count: ny), rowsR = rowsCT
                for y in 0..<ny { for x in 0..<nx {
                    let c = body[(z * ny + y) * nx + x], r = value(x, y, z) > threshold
                    if c { a += 1; colsCT[x] = true; rowsCT[y] = true }
                    if r { b += 1; colsR[x] = true; rowsR[y] = true }
                    if c && r { inter += 1 }
                } }
                for (p, q) in [(colsCT, colsR), (rowsCT, rowsR)] {
                    if let p0 = p.firstIndex(of: true), let q0 = q.firstIndex(of: true), let p1 = p.lastIndex(of: true), let q1 = q.lastIndex(of: true) {
                        edges += [Double(abs(q0 - p0)), Double(abs(q1 - p1))]
                    }
                }
            }
            edges.sort()
            return (2 * Double(inter) / Double(a + b), edges[edges.count / 2])
        }
        let asIs = metrics { x, y, z in v.voxels[(z * ny + y) * nx + x] }
        let mirroredAP = metrics { x, y, z in v.voxels[(z * ny + (ny - 1 - y)) * nx + x] }
        #expect(asIs.medianEdge <= 1, "median body-edge offset \(asIs.medianEdge) voxels")
        #expect(asIs.dice > 0.75, "Dice \(asIs.dice)")
        #expect(mirroredAP.dice < asIs.dice - 0.2, "anterior/posterior mirror fits too well: \(mirroredAP.dice) vs \(asIs.dice)")
    }

    /// The 208 keV window with TEW from its neighbours, CT attenuation and the MEGP response: the hottest voxels are
    /// inside the body and in soft tissue (kidneys, liver, tumours — not bone, lung or air: μ at 208 keV between
    /// 0.008 and 0.018 /mm, i.e. from fat/partial volume up to dense soft tissue, below cortical bone), the written RECON TOMO
    /// reads back with the CT's Frame of Reference, and dciodvfy finds no error.
    @Test func photopeakReconstructionIsAnatomicalAndConformant() throws {
        var o = ReconJob.Options(projections: GECorpus.nm, out: tmp("w2.dcm"))
        o.ct = GECorpus.ct; o.window = 2; o.radionuclide = "Lu-177"
        defer { try? FileManager.default.removeItem(atPath: o.out) }
        let out = try ReconJob.execute(o)
        #expect(out.result.scatter.contains("window 4") && out.result.scatter.contains("window 3"))
        #expect(out.result.psf.contains("MEGP"))
        let mu = try #require(out.muMap)
        let ct = try #require(out.ct)
        let top = out.volume.voxels.indices.sorted { out.volume.voxels[$0] > out.volume.voxels[$1] }.prefix(200)
        let inBody = top.filter { mu.voxels[$0] > 0.005 }.count
        let softTissue = top.filter { mu.voxels[$0] >= 0.008 && mu.voxels[$0] <= 0.018 }.count
        #expect(inBody == 200)
        #expect(softTissue >= 190, "\(softTissue) of the 200 hottest voxels in soft tissue")
        let back = try ReconTomo.read(path: o.out)
        #expect(back.frameOfReferenceUID == ct.frameOfReferenceUID)
        #expect(back.size == out.volume.size)
        if let errors = dciodvfyErrors(o.out) { #expect(errors.isEmpty, "dciodvfy: \(errors)") }
    }
}

/// `dciodvfy -new` error lines for a file, or nil when dciodvfy is not installed.
func dciodvfyErrors(_ path: String) -> [String]? {
    guard let exe = ["/usr/bin/dciodvfy", "/usr/local/bin/dciodvfy"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else { return nil }
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
