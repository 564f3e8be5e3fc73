import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
import Testing
@testable import Analysis
@testable import Simulation
@testable import Workflows

/// Thyroid uptake against the simulator's set-up: the gland holds a known fraction of the administered activity
/// (its voxelised compartment activity, decayed), the standard capsule a known activity; the analysis sees only the
/// DICOM files (activities and times from the Radiopharmaceutical Information, as the CLI reads them).
@Suite(.serialized) struct ThyroidUptakeTests {
    static let i123 = Radionuclide.named("I-123")!, i131 = Radionuclide.named("I-131")!

    /// Runs the CLI's path: write the four images as DICOM, read them back, analyse with the file's activities.
    static func analyse(_ c: ClinicalStudies.ThyroidUptakeCase, _ name: String, implicit: Bool = false) throws -> ThyroidUptake.Analysis {
        let paths = try [("neck", c.neck), ("standard", c.standard), ("thigh", c.thigh), ("room", c.room)].map {
            try FixtureA.write($0.1.acquisition, "\(name)-\($0.0)", implicit: implicit)
        }
        let p = try paths.map { try PlanarInputs.planar(path: $0, role: "test") }
        func m(_ s: PlanarInputs.PlanarStudy) throws -> ThyroidUptake.Measurement {
            ThyroidUptake.Measurement(image: s.image, start: try #require(s.acquisitionStart), durationSeconds: try #require(s.durationSeconds))
        }
        let nuclide = try #require(p[0].nuclide)
        return try ThyroidUptake(nuclide: nuclide).analyze(
            neck: try m(p[0]), standard: try m(p[1]), thigh: try m(p[2]), room: try m(p[3]),
            administeredBq: try #require(p[0].totalDoseBq), administration: try #require(p[0].administration),
            standardBq: try #require(p[1].totalDoseBq), standardCalibration: try #require(p[1].administration))
    }

    /// 5 % (I-123 at 6 h), 15 % (I-123 at 24 h), 30 % (I-131 at 24 h, HEGP): within 0.5 percentage points.
    @Test(arguments: [(5.0, "I-123", 6.0), (15.0, "I-123", 24.0), (30.0, "I-131", 24.0)])
    func uptakeWithinHalfAPoint(uptake: Double, nuclideName: String, hours: Double) throws {
        let n = Radionuclide.named(nuclideName)!
        let cam = FixtureA.camera(n, collimator: n.name == "I-131" ? "HEGP" : "LEHR", size: 64, pixel: 4.8)
        let c = ClinicalStudies.thyroidUptake(nuclide: n, uptakePercent: uptake, hoursAfterAdministration: hours,
                                               administeredMBq: n.name == "I-131" ? 3.7 : 14.8, standardMBq: n.name == "I-131" ? 3.7 : nil, camera: cam, voxelMM: 3, seed: UInt64(uptake))
        // Truth from the set-up: the voxelised gland activity ÷ the decayed administered activity.
        #expect(abs(c.uptakePercent - uptake) < 1e-6)
        let a = try Self.analyse(c, "uptake\(Int(uptake))", implicit: uptake == 15)
        let r = a.result
        print(String(format: "thyroid uptake %@ %.0f h: measured %.3f %%, truth %.3f %%", nuclideName, hours, r.uptakePercent, c.uptakePercent))
        #expect(abs(r.uptakePercent - c.uptakePercent) <= 0.5, "uptake \(r.uptakePercent) vs \(c.uptakePercent)")
        #expect(abs(r.hoursAfterAdministration - hours - 300.0 / 3600) < 1e-3)
        #expect(r.radionuclide == nuclideName && r.decayDataSet == "ensdf")
        #expect(abs(r.administeredMBq - c.administeredBq / 1e6) < 1e-6)
        // Gland activity at the reference time against the set-up's (decayed from the neck start to its mid-time).
        let gland = c.thyroidBqAtNeck * exp(-n.decayConstant * 300) / 1e6
        #expect(abs(r.thyroidMBq - gland) / gland < 0.5 / uptake + 0.01)
    }

    /// Without the thigh the extrathyroidal tissue is counted as gland (uptake higher) and a warning says so.
    @Test func thighMatters() throws {
        let n = Self.i123
        let c = ClinicalStudies.thyroidUptake(nuclide: n, uptakePercent: 15, hoursAfterAdministration: 4, administeredMBq: 14.8,
                                               tissueBqPerML: 1500, camera: FixtureA.camera(n, size: 48, pixel: 6), voxelMM: 4, seed: 3)
        let img = { (s: SimulatedStudy) in try PlanarViewImage(try s.acquisition.planarImage(frame: 0)) }
        func m(_ s: SimulatedStudy, _ k: Double) throws -> ThyroidUptake.Measurement {
            ThyroidUptake.Measurement(image: try img(s), start: SimulationSetup.defaultStart.addingTimeInterval(k * 660),
                                      durationSeconds: k == 1 ? c.standardSeconds : 600)
        }
        let admin = SimulationSetup.defaultStart.addingTimeInterval(-4 * 3600)
        let with = try ThyroidUptake(nuclide: n).analyze(neck: try m(c.neck, 0), standard: try m(c.standard, 1), thigh: try m(c.thigh, 2), room: try m(c.room, 3),
                                                       administeredBq: c.administeredBq, administration: admin, standardBq: c.standardBq, standardCalibration: admin).result
        let without = try ThyroidUptake(nuclide: n).analyze(neck: try m(c.neck, 0), standard: try m(c.standard, 1), thigh: nil, room: try m(c.room, 3),
                                                          administeredBq: c.administeredBq, administration: admin, standardBq: c.standardBq, standardCalibration: admin).result
        #expect(abs(with.uptakePercent - 15) <= 0.5, "\(with.uptakePercent)")
        #expect(without.uptakePercent > with.uptakePercent + 0.5)
        #expect(without.warnings.contains { $0.contains("thigh") })
        // Bad input: zero-count standard, mismatched matrix, non-positive activity.
        let zero = try PlanarViewImage(rows: 48, columns: 48, counts: [Float](repeating: 0, count: 48 * 48), pixelSpacingMM: 6)
        #expect { _ = try ThyroidUptake(nuclide: n).analyze(neck: try m(c.neck, 0), standard: .init(image: zero, start: admin, durationSeconds: 600), thigh: nil, room: nil,
                                                         administeredBq: 1e6, administration: admin, standardBq: 1e6, standardCalibration: admin) } throws: { "\($0)".contains("standard image has zero counts") }
        let small = try PlanarViewImage(rows: 32, columns: 32, counts: [Float](repeating: 1, count: 1024), pixelSpacingMM: 6)
        #expect { _ = try ThyroidUptake(nuclide: n).analyze(neck: try m(c.neck, 0), standard: try m(c.standard, 1), thigh: .init(image: small, start: admin, durationSeconds: 600), room: nil,
                                                         administeredBq: 1e6, administration: admin, standardBq: 1e6, standardCalibration: admin) } throws: { "\($0)".contains("mismatched matrix") }
        #expect { _ = try ThyroidUptake(nuclide: n).analyze(neck: try m(c.neck, 0), standard: try m(c.standard, 1), thigh: nil, room: nil,
                                                         administeredBq: 0, administration: admin, standardBq: 1e6, standardCalibration: admin) } throws: { "\($0)".contains("administered activity must be positive") }
    }

    /// A gated file given as a neck image is refused with the image type named.
    @Test func wrongImageType() throws {
        // A small GATED acquisition (8 slots of 16², counts 1), written as a camera would.
        let frames = (0..<8).map { FrameIndex(frame: $0, energyWindow: 1, detector: 1, rrInterval: 1, timeSlot: $0 + 1, gantryAngle: 45) }
        let acq = NMAcquisition(imageType: .gated, energyWindows: [EnergyWindow(number: 1, name: "PEAK", ranges: [EnergyRange(lowerKeV: 126, upperKeV: 154)])],
                                detectors: [Detector(number: 1)], rrIntervals: [RRInterval(number: 1, frameTimeMs: 100, nominalIntervalMs: 800, timeSlots: (1...8).map { TimeSlot(number: $0) })],
                                numberOfTimeSlots: 8, frames: frames, rows: 16, columns: 16, pixelSpacing: [4, 4], counts: [Float](repeating: 1, count: 8 * 256))
        let path = try FixtureA.write(acq, "gated-as-neck")
        #expect { _ = try PlanarInputs.planar(path: path, role: "neck") } throws: { "\($0)".contains("GATED") && "\($0)".contains("STATIC") }
    }

    /// Marinelli: a hand-computed case from the published formula, and the constant 24.67 against the dose
    /// integral with I-131's mean non-penetrating energy per decay from the project's decay data (ENSDF):
    /// D = U·A·(T_eff/ln 2)·E / m  ⇒  K = 1 / (E[J] · 86400 / ln 2 · 1e6 · 1e-2 / 1e-3) — within 6 %.
    @Test func marinelli() throws {
        let m = try ThyroidUptake.Marinelli(targetDoseGy: 150, glandMassG: 20, uptakePercent: 40, effectiveHalfLifeDays: 5)
        #expect(abs(m.activityMBq - 24.67 * 150 * 20 / (40 * 5)) < 1e-9)
        #expect(abs(m.activityMBq - 370.05) < 1e-9)   // 24.67 × 3000 / 200, by hand
        let eMeV = Self.i131.meanLocalEnergyMeV
        let joules = eMeV * 1.602176634e-13
        let k = 1 / (joules * 86_400 / log(2) * 1e6 * 1e-2 / 1e-3)
        #expect(abs(k - ThyroidUptake.Marinelli.constant) / k < 0.06, "K from decay data \(k) (E = \(eMeV) MeV)")
        #expect { _ = try ThyroidUptake.Marinelli(targetDoseGy: 150, glandMassG: 20, uptakePercent: 0, effectiveHalfLifeDays: 5) } throws: { "\($0)".contains("uptake") }
    }
}
