import DICOM
import DICOMImaging
import Foundation
import Imaging
import Testing
@testable import Analysis
@testable import Simulation
@testable import Workflows

/// Gated blood-pool LVEF against the simulator's truth: the EF of the LV counts alone (every LV photon, no
/// background), computed by the simulator from its own forward model of the LV compartment, and the EF of the
/// slot-averaged volumes of the heart model. Neither depends on the analysis code.
@Suite(.serialized) struct LVEFTests {
    static func frames(_ s: SimulatedStudy) throws -> [PlanarViewImage] {
        let a = s.acquisition
        return try a.frames.filter { $0.energyWindow == 1 }.sorted { $0.timeSlot! < $1.timeSlot! }
            .map { try PlanarViewImage(try a.planarImage(frame: $0.frame)) }
    }

    /// EF 30, 45, 65 %: within 3 EF points of the volume truth (the reference of the clinical trial, docs/lvef.md) and
    /// within 5 of the count truth (issue 18: none over 5; the torso's two truths differ by 1.3–1.6 points); ED/ES
    /// frames within one slot of the truth's (ES plateau frames are nearly equal).
    @Test(arguments: [30.0, 45.0, 65.0]) func lvefWithinThreePoints(ef: Double) throws {
        let study = FixtureA.gated[ef]!
        let truth = try #require(study.truth.gated)
        let a = try GatedBloodPoolLVEF().analyze(frames: try Self.frames(study), frameDurationMs: 857.0 / 16)
        let r = a.result
        let lvef = try #require(r.lvef, "LVEF not given: \(r.quality)")
        print(String(format: "LVEF case %.0f: measured %.2f, count truth %.2f, framed volume truth %.2f (fixed ROI below)", ef, lvef, truth.countLVEFPercent, truth.framedLVEFPercent))
        #expect(abs(lvef - truth.countLVEFPercent) <= 5, "LVEF \(lvef) vs count truth \(truth.countLVEFPercent)")
        #expect(abs(lvef - truth.framedLVEFPercent) <= 3, "LVEF \(lvef) vs volume truth \(truth.framedLVEFPercent)")
        let n = truth.timeSlots
        func near(_ a: Int, _ b: Int) -> Bool { let d = abs(a - b); return min(d, n - d) <= 1 }
        #expect(near(r.edFrame, truth.edSlot), "ED \(r.edFrame) vs \(truth.edSlot)")
        #expect(near(r.esFrame, truth.esSlot), "ES \(r.esFrame) vs \(truth.esSlot)")
        // Peak ejection rate: the truth's LV-count curve gives the largest frame-to-frame fall per ED per second;
        // the Fourier-fitted rate is of the same size (within 35 %: 16 frames sample the curve coarsely).
        let c = truth.lvCountsExpected, dt = truth.rrIntervalMs / Double(n) / 1000
        let truePER = (0..<(n - 1)).map { (c[$0] - c[$0 + 1]) / dt / c.max()! }.max()!
        let per = try #require(r.peakEjectionRateEDVPerS)
        #expect(abs(per - truePER) / truePER < 0.35, "PER \(per) vs \(truePER) EDV/s")
        #expect((r.peakFillingRateEDVPerS ?? 0) > 0)
        // Every LV region lies inside the ED one and the background is outside all of them.
        for roi in a.lvROIs { #expect(roi.indices.allSatisfy { a.lvROIs[r.edFrame].inside[$0] }) }
        #expect(a.backgroundROI.indices.allSatisfy { !a.lvROIs[r.edFrame].inside[$0] })
        #expect(r.method.contains("variable") && r.units["lvef"] == "percent")
        // The fixed-ROI convention gives a different (here lower or equal) number and says so.
        let f = try GatedBloodPoolLVEF(options: .init(roiMethod: .fixed)).analyze(frames: try Self.frames(study), frameDurationMs: nil).result
        print(String(format: "  fixed ROI %.2f", f.lvef ?? .nan))
        #expect(f.roiMethod == "fixed" && f.method.contains("fixed") && f.peakEjectionRateEDVPerS == nil)
        #expect(f.lvPixels.allSatisfy { $0 == f.lvPixels[0] })
    }

    /// Stored as a camera stores it (implicit VR, GATED with Time Slot and R-R information), read by the CLI's
    /// reader: same frames and the same LVEF as the in-memory analysis; frame time from the R-R information.
    @Test func gatedFileImplicitVR() throws {
        let study = FixtureA.gated[45]!
        let path = try FixtureA.write(study.acquisition, "gated-implicit", implicit: true, heartRate: 70)
        #expect(try DICOMFile.read(path: path).transferSyntax == .implicitVRLittleEndian)
        let input = try PlanarInputs.gatedFrames(path: path)
        #expect(input.frames.count == 16)
        #expect(abs((input.frameDurationMs ?? 0) - 857.0 / 16) < 1e-6)
        #expect(input.view == "Left anterior oblique")
        let inMemory = try Self.frames(study)
        #expect(input.frames == inMemory)
        let a = try GatedBloodPoolLVEF().analyze(frames: input.frames, frameDurationMs: input.frameDurationMs)
        let b = try GatedBloodPoolLVEF().analyze(frames: try Self.frames(study), frameDurationMs: 857.0 / 16)
        #expect(a.result == b.result)
        // The figure is written and is a PNG.
        let png = FixtureA.tmp("fig") + "/lvef.png"
        try AnalysisFigures.lvef(a, frames: input.frames, to: png)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: png)).prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
    }

    /// Bad input: a static image, missing time slots, mismatched matrices, an empty frame, too few frames.
    @Test func badInput() throws {
        let study = FixtureA.gated[65]!
        // Wrong image type.
        var st = study.acquisition
        st.imageType = .staticImage
        st.frames = st.frames.map { var f = $0; f.rrInterval = nil; f.timeSlot = nil; return f }
        st.rrIntervals = []; st.numberOfTimeSlots = nil; st.actualFrameDurationMs = 1000
        let staticPath = try FixtureA.write(st, "not-gated")
        #expect { _ = try PlanarInputs.gatedFrames(path: staticPath) } throws: { "\($0)".contains("STATIC") && "\($0)".contains("GATED") }
        // Missing frames: time slot 5 of the photopeak dropped.
        var miss = study.acquisition
        let drop = miss.frames.first { $0.energyWindow == 1 && $0.timeSlot == 5 }!.frame
        let np = miss.rows * miss.columns
        var counts = miss.counts!
        counts.removeSubrange((drop * np)..<((drop + 1) * np))
        miss.counts = counts
        miss.frames = miss.frames.filter { $0.frame != drop }.enumerated().map { k, f in var g = f; g.frame = k; return g }
        let missPath = try FixtureA.write(miss, "missing-slot")
        #expect { _ = try PlanarInputs.gatedFrames(path: missPath) } throws: { "\($0)".contains("missing frames") && "\($0)".contains("5") }
        // Not a DICOM file.
        let junk = FixtureA.tmp("files") + "/junk.dcm"
        try Data("not dicom".utf8).write(to: URL(fileURLWithPath: junk))
        #expect { _ = try PlanarInputs.gatedFrames(path: junk) } throws: { "\($0)".contains(junk) }
        #expect { _ = try PlanarInputs.gatedFrames(path: junk + ".nope") } throws: { "\($0)".contains("no such file") }
        // Mismatched matrices, zero counts, too few frames (library level).
        var frames = try Self.frames(study)
        let small = try PlanarViewImage(rows: 32, columns: 32, counts: [Float](repeating: 1, count: 1024))
        var mixed = frames; mixed[3] = small
        #expect { _ = try GatedBloodPoolLVEF().analyze(frames: mixed, frameDurationMs: nil) } throws: { "\($0)".contains("mismatched matrix") }
        frames[7] = try PlanarViewImage(rows: frames[7].rows, columns: frames[7].columns, counts: [Float](repeating: 0, count: frames[7].counts.count))
        #expect { _ = try GatedBloodPoolLVEF().analyze(frames: frames, frameDurationMs: nil) } throws: { "\($0)".contains("frame 7 has zero counts") }
        #expect { _ = try GatedBloodPoolLVEF().analyze(frames: Array(frames.prefix(4)), frameDurationMs: nil) } throws: { "\($0)".contains("at least 8") }
        #expect { _ = try PlanarViewImage(rows: 4, columns: 4, counts: [1, 2]) } throws: { "\($0)".contains("2 counts for a 4×4") }
        // A flat (non-beating) study: no ventricle.
        let flat = (0..<16).map { _ in try! PlanarViewImage(rows: 32, columns: 32, counts: [Float](repeating: 5, count: 1024)) }
        #expect { _ = try GatedBloodPoolLVEF().analyze(frames: flat, frameDurationMs: nil) } throws: { "\($0)".contains("no beating ventricle") }
    }
}
