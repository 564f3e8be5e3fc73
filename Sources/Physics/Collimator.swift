import Foundation
/// A parallel-hole collimator with its geometric parameters.
public struct Collimator: Sendable, Equatable, Codable {
    /// Catalogue name, e.g. `GE LEHR`, `Siemens LEHR`, `GE MEGP`.
    public var name: String
    /// Short code used on the command line and in DICOM Collimator/grid Name: `LEHR`, `LEGP`, `MELP`, `MEGP`, `HE`.
    public var code: String
    /// Vendor.
    public var vendor: String
    /// Hole diameter (flat to flat for hexagonal holes), mm.
    public var holeDiameterMM: Double
    /// Hole length, mm.
    public var holeLengthMM: Double
    /// Septal thickness, mm.
    public var septaMM: Double
    /// Where the numbers come from.
    public var source: String
    /// Creates a collimator.
    public init(name: String, code: String, vendor: String, holeDiameterMM: Double, holeLengthMM: Double, septaMM: Double, source: String) {
        self.name = name; self.code = code; self.vendor = vendor; self.holeDiameterMM = holeDiameterMM
        self.holeLengthMM = holeLengthMM; self.septaMM = septaMM; self.source = source
    }

    /// Effective hole length (mm) with septal penetration: Leff = L − 2/μ_Pb(E) (Anger 1964; Sorenson & Phelps,
    /// *Physics in Nuclear Medicine*, ch. 16), μ_Pb from NIST SRD 126 (``Lead``). Never below 10 % of L.
    public func effectiveLengthMM(energyKeV: Double) -> Double {
        let mu = Lead.muPerMM(energyKeV: energyKeV)
        let leff = holeLengthMM - 2 / mu
        return max(leff, 0.1 * holeLengthMM)
    }

    /// Geometric resolution FWHM (mm) at distance `distanceMM` from the collimator face, for photons of
    /// `energyKeV` (effective hole length with septal penetration, μ of lead): R = d (Leff + b) / Leff.
    ///
    /// `d` is the hole diameter, `b` the source-to-collimator-face distance (negative values are treated as 0).
    /// The gap between the collimator's back face and the mean interaction depth in the crystal (the "c" of
    /// Sorenson & Phelps) is not published by the vendors and is **not** modelled (c = 0). With the default 3.8-mm
    /// intrinsic resolution the catalogue LEHRs give ≈ 7.0 mm system FWHM at 10 cm for Tc-99m, against the 7.4–7.5 mm
    /// of the vendors' sheets; that gap is the likely cause of the difference.
    public func geometricFWHM(distanceMM: Double, energyKeV: Double) -> Double {
        let leff = effectiveLengthMM(energyKeV: energyKeV)
        let b = distanceMM.isFinite ? max(0, distanceMM) : 0
        return holeDiameterMM * (leff + b) / leff
    }
    /// System resolution FWHM (mm): geometric and intrinsic added in quadrature.
    public func systemFWHM(distanceMM: Double, energyKeV: Double, intrinsicFWHMmm: Double = 3.8) -> Double {
        let g = geometricFWHM(distanceMM: distanceMM, energyKeV: energyKeV)
        return (g * g + intrinsicFWHMmm * intrinsicFWHMmm).squareRoot()
    }
    /// Geometric efficiency (fraction of emitted photons passing): K² (d/Leff)² d²/(d+t)².
    ///
    /// K = 0.26 for hexagonal holes in a hexagonal array (Sorenson & Phelps, ch. 16, Table 16-1; Anger 1964).
    public func geometricEfficiency(energyKeV: Double) -> Double {
        let leff = effectiveLengthMM(energyKeV: energyKeV)
        let d = holeDiameterMM, t = septaMM
        let k = Collimator.hexagonalK
        return k * k * (d / leff) * (d / leff) * (d * d) / ((d + t) * (d + t))
    }

    /// Shape factor K of the efficiency formula for hexagonal holes (Sorenson & Phelps ch. 16).
    public static let hexagonalK = 0.26

