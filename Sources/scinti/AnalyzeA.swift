import Analysis
import ArgumentParser
import Foundation
import Physics
import Workflows

/// Pretty, key-sorted JSON of an analysis result.
func partAJSON<T: Encodable>(_ value: T) throws -> String {
    let enc = JSONEncoder()
    enc.outputFormatting = [.prettyPrinted, .sortedKeys]
    enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try enc.encode(value), as: UTF8.self) + "\n"
}

/// `scinti analyze lvef`: LVEF from a gated blood-pool study.
struct AnalyzeLVEF: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "lvef",
        abstract: "LVEF from an ECG-gated planar blood-pool study (LAO): LV ROI, background, ED/ES, peak rates.")
    @Argument(help: "The GATED NM DICOM file.") var file: String
    @Flag(name: .customLong("fixed-roi"), help: "Use the end-diastolic LV region on every frame (default: a region per frame).") var fixedROI = false
    @Option(name: .customLong("edge-fraction"), help: "LV edge: background + this fraction of (maximum − background).") var edgeFraction: Double = GatedBloodPoolLVEF.Options().edgeFraction
    @Option(name: .customLong("background-gap"), help: "Gap (pixels) between the end-systolic LV region and the background region.") var backgroundGap: Int = GatedBloodPoolLVEF.Options().backgroundGapPixels
    @Option(name: .customLong("background-width"), help: "Width (pixels) of the background region.") var backgroundWidth: Int = GatedBloodPoolLVEF.Options().backgroundWidthPixels
    @Flag(name: .customLong("background-all-frames"), help: "Background per pixel as the mean over all frames (default: the end-systolic frame).") var backgroundAllFrames = false
    @Flag(help: "Print the result as JSON.") var json = false
    @Option(help: "Write a figure (summed image with the ED/ES LV regions and background, and the curve).") var png: String?

    func run() throws {
        do {
            let input = try AnalysisInputsA.gatedFrames(path: file)
            for w in input.warnings { warn(w) }
            let a = try GatedBloodPoolLVEF(options: .init(roiMethod: fixedROI ? .fixed : .variable, edgeFraction: edgeFraction, backgroundGapPixels: backgroundGap, backgroundWidthPixels: backgroundWidth, backgroundFromEndSystole: !backgroundAllFrames))
                .analyze(frames: input.frames, frameDurationMs: input.frameDurationMs)
            for w in a.result.warnings { warn(w) }
            if let png { try AnalysisFiguresA.lvef(a, frames: input.frames, to: png) }
            if json { emit(try partAJSON(a.result)); return }
            let r = a.result
            var t = String(format: "LVEF %.1f %% (%@ ROI)\n", r.lvef, r.roiMethod)
            t += "  ED frame \(r.edFrame), ES frame \(r.esFrame) (0-based) of \(r.curve.count); \(input.view ?? "view not written")\n"
            t += String(format: "  background %.2f counts/pixel/frame over %d pixels\n", r.backgroundCountsPerPixel, r.backgroundPixels)
            if let p = r.peakEjectionRateEDVPerS, let f = r.peakFillingRateEDVPerS {
                t += String(format: "  peak ejection rate %.2f EDV/s, peak filling rate %.2f EDV/s", p, f)
                if let tt = r.timeToPeakFillingMs { t += String(format: ", time to peak filling %.0f ms", tt) }
                t += "\n"
            }
            t += "  curve (background-corrected counts): " + r.curve.map { String(format: "%.0f", $0) }.joined(separator: " ") + "\n"
            t += "  method: \(r.method)\n"
            if !input.notes.isEmpty { t += "  input: " + input.notes.joined(separator: "; ") + "\n" }
            if let png { t += "figure → \(png)\n" }
            emit(t)
        } catch let e as WorkflowError { throw fail(e.message) }
        catch let e as StudyAnalysisError { throw fail("\(file): \(e.message)") }
        catch let e as ExitCode { throw e }
        catch { throw fail("\(error)") }
    }
}

