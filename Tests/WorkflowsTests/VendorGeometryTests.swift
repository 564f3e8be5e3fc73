import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Simulation
import Testing
@testable import Workflows

/// Issue "The department's own cameras": a study written with each manufacturer's geometry conventions
/// (docs/vendor-geometry.md) — Siemens with Image Position (0, 0, z) and the rotation axis at y = −Table Height, GE
/// with the grid corner, Philips and Mediso with the PS3.3 detector plane, each with the rotation axis off the CT's
/// origin — reconstructs onto its CT: every IEC sphere within one voxel of its true position in the CT's frame and the
/// body outline on the CT. The truth is the simulation's (its forward model is independent of the reconstruction).
struct VendorGeometryTests {
    struct Written { var dir: String; var nm: String; var ct: String; var truth: SimulationTruth }

    /// 64² × 4.8 mm, 2 heads × 30 views starting at 30°, no scatter, IEC phantom 4:1.
    static func simulate(vendor: String) throws -> Written {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scinti-vendor-\(vendor)-\(UUID().uuidString)").path
        let nuclide = try #require(Radionuclide.named("Tc-99m"))
        let lehr = try #require(Collimator.named("LEHR", vendor: vendor == "siemens" ? "Siemens" : vendor == "philips" ? "Philips" : "GE"))
        var camera = Camera(collimator: lehr, columns: 64, rows: 64, pixelSizeMM: 4.8,
                            windows: WindowSetting.tripleEnergyWindows(photopeakKeV: 140.511, label: "Tc99m"), scatter: .none)
        let known = camera.present(asVendor: vendor)
        #expect(known)
        let setup = SimulationSetup(phantom: Phantom.iec(sphereToBackground: 4, backgroundBqPerML: 30_000), nuclide: nuclide,
                                    camera: camera, voxelMM: 4.8, subsamples: 2, seed: 11)
        let study = Simulator.spect(setup, protocol: SPECTProtocol(views: 60, heads: 2, startAngleDeg: 30, secondsPerView: 15))
        let w = try SimulationOutput.write(study, mode: "spect", setup: setup, out: dir, seconds: 0)
        return Written(dir: dir, nm: w.nmPath, ct: try #require(w.ctFolder), truth: w.truth)
    }

    static func reconstruct(_ w: Written, nm: String? = nil) throws -> ReconJob.Output {
        var o = ReconJob.Options(projections: nm ?? w.nm, out: w.dir + "/recon.dcm")
        o.ct = w.ct; o.psf = .none; o.scatter = .none; o.iterations = 3; o.subsets = 6
        o.writeFiles = false
        return try ReconJob.execute(o)
    }

    @Test(arguments: ["siemens", "ge", "philips", "mediso"])
    func reconstructionLiesOnTheCT(vendor: String) throws {
        let w = try Self.simulate(vendor: vendor)
        defer { try? FileManager.default.removeItem(atPath: w.dir) }
        let out = try Self.reconstruct(w)
        let expectedRule: NMGeometryRule = vendor == "siemens" ? .rotationAxisTableHeight : vendor == "ge" ? .gridCorner : .detectorPlane
        #expect(out.result.placement.contains(expectedRule.rawValue), "\(out.result.placement)")
        #expect(!out.result.warnings.contains { $0.contains("NOT") }, "\(out.result.warnings)")
        #expect(out.provenance.contains("body outline on the CT"), "\(out.provenance)")
        // Spheres where the truth (in the CT's frame) says.
        let spheres = w.truth.landmarks.compactMap { l in l.diameterMM.map { (name: l.name, centre: l.center, diameterMM: $0) } }
        #expect(spheres.count == 6)
        let a = PhantomAnalysis.iec(out.volume, spheres: spheres, sphereTrue: 120_000, backgroundTrue: 30_000)
        for s in a.spheres where s.diameterMM >= 17 { #expect(s.offsetVoxels <= 1, "\(vendor) \(s.name): \(s.offsetVoxels) voxels") }
        if vendor == "siemens" {
            // Written as the real Intevo header: Image Position (0, 0, z), Table Height, row direction (−cos S, sin S, 0).
            let f = try DICOMFile.read(path: w.nm, options: ReadOptions(stopBeforePixels: true))
            let det = try #require(f.dataset.sequence(Tag(0x0054, 0x0022)).first)
            let ipp = det.doubles(.imagePositionPatient)
            #expect(ipp.count == 3 && ipp[0] == 0 && ipp[1] == 0)
            let rot = try #require(f.dataset.sequence(Tag(0x0054, 0x0052)).first)
            #expect(rot.double(Tag(0x0018, 0x1130)) == 173.1)
            let s = try #require(det.double(Tag(0x0054, 0x0200))) * .pi / 180
            let iop = det.doubles(Tag(0x0020, 0x0037))
            #expect(abs(iop[0] + cos(s)) < 1e-6 && abs(iop[1] - sin(s)) < 1e-6)
        }
    }

    /// The same Siemens study read with the wrong rule (its Manufacturer rewritten to GE, so (0, 0, z) is taken for a
    /// grid corner): the grid lands ~150 mm off, and the reconstruction says so instead of passing silently.
    @Test func wrongRuleIsReported() throws {
        let w = try Self.simulate(vendor: "siemens")
        defer { try? FileManager.default.removeItem(atPath: w.dir) }
        var f = try DICOMFile.read(path: w.nm)
        f.dataset.set(.manufacturer, .LO, "GE MEDICAL SYSTEMS")
        let wrong = w.dir + "/as_ge.dcm"
        try DICOMWriter.write(f, to: wrong)
        let out = try Self.reconstruct(w, nm: wrong)
        #expect(out.result.placement.contains(NMGeometryRule.gridCorner.rawValue))
        #expect(out.result.warnings.contains { $0.contains("NOT") }, "\(out.result.warnings)")
    }

    /// The first view's angle comes from Image Orientation (GE) or Start Angle (Siemens) whether or not the file has
    /// a Detector Image Position: a GE detector whose row direction is (−1, 0, 0) starts at θ = 180° (GE Start Angle
    /// 0°), a Siemens one at Start Angle + 180°.
    @Test func anglesDoNotNeedAnImagePosition() throws {
        for (maker, expected) in [("GE MEDICAL SYSTEMS", 180.0), ("SIEMENS", 210.0)] {
            let det = Detector(number: 1, rowDirection: Vector3(-1, 0, 0), columnDirection: Vector3(0, 0, -1), startAngle: 30)
            let frames = [FrameIndex(frame: 0, energyWindow: 1, detector: 1, rotation: 1, angularView: 1, gantryAngle: 30)]
            let acq = NMAcquisition(imageType: .tomo, detectors: [det], frames: frames, rows: 4, columns: 4, manufacturer: maker)
            let (angles, _) = try StudyPreparation.gantryAngles(acq, frames: frames)
            #expect(abs(angles[0] - expected) < 1e-9, "\(maker): \(angles)")
        }
    }

    /// The rule table: manufacturer strings as real files write them.
    @Test func rulesByManufacturer() {
        #expect(NMVendorGeometry.identify(manufacturer: "GE MEDICAL SYSTEMS", model: "Discovery NM/CT 670").rule == .gridCorner)
        #expect(NMVendorGeometry.identify(manufacturer: "SIEMENS", model: "Encore2", imagePosition: Vector3(0, 0, 1797.1)).rule == .rotationAxisTableHeight)
        #expect(NMVendorGeometry.identify(manufacturer: "SIEMENS", model: nil, imagePosition: Vector3(-200, -200, 10)).rule == .detectorPlane)
        #expect(NMVendorGeometry.identify(manufacturer: "Philips Medical Systems", model: "BrightView").rule == .detectorPlane)
        #expect(NMVendorGeometry.identify(manufacturer: "MEDISO", model: "AnyScan").rule == .detectorPlane)
        let unknown = NMVendorGeometry.identify(manufacturer: "ACME", model: nil)
        #expect(!unknown.known && unknown.rule == .detectorPlane)
    }

    /// The real Siemens Intevo header (IQ-SPECT, astigmatic SMARTZOOM collimators): the Siemens rule reproduces its
    /// Image Orientation from its Start Angles, and the reconstruction refuses the cardiofocal collimator clearly.
    @Test(.enabled(if: FileManager.default.fileExists(atPath: VendorCorpus.intevo)))
    func realIntevoHeader() throws {
        let f = try DICOMFile.read(path: VendorCorpus.intevo, options: ReadOptions(stopBeforePixels: true))
        let acq = try NMReader.read(f, loadPixels: false)
        let g = StudyPreparation.vendorGeometry(acq)
        #expect(g.rule == .rotationAxisTableHeight)
        for d in acq.detectors {
            let s = try #require(d.startAngle)
            let enc = g.encode(axis: .zero, zRow0: 0, columns: acq.columns, pixelMM: acq.pixelSpacing.first ?? 1, thetaDeg: s + 180)
            let row = try #require(d.rowDirection)
            #expect(abs(enc.rowDirection.x - row.x) < 1e-6 && abs(enc.rowDirection.y - row.y) < 1e-6, "detector \(d.number)")
        }
        let p = try #require(g.placement(acq))
        #expect(abs(p.axis.y + 173.1) < 1e-9 && p.axis.x == 0 && abs(p.zRow0 - 1797.0951918125) < 1e-6)
        #expect(throws: WorkflowError.self) { try StudyPreparation.checkCollimatorGeometry(acq, seriesDescription: "Rest IQ") }
        // And `scinti recon`'s job says why, before it looks for the (absent) pixels.
        do {
            _ = try ReconJob.execute(ReconJob.Options(projections: VendorCorpus.intevo, out: FileManager.default.temporaryDirectory.appendingPathComponent("iq-\(UUID().uuidString).dcm").path))
            Issue.record("IQ-SPECT must be refused")
        } catch {
            #expect("\(error)".contains("ASTG") && "\(error)".contains("not modelled"), "\(error)")
        }
    }
}

enum VendorCorpus {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../../shared/corpus/vendor").standardizedFileURL.path
    static let intevo = root + "/siemens_intevo16_TOMO_MPI_IQSPECT_HEADERONLY_openrem.dcm"
}
