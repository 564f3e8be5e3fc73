import DICOM
import DICOMImaging
import Dosimetry
import Foundation
import Imaging
import Physics
import Rendering
import Simulation

/// `scinti dose`: serial quantitative SPECT/CT folders → registration, TACs, fits, TIA, absorbed dose; JSON,
/// SVG/PNG report and DICOM RT Dose.
public enum DoseJob {
    /// What to run.
    public struct Options: Sendable {
        /// One folder per visit, each with one quantitative SPECT (NM, Bq/mL) and its CT series.
        public var timepoints: [String]
        /// DICOM SEG with the VOIs (on any grid in the reference visit's frame); nil: a threshold VOI.
        public var masks: String?
        /// Nuclide name and decay data set.
        public var isotope: String
        public var dataSet: DecayDataSet
        /// Dose and TAC methods.
        public var method: DoseMethod
        public var fit: TACMethod
        public var tail: TACTail
        /// Administration time (DICOM DT, e.g. `20260115090000+0100`) when the SPECT lacks Radiopharmaceutical Start.
        public var administration: String?
        /// Threshold (% of the reference visit's maximum) for the VOI when no masks are given.
        public var thresholdPercent: Double
        /// Register visits (rigid CT-to-CT).
        public var register: Bool
        /// Output folder (nil: nothing written).
        public var out: String?
        /// Population effective half-life (h) for Madsen's method.
        public var populationEffectiveHalfLifeHours: Double?
        /// Registrations accepted in the review (contract 3): visit index (0-based, in time order; 0 = reference)
        /// → the fixed-to-moving transform. Used instead of registering that visit, without its quality gate.
        public var acceptedTransforms: [Int: RigidTransform] = [:]
        /// Who accepted each of ``acceptedTransforms`` and when (recorded as "accepted by review, by …").
        public var acceptedBy: [Int: String] = [:]
        /// Thresholds of the registration quality gate.
        public var registrationGate = RegistrationGate()
        /// Partial-volume correction by VOI volume (nil: none, stated).
        public var recovery: RecoveryCurve? = nil
        /// Names of the VOIs `recovery` applies to (e.g. the tumours drawn at their true size); nil: every VOI. VOIs
        /// drawn with a margin that holds the spill-out (organs) are left out of it (stated in the conventions).
        public var recoveryVOIs: [String]? = nil
        /// EANM uncertainty inputs.
        public var uncertainty = UncertaintyInputs()
        /// Decays of the Monte Carlo method.
        public var monteCarloDecays = 2_000_000
        /// Kernel of the voxel-S-value method: Monte Carlo generated (default) or the straight-track approximation.
        public var kernel: VoxelKernelMethod = .monteCarlo
        /// Decays of a Monte Carlo kernel (cached).
        public var kernelDecays = VoxelSValueKernel.defaultKernelDecays
        /// Patient and study the RT Dose belongs to (set from the reference visit by ``run(_:)``); nil: a placeholder
        /// patient, with a warning.
        public var study: StudyAttributes? = nil
        /// Creates options.
        public init(timepoints: [String], masks: String? = nil, isotope: String = "Lu-177", dataSet: DecayDataSet = .ensdf,
                    method: DoseMethod = .voxel, fit: TACMethod = .auto, tail: TACTail = .physical, administration: String? = nil,
                    thresholdPercent: Double = 20, register: Bool = true, out: String? = nil,
                    populationEffectiveHalfLifeHours: Double? = nil) {
            self.timepoints = timepoints; self.masks = masks; self.isotope = isotope; self.dataSet = dataSet
            self.method = method; self.fit = fit; self.tail = tail; self.administration = administration
            self.thresholdPercent = thresholdPercent; self.register = register; self.out = out
            self.populationEffectiveHalfLifeHours = populationEffectiveHalfLifeHours
        }
    }

