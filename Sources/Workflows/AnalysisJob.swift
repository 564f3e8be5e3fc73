import Analysis
import Foundation

/// The clinical analyses that run on one stored NM series (the server's analysis jobs): the same library calls as
/// `scinti analyze`, returning the result as JSON and a ``ResultDisplay`` with the regions on the series' frames.
public enum AnalysisJob {
    /// Analyses available as jobs.
    public enum Kind: String, CaseIterable, Sendable, Codable {
        /// Gated blood-pool LVEF (one GATED file).
        case lvef
        /// Sentinel-node lymphoscintigraphy (one STATIC file with the views).
        case sentinel
        /// Whole-body bone scan (one WHOLE BODY or STATIC file with anterior and posterior views).
        case boneScan = "bone-scan"
        /// MIBG heart-to-mediastinum ratio (one STATIC file with the anterior chest view).
        case mibgHM = "mibg-hm"
        /// Thyroid uptake: the neck image is the analysed series; inputs `standard` (required), `thigh`, `room`.
        case thyroidUptake = "thyroid-uptake"
        /// Parathyroid dual-phase sestamibi: the early image is the analysed series; inputs `delayed` (required), `thyroid`.
        case parathyroid
        /// Krenning score (In-111 octreotide): one STATIC or WHOLE BODY file; the regions (liver, spleen, lesions) are
        /// the job's `regions` (``AnalysisJob/krenningLabels``).
        case krenning

        /// Other series the analysis needs, by role (required ones first).
        public var roles: (required: [String], optional: [String]) {
            switch self {
            case .thyroidUptake: (["standard"], ["thigh", "room"])
            case .parathyroid: (["delayed"], ["thyroid"])
            default: ([], [])
            }
        }

        /// Whether given `regions` are the analysis' input rather than an edit of an automatic result: the Krenning
        /// score takes the liver, spleen and lesion circles it is given and places only the missing ones on the
        /// anatomy, so it must not first need an automatic run that can fail where the user's regions would not
        /// (e.g. "no spleen found" on a small planar image).
        public var regionsAreInput: Bool { self == .krenning }
    }

    /// A finished analysis.
    public struct Output: Sendable {
        /// The analysis result as JSON (the same keys as `scinti analyze … --json`).
        public var resultJSON: String
        /// Regions, curves and summary for a viewer.
        public var display: ResultDisplay
    }

