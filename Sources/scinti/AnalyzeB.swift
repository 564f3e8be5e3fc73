import Analysis
import ArgumentParser
import Foundation
import Imaging
import Physics
import Workflows

// `scinti analyze sentinel | bone-scan | krenning | mibg-hm` (issue 5 part B). Thin: read, analyse, print.

/// Parses `column,row,radius` (anterior-view pixels, 0-based centres).
func parseDiskB(_ text: String, _ what: String) throws -> PlanarDisk {
    let v = text.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard v.count == 3, v[2] > 0 else { throw fail("\(what) must be COLUMN,ROW,RADIUS in pixels (0-based), got '\(text)'") }
    return PlanarDisk(column: v[0], row: v[1], radius: v[2])
}

/// Prints the reader's notes as warnings.
func warnAllB(_ notes: [String]) { for n in notes { warn(n) } }

struct SentinelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sentinel",
        abstract: "Sentinel lymph node lymphoscintigraphy: injection site masked, nodes with counts and % of the hottest (10 % rule).")

    @Argument(help: "NM STATIC file(s): anterior and lateral views, in one multi-frame file or one file each.") var files: [String]
    @Option(help: "Photopeak energy window number (1-based). Default: the window holding the radionuclide's photopeak.") var window: Int?
    @Option(help: "Write a PNG figure with the injection mask and the nodes.") var png: String?
    @Flag(help: "Print JSON (keys: injectionSite, injectionSites, nodes[] with view, column, row, counts, percentOfHottest, ...).") var json = false

    func run() throws {
        do {
            var views: [PlanarViewImage] = []
            for f in files {
                let v = try AnalysisInputsB.read(path: f, allowed: [.staticImage], window: window)
                warnAllB(v.notes); views += v.views
            }
            let r = try SentinelNodeAnalysis().analyze(views)
            warnAllB(r.notes)
            if let png { try AnalysisFiguresB.sentinel(views, r, to: png) }
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
        } catch let e as ExitCode { throw e } catch { throw fail("\(error)") }
    }
}

struct BoneScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bone-scan",
        abstract: "Whole-body bone scan: hot spots against normal skeletal uptake, tumour-burden index; follow-up comparison.")

    @Argument(help: "NM WHOLE BODY (or STATIC) file with the anterior and posterior views (the baseline).") var file: String
    @Option(help: "A follow-up scan to compare with the baseline.") var followUp: String?
    @Option(help: "Photopeak energy window number (1-based).") var window: Int?
    @Option(help: "Write a PNG figure with the lesions (baseline, then the registered follow-up).") var png: String?
    @Flag(help: "Print JSON (keys: lesions[] with view, column, row, counts, status; normalisationFactor; tumourBurdenIndexPercent).") var json = false

    func run() throws {
        do {
            let b = try AnalysisInputsB.read(path: file, window: window)
            warnAllB(b.notes)
            var fuViews: [PlanarViewImage]? = nil
            let r: BoneScanAnalysis.Result
            if let followUp {
                let f = try AnalysisInputsB.read(path: followUp, window: window)
                warnAllB(f.notes)
                fuViews = f.views
                r = try BoneScanAnalysis().compare(baseline: b.views, followUp: f.views)
            } else {
                r = try BoneScanAnalysis().analyze(b.views)
            }
            warnAllB(r.notes)
            if let png { try AnalysisFiguresB.boneScan(b.views, followUp: fuViews, r, to: png) }
            if json { emit(try jsonText(r)); return }
            var t = "Whole-body bone scan: \(r.lesions.count) lesion\(r.lesions.count == 1 ? "" : "s")\n"
            if let f = r.normalisationFactor, let s = r.registrationShiftPixels {
                t += String(format: "  follow-up × %.3f to match the baseline (reference bone region); registered by (%d, %d) px\n", f, s[0], s[1])
            }
            for (k, l) in r.lesions.enumerated() {
                t += String(format: "  %d %@: column %.1f, row %.1f, %.0f net counts, uptake %.2f × normal", k + 1, l.view, l.column, l.row, l.counts, l.uptakeRatio)
                if let s = l.status { t += String(format: " → %@ (ratio %@)", s, l.ratio.map { String(format: "%.2f", $0) } ?? "-") }
                t += "\n"
            }
            for e in r.excludedRegions { t += String(format: "  excluded (organ-sized, %.0f cm²) on %@ at column %.1f, row %.1f\n", e.areaCM2, e.view, e.column, e.row) }
            t += String(format: "  tumour-burden index %.2f %% of the skeleton", r.tumourBurdenIndexPercent)
            if let f = r.followUpTumourBurdenIndexPercent { t += String(format: " (follow-up %.2f %%)", f) }
            t += "\n"
            if let png { t += "Figure → \(png)\n" }
            emit(t)
        } catch let e as ExitCode { throw e } catch { throw fail("\(error)") }
    }
}