    /// JSON result (keys are a contract: `vois[].name`, `tiaMBqh`, `meanDoseGy`, `fit`).
    public struct Report: Codable, Sendable {
        public struct VOI: Codable, Sendable {
            public var name: String
            public var tiaMBqh: Double
            public var tiaSigmaMBqh: Double?
            public var meanDoseGy: Double
            public var fit: TACFit
            public var volumeML: Double
            public var massG: Double
            public var doseMethod: String
            public var sValueMGyPerMBqS: Double?
            public var bedGy: Double?
            public var rbeWeightedDoseGy: Double?
            public var d98Gy: Double?, d50Gy: Double?, d2Gy: Double?, maxGy: Double?
            public var timesHours: [Double]
            public var activitiesMBq: [Double]
            /// Air voxels left out of the mean dose and DVH.
            public var airVoxelsExcluded: Int? = nil
            /// EANM uncertainty budget with k = 1 and k = 2 intervals.
            public var uncertainty: UncertaintyBudget? = nil
            /// Recovery coefficient the VOI's activities were divided by (partial-volume correction); nil: none.
            public var recoveryCoefficient: Double? = nil
            /// Mean absorbed dose as energy / mass (voxel methods; `meanDoseGy` is the volume mean).
            public var meanDoseByMassGy: Double? = nil
        }
        public struct Visit: Codable, Sendable {
            public var folder: String
            public var hours: Double
            public var registrationRotationDeg: [Double]?
            public var registrationTranslationMM: [Double]?
            /// Centre of the rotation (mm): q = R·(p − c) + c + t maps a reference point p to this visit.
            public var registrationCenterMM: [Double]? = nil
            /// `reference`, `registered`, `accepted by review, by …`, `not registered: …`.
            public var registrationSource: String? = nil
            /// The measured quality of a registration (NMI, body-outline Dice, overlap, passed, statement).
            public var registrationQuality: RegistrationQuality? = nil
        }
        /// `complete`, or `review-required` when a registration failed its gate (then `vois` is empty).
        public var status: String = "complete"
        /// Quality indicators for reports (contract 4): registration gate per visit, largest k = 2 dose uncertainty.
        public var quality: [String: String] = [:]
        public var isotope: String
        public var decayData: String
        public var method: String
        public var fitMethod: String
        public var units: [String: String]
        public var conventions: [String: String]
        public var visits: [Visit]
        public var vois: [VOI]
        public var outputs: [String]
        public var warnings: [String]
    }

    /// A visit read from its folder.
    public struct Visit: Sendable {
        public var point: DoseTimePoint
        public var warnings: [String]
        /// Patient and study of the SPECT object (for the RT Dose written from this visit).
        public var study: StudyAttributes? = nil
    }