    static func json<T: Encodable>(_ v: T) throws(WorkflowError) -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        do { return String(decoding: try enc.encode(v), as: UTF8.self) } catch { throw WorkflowError("result JSON: \(error)") }
    }

    /// Runs analysis `kind` on the NM file at `path` (Series Instance UID `series`, named in the display); `inputs`
    /// maps the other roles of ``Kind/roles`` to file paths.
    /// `regions`: edited regions replacing the automatic ones by label (kinds with ``Kind/takesEditedRegions``).
    public static func run(_ kind: Kind, path: String, series: String, inputs: [String: String] = [:],
                           regions: [ResultDisplay.Region] = []) throws(WorkflowError) -> Output {
        if !regions.isEmpty && !kind.takesEditedRegions { throw WorkflowError("\(kind.rawValue) cannot be re-run with edited regions yet") }
        let palette = ResultDisplay.palette
        for role in kind.roles.required where inputs[role] == nil { throw WorkflowError("\(kind.rawValue) needs the \(role) image") }
        switch kind {
        case .parathyroid:
            return try parathyroid(path: path, series: series, inputs: inputs, regions: regions)
        case .krenning:
            return try krenning(path: path, series: series, regions: regions)
        case .thyroidUptake:
            var input = ThyroidUptakeJob.Inputs(neck: path, standard: inputs["standard"]!, thigh: inputs["thigh"], room: inputs["room"])
            if !regions.isEmpty { input.neckRegion = try editedNeckRegion(path: path, regions: regions) }
            let out = try ThyroidUptakeJob.run(input)
            let r = out.analysis.result
            let regions: [ResultDisplay.Region] = [
                .mask("neck region (\(fmt(r.roiRadiusMM, 0)) mm)", colour: palette[0], frames: [out.neck.frameIndex], inside: out.analysis.neckROI.inside),
            ]
            var summary: [[String]] = [["uptake", "\(fmt(r.uptakePercent, 2)) % of the administered activity"],
                                       ["time", "\(fmt(r.hoursAfterAdministration)) h after administration (\(r.radionuclide), \(r.decayDataSet))"],
                                       ["gland activity", "\(fmt(r.thyroidMBq, 4)) MBq"],
                                       ["neck / thigh / standard / room", "\(fmt(r.neckCPS, 2)) / \(r.thighCPS.map { fmt($0, 2) } ?? "—") / \(fmt(r.standardCPS, 2)) / \(r.roomCPS.map { fmt($0, 3) } ?? "—") cps"],
                                       ["administered / standard", "\(fmt(r.administeredMBq, 3)) / \(fmt(r.standardMBq, 3)) MBq"],
                                       ["sensitivity", "\(fmt(r.sensitivityCPSPerMBq)) cps/MBq"]]
            if let m = r.marinelli { summary.append(["Marinelli activity", "\(fmt(m.activityMBq, 0)) MBq"]) }
            var conv = r.units
            conv["method"] = r.method
            conv["activities"] = r.activitySources.joined(separator: "; ")
            return Output(resultJSON: try json(r),
                          display: ResultDisplay(title: "Thyroid uptake", summary: summary, series: series, regions: regions,
                                                 conventions: conv, warnings: out.warnings + out.neck.notes + out.standard.notes))
        case .lvef:
            let input = try PlanarInputs.gatedFrames(path: path)
            let a: GatedBloodPoolLVEF.Analysis
            if regions.isEmpty {
                do { a = try GatedBloodPoolLVEF().analyze(frames: input.frames, frameDurationMs: input.frameDurationMs) } catch {
                    throw WorkflowError("\(path): \(error.message)")
                }
            } else {
                a = try editedLVEF(input, path: path, regions: regions)
            }
            let r = a.result
            var regions: [ResultDisplay.Region] = []
            for (k, roi) in a.lvROIs.enumerated() where k < input.fileFrames.count {
                let tag = k == r.edFrame ? " (ED)" : k == r.esFrame ? " (ES)" : ""
                regions.append(.mask("LV slot \(k + 1)\(tag)", colour: palette[0], frames: [input.fileFrames[k]], inside: roi.inside))
            }
            regions.append(.mask("background", colour: palette[2], frames: input.fileFrames, inside: a.backgroundROI.inside))
            // Slot start times within the R-R interval (as the analysis reports them), else slot numbers.
            let times = r.frameTimesMs ?? r.frameDurationMs.map { d in r.curve.indices.map { Double($0) * d } }
            let x = times ?? r.curve.indices.map { Double($0 + 1) }
            let xLabel = times == nil ? "time slot" : "time after the R wave (ms, slot start)"
            let ed = r.curve.indices.contains(r.edFrame) ? r.curve[r.edFrame] : 0
            var summary: [[String]] = [["LVEF", r.lvef.map { "\(fmt($0)) %" } ?? "not given (see quality)"], ["ROI method", r.roiMethod],
                                       ["ED / ES slot", "\(r.edFrame + 1) / \(r.esFrame + 1) of \(r.curve.count)"],
                                       ["background", "\(fmt(r.backgroundCountsPerPixel, 2)) counts/pixel/frame over \(r.backgroundPixels) pixels"]]
            if let p = r.peakEjectionRateEDVPerS { summary.append(["peak ejection rate", "\(fmt(p, 2)) EDV/s"]) }
            if let p = r.peakFillingRateEDVPerS { summary.append(["peak filling rate", "\(fmt(p, 2)) EDV/s"]) }
            if let t = r.timeToPeakFillingMs { summary.append(["time to peak filling", "\(fmt(t, 0)) ms"]) }
            if let v = input.view { summary.append(["view", v]) }
            // Background-corrected LV counts are proportional to the LV blood volume: the volume curve in % of end diastole.
            let chart = ResultDisplay.Chart(
                title: "LV volume curve (background-corrected LV counts)", xLabel: xLabel, yLabel: "LV volume (% of end-diastole)",
                curves: [ResultDisplay.Curve(label: "LV volume", colour: palette[0], x: x, y: r.curve.map { ed > 0 ? 100 * $0 / ed : 0 }, style: "points")])
            var conv = r.units
            conv["method"] = r.method
            return Output(resultJSON: try json(r),
                          display: ResultDisplay(title: "LVEF (gated blood pool)", summary: summary, series: series, regions: regions,
                                                 charts: [chart], conventions: conv, warnings: input.warnings + r.warnings + input.notes))
        case .sentinel:
            let v = try PlanarInputs.read(path: path, allowed: [.staticImage])
            var r: SentinelNodeAnalysis.Result
            do { r = try SentinelNodeAnalysis().analyze(v.views) } catch { throw WorkflowError("\(path): \(error)") }
            if !regions.isEmpty { r = try editedSentinel(v, automatic: r, path: path, regions: regions) }
            var regions: [ResultDisplay.Region] = []
            for s in r.injectionSites {
                regions.append(.circle("injection site (masked, \(fmt(s.maskRadiusMM, 0)) mm)", colour: palette[3], frames: v.frames(ofView: s.view),
                                       column: s.column, row: s.row, radius: s.maskRadiusMM / v.columnSpacingMM(ofView: s.view)))
            }
            var summary: [[String]] = [["nodes", "\(r.nodes.count) (\(r.nodes.filter(\.meetsReportingRule).count) meeting the \(fmt(r.options.reportingPercent, 0)) % rule)"]]
            for (k, n) in r.nodes.enumerated() {
                regions.append(.circle("node \(k + 1) (\(fmt(n.percentOfHottest)) %)", colour: n.meetsReportingRule ? palette[0] : palette[6],
                                       frames: v.frames(ofView: n.view), column: n.column, row: n.row, radius: r.options.roiRadiusMM / v.columnSpacingMM(ofView: n.view)))
                summary.append(["node \(k + 1), \(n.view)", "\(fmt(n.counts, 0)) net counts, \(fmt(n.percentOfHottest)) % of the hottest, \(fmt(n.distanceFromInjectionMM, 0)) mm from the injection"])
            }
            return Output(resultJSON: try json(r),
                          display: ResultDisplay(title: "Sentinel nodes", summary: summary, series: series, regions: regions,
                                                 conventions: r.conventions, warnings: v.notes + r.notes))
        case .boneScan:
            if let why = PlanarInputs.notAPatient(path: path) { throw WorkflowError("\(path): not analysed: \(why)") }
            let v = try PlanarInputs.read(path: path)
            var r: BoneScanAnalysis.Result
            do { r = try BoneScanAnalysis().analyze(v.views, minutesAfterInjection: v.minutesAfterInjection) } catch { throw WorkflowError("\(path): \(error)") }
            if !regions.isEmpty { r = try editedBoneScan(v, automatic: r, path: path, regions: regions) }
            var regions: [ResultDisplay.Region] = []
            var summary: [[String]] = [["lesions", "\(r.lesions.count)"], ["tumour-burden index", "\(fmt(r.tumourBurdenIndexPercent, 2)) % of the skeleton (projected area)"],
                                          ["bone scan index", r.boneScanIndexPercent.map { "\(fmt($0, 2)) % of skeletal mass (ICRP-110 atlas)" } ?? "-"]]
            for (k, l) in r.lesions.enumerated() {
                regions.append(.circle("lesion \(k + 1)", colour: palette[0], frames: v.frames(ofView: l.view),
                                       column: l.column, row: l.row, radius: r.options.roiRadiusMM / v.columnSpacingMM(ofView: l.view)))
                summary.append(["lesion \(k + 1), \(l.view)", "uptake \(fmt(l.uptakeRatio, 2)) × normal bone, \(fmt(l.areaCM2)) cm²"])
            }
            for p in r.physiology {
                regions.append(.circle("physiology: \(p.kind)", colour: palette[2], frames: v.frames(ofView: p.view), column: p.column, row: p.row,
                                       radius: r.options.roiRadiusMM / v.columnSpacingMM(ofView: p.view)))
                summary.append(["physiology, \(p.view)", "\(p.kind): \(p.reason)"])
            }
            if let ph = r.phase { summary.append(["phase", "\(ph.decision): \(ph.reason)"]) }
            for e in r.excludedRegions {
                let side = (e.areaCM2 * 100).squareRoot() / v.columnSpacingMM(ofView: e.view)
                regions.append(.square("excluded (organ-sized, \(fmt(e.areaCM2, 0)) cm²)", colour: palette[6], frames: v.frames(ofView: e.view),
                                       column: e.column, row: e.row, side: side))
            }
            return Output(resultJSON: try json(r),
                          display: ResultDisplay(title: "Bone scan", summary: summary, series: series, regions: regions,
                                                 conventions: r.conventions, warnings: v.notes + r.notes + r.quality))
        case .mibgHM:
            let v = try PlanarInputs.read(path: path, allowed: [.staticImage])
            let ap = try PlanarInputs.anteriorPosterior(v, source: path)
            let coll = v.acquisition.detectors.first?.collimatorName
            var warnings = v.notes + ap.notes
            if coll == nil { warnings.append("\(path): the collimator is not recorded; H/M not standardised") }
            var r: MIBGAnalysis.Result
            do { r = try MIBGAnalysis().analyze(ap.anterior, collimator: coll) } catch { throw WorkflowError("\(path): \(error)") }
            if !regions.isEmpty { r = try editedMIBG(ap.anterior, automatic: r, collimator: coll, path: path, regions: regions) }
            let f = v.frames(ofView: ap.anterior.name)
            var regions: [ResultDisplay.Region] = [
                .circle("heart", colour: palette[0], frames: f, column: r.heartROI.column, row: r.heartROI.row, radius: r.heartROI.radius),
                .square("mediastinum", colour: palette[1], frames: f, column: r.mediastinumROI.column, row: r.mediastinumROI.row,
                        side: Double(r.mediastinumROI.side)),
            ]
            if let idx = r.heartRegionIndices { regions.append(.mask("heart outline (measured)", colour: palette[0], frames: f, inside: idx.reduce(into: [Bool](repeating: false, count: ap.anterior.rows * ap.anterior.columns)) { $0[$1] = true })) }
            var summary: [[String]] = [["H/M", fmt(r.heartToMediastinum, 2)],
                                       ["heart / mediastinum", "\(fmt(r.heartMeanCounts)) / \(fmt(r.mediastinumMeanCounts)) counts/pixel"]]
            if let s = r.standardizedHeartToMediastinum { summary.append(["standardised H/M", "\(fmt(s, 2)) (\(r.conversionSource))"]) }
            return Output(resultJSON: try json(r),
                          display: ResultDisplay(title: "MIBG heart-to-mediastinum ratio", summary: summary, series: series, regions: regions,
                                                 conventions: r.conventions, warnings: warnings + r.notes))
        }
    }
}
