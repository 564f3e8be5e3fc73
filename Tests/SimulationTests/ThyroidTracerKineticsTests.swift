import Foundation
import Testing
@testable import Simulation

/// The extrathyroidal tracer kinetics behind the thyroid-uptake simulator's tissue activity (issue 18), against
/// published numbers and closed forms built here.
struct ThyroidTracerKineticsTests {
    /// The ICRP iodine model with its reference rates (30 % to the thyroid) against the thyroid retention function of
    /// the same model published in NUREG/CR-4884 (Lessard et al., 1987; for uptake to blood, t in days):
    /// R(t) = 0.286 e^(−0.00605 t) + 0.015 e^(−0.0602 t) − 0.301 e^(−2.77 t). The paper's coefficients are rounded to
    /// three digits, so 0.5 % relative (0.1 d: 0.001 absolute) up to 10 days.
    @Test func iodideReferenceModelMatchesPublishedRetention() {
        for t in [0.1, 1.0 / 6, 0.5, 1, 2, 5, 10] {
            let a: Double = 0.286 * exp(-0.00605 * t), b: Double = 0.015 * exp(-0.0602 * t), c: Double = 0.301 * exp(-2.77 * t)
            let r: Double = a + b - c
            let m = ThyroidTracerKinetics.iodideCompartments(days: t).thyroid
            #expect(abs(m - r) <= max(0.005 * r, 0.001), "t = \(t) d: model \(m), NUREG/CR-4884 \(r)")
        }
    }

    /// Within the first day the organic iodine returning to blood is negligible (its return rate 0.0462 d⁻¹ on less
    /// than 1 % of the activity), so blood and the iodine that entered the thyroid (thyroid + the organic iodine it
    /// released, ln 2/80 d⁻¹) follow the two-compartment closed form: blood e^(−(k+u)t), thyroid
    /// k/(k+u)·(1 − e^(−(k+u)t)), for any blood-to-thyroid rate k (u = 1.9404 d⁻¹).
    @Test(arguments: [0.3, 0.8316, 5.0, 40.0])
    func iodideEarlyPhaseClosedForm(k: Double) {
        let u = 1.9404
        for t in [1.0 / 24, 4.0 / 24, 1] {
            let q = ThyroidTracerKinetics.iodideCompartments(days: t, thyroidRate: k)
            let blood: Double = exp(-(k + u) * t)
            let thyroid: Double = k / (k + u) * (1 - blood)
            #expect(abs(q.blood - blood) < 2e-3)
            #expect(abs(q.thyroid + q.organic - thyroid) < 1e-3)
            #expect(q.organic >= 0 && q.organic < 0.01)
        }
    }

    /// The rate solved for a patient's uptake gives back that uptake at the measurement (5–60 % at 4 and 24 h,
    /// the trial's range), and the body's iodide pool is what remains: at 24 h and 40 % it is a few per cent of the
    /// administered activity, so 10 MBq I-123 (T½ 13.2 h) leaves a few Bq/mL in tissue (physiology, not 400 Bq/mL).
    @Test func iodideRateGivesThePatientsUptake() {
        for (u, h) in [(0.05, 4.0), (0.3, 4), (0.6, 4), (0.05, 24), (0.4, 24), (0.6, 24)] {
            let k = ThyroidTracerKinetics.iodideThyroidRate(uptakeFraction: u, days: h / 24)
            let q = ThyroidTracerKinetics.iodideCompartments(days: h / 24, thyroidRate: k)
            #expect(abs(q.thyroid - u) < 1e-6, "uptake \(u) at \(h) h: \(q.thyroid)")
            // What is not in the thyroid, blood or organic pool was excreted: never negative, and the renal share
            // u/(k+u) of everything that left blood.
            let left: Double = 1 - q.blood
            let excreted: Double = left - q.thyroid - q.organic
            let renal: Double = 1.9404 / (k + 1.9404) * left
            #expect(excreted >= 0)
            #expect(abs(excreted - renal) < 5e-3)
        }
        let lambda = log(2.0) / (13.2235 * 3600)
        let c24 = ThyroidTracerKinetics.tissueConcentration(.iodide, administeredBq: 10e6, decayConstant: lambda, uptakeFraction: 0.4,
                                                            uptakeHours: 24, hours: 24)
        #expect(c24 > 0.5 && c24 < 10, "\(c24) Bq/mL")
    }

    /// Pertechnetate: the label's urinary excretion (27 % in 1 day, 31 % in 4 days, 34 % in 8 days) and, within the
    /// first day, the time course of a 3 h plasma half-time: at 20 min 0.27 · (1 − 2^(−20/180)) / (1 − 2^(−8)).
    @Test func pertechnetateLabelExcretion() {
        for (d, f) in [(1.0, 0.27), (4, 0.31), (8, 0.34), (12, 0.34)] {
            #expect(abs(ThyroidTracerKinetics.pertechnetateUrinaryFraction(days: d) - f) < 1e-12)
        }
        let t20 = 20.0 / 1440
        let early: Double = 1 - pow(2.0, -20.0 / 180), day: Double = 1 - pow(2.0, -8.0)
        let urine20: Double = 0.27 * early / day
        #expect(abs(ThyroidTracerKinetics.pertechnetateUrinaryFraction(days: t20) - urine20) < 1e-12)
        let f = ThyroidTracerKinetics.extrathyroidalFraction(.pertechnetate, uptakeFraction: 0.02, uptakeDays: t20, days: t20)
        let expected: Double = 1 - 0.02 - urine20
        #expect(abs(f - expected) < 1e-12)
        #expect(ThyroidTracerKinetics.Compound(nuclideName: "Tc-99m") == .pertechnetate)
        #expect(ThyroidTracerKinetics.Compound(nuclideName: "I-131") == .iodide)
        #expect(ThyroidTracerKinetics.Compound(nuclideName: "In-111") == nil)
    }
}
