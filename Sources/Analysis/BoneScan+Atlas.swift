import Foundation
import Imaging

/// The skeletal atlas of the bone scan, taken from the ICRP-110 adult reference phantoms (ICRP Publication 110,
/// Ann. ICRP 39(2), 2009; OpenDose packaging, `../shared/phantoms/icrp110`) and fitted to each patient by the body's
/// head-to-foot extent and midline on the view (``BodyGeometry``): each region's height band (fraction of the body
/// height from the top of the head) and lateral band (distance from the midline, scaled by height ÷ 1730 mm, the
/// mean height of the two phantoms), its mass and its projected (anterior–posterior) area.
///
/// Masses: each region's label IDs (cortical + spongiosa + medullary cavity) × the voxel volume × the density of the
/// ID's medium (`*_LabelsToMaterials.txt`, `*_GateMaterials.db`), adult male and adult female; the test
/// `BoneScanAtlasTests` recomputes them from the phantom files. Projected area: pixels of the region in the phantom's
/// anterior projection × pixel area ÷ body height² (so that it scales with the patient's height²).
/// Height and lateral bands: 1st–99th percentiles of the region's voxels in the two phantoms, rounded outwards.
public struct SkeletalAtlas: Sendable {
    /// One region.
    public struct Region: Sendable, Codable, Equatable {
        /// Name (`skull`, `cervical spine`, …).
        public var name: String
        /// Mass in the adult male and adult female phantoms (g).
        public var massMaleG: Double, massFemaleG: Double
        /// Projected anterior area ÷ body height² (×10⁻⁴), adult male and female.
        public var areaMale: Double, areaFemale: Double
    }

    /// The regions (ICRP-110 label IDs in the comments).
    public static let regions: [Region] = [
        Region(name: "skull", massMaleG: 1163.6, massFemaleG: 900.2, areaMale: 75.936, areaFemale: 74.556),               // 26, 27, 39, 40
        Region(name: "cervical spine", massMaleG: 176.5, massFemaleG: 143.7, areaMale: 22.331, areaFemale: 19.472),       // 47, 48
        Region(name: "thoracic spine", massMaleG: 621.9, massFemaleG: 456.4, areaMale: 50.570, areaFemale: 46.060),       // 49, 50
        Region(name: "lumbar spine", massMaleG: 488.3, massFemaleG: 416.0, areaMale: 31.924, areaFemale: 35.885),         // 51, 52
        Region(name: "sacrum", massMaleG: 282.6, massFemaleG: 140.4, areaMale: 33.767, areaFemale: 27.042),               // 53, 54
        Region(name: "ribs", massMaleG: 884.9, massFemaleG: 422.0, areaMale: 158.376, areaFemale: 130.216),               // 43, 44
        Region(name: "sternum", massMaleG: 66.2, massFemaleG: 49.1, areaMale: 19.079, areaFemale: 20.047),                // 55, 56
        Region(name: "scapulae", massMaleG: 413.3, massFemaleG: 217.3, areaMale: 69.052, areaFemale: 51.995),             // 45, 46
        Region(name: "clavicles", massMaleG: 100.8, massFemaleG: 73.0, areaMale: 16.857, areaFemale: 14.475),             // 24, 25
        Region(name: "pelvis", massMaleG: 1080.0, massFemaleG: 704.9, areaMale: 98.321, areaFemale: 78.826),              // 41, 42
        Region(name: "humeri", massMaleG: 578.5, massFemaleG: 419.9, areaMale: 55.665, areaFemale: 50.572),               // 13–18
        Region(name: "femora", massMaleG: 1572.8, massFemaleG: 974.8, areaMale: 124.771, areaFemale: 106.141),            // 28–33
        Region(name: "forearms and hands", massMaleG: 794.5, massFemaleG: 456.8, areaMale: 94.418, areaFemale: 95.512),   // 19–23
        Region(name: "lower legs and feet", massMaleG: 2079.1, massFemaleG: 1734.9, areaMale: 165.259, areaFemale: 171.915), // 34–38
    ]

    /// ICRP-110 label IDs of each region (bone tissue IDs 13–56 without cartilage).
    public static let labelIDs: [String: Set<Int>] = [
        "skull": [26, 27, 39, 40], "cervical spine": [47, 48], "thoracic spine": [49, 50], "lumbar spine": [51, 52],
        "sacrum": [53, 54], "ribs": [43, 44], "sternum": [55, 56], "scapulae": [45, 46], "clavicles": [24, 25],
        "pelvis": [41, 42], "humeri": [13, 14, 15, 16, 17, 18], "femora": [28, 29, 30, 31, 32, 33],
        "forearms and hands": [19, 20, 21, 22, 23], "lower legs and feet": [34, 35, 36, 37, 38],
    ]