    /// Reads one visit folder: the NM (or PT) volume with Bq/mL values and the CT series; the time after
    /// administration from Radiopharmaceutical Start DateTime (or `administration`) to the acquisition start.
    public static func readVisit(_ dir: String, administration: String?) throws -> Visit {
        var warnings: [String] = []
        guard let items = try? FileManager.default.subpathsOfDirectory(atPath: dir) else {
            throw WorkflowError("\(dir): not a readable folder")
        }
        var ctFiles: [DICOMFile] = [], nmPaths: [String] = [], nmFiles: [DICOMFile] = []
        for item in items.sorted() {
            let path = (dir as NSString).appendingPathComponent(item)
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir), !isDir.boolValue else { continue }
            guard let f = try? DICOMFile.read(path: path) else { continue }
            switch f.dataset.string(.modality)?.uppercased() {
            case "CT": ctFiles.append(f)
            case "NM", "PT": nmPaths.append(path); nmFiles.append(f)
            default: continue
            }
        }
        guard let nmPath = nmPaths.first, let nm = nmFiles.first else { throw WorkflowError("\(dir): no quantitative SPECT (NM) object found") }
        if nmPaths.count > 1 { warnings.append("\(dir): \(nmPaths.count) NM objects, the first (\(nmPath)) used") }
        let spect: Volume
        do { spect = try ReconTomo.read(path: nmPath) } catch { throw WorkflowError("\(nmPath): \(error)") }
        let units = (spect.units ?? "").lowercased()
        guard units.contains("bq") else {
            throw WorkflowError("\(nmPath): voxel units are '\(spect.units ?? "none")', not an activity concentration (Bq/mL): quantitative SPECT needed")
        }
        var ct: Volume? = nil
        if ctFiles.isEmpty { warnings.append("\(dir): no CT series (no registration, unit density)") } else {
            do { ct = try SeriesVolumeReader.read(files: ctFiles).volume } catch { throw WorkflowError("\(dir): CT series: \(error)") }
        }
        // Times.
        let ds = nm.dataset
        let offset = ds.string(Tag(0x0008, 0x0201))
        guard let acqDate = ds.string(.acquisitionDate) ?? ds.string(.seriesDate),
              let acqTime = ds.string(.acquisitionTime) ?? ds.string(.seriesTime),
              let acquired = DICOMDateTime.parse(date: acqDate, time: acqTime, offset: offset) else {
            throw WorkflowError("\(nmPath): Acquisition Date/Time (0008,0022/0032) missing or invalid: the visit's time is unknown")
        }
        var admin: Date? = nil
        if let item = ds.sequence(Tag(0x0054, 0x0016)).first {
            if let dt = item.string(Tag(0x0018, 0x1078)) { admin = DICOMDateTime.parse(dt: dt, defaultOffset: offset) }
            else if let t = item.string(Tag(0x0018, 0x1072)) {
                admin = DICOMDateTime.parse(date: acqDate, time: t, offset: offset)
                warnings.append("\(nmPath): Radiopharmaceutical Start DateTime missing; Start Time \(t) on the acquisition date assumed")
            }
        }
        if let a = administration {
            guard let d = DICOMDateTime.parse(dt: a) else { throw WorkflowError("--administration \(a) is not a DICOM DT (YYYYMMDDHHMMSS±ZZZZ)") }
            admin = d
        }
        guard let start = admin else {
            throw WorkflowError("\(nmPath): no Radiopharmaceutical Start DateTime (0018,1078); give --administration DT")
        }
        let hours = acquired.timeIntervalSince(start) / 3600
        guard hours > 0 else { throw WorkflowError("\(nmPath): acquisition is \(hours) h after administration (must be > 0)") }
        return Visit(point: DoseTimePoint(hours: hours, spect: spect, ct: ct), warnings: warnings,
                     study: StudyAttributes(copying: ds, frameOfReferenceUID: spect.frameOfReferenceUID))
    }

    /// VOIs from a SEG file, resampled (nearest) onto the reference SPECT grid.
    public static func vois(fromSEG path: String, onto spect: Volume) throws -> [DoseVOI] {
        let seg: Segmentation
        do { seg = try SegmentationReader.read(path: path) } catch { throw WorkflowError("\(path): \(error)") }
        var out: [DoseVOI] = []
        for s in seg.segments {
            let r: Volume
            do { r = try s.mask.resampled(to: spect.size, geometry: spect.geometry, outside: 0) } catch { throw WorkflowError("\(path): segment \(s.number): \(error)") }
            let mask = r.voxels.map { $0 >= 0.5 }
            guard mask.contains(true) else { continue }
            out.append(DoseVOI(name: s.label ?? "segment \(s.number)", mask: mask))
        }
        guard !out.isEmpty else { throw WorkflowError("\(path): no segment overlaps the SPECT field of view") }
        return out
    }

    /// The visits, their folders (sorted by time), the VOIs on the reference grid and the radionuclide, read from
    /// the options' folders and masks; `study` is the reference visit's patient and study.
    public struct Prepared: Sendable {
        public var visits: [DoseTimePoint]
        public var folders: [String]
        public var vois: [DoseVOI]
        public var nuclide: Radionuclide
        public var study: StudyAttributes?
        public var warnings: [String]
    }

    /// Reads the visits and VOIs of a job.
    public static func prepare(_ o: Options) throws -> Prepared {
        guard !o.timepoints.isEmpty else { throw WorkflowError("give at least one --timepoint DIR") }
        guard let nuclide = StudyPreparation.radionuclide(named: o.isotope).flatMap({ Radionuclide.named($0.name, dataSet: o.dataSet) }) else {
            throw WorkflowError("unknown radionuclide \(o.isotope)")
        }
        var warnings: [String] = []
        var read: [Visit] = []
        for d in o.timepoints {
            let v = try readVisit(d, administration: o.administration)
            read.append(v); warnings += v.warnings
        }
        let order = read.indices.sorted { read[$0].point.hours < read[$1].point.hours }
        let visits = order.map { read[$0].point }
        let folders = order.map { o.timepoints[$0] }
        let ref = visits[0].spect
        let vois: [DoseVOI]
        if let m = o.masks { vois = try Self.vois(fromSEG: m, onto: ref) } else {
            let mx = ref.voxels.max() ?? 0
            let thr = Float(o.thresholdPercent / 100) * mx
            vois = [DoseVOI(name: "threshold \(Int(o.thresholdPercent))%", mask: ref.voxels.map { $0 >= thr && $0 > 0 })]
            warnings.append("no --masks: one VOI drawn at \(o.thresholdPercent) % of the first visit's maximum")
        }
        return Prepared(visits: visits, folders: folders, vois: vois, nuclide: nuclide, study: read[order[0]].study, warnings: warnings)
    }

    /// Runs the job from folders.
    public static func run(_ o: Options) throws -> (Report, SerialDosimetryResult) {
        let p = try prepare(o)
        var o = o
        if o.study == nil { o.study = p.study }
        return try run(visits: p.visits, folders: p.folders, vois: p.vois, nuclide: p.nuclide, options: o, warnings: p.warnings)
    }

    /// Runs the job on visits already in memory (the CLI's and the tests' common path).
    public static func run(visits: [DoseTimePoint], folders: [String], vois: [DoseVOI], nuclide: Radionuclide, options o: Options,
                           warnings: [String] = []) throws -> (Report, SerialDosimetryResult) {
        var warnings = warnings
        let result: SerialDosimetryResult
        var options = SerialDosimetryOptions(nuclide: nuclide, method: o.method, fit: o.fit, tail: o.tail, register: o.register,
                                             populationEffectiveHalfLifeHours: o.populationEffectiveHalfLifeHours)
        options.registrationGate = o.registrationGate
        options.givenTransforms = o.acceptedTransforms
        options.givenTransformSources = o.acceptedBy
        options.recovery = o.recovery
        options.uncertainty = o.uncertainty
        options.monteCarloDecays = o.monteCarloDecays
        options.kernel = o.kernel
        options.kernelDecays = o.kernelDecays
        let registrations: [VisitRegistration]
        do { registrations = try SerialDosimetry.registerVisits(visits, options: options) } catch { throw WorkflowError("registration: \(error)") }
        func reportVisits() -> [Report.Visit] {
            visits.indices.map { k in
                let r = registrations[k], t = r.transform
                return Report.Visit(folder: k < folders.count ? folders[k] : "visit \(k + 1)", hours: visits[k].hours,
                                    registrationRotationDeg: t?.rotationDeg.array, registrationTranslationMM: t?.translationMM.array,
                                    registrationCenterMM: t?.centerMM.array, registrationSource: r.source, registrationQuality: r.quality)
            }
        }
        if let statement = SerialDosimetry.reviewStatement(registrations, hours: visits.map(\.hours)) {
            // Stop: no number, a statement and every visit's transform and quality (dose.json when an output is asked for).
            if let out = o.out {
                var stopped = Report(isotope: nuclide.name, decayData: "\(nuclide.dataSet.rawValue): \(nuclide.source)", method: o.method.rawValue,
                                     fitMethod: o.fit.rawValue, units: ["hours": "h after administration", "registrationTranslationMM": "mm", "registrationRotationDeg": "°"],
                                     conventions: ["registration": "visit index in time order, 0 = reference; transform maps a reference-CT point to the same anatomy in the visit's CT"],
                                     visits: reportVisits(), vois: [], outputs: [], warnings: warnings + [statement])
                stopped.status = "review-required"
                stopped.quality = quality(registrations: registrations, vois: [])
                stopped.quality["status"] = "review-required"
                let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
                try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                if let data = try? enc.encode(stopped) { try? data.write(to: URL(fileURLWithPath: (out as NSString).appendingPathComponent("dose.json"))) }
            }
            throw WorkflowError(statement)
        }
        var vois = vois
        if let names = o.recoveryVOIs, o.recovery != nil {
            let unknown = names.filter { n in !vois.contains { $0.name == n } }
            guard unknown.isEmpty else { throw WorkflowError("--recovery-vois: no VOI named \(unknown.joined(separator: ", ")) (VOIs: \(vois.map(\.name).joined(separator: ", ")))") }
            for i in vois.indices { vois[i].partialVolumeCorrection = names.contains(vois[i].name) }
        }
        do {
            result = try SerialDosimetry.run(visits, vois: vois, options: options, registrations: registrations)
        } catch { throw WorkflowError("dosimetry: \(error)") }
        warnings += result.warnings
        for v in result.vois { warnings += v.fit.warnings.map { "\(v.name): \($0)" } }
        var report = Report(
            isotope: nuclide.name, decayData: "\(nuclide.dataSet.rawValue): \(nuclide.source)", method: o.method.rawValue,
            fitMethod: o.fit.rawValue,
            units: ["tiaMBqh": "MBq·h", "meanDoseGy": "Gy", "uncertainty": "relative (k = 1) components; intervals in MBq·h and Gy", "sValueMGyPerMBqS": "mGy/(MBq·s)", "hours": "h after administration",
                    "activitiesMBq": "MBq in the VOI at each visit", "bedGy": "Gy (BED)", "rbeWeightedDoseGy": "Gy (RBE-weighted)"],
            conventions: result.conventions,
            visits: reportVisits(),
            vois: result.vois.map { v in
                Report.VOI(name: v.name, tiaMBqh: v.tiaMBqh, tiaSigmaMBqh: v.fit.tiaSigmaMBqh, meanDoseGy: v.meanDoseGy, fit: v.fit,
                           volumeML: v.volumeML, massG: v.massG, doseMethod: v.doseMethod, sValueMGyPerMBqS: v.sValueMGyPerMBqS,
                           bedGy: v.bedGy, rbeWeightedDoseGy: v.rbeWeightedDoseGy, d98Gy: v.dvh?.d98Gy, d50Gy: v.dvh?.d50Gy,
                           d2Gy: v.dvh?.d2Gy, maxGy: v.dvh?.maxGy, timesHours: v.tac.map(\.timeHours),
                           activitiesMBq: v.tac.map(\.activityMBq), airVoxelsExcluded: v.airVoxelsExcluded, uncertainty: v.uncertainty,
                           recoveryCoefficient: v.recoveryCoefficient, meanDoseByMassGy: v.meanDoseByMassGy)
            },
            outputs: [], warnings: warnings)
        report.quality = quality(registrations: registrations, vois: result.vois)
        if o.out != nil && o.study == nil && result.doseGy != nil {
            report.warnings.append("the SPECT's patient and study are not known here: the RT Dose names a placeholder patient (Phantom^Simulated) in a new study")
        }
        if let out = o.out { report.outputs = try writeOutputs(report: report, result: result, nuclide: nuclide, study: o.study, to: out) }
        return (report, result)
    }

    /// Parses the accepted-transform list of contract 3: `[{"visit": i, "rotationDeg": [x,y,z], "translationMM": [x,y,z],
    /// "centerMM": [x,y,z] (optional, default 0), "acceptedBy": "…", "acceptedAt": "ISO"}]`.
    public static func acceptedTransforms(json data: Data, name: String) throws -> ([Int: RigidTransform], [Int: String]) {
        struct Item: Decodable {
            var visit: Int
            var rotationDeg: [Double], translationMM: [Double]
            var centerMM: [Double]?
            var acceptedBy: String?, acceptedAt: String?
        }
        let items: [Item]
        do { items = try JSONDecoder().decode([Item].self, from: data) } catch {
            throw WorkflowError("\(name): acceptedTransforms must be [{visit, rotationDeg[3], translationMM[3], acceptedBy, acceptedAt}] (\(error))")
        }
        var t: [Int: RigidTransform] = [:], by: [Int: String] = [:]
        for it in items {
            guard it.visit >= 1, it.rotationDeg.count == 3, it.translationMM.count == 3, (it.centerMM?.count ?? 3) == 3,
                  (it.rotationDeg + it.translationMM + (it.centerMM ?? [])).allSatisfy(\.isFinite) else {
                throw WorkflowError("\(name): acceptedTransforms visit \(it.visit): visit must be ≥ 1 and rotationDeg/translationMM/centerMM 3 finite numbers")
            }
            let c = it.centerMM ?? [0, 0, 0]
            t[it.visit] = RigidTransform(rotationDeg: Vector3(it.rotationDeg[0], it.rotationDeg[1], it.rotationDeg[2]),
                                         translationMM: Vector3(it.translationMM[0], it.translationMM[1], it.translationMM[2]),
                                         centerMM: Vector3(c[0], c[1], c[2]))
            by[it.visit] = [it.acceptedBy, it.acceptedAt.map { "at \($0)" }].compactMap { $0 }.joined(separator: " ")
        }
        return (t, by)
    }

    /// Quality indicators (contract 4): each visit's registration statement, and the largest k = 2 relative dose
    /// uncertainty over the VOIs.
    static func quality(registrations: [VisitRegistration], vois: [VOIDose]) -> [String: String] {
        var q: [String: String] = ["status": "complete"]
        for r in registrations where r.visit > 0 {
            q["registration visit \(r.visit)"] = r.quality.map { "\(r.source): \($0.statement)" } ?? r.source
        }
        if let worst = vois.compactMap({ v in v.uncertainty.map { (v.name, $0.doseRelative) } }).max(by: { $0.1 < $1.1 }) {
            q["largest mean-dose uncertainty (k = 2)"] = String(format: "%.1f %% (%@)", 200 * worst.1, worst.0)
        }
        return q
    }

    /// Writes dose.json, tac.svg, dvh.svg (voxel methods), dose.png (dose over CT) and rtdose.dcm.
    static func writeOutputs(report: Report, result: SerialDosimetryResult, nuclide: Radionuclide, study identity: StudyAttributes?,
                             to out: String) throws -> [String] {
        do { try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true) } catch {
            throw WorkflowError("cannot create \(out): \(error)")
        }
        var written: [String] = []
        func write(_ name: String, _ data: Data) throws {
            let p = (out as NSString).appendingPathComponent(name)
            do { try data.write(to: URL(fileURLWithPath: p)) } catch { throw WorkflowError("cannot write \(p): \(error)") }
            written.append(p)
        }
        let colours = ["#c0392b", "#2471a3", "#229954", "#7d3c98", "#d68910", "#17a589", "#566573"]
        // TACs with fits.
        var series: [SVGPlot.Series] = []
        let tmax = (result.vois.first?.tac.last?.timeHours ?? 168) * 1.2
        for (n, v) in result.vois.enumerated() {
            let c = colours[n % colours.count]
            series.append(SVGPlot.Series(label: "\(v.name) (samples)", x: v.tac.map(\.timeHours), y: v.tac.map(\.activityMBq), colour: c, markers: true))
            let xs = (0...100).map { tmax * Double($0) / 100 }
            let ys = xs.map { v.fit.activity(atHours: $0) }
            if ys.allSatisfy({ $0 != nil }) {
                series.append(SVGPlot.Series(label: "\(v.name) \(v.fit.method.rawValue) fit", x: xs, y: ys.map { $0! }, colour: c, markers: false))
            }
        }
        try write("tac.svg", Data(SVGPlot(title: "Time–activity curves (\(nuclide.name))", xLabel: "hours after administration",
                                          yLabel: "activity (MBq)", series: series).svg().utf8))
        if result.vois.contains(where: { $0.dvh != nil }) {
            let dv = result.vois.enumerated().compactMap { (n, v) -> SVGPlot.Series? in
                guard let d = v.dvh else { return nil }
                return SVGPlot.Series(label: v.name, x: d.doseGy, y: d.volumeFraction.map { $0 * 100 }, colour: colours[n % colours.count], markers: false)
            }
            try write("dvh.svg", Data(SVGPlot(title: "Cumulative dose–volume histograms", xLabel: "dose (Gy)", yLabel: "volume (%)", series: dv).svg().utf8))
        }
        if let dose = result.doseGy {
            // Axial slice through the hottest voxel, dose over CT (or alone).
            let imax = dose.voxels.indices.max { dose.voxels[$0] < dose.voxels[$1] } ?? 0
            let z = imax / (dose.size.x * dose.size.y)
            let hi = dose.voxels[imax]
            let raster: Raster
            if let ct = result.referenceCT {
                raster = Render.fuse(ct: Render.slice(ct, .axial, index: z), emission: Render.slice(dose, .axial, index: z), low: 0, high: max(hi, 1e-6))
            } else {
                raster = Render.colour(Render.slice(dose, .axial, index: z), low: 0, high: max(hi, 1e-6), map: .hot)
            }
            do { try write("dose.png", Data(try PNG.encode(Render.upscale(raster, factor: 4)))) } catch let e as WorkflowError { throw e } catch {
                throw WorkflowError("dose.png: \(error)")
            }
            var study = identity ?? StudyAttributes(studyDate: "20260101", studyTime: "000000")
            study.frameOfReferenceUID = dose.frameOfReferenceUID ?? study.frameOfReferenceUID
            let path = (out as NSString).appendingPathComponent("rtdose.dcm")
            do {
                try RTDoseWriter.write(dose, study: study, series: SeriesAttributes(seriesNumber: 900, seriesDescription: "Scinti dose \(nuclide.name) \(report.method)"),
                                       comment: "Absorbed dose (Gy), \(report.method): \(result.vois.first?.doseMethod ?? ""); decay data \(report.decayData)", to: path)
            } catch { throw WorkflowError("rtdose.dcm: \(error)") }
            written.append(path)
        }
        let enc = JSONEncoder()
        enc.outputFormatting = [.prettyPrinted, .sortedKeys]
        var r = report
        r.outputs = written + [(out as NSString).appendingPathComponent("dose.json")]
        let json: Data
        do { json = try enc.encode(r) } catch { throw WorkflowError("JSON: \(error)") }
        try write("dose.json", json)
        return r.outputs
    }

    /// Writes a simulated serial study as visit folders `tp1`…: NM RECON TOMO (Bq/mL, with Radiopharmaceutical
    /// Start DateTime and Acquisition Date/Time) and a CT series; one frame of reference per visit (the patient
    /// was repositioned); `masks.dcm` (SEG) with the organ VOIs on the first visit. Returns the folders.
    public static func writeSimulated(_ study: SerialStudy, nuclide: Radionuclide, to dir: String,
                                      administration: String = "20260112080000") throws -> [String] {
        guard let admin = DICOMDateTime.parse(dt: administration) else { throw WorkflowError("bad administration DT \(administration)") }
        var folders: [String] = []
        let fmt = DateFormatter()
        fmt.locale = Locale(identifier: "en_US_POSIX"); fmt.timeZone = TimeZone(identifier: "UTC")
        let studyUID = UIDGenerator.newUID()
        for (k, tp) in study.timePoints.enumerated() {
            let folder = (dir as NSString).appendingPathComponent("tp\(k + 1)")
            do { try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true) } catch {
                throw WorkflowError("cannot create \(folder): \(error)")
            }
            let when = admin.addingTimeInterval(tp.hours * 3600)
            fmt.dateFormat = "yyyyMMdd"; let date = fmt.string(from: when)
            fmt.dateFormat = "HHmmss"; let time = fmt.string(from: when)
            let frame = UIDGenerator.newUID()
            let attrs = StudyAttributes(studyDate: date, studyTime: time, studyInstanceUID: studyUID, frameOfReferenceUID: frame)
            do {
                try CTSeriesWriter.write(tp.ct, study: attrs, series: SeriesAttributes(seriesNumber: 2, seriesDescription: "CT visit \(k + 1)"),
                                         to: (folder as NSString).appendingPathComponent("ct"), acquisitionDate: date, acquisitionTime: time)
                var src = Dataset()
                src.set(.patientName, .PN, "Phantom^Serial")
                src.set(.patientID, .LO, "SERIAL1")
                src.set(.studyInstanceUID, .UI, studyUID)
                src.set(.studyDate, .DA, date); src.set(.studyTime, .TM, time)
                src.set(.acquisitionDate, .DA, date); src.set(.acquisitionTime, .TM, time)
                var rp = Dataset()
                rp.set(Tag(0x0018, 0x1078), .DT, administration)
                rp.set(Tag(0x0018, 0x1072), .TM, String(administration.dropFirst(8).prefix(6)))
                rp.set(Tag(0x0018, 0x1075), .DS, numbers: [nuclide.halfLifeSeconds])
                src.set(Tag(0x0054, 0x0016), sequence: [rp])
                try ReconTomo.write(tp.spect, info: ReconTomoInfo(source: src, frameOfReferenceUID: frame,
                                                                  seriesDescription: "Quantitative SPECT \(nuclide.name) visit \(k + 1)",
                                                                  provenance: "Simulated ideal quantitative SPECT (Scinti SerialStudy), Bq/mL at acquisition start"),
                                    to: (folder as NSString).appendingPathComponent("spect.dcm"))
            } catch { throw WorkflowError("\(folder): \(error)") }
            folders.append(folder)
            if k == 0 {
                // The VOIs on the reference visit: each organ with a 6 mm margin (see SerialStudy.coveringMasks).
                let masks = study.coveringMasks(marginMM: 6)
                do {
                    try SegmentationWriter.write(segments: study.organs.enumerated().map { ($0.element.name, masks[$0.offset]) },
                                                 size: tp.spect.size, geometry: tp.spect.geometry, study: attrs,
                                                 series: SeriesAttributes(seriesNumber: 3, seriesDescription: "Organ VOIs (6 mm margin)"),
                                                 to: (dir as NSString).appendingPathComponent("masks.dcm"))
                } catch { throw WorkflowError("\(dir)/masks.dcm: \(error)") }
            }
        }
        return folders
    }
}

