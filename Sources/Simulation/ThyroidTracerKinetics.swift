import Foundation

/// How much of an administered thyroid-uptake tracer is outside the thyroid (blood and tissues) at a time after
/// administration, from published biokinetic data, so that the simulated neck and thigh tissue of
/// ``ClinicalStudies/thyroidUptake(nuclide:uptakePercent:hoursAfterAdministration:administeredMBq:standardMBq:tissueBqPerML:roomCPSPerPixel:seconds:camera:voxelMM:subsamples:seed:noise:capsuleDepthMM:)``
/// hold a physiological concentration instead of a fixed one (issue 18; until 2026-12-07 a fixed 400 Bq/mL at any time).
///
/// - **Iodide** (I-123, I-131 sodium iodide): the ICRP systemic model for iodine of Publication 30 Part 1 (1979),
///   kept in Publications 56 (1989), 67 (1993) and 78 (1997): inorganic iodide in blood (the transfer compartment,
///   the whole extrathyroidal iodide pool) goes to the thyroid at 0.8316 d⁻¹ and to urine at 1.9404 d⁻¹ (30 % to the
///   thyroid, half-time 0.25 d); the thyroid releases organic iodine at ln 2/80 d⁻¹ into the rest of the body, which
///   returns it to blood at 0.0462 d⁻¹ and to faeces at 0.01155 d⁻¹ (the rates as tabulated for ICRP 78 by the
///   Biokmod documentation, Sánchez, Univ. Salamanca). A patient's own uptake differs from the reference 30 %: the
///   blood-to-thyroid rate is chosen so that the thyroid holds the patient's uptake at the measurement
///   (``iodideThyroidRate(uptakeFraction:days:)``); the renal rate stays the reference one. Checked in
///   `ThyroidTracerKineticsTests` against NUREG/CR-4884's published thyroid retention function of this model.
/// - **Pertechnetate** (Tc-99m): not organified, released from the thyroid unchanged, equilibrates with the
///   extracellular space; its body content falls by excretion. Urinary excretion from the sodium pertechnetate Tc 99m
///   injection prescribing information: 27 % in 1 day, 31 % in 4 days, 34 % in 8 days; disappearance from plasma
///   biexponential with a terminal half-time of 3 h — used here as the time course of the first day's 27 %
///   (excretion rate ∝ plasma concentration), linear between the label's days after that. Faecal excretion (a few %
///   over days) is neglected.
///
/// The extrathyroidal activity is spread over the body: the mean tissue concentration is the extrathyroidal activity
/// ÷ ``bodyVolumeML`` (the ICRP Publication 89 reference adult male, 73 kg at ≈ 1.04 kg/L). Not modelled: the higher
/// concentration of blood and of salivary glands, stomach and other trapping tissues against other tissue; neck and
/// thigh get the same mean concentration.
public enum ThyroidTracerKinetics {
    /// The chemical form of the tracer, which decides its biokinetics.
    public enum Compound: String, Sendable, Codable {
        /// Sodium iodide (I-123, I-131): trapped and organified by the thyroid.
        case iodide
        /// Sodium pertechnetate (Tc-99m): trapped, not organified.
        case pertechnetate

        /// The compound of a thyroid-uptake nuclide: iodide for iodine isotopes, pertechnetate for Tc-99m, nil otherwise.
        public init?(nuclideName: String) {
            if nuclideName.hasPrefix("I-") { self = .iodide } else if nuclideName == "Tc-99m" { self = .pertechnetate } else { return nil }
        }
    }

    /// ICRP 30/56/78 iodine model rates (per day); see the type's documentation.
    public static let iodideBloodToThyroid = 0.8316, iodideBloodToUrine = 1.9404
    public static let iodideThyroidToOrganic = log(2.0) / 80, iodideOrganicToBlood = 0.0462, iodideOrganicToFaeces = 0.01155

    /// Pertechnetate urinary excretion (cumulative fraction of the administered activity) at 1, 4 and 8 days, and the
    /// plasma terminal half-time (days): sodium pertechnetate Tc 99m injection prescribing information.
    public static let pertechnetateUrinary: [(days: Double, fraction: Double)] = [(1, 0.27), (4, 0.31), (8, 0.34)]
    public static let pertechnetatePlasmaHalfTimeDays = 3.0 / 24

    /// Reference adult body volume (mL): ICRP Publication 89 reference male, 73 kg at ≈ 1.04 kg/L.
    public static let bodyVolumeML = 70_000.0