    /// Mass fraction of a region in the skeleton (mean of the male and female fractions); nil for an unknown name.
    public static func massFraction(_ name: String) -> Double? {
        guard let r = regions.first(where: { $0.name == name }) else { return nil }
        let m = regions.reduce(0) { $0 + $1.massMaleG }, f = regions.reduce(0) { $0 + $1.massFemaleG }
        return (r.massMaleG / m + r.massFemaleG / f) / 2
    }

    /// Projected area of a region (mm²) for a patient of `heightMM` (mean of the male and female area ÷ height²).
    public static func projectedAreaMM2(_ name: String, heightMM: Double) -> Double? {
        guard let r = regions.first(where: { $0.name == name }) else { return nil }
        return (r.areaMale + r.areaFemale) / 2 * 1e-4 * heightMM * heightMM
    }

    /// A distance from the midline (mm) on the atlas's scale: divided by height ÷ 1730 mm (the reference height),
    /// that ratio held to 0.6–1.3. The lateral bands of ``region(fraction:lateralMM:heightMM:)`` and ``joints`` are on it.
    static func scaledLateralMM(_ d: Double, heightMM: Double) -> Double {
        d / max(0.6, min(1.3, heightMM / 1730))
    }

    /// The region of a point at height fraction `f` (0 top of the head, 1 soles) and `d` mm from the midline, for a
    /// patient of `heightMM`; first matching band wins (the spine before the ribs, the scapulae before the ribs,
    /// the sacrum before the pelvis). A midline point at the level of the sternum is `thoracic spine` here; the
    /// caller decides sternum from anterior–posterior agreement. Nil outside every band (soft tissue).
    public static func region(fraction f: Double, lateralMM d0: Double, heightMM: Double) -> String? {
        let d = scaledLateralMM(d0, heightMM: heightMM)
        switch f {
        case ..<0.115: return d < 75 ? "skull" : nil
        case ..<0.150: return d < 38 ? "cervical spine" : d < 170 ? "clavicles" : "humeri"
        case ..<0.315 where d < 32: return "thoracic spine"
        case ..<0.405 where d < 40: return f < 0.315 ? "thoracic spine" : "lumbar spine"
        case 0.405..<0.470 where d < 40: return "sacrum"
        case ..<0.175 where d >= 32 && d < 100: return "clavicles"
        case ..<0.215 where d >= 100 && d < 150: return "scapulae"
        case ..<0.335 where d >= 145 && d < 225: return "humeri"
        case ..<0.345 where d >= 15 && d < 145: return "ribs"
        case 0.300..<0.560 where d >= 150: return "forearms and hands"
        case 0.395..<0.470 where d < 150: return "pelvis"
        case 0.470..<0.510 where d < 150: return d < 50 ? "pelvis" : "femora"
        case 0.510..<0.700 where d < 150: return "femora"
        case 0.700...: return d < 130 ? "lower legs and feet" : nil
        default: return nil
        }
    }

    /// One joint of the atlas: its height (fraction of the body height from the top of the head) and the lateral band
    /// (distance from the midline, mm, scaled as in ``region(fraction:lateralMM:heightMM:)``) where it lies.
    public struct Joint: Sendable, Equatable {
        public var name: String, fraction: Double, lateralMinMM: Double, lateralMaxMM: Double
    }

    /// The joints with normal symmetric uptake on a delayed bone scan (shoulders, elbows, wrists, hips, sacro-iliac
    /// joints, knees, ankles; Brenner et al., Semin Nucl Med 42:11 (2012)). Heights: where the joint's focus lies in
    /// projection on the ICRP-110 phantoms, the mean height of the symmetric joint foci this analysis finds on the
    /// tuning studies 1101–1140 (shoulder 0.150–0.165, elbow 0.311–0.320, sacro-iliac 0.421–0.425, knee 0.691–0.696,
    /// ankle 0.938–0.944); the uptake lies in the bone next to the joint, so elbow and knee sit 15–25 mm above the
    /// ends of the humerus (0.330) and femur (0.707). Wrist and hip, never found as pairs there, at the bone ends
    /// (distal forearm 0.470, femoral head 0.471). Lateral bands (mm, scaled as in
    /// ``region(fraction:lateralMM:heightMM:)``): the range of the phantoms' joint sites (shoulder 136–206, elbow
    /// 164–230, wrist 184–263, hip 74–110, sacro-iliac 42–67, knee 49–82, ankle 38–68) widened to the atlas bands
    /// of the bones that meet there. The feet (below the ankles) count as joints throughout: many small joints.
    public static let joints: [Joint] = [
        Joint(name: "shoulder", fraction: 0.157, lateralMinMM: 100, lateralMaxMM: 260),
        Joint(name: "elbow", fraction: 0.316, lateralMinMM: 140, lateralMaxMM: .infinity),
        Joint(name: "wrist", fraction: 0.470, lateralMinMM: 150, lateralMaxMM: .infinity),
        Joint(name: "sacro-iliac joint", fraction: 0.423, lateralMinMM: 25, lateralMaxMM: 80),
        Joint(name: "hip", fraction: 0.471, lateralMinMM: 50, lateralMaxMM: 150),
        Joint(name: "knee", fraction: 0.694, lateralMinMM: 20, lateralMaxMM: 130),
        Joint(name: "ankle", fraction: 0.941, lateralMinMM: 15, lateralMaxMM: 130),
    ]

