import Foundation
import Imaging
import Physics

/// CT numbers → media for Monte Carlo transport: five Schneider-type tissue classes (Schneider, Bortfeld &
/// Schlegel, Phys Med Biol 2000;45:459, reduced) with ICRU Report 44 elemental compositions (mass fractions as
/// tabulated by NIST for "Air, Dry", "Lung Tissue", "Adipose Tissue", "Tissue, Soft" and "Bone, Cortical"), and
/// the mass density of each voxel from its HU (``VoxelDose/densityFromHU(_:)``).
public enum TissueClasses {
    /// The classes: upper HU limit (exclusive) and medium.
    public static let classes: [(upperHU: Float, medium: Medium)] = [
        (-900, try! Medium(name: "Air (ICRU-44)", densityGPerCm3: 0.001205, massFractions: [6: 0.000124, 7: 0.755268, 8: 0.231781, 18: 0.012827])),
        (-200, try! Medium(name: "Lung (ICRU-44)", densityGPerCm3: 1.05, massFractions: [1: 0.103, 6: 0.105, 7: 0.031, 8: 0.749, 11: 0.002, 15: 0.002, 16: 0.003, 17: 0.003, 19: 0.002])),
        (-50, try! Medium(name: "Adipose (ICRU-44)", densityGPerCm3: 0.95, massFractions: [1: 0.114, 6: 0.598, 7: 0.007, 8: 0.278, 11: 0.001, 16: 0.001, 17: 0.001])),
        (200, try! Medium(name: "Soft tissue (ICRU-44)", densityGPerCm3: 1.06, massFractions: [1: 0.102, 6: 0.143, 7: 0.034, 8: 0.708, 11: 0.002, 15: 0.003, 16: 0.003, 17: 0.002, 19: 0.003])),
        (.infinity, try! Medium(name: "Cortical bone (ICRU-44)", densityGPerCm3: 1.92, massFractions: [1: 0.034, 6: 0.155, 7: 0.042, 8: 0.435, 11: 0.001, 12: 0.002, 15: 0.103, 16: 0.003, 20: 0.225])),
    ]

    /// The conversion, for reports.
    public static let statement = "HU → air < −900 ≤ lung < −200 ≤ adipose < −50 ≤ soft tissue < 200 ≤ bone (ICRU-44 compositions), density from HU (bilinear)"

    /// The Monte Carlo world of a CT on the dose grid.
    public static func geometry(hu: [Float], size: GridSize, voxelMM: Vector3) throws(DosimetryError) -> MonteCarloGeometry {
        guard hu.count == size.count else { throw .sizeMismatch("CT has \(hu.count) voxels, grid \(size.count)") }
        let index = hu.map { h -> UInt8 in UInt8(classes.firstIndex { h < $0.upperHU } ?? classes.count - 1) }
        return try MonteCarloGeometry(size: size, voxelMM: voxelMM, mediumIndex: index, density: VoxelDose.densityFromHU(hu).map { max($0, 0.001205) },
                                      media: classes.map(\.medium))
    }
}
