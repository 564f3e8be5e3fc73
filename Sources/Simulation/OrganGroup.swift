import Foundation

/// A named set of ICRP-110 organ IDs ("kidneys" = cortex + medulla + pelvis of both sides), optionally restricted
/// to one side of the body (the patient's left is +x in LPS).
public struct OrganGroup: Sendable, Codable, Equatable, Hashable {
    /// Side restriction.
    public enum Side: String, Sendable, Codable { case left, right }
    /// Name as used on the command line and in truth.json (`kidneys`, `thoracic-spine`, `femur-left`, …).
    public var name: String
    /// ICRP-110 organ IDs (organs.tsv).
    public var ids: Set<Int>
    /// Only the voxels on this side of the phantom's midline.
    public var side: Side?
    /// Whether the group is a skeletal region (bone metastases are placed in these).
    public var skeletal: Bool

    /// Creates a group.
    public init(name: String, ids: Set<Int>, side: Side? = nil, skeletal: Bool = false) {
        self.name = name; self.ids = ids; self.side = side; self.skeletal = skeletal
    }

    static func r(_ a: Int, _ b: Int) -> Set<Int> { Set(a...b) }

    /// Spongiosa IDs of the bones that hold red (active) marrow in the adult (ICRP Publication 70/89: cranium,
    /// mandible, humeri and femora upper halves, clavicles, scapulae, ribs, sternum, vertebrae, sacrum, pelvis);
    /// ICRP-110 voxels do not separate marrow from trabecular bone, so the spongiosa stands for both.
    public static let redMarrowIDs: Set<Int> = [14, 25, 27, 29, 40, 42, 44, 46, 48, 50, 52, 54, 56]
    /// Every bone ID (cortical, spongiosa, medullary cavity of every bone: 13–56).
    public static let skeletonIDs = r(13, 56)
    /// IDs of the arms (bones, vessels, cartilage, nodes, muscle, residual tissue, skin): cropped when the arms are
    /// raised out of a SPECT field of view.
    public static let armIDs: Set<Int> = r(13, 23).union([11, 59, 104, 108, 118, 124])
    /// Every ID inside the body except the air in it (140).
    public static let bodyIDs = r(1, 139).union([141])

    /// The catalogue: organs, blood pool, skeletal regions. Names are unique.
    public static let catalog: [OrganGroup] = [
        OrganGroup(name: "liver", ids: [95]),
        OrganGroup(name: "spleen", ids: [127]),
        OrganGroup(name: "kidneys", ids: r(89, 94)),
        OrganGroup(name: "kidney-left", ids: r(89, 91)),
        OrganGroup(name: "kidney-right", ids: r(92, 94)),
        OrganGroup(name: "kidney-cortex", ids: [89, 92]),
        OrganGroup(name: "thyroid", ids: [132]),
        OrganGroup(name: "thyroid-left", ids: [132], side: .left),
        OrganGroup(name: "thyroid-right", ids: [132], side: .right),
        OrganGroup(name: "brain", ids: [61]),
        OrganGroup(name: "heart-wall", ids: [87]),
        OrganGroup(name: "myocardium", ids: [87]),
        OrganGroup(name: "heart-contents", ids: [88]),
        OrganGroup(name: "blood-pool", ids: [88, 9, 10, 11, 12, 96, 98]),
        OrganGroup(name: "large-vessels", ids: [10]),
        OrganGroup(name: "lungs", ids: r(96, 99)),
        OrganGroup(name: "lung-blood", ids: [96, 98]),
        OrganGroup(name: "urinary-bladder-wall", ids: [137]),
        OrganGroup(name: "urinary-bladder-contents", ids: [138]),
        OrganGroup(name: "bladder", ids: [137, 138]),
        OrganGroup(name: "stomach-wall", ids: [72]),
        OrganGroup(name: "stomach", ids: [72, 73]),
        OrganGroup(name: "salivary-glands", ids: [120, 121]),
        OrganGroup(name: "small-intestine", ids: [74, 75]),
        OrganGroup(name: "colon", ids: r(76, 86)),
        OrganGroup(name: "bowel", ids: r(74, 86)),
        OrganGroup(name: "adrenals", ids: [1, 2]),
        OrganGroup(name: "gallbladder", ids: [70, 71]),
        OrganGroup(name: "pancreas", ids: [113]),
        OrganGroup(name: "breast-left", ids: [62, 63]),
        OrganGroup(name: "breast-right", ids: [64, 65]),
        OrganGroup(name: "lymph-nodes", ids: r(100, 105)),
        OrganGroup(name: "muscle", ids: r(106, 109)),
        OrganGroup(name: "skin", ids: r(122, 125).union([141])),
        OrganGroup(name: "testes", ids: [129, 130]),
        OrganGroup(name: "ovaries", ids: [111, 112]),
        OrganGroup(name: "uterus", ids: [139]),
        OrganGroup(name: "prostate", ids: [115]),
        OrganGroup(name: "body", ids: bodyIDs),
        OrganGroup(name: "red-marrow", ids: redMarrowIDs, skeletal: true),
        OrganGroup(name: "skeleton", ids: skeletonIDs, skeletal: true),
        OrganGroup(name: "axial-skeleton", ids: r(24, 27).union(r(39, 56)), skeletal: true),
        OrganGroup(name: "appendicular-skeleton", ids: r(13, 23).union(r(28, 38)), skeletal: true),
        OrganGroup(name: "skull", ids: [26, 27, 39, 40], skeletal: true),
        OrganGroup(name: "cervical-spine", ids: [47, 48], skeletal: true),
        OrganGroup(name: "thoracic-spine", ids: [49, 50], skeletal: true),
        OrganGroup(name: "lumbar-spine", ids: [51, 52], skeletal: true),
        OrganGroup(name: "sacrum", ids: [53, 54], skeletal: true),
        OrganGroup(name: "ribs", ids: [43, 44], skeletal: true),
        OrganGroup(name: "sternum", ids: [55, 56], skeletal: true),
        OrganGroup(name: "pelvis", ids: [41, 42], skeletal: true),
        OrganGroup(name: "scapulae", ids: [45, 46], skeletal: true),
        OrganGroup(name: "clavicles", ids: [24, 25], skeletal: true),
        OrganGroup(name: "humerus-left", ids: r(13, 18), side: .left, skeletal: true),
        OrganGroup(name: "humerus-right", ids: r(13, 18), side: .right, skeletal: true),
        OrganGroup(name: "femur-left", ids: r(28, 33), side: .left, skeletal: true),
        OrganGroup(name: "femur-right", ids: r(28, 33), side: .right, skeletal: true),
    ]

    /// The group called `name`; the error lists the allowed names.
    public static func named(_ name: String) throws(VirtualPatientError) -> OrganGroup {
        if let g = catalog.first(where: { $0.name == name.lowercased() }) { return g }
        throw VirtualPatientError("unknown organ or region \(name) (allowed: \(catalog.map(\.name).joined(separator: ", ")))")
    }
}
