import Foundation

/// Photon cross-sections of the chemical elements (total μ/ρ with coherent scattering, cm²/g).
///
/// Values of Elam, Ravel & Sieber (Radiat. Phys. Chem. 63:121 (2002), doi:10.1016/S0969-806X(01)00227-4), as
/// distributed by the `xraydb` package, tabulated 30–700 keV by `scripts/generate-element-attenuation.py` into
/// `Generated/ElementAttenuation.swift` for H–Zn and I; interpolated log-log between grid points.
public enum ElementAttenuation {
    /// Energy range of the table (keV).
    public static var rangeKeV: ClosedRange<Double> { energiesKeV[0]...energiesKeV[energiesKeV.count - 1] }

    /// Atomic numbers in the table.
    public static var atomicNumbers: [Int] { table.keys.sorted() }

    /// Atomic number of an element symbol (`"Ca"`), when tabulated.
    public static func atomicNumber(symbol: String) -> Int? {
        symbols.first { $0.value.lowercased() == symbol.lowercased() }?.key
    }

    /// Total mass attenuation coefficient (cm²/g) of element `z` at `energyKeV`; nil when the element is not tabulated.
    /// Outside 30–700 keV the end intervals are extrapolated log-log.
    public static func massAttenuation(z: Int, energyKeV: Double) -> Double? {
        guard let ys = table[z] else { return nil }
        return XCOMTable.logLog(energyKeV, energiesKeV, ys)
    }
}

/// A material given by its density and elemental composition (mass fractions), e.g. an ICRP-110 medium.
///
/// μ/ρ follows the mixture rule (Bragg additivity, as XCOM itself computes compounds): μ/ρ = Σᵢ wᵢ (μ/ρ)ᵢ over the
/// elements' cross-sections (``ElementAttenuation``); μ = ρ · μ/ρ.
public struct Medium: Sendable, Codable, Equatable, Hashable {
    /// Name (e.g. the GATE material name of the ICRP-110 phantoms).
    public var name: String
    /// Mass density (g/cm³).
    public var densityGPerCm3: Double
    /// Mass fraction of each element by atomic number (sums to 1 within rounding).
    public var massFractions: [Int: Double]

    /// Error of a composition that cannot be used.
    public struct CompositionError: Error, Sendable, CustomStringConvertible {
        /// What is wrong.
        public var description: String
    }

    /// Creates a medium; every element must be tabulated in ``ElementAttenuation`` and the fractions must sum to
    /// 1 ± 0.02 (they are then normalised to 1).
    public init(name: String, densityGPerCm3: Double, massFractions: [Int: Double]) throws(CompositionError) {
        guard densityGPerCm3.isFinite, densityGPerCm3 > 0 else {
            throw CompositionError(description: "medium \(name): density \(densityGPerCm3) g/cm³ must be positive")
        }
        for (z, w) in massFractions {
            guard ElementAttenuation.table[z] != nil else {
                throw CompositionError(description: "medium \(name): element Z=\(z) has no cross-section table (tabulated: Z 1-30, 53)")
            }
            guard w.isFinite, w >= 0 else { throw CompositionError(description: "medium \(name): mass fraction \(w) of Z=\(z) is not in 0…1") }
        }
        let sum = massFractions.values.reduce(0, +)
        guard abs(sum - 1) <= 0.02 else {
            throw CompositionError(description: "medium \(name): mass fractions sum to \(sum), expected 1 ± 0.02")
        }
        self.name = name
        self.densityGPerCm3 = densityGPerCm3
        self.massFractions = massFractions.mapValues { $0 / sum }
    }

    /// Total mass attenuation coefficient with coherent scattering (cm²/g) by the mixture rule.
    public func massAttenuation(energyKeV: Double) -> Double {
        massFractions.reduce(0.0) { $0 + $1.value * (ElementAttenuation.massAttenuation(z: $1.key, energyKeV: energyKeV) ?? 0) }
    }

    /// Linear attenuation coefficient μ (1/cm).
    public func mu(energyKeV: Double) -> Double { massAttenuation(energyKeV: energyKeV) * densityGPerCm3 }

    /// CT number at a CT's effective photon energy: 1000 · (μ/μ_water − 1), water from ``ElementAttenuation``
    /// (H 11.19 %, O 88.81 % by mass, 1.000 g/cm³) so that both come from the same table.
    public func hounsfield(effectiveEnergyKeV e: Double) -> Double {
        1000 * (mu(energyKeV: e) / Medium.water.mu(energyKeV: e) - 1)
    }

    /// Liquid water (H₂O: H 0.111894, O 0.888106; 1.000 g/cm³, NIST SRD 126 Table 2).
    public static let water = try! Medium(name: "Water", densityGPerCm3: 1.0, massFractions: [1: 0.111894, 8: 0.888106])
}