    /// The joint at a point (height fraction `f`, `d0` mm from the midline, patient of `heightMM`): a joint whose
    /// lateral band holds the point and whose height is within `toleranceMM` (head-to-foot), or the feet (below the
    /// ankle's height); nil away from the joints (mid-shafts, ribs, skull, spine).
    public static func joint(fraction f: Double, lateralMM d0: Double, heightMM: Double, toleranceMM: Double) -> Joint? {
        let d = scaledLateralMM(d0, heightMM: heightMM)
        let near = joints.filter { d >= $0.lateralMinMM && d < $0.lateralMaxMM && abs(f - $0.fraction) * heightMM <= toleranceMM }
        if let j = near.min(by: { abs(f - $0.fraction) < abs(f - $1.fraction) }) { return j }
        if f >= 0.941, d < 130 { return Joint(name: "foot", fraction: f, lateralMinMM: 0, lateralMaxMM: 130) }
        return nil
    }
}

extension BoneScanAnalysis {
    /// Bone scan index (% of skeletal mass, the EXINI/BONENAVI definition: Imbriaco et al., Clin Cancer Res 4:1765
    /// (1998); Ulmert et al., Eur Urol 62:78 (2012)): Σ over lesions of (lesion area ÷ projected area of its atlas
    /// region) × the region's mass fraction of the skeleton × 100. A lesion seen on both views counts once (the
    /// larger of its two contributions); each lesion's involved fraction is capped at 1.
    func boneScanIndex(_ lesions: [Lesion], views: [PlanarViewImage], geometry: [BodyGeometry]) -> Double {
        var contributions: [(view: String, column: Double, row: Double, value: Double)] = []
        for l in lesions {
            guard let k = views.firstIndex(where: { $0.name == l.view }), let name = l.region,
                  let mf = SkeletalAtlas.massFraction(name),
                  let area = SkeletalAtlas.projectedAreaMM2(name, heightMM: geometry[k].heightMM), area > 0 else { continue }
            contributions.append((l.view, l.column, l.row, min(1, l.areaCM2 * 100 / area) * mf * 100))
        }
        var used = [Bool](repeating: false, count: contributions.count)
        var total = 0.0
        for i in contributions.indices where !used[i] {
            used[i] = true
            var v = contributions[i].value
            let c = contributions[i]
            if let k = views.firstIndex(where: { $0.name == c.view }) {
                let cols = Double(views[k].columns - 1)
                for j in contributions.indices where !used[j] && contributions[j].view != c.view
                    && abs(contributions[j].row - c.row) <= 4 && abs((cols - contributions[j].column) - c.column) <= 5 {
                    used[j] = true; v = max(v, contributions[j].value); break
                }
            }
            total += v
        }
        return total
    }
}

extension BoneScanAnalysis {
    /// Smoothed peak of a lesion ÷ normal bone of its atlas region on its view: the median of the region's pixels
    /// above the region's 70th percentile (the bone within the band), pixels within 25 mm of the lesion left out.
    func regionRatio(_ l: Lesion, views: [PlanarViewImage], geometry: [BodyGeometry], smoothed: [[Float]]) -> Double? {
        guard let k = views.firstIndex(where: { $0.name == l.view }), let name = l.region, k < smoothed.count else { return nil }
        let v = views[k], g = geometry[k], s = smoothed[k]
        let px = (v.rowSpacingMM + v.columnSpacingMM) / 2
        var values: [Float] = []
        for r in 0..<v.rows {
            let f = g.fraction(row: Double(r))
            guard f >= 0, f <= 1 else { continue }
            for c in 0..<v.columns where hypot(Double(c) - l.column, Double(r) - l.row) * px > 25 {
                if SkeletalAtlas.region(fraction: f, lateralMM: g.lateralMM(column: Double(c)), heightMM: g.heightMM) == (name == "sternum" ? "thoracic spine" : name) {
                    values.append(s[r * v.columns + c])
                }
            }
        }
        guard values.count >= 10 else { return nil }
        let p70 = RegionTools.quantile(values, 0.7)
        let bone = values.filter { $0 >= p70 }
        let normal = Double(RegionTools.quantile(bone, 0.5))
        let r0 = min(v.rows - 1, max(0, Int(l.row.rounded()))), c0 = min(v.columns - 1, max(0, Int(l.column.rounded())))
        var peak: Float = 0
        for dr in -1...1 { for dc in -1...1 {
            let rr = r0 + dr, cc = c0 + dc
            if rr >= 0, rr < v.rows, cc >= 0, cc < v.columns { peak = max(peak, s[rr * v.columns + cc]) }
        } }
        return normal > 0 ? Double(peak) / normal : nil
    }
}
