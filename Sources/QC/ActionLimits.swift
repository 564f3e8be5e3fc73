import Foundation

/// A tolerance and an action limit on one QC metric (values above the limit fail; for `lowerIsWorse` below).
///
/// Tolerance exceeded: investigate, the camera may still be used; action exceeded: do not image patients.
public struct ActionLimit: Sendable, Codable, Equatable {
    /// Metric key as stored (e.g. "cfov.integralUniformityPercent").
    public var metric: String
    public var tolerance: Double
    public var action: Double
    /// Compare |value| (for signed offsets).
    public var absolute: Bool
    public init(metric: String, tolerance: Double, action: Double, absolute: Bool = false) {
        self.metric = metric; self.tolerance = tolerance; self.action = action; self.absolute = absolute
    }
}

/// The outcome of a QC result against its limits.
public enum QCStatus: String, Sendable, Codable, Comparable {
    case pass, tolerance, action, error
    private var rank: Int { switch self { case .pass: 0; case .tolerance: 1; case .action: 2; case .error: 3 } }
    public static func < (a: QCStatus, b: QCStatus) -> Bool { a.rank < b.rank }
}

/// Default limits per test (a department sets its own; these follow common practice: IAEA Human Health Series 6,
/// AAPM Report 177 — intrinsic CFOV IU above 5 % needs action).
public enum ActionLimits {
    public static let defaults: [QCTest: [ActionLimit]] = [
        .uniformity: [
            ActionLimit(metric: "ufov.integralUniformityPercent", tolerance: 5, action: 6),
            ActionLimit(metric: "cfov.integralUniformityPercent", tolerance: 4, action: 5),
            ActionLimit(metric: "ufov.differentialUniformityPercent", tolerance: 4, action: 5),
            ActionLimit(metric: "cfov.differentialUniformityPercent", tolerance: 3.5, action: 4.5),
        ],
        .cor: [
            ActionLimit(metric: "corOffsetPixels", tolerance: 0.5, action: 1.0, absolute: true),
            ActionLimit(metric: "maximumYDeviationPixels", tolerance: 0.5, action: 1.0),
        ],
        .tomo: [
            ActionLimit(metric: "cfov.integralUniformityPercent", tolerance: 15, action: 20),
        ],
        .mwsr: [
            ActionLimit(metric: "maximumDisplacementMM", tolerance: 1.5, action: 2.0),
        ],
        .wholebody: [
            ActionLimit(metric: "scanProfileMaximumDeviationPercent", tolerance: 10, action: 15),
        ],
    ]

    /// Worst status over the limits that apply to `metrics`; metrics without a limit do not count.
    public static func evaluate(_ metrics: [String: Double], limits: [ActionLimit]) -> (status: QCStatus, exceeded: [String]) {
        var status = QCStatus.pass
        var exceeded = [String]()
        for l in limits {
            guard let v0 = metrics[l.metric] else { continue }
            let v = l.absolute ? abs(v0) : v0
            if v > l.action { status = max(status, .action); exceeded.append("\(l.metric) = \(String(format: "%.3g", v0)) > action \(l.action)") }
            else if v > l.tolerance { status = max(status, .tolerance); exceeded.append("\(l.metric) = \(String(format: "%.3g", v0)) > tolerance \(l.tolerance)") }
        }
        return (status, exceeded)
    }
}
