/// Errors of the dosimetry computations, with the context needed to act on them.
public enum DosimetryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The time–activity data cannot be used (too few points, negative or non-finite values, unsorted times…).
    case invalidTAC(String)
    /// A fit did not converge or gave a non-physical result (negative rate, singular covariance).
    case fitFailed(String)
    /// A radionuclide has no dosimetry data here.
    case unsupportedNuclide(String)
    /// Arrays or grids that must match do not.
    case sizeMismatch(String)
    /// Any other invalid argument.
    case invalidArgument(String)
    /// A visit's registration failed its quality gate: the run stops and asks for review (no number is given).
    case registrationNeedsReview(String)

    /// Human explanation.
    public var description: String {
        switch self {
        case .invalidTAC(let m): return "time-activity curve: \(m)"
        case .fitFailed(let m): return "fit failed: \(m)"
        case .unsupportedNuclide(let m): return "radionuclide: \(m)"
        case .sizeMismatch(let m): return "size mismatch: \(m)"
        case .invalidArgument(let m): return m
        case .registrationNeedsReview(let m): return m
        }
    }
}