struct KrenningCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "krenning",
        abstract: "In-111 octreotide: Krenning score of lesions against liver and spleen; lesion counts across serial images (decay-corrected).")

    @Argument(help: "NM STATIC/WHOLE BODY file(s) with anterior (and posterior) views; several files are time points (e.g. 4, 24, 48 h).") var files: [String]
    @Option(help: "Lesion region COLUMN,ROW,RADIUS on the anterior view (pixels); repeat for several lesions.") var lesion: [String] = []
    @Option(help: "Liver region COLUMN,ROW,RADIUS.") var liver: String
    @Option(help: "Spleen region COLUMN,ROW,RADIUS.") var spleen: String
    @Option(help: "Background region COLUMN,ROW,RADIUS (enables score 0).") var background: String?
    @Option(help: "Time point to score, hours after injection (default: the one nearest 24 h).") var scoreAt: Double = 24
    @Option(help: "Photopeak energy window number (default: every window holding a photopeak of the radionuclide, summed).") var window: Int?
    @Option(help: "Radionuclide when the file does not say (default In-111 for decay correction).") var radionuclide: String?
    @Option(help: "Write a PNG figure with the regions (time point scored).") var png: String?
    @Flag(help: "Print JSON (keys: lesions[] with krenningScore, ratioToLiver, ratioToSpleen; liver; spleen; method; kinetics).") var json = false

    func run() throws {
        guard !lesion.isEmpty else { throw fail("give at least one --lesion COLUMN,ROW,RADIUS") }
        let lesions = try lesion.enumerated().map { NamedPlanarDisk(name: "lesion \($0.offset + 1)", roi: try parseDiskB($0.element, "--lesion")) }
        let liverROI = NamedPlanarDisk(name: "liver", roi: try parseDiskB(liver, "--liver"))
        let spleenROI = NamedPlanarDisk(name: "spleen", roi: try parseDiskB(spleen, "--spleen"))
        let bg = try background.map { NamedPlanarDisk(name: "background", roi: try parseDiskB($0, "--background")) }
        do {
            var points: [(KrenningAnalysis.TimePoint, String)] = []
            var nuclide: Radionuclide? = radionuclide.flatMap { StudyPreparation.radionuclide(named: $0) }
            if radionuclide != nil && nuclide == nil { throw fail("unknown radionuclide '\(radionuclide!)'") }
            for f in files {
                let v = try AnalysisInputsB.read(path: f, window: window, sumPhotopeaks: true)
                warnAllB(v.notes)
                let ap = try AnalysisInputsB.anteriorPosterior(v, source: f)
                warnAllB(ap.notes)
                if nuclide == nil { nuclide = v.radionuclide }
                var hours = 0.0
                if let s = v.acquisitionStart, let i = v.injection { hours = s.timeIntervalSince(i) / 3600 }
                else if files.count > 1 { throw fail("\(f): acquisition or radiopharmaceutical start time missing; serial counts need both") }
                let d = ap.anterior.durationSeconds ?? 0
                if d <= 0 && files.count > 1 { throw fail("\(f): Actual Frame Duration (0018,1242) missing; serial counts need it") }
                points.append((.init(anterior: ap.anterior, posterior: ap.posterior, hoursAfterInjection: hours, durationSeconds: d > 0 ? d : 1), f))
            }
            let pick = points.min { abs($0.0.hoursAfterInjection - scoreAt) < abs($1.0.hoursAfterInjection - scoreAt) }!
            var r = try KrenningAnalysis().score(anterior: pick.0.anterior, posterior: pick.0.posterior, lesions: lesions, liver: liverROI,
                                                 spleen: spleenROI, background: bg)
            r.notes.insert(String(format: "scored on %@ (%.1f h after injection)", pick.1, pick.0.hoursAfterInjection), at: 0)
            if points.count > 1 {
                if nuclide == nil { nuclide = Radionuclide.named("In-111"); warn("radionuclide not recorded; In-111 assumed for the decay correction") }
                r.kinetics = try KrenningAnalysis().kinetics(points.map(\.0), lesions: lesions, halfLifeSeconds: nuclide!.halfLifeSeconds)
                r.notes.append("decay data: \(nuclide!.name) half-life \(String(format: "%.4g", nuclide!.halfLifeSeconds / 3600)) h (\(nuclide!.dataSet.rawValue))")
            }
            if let png { try AnalysisFiguresB.krenning(anterior: pick.0.anterior, posterior: pick.0.posterior, r, to: png) }
            if json { emit(try jsonText(r)); return }
            var t = "Krenning score (\(r.method))\n"
            t += String(format: "  liver %.1f, spleen %.1f counts/pixel\n", r.liver.intensity, r.spleen.intensity)
            for l in r.lesions {
                t += String(format: "  %@: %.1f counts/pixel, ×%.2f liver, ×%.2f spleen → Krenning %d\n", l.region.name, l.region.intensity, l.ratioToLiver, l.ratioToSpleen, l.krenningScore)
            }
            for k in r.kinetics ?? [] {
                t += "  \(k.name) decay-corrected net count rate: " + zip(k.hours, k.percentOfFirst).map { h, p in p.map { String(format: "%.1f h %.1f %%", h, $0) } ?? String(format: "%.1f h -", h) }.joined(separator: ", ") + "\n"
            }
            for n in r.notes { t += "  note: \(n)\n" }
            if let png { t += "Figure → \(png)\n" }
            emit(t)
        } catch let e as ExitCode { throw e } catch { throw fail("\(error)") }
    }
}

