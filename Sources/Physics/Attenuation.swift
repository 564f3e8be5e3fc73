/// Materials with tabulated photon attenuation (NIST XCOM).
public enum Material: String, Sendable, CaseIterable, Codable {
    case water, softTissue, lung, corticalBone, air

    /// Density in g/cm³ (the value the XCOM/ICRU composition uses).
    public var density: Double { fatalError("implemented by the Physics module") }
    /// Total mass attenuation coefficient with coherent scattering, cm²/g, at `energyKeV` (50–511 keV, log-log
    /// interpolation of the NIST XCOM table).
    public func massAttenuation(energyKeV: Double) -> Double { fatalError("implemented by the Physics module") }
    /// Linear attenuation coefficient μ in 1/cm.
    public func mu(energyKeV: Double) -> Double { massAttenuation(energyKeV: energyKeV) * density }
}

/// CT numbers to linear attenuation at an emission energy: the bilinear model (water–air below the break point,
/// water–bone above it) with a kVp-dependent bone slope.
public struct HUToMu: Sendable, Equatable {
    /// Photon energy of the emission in keV.
    public var energyKeV: Double
    /// Tube voltage of the CT in kVp.
    public var kVp: Double
    /// Creates the model.
    public init(energyKeV: Double, kVp: Double) { self.energyKeV = energyKeV; self.kVp = kVp }
    /// μ in 1/cm for a CT number (HU). Values below −1000 give 0; never negative.
    public func mu(hu: Double) -> Double { fatalError("implemented by the Physics module") }
}