    /// Minimum septal thickness (mm) for ≤ 5 % septal penetration at `energyKeV`: t = 6 d/μ / (L − 3/μ)
    /// (Sorenson & Phelps ch. 16, eq. 16-1 with Leff = L − 3/μ for the 5 % criterion). Useful to check that a
    /// collimator suits an energy: returns `.infinity` when the hole is too short for the energy.
    public func minimumSeptaForFivePercentPenetrationMM(energyKeV: Double) -> Double {
        let mu = Lead.muPerMM(energyKeV: energyKeV)
        let den = holeLengthMM - 3 / mu
        return den > 0 ? 6 * holeDiameterMM / mu / den : .infinity
    }

    /// Catalogue of common collimators (GE, Siemens, Philips/others where published).
    ///
    /// Hole diameter, septa and length are those of the collimator database distributed with the SIMIND Monte
    /// Carlo program (M. Ljungberg, Lund University), file `collim.col`, as shipped in PyTomography 3.4.0
    /// (`pytomography/data/collim.col`, values in cm there). Codes are the vendors' names. GE values are the
    /// Infinia/Discovery 670 family (SIMIND `GI-…`; the Discovery 670 LEHR and MEGP also appear as `G8-LEHR` and
    /// with a 3.5-mm-hole MEGP for the 870 DR, which is not listed here). Siemens are the Symbia collimators
    /// (`SY-…`), Philips the BrightView (`PB-…`). Holes are hexagonal in all of them.
    public static var catalog: [Collimator] { catalogEntries }

    static let catalogEntries: [Collimator] = [
        // GE Infinia / Discovery NM/CT 670 (SIMIND collim.col "GI-LEHR", "GI-LEGP", "GI-MEGP", "GI-HEGP").
        Collimator(name: "GE LEHR", code: "LEHR", vendor: "GE", holeDiameterMM: 1.50, holeLengthMM: 35.0, septaMM: 0.20,
                   source: "SIMIND collim.col GI-LEHR (GE Infinia/Discovery 670 LEHR), via PyTomography 3.4.0 data/collim.col"),
        Collimator(name: "GE LEGP", code: "LEGP", vendor: "GE", holeDiameterMM: 1.90, holeLengthMM: 35.0, septaMM: 0.20,
                   source: "SIMIND collim.col GI-LEGP (GE Infinia general purpose), via PyTomography 3.4.0 data/collim.col"),
        Collimator(name: "GE MEGP", code: "MEGP", vendor: "GE", holeDiameterMM: 3.00, holeLengthMM: 58.0, septaMM: 1.05,
                   source: "SIMIND collim.col GI-MEGP (GE Infinia/Discovery 670 MEGP), via PyTomography 3.4.0 data/collim.col"),
        Collimator(name: "GE HEGP", code: "HEGP", vendor: "GE", holeDiameterMM: 4.00, holeLengthMM: 66.0, septaMM: 1.80,
                   source: "SIMIND collim.col GI-HEGP (GE Infinia HEGP), via PyTomography 3.4.0 data/collim.col"),
        // Siemens Symbia (SIMIND collim.col "SY-LEHR", "SY-LEAP", "SY-ME", "SY-HE").
        Collimator(name: "Siemens LEHR", code: "LEHR", vendor: "Siemens", holeDiameterMM: 1.11, holeLengthMM: 24.05, septaMM: 0.16,
                   source: "SIMIND collim.col SY-LEHR (Siemens Symbia LEHR), via PyTomography 3.4.0 data/collim.col"),
        Collimator(name: "Siemens LEAP", code: "LEAP", vendor: "Siemens", holeDiameterMM: 1.45, holeLengthMM: 24.05, septaMM: 0.20,
                   source: "SIMIND collim.col SY-LEAP (Siemens Symbia LEAP), via PyTomography 3.4.0 data/collim.col"),
        Collimator(name: "Siemens MELP", code: "MELP", vendor: "Siemens", holeDiameterMM: 2.94, holeLengthMM: 40.64, septaMM: 1.14,
                   source: "SIMIND collim.col SY-ME (Siemens Symbia medium-energy low-penetration), via PyTomography 3.4.0 data/collim.col"),
        Collimator(name: "Siemens HE", code: "HE", vendor: "Siemens", holeDiameterMM: 4.00, holeLengthMM: 59.70, septaMM: 2.00,
                   source: "SIMIND collim.col SY-HE (Siemens Symbia high energy), via PyTomography 3.4.0 data/collim.col"),
        // Philips BrightView (SIMIND collim.col "PB-LEHR", "PB-LEGP", "PB-MEGP", "PB-HEGP").
        Collimator(name: "Philips LEHR", code: "LEHR", vendor: "Philips", holeDiameterMM: 1.22, holeLengthMM: 27.0, septaMM: 0.152,
                   source: "SIMIND collim.col PB-LEHR (Philips BrightView LEHR), via PyTomography 3.4.0 data/collim.col"),
        Collimator(name: "Philips LEGP", code: "LEGP", vendor: "Philips", holeDiameterMM: 1.40, holeLengthMM: 24.7, septaMM: 0.18,
                   source: "SIMIND collim.col PB-LEGP (Philips BrightView LEGP), via PyTomography 3.4.0 data/collim.col"),
        Collimator(name: "Philips MEGP", code: "MEGP", vendor: "Philips", holeDiameterMM: 3.40, holeLengthMM: 58.4, septaMM: 0.86,
                   source: "SIMIND collim.col PB-MEGP (Philips BrightView MEGP), via PyTomography 3.4.0 data/collim.col"),
        Collimator(name: "Philips HEGP", code: "HEGP", vendor: "Philips", holeDiameterMM: 3.81, holeLengthMM: 58.4, septaMM: 1.73,
                   source: "SIMIND collim.col PB-HEGP (Philips BrightView HEGP), via PyTomography 3.4.0 data/collim.col"),
    ]