/// `scinti analyze thyroid-uptake`: percent uptake with decay correction, and the Marinelli therapy activity.
struct AnalyzeThyroidUptake: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "thyroid-uptake",
        abstract: "Thyroid uptake (neck, standard in a neck phantom, thigh, room) with decay correction; Marinelli activity.")
    @Option(help: "Neck image (STATIC NM DICOM).") var neck: String
    @Option(help: "Standard capsule in the neck phantom (STATIC NM DICOM).") var standard: String
    @Option(help: "Thigh image (tissue background).") var thigh: String?
    @Option(help: "Room background image.") var room: String?
    @Option(name: .customLong("standard-activity"), help: "Standard activity (MBq) at its calibration time (default: the standard file's Radionuclide Total Dose at its Radiopharmaceutical Start DateTime).") var standardActivity: Double?
    @Option(help: "Administered activity (MBq) at administration (default: the neck file's Radionuclide Total Dose).") var administered: Double?
    @Option(name: .customLong("roi-radius"), help: "Radius (mm) of the circular regions.") var roiRadius: Double = 50
    @Option(name: .customLong("target-dose"), help: "Marinelli: target absorbed dose (Gy).") var targetDose: Double?
    @Option(name: .customLong("gland-mass"), help: "Marinelli: gland mass (g) (= volume in mL).") var glandMass: Double?
    @Option(name: .customLong("effective-half-life"), help: "Marinelli: effective half-life (days).") var effectiveHalfLife: Double?
    @Flag(help: "Print the result as JSON.") var json = false
    @Option(help: "Write a figure (the four images with their regions).") var png: String?

    func run() throws {
        do {
            var marinelli: (Double, Double, Double)? = nil
            let given = [targetDose, glandMass, effectiveHalfLife].compactMap { $0 }.count
            if given == 3 { marinelli = (targetDose!, glandMass!, effectiveHalfLife!) }
            else if given > 0 { throw fail("the Marinelli activity needs all of --target-dose, --gland-mass and --effective-half-life") }
            let out = try ThyroidUptakeJob.run(.init(neck: neck, standard: standard, thigh: thigh, room: room, standardActivityMBq: standardActivity,
                                                     administeredMBq: administered, roiRadiusMM: roiRadius,
                                                     marinelli: marinelli.map { (targetDoseGy: $0.0, glandMassG: $0.1, effectiveHalfLifeDays: $0.2) }))
            for w in out.warnings { warn(w) }
            let a = out.analysis
            let (n, s, t, r) = (out.neck, out.standard, out.thigh, out.room)
            if let png { try AnalysisFiguresA.thyroidUptake(a, neck: n.image, standard: s.image, thigh: t?.image, room: r?.image, to: png) }
            if json { emit(try partAJSON(a.result)); return }
            let x = a.result
            var text = String(format: "Thyroid uptake %.2f %% at %.1f h after administration (%@)\n", x.uptakePercent, x.hoursAfterAdministration, x.radionuclide)
            text += String(format: "  neck %.2f cps, thigh %@ cps, standard %.2f cps, room %@ cps (at the neck mid-time)\n", x.neckCPS,
                           x.thighCPS.map { String(format: "%.2f", $0) } ?? "—", x.standardCPS, x.roomCPS.map { String(format: "%.3f", $0) } ?? "—")
            text += String(format: "  administered %.3f MBq (%.3f MBq at reference), standard %.3f MBq (%.3f at reference), gland %.4f MBq, sensitivity %.1f cps/MBq\n",
                           x.administeredMBq, x.administeredAtReferenceMBq, x.standardMBq, x.standardAtReferenceMBq, x.thyroidMBq, x.sensitivityCPSPerMBq)
            if let mm = x.marinelli {
                text += String(format: "  Marinelli: %.0f MBq for %.0f Gy to %.1f g, uptake %.1f %%, Teff %.2f d — %@\n", mm.activityMBq, mm.targetDoseGy, mm.glandMassG, mm.uptakePercent, mm.effectiveHalfLifeDays, mm.formula)
            }
            text += "  activities: " + x.activitySources.joined(separator: "; ") + "\n"
            text += "  method: \(x.method)\n"
            if let png { text += "figure → \(png)\n" }
            emit(text)
        } catch let e as WorkflowError { throw fail(e.message) }
        catch let e as StudyAnalysisError { throw fail(e.message) }
        catch let e as ExitCode { throw e }
        catch { throw fail("\(error)") }
    }
}

