import Foundation

/// The PCWG3 bone-scan progression rule for new lesions (Prostate Cancer Clinical Trials Working Group 3: Scher et
/// al., J Clin Oncol 34:1402 (2016), "2+2"): progression needs ≥ 2 new lesions against the baseline; when they appear
/// on the first follow-up scan (the flare window, before 12 weeks) a confirmatory scan ≥ 6 weeks later must show
/// ≥ 2 further new lesions; the date of progression is then the first follow-up scan.
public struct PCWG3Assessment: Sendable, Codable, Equatable {
    /// Distinct new lesions on the follow-up (a lesion seen on both views counts once).
    public var newLesions: Int
    /// Further new lesions on the confirmatory scan, when one was compared.
    public var additionalNewLesions: Int?
    /// `progression`, `progression pending confirmation`, `not confirmed`, `no progression`.
    public var status: String
    /// The rule, in words.
    public var rule: String
}

extension BoneScanAnalysis {
    /// The PCWG3 "2+2" assessment from the distinct new lesions at the follow-up and (when a confirmatory scan was
    /// compared with the follow-up) the further new lesions on it.
    public static func pcwg3(newAtFollowUp n: Int, newAtConfirmation m: Int?) -> PCWG3Assessment {
        let rule = "PCWG3 (Scher et al., J Clin Oncol 34:1402, 2016): ≥ 2 new lesions against the baseline; at the first follow-up (< 12 weeks) confirmed by ≥ 2 further new lesions on a scan ≥ 6 weeks later (2+2)"
        let status: String
        if n < 2 { status = "no progression" }
        else if let m { status = m >= 2 ? "progression" : "not confirmed" }
        else { status = "progression pending confirmation" }
        return PCWG3Assessment(newLesions: n, additionalNewLesions: m, status: status, rule: rule)
    }
}
