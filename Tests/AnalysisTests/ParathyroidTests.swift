import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Testing
@testable import Analysis
@testable import Simulation
@testable import Workflows

/// Parathyroid against the simulator's set-up: the adenoma's position (projected onto the anterior camera grid
/// from the set-up's geometry) and its biological retention (set in the delayed concentrations).
@Suite(.serialized) struct ParathyroidTests {
    static let study = ClinicalStudies.parathyroid(camera: FixtureA.camera(size: 64, pixel: 4.0), voxelMM: 3, seed: 5,
                                                     earlyViews: [.posterior, .anterior])

    /// The anterior photopeak frame of a study.
    static func anterior(_ s: SimulatedStudy) throws -> PlanarViewImage {
        let a = s.acquisition
        let det = try #require(a.detectors.first { $0.view == "Anterior projection" }).number
        return try PlanarViewImage(try a.planarImage(frame: try #require(a.frames.first { $0.energyWindow == 1 && $0.detector == det }).frame))
    }

    static func analyse(thyroid: Bool, candidateRegions: [PlanarDisk]? = nil, thyroidRegion: PlanarROI? = nil) throws -> Parathyroid.Analysis {
        let c = study
        let e = try PlanarInputs.planar(path: try FixtureA.write(c.early.acquisition, "pth-early"), role: "early")
        let d = try PlanarInputs.planar(path: try FixtureA.write(c.delayed.acquisition, "pth-delayed", implicit: true), role: "delayed")
        let t = try PlanarInputs.planar(path: try FixtureA.write(c.thyroid.acquisition, "pth-thyroid"), role: "thyroid")
        let ant = try Self.anterior(c.early)
        #expect(e.view == "Anterior projection" && e.image == ant)
        return try Parathyroid(nuclide: try #require(e.nuclide)).analyze(
            early: .init(image: e.image, start: e.acquisitionStart, durationSeconds: e.durationSeconds),
            delayed: .init(image: d.image, start: d.acquisitionStart, durationSeconds: d.durationSeconds),
            thyroid: thyroid ? .init(image: t.image, start: t.acquisitionStart, durationSeconds: t.durationSeconds) : nil,
            pixelToPatient: PlanarInputs.pixelToPatient(e), candidateRegions: candidateRegions, thyroidRegion: thyroidRegion)
    }

    /// Dual-tracer subtraction (thyroid image moved 6 mm right-left and 5 mm axially): the adenoma is the first
    /// candidate, within 3 pixels, at most one other candidate; retention indices near the set-up's; the
    /// registration recovers the patient's displacement.
    @Test func dualTracer() throws {
        let a = try Self.analyse(thyroid: true)
        let r = a.result
        // The early file holds posterior and anterior views (two detectors): the reader took the anterior one.
        #expect(Self.study.early.acquisition.detectors.count == 2)
        let truth = Self.study.adenomaPixel
        let first = try #require(r.candidates.first)
        let dist = ((first.column - truth.column) * (first.column - truth.column) + (first.row - truth.row) * (first.row - truth.row)).squareRoot()
        print(String(format: "parathyroid dual-tracer: candidate (%.2f, %.2f), truth (%.2f, %.2f), %.2f px; RI %.1f %% vs thyroid %.1f %%; shift %@",
                     first.column, first.row, truth.column, truth.row, dist, first.retentionIndexPercent, r.regions[0].retentionIndexPercent,
                     "\(r.registrationShiftPixels ?? [])"))
        #expect(dist <= 3, "adenoma at \(first.column), \(first.row); truth \(truth)")
        #expect(r.candidates.count <= 2, "\(r.candidates.count) candidates")
        #expect(first.retentionIndexPercent > r.regions[0].retentionIndexPercent + 10)
        #expect(abs(r.regions[0].retentionIndexPercent - 100 * Self.study.retention.thyroid) < 5)
        #expect(abs(first.retentionIndexPercent - 100 * Self.study.retention.adenoma) < 10)
        // The thyroid image was displaced by (+6 mm x → +1.5 px column, −5 mm z → +1.25 px row): undo it.
        let s = try #require(r.registrationShiftPixels)
        #expect(abs(s[0] + 6.0 / 4) < 0.75 && abs(s[1] + 5.0 / 4) < 0.75, "shift \(s)")
        // Patient position of the candidate near the adenoma centre (within 3 pixels in x and z).
        let p = try #require(first.patientMM)
        #expect(abs(p[0] - Self.study.adenomaCentre.x) < 12 && abs(p[2] - Self.study.adenomaCentre.z) < 12, "\(p)")
        let png = FixtureA.tmp("fig") + "/parathyroid.png"
        try AnalysisFigures.parathyroid(a, early: try Self.anterior(Self.study.early),
                                         delayed: try Self.anterior(Self.study.delayed), to: png)
        #expect(FileManager.default.fileExists(atPath: png))
    }

    /// Dual-phase only (washout subtraction): the adenoma is found within 3 pixels; retention indices near the
    /// set-up's (thyroid within 5, adenoma within 10 points).
    @Test func dualPhase() throws {
        let r = try Self.analyse(thyroid: false).result
        let truth = Self.study.adenomaPixel
        let first = try #require(r.candidates.first)
        let dist = ((first.column - truth.column) * (first.column - truth.column) + (first.row - truth.row) * (first.row - truth.row)).squareRoot()
        print(String(format: "parathyroid dual-phase: candidate (%.2f, %.2f), %.2f px; RI %.1f %%, thyroid RI %.1f %%", first.column, first.row, dist,
                     first.retentionIndexPercent, r.regions[0].retentionIndexPercent))
        #expect(dist <= 3)
        #expect(r.candidates.count <= 2)
        // Retention indices against the set-up's biological retention (thyroid 45 %, adenoma 90 %): the ring
        // background removes the overlying tissue (60 %); the adenoma's small disc also holds some thyroid/tissue.
        let thy = r.regions[0].retentionIndexPercent
        #expect(abs(thy - 100 * Self.study.retention.thyroid) < 5, "thyroid RI \(thy)")
        #expect(abs(first.retentionIndexPercent - 100 * Self.study.retention.adenoma) < 10, "adenoma RI \(first.retentionIndexPercent)")
        #expect(abs(r.delayedDecayCorrection - exp(Radionuclide.named("Tc-99m")!.decayConstant * (2 * 3600 - 600))) < 1e-9)
    }

    /// Regions from outside: a candidate disc given at the simulator's adenoma position measures the set-up's
    /// retention (within 10 points, as the automatic one); the thyroid region given as the automatic core gives a
    /// washout normalisation near the set-up's thyroid retention, as the automatic one; a disc off the image is refused.
    @Test func givenRegions() throws {
        let auto = try Self.analyse(thyroid: false)
        let c = Self.study
        let truth = c.adenomaPixel
        let a = try Self.analyse(thyroid: false, candidateRegions: [PlanarDisk(column: truth.column, row: truth.row, radius: 2)],
                                 thyroidRegion: auto.thyroidCore)
        let first = try #require(a.result.candidates.first)
        #expect(a.result.candidates.count == 1 && first.column == truth.column && first.row == truth.row)
        #expect(abs(first.retentionIndexPercent - 100 * c.retention.adenoma) < 10, "adenoma RI \(first.retentionIndexPercent)")
        // k is the thyroid's retention either way: Σ delayed / Σ early over a core given from outside, the lower
        // quartile of the per-pixel ratio over the gland automatically (Parathyroid.swift) — both near the set-up's.
        print(String(format: "parathyroid k: given core %.3f, automatic %.3f, set-up thyroid retention %.2f", a.result.normalisationFactor, auto.result.normalisationFactor, c.retention.thyroid))
        // The given core's sum ratio estimates the thyroid's retention; the automatic lower quartile lies below it by
        // construction (0.34 for 0.45 here: a known low bias of the rule chosen on tuning seeds, docs/parathyroid.md),
        // but above half of it.
        #expect(abs(a.result.normalisationFactor - c.retention.thyroid) < 0.1)
        #expect(auto.result.normalisationFactor < c.retention.thyroid && auto.result.normalisationFactor > 0.5 * c.retention.thyroid)
        #expect(a.result.warnings.contains { $0.contains("candidate regions given from outside") })
        #expect { _ = try Self.analyse(thyroid: false, candidateRegions: [PlanarDisk(column: -3, row: 2, radius: 2)]) } throws: { "\($0)".contains("lies outside") }
    }

    /// Bad input: mismatched matrices, zero counts, delayed before early.
    @Test func badInput() throws {
        let e = try Self.anterior(Self.study.early)
        let d = try Self.anterior(Self.study.delayed)
        let small = try PlanarViewImage(rows: 32, columns: 32, counts: [Float](repeating: 1, count: 1024))
        let zero = try PlanarViewImage(rows: e.rows, columns: e.columns, counts: [Float](repeating: 0, count: e.counts.count))
        let p = Parathyroid(nuclide: FixtureA.tc)
        let t0 = Date()
        #expect { _ = try p.analyze(early: .init(image: e, start: t0, durationSeconds: 600), delayed: .init(image: small, start: t0 + 3600, durationSeconds: 600), thyroid: nil) } throws: { "\($0)".contains("mismatched matrix") }
        #expect { _ = try p.analyze(early: .init(image: e, start: t0, durationSeconds: 600), delayed: .init(image: zero, start: t0 + 3600, durationSeconds: 600), thyroid: nil) } throws: { "\($0)".contains("delayed image has zero counts") }
        #expect { _ = try p.analyze(early: .init(image: e, start: t0, durationSeconds: 600), delayed: .init(image: d, start: t0 - 60, durationSeconds: 600), thyroid: nil) } throws: { "\($0)".contains("not later") }
        #expect { _ = try p.analyze(early: .init(image: e, start: t0, durationSeconds: 600), delayed: .init(image: d, start: t0 + 3600, durationSeconds: 600), thyroid: .init(image: zero, start: nil, durationSeconds: nil)) } throws: { "\($0)".contains("thyroid image has zero counts") }
    }
}
