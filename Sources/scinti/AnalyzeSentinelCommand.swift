import Analysis
import ArgumentParser
import Foundation
import Imaging
import Physics
import Workflows

/// `scinti analyze sentinel`: sentinel-node lymphoscintigraphy. Thin: read, analyse, print.
struct SentinelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentinel",
        abstract: "Sentinel lymph node lymphoscintigraphy: injection site masked, nodes with counts and % of the hottest (10 % rule).")

    @Argument(help: "NM STATIC file(s): anterior and lateral views, in one multi-frame file or one file each.") var files: [String]
    @Option(help: "Photopeak energy window number (1-based). Default: the window holding the radionuclide's photopeak.") var window: Int?
    @Option(help: "Write a PNG figure with the injection mask and the nodes.") var png: String?
    @Flag(help: "Print JSON (keys: injectionSite, injectionSites, nodes[] with view, column, row, counts, percentOfHottest, ...).") var json = false

    func run() throws {
        if try reportedNotAPatient(files, analysis: "Sentinel node lymphoscintigraphy", json: json) { return }
        do {
            var views: [PlanarViewImage] = []
            for f in files {
                let v = try PlanarInputs.read(path: f, allowed: [.staticImage], window: window)
                warnAll(v.notes); views += v.views
            }
            let r = try SentinelNodeAnalysis().analyze(views)
            warnAll(r.notes)
            if let png { try AnalysisFigures.sentinel(views, r, to: png) }
            if json { emit(try jsonText(r)); return }
            var t = "Sentinel node lymphoscintigraphy (\(views.count) view\(views.count == 1 ? "" : "s"))\n"
            for s in r.injectionSites {
                t += String(format: "  %@: injection site at column %.1f, row %.1f (%.0f counts), masked to %.0f mm\n", s.view, s.column, s.row, s.counts, s.maskRadiusMM)
            }
            if r.nodes.isEmpty { t += "  no nodes found outside the injection site\n" }
            for (k, n) in r.nodes.enumerated() {
                let pos = n.patientPositionMM.map { String(format: " patient (%.0f, %.0f, %.0f) mm", $0[0], $0[1], $0[2]) } ?? ""
                t += String(format: "  node %d %@: column %.1f, row %.1f, %.0f net counts, %.1f %% of the hottest%@%@\n", k + 1, n.view, n.column, n.row, n.counts,
                            n.percentOfHottest, n.meetsReportingRule ? "" : " (below the 10 % rule)", pos)
            }
            t += "Conventions: \(r.conventions["nodeCounts"] ?? ""); \(r.conventions["percentOfHottest"] ?? "")\n"
            if let png { t += "Figure → \(png)\n" }
            emit(t)
        } catch { throw failure(error) }
    }
}
