import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Simulation
import Testing
import Workflows
@testable import Analysis

/// The analyses as the server runs them (``Workflows/AnalysisJob``): the result and the display the viewer draws,
/// with the regions on the right frames of the stored file and where the simulated truth puts them.
@Suite("Analysis jobs and their displays (issue 7)")
struct AnalysisJobTests {
    @Test func runLengthEncodingRoundTrips() {
        var rng = SystemRandomNumberGenerator()
        for n in [0, 1, 7, 64 * 64] {
            for _ in 0..<5 {
                let m = (0..<n).map { _ in Bool.random(using: &rng) }
                let runs = ResultDisplay.runs(m)
                #expect(ResultDisplay.mask(runs: runs, count: n) == m)
                #expect(runs.count % 2 == 0 && runs.enumerated().allSatisfy { $0.offset % 2 == 0 || $0.element > 0 })
            }
        }
        #expect(ResultDisplay.runs([true, true, false, true]) == [0, 2, 3, 1])
        // Runs reaching outside the grid are clipped, not trusted.
        #expect(ResultDisplay.mask(runs: [2, 100, -5, 3, 1, -7], count: 4) == [false, false, true, true])
    }

    /// LVEF 45 %: the job's LVEF within 3 points of the count truth; one LV mask per time slot on the file frame that
    /// holds that slot's photopeak image (from the simulated acquisition's frame table, 3 energy windows interleaved),
    /// each with the pixel count the analysis used; the volume curve from 100 % (ED) down to 100 − LVEF (ES).
    @Test func lvefJobRegionsSitOnThePhotopeakFrames() throws {
        let study = FixtureA.gated[45]!
        let truth = try #require(study.truth.gated)
        let path = try FixtureA.write(study.acquisition, "job-gated45", heartRate: 70)
        let out = try AnalysisJob.run(.lvef, path: path, series: "1.2.3")
        let r = try JSONDecoder().decode(GatedBloodPoolLVEF.Result.self, from: Data(out.resultJSON.utf8))
        // The volume LVEF is the reference (docs/lvef.md), as in LVEFTests.
        let lvef = try #require(r.lvef, "LVEF not given: \(r.quality)")
        #expect(abs(lvef - truth.framedLVEFPercent) <= 3, "LVEF \(lvef) vs volume truth \(truth.framedLVEFPercent)")
        let d = out.display
        #expect(d.series == "1.2.3")
        let photopeak = study.acquisition.frames.filter { $0.energyWindow == 1 }.sorted { $0.timeSlot! < $1.timeSlot! }.map(\.frame)
        #expect(photopeak.count == 16)
        let lv = d.regions.filter { $0.label.hasPrefix("LV") }
        #expect(lv.map(\.frames) == photopeak.map { [$0] })
        for (k, g) in lv.enumerated() {
            let m = ResultDisplay.mask(runs: g.runs ?? [], count: 64 * 64)
            #expect(m.filter { $0 }.count == r.lvPixels[k])
        }
        let bg = try #require(d.regions.first { $0.label == "background" })
        #expect(Set(bg.frames) == Set(photopeak))
        #expect(lv[r.edFrame].label.hasSuffix("(ED)") && lv[r.esFrame].label.hasSuffix("(ES)"))
        let y = try #require(d.charts.first?.curves.first?.y)
        #expect(abs(y.max()! - 100) < 1e-9 && abs(y.min()! - (100 - lvef)) < 1e-6)
        #expect(d.summary.first == ["LVEF", String(format: "%.1f %%", lvef)])
        #expect(d.conventions["method"]?.contains("background") == true)
    }

