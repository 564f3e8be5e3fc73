import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Simulation
import Testing
import Workflows
@testable import Analysis

/// Analysis jobs re-run with an edited region (the job field `regions`, docs/review.md) — sentinel node, thyroid
/// uptake, parathyroid: the region moved as the viewer's arrow keys move it, the job re-run, and its numbers checked
/// against sums computed here from the simulated camera pixels and the regions the re-run draws (the published
/// definitions of each quantity, not the analysis code): net node counts, neck count rate, dual-phase count rates.
@Suite(.serialized) struct EditedRerunTests {
    /// Sum of `counts` over the pixels whose centre lies within `radius` of (column, row) (a disc), optionally only
    /// those with `inner` < distance ≤ `outer` (an annulus) and outside `excluded`.
    static func sum(_ img: (counts: [Float], rows: Int, columns: Int), column: Double, row: Double, radius: Double, inner: Double? = nil,
                    excluded: (Int, Int) -> Bool = { _, _ in false }) -> (sum: Double, pixels: Int) {
        var s = 0.0, n = 0
        for r in 0..<img.rows { for c in 0..<img.columns {
            let d2 = (Double(c) - column) * (Double(c) - column) + (Double(r) - row) * (Double(r) - row)
            guard d2 <= radius * radius, inner.map({ d2 > $0 * $0 }) ?? true, !excluded(c, r) else { continue }
            s += Double(img.counts[r * img.columns + c]); n += 1
        } }
        return (s, n)
    }

    /// Sentinel node (Tc-99m nanocolloid, three axillary nodes): node 1 moved by (+1, −1) pixel with the injection
    /// site as drawn; every node of that view in the re-run has net counts = disc sum − mean of the 1.5–2.5-radius
    /// annulus (injection-site disc left out) × disc pixels, the definition the analysis documents (Tc-99m
    /// lymphoscintigraphy, EANM 2013 practice guideline: local background subtraction).
    @Test func sentinelNodeMoved() throws {
        let c = sentinelCases[0]
        let study = ClinicalStudies.sentinel(injection: c.injection, nodes: c.nodes, seed: c.seed)
        let path = try writeStudyB(study, name: "edited-sentinel")
        let auto = try AnalysisJob.run(.sentinel, path: path, series: "1.2.4")
        var node = try #require(auto.display.regions.first { $0.label.hasPrefix("node 1 ") })
        let frame = try #require(node.frames.first)
        let site = try #require(auto.display.regions.first { $0.label.hasPrefix("injection site") && $0.frames == node.frames })
        node.column! += 1; node.row! -= 1
        let out = try AnalysisJob.run(.sentinel, path: path, series: "1.2.4", regions: [site, node])
        let r = try JSONDecoder().decode(SentinelNodeAnalysis.Result.self, from: Data(out.resultJSON.utf8))
        let p = try study.acquisition.planarImage(frame: frame)
        let img = (p.counts, p.rows, p.columns)
        let (sc, sr, sRad) = (site.column!, site.row!, site.radius!)
        let inSite = { (x: Int, y: Int) in (Double(x) - sc) * (Double(x) - sc) + (Double(y) - sr) * (Double(y) - sr) <= sRad * sRad }
        let drawn = out.display.regions.filter { $0.label.hasPrefix("node ") }
        #expect(drawn.count == r.nodes.count)
        #expect(drawn.contains { $0.frames == [frame] && $0.column == node.column && $0.row == node.row }, "the moved node is drawn where it was put")
        var checked = 0
        for (d, n) in zip(drawn, r.nodes) where d.frames == [frame] {
            let disc = Self.sum(img, column: d.column!, row: d.row!, radius: d.radius!)
            let ring = Self.sum(img, column: d.column!, row: d.row!, radius: 2.5 * d.radius!, inner: 1.5 * d.radius!, excluded: inSite)
            let net = disc.sum - ring.sum / Double(ring.pixels) * Double(disc.pixels)
            #expect(abs(n.counts - net) <= 1e-6 * max(1, abs(net)), "node at (\(d.column!), \(d.row!)): \(n.counts) vs \(net) computed here")
            checked += 1
        }
        #expect(checked >= 1)
        let hottest = r.nodes.filter { $0.view == r.nodes[0].view }.map(\.counts).max()!
        #expect(abs(r.nodes[0].percentOfHottest - 100 * r.nodes[0].counts / hottest) < 1e-9)
    }