    /// Equivalent codes across vendors (LEGP ≈ LEAP, MEGP ≈ MELP ≈ ME, HEGP ≈ HE), used by ``named(_:vendor:)``
    /// when no collimator carries the exact code.
    static let aliases: [[String]] = [["LEGP", "LEAP"], ["MEGP", "MELP", "ME"], ["HEGP", "HE"]]
    /// A collimator by code (`LEHR`…) and optional vendor (default: the first match).
    public static func named(_ code: String, vendor: String? = nil) -> Collimator? {
        let code = code.trimmingCharacters(in: .whitespaces)
        func vendorMatches(_ c: Collimator) -> Bool { vendor == nil || c.vendor.caseInsensitiveCompare(vendor!) == .orderedSame }
        if let exact = catalog.first(where: { $0.code.caseInsensitiveCompare(code) == .orderedSame && vendorMatches($0) }) {
            return exact
        }
        guard let group = aliases.first(where: { $0.contains { $0.caseInsensitiveCompare(code) == .orderedSame } }) else { return nil }
        return catalog.first { c in vendorMatches(c) && group.contains { $0.caseInsensitiveCompare(c.code) == .orderedSame } }
    }
}

/// An energy window in keV.
public struct EnergyWindowSpec: Sendable, Equatable, Codable {
    /// Lower limit, keV.
    public var lowerKeV: Double
    /// Upper limit, keV.
    public var upperKeV: Double
    /// Creates a window.
    public init(lowerKeV: Double, upperKeV: Double) { self.lowerKeV = lowerKeV; self.upperKeV = upperKeV }
    /// Width, keV.
    public var widthKeV: Double { upperKeV - lowerKeV }
    /// Centre, keV.
    public var centreKeV: Double { (lowerKeV + upperKeV) / 2 }
    /// A photopeak window of `percent` total width (e.g. 20 → ±10 %).
    public static func photopeak(_ energyKeV: Double, percent: Double) -> EnergyWindowSpec {
        EnergyWindowSpec(lowerKeV: energyKeV * (1 - percent / 200), upperKeV: energyKeV * (1 + percent / 200))
    }
}

/// Scatter estimates from additional energy windows.
public enum ScatterEstimate {
    /// Triple-energy-window estimate of scatter counts in the photopeak window (Ogawa 1991):
    /// (C_lower / w_lower + C_upper / w_upper) × w_peak / 2.
    public static func tew(lower: Double, lowerWidthKeV: Double, upper: Double, upperWidthKeV: Double, peakWidthKeV: Double) -> Double {
        (lower / lowerWidthKeV + upper / upperWidthKeV) * peakWidthKeV / 2
    }
    /// Dual-energy-window estimate (Jaszczak 1984): k × C_lower × (w_peak / w_lower), k ≈ 0.5 for Tc-99m.
    public static func dew(lower: Double, lowerWidthKeV: Double, peakWidthKeV: Double, k: Double = 0.5) -> Double {
        k * lower * peakWidthKeV / lowerWidthKeV
    }
}