struct MIBGCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mibg-hm",
        abstract: "I-123 MIBG heart-to-mediastinum ratio (standard regions) with the collimator conversion to the ME reference.")

    @Argument(help: "NM STATIC file with the anterior chest view.") var file: String
    @Option(help: "Heart circle COLUMN,ROW,RADIUS (pixels; default: found automatically).") var heart: String?
    @Option(help: "Mediastinal square COLUMN,ROW,SIDE (pixels; default: 7×7 on the midline above the heart).") var mediastinum: String?
    @Option(help: "Calibrated camera-collimator conversion coefficient (default: the published class mean for LE/ME collimators).") var conversionCoefficient: Double?
    @Option(help: "Photopeak energy window number (1-based).") var window: Int?
    @Option(help: "Write a PNG figure with the regions.") var png: String?
    @Flag(help: "Print JSON (keys: heartToMediastinum, standardizedHeartToMediastinum, conversionCoefficient, heartROI, mediastinumROI).") var json = false

    func run() throws {
        let h = try heart.map { try parseDiskB($0, "--heart") }
        let m = try mediastinum.map { d -> MIBGAnalysis.SquareROI in
            let q = try parseDiskB(d, "--mediastinum")
            return MIBGAnalysis.SquareROI(column: q.column, row: q.row, side: Int(q.radius.rounded()))
        }
        if let cc = conversionCoefficient, !(cc > 0 && cc <= 1.5) { throw fail("--conversion-coefficient must be in (0, 1.5], got \(cc)") }
        do {
            let v = try AnalysisInputsB.read(path: file, allowed: [.staticImage], window: window)
            warnAllB(v.notes)
            let ap = try AnalysisInputsB.anteriorPosterior(v, source: file)
            warnAllB(ap.notes)
            let coll = v.acquisition.detectors.first?.collimatorName
            if coll == nil { warn("\(file): the collimator is not recorded; no standardised H/M without --conversion-coefficient") }
            let r = try MIBGAnalysis().analyze(ap.anterior, heart: h, mediastinum: m, collimator: coll, coefficient: conversionCoefficient)
            warnAllB(r.notes)
            if let png { try AnalysisFiguresB.mibg(ap.anterior, r, to: png) }
            if json { emit(try jsonText(r)); return }
            var t = String(format: "MIBG heart-to-mediastinum ratio %.2f (heart %.1f, mediastinum %.1f counts/pixel)\n", r.heartToMediastinum, r.heartMeanCounts, r.mediastinumMeanCounts)
            if let s = r.standardizedHeartToMediastinum, let cc = r.conversionCoefficient {
                t += String(format: "  standardised to the ME reference: %.2f (CC %.3f: %@)\n", s, cc, r.conversionSource)
            } else { t += "  not standardised: \(r.conversionSource)\n" }
            t += String(format: "  heart circle column %.1f, row %.1f, radius %.1f px; mediastinum %d×%d px at column %.1f, row %.1f\n",
                        r.heartROI.column, r.heartROI.row, r.heartROI.radius, r.mediastinumROI.side, r.mediastinumROI.side, r.mediastinumROI.column, r.mediastinumROI.row)
            if let png { t += "Figure → \(png)\n" }
            emit(t)
        } catch let e as ExitCode { throw e } catch { throw fail("\(error)") }
    }
}
