import Foundation

/// PERCIST 1.0 metabolic response categories.
public enum PERCISTCategory: String, Sendable, Codable, Equatable {
    /// Complete metabolic response.
    case CMR
    /// Partial metabolic response.
    case PMR
    /// Stable metabolic disease.
    case SMD
    /// Progressive metabolic disease.
    case PMD
}

/// A normal-tissue reference region (SUL): mean and standard deviation, e.g. a 3 cm sphere in the right liver lobe.
public struct PERCISTReference: Sendable, Codable, Equatable {
    public var mean: Double
    public var sd: Double
    /// Creates a reference.
    public init(mean: Double, sd: Double) { self.mean = mean; self.sd = sd }
}

/// One scan of a PERCIST comparison.
public struct PERCISTScan: Sendable, Codable, Equatable {
    /// SULpeak of the hottest lesion (need not be the same lesion on both scans).
    public var sulPeak: Double
    /// Liver reference (3 cm sphere in the normal right lobe), SUL.
    public var liver: PERCISTReference?
    /// Blood-pool reference (1 cm × 2 cm cylinder in the descending aorta), SUL; used when the liver is abnormal.
    public var bloodPool: PERCISTReference?
    /// Creates a scan summary.
    public init(sulPeak: Double, liver: PERCISTReference? = nil, bloodPool: PERCISTReference? = nil) {
        self.sulPeak = sulPeak; self.liver = liver; self.bloodPool = bloodPool
    }

    /// The PERCIST measurability threshold: 1.5 × liver mean + 2 SD, else 2.0 × blood-pool mean + 2 SD.
    public var measurabilityThreshold: Double? {
        if let l = liver { return 1.5 * l.mean + 2 * l.sd }
        if let b = bloodPool { return 2.0 * b.mean + 2 * b.sd }
        return nil
    }
}

/// The response between two scans.
public struct PERCISTResult: Sendable, Codable, Equatable {
    public var category: PERCISTCategory
    /// Change of SULpeak, percent of baseline and absolute (SUL units).
    public var percentChange: Double
    public var absoluteChange: Double
    /// Measurability threshold of the baseline (SUL), when a reference was given.
    public var baselineThreshold: Double?
    /// Whether the baseline lesion was measurable.
    public var baselineMeasurable: Bool?
    /// The rule that decided the category, and caveats.
    public var notes: [String]
}

/// PERCIST 1.0 response assessment (Wahl RL, Jacene H, Kasamon Y, Lodge MA. From RECIST to PERCIST. J Nucl Med
/// 2009;50 Suppl 1:122S–150S; Table 6 and appendix): on the SULpeak of the hottest lesion.
///
/// - CMR: follow-up SULpeak ≤ liver mean and ≤ blood-pool level (here: ≤ liver mean, or below the follow-up
///   measurability threshold when only a blood pool is known), no new lesions.
/// - PMR: decrease ≥ 30 % and ≥ 0.8 SUL units.
/// - PMD: increase > 30 % and ≥ 0.8 SUL units, or new FDG-avid lesions.
/// - SMD: otherwise.
public enum PERCIST {
    /// Assesses the response; `newLesions` forces PMD.
    public static func assess(baseline: PERCISTScan, followUp: PERCISTScan, newLesions: Bool = false) -> PERCISTResult {
        let change = followUp.sulPeak - baseline.sulPeak
        let pct = baseline.sulPeak > 0 ? change / baseline.sulPeak * 100 : 0
        var notes: [String] = []
        let thr = baseline.measurabilityThreshold
        let measurable = thr.map { baseline.sulPeak >= $0 }
        if let m = measurable, !m {
            notes.append("baseline SULpeak \(petNum(baseline.sulPeak)) is below the measurability threshold \(petNum(thr!)): PERCIST needs a measurable baseline lesion")
        }
        if thr == nil { notes.append("no liver or blood-pool reference: measurability not checked") }
        if let l0 = baseline.liver, let l1 = followUp.liver {
            let d = abs(l1.mean - l0.mean)
            if d > 0.3 || (l0.mean > 0 && d / l0.mean > 0.2) {
                notes.append("liver SULmean changed by \(petNum(d)) (> 20 % or > 0.3): scans may not be comparable (PERCIST 1.0)")
            }
        }
        let category: PERCISTCategory
        if newLesions {
            category = .PMD; notes.append("new FDG-avid lesions: PMD")
        } else if let liver = followUp.liver, followUp.sulPeak <= liver.mean {
            category = .CMR; notes.append("follow-up SULpeak ≤ liver SULmean \(petNum(liver.mean)): CMR")
        } else if followUp.liver == nil, let t = followUp.measurabilityThreshold, followUp.sulPeak < t {
            category = .CMR; notes.append("follow-up SULpeak below the blood-pool threshold \(petNum(t)): CMR")
        } else if pct <= -30 && change <= -0.8 {
            category = .PMR; notes.append("SULpeak decreased by ≥ 30 % and ≥ 0.8: PMR")
        } else if pct > 30 && change >= 0.8 {
            category = .PMD; notes.append("SULpeak increased by > 30 % and ≥ 0.8: PMD")
        } else {
            category = .SMD; notes.append("change within ±30 % or < 0.8 SUL units: SMD")
        }
        return PERCISTResult(category: category, percentChange: pct, absoluteChange: change, baselineThreshold: thr,
                             baselineMeasurable: measurable, notes: notes)
    }
}
