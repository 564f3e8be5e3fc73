import Foundation

/// Named vertebrae (C1–C7, T1–T12, L1–L5) inside the ICRP-110 spine labels, which only separate the cervical,
/// thoracic and lumbar spine: each region is split along the body axis in proportion to published vertebral heights.
///
/// An approximation: the split is along the body axis (the spine's curvature is ignored), and each level's share is
/// its vertebral body height plus one intervertebral disc. Body heights (mm, human adults, rounded): Busscher et al.,
/// "Comparative anatomical dimensions of the complete human and porcine spine", Eur Spine J 19:1104 (2010) for
/// C3–L5; C1 (anterior arch) and C2 (body below the atlas) approximate. Discs: cervical and thoracic ~5 mm, lumbar
/// ~10 mm (approximate, Gray's Anatomy 41st ed.).
public enum Vertebra {
    /// Levels from the top of each region: name, spine region (``OrganGroup`` name), share (mm, body + disc).
    public static let levels: [(name: String, region: String, heightMM: Double)] = {
        let cervical: [Double] = [10, 20, 14, 14, 14, 14, 15]
        let thoracic: [Double] = [17, 18, 18, 18.5, 19, 19.5, 20, 20.5, 21, 22, 23, 24]
        let lumbar: [Double] = [25, 26, 26.5, 26.5, 26]
        return cervical.enumerated().map { ("C\($0 + 1)", "cervical-spine", $1 + 5) }
            + thoracic.enumerated().map { ("T\($0 + 1)", "thoracic-spine", $1 + 5) }
            + lumbar.enumerated().map { ("L\($0 + 1)", "lumbar-spine", $1 + 10) }
    }()

    /// Whether `text` looks like a vertebra name (a letter C, T or L followed by a number).
    public static func looksLikeVertebra(_ text: String) -> Bool {
        guard let f = text.uppercased().first, "CTL".contains(f) else { return false }
        return !text.dropFirst().isEmpty && text.dropFirst().allSatisfy(\.isNumber)
    }

    /// The level named `text` (case-insensitive); the error names the value and the allowed levels.
    public static func named(_ text: String) throws(VirtualPatientError) -> (name: String, region: String, heightMM: Double) {
        if let l = levels.first(where: { $0.name == text.uppercased() }) { return l }
        throw VirtualPatientError("unknown vertebra \(text) (allowed: C1–C7, T1–T12, L1–L5)")
    }

    /// The fraction [top, bottom) of its region's axial extent, counted from the top, that the level occupies.
    public static func band(_ name: String) throws(VirtualPatientError) -> (fromTop: Double, toTop: Double) {
        let l = try named(name)
        let same = levels.filter { $0.region == l.region }
        let total = same.reduce(0) { $0 + $1.heightMM }
        var above = 0.0
        for s in same { if s.name == l.name { break }; above += s.heightMM }
        return (above / total, (above + l.heightMM) / total)
    }
}