extension DoseJob {
    /// The viewer's display of a dosimetry result: the dose map (series `doseSeries`, on the reference SPECT grid)
    /// fused with the reference CT (`ctSeries`), the VOIs as masks on that grid, the TACs with their fits, the
    /// cumulative DVHs, and per-VOI TIA and mean dose with units.
    public static func display(report: Report, result: SerialDosimetryResult, vois: [DoseVOI], doseSeries: String?, ctSeries: String?) -> ResultDisplay {
        let palette = ResultDisplay.palette
        var summary: [[String]] = [["radionuclide", "\(report.isotope) (\(report.decayData))"], ["dose method", report.method],
                                   ["TAC fit", report.fitMethod],
                                   ["visits", report.visits.map { "\(fmt($0.hours)) h" }.joined(separator: ", ") + " after administration"]]
        for v in report.vois {
            var s = "TIA \(fmt(v.tiaMBqh)) MBq·h"
            if let sg = v.tiaSigmaMBqh { s += " ± \(fmt(sg))" }
            s += "; mean dose \(fmt(v.meanDoseGy, 2)) Gy; \(fmt(v.volumeML)) mL, \(fmt(v.massG)) g"
            if let d = v.d98Gy, let m = v.maxGy { s += "; D98 \(fmt(d, 2)) Gy, max \(fmt(m, 2)) Gy" }
            if let b = v.bedGy { s += "; BED \(fmt(b, 2)) Gy" }
            if let r = v.rbeWeightedDoseGy { s += "; \(fmt(r, 2)) Gy (RBE-weighted)" }
            summary.append([v.name, s])
        }
        var tac: [ResultDisplay.Curve] = [], dvh: [ResultDisplay.Curve] = []
        let tmax = (result.vois.compactMap { $0.tac.last?.timeHours }.max() ?? 168) * 1.2
        for (n, v) in result.vois.enumerated() {
            let c = palette[n % palette.count]
            tac.append(ResultDisplay.Curve(label: "\(v.name) (measured)", colour: c, x: v.tac.map(\.timeHours), y: v.tac.map(\.activityMBq), style: "points"))
            let xs = (0...120).map { tmax * Double($0) / 120 }
            let ys = xs.compactMap { v.fit.activity(atHours: $0) }
            if ys.count == xs.count {
                tac.append(ResultDisplay.Curve(label: "\(v.name) \(v.fit.method.rawValue) fit", colour: c, x: xs, y: ys, style: "line"))
            }
            if let d = v.dvh {
                dvh.append(ResultDisplay.Curve(label: v.name, colour: c, x: d.doseGy, y: d.volumeFraction.map { $0 * 100 }, style: "line"))
            }
        }
        var charts = [ResultDisplay.Chart(title: "Time–activity curves (\(report.isotope))", xLabel: "hours after administration",
                                          yLabel: "activity in the VOI (MBq)", curves: tac)]
        if !dvh.isEmpty {
            charts.append(ResultDisplay.Chart(title: "Cumulative dose–volume histograms", xLabel: "absorbed dose (Gy)", yLabel: "volume (%)", curves: dvh))
        }
        let masks = vois.enumerated().map { (n, v) in
            ResultDisplay.VolumeMask(label: v.name, colour: palette[n % palette.count], runs: ResultDisplay.runs(v.mask), voxels: v.mask.reduce(0) { $0 + ($1 ? 1 : 0) })
        }
        return ResultDisplay(title: "Dosimetry (\(report.isotope), \(report.method))", summary: summary, volumeSeries: doseSeries,
                             anatomySeries: ctSeries, volumeMasks: masks, charts: charts, conventions: report.conventions.merging(report.units) { a, _ in a },
                             warnings: report.warnings)
    }
}
