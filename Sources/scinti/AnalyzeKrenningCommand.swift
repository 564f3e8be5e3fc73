import Analysis
import ArgumentParser
import Foundation
import Imaging
import Physics
import Workflows

/// `scinti analyze krenning`: In-111 octreotide Krenning grades. Thin: read, analyse, print.
struct KrenningCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "krenning",
        abstract: "In-111 octreotide: Krenning score of lesions against liver and spleen; lesion counts across serial images (decay-corrected).")

    @Argument(help: "NM STATIC/WHOLE BODY file(s) with anterior (and posterior) views; several files are time points (e.g. 4, 24, 48 h).") var files: [String]
    @Option(help: "Lesion region COLUMN,ROW,RADIUS on the anterior view (pixels); repeat for several lesions (default: tumour foci found automatically).") var lesion: [String] = []
    @Option(help: "Liver region COLUMN,ROW,RADIUS (default: placed automatically on the liver).") var liver: String?
    @Option(help: "Spleen region COLUMN,ROW,RADIUS (default: placed automatically on the spleen).") var spleen: String?
    @Option(help: "Background region COLUMN,ROW,RADIUS (enables score 0).") var background: String?
    @Option(help: "Time point to score, hours after injection (default: the one nearest 24 h).") var scoreAt: Double = 24
    @Option(help: "Photopeak energy window number (default: every window holding a photopeak of the radionuclide, summed).") var window: Int?
    @Option(help: "Radionuclide when the file does not say (default In-111 for decay correction).") var radionuclide: String?
    @Option(help: "Write a PNG figure with the regions (time point scored).") var png: String?
    @Flag(help: "Print JSON (keys: lesions[] with krenningScore, ratioToLiver, ratioToSpleen, nearBoundary, withheld; liver; spleen; method; kinetics).") var json = false

    func run() throws {
        if try reportedNotAPatient(files, analysis: "Krenning score", json: json) { return }
        let lesions = try lesion.enumerated().map { NamedPlanarDisk(name: "lesion \($0.offset + 1)", roi: try parseDisk($0.element, "--lesion")) }
        let liverROI = try liver.map { NamedPlanarDisk(name: "liver", roi: try parseDisk($0, "--liver")) }
        let spleenROI = try spleen.map { NamedPlanarDisk(name: "spleen", roi: try parseDisk($0, "--spleen")) }
        let bg = try background.map { NamedPlanarDisk(name: "background", roi: try parseDisk($0, "--background")) }
        do {
            var points: [(KrenningAnalysis.TimePoint, String)] = []
            var nuclide: Radionuclide? = radionuclide.flatMap { StudyPreparation.radionuclide(named: $0) }
            if radionuclide != nil && nuclide == nil { throw fail("unknown radionuclide '\(radionuclide!)'") }
            for f in files {
                let v = try PlanarInputs.read(path: f, window: window, sumPhotopeaks: true)
                warnAll(v.notes)
                let ap = try PlanarInputs.anteriorPosterior(v, source: f)
                warnAll(ap.notes)
                if nuclide == nil { nuclide = v.radionuclide }
                var hours = 0.0
                if let s = v.acquisitionStart, let i = v.injection { hours = s.timeIntervalSince(i) / 3600 }
                else if files.count > 1 { throw fail("\(f): acquisition or radiopharmaceutical start time missing; serial counts need both") }
                let d = ap.anterior.durationSeconds ?? 0
                if d <= 0 && files.count > 1 { throw fail("\(f): Actual Frame Duration (0018,1242) missing; serial counts need it") }
                points.append((.init(anterior: ap.anterior, posterior: ap.posterior, hoursAfterInjection: hours, durationSeconds: d > 0 ? d : 1), f))
            }
            let pick = points.min { abs($0.0.hoursAfterInjection - scoreAt) < abs($1.0.hoursAfterInjection - scoreAt) }!
            var r = try KrenningAnalysis().score(anterior: pick.0.anterior, posterior: pick.0.posterior, lesions: lesions.isEmpty ? nil : lesions,
                                                 liver: liverROI, spleen: spleenROI, background: bg)
            r.notes.insert(String(format: "scored on %@ (%.1f h after injection)", pick.1, pick.0.hoursAfterInjection), at: 0)
            if points.count > 1 {
                if nuclide == nil { nuclide = Radionuclide.named("In-111"); warn("radionuclide not recorded; In-111 assumed for the decay correction") }
                r.kinetics = try KrenningAnalysis().kinetics(points.map(\.0), lesions: r.lesions.map { NamedPlanarDisk(name: $0.region.name, roi: PlanarDisk(column: $0.region.column, row: $0.region.row, radius: $0.region.radius)) }, halfLifeSeconds: nuclide!.halfLifeSeconds)
                r.notes.append("decay data: \(nuclide!.name) half-life \(String(format: "%.4g", nuclide!.halfLifeSeconds / 3600)) h (\(nuclide!.dataSet.rawValue))")
            }
            if let png { try AnalysisFigures.krenning(anterior: pick.0.anterior, posterior: pick.0.posterior, r, to: png) }
            if json { emit(try jsonText(r)); return }
            var t = "Krenning score (\(r.method))\n"
            t += String(format: "  liver %.1f, spleen %.1f counts/pixel\n", r.liver.intensity, r.spleen.intensity)
            for l in r.lesions {
                t += String(format: "  %@: %.1f counts/pixel, ×%.2f liver, ×%.2f spleen → Krenning %@\n", l.region.name, l.region.intensity, l.ratioToLiver, l.ratioToSpleen,
                                  l.krenningScore.map(String.init) ?? "withheld: " + (l.withheld ?? "reference organ not told apart"))
                if let near = l.nearBoundary { t += "    near a grade boundary: \(near)\n" }
            }
            for k in r.kinetics ?? [] {
                t += "  \(k.name) decay-corrected net count rate: " + zip(k.hours, k.percentOfFirst).map { h, p in p.map { String(format: "%.1f h %.1f %%", h, $0) } ?? String(format: "%.1f h -", h) }.joined(separator: ", ") + "\n"
            }
            if r.lesions.isEmpty { for f in r.findings { t += "  \(f)\n" } }
            for n in r.notes { t += "  note: \(n)\n" }
            if let png { t += "Figure → \(png)\n" }
            emit(t)
        } catch { throw failure(error) }
    }
}
