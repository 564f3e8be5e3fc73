import DICOMImaging
import Dosimetry
import Foundation
import Imaging
import Physics
import Simulation

extension DoseJob {
    /// Sphere positions (patient LPS, mm) inside the camera study's body for recovery measurements (≥ 70 mm apart).
    public static let recoverySpherePositions = [Vector3(-35, -5, 10), Vector3(40, 25, -25), Vector3(45, 10, 45), Vector3(-10, -35, -50)]

    /// Measures recovery coefficients with the project's own camera simulation and reconstruction
    /// (``writeSimulatedCamera(organs:visits:nuclide:to:settings:administration:)``: the settings' camera, collimator,
    /// photopeak, OSEM, attenuation, scatter and resolution correction): uniform spheres of `volumesML` (≤ 4) in the
    /// camera study's body, one acquisition 24 h after administration; RC = activity in a VOI of the sphere itself
    /// (voxel centres inside it, on the reconstruction grid) ÷ the sphere's true activity. Returns the curve and the
    /// measured spheres' (volume, RC) in the order given.
    public static func measureRecovery(volumesML: [Double], nuclide: Radionuclide, settings: CameraStudySettings = CameraStudySettings(),
                                       to dir: String, a0MBq: Double = 80) throws -> (curve: RecoveryCurve, measured: [(volumeML: Double, rc: Double, trueMBq: Double, measuredMBq: Double)]) {
        guard !volumesML.isEmpty, volumesML.count <= recoverySpherePositions.count, volumesML.allSatisfy({ $0 > 0.5 && $0 <= 200 }) else {
            throw WorkflowError("recovery spheres: 1–\(recoverySpherePositions.count) volumes of 0.5–200 mL (got \(volumesML))")
        }
        let spheres = volumesML.enumerated().map { n, v -> SerialStudyOrgan in
            let r = pow(3 * v * 1000 / (4 * Double.pi), 1.0 / 3)
            return SerialStudyOrgan(name: String(format: "sphere %.3g mL", v), center: recoverySpherePositions[n], semiAxesMM: Vector3(r, r, r),
                                    hu: 40, a0MBq: a0MBq, washoutHalfLifeHours: 1e6)
        }
        var s = settings
        s.voiMarginMM = 0
        let hours = 24.0
        let cam = try writeSimulatedCamera(organs: spheres, visits: [(hours, Repositioning())], nuclide: nuclide, to: dir, settings: s)
        let spectPath = (cam.folders[0] as NSString).appendingPathComponent("spect.dcm")
        let spect: Volume
        do { spect = try ReconTomo.read(path: spectPath) } catch { throw WorkflowError("\(spectPath): \(error)") }
        let masks = SerialStudy.coveringMasks(organs: spheres, marginMM: 0, size: spect.size, geometry: spect.geometry)
        let sp = spect.geometry.spacing
        let voxelML = sp.x * sp.y * sp.z / 1000
        var measured: [(volumeML: Double, rc: Double, trueMBq: Double, measuredMBq: Double)] = []
        for (n, o) in spheres.enumerated() {
            var sum = 0.0
            for i in masks[n].indices where masks[n][i] { sum += Double(spect.voxels[i]) }
            let a = sum * voxelML / 1e6, truth = o.activityMBq(atHours: hours)
            measured.append((volumesML[n], a / truth, truth, a))
        }
        let sorted = measured.sorted { $0.volumeML < $1.volumeML }
        // Uncertainty: half the step to the neighbouring sphere (interpolation), relative.
        let u = sorted.indices.map { i -> Double in
            let nb = [i - 1, i + 1].filter { sorted.indices.contains($0) }.map { abs(sorted[$0].rc - sorted[i].rc) }
            return (nb.min() ?? 0) / 2 / sorted[i].rc
        }
        let source = String(format: "Scinti camera simulation %@ %.0f keV, %d² × %.1f mm, %d views, OSEM %d×%d, CT AC%@, collimator response; spheres %@ mL in the camera-study body",
                            s.collimator, s.photopeakKeV, s.matrix, s.pixelMM, s.views, s.iterations, s.subsets, s.scatter ? ", TEW" : "",
                            sorted.map { String(format: "%.3g", $0.volumeML) }.joined(separator: ", "))
        let curve: RecoveryCurve
        do {
            curve = try RecoveryCurve(volumesML: sorted.map(\.volumeML), coefficients: sorted.map { min(max($0.rc, 0.01), 1.5) },
                                      relativeUncertainty: u, source: source)
        } catch { throw WorkflowError("recovery: \(error)") }
        return (curve, measured)
    }
}
