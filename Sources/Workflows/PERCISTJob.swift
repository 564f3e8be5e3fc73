import Analysis
import Foundation
import Imaging

/// One scan's PERCIST measurements.
public struct PERCISTScanReport: Sendable, Codable {
    /// The series read.
    public var seriesInstanceUID: String?
    /// SULpeak of the hottest lesion (James lean body mass) and where its peak sphere sits (LPS, mm).
    public var sulPeak: Double
    public var sulPeakMM: [Double]?
    /// Liver reference: mean and SD of SUL in a 3 cm sphere at the given centre.
    public var liverSULMean: Double
    public var liverSULSD: Double
    /// Number of hot spots found.
    public var hotspots: Int
    public var warnings: [String]
}

/// The result of `scinti pet percist --baseline-dir … --follow-up-dir …`.
public struct PERCISTReport: Sendable, Codable {
    public var baseline: PERCISTScanReport
    public var followUp: PERCISTScanReport
    public var response: PERCISTResult
    public var conventions: [String]
}

/// PERCIST 1.0 between two PET series: SULpeak of the hottest lesion on each (not necessarily the same lesion),
/// liver reference from a 3 cm sphere in the normal right lobe at a position given per scan.
public enum PERCISTJob {
    /// Measures one scan. The liver sphere's voxels are excluded from the lesion search.
    public static func measure(path: String, liverCenterMM: Vector3, options: PETSUVJob.Options) throws -> PERCISTScanReport {
        let (r, suv) = try PETSUVJob.runWithImage(path: path, options: options)
        guard let sulFactor = r.suvlbmFactor else {
            throw WorkflowError("\(path): SUL needs height and sex (give --height and --sex, or fix Patient's Size/Sex)")
        }
        let sulPerSUV = sulFactor / r.suvbwFactor
        // Liver: voxel centres within 15 mm of the given centre.
        let g = suv.geometry
        let c: Vector3
        do { c = try g.continuousIndex(of: liverCenterMM) } catch {
            throw WorkflowError("\(path): liver centre \(liverCenterMM) is outside the image")
        }
        let rx = Int(ceil(15 / g.spacing.x)), ry = Int(ceil(15 / g.spacing.y)), rz = Int(ceil(15 / g.spacing.z))
        var liver: [Int] = []
        for k in max(0, Int(c.z) - rz)...min(suv.size.z - 1, Int(c.z) + rz + 1) {
            for j in max(0, Int(c.y) - ry)...min(suv.size.y - 1, Int(c.y) + ry + 1) {
                for i in max(0, Int(c.x) - rx)...min(suv.size.x - 1, Int(c.x) + rx + 1)
                where (g.patientPosition(i, j, k) - liverCenterMM).length <= 15 {
                    liver.append(suv.index(i, j, k))
                }
            }
        }
        guard liver.count >= 3 else { throw WorkflowError("\(path): the 3 cm liver sphere holds \(liver.count) voxels") }
        let ls = VOIAnalysis.statistics(suv, indices: liver, kernel: nil, delineation: "3 cm sphere")
        let liverMean = ls.mean * sulPerSUV, liverSD = ls.sd * sulPerSUV
        var warnings = r.warnings
        if liver.count < Int(0.9 * 14_137 / (g.spacing.x * g.spacing.y * g.spacing.z)) {
            warnings.append("liver sphere partly outside the image (\(liver.count) voxels)")
        }
        // Hottest lesion: the highest SULpeak among the hot spots whose peak is not inside the liver sphere.
        let candidates = r.hotspots.filter { h in
            guard let p = h.peakMM else { return false }
            return (Vector3(p[0], p[1], p[2]) - liverCenterMM).length > 15
        }
        let best = candidates.max { ($0.sulPeak ?? 0) < ($1.sulPeak ?? 0) }
        if best == nil { warnings.append("no hot spot above the detection threshold outside the liver sphere: SULpeak 0") }
        return PERCISTScanReport(seriesInstanceUID: r.seriesInstanceUID, sulPeak: best?.sulPeak ?? 0, sulPeakMM: best?.peakMM,
                                 liverSULMean: liverMean, liverSULSD: liverSD, hotspots: r.hotspots.count, warnings: warnings)
    }

    /// Measures both scans and assesses the response.
    public static func run(baseline: String, baselineLiverMM: Vector3, followUp: String, followUpLiverMM: Vector3,
                           options: PETSUVJob.Options = .init(), newLesions: Bool = false) throws -> PERCISTReport {
        let b = try measure(path: baseline, liverCenterMM: baselineLiverMM, options: options)
        let f = try measure(path: followUp, liverCenterMM: followUpLiverMM, options: options)
        let response = PERCIST.assess(baseline: PERCISTScan(sulPeak: b.sulPeak, liver: PERCISTReference(mean: b.liverSULMean, sd: b.liverSULSD)),
                                      followUp: PERCISTScan(sulPeak: f.sulPeak, liver: PERCISTReference(mean: f.liverSULMean, sd: f.liverSULSD)),
                                      newLesions: newLesions)
        return PERCISTReport(baseline: b, followUp: f, response: response, conventions: [
            "PERCIST 1.0 (Wahl et al. 2009): SUL = SUV normalised to lean body mass by James (128/148)",
            "SULpeak: highest 1 cm³ sphere mean among hot spots (SUVbw ≥ \(petFormat(options.search.detectionSUV))) outside the liver sphere; not necessarily the same lesion on both scans",
            "liver reference: mean and SD of SUL over voxel centres within 15 mm of the given centre (3 cm sphere)",
        ])
    }
}
