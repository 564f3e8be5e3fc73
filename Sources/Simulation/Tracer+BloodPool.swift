import Foundation

/// How much of the labelled blood a compartment of a blood-pool tracer holds (``BloodPool``).
public enum BloodShare: Sendable, Codable, Equatable {
    /// All blood (heart chambers, blood vessels, the lungs' blood labels): the blood concentration in every voxel,
    /// whatever the label's volume.
    case blood
    /// A tissue holding `percent` % of the reference total blood volume (ICRP 89 Table 2.14) in the reference
    /// phantom's volume of its labels: its regional blood fraction φ = blood volume ÷ tissue volume, its
    /// concentration the blood's × φ. `besides`: an earlier compartment (an ``OrganGroup`` name) whose labels already
    /// hold part of that blood (the lungs' blood labels within the pulmonary blood volume); their volume is taken off.
    case tissue(percent: Double, besides: String? = nil)
    /// A tissue whose regional blood fraction φ (mL of blood per mL of tissue) is a published measurement in patients,
    /// used where the ICRP 89 reference share over the label's volume disagrees with it (the myocardium: ICRP 89's
    /// "coronary tissue" 1 % of the blood gives 0.17, measured intramyocardial blood volume ≈ 0.09); its concentration
    /// the blood's × φ (× the patient's organ multiplier). The blood the reference share held beyond it stays in the
    /// rest of the body.
    case regional(fraction: Double)
}

/// A blood-pool tracer (labelled red cells): every blood space of the patient has **one** activity concentration.
///
/// The activity bound to the blood (the body's activity less the compartments without a ``BloodShare``: free
/// pertechnetate) is spread over the patient's total blood volume V_b (the reference volume × the patient's volume
/// scale): the blood concentration is C_b = A_bound / V_b. A ``BloodShare/blood`` compartment has C_b, a
/// ``BloodShare/tissue(percent:besides:)`` one C_b × φ (× the patient's organ multiplier: regional blood volumes
/// vary), and the rest of the body the blood left, C_b × (V_b − the blood above) over its volume (muscle, fat, skin,
/// skeleton, the large vessels' blood that the phantom's labels do not resolve, …).
public struct BloodPool: Sendable, Codable, Equatable {
    /// Total blood volume of the reference adult male (mL).
    public var maleBloodML: Double
    /// Total blood volume of the reference adult female (mL).
    public var femaleBloodML: Double
    /// Where the numbers come from.
    public var source: String
    /// Creates a blood model.
    public init(maleBloodML: Double, femaleBloodML: Double, source: String) {
        self.maleBloodML = maleBloodML; self.femaleBloodML = femaleBloodML; self.source = source
    }

    /// What ``fractions(compartments:drawn:multipliers:referenceML:patientML:sites:bodyFraction:male:volumeScale:)`` gives.
    public struct Shares: Sendable, Equatable {
        /// Fraction of the administered activity (without physical decay) in each compartment.
        public var fractions: [Double]
        /// Fraction in the rest of the body (its blood).
        public var rest: Double
        /// Fraction of the administered activity per mL of blood (C_b / A₀).
        public var perBloodML: Double
        /// Regional blood fraction of each compartment (mL of blood per mL; 1 for blood, nil without a share).
        public var bloodFraction: [Double?]
        /// The patient's total blood volume (mL).
        public var bloodML: Double
        /// Blood volume left to the rest of the body (mL; 0 where the compartments hold more than the patient has).
        public var restBloodML: Double
        /// What the truth should say (the blood concentration, each tissue's blood fraction, any inconsistency).
        public var notes: [String]
    }

    /// The activity of every compartment and of the rest of the body under one blood concentration.
    /// - Parameters:
    ///   - compartments: the tracer's compartments.
    ///   - drawn: each compartment's fraction from its kinetics × the patient's organ multiplier (kept for the
    ///     compartments without a ``BloodShare``).
    ///   - multipliers: the patient's organ multipliers (applied to the tissues' blood fractions).
    ///   - referenceML: each compartment's volume in the reference phantom (mL; its labels).
    ///   - patientML: each compartment's volume in the patient (mL; the voxels it holds).
    ///   - sites: volumes (mL) that take a compartment's concentration without being counted in it (the analytic
    ///     chambers of a gated heart at the heart contents', its myocardium at the heart wall's): their blood is
    ///     counted.
    ///   - bodyFraction: the fraction of the administered activity in the body.
    ///   - male: the reference adult male's blood volume, else the female's.
    ///   - volumeScale: the patient's volume ÷ the reference phantom's.
    public func fractions(compartments: [TracerCompartment], drawn: [Double], multipliers: [Double], referenceML: [Double],
                          patientML: [Double], sites: [(organ: String, ml: Double)] = [], bodyFraction: Double,
                          male: Bool, volumeScale: Double) -> Shares {
        let refBlood = male ? maleBloodML : femaleBloodML
        let bloodML = refBlood * volumeScale
        var notes: [String] = []
        let free = zip(compartments, drawn).reduce(0.0) { $0 + ($1.0.blood == nil ? $1.1 : 0) }
        let bound = max(0, bodyFraction - free)
        let cb = bloodML > 0 ? bound / bloodML : 0
        var phi = [Double?](repeating: nil, count: compartments.count)
        for (i, c) in compartments.enumerated() {
            switch c.blood {
            case nil: continue
            case .blood?: phi[i] = 1
            case .tissue(let percent, let besides)?:
                var ml = percent / 100 * refBlood
                if let b = besides, let j = compartments.firstIndex(where: { $0.organ == b }) { ml -= referenceML[j] }
                if ml < 0 {
                    notes.append("blood pool: the labels of \(besides ?? "") hold more than the \(percent) % of the blood of \(c.organ): \(c.organ) has no blood")
                    ml = 0
                }
                phi[i] = referenceML[i] > 0 ? ml / referenceML[i] * multipliers[i] : 0
                notes.append(String(format: "blood pool: %@ regional blood fraction %.3f", c.organ, phi[i]!))
            case .regional(let fraction)?:
                phi[i] = fraction * multipliers[i]
                notes.append(String(format: "blood pool: %@ regional blood fraction %.3f", c.organ, phi[i]!))
            }
        }
        var f = drawn
        var heldML = 0.0
        for i in compartments.indices {
            guard let p = phi[i] else { continue }
            f[i] = cb * p * patientML[i]
            heldML += p * patientML[i]
        }
        for s in sites {
            if let i = compartments.firstIndex(where: { $0.organ == s.organ }), let p = phi[i] { heldML += p * s.ml }
        }
        if heldML > bloodML {
            notes.append(String(format: "blood pool: the compartments hold %.0f mL of blood, more than the patient's %.0f mL: the rest of the body has none, the body more activity than administered",
                                heldML, bloodML))
        }
        let restML = max(0, bloodML - heldML)
        notes.append(String(format: "blood pool: one blood concentration, %.4g %% of the administered activity per 100 mL, in %.0f mL of blood (ICRP 89 reference × volume scale %.3f); %.0f mL of it in the rest of the body",
                            cb * 100 * 100, bloodML, volumeScale, restML))
        return Shares(fractions: f, rest: cb * restML, perBloodML: cb, bloodFraction: phi, bloodML: bloodML, restBloodML: restML, notes: notes)
    }
}
