import Foundation
import Testing
@testable import Analysis
import DICOMImaging
import Imaging
import Simulation
import Workflows

/// VOI tools on a quantitative SPECT image (NM RECON TOMO in Bq/mL) with an organ defined on CT by HU.
@Suite struct QuantVOITests {
    @Test func ctDefinedOrganOnABqPerMLReconTomo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scinti-quantvoi-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // An organ box 40 × 40 × 64 mm = 102.4 mL whose faces lie on voxel boundaries of both grids (4 mm SPECT,
        // 2 mm CT, both centred), 8000 Bq/mL; body 1000 Bq/mL; a 24 mm hot sphere of 30 000 Bq/mL.
        let box = Box3(min: Vector3(20, -20, -32), max: Vector3(60, 20, 32))
        func phantom(_ body: Double, _ organ: Double, _ sphere: Double) -> Phantom {
            Phantom(name: "q", compartments: [
                Compartment(name: "body", shape: .cylinder(centerX: 0, centerY: 0, radiusX: 76, radiusY: 76, zMin: -100, zMax: 100), material: .water, concentrationBqPerML: body),
                Compartment(name: "organ", shape: .box(box), material: .water, concentrationBqPerML: organ),
                Compartment(name: "sphere", shape: .sphere(center: Vector3(-40, 0, 0), radius: 12), material: .water, concentrationBqPerML: sphere),
            ])
        }
        let spectSize = GridSize(x: 40, y: 40, z: 20)
        var spect = Voxelizer.voxelize(phantom(1000, 8000, 30000), size: spectSize,
                                       geometry: Voxelizer.centredGrid(size: spectSize, spacing: Vector3(4, 4, 4)), subsamples: 3).activity()
        let study = StudyAttributes(studyDate: "20240101", studyTime: "120000")
        spect.frameOfReferenceUID = study.frameOfReferenceUID
        try ReconTomo.write(spect, info: ReconTomoInfo(source: nil, frameOfReferenceUID: study.frameOfReferenceUID,
                                                       seriesDescription: "test Bq/mL", provenance: "synthetic"), to: "\(dir)/spect.dcm")
        // CT: air −1000, body 40 HU, organ 700 HU (values + 1000 painted, then shifted).
        let ctSize = GridSize(x: 80, y: 80, z: 40)
        var ct = Voxelizer.voxelize(phantom(1040, 1700, 1040), size: ctSize,
                                    geometry: Voxelizer.centredGrid(size: ctSize, spacing: Vector3(2, 2, 2)), subsamples: 2).activity()
        ct.voxels = ct.voxels.map { $0 - 1000 }
        ct.units = "HU"
        try CTSeriesWriter.write(ct, study: study, series: SeriesAttributes(seriesDescription: "CT"), to: "\(dir)/CT")

        let r = try QuantVOIJob.run(imagePath: "\(dir)/spect.dcm",
                                    options: .init(ct: "\(dir)/CT", ctOrgans: [CTOrganDefinition(name: "organ", minHU: 500, maxHU: 1000)],
                                                   search: HotspotSearch(detectionSUV: 15000)))
        let organ = try #require(r.organs.first)
        #expect(organ.statistics.voxelCount == 10 * 10 * 16)
        #expect(abs(organ.statistics.volumeML - 102.4) < 1e-6)
        #expect(abs(organ.statistics.mean - 8000) / 8000 < 0.001, "mean \(organ.statistics.mean)")
        #expect(abs(organ.totalActivityMBq! - 0.8192) / 0.8192 < 0.001)
        #expect(abs(organ.statistics.peak! - 8000) / 8000 < 0.001)
        let h = try #require(r.hotspots.first)
        #expect(abs(h.suvMax - 30000) / 30000 < 0.001)
        #expect(abs(h.centerMM[0] + 40) < 1 && abs(h.centerMM[1]) < 1 && abs(h.centerMM[2]) < 1)
        #expect(r.units?.lowercased() == "bq/ml")
    }

    /// SEG-defined VOI: the corpus dcmqi liver segmentation, on an image built on the SEG's own grid with 1100 Bq/mL
    /// inside the segment and 100 outside: the VOI must hold exactly the segment's voxels at 1100 Bq/mL.
    @Test func segSegmentOnItsOwnGrid() throws {
        guard let corpus = petCorpus() else { print("skipped: ../shared/corpus not found (liver SEG)"); return }
        let seg = try SegmentationReader.read(path: "\(corpus)/other/liver_seg.dcm")
        let mask = try #require(seg.segments.first).mask
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scinti-segvoi-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var img = mask
        img.voxels = mask.voxels.map { $0 >= 0.5 ? 1100 : 100 }
        img.units = "Bq/ml"
        try ReconTomo.write(img, info: ReconTomoInfo(source: nil, frameOfReferenceUID: mask.frameOfReferenceUID,
                                                     seriesDescription: "on SEG grid", provenance: "synthetic"), to: "\(dir)/img.dcm")
        var o = QuantVOIJob.Options(segmentation: "\(corpus)/other/liver_seg.dcm")
        o.peakVoxelLimit = 0    // the peak search over a 512² liver is slow in a debug build; covered elsewhere
        let r = try QuantVOIJob.run(imagePath: "\(dir)/img.dcm", options: o)
        let organ = try #require(r.organs.first)
        let n = mask.voxels.filter { $0 >= 0.5 }.count
        #expect(n > 0)
        #expect(organ.statistics.voxelCount == n)
        #expect(abs(organ.statistics.mean - 1100) < 0.1)
        #expect(abs(organ.statistics.max - 1100) < 0.1)
        #expect(organ.statistics.peak == nil && r.warnings.contains { $0.contains("no peak") })
    }
}
