import Foundation

/// Which evaluated decay data a value comes from.
public enum DecayDataSet: String, Sendable, CaseIterable, Codable {
    /// ENSDF as distributed by NNDC (NuDat 3).
    case ensdf
    /// ICRP Publication 107 (2008).
    case icrp107
}

/// One photon line (gamma or X-ray) emitted in the decay.
public struct PhotonLine: Sendable, Equatable, Codable {
    /// Energy in keV.
    public var energyKeV: Double
    /// Photons per decay.
    public var yield: Double
    /// Creates a line.
    public init(energyKeV: Double, yield: Double) { self.energyKeV = energyKeV; self.yield = yield }
}

/// A radionuclide's decay data used for imaging, quantitation and dosimetry.
public struct Radionuclide: Sendable, Equatable, Codable {
    /// Canonical name, e.g. `Tc-99m`, `Lu-177`.
    public var name: String
    /// Physical half-life in seconds.
    public var halfLifeSeconds: Double
    /// Main photon lines (those that matter for imaging or dose), highest yield first.
    public var photons: [PhotonLine]
    /// Mean energy per decay deposited locally (electrons, beta, alpha, and photons < 10 keV), MeV.
    public var meanLocalEnergyMeV: Double
    /// Mean alpha energy per decay, MeV (part of `meanLocalEnergyMeV`; 0 for non-alpha emitters).
    public var meanAlphaEnergyMeV: Double
    /// The data set these values come from.
    public var dataSet: DecayDataSet
    /// Where each value comes from (reference and table).
    public var source: String

    /// Decay constant λ = ln 2 / T½ (1/s).
    public var decayConstant: Double { log(2) / halfLifeSeconds }

    /// The imaging photopeak: the photon line with the highest yield above 50 keV.
    public var photopeakKeV: Double? { photons.filter { $0.energyKeV >= 50 }.max { $0.yield < $1.yield }?.energyKeV }

    /// Looks a nuclide up by name (case-insensitive; `Tc99m`, `99mTc`, `Tc-99m` all work) in a data set.
    public static func named(_ name: String, dataSet: DecayDataSet = .ensdf) -> Radionuclide? {
        RadionuclideTable.lookup(name, dataSet: dataSet)
    }

    /// Every nuclide in a data set.
    public static func all(dataSet: DecayDataSet = .ensdf) -> [Radionuclide] { RadionuclideTable.all(dataSet) }

    /// Creates a nuclide.
    public init(name: String, halfLifeSeconds: Double, photons: [PhotonLine], meanLocalEnergyMeV: Double,
                meanAlphaEnergyMeV: Double = 0, dataSet: DecayDataSet, source: String) {
        self.name = name; self.halfLifeSeconds = halfLifeSeconds; self.photons = photons
        self.meanLocalEnergyMeV = meanLocalEnergyMeV; self.meanAlphaEnergyMeV = meanAlphaEnergyMeV
        self.dataSet = dataSet; self.source = source
    }
}

/// The tables behind ``Radionuclide/named(_:dataSet:)`` (filled in RadionuclideData.swift).
enum RadionuclideTable {
    static func normalise(_ name: String) -> String {
        // "99mTc" → "TC99M", "Tc-99m" → "TC99M", "lu177" → "LU177"
        let up = name.uppercased().filter { $0.isLetter || $0.isNumber }
        let letters = up.prefix { $0.isLetter }
        if letters.isEmpty {
            let digits = up.prefix { $0.isNumber }
            let rest = up.dropFirst(digits.count)
            let meta = rest.hasPrefix("M") && rest.count > 1 && rest.dropFirst().allSatisfy(\.isLetter) && !["MO", "MN", "MG", "MD", "MT", "MC"].contains(String(rest.prefix(2))) ? "M" : ""
            let element = meta.isEmpty ? rest : rest.dropFirst()
            return element + digits + meta
        }
        return up
    }
    static func lookup(_ name: String, dataSet: DecayDataSet) -> Radionuclide? {
        let key = normalise(name)
        if let hit = all(dataSet).first(where: { normalise($0.name) == key }) { return hit }
        // "99mTc" normalises to "MTC99" (the "MT" could be meitnerium): also try the leading "m" as the
        // metastable flag, i.e. "TC99M".
        let up = name.uppercased().filter { $0.isLetter || $0.isNumber }
        let digits = up.prefix { $0.isNumber }
        let rest = up.dropFirst(digits.count)
        guard !digits.isEmpty, rest.hasPrefix("M"), rest.count > 1 else { return nil }
        let alternative = rest.dropFirst() + digits + "M"
        return all(dataSet).first { normalise($0.name) == alternative }
    }
    static func all(_ dataSet: DecayDataSet) -> [Radionuclide] { dataSet == .ensdf ? ensdf : icrp107 }
    // Filled in RadionuclideData.swift:
    // static let ensdf: [Radionuclide]
    // static let icrp107: [Radionuclide]
}
