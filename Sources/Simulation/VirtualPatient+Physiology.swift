import Foundation
import Imaging

/// Normal (physiological) uptake that a reader must not call a lesion, with where it is: joints, sacro-iliac
/// joints, growth plates, the injection site, kidneys, bladder. Listed in `truth.json` → `patient.physiology[]`
/// so that an analysis test can check that none of them is reported as a lesion.
public struct PhysiologyTruth: Sendable, Codable, Equatable {
    /// Name (`joint-knee-left`, `sacroiliac-right`, `growth-plate-femur-distal-left`, `injection-site`, `kidney-left`, `bladder`).
    public var name: String
    /// Centre (LPS, mm; the patient frame the camera writes).
    public var centerLPS: [Double]
    /// Pixel (0-based column, row) in every planar view (static and whole-body studies).
    public var pixel: [String: [Int]] = [:]
    /// Why it is hot.
    public var reason: String
    /// Creates a site.
    public init(name: String, centerLPS: [Double], reason: String, ratioToReference: Double? = nil, source: String? = nil) {
        self.name = name; self.centerLPS = centerLPS; self.reason = reason; self.ratioToReference = ratioToReference; self.source = source
    }
    /// Concentration relative to its reference tissue (joints and growth plates: the bone compartment they lie in),
    /// where the site is modelled as such a ratio.
    public var ratioToReference: Double?
    /// Source of the ratio (or "modelling choice").
    public var source: String?
}

extension VirtualPatient {
    /// A bone-scan site: a sphere (or plate) painted only over the IDs of its parent bone compartment, with a
    /// concentration `ratio` × the parent's.
    struct BoneSite {
        var name: String, center: Vector3, radius: Double, plate: Bool, parent: String, ratio: Double, reason: String, source: String
    }

    // Ratios (concentration / the bone compartment's). Sources:
    // - Joints: normal symmetric periarticular uptake (subchondral bone turnover) of shoulders, elbows, wrists,
    //   hips, knees and ankles on delayed Tc-99m phosphonate images (Brenner, Koshkin, Fogelman, "The bone scan",
    //   Semin Nucl Med 42:11 (2012); EANM bone scintigraphy guideline, Van den Wyngaert et al., EJNMMI 43:1723 (2016),
    //   normal variants). The ratio 1.6 is a modelling choice within the joint-to-adjacent-bone ratios of about
    //   1.3–2 reported for normal adult knees and ankles in quantitative bone scintigraphy (approximate).
    // - Sacro-iliac joints: sacro-iliac-to-sacrum ratio 1.3 (normal adults ~1.0–1.4: Lentle et al., "Quantitative
    //   sacroiliac scintigraphy", J Nucl Med 18:529 (1977); Goldberg et al., Radiology 128:683 (1978)).
    // - Growth plates (`--growth-plates`, young patients): intense symmetric physeal uptake, 3–5 × the metaphysis
    //   (Treves, Pediatric Nuclear Medicine and Molecular Imaging, 4th ed. 2014, skeletal scintigraphy); 4 here,
    //   placed in the adult phantom's bones as an approximation of an adolescent.
    static let jointRatio = 1.6, sacroiliacRatio = 1.3, growthPlateRatio = 4.0
    static let jointSource = "modelling choice after Brenner et al., Semin Nucl Med 42:11 (2012) and EANM 2016 normal variants"
    static let sacroiliacSource = "Lentle et al., J Nucl Med 18:529 (1977): normal SI/sacrum 1.0-1.4"
    static let growthPlateSource = "Treves, Pediatric Nuclear Medicine (2014): physes 3-5 x metaphysis (modelling choice 4)"

    /// The end of a bone (IDs `ids`, one side): centroid of its voxels within `bandMM` of its top or bottom, placed
    /// at that extreme z (phantom coordinates); nil if the bone is absent.
    func boneEnd(_ ids: Set<Int>, side: OrganGroup.Side, top: Bool, bandMM: Double = 16) -> Vector3? {
        let vs = voxels(of: OrganGroup(name: "b", ids: ids, side: side))
        guard let zExt = top ? vs.map(\.z).max() : vs.map(\.z).min() else { return nil }
        let c = Self.centroid(vs.filter { abs($0.z - zExt) <= bandMM })
        return Vector3(c.x, c.y, zExt)
    }

    /// The sacro-iliac joint of one side: pelvis voxels with sacrum within three phantom voxels towards the midline.
    func sacroiliac(side: OrganGroup.Side) -> Vector3? {
        let sacrum: Set<Int> = [53, 54]
        let toMid = side == .left ? -1.0 : 1.0
        let vs = voxels(of: OrganGroup(name: "p", ids: [41, 42], side: side)).filter { q in
            (1...3).contains { sacrum.contains(label(atPhantom: q + Vector3(toMid * Double($0) * phantom.spacingMM.x, 0, 0))) }
        }
        return vs.isEmpty ? nil : Self.centroid(vs)
    }

