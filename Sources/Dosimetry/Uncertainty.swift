import Foundation

/// What is known about the uncertainty of the inputs (EANM guidance, Gear et al., EJNMMI 2018;45:2456).
public struct UncertaintyInputs: Sendable, Equatable, Codable {
    /// Relative standard uncertainty of the camera calibration factor (k = 1); the same for every visit
    /// (fully correlated). Default 0.05, stated in the result as assumed unless given.
    public var calibrationRelative: Double
    /// Whether ``calibrationRelative`` was given (false: the default was assumed; stated).
    public var calibrationGiven: Bool
    /// Counts the camera records per MBq in the field over one acquisition (sensitivity × duration); nil: the
    /// Poisson component is not included (stated).
    public var countsPerMBq: Double?
    /// Creates inputs.
    public init(calibrationRelative: Double? = nil, countsPerMBq: Double? = nil) {
        self.calibrationRelative = calibrationRelative ?? 0.05
        self.calibrationGiven = calibrationRelative != nil
        self.countsPerMBq = countsPerMBq
    }
}

/// The uncertainty budget of one VOI: relative standard uncertainties (k = 1) of each component, propagated to
/// the time-integrated activity and the mean absorbed dose, with k = 1 and k = 2 intervals.
public struct UncertaintyBudget: Sendable, Equatable, Codable {
    /// Components (relative, k = 1): `counts (Poisson, through the fit)`, `fit (covariance)`, `calibration`,
    /// `recovery coefficient`, `volume`.
    public var components: [String: Double]
    /// Relative standard uncertainty of the TIA and of the mean dose (k = 1).
    public var tiaRelative: Double, doseRelative: Double
    /// Absolute intervals: TIA (MBq·h) and mean dose (Gy), [low, high] at k = 1 and k = 2.
    public var tiaK1MBqh: [Double], tiaK2MBqh: [Double], doseK1Gy: [Double], doseK2Gy: [Double]
    /// What is and is not included.
    public var statement: String
}

/// Propagation of the EANM uncertainty components (Gear et al. 2018) to TIA and mean absorbed dose.
///
/// - Counts: Poisson σ_i = A_i/√N_i per visit (N_i = A_i × counts per MBq), independent between visits,
///   propagated through the TAC fit by its sensitivities ∂TIA/∂A_i (each visit's activity moved by 1 %, the fit
///   repeated: the linearised covariance with known σ, not scaled by χ²).
/// - Fit: the fit's own covariance (residual scatter about the model) when no Poisson σ is known.
/// - Calibration and recovery coefficient: multiplicative, the same for every visit: relative u on the TIA directly.
/// - Volume: the VOI boundary uniformly uncertain within ±½ voxel: u_V/V = (½/√3) · (surface voxels)/(voxels); the mean dose
///   depends on the mass: D ∝ 1/m.
/// u(TIA)² = u_counts² + u_fit² + u_cal² + u_RC²; u(D)² = u(TIA)² + u_V². Intervals: value ± k·u.
public enum EANMUncertainty {
    /// The budget of one VOI.
    public static func budget(tac: [TACPoint], fit: TACFit, method: TACMethod, physicalHalfLifeHours: Double, tail: TACTail,
                              populationEffectiveHalfLifeHours: Double?, meanDoseGy: Double, inputs: UncertaintyInputs,
                              recoveryRelative: Double?, volumeRelative: Double) -> UncertaintyBudget {
        var comp: [String: Double] = [:]
        var notes: [String] = []
        let tia = fit.tiaMBqh
        if let cpm = inputs.countsPerMBq, cpm > 0 {
            // Sensitivities by refitting with each activity raised by 1 %.
            var u2 = 0.0
            for i in tac.indices {
                var moved = tac
                moved[i].activityMBq *= 1.01
                let refit = try? TACFitter.fit(moved, method: method == .auto ? fit.method : method, physicalHalfLifeHours: physicalHalfLifeHours,
                                               tail: tail, populationEffectiveHalfLifeHours: populationEffectiveHalfLifeHours)
                let d = ((refit?.tiaMBqh ?? tia) - tia) / (0.01 * tac[i].activityMBq)   // ∂TIA/∂A_i
                let counts = max(tac[i].activityMBq * cpm, 1)
                let sigma = tac[i].activityMBq / counts.squareRoot()
                u2 += d * d * sigma * sigma
            }
            comp["counts (Poisson, through the fit)"] = tia > 0 ? u2.squareRoot() / tia : 0
        } else {
            notes.append("Poisson counting not included (no counts per MBq given)")
            if let s = fit.tiaSigmaMBqh, tia > 0 { comp["fit (covariance)"] = s / tia } else { notes.append("no fit covariance (trapezoids or single time point)") }
        }
        comp["calibration"] = inputs.calibrationRelative
        if !inputs.calibrationGiven { notes.append("calibration uncertainty \(inputs.calibrationRelative * 100) % assumed (not given)") }
        if let r = recoveryRelative { comp["recovery coefficient"] = r } else { notes.append("no recovery-coefficient component (no partial-volume correction applied)") }
        comp["volume"] = volumeRelative
        let uTIA = ((comp["counts (Poisson, through the fit)"] ?? 0).squared + (comp["fit (covariance)"] ?? 0).squared
                    + comp["calibration"]!.squared + (comp["recovery coefficient"] ?? 0).squared).squareRoot()
        let uD = (uTIA * uTIA + volumeRelative * volumeRelative).squareRoot()
        func interval(_ v: Double, _ u: Double, _ k: Double) -> [Double] { [v * (1 - k * u), v * (1 + k * u)] }
        return UncertaintyBudget(components: comp, tiaRelative: uTIA, doseRelative: uD,
                                 tiaK1MBqh: interval(tia, uTIA, 1), tiaK2MBqh: interval(tia, uTIA, 2),
                                 doseK1Gy: interval(meanDoseGy, uD, 1), doseK2Gy: interval(meanDoseGy, uD, 2),
                                 statement: "EANM (Gear et al. 2018) propagation; S values/kernels and decay data not included" + (notes.isEmpty ? "" : "; " + notes.joined(separator: "; ")))
    }

    /// Relative volume uncertainty of a VOI on a grid: its boundary uniformly within ±½ voxel, (½/√3) · surface voxels / voxels
    /// (a surface voxel has at least one of its 6 neighbours outside the VOI).
    public static func volumeRelative(mask: [Bool], nx: Int, ny: Int, nz: Int) -> Double {
        var n = 0, surface = 0
        for k in 0..<nz { for j in 0..<ny { for i in 0..<nx {
            let idx = i + nx * (j + ny * k)
            guard mask[idx] else { continue }
            n += 1
            func inside(_ a: Int, _ b: Int, _ c: Int) -> Bool {
                a >= 0 && b >= 0 && c >= 0 && a < nx && b < ny && c < nz && mask[a + nx * (b + ny * c)]
            }
            if !(inside(i - 1, j, k) && inside(i + 1, j, k) && inside(i, j - 1, k) && inside(i, j + 1, k) && inside(i, j, k - 1) && inside(i, j, k + 1)) { surface += 1 }
        } } }
        return n > 0 ? 0.5 / 3.0.squareRoot() * Double(surface) / Double(n) : 0
    }
}

extension Double {
    fileprivate var squared: Double { self * self }
}
