import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Testing
@testable import Simulation

/// Whole studies: gated truth, dynamic curves, whole-body geometry, and the DICOM round trip.
struct StudyTests {
    static func tmp(_ name: String) -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("scinti-sim-\(getpid())-\(name)").path
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// ECG-gated blood pool: the LV counts follow the LV volumes, so the count-based LVEF equals the volume truth.
    @Test func gatedLVEF() throws {
        let setup = SimulationSetup(phantom: Fixture.empty, nuclide: Fixture.tc, camera: Fixture.camera(columns: 32, rows: 32, pixel: 8),
                                    voxelMM: 10, subsamples: 2, seed: 3)
        let g = GatedProtocol(timeSlots: 8, seconds: 300, edvML: 130, esvML: 65)
        let study = Simulator.gated(setup, protocol: g)
        let t = try #require(study.truth.gated)
        #expect(abs(t.lvefPercent - 50) < 1e-9)
        #expect(t.edSlot == 0)
        #expect(t.slotVolumesML.count == 8 && t.slotVolumesML.max()! <= 130 && t.slotVolumesML.min()! >= 65)
        // Counts from the LV follow its volume (attenuation changes a little as the cavity shrinks).
        #expect(abs(t.countLVEFPercent - t.framedLVEFPercent) < 2.5, "count EF \(t.countLVEFPercent) vs volume EF \(t.framedLVEFPercent)")
        #expect(study.acquisition.frames.count == 3 * 8)
        #expect(study.acquisition.frames[9].timeSlot == 2 && study.acquisition.frames[9].energyWindow == 2)
    }

    /// Dynamic: per-compartment truth follows the curves; frames sum per phase.
    @Test func dynamicCurves() throws {
        let ph = Fixture.waterCylinder(radius: 60, halfLength: 30, bqPerML: 1000)
        var p2 = ph
        p2.compartments.append(Compartment(name: "organ", shape: .sphere(center: Vector3(0, 0, 0), radius: 20), material: .water, concentrationBqPerML: 50_000))
        let curve = TimeActivityCurve(times: [0, 60, 120], values: [0, 1, 0.5])
        let setup = SimulationSetup(phantom: p2, nuclide: Fixture.tc, camera: Fixture.camera(columns: 32, rows: 32, pixel: 8), voxelMM: 5, subsamples: 2)
        let study = Simulator.dynamic(setup, phases: [DynamicPhase(frames: 6, secondsPerFrame: 10), DynamicPhase(frames: 3, secondsPerFrame: 30)],
                                      curves: ["organ": curve], views: [.anterior])
        let d = try #require(study.truth.dynamic)
        #expect(d.frameStartSeconds == [0, 10, 20, 30, 40, 50, 60, 90, 120])
        let organ = d.expectedCounts["organ"]!, bg = d.expectedCounts["water"]!
        // Organ counts per second rise then fall with the curve; background is flat (decay only).
        let rate = zip(organ, d.frameDurationSeconds).map { $0 / $1 }
        #expect(rate[0] < rate[2] && rate[2] < rate[5] && rate[6] > rate[8])
        #expect(abs(rate[0] / rate[5] - (5.0 / 60) / (55.0 / 60)) < 0.01)
        let bgRate = zip(bg, d.frameDurationSeconds).map { $0 / $1 }
        #expect(abs(bgRate[8] / bgRate[0] - exp(-log(2) / Fixture.tc.halfLifeSeconds * 130)) < 1e-3)
        #expect(study.acquisition.frames.count == 3 * 9)
        #expect(study.acquisition.frames[7].phase == 2 && study.acquisition.frames[7].timeSlice == 2)
    }