    /// Joints, sacro-iliac joints and (with `growthPlates`) growth plates of a bone scan; arm sites are left out
    /// when the arms are cropped.
    func boneScanSites() -> [BoneSite] {
        var out: [BoneSite] = []
        let app = "appendicular-skeleton", axial = "axial-skeleton"
        let humU: Set<Int> = [13, 14, 15], humL: Set<Int> = [16, 17, 18], forearm: Set<Int> = [19, 20, 21]
        let femU: Set<Int> = [28, 29, 30], femL: Set<Int> = [31, 32, 33], tib: Set<Int> = [34, 35, 36]
        for side in [OrganGroup.Side.left, .right] {
            let s = side.rawValue
            var joints: [(String, Set<Int>, Bool, Double)] = [("hip", femU, true, 22), ("knee", femL, false, 25), ("ankle", tib, false, 18)]
            if !variability.armsRaised { joints = [("shoulder", humU, true, 20), ("elbow", humL, false, 15), ("wrist", forearm, false, 14)] + joints }
            for (name, ids, top, r) in joints {
                guard let c = boneEnd(ids, side: side, top: top) else { continue }
                out.append(BoneSite(name: "joint-\(name)-\(s)", center: c, radius: r, plate: false, parent: app, ratio: Self.jointRatio,
                                    reason: "normal periarticular uptake (\(name))", source: Self.jointSource))
            }
            if let c = sacroiliac(side: side) {
                out.append(BoneSite(name: "sacroiliac-\(s)", center: c, radius: 15, plate: false, parent: axial, ratio: Self.sacroiliacRatio,
                                    reason: "normal sacro-iliac joint uptake", source: Self.sacroiliacSource))
            }
            guard growthPlates else { continue }
            // Physes: distal femur and proximal tibia 20 mm from the knee, distal radius 20 mm above the wrist,
            // proximal humerus 25 mm below the top of the humeral head.
            var plates: [(String, Vector3?, Double)] = [("femur-distal", boneEnd(femL, side: side, top: false), 20),
                                                        ("tibia-proximal", boneEnd(femL, side: side, top: false), -20)]
            if !variability.armsRaised {
                plates += [("radius-distal", boneEnd(forearm, side: side, top: false), 20), ("humerus-proximal", boneEnd(humU, side: side, top: true), -25)]
            }
            for (name, end, dz) in plates {
                guard let e = end else { continue }
                out.append(BoneSite(name: "growth-plate-\(name)-\(s)", center: e + Vector3(0, 0, dz), radius: 30, plate: true, parent: app,
                                    ratio: Self.growthPlateRatio, reason: "growth plate (physis) of a young patient", source: Self.growthPlateSource))
            }
        }
        return out
    }
}


extension VirtualPatient {
    /// The physiology list of the truth: bone-scan sites that received voxels, the injection site, kidneys and
    /// bladder where the tracer puts activity in them (positions in patient coordinates).
    func physiologySites(boneSites: [BoneSite], spheres: [Sphere], sampled: Sampled, organs: [OrganTruth]) -> [PhysiologyTruth] {
        var out: [PhysiologyTruth] = []
        for b in boneSites where (sampled.perSphere[b.name]?.totalFraction ?? 0) > 0 {
            out.append(PhysiologyTruth(name: b.name, centerLPS: variability.toPatient(b.center).array, reason: b.reason,
                                       ratioToReference: b.ratio, source: b.source))
        }
        if let inj = spheres.first(where: { $0.name == "injection-site" }), (sampled.perSphere[inj.name]?.totalFraction ?? 0) > 0 {
            let why = tracer.name == "tc99m-nanocolloid" ? "injection site (intradermal, periareolar/peritumoral)"
                : extravasation ? "injection site with paravenous extravasation" : "injection site (antecubital vein)"
            out.append(PhysiologyTruth(name: "injection-site", centerLPS: inj.center.array, reason: why))
        }
        let active = Set(organs.filter { $0.activityMBq > 0 }.map(\.name))
        // Lymph nodes of a sentinel study (the findings the study looks for, listed here with their positions so that
        // a trial can match them): the sentinel and the second-echelon node, where they hold activity.
        for name in ["sentinel-node", "second-echelon-node"] where active.contains(name) {
            if let n = spheres.first(where: { $0.name == name }), (sampled.perSphere[name]?.totalFraction ?? 0) > 0 {
                out.append(PhysiologyTruth(name: name, centerLPS: n.center.array,
                                           reason: name == "sentinel-node" ? "sentinel lymph node (first draining node): a finding, not physiology"
                                               : "second-echelon lymph node: a finding, not physiology"))
            }
        }
        var organSites: [(String, String, String)] = []
        if active.contains("kidneys") { organSites += [("kidney-left", "kidney-left", "renal uptake/excretion"), ("kidney-right", "kidney-right", "renal uptake/excretion")] }
        if active.contains("urinary-bladder-contents") { organSites.append(("bladder", "urinary-bladder-contents", "urine in the bladder")) }
        // Organs a neck/chest study sees besides its target (parathyroid sestamibi, MIBG, octreotide): physiology, never a finding.
        if active.contains("myocardium") { organSites.append(("myocardium", "myocardium", "myocardial uptake")) }
        if active.contains("salivary-glands") { organSites.append(("salivary-glands", "salivary-glands", "salivary gland uptake")) }
        if active.contains("liver") && tracer.name != "tc99m-mdp" { organSites.append(("liver", "liver", "hepatic uptake")) }
        for (name, group, why) in organSites {
            guard let g = try? OrganGroup.named(group) else { continue }
            let vs = voxels(of: g)
            guard !vs.isEmpty else { continue }
            out.append(PhysiologyTruth(name: name, centerLPS: variability.toPatient(Self.centroid(vs)).array, reason: why))
        }
        return out
    }
}
