import Imaging
import Physics
import Testing
@testable import Workflows

struct StudyPreparationTests {
    func acquisition(windows: [(Int, Double, Double)]) -> NMAcquisition {
        var acq = NMAcquisition(imageType: .tomo, frames: [], rows: 4, columns: 4, pixelSpacing: [4, 4])
        acq.energyWindows = windows.map { EnergyWindow(number: $0.0, name: nil, ranges: [EnergyRange(lowerKeV: $0.1, upperKeV: $0.2)]) }
        return acq
    }

    @Test func geDiscoveryWindowsPairForTEW() throws {
        // The six windows of the real GE D670 Lu-177 file (vendor-quirks.md).
        let acq = acquisition(windows: [(1, 101.7, 124.3), (2, 187.2, 228.8), (3, 229.63, 251.16), (4, 166.89, 186.31), (5, 124.32, 134.68), (6, 91.2, 100.8)])
        let c = try StudyPreparation.chooseWindows(acq, requested: 2, radionuclide: nil)
        #expect(c.peak.number == 2 && c.lower?.number == 4 && c.upper?.number == 3)
        let c1 = try StudyPreparation.chooseWindows(acq, requested: 1, radionuclide: nil)
        #expect(c1.lower?.number == 6 && c1.upper?.number == 5)
        // Without --window and without a radionuclide: a clear error listing the windows.
        #expect(throws: WorkflowError.self) { try StudyPreparation.chooseWindows(acq, requested: nil, radionuclide: nil) }
        #expect(throws: WorkflowError.self) { try StudyPreparation.chooseWindows(acq, requested: 9, radionuclide: nil) }
    }

    @Test func radionuclideFromCodeMeanings() {
        #expect(StudyPreparation.radionuclide(named: "^99m^Technetium")?.name == "Tc-99m")
        #expect(StudyPreparation.radionuclide(named: "Lutetium-177")?.name == "Lu-177")
        #expect(StudyPreparation.radionuclide(named: "^131^Iodine")?.name == "I-131")
        #expect(StudyPreparation.radionuclide(named: "") == nil)
    }
}