/// `scinti analyze parathyroid`: dual-phase washout/retention and dual-tracer subtraction; candidate adenomas.
struct AnalyzeParathyroid: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "parathyroid",
        abstract: "Parathyroid: dual-phase sestamibi retention/washout, dual-tracer subtraction, candidate adenomas.")
    @Option(help: "Early sestamibi image (STATIC NM DICOM).") var early: String
    @Option(help: "Delayed sestamibi image (STATIC NM DICOM).") var delayed: String
    @Option(help: "Thyroid image (pertechnetate or I-123) for dual-tracer subtraction.") var thyroid: String?
    @Flag(help: "Print the result as JSON.") var json = false
    @Option(help: "Write a figure (early, delayed, registered thyroid, subtraction with the candidates).") var png: String?

    func run() throws {
        do {
            let e = try AnalysisInputsA.planar(path: early, role: "early")
            let d = try AnalysisInputsA.planar(path: delayed, role: "delayed")
            let t = try thyroid.map { try AnalysisInputsA.planar(path: $0, role: "thyroid") }
            for w in e.warnings + d.warnings + (t?.warnings ?? []) { warn(w) }
            let nuclide = e.nuclide ?? d.nuclide ?? {
                warn("\(early): no radionuclide in the Radiopharmaceutical Information Sequence: Tc-99m assumed for the decay correction")
                return Radionuclide.named("Tc-99m")!
            }()
            let map = AnalysisInputsA.pixelToPatient(e)
            let a = try Parathyroid(nuclide: nuclide).analyze(
                early: .init(image: e.image, start: e.acquisitionStart, durationSeconds: e.durationSeconds),
                delayed: .init(image: d.image, start: d.acquisitionStart, durationSeconds: d.durationSeconds),
                thyroid: t.map { .init(image: $0.image, start: $0.acquisitionStart, durationSeconds: $0.durationSeconds) }, pixelToPatient: map)
            for w in a.result.warnings { warn(w) }
            if let png { try AnalysisFiguresA.parathyroid(a, early: e.image, delayed: d.image, to: png) }
            if json { emit(try partAJSON(a.result)); return }
            let x = a.result
            var text = "Parathyroid (\(x.subtraction)): \(x.candidates.count) candidate adenoma(s)\n"
            for (k, c) in x.candidates.enumerated() {
                text += String(format: "  %d. column %.1f, row %.1f%@: retention index %.0f %%, washout %.0f %%, significance %.1f σ\n", k + 1, c.column, c.row,
                               c.patientMM.map { String(format: " (LPS %.0f, %.0f, %.0f mm)", $0[0], $0[1], $0[2]) } ?? "",
                               c.retentionIndexPercent, c.washoutPercent, c.significance)
            }
            for r in x.regions.prefix(2) {
                text += String(format: "  %@: retention index %.0f %%, washout %.0f %% (%d px)\n", r.name, r.retentionIndexPercent, r.washoutPercent, r.pixels)
            }
            if let s = x.registrationShiftPixels { text += String(format: "  thyroid image shifted by (%.1f, %.1f) px, correlation %.3f, normalisation %.3f\n", s[0], s[1], x.registrationCorrelation ?? 0, x.normalisationFactor) }
            text += "  method: \(x.method)\n"
            if let png { text += "figure → \(png)\n" }
            emit(text)
        } catch let e as WorkflowError { throw fail(e.message) }
        catch let e as StudyAnalysisError { throw fail(e.message) }
        catch let e as ExitCode { throw e }
        catch { throw fail("\(error)") }
    }
}