    /// Thyroid uptake (I-123, 15 %, 24 h): the neck region moved one pixel to the right (its runs shifted): the neck
    /// count rate is (Σ neck − Σ room) / 600 s over the edited pixels (decay over a 600 s frame of I-123 changes it
    /// by < 1e-5), and the uptake scales with the net neck rate.
    @Test func thyroidNeckRegionMoved() throws {
        let nuclide = try #require(Radionuclide.named("I-123"))
        let c = ClinicalStudies.thyroidUptake(nuclide: nuclide, uptakePercent: 15, hoursAfterAdministration: 24, administeredMBq: 14.8,
                                               camera: FixtureA.camera(nuclide, size: 64, pixel: 4.8), voxelMM: 3, seed: 15)
        let paths = try [("neck", c.neck), ("standard", c.standard), ("room", c.room)].map { try FixtureA.write($0.1.acquisition, "edited-thyroid-\($0.0)") }
        let inputs = ["standard": paths[1], "room": paths[2]]
        let auto = try AnalysisJob.run(.thyroidUptake, path: paths[0], series: "1.2.6", inputs: inputs)
        var neck = try #require(auto.display.regions.first)
        neck.runs = neck.runs!.enumerated().map { $0.offset % 2 == 0 ? $0.element + 1 : $0.element }
        let out = try AnalysisJob.run(.thyroidUptake, path: paths[0], series: "1.2.6", inputs: inputs, regions: [neck])
        let a = try JSONDecoder().decode(ThyroidUptake.Result.self, from: Data(auto.resultJSON.utf8))
        let r = try JSONDecoder().decode(ThyroidUptake.Result.self, from: Data(out.resultJSON.utf8))
        func photopeak(_ s: SimulatedStudy) throws -> PlanarImage {
            try s.acquisition.planarImage(frame: try #require(s.acquisition.frames.first { $0.energyWindow == 1 }).frame)
        }
        let neckImg = try photopeak(c.neck), room = try photopeak(c.room)
        var sNeck = 0.0, sRoom = 0.0
        for (i, inside) in ResultDisplay.mask(runs: neck.runs!, count: 64 * 64).enumerated() where inside {
            sNeck += Double(neckImg.counts[i]); sRoom += Double(room.counts[i])
        }
        let tNeck = try #require(c.neck.acquisition.actualFrameDurationMs ?? neckImg.frameDurationMs) / 1000
        let tRoom = try #require(c.room.acquisition.actualFrameDurationMs ?? room.frameDurationMs) / 1000
        let want = sNeck / tNeck - sRoom / tRoom
        #expect(abs(r.neckCPS - want) <= 1e-4 * abs(want), "neck \(r.neckCPS) cps vs \(want) computed here")
        #expect(r.neckCPS != a.neckCPS)
        // No thigh image: uptake ∝ net neck rate ÷ region-geometry factor (the standard and administration unchanged;
        // the factor is measured for the automatic disc and 1 for a region given from outside).
        #expect(r.regionGeometryFactor == 1)
        #expect(abs(r.uptakePercent / a.uptakePercent - (r.neckCPS / a.neckCPS) * (try #require(a.regionGeometryFactor))) < 1e-9)
    }

    /// Parathyroid dual phase (Tc-99m sestamibi, delayed at 2 h): candidate 1 moved one pixel to the right. The
    /// background is one value per image (the ring median), so the moved disc's early rate differs from the
    /// automatic one by (Σ moved disc − Σ automatic disc) / early duration, and the delayed rate by the same
    /// difference on the delayed image / its duration × 2^(Δt / 6.0067 h) (Tc-99m half-life, DDEP).
    @Test func parathyroidCandidateMoved() throws {
        let s = ParathyroidTests.study
        let early = try FixtureA.write(s.early.acquisition, "edited-pth-early")
        let delayed = try FixtureA.write(s.delayed.acquisition, "edited-pth-delayed")
        let auto = try AnalysisJob.run(.parathyroid, path: early, series: "1.2.9", inputs: ["delayed": delayed])
        var cand = try #require(auto.display.regions.first { $0.label == "candidate 1" })
        let from = (cand.column!, cand.row!)
        cand.column! += 1
        let out = try AnalysisJob.run(.parathyroid, path: early, series: "1.2.9", inputs: ["delayed": delayed], regions: [cand])
        let a = try JSONDecoder().decode(Parathyroid.Result.self, from: Data(auto.resultJSON.utf8)).candidates[0]
        let r = try JSONDecoder().decode(Parathyroid.Result.self, from: Data(out.resultJSON.utf8)).candidates[0]
        #expect(r.column == cand.column! && r.row == cand.row!)
        #expect(out.display.regions.contains { $0.label == "candidate 1" && $0.column == cand.column })
        let e = try ParathyroidTests.anterior(s.early), d = try ParathyroidTests.anterior(s.delayed)
        #expect(cand.frames == [try #require(s.early.acquisition.frames.first { $0.energyWindow == 1 && s.early.acquisition.detectors.first { $0.view == "Anterior projection" }?.number == $0.detector }).frame])
        let (ei, di) = ((e.counts, e.rows, e.columns), (d.counts, d.rows, d.columns))
        let eMoved = Self.sum(ei, column: cand.column!, row: cand.row!, radius: 2), eAuto = Self.sum(ei, column: from.0, row: from.1, radius: 2)
        let dMoved = Self.sum(di, column: cand.column!, row: cand.row!, radius: 2), dAuto = Self.sum(di, column: from.0, row: from.1, radius: 2)
        #expect(eMoved.pixels == eAuto.pixels)
        func seconds(_ acq: NMAcquisition) throws -> Double {
            let t = try #require(acq.acquisitionTime)
            let h = Double(t.prefix(2))!, m = Double(t.dropFirst(2).prefix(2))!, sec = Double(t.dropFirst(4))!
            return h * 3600 + m * 60 + sec
        }
        let dt = try seconds(s.delayed.acquisition) - seconds(s.early.acquisition)
        #expect(s.delayed.acquisition.acquisitionDate == s.early.acquisition.acquisitionDate && dt > 0)
        let te = try #require(s.early.acquisition.actualFrameDurationMs) / 1000, td = try #require(s.delayed.acquisition.actualFrameDurationMs) / 1000
        let wantE = (eMoved.sum - eAuto.sum) / te
        let wantD = (dMoved.sum - dAuto.sum) / td * pow(2, dt / (6.0067 * 3600))
        #expect(abs((r.earlyCPS - a.earlyCPS) - wantE) <= 1e-6 * max(1, abs(a.earlyCPS)), "Δ early \(r.earlyCPS - a.earlyCPS) vs \(wantE)")
        #expect(abs((r.delayedCPS - a.delayedCPS) - wantD) <= 1e-4 * max(1, abs(a.delayedCPS)), "Δ delayed \(r.delayedCPS - a.delayedCPS) vs \(wantD)")
        #expect(abs(r.retentionIndexPercent - 100 * r.delayedCPS / r.earlyCPS) < 1e-9)
    }

    /// Bone scan (geometric torso, four 20 mm lesions, a delayed scan 3 h after injection): lesion 1 moved by (+1, +1)
    /// pixel; every lesion of the re-run has net counts = Σ over its disc (pixel centres within the drawn radius) −
    /// the mean of the annulus of 1.5–2.5 equivalent radii (√(pixels/π)) around the disc's centroid × its pixels, the
    /// definition the analysis documents (`conventions.lesionCounts` for given regions), computed here from the
    /// simulated camera pixels.
    @Test func boneScanLesionMoved() throws {
        let top = 520.0
        let lesions = [ClinicalStudies.Lesion(name: "skull", center: Vector3(-60, 5, 455), diameterMM: 20, concentrationBqPerML: 45_000),
                       ClinicalStudies.Lesion(name: "right femur", center: Vector3(-90, 5, -450), diameterMM: 20, concentrationBqPerML: 45_000),
                       ClinicalStudies.Lesion(name: "spine", center: Vector3(0, 80, -50), diameterMM: 20, concentrationBqPerML: 45_000)]
        var study = ClinicalStudies.boneScan(lesions: lesions, topZMM: top, lengthMM: 1600, seed: 61, extent: .wholeBody)
        // The simulator writes the injection at the acquisition start; a delayed scan's header says 3 h before.
        let t = try #require(study.acquisition.acquisitionTime.flatMap { Int($0.prefix(2)) })
        study.acquisition.radiopharmaceuticals[0].startDateTime = nil
        study.acquisition.radiopharmaceuticals[0].startTime = String(format: "%02d", (t + 21) % 24) + String(try #require(study.acquisition.acquisitionTime).dropFirst(2).prefix(4))
        let path = try writeStudyB(study, name: "edited-bone")
        let auto = try AnalysisJob.run(.boneScan, path: path, series: "1.2.9")
        var lesion = try #require(auto.display.regions.first { $0.label == "lesion 1" }, "no lesion detected: \(auto.display.warnings)")
        lesion.column! += 1; lesion.row! += 1
        let out = try AnalysisJob.run(.boneScan, path: path, series: "1.2.9", regions: [lesion])
        let r = try JSONDecoder().decode(BoneScanAnalysis.Result.self, from: Data(out.resultJSON.utf8))
        // The regions the re-run measured: every automatic lesion circle, lesion 1 as moved.
        let given = auto.display.regions.filter { $0.label.hasPrefix("lesion ") }.map { $0.label == "lesion 1" ? lesion : $0 }
        #expect(r.lesions.count == given.count)
        var checked = 0
        for g in given {
            let frame = try #require(g.frames.first)
            let p = try study.acquisition.planarImage(frame: frame)
            var n = 0, sum = 0.0, sc = 0.0, sr = 0.0
            for row in 0..<p.rows { for col in 0..<p.columns {
                let dc = Double(col) - g.column!, dr = Double(row) - g.row!
                guard dc * dc + dr * dr <= g.radius! * g.radius! else { continue }
                n += 1; sum += Double(p.counts[row * p.columns + col]); sc += Double(col); sr += Double(row)
            } }
            let cc = sc / Double(n), cr = sr / Double(n), rEq = max(1, (Double(n) / Double.pi).squareRoot())
            let ring = Self.sum((p.counts, p.rows, p.columns), column: cc, row: cr, radius: 2.5 * rEq, inner: 1.5 * rEq)
            let net = sum - ring.sum / Double(ring.pixels) * Double(n)
            guard let l = r.lesions.first(where: { abs($0.column - cc) < 1e-9 && abs($0.row - cr) < 1e-9 }) else {
                Issue.record("no lesion of the re-run at the centroid (\(cc), \(cr)) of \(g.label)"); continue
            }
            #expect(abs(l.counts - net) <= 1e-6 * max(1, abs(net)), "\(g.label): \(l.counts) vs \(net) computed here")
            if g.label == "lesion 1" {
                #expect(out.display.regions.contains { $0.label.hasPrefix("lesion ") && $0.frames == g.frames && abs($0.column! - cc) < 1e-9 && abs($0.row! - cr) < 1e-9 },
                        "the moved lesion is drawn where it was put")
            }
            checked += 1
        }
        #expect(checked == given.count && checked >= 1)
        #expect(r.notes.contains { $0.contains("lesions given from outside") })
    }
}