    /// Whole body: anterior and posterior of a tall image, rows covering the phantom, head at row 0.
    @Test func wholeBodySweep() throws {
        let ph = Phantom(name: "rod", compartments: [Compartment(name: "rod", shape: .cylinder(centerX: 0, centerY: 0, radiusX: 20, radiusY: 20, zMin: -300, zMax: 300), material: .water, concentrationBqPerML: 1000),
                                                      Compartment(name: "hot", shape: .sphere(center: Vector3(0, 0, 250), radius: 10), material: .water, concentrationBqPerML: 100_000)])
        let setup = SimulationSetup(phantom: ph, nuclide: Fixture.tc, camera: Fixture.camera(columns: 32, rows: 32, pixel: 8), voxelMM: 5, subsamples: 2, noise: false)
        let study = Simulator.wholeBody(setup, speedMMPerS: 5)
        let acq = study.acquisition
        #expect(acq.imageType == .wholeBody && acq.frames.count == 3 * 2)
        #expect(Double(acq.rows) * 8 >= 640)
        let wb = try #require(study.truth.wholeBody)
        // The hot sphere (z = 250) lands at the row of spect-geometry.md: ρ = (z_top − z)/Δ − 0.5.
        let (_, row) = Fixture.centroidOfMax(study.expectedPrimary, frame: 0, rows: acq.rows, columns: acq.columns)
        #expect(abs(row - ((wb.topZMM - 250) / 8 - 0.5)) < 1.01)
    }

