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

    /// Geometric resolution FWHM (mm) at distance `distanceMM` from the collimator face, for photons of
    /// `energyKeV` (effective hole length with septal penetration, μ of lead): R = d (Leff + b) / Leff.
    public func geometricFWHM(distanceMM: Double, energyKeV: Double) -> Double { fatalError("implemented by the Physics module") }
    /// System resolution FWHM (mm): geometric and intrinsic added in quadrature.
    public func systemFWHM(distanceMM: Double, energyKeV: Double, intrinsicFWHMmm: Double = 3.8) -> Double {
        let g = geometricFWHM(distanceMM: distanceMM, energyKeV: energyKeV)
        return (g * g + intrinsicFWHMmm * intrinsicFWHMmm).squareRoot()
    }
    /// Geometric efficiency (fraction of emitted photons passing): K² (d/Leff)² d²/(d+t)².
    public func geometricEfficiency(energyKeV: Double) -> Double { fatalError("implemented by the Physics module") }
    /// Catalogue of common collimators (GE, Siemens, Philips/others where published).
    public static var catalog: [Collimator] { fatalError("implemented by the Physics module") }
    /// A collimator by code (`LEHR`…) and optional vendor (default: the first match).
    public static func named(_ code: String, vendor: String? = nil) -> Collimator? {
        catalog.first { $0.code.caseInsensitiveCompare(code) == .orderedSame && (vendor == nil || $0.vendor.caseInsensitiveCompare(vendor!) == .orderedSame) }
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
