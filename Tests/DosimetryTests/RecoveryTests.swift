import Foundation
import Imaging
import Physics
import Testing
@testable import Dosimetry
@testable import Workflows

/// Partial-volume correction from recovery coefficients measured with the project's own camera simulation and
/// reconstruction: the truth is each sphere's simulated activity.
@Suite struct RecoveryTests {
    // The camera-measured curve (spheres of 6, 15, 35, 100 mL through the camera simulation and OSEM, leave-one-out
    // correction of the 15 mL sphere within 10 %) is checked in SerialCameraStudyTests, which measures it once for
    // its tumour VOI as well.

    @Test func curveInterpolatesInLogVolumeAndRejectsBadInput() throws {
        let c = try RecoveryCurve(volumesML: [10, 100], coefficients: [0.5, 0.9], relativeUncertainty: [0.1, 0.02], source: "x")
        #expect(abs(c.coefficient(volumeML: 10 * 10.0.squareRoot()).rc - 0.7) < 1e-12)
        #expect(c.coefficient(volumeML: 1).rc == 0.5 && c.coefficient(volumeML: 1000).rc == 0.9)
        #expect(throws: DosimetryError.self) { try RecoveryCurve(volumesML: [100, 10], coefficients: [0.5, 0.9], relativeUncertainty: [0, 0], source: "") }
    }
}
