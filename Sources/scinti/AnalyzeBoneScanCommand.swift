import Analysis
import ArgumentParser
import Foundation
import Imaging
import Physics
import Workflows

/// `scinti analyze bone-scan`: whole-body bone scan lesions and follow-up. Thin: read, analyse, print.
struct BoneScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bone-scan",
        abstract: "Whole-body bone scan: hot spots against normal skeletal uptake, tumour-burden index; follow-up comparison.")

    @Argument(help: "NM WHOLE BODY (or STATIC) file with the anterior and posterior views (the baseline).") var file: String
    @Option(help: "A follow-up scan to compare with the baseline.") var followUp: String?
    @Option(help: "Photopeak energy window number (1-based).") var window: Int?
    @Option(name: .customLong("threshold-factor"), help: "Hot-spot threshold as a multiple of the body's 95th-percentile top-hat.") var thresholdFactor: Double = BoneScanAnalysis.Options().thresholdFactor
    @Option(name: .customLong("min-significance"), help: "Minimum net counts in Poisson standard deviations.") var minSignificance: Double = BoneScanAnalysis.Options().minimumSignificance
    @Option(name: .customLong("spine-ratio"), help: "A focus on the spine must exceed the spine's level above and below by this factor.") var spineRatio: Double = BoneScanAnalysis.Options().spineRatio
    @Option(name: .customLong("two-view-threshold"), help: "Lower hot-spot threshold (× the 95th-percentile top-hat) for foci the opposite view confirms; ≥ --threshold-factor turns it off.") var twoViewThreshold: Double = BoneScanAnalysis.Options().twoViewThresholdFactor
    @Option(name: .customLong("two-view-confirm"), help: "Focal excess needed at the conjugate place of the opposite view (× its 95th-percentile top-hat).") var twoViewConfirm: Double = BoneScanAnalysis.Options().twoViewConfirmFactor
    @Option(name: .customLong("baseline-excess-share"), help: "Follow-up: a focus is not new only if the baseline holds at least this share of its excess.") var baselineExcessShare: Double = BoneScanAnalysis.Options().baselineExcessShare
    @Option(name: .customLong("structure-threshold"), help: "Same-structure pass: candidates above this multiple of the 95th-percentile top-hat (below --threshold-factor) are kept when they stand out from normal bone of their own structure; ≥ --threshold-factor turns it off.") var structureThreshold: Double = BoneScanAnalysis.Options().structureThresholdFactor
    @Option(name: .customLong("structure-ratios"), help: "Same-structure pass: MIDLINE,MIRROR,ALONG ratios of the disc mean to the level along the structure (midline), to the mirrored bone and to the level along the structure (off the midline).") var structureRatios: String?
    @Option(name: .customLong("structure-significance"), help: "Same-structure pass: Poisson standard deviations above the structure's normal level.") var structureSignificance: Double = BoneScanAnalysis.Options().structureSignificance
    @Option(name: .customLong("atlas-significance"), help: "Atlas pass: Poisson standard deviations of a 15 mm disc above the fitted ICRP-110 normal-bone image.") var atlasSignificance: Double = BoneScanAnalysis.Options().atlasSignificance
    @Option(name: .customLong("atlas-ratio"), help: "Atlas pass: disc mean ÷ the fitted normal-bone image, at least.") var atlasRatio: Double = BoneScanAnalysis.Options().atlasRatio
    @Flag(name: .customLong("atlas"), help: "Also fit the ICRP-110 normal-bone atlas (phantoms from $SCINTI_ICRP110 or ../shared/phantoms/icrp110) and detect foci against it (experimental, off by default).") var atlas = false
    @Flag(name: .customLong("conjugate"), inversion: .prefixedNo, help: "The conjugate-view pass (anterior, mirrored posterior and their sum against the normal bone of the same structure; on by default, --no-conjugate turns it off).") var conjugate = BoneScanAnalysis.Options().conjugatePass
    @Option(name: .customLong("conjugate-significance"), help: "Conjugate-view pass: MIDLINE,LATERAL calibrated significance thresholds.") var conjugateSignificance: String?
    @Option(name: .customLong("conjugate-floors"), help: "Conjugate-view pass: MIDLINE,LATERAL relative error floors of the normal-bone level.") var conjugateFloors: String?
    @Option(name: .customLong("conjugate-mirror-rows"), help: "Conjugate-view pass: rows searched on either side of the mirrored place.") var conjugateMirrorRows: Int = BoneScanAnalysis.Options().conjugateMirrorRows
    @Option(name: .customLong("conjugate-mirror-hot"), help: "Conjugate-view pass: the mirrored bone is not the normal level when it exceeds this ratio times its own level along the structure (0: always used).") var conjugateMirrorHot: Double = BoneScanAnalysis.Options().conjugateMirrorHotRatio ?? 0
    @Option(name: .customLong("symmetric-joint-tolerance"), help: "Symmetric-joint call only within this distance (mm, head-to-foot) of an atlas joint: shoulders, elbows, wrists, hips, sacro-iliac joints, knees, ankles and feet (0: anywhere off the midline).") var symmetricJointTolerance: Double = BoneScanAnalysis.Options().symmetricJointToleranceMM ?? 0
    @Option(help: "Write a PNG figure with the lesions (baseline, then the registered follow-up).") var png: String?
    @Flag(help: "Print JSON (keys: lesions[] with view, column, row, counts, region, side, uptakeRatioToRegion, status; normalisationFactor; tumourBurdenIndexPercent; boneScanIndexPercent; pcwg3).") var json = false

    var options: BoneScanAnalysis.Options {
        var o = BoneScanAnalysis.Options()
        o.thresholdFactor = thresholdFactor; o.minimumSignificance = minSignificance; o.spineRatio = spineRatio
        o.twoViewThresholdFactor = twoViewThreshold; o.twoViewConfirmFactor = twoViewConfirm; o.baselineExcessShare = baselineExcessShare
        o.structureThresholdFactor = structureThreshold; o.structureSignificance = structureSignificance
        o.atlasSignificance = atlasSignificance; o.atlasRatio = atlasRatio; o.atlasPass = atlas
        o.conjugatePass = conjugate; o.conjugateMirrorRows = conjugateMirrorRows
        o.conjugateMirrorHotRatio = conjugateMirrorHot > 0 ? conjugateMirrorHot : nil
        o.symmetricJointToleranceMM = symmetricJointTolerance > 0 ? symmetricJointTolerance : nil
        if let t = conjugateSignificance?.split(separator: ",").compactMap({ Double($0) }), t.count == 2 {
            o.conjugateMidlineSignificance = t[0]; o.conjugateLateralSignificance = t[1]
        }
        if let f = conjugateFloors?.split(separator: ",").compactMap({ Double($0) }), f.count == 2 {
            o.conjugateMidlineFloor = f[0]; o.conjugateLateralFloor = f[1]
        }
        if let r = structureRatios?.split(separator: ",").compactMap({ Double($0) }), r.count == 3 {
            o.structureMidlineRatio = r[0]; o.structureMirrorRatio = r[1]; o.structureAlongRatio = r[2]
        }
        return o
    }

    func validate() throws {
        for (name, value) in [("--conjugate-significance", conjugateSignificance), ("--conjugate-floors", conjugateFloors)] {
            if let v = value, v.split(separator: ",").compactMap({ Double($0) }).count != 2 {
                throw ValidationError("\(name): '\(v)' is not two numbers MIDLINE,LATERAL (e.g. 7,6)")
            }
        }
        if conjugateMirrorRows < 0 || conjugateMirrorRows > 20 {
            throw ValidationError("--conjugate-mirror-rows: \(conjugateMirrorRows) is outside 0–20")
        }
        if let r = structureRatios, r.split(separator: ",").compactMap({ Double($0) }).count != 3 {
            throw ValidationError("--structure-ratios: '\(r)' is not three numbers MIDLINE,MIRROR,ALONG (e.g. 1.25,1.25,1.3)")
        }
    }

    func run() throws {
        do {
            if let why = PlanarInputs.notAPatient(path: file) {
                let r = BoneScanAnalysis.notAPatient(why)
                if json { emit(try jsonText(r)); return }
                emit("Whole-body bone scan: not analysed — \(why).\n")
                return
            }
            let b = try PlanarInputs.read(path: file, window: window)
            warnAll(b.notes)
            var fuViews: [PlanarViewImage]? = nil
            let r: BoneScanAnalysis.Result
            if let followUp {
                let f = try PlanarInputs.read(path: followUp, window: window)
                warnAll(f.notes)
                fuViews = f.views
                r = try BoneScanAnalysis(options: options).compare(baseline: b.views, followUp: f.views)
            } else {
                var analysis = BoneScanAnalysis(options: options)
                if atlas {
                    let loaded = NormalBoneAtlasLibrary.atlasesIfAvailable()
                    analysis.atlases = loaded.atlases
                    if let note = loaded.note { warnAll([note]) }
                }
                r = try analysis.analyze(b.views, minutesAfterInjection: b.minutesAfterInjection)
            }
            warnAll(r.notes)
            if let png { try AnalysisFigures.boneScan(b.views, followUp: fuViews, r, to: png) }
            if json { emit(try jsonText(r)); return }
            var t = "Whole-body bone scan: \(r.lesions.count) lesion\(r.lesions.count == 1 ? "" : "s")\n"
            if let p = r.phase { t += "  phase: \(p.decision) — \(p.reason)\n" }
            for f in r.findings { t += "  finding: \(f)\n" }
            for p in r.physiology { t += String(format: "  physiology on %@ at column %.1f, row %.1f: %@ (%@)\n", p.view, p.column, p.row, p.kind, p.reason) }
            if let f = r.normalisationFactor, let s = r.registrationShiftPixels {
                t += String(format: "  follow-up × %.3f to match the baseline (reference bone region); registered by (%d, %d) px\n", f, s[0], s[1])
            }
            for (k, l) in r.lesions.enumerated() {
                t += String(format: "  %d %@: column %.1f, row %.1f, %.0f net counts, uptake %.2f × normal", k + 1, l.view, l.column, l.row, l.counts, l.uptakeRatio)
                if let reg = l.region { t += " (\(l.side ?? "") \(reg)\(l.uptakeRatioToRegion.map { String(format: ", %.2f × normal bone of the region", $0) } ?? ""))" }
                if let s = l.status { t += String(format: " → %@ (ratio %@)", s, l.ratio.map { String(format: "%.2f", $0) } ?? "-") }
                t += "\n"
            }
            for e in r.excludedRegions where r.physiology.isEmpty { t += String(format: "  excluded (organ-sized, %.0f cm²) on %@ at column %.1f, row %.1f\n", e.areaCM2, e.view, e.column, e.row) }
            for q in r.quality { t += "  quality: \(q)\n" }
            t += String(format: "  tumour-burden index %.2f %% of the skeleton", r.tumourBurdenIndexPercent)
            if let f = r.followUpTumourBurdenIndexPercent { t += String(format: " (follow-up %.2f %%)", f) }
            t += "\n"
            if let b = r.boneScanIndexPercent {
                t += String(format: "  bone scan index %.2f %% of skeletal mass (ICRP-110 atlas)", b)
                if let f = r.followUpBoneScanIndexPercent { t += String(format: "; follow-up %.2f %%", f) }
                t += "\n"
            }
            if let p = r.pcwg3 { t += "  PCWG3: \(p.newLesions) new lesion\(p.newLesions == 1 ? "" : "s") → \(p.status) (\(p.rule))\n" }
            if let png { t += "Figure → \(png)\n" }
            emit(t)
        } catch { throw failure(error) }
    }
}