    /// Fractions of administered iodide (no physical decay) in blood (inorganic iodide), thyroid and the rest of the
    /// body (organic iodine) `days` after an input to blood, with the blood-to-thyroid rate `thyroidRate` (per day).
    public static func iodideCompartments(days: Double, thyroidRate: Double = iodideBloodToThyroid) -> (blood: Double, thyroid: Double, organic: Double) {
        let m: [[Double]] = [[-(thyroidRate + iodideBloodToUrine), 0, iodideOrganicToBlood],
                             [thyroidRate, -iodideThyroidToOrganic, 0],
                             [0, iodideThyroidToOrganic, -(iodideOrganicToBlood + iodideOrganicToFaeces)]]
        let e = matrixExponential(m, t: max(0, days))
        return (e[0][0], e[1][0], e[2][0])
    }

    /// The blood-to-thyroid rate (per day) at which the thyroid holds `uptakeFraction` of the administered iodide
    /// `days` after administration (bisection on the logarithm of the rate; the thyroid content rises with it). An
    /// uptake above what any rate reaches at that time gives the largest rate tried (10⁶ d⁻¹).
    public static func iodideThyroidRate(uptakeFraction u: Double, days: Double) -> Double {
        guard u > 0, days > 0 else { return 0 }
        var lo = log(1e-8), hi = log(1e6)
        if iodideCompartments(days: days, thyroidRate: exp(hi)).thyroid <= u { return exp(hi) }
        for _ in 0..<100 {
            let mid = (lo + hi) / 2
            if iodideCompartments(days: days, thyroidRate: exp(mid)).thyroid < u { lo = mid } else { hi = mid }
        }
        return exp((lo + hi) / 2)
    }

    /// Cumulative urinary excretion of pertechnetate (fraction of the administered activity) `days` after injection.
    public static func pertechnetateUrinaryFraction(days t: Double) -> Double {
        let u = pertechnetateUrinary
        if t <= u[0].days {
            let k = log(2.0) / pertechnetatePlasmaHalfTimeDays
            return u[0].fraction * (1 - exp(-k * max(0, t))) / (1 - exp(-k * u[0].days))
        }
        for (a, b) in zip(u, u.dropFirst()) where t <= b.days {
            return a.fraction + (b.fraction - a.fraction) * (t - a.days) / (b.days - a.days)
        }
        return u.last!.fraction
    }

    /// Fraction of the administered activity (no physical decay) outside the thyroid and not excreted, `days` after
    /// administration, for a patient whose thyroid holds `uptakeFraction` at `uptakeDays` (the uptake measurement).
    public static func extrathyroidalFraction(_ c: Compound, uptakeFraction: Double, uptakeDays: Double, days: Double) -> Double {
        switch c {
        case .iodide:
            let q = iodideCompartments(days: days, thyroidRate: iodideThyroidRate(uptakeFraction: uptakeFraction, days: uptakeDays))
            return q.blood + q.organic
        case .pertechnetate:
            // The thyroid's pertechnetate is near its plateau from 20 min on (peak 0.25–2 h): its uptake is taken as
            // constant over the ~15 min between the neck and the thigh.
            return max(0, 1 - uptakeFraction - pertechnetateUrinaryFraction(days: days))
        }
    }

    /// Mean tissue concentration (Bq/mL, physical decay included) `hours` after administering `administeredBq` of a
    /// tracer of `decayConstant` (per second) to a patient whose thyroid holds `uptakeFraction` at `uptakeHours`.
    public static func tissueConcentration(_ c: Compound, administeredBq: Double, decayConstant: Double, uptakeFraction: Double,
                                           uptakeHours: Double, hours: Double) -> Double {
        administeredBq * extrathyroidalFraction(c, uptakeFraction: uptakeFraction, uptakeDays: uptakeHours / 24, days: hours / 24)
            * exp(-decayConstant * hours * 3600) / bodyVolumeML
    }

    /// exp(m·t) of a small square matrix: scaling and squaring with a Taylor series (stable for the stiff rates a
    /// high uptake needs).
    static func matrixExponential(_ m: [[Double]], t: Double) -> [[Double]] {
        let n = m.count
        let norm = m.map { $0.reduce(0) { $0 + abs($1) } }.max()! * t
        let s = norm > 0.5 ? Int(ceil(log2(norm / 0.5))) : 0
        let a = m.map { $0.map { $0 * t / pow(2, Double(s)) } }
        func mul(_ x: [[Double]], _ y: [[Double]]) -> [[Double]] {
            (0..<n).map { i in (0..<n).map { j in (0..<n).reduce(0) { $0 + x[i][$1] * y[$1][j] } } }
        }
        var result = (0..<n).map { i in (0..<n).map { $0 == i ? 1.0 : 0 } }
        var term = result
        for k in 1...16 {
            term = mul(term, a).map { $0.map { $0 / Double(k) } }
            result = zip(result, term).map { zip($0, $1).map(+) }
        }
        for _ in 0..<s { result = mul(result, result) }
        return result
    }
}
