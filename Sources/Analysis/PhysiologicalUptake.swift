import Foundation

/// Uptake an analysis saw and kept out of its findings, with the reason (issue 18: physiology is never a finding).
/// Every planar analysis result carries a `physiology` list of these beside `findings` and `quality`.
public struct PhysiologicalUptake: Sendable, Codable, Equatable {
    /// View name.
    public var view: String
    /// Column (0-based pixel centre).
    public var column: Double
    /// Row.
    public var row: Double
    /// What it is (e.g. `urinary bladder`, `kidney`, `injection site / extravasation`, `symmetric joint uptake`).
    public var kind: String
    /// Why it is not a finding.
    public var reason: String
    /// Creates an entry.
    public init(view: String, column: Double, row: Double, kind: String, reason: String) {
        self.view = view; self.column = column; self.row = row; self.kind = kind; self.reason = reason
    }
}
