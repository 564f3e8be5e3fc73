import DICOM
import DICOMImaging
import Foundation
import Imaging
import Physics
@testable import Simulation

/// Fixtures of the planar analysis tests (LVEF, thyroid uptake, parathyroid): small cameras, simulated studies made once and shared.
enum FixtureA {
    static let tc = Radionuclide.named("Tc-99m")!

    /// A camera with the usual triple-energy windows of `nuclide` (photopeak = window 1).
    static func camera(_ nuclide: Radionuclide = tc, collimator: String = "LEHR", size: Int = 64, pixel: Double = 4.8) -> Camera {
        let e = nuclide.photopeakKeV!
        return Camera(collimator: Collimator.named(collimator)!, columns: size, rows: size, pixelSizeMM: pixel,
                      windows: WindowSetting.tripleEnergyWindows(photopeakKeV: e, label: nuclide.name.replacingOccurrences(of: "-", with: "")))
    }

    /// Gated blood-pool studies for EF 30, 45, 65 % (made once).
    static let gated: [Double: SimulatedStudy] = {
        var out: [Double: SimulatedStudy] = [:]
        for (k, ef) in [30.0, 45.0, 65.0].enumerated() {
            out[ef] = ClinicalStudies.gatedBloodPool(efPercent: ef, timeSlots: 16, camera: camera(size: 64, pixel: 4.8),
                                                      voxelMM: 7, subsamples: 2, seed: UInt64(11 + k))
        }
        return out
    }()

    static func tmp(_ name: String) -> String {
        let d = FileManager.default.temporaryDirectory.appendingPathComponent("scinti-planar-\(getpid())-\(name)").path
        try? FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true)
        return d
    }

    /// Writes an acquisition as a camera would (implicit VR optional) and returns the path.
    static func write(_ acq: NMAcquisition, _ name: String, implicit: Bool = false, heartRate: Int? = nil) throws -> String {
        let path = tmp("files") + "/\(name).dcm"
        try NMWriter.write(acq, study: StudyAttributes(studyDate: acq.acquisitionDate ?? "20250115", studyTime: acq.acquisitionTime ?? "100000"), series: SeriesAttributes(seriesDescription: name), to: path,
                           options: NMWriter.Options(heartRate: heartRate, transferSyntax: implicit ? .implicitVRLittleEndian : .explicitVRLittleEndian))
        return path
    }
}