    /// Every image type round-trips through NMWriter → NMReader with the exact layout written; CT through
    /// CTSeriesWriter → SeriesVolumeReader; dciodvfy finds no errors when installed.
    @Test func dicomRoundTrip() throws {
        let dir = Self.tmp("roundtrip")
        let study = StudyAttributes(studyDate: "20250115", studyTime: "100000")
        let cam = Fixture.camera(columns: 16, rows: 12, pixel: 8)
        let ph = Fixture.waterCylinder(radius: 40, halfLength: 30, bqPerML: 50_000)
        let setup = SimulationSetup(phantom: ph, nuclide: Fixture.tc, camera: cam, voxelMM: 6, subsamples: 1, seed: 5, injectionLeadSeconds: 3600)
        var studies: [(String, SimulatedStudy, NMWriter.Options)] = []
        studies.append(("tomo", Simulator.spect(setup, protocol: SPECTProtocol(views: 8, heads: 2, startAngleDeg: 10, direction: .counterClockwise, radiusMM: 120, secondsPerView: 5)), .init()))
        studies.append(("static", Simulator.planar(setup, seconds: 30), .init()))
        // Body-contour orbit around an elliptic body: radii differ per view and travel per view.
        var esetup = setup
        esetup.phantom = Phantom(name: "ellipse", compartments: [Compartment(name: "body", shape: .cylinder(centerX: 0, centerY: 0, radiusX: 60, radiusY: 30, zMin: -20, zMax: 20), material: .water, concentrationBqPerML: 30_000)])
        let contour = Simulator.spect(esetup, protocol: SPECTProtocol(views: 8, heads: 2, radiusMM: 200, secondsPerView: 5, contourMarginMM: 20))
        let radii = contour.acquisition.frames.prefix(8).map { $0.radialPosition! }
        #expect(abs(radii[0] - 50) < 7 && abs(radii[2] - 80) < 7, "\(radii)")   // anterior: 30 + 20, lateral: 60 + 20 (voxel rounding)
        studies.append(("tomo-contour", contour, .init()))
        let wb = Simulator.wholeBody(setup, speedMMPerS: 10)
        studies.append(("wb", wb, .init(scanVelocityMMPerS: 10, scanLengthMM: wb.extras["scanLengthMM"])))
        studies.append(("dynamic", Simulator.dynamic(setup, phases: [DynamicPhase(frames: 2, secondsPerFrame: 5), DynamicPhase(frames: 3, secondsPerFrame: 10, description: "WASHOUT")], curves: [:]), .init()))
        let gsetup = SimulationSetup(phantom: Fixture.empty, nuclide: Fixture.tc, camera: cam, voxelMM: 10, subsamples: 1)
        studies.append(("gated", Simulator.gated(gsetup, protocol: GatedProtocol(timeSlots: 4, seconds: 60)), .init(heartRate: 70)))
        studies.append(("gated-implicit", studies.last!.1, .init(heartRate: 70, transferSyntax: .implicitVRLittleEndian)))
        var paths: [String] = []
        for (name, s, opts) in studies {
            let path = "\(dir)/\(name).dcm"
            try NMWriter.write(s.acquisition, study: study, series: SeriesAttributes(seriesDescription: name), to: path, options: opts)
            paths.append(path)
            let back = try NMReader.read(path: path)
            #expect(try DICOMFile.read(path: path).transferSyntax == opts.transferSyntax)
            var a = s.acquisition, b = back
            #expect(b.counts == a.counts, "\(name) counts")
            #expect(b.frames == a.frames, "\(name) frames")
            #expect(b.energyWindows == a.energyWindows, "\(name) windows")
            #expect(b.detectors == a.detectors, "\(name) detectors")
            #expect(b.rotations == a.rotations, "\(name) rotations")
            #expect(b.phases == a.phases, "\(name) phases")
            #expect(b.rrIntervals == a.rrIntervals, "\(name) gating")
            #expect(b.radiopharmaceuticals == a.radiopharmaceuticals, "\(name) radiopharmaceutical")
            #expect(b.frameOfReferenceUID == study.frameOfReferenceUID)
            a.counts = nil; b.counts = nil; a.warnings = []; b.warnings = []; a.frameOfReferenceUID = b.frameOfReferenceUID
            // The model name is the study's (StudyAttributes), written by NMWriter whatever the acquisition carries.
            #expect(b.manufacturerModelName == study.manufacturerModelName)
            a.manufacturerModelName = b.manufacturerModelName
            #expect(a == b, "\(name): \(back.warnings)")
            #expect(back.warnings.isEmpty, "\(name): \(back.warnings)")
        }
        // CT.
        let (size, geom) = CTSimulator.grid(for: ph, columns: 24, pixelMM: 5, sliceMM: 6)
        let ct = CTSimulator.simulate(ph, size: size, geometry: geom)
        let ctDir = "\(dir)/ct"
        let ctPaths = try CTSeriesWriter.write(ct, study: study, series: SeriesAttributes(seriesNumber: 2, seriesDescription: "CT"), to: ctDir)
        let read = try SeriesVolumeReader.read(path: ctDir)
        #expect(read.volume.voxels == ct.voxels)
        #expect(read.volume.size == ct.size && read.volume.units == "HU")
        let gr = read.volume.geometry
        #expect((gr.origin - geom.origin).length < 1e-4 && (gr.spacing - geom.spacing).length < 1e-6)
        #expect(read.volume.frameOfReferenceUID == study.frameOfReferenceUID)
        // dciodvfy (dicom3tools), when present.
        if let tool = ["/usr/bin/dciodvfy", "/usr/local/bin/dciodvfy"].first(where: { FileManager.default.isExecutableFile(atPath: $0) }) {
            for p in paths + [ctPaths[0]] {
                let proc = Process()
                proc.executableURL = URL(fileURLWithPath: tool)
                proc.arguments = ["-new", p]
                let pipe = Pipe()
                proc.standardOutput = pipe; proc.standardError = pipe
                try proc.run()
                let out = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                proc.waitUntilExit()
                let errors = out.split(separator: "\n").filter { $0.hasPrefix("Error") }
                #expect(errors.isEmpty, "\(p): \(errors.joined(separator: "\n"))")
            }
        }
    }
}

extension Fixture {
    /// Column and row of the brightest pixel of a frame.
    static func centroidOfMax(_ a: [Float], frame: Int, rows: Int, columns: Int) -> (Double, Double) {
        let n = rows * columns
        var best = 0, bv: Float = -1
        for i in 0..<n where a[frame * n + i] > bv { bv = a[frame * n + i]; best = i }
        return (Double(best % columns), Double(best / columns))
    }
}
