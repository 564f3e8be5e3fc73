import Foundation

extension AnalysisJob {
    /// Runs analysis `kind` with `regions` (a result's `display.regions`, matched by label) replacing its automatic
    /// regions. Not wired yet: waits for the planar toolkit's overriding-region parameters.
    public static func run(_ kind: Kind, path: String, series: String, inputs: [String: String] = [:],
                           regions: [ResultDisplay.Region]) throws(WorkflowError) -> Output {
        throw WorkflowError("\(kind.rawValue): re-running with edited regions is not available in this build yet")
    }
}
