import Foundation

/// Why a quality-control test gave no number: every case names what was wrong and what the test needs.
public enum QCError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The image has too few counts for the test (what it has, what it needs, in the unit named).
    case insufficientCounts(what: String, have: Double, need: Double, unit: String)
    /// The image is not what the test measures (a patient study given as a flood, a flood given as a line source…).
    case notAQCImage(test: String, reason: String)
    /// The image type or layout does not fit the test (TOMO where a planar image is needed, one window for MWSR…).
    case wrongImageType(test: String, found: String, allowed: String)
    /// A required input is missing or invalid (activity, duration, pixel spacing…).
    case invalidInput(String)
    /// A fit did not converge or gave a non-physical value.
    case fitFailed(String)

    public var description: String {
        switch self {
        case let .insufficientCounts(what, have, need, unit):
            return "too few counts: \(what) is \(format(have)) \(unit), the test needs at least \(format(need)) \(unit)"
        case let .notAQCImage(test, reason):
            return "not a \(test) image: \(reason)"
        case let .wrongImageType(test, found, allowed):
            return "\(test) needs \(allowed); the image is \(found)"
        case let .invalidInput(s): return s
        case let .fitFailed(s): return "fit failed: \(s)"
        }
    }

    private func format(_ v: Double) -> String {
        v >= 100 ? String(Int(v.rounded())) : String(format: "%.3g", v)
    }
}
