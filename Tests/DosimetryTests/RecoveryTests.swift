import Foundation
import Imaging
import Physics
import Testing
@testable import Dosimetry
@testable import Workflows

/// Partial-volume correction from recovery coefficients measured with the project's own camera simulation and
/// reconstruction: the truth is each sphere's simulated activity.
@Suite struct RecoveryTests {
    /// Four Lu-177 spheres (6, 15, 35, 100 mL) acquired and reconstructed (MEGP, 208 keV TEW, OSEM 4 × 10, CT AC,
    /// collimator response). RC grows with volume and stays below 1.05; the curve measured on the 6, 35 and 100 mL
    /// spheres, interpolated at 15 mL, corrects the 15 mL sphere's activity to within 10 % of its truth.
    @Test func recoveryCurveCorrectsAnUnmeasuredSphere() throws {
        let lu = try #require(Radionuclide.named("Lu-177"))
        let dir = NSTemporaryDirectory() + "scinti-recovery-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try DoseJob.measureRecovery(volumesML: [6, 15, 35, 100], nuclide: lu, to: dir)
        let m = r.measured
        #expect(m[0].rc < m[1].rc && m[1].rc < m[2].rc && m[2].rc < m[3].rc + 0.03, "\(m.map(\.rc))")
        #expect(m[3].rc < 1.05 && m[0].rc < 0.9, "\(m.map(\.rc))")
        let leaveOut = try RecoveryCurve(volumesML: [6, 35, 100], coefficients: [m[0].rc, m[2].rc, m[3].rc],
                                         relativeUncertainty: [0, 0, 0], source: "test")
        let rc = leaveOut.coefficient(volumeML: 15).rc
        let corrected = m[1].measuredMBq / rc
        let errorCorrected = abs(corrected - m[1].trueMBq) / m[1].trueMBq
        let errorRaw = abs(m[1].measuredMBq - m[1].trueMBq) / m[1].trueMBq
        #expect(errorCorrected < 0.10, "corrected \(corrected) vs true \(m[1].trueMBq) (RC \(rc)); uncorrected error \(errorRaw)")
        #expect(errorCorrected < errorRaw)
    }

    @Test func curveInterpolatesInLogVolumeAndRejectsBadInput() throws {
        let c = try RecoveryCurve(volumesML: [10, 100], coefficients: [0.5, 0.9], relativeUncertainty: [0.1, 0.02], source: "x")
        #expect(abs(c.coefficient(volumeML: 10 * 10.0.squareRoot()).rc - 0.7) < 1e-12)
        #expect(c.coefficient(volumeML: 1).rc == 0.5 && c.coefficient(volumeML: 1000).rc == 0.9)
        #expect(throws: DosimetryError.self) { try RecoveryCurve(volumesML: [100, 10], coefficients: [0.5, 0.9], relativeUncertainty: [0, 0], source: "") }
    }
}
