import Foundation

/// Recovery coefficients by VOI volume for one camera, collimator and reconstruction: RC = activity measured in a
/// VOI the size of a uniform sphere ÷ the sphere's true activity. Partial-volume correction divides a VOI's activity
/// by RC(VOI volume), interpolated linearly in log(volume) between the measured spheres (held constant beyond them).
public struct RecoveryCurve: Sendable, Equatable, Codable {
    /// Sphere volumes (mL, ascending) and their recovery coefficients.
    public var volumesML: [Double], coefficients: [Double]
    /// Relative standard uncertainty (k = 1) of each coefficient (counting statistics of its measurement plus the
    /// interpolation: half the step to the neighbouring sphere).
    public var relativeUncertainty: [Double]
    /// What measured it (camera, collimator, reconstruction, phantom).
    public var source: String

    /// Creates a curve; volumes must ascend and coefficients be in (0, 1.5].
    public init(volumesML: [Double], coefficients: [Double], relativeUncertainty: [Double], source: String) throws(DosimetryError) {
        guard !volumesML.isEmpty, volumesML.count == coefficients.count, coefficients.count == relativeUncertainty.count else {
            throw .sizeMismatch("recovery curve: \(volumesML.count) volumes, \(coefficients.count) coefficients, \(relativeUncertainty.count) uncertainties")
        }
        guard zip(volumesML, volumesML.dropFirst()).allSatisfy({ $0 < $1 }), volumesML[0] > 0 else { throw .invalidArgument("recovery curve: volumes must be > 0 and ascending") }
        guard coefficients.allSatisfy({ $0 > 0 && $0 <= 1.5 }) else { throw .invalidArgument("recovery curve: coefficients must be in (0, 1.5] (got \(coefficients))") }
        self.volumesML = volumesML; self.coefficients = coefficients; self.relativeUncertainty = relativeUncertainty; self.source = source
    }

    /// RC and its relative uncertainty at `volumeML`.
    public func coefficient(volumeML v: Double) -> (rc: Double, relativeUncertainty: Double) {
        guard volumesML.count > 1 else { return (coefficients[0], relativeUncertainty[0]) }
        if v <= volumesML[0] { return (coefficients[0], relativeUncertainty[0]) }
        if v >= volumesML.last! { return (coefficients.last!, relativeUncertainty.last!) }
        let i = volumesML.firstIndex { $0 >= v }! - 1
        let f = log(v / volumesML[i]) / log(volumesML[i + 1] / volumesML[i])
        return (coefficients[i] + f * (coefficients[i + 1] - coefficients[i]),
                relativeUncertainty[i] + f * (relativeUncertainty[i + 1] - relativeUncertainty[i]))
    }
}