    /// Sentinel nodes: every true node's projected pixel (from the set-up) has a node circle within 2 px on the
    /// frame of its view, with the 12 mm counting radius in pixels; the injection site is drawn on each view.
    @Test func sentinelJobCirclesSitOnTheTrueNodes() throws {
        let c = sentinelCases[0]
        let study = ClinicalStudies.sentinel(injection: c.injection, nodes: c.nodes, seed: c.seed)
        let path = try writeStudyB(study, name: "job-sentinel")
        let out = try AnalysisJob.run(.sentinel, path: path, series: "1.2.4")
        let nodes = out.display.regions.filter { $0.label.hasPrefix("node") }
        let angles = [0.0, 90.0]
        for (k, angle) in angles.enumerated() {
            // File frame k is detector k + 1 (one window): anterior (0°), then left lateral (90°).
            #expect(study.acquisition.frames.first { $0.frame == k }?.detector == k + 1)
            for n in c.nodes {
                let t = ClinicalStudies.projectedPixel(n.position, angleDeg: angle, columns: 128, rows: 128, pixelMM: 4.7952)
                let onFrame = nodes.filter { $0.frames == [k] }
                let d = onFrame.map { hypot($0.column! - t.column, $0.row! - t.row) }.min() ?? .infinity
                #expect(d <= 2, "view \(k): node \(n.name) truth (\(t.column), \(t.row)), nearest circle \(d) px")
            }
            #expect(out.display.regions.contains { $0.label.hasPrefix("injection") && $0.frames == [k] })
        }
        for n in nodes { #expect(abs(n.radius! - 12 / 4.7952) < 1e-6 && n.shape == "circle") }
        let result = try JSONDecoder().decode(SentinelNodeAnalysis.Result.self, from: Data(out.resultJSON.utf8))
        #expect(result.nodes.count == nodes.count)
    }

    /// Thyroid uptake 15 % (I-123 at 24 h) through the job with its four images: within 0.5 points of the set-up's
    /// truth, the neck region drawn on the neck image's photopeak frame, and the standard is required.
    @Test func thyroidUptakeJobWithItsInputs() throws {
        let n = try #require(Radionuclide.named("I-123"))
        let c = ClinicalStudies.thyroidUptake(nuclide: n, uptakePercent: 15, hoursAfterAdministration: 24, administeredMBq: 14.8,
                                               camera: FixtureA.camera(n, size: 64, pixel: 4.8), voxelMM: 3, seed: 15)
        let paths = try [("neck", c.neck), ("standard", c.standard), ("thigh", c.thigh), ("room", c.room)].map {
            try FixtureA.write($0.1.acquisition, "job-thyroid-\($0.0)")
        }
        let out = try AnalysisJob.run(.thyroidUptake, path: paths[0], series: "1.2.6",
                                      inputs: ["standard": paths[1], "thigh": paths[2], "room": paths[3]])
        let r = try JSONDecoder().decode(ThyroidUptake.Result.self, from: Data(out.resultJSON.utf8))
        #expect(abs(r.uptakePercent - c.uptakePercent) <= 0.5, "uptake \(r.uptakePercent) vs truth \(c.uptakePercent)")
        let photopeak = c.neck.acquisition.frames.first { $0.energyWindow == 1 }!.frame
        let neck = try #require(out.display.regions.first)
        #expect(neck.frames == [photopeak])
        let area = ResultDisplay.mask(runs: neck.runs ?? [], count: 64 * 64).filter { $0 }.count
        let disk = Double.pi * pow(r.roiRadiusMM / 4.8, 2)
        #expect(abs(Double(area) / disk - 1) < 0.1, "neck region \(area) px vs π r² \(disk)")
        #expect(out.display.summary.first?[1].hasPrefix(String(format: "%.2f %%", r.uptakePercent)) == true)
        #expect(throws: WorkflowError.self) { _ = try AnalysisJob.run(.thyroidUptake, path: paths[0], series: "1.2.6") }
    }

    @Test func wrongStudyTypeIsANamedError() throws {
        let c = sentinelCases[0]
        let path = try writeStudyB(ClinicalStudies.sentinel(injection: c.injection, nodes: c.nodes, seed: c.seed), name: "job-wrong")
        do {
            _ = try AnalysisJob.run(.lvef, path: path, series: "1.2.5")
            Issue.record("a STATIC study analysed as gated must fail")
        } catch {
            #expect(error.message.contains(path) && error.message.contains("GATED"))
        }
    }
}
