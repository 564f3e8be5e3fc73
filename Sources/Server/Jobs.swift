import Archive
import DICOM
import Dosimetry
import Foundation
import Hummingbird
import Imaging
import Physics
import Synchronization
import Workflows

/// What `POST /api/jobs` takes.
///
/// - `recon`: `series` (NM TOMO projections), optional `ct`, `algorithm`, `iterations`, `subsets`, `calibration`,
///   `radionuclide`, `window`.
/// - `analysis`: `analysis` (`lvef`, `sentinel`, `bone-scan`, `mibg-hm`, `thyroid-uptake`) and `series` (the NM
///   study, one instance); thyroid-uptake: `series` is the neck image, `inputs` `{"standard": UID, "thigh": UID?,
///   "room": UID?}`.
/// - `dose`: `visits` (each `{"spect": UID of a quantitative SPECT in Bq/mL, "ct": UID of its CT}`), optional `masks`
///   (UID of a SEG series with the VOIs on the first visit), `radionuclide` (default Lu-177), `method`
///   (voxel, sphere, organ, ldm), `fit` (auto, mono, bi, trapezoid, hanscheid, madsen), `administration` (DICOM DT),
///   `threshold` (% of the maximum for a threshold VOI without masks), `register` (default true).
public struct JobRequest: Sendable, Codable {
    /// One visit of a dosimetry job.
    public struct Visit: Sendable, Codable {
        /// Series Instance UID of the quantitative SPECT (NM RECON TOMO, Bq/mL).
        public var spect: String
        /// Series Instance UID of its CT, optional.
        public var ct: String?
    }
    /// `recon`, `analysis` or `dose`.
    public var type: String
    /// Series Instance UID of the SPECT projections (recon) or of the analysed NM study (analysis).
    public var series: String?
    /// Series Instance UID of a CT for attenuation correction and fusion, optional.
    public var ct: String?
    /// `osem`, `mlem`, `bsrem` or `fbp` (default osem).
    public var algorithm: String?
    /// Iterations (default 4, 1…50).
    public var iterations: Int?
    /// Subsets (default 8, 1…64).
    public var subsets: Int?
    /// Camera calibration in cps/MBq (gives Bq/mL), optional.
    public var calibration: Double?
    /// Radionuclide when the study does not record it (recon), or of the therapy (dose; default Lu-177).
    public var radionuclide: String?
    /// Photopeak energy window number (1-based), optional (default: the radionuclide's photopeak window).
    public var window: Int?
    /// Analysis name (analysis jobs).
    public var analysis: String?
    /// Other series of an analysis by role (thyroid-uptake: `standard`, `thigh`, `room`).
    public var inputs: [String: String]?
    /// Visits (dose jobs).
    public var visits: [Visit]?
    /// SEG series with the VOIs (dose jobs), optional.
    public var masks: String?
    /// Dose method (dose jobs; default voxel).
    public var method: String?
    /// TAC fit (dose jobs; default auto).
    public var fit: String?
    /// Administration time, DICOM DT, when the SPECT lacks Radiopharmaceutical Start DateTime (dose jobs).
    public var administration: String?
    /// Threshold VOI in % of the first visit's maximum when no masks are given (dose jobs; default 20).
    public var threshold: Double?
    /// Register the visits' CTs rigidly (dose jobs; default true).
    public var register: Bool?
    /// Edited regions (analysis jobs): the JSON of a result's `display.regions`, matched by `label`, replacing the
    /// automatic ones (docs/review.md). Needs the right `editRegions`.
    public var regions: [ResultDisplay.Region]?
    /// Who edited the regions and when (ISO 8601): set by the server from the request's identity, never by the client.
    public var regionsEditedBy: String?, regionsEditedAt: String?
    /// A registration accepted in the review (dose jobs, docs/review.md): visit index (0-based, in time order; the
    /// first visit is the reference) → the fixed-to-moving transform (rotations about x, y, z in degrees, `Rz·Ry·Rx`,
    /// about `centerMM`, default the centre of the first visit's CT grid; translation in mm).
    public struct AcceptedTransform: Sendable, Codable {
        public var visit: Int
        public var rotationDeg: [Double]
        public var translationMM: [Double]
        public var centerMM: [Double]?
        /// Who accepted it (set by the server to the submitting user) and when (ISO 8601, from the review).
        public var acceptedBy: String?
        public var acceptedAt: String?
    }
    /// Registrations accepted in the review (dose jobs): used instead of registering those visits.
    public var acceptedTransforms: [AcceptedTransform]?
}

/// Runs jobs and keeps their state in a ``JobStore``. With the local store (`jobs.sqlite` next to the archive index)
/// the server runs jobs one at a time on a background thread, and a restarted server lists them and re-runs those it
/// had not finished. With a shared queue (PostgreSQL) the server only records jobs; `scinti worker` processes claim
/// and run them (``runWorker(concurrency:lease:)``), and every server shows their progress.
public final class JobManager: Sendable {
    let archive: Archive
    /// Where the jobs are kept (local SQLite, or a shared queue).
    public let store: any JobStore
    let workDirectory: String
    let queue = DispatchQueue(label: "scinti.jobs")
    /// This process as a worker (`host:pid`), named in the jobs it claims.
    public let workerID = ProcessInfo.processInfo.hostName + ":" + String(getpid())
    /// Lease of a claimed job, seconds (a worker renews it every third of it).
    let lease = Mutex<Double>(30)

    convenience init(archive: Archive, directory: String, workDirectory: String) throws {
        try self.init(archive: archive, store: SQLiteJobStore(path: directory + "/jobs.sqlite"), workDirectory: workDirectory)
    }

    /// A manager over `store`, writing job outputs under `workDirectory` before storing them into `archive`.
    public init(archive: Archive, store: any JobStore, workDirectory: String) throws {
        self.archive = archive
        self.store = store
        self.workDirectory = workDirectory
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
    }

    /// All jobs, newest first.
    public func list() throws -> [JobRecord] { try store.list() }

    /// One job.
    public func get(_ id: String) throws -> JobRecord? { try store.get(id) }

    /// Records progress; in a shared queue only while this worker holds the job (false otherwise).
    @discardableResult
    func update(_ id: String, state: String? = nil, progress: Double? = nil, message: String? = nil, result: String? = nil) -> Bool {
        (try? store.update(id, worker: store.isShared ? workerID : nil, state: state, progress: progress, message: message, result: result)) ?? false
    }

    /// Validates and records a job, then queues it. Throws 400/404 naming what is wrong.
    public func submit(_ req: JobRequest, by user: String? = nil) throws -> JobRecord {
        var req = req
        req.regionsEditedBy = nil; req.regionsEditedAt = nil
        if req.acceptedTransforms != nil {
            guard req.type == "dose" else { throw HTTPError(.badRequest, message: "acceptedTransforms: accepted registrations are taken by dose jobs") }
            let now = ISO8601DateFormatter().string(from: Date())
            req.acceptedTransforms = req.acceptedTransforms?.map { var t = $0; t.acceptedBy = user ?? "unknown"; t.acceptedAt = t.acceptedAt ?? now; return t }
        }
        if req.regions != nil {
            guard req.type == "analysis" || req.type == "dose" else { throw HTTPError(.badRequest, message: "regions: edited regions are taken by analysis and dose jobs") }
            req.regionsEditedBy = user ?? "unknown"
            req.regionsEditedAt = ISO8601DateFormatter().string(from: Date())
        }
        if let r = req.radionuclide, r.count > 32 || !r.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) {
            throw HTTPError(.badRequest, message: "radionuclide must be a name such as Lu-177")
        }
        switch req.type {
        case "recon": try validateRecon(req)
        case "analysis": try validateAnalysis(req)
        case "dose": try validateDose(req)
        default: throw HTTPError(.badRequest, message: "unknown job type '\(req.type.prefix(32))' (recon, analysis, dose)")
        }
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        let rec = JobRecord(id: UUID().uuidString.lowercased(), type: req.type, state: "queued", progress: 0, message: "queued",
                            request: String(decoding: try enc.encode(req), as: UTF8.self), result: nil,
                            created: ISO8601DateFormatter().string(from: Date()), submittedBy: user)
        try store.insert(rec)
        if !store.isShared { enqueue(rec.id) }
        return rec
    }

    func validateRecon(_ req: JobRequest) throws {
        guard let series = req.series else { throw HTTPError(.badRequest, message: "a recon job needs \"series\" (the NM TOMO projections)") }
        _ = try requireUID(series, "series")
        if let ct = req.ct { _ = try requireUID(ct, "ct") }
        if let a = req.algorithm, ReconAlgorithmName(rawValue: a) == nil {
            throw HTTPError(.badRequest, message: "algorithm must be one of \(ReconAlgorithmName.allCases.map(\.rawValue))")
        }
        if let n = req.iterations, !(1...50).contains(n) { throw HTTPError(.badRequest, message: "iterations must be 1…50") }
        if let n = req.subsets, !(1...64).contains(n) { throw HTTPError(.badRequest, message: "subsets must be 1…64") }
        if let c = req.calibration, !(c > 0 && c.isFinite) { throw HTTPError(.badRequest, message: "calibration must be a positive number (cps/MBq)") }
        if let w = req.window, !(1...64).contains(w) { throw HTTPError(.badRequest, message: "window must be an energy window number 1…64") }
        guard try archive.instances(seriesUIDs: [series]).count == 1 else {
            throw HTTPError(.notFound, message: "series \(series): the projections must be one NM instance in the archive")
        }
        if let ct = req.ct, try archive.instances(seriesUIDs: [ct]).isEmpty { throw HTTPError(.notFound, message: "CT series \(ct) not in the archive") }
    }

    func validateAnalysis(_ req: JobRequest) throws {
        guard let a = req.analysis, AnalysisJob.Kind(rawValue: a) != nil else {
            throw HTTPError(.badRequest, message: "analysis must be one of \(AnalysisJob.Kind.allCases.map(\.rawValue))")
        }
        guard let series = req.series else { throw HTTPError(.badRequest, message: "an analysis job needs \"series\" (the NM study)") }
        _ = try requireUID(series, "series")
        let kind = AnalysisJob.Kind(rawValue: a)!
        let inputs = req.inputs ?? [:]
        for role in kind.roles.required where inputs[role] == nil {
            throw HTTPError(.badRequest, message: "\(a) needs \"inputs\": {\"\(role)\": UID}")
        }
        for (role, uid) in inputs {
            guard (kind.roles.required + kind.roles.optional).contains(role) else {
                throw HTTPError(.badRequest, message: "\(a) takes no input '\(role.prefix(32))' (roles: \((kind.roles.required + kind.roles.optional).joined(separator: ", ")))")
            }
            _ = try requireUID(uid, role)
        }
        for uid in [series] + inputs.values.sorted() {
            guard try archive.instances(seriesUIDs: [uid]).count == 1 else {
                throw HTTPError(.notFound, message: "series \(uid): each image of the analysis must be one NM instance in the archive")
            }
        }
        if let regions = req.regions {
            guard kind.takesEditedRegions else {
                throw HTTPError(.badRequest, message: "regions: \(a) cannot be re-run with edited regions yet (analyses that can: \(AnalysisJob.Kind.allCases.filter(\.takesEditedRegions).map(\.rawValue).joined(separator: ", ")))")
            }
            try RegionEdits.validate(regions, series: series, archive: archive)
        }
    }

    func validateDose(_ req: JobRequest) throws {
        guard let visits = req.visits, !visits.isEmpty, visits.count <= 16 else {
            throw HTTPError(.badRequest, message: "a dose job needs \"visits\": 1…16 of {\"spect\": UID, \"ct\": UID}")
        }
        if let m = req.method, DoseMethod(rawValue: m) == nil { throw HTTPError(.badRequest, message: "method must be one of \(DoseMethod.allCases.map(\.rawValue))") }
        if let f = req.fit, TACMethod(rawValue: f) == nil { throw HTTPError(.badRequest, message: "fit must be one of \(TACMethod.allCases.map(\.rawValue))") }
        if let t = req.threshold, !(t > 0 && t < 100) { throw HTTPError(.badRequest, message: "threshold must be in (0, 100) %") }
        if let a = req.administration, DICOMDateTime.parse(dt: a) == nil {
            throw HTTPError(.badRequest, message: "administration must be a DICOM DT (YYYYMMDDHHMMSS±ZZZZ)")
        }
        if StudyPreparation.radionuclide(named: req.radionuclide ?? "Lu-177") == nil {
            throw HTTPError(.badRequest, message: "unknown radionuclide \(req.radionuclide ?? "")")
        }
        for v in visits {
            _ = try requireUID(v.spect, "visit spect")
            if let ct = v.ct { _ = try requireUID(ct, "visit ct") }
        }
        if let m = req.masks { _ = try requireUID(m, "masks") }
        var seen = Set<Int>()
        for (k, t) in (req.acceptedTransforms ?? []).enumerated() {
            let f = "acceptedTransforms[\(k)]"
            guard (1..<visits.count).contains(t.visit) else {
                throw HTTPError(.badRequest, message: "\(f).visit: \(t.visit) is not a follow-up visit (1…\(visits.count - 1); visit 0 is the reference)")
            }
            guard seen.insert(t.visit).inserted else { throw HTTPError(.badRequest, message: "\(f).visit: visit \(t.visit) given twice") }
            guard t.rotationDeg.count == 3, t.rotationDeg.allSatisfy({ $0.isFinite && abs($0) <= 180 }) else {
                throw HTTPError(.badRequest, message: "\(f).rotationDeg: three angles in degrees, each within ±180")
            }
            guard t.translationMM.count == 3, t.translationMM.allSatisfy({ $0.isFinite && abs($0) <= 1000 }) else {
                throw HTTPError(.badRequest, message: "\(f).translationMM: three distances in mm, each within ±1000")
            }
            if let c = t.centerMM, c.count != 3 || !c.allSatisfy(\.isFinite) { throw HTTPError(.badRequest, message: "\(f).centerMM: three coordinates in mm") }
            if let a = t.acceptedAt, a.count > 40 { throw HTTPError(.badRequest, message: "\(f).acceptedAt: an ISO 8601 time") }
        }
        for v in visits {
            guard try archive.instances(seriesUIDs: [v.spect]).count == 1 else {
                throw HTTPError(.notFound, message: "series \(v.spect): a visit's SPECT must be one quantitative NM instance in the archive")
            }
            if let ct = v.ct, try archive.instances(seriesUIDs: [ct]).isEmpty { throw HTTPError(.notFound, message: "CT series \(ct) not in the archive") }
        }
        if let m = req.masks, try archive.instances(seriesUIDs: [m]).count != 1 {
            throw HTTPError(.notFound, message: "masks \(m): one SEG instance expected in the archive")
        }
        if let regions = req.regions { try RegionEdits.validateVOIs(regions, series: visits[0].spect, archive: archive) }
    }

    /// Re-queues jobs left queued or running by a previous server process.
    public func resumeUnfinished() {
        guard !store.isShared else { return }  // workers claim them from the shared queue
        for id in (try? store.unfinished()) ?? [] {
            update(id, state: "queued", progress: 0, message: "re-queued after a server restart")
            enqueue(id)
        }
    }

    func enqueue(_ id: String) {
        queue.async { [self] in self.execute(id) }
    }

    func execute(_ id: String) {
        guard let rec = try? get(id), let req = try? JSONDecoder().decode(JobRequest.self, from: Data(rec.request.utf8)) else { return }
        update(id, state: "running", progress: 0, message: "reading the series")
        let dir = workDirectory + "/" + id + (store.isShared ? "-" + String(getpid()) : "")
        do {
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let (json, message): (String, String)
            switch req.type {
            case "analysis": (json, message) = try runAnalysis(id, req)
            case "dose": (json, message) = try runDose(id, req, dir: dir)
            default: (json, message) = try runRecon(id, req, dir: dir)
            }
            update(id, state: "done", progress: 1, message: message, result: json)
            if req.type != "recon", let done = try? get(id) { ResultReports.afterJob(done, manager: self) }
        } catch let e as WorkflowError {
            update(id, state: "failed", message: e.message)
        } catch {
            update(id, state: "failed", message: "\(error)")
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    static func encodeJSON<T: Encodable>(_ v: T) throws -> String {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return String(decoding: try enc.encode(v), as: UTF8.self)
    }

    func symlink(_ target: String, at path: String) throws {
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: target)
    }

    func runRecon(_ id: String, _ req: JobRequest, dir: String) throws -> (String, String) {
        try FileManager.default.createDirectory(atPath: dir + "/ct", withIntermediateDirectories: true)
        guard let series = req.series, let proj = try archive.instances(seriesUIDs: [series]).first else {
            throw ArchiveError("series \(req.series ?? "") no longer in the archive")
        }
        var o = ReconJob.Options(projections: proj.path, out: dir + "/recon.dcm")
        if let ct = req.ct {
            for (n, i) in try archive.instances(seriesUIDs: [ct]).enumerated() { try symlink(i.path, at: dir + "/ct/\(n).dcm") }
            o.ct = dir + "/ct"
        } else {
            o.attenuation = .none
        }
        if let a = req.algorithm, let alg = ReconAlgorithmName(rawValue: a) { o.algorithm = alg }
        if let n = req.iterations { o.iterations = n }
        if let n = req.subsets { o.subsets = n }
        o.calibrationCpsPerMBq = req.calibration
        o.radionuclide = req.radionuclide
        o.window = req.window
        let last = Mutex<Double>(0)
        let result = try ReconJob.run(o) { done, total in
            let p = total > 0 ? Double(done) / Double(total) : 0
            let changed = last.withLock { l -> Bool in if p - l >= 0.01 || done == total { l = p; return true }; return false }
            if changed { self.update(id, progress: p * 0.95, message: "iteration step \(done)/\(total)") }
        }
        update(id, progress: 0.97, message: "storing the reconstruction in the archive")
        try Self.stampJobUIDs(o.out, jobID: id)
        let stored = try archive.importFile(o.out, sourceAE: "SCINTI-JOB")
        let f = try DICOMFile.read(path: o.out, options: ReadOptions(stopBeforePixels: true))
        var json = try Self.encodeJSON(result)
        json.removeLast()
        json += ",\"seriesUID\":\(jsonString(f.dataset.string(.seriesInstanceUID) ?? "")),\"studyUID\":\(jsonString(f.dataset.string(.studyInstanceUID) ?? "")),"
            + "\"stored\":\(jsonString("\(stored)"))}"
        return (json, "done in \(String(format: "%.1f", result.seconds)) s")
    }

    func runAnalysis(_ id: String, _ req: JobRequest) throws -> (String, String) {
        guard let series = req.series, let kind = req.analysis.flatMap(AnalysisJob.Kind.init(rawValue:)),
              let inst = try archive.instances(seriesUIDs: [series]).first else {
            throw ArchiveError("series \(req.series ?? "") no longer in the archive")
        }
        var inputs: [String: String] = [:]
        for (role, uid) in req.inputs ?? [:] {
            guard let i = try archive.instances(seriesUIDs: [uid]).first else { throw ArchiveError("series \(uid) (\(role)) no longer in the archive") }
            inputs[role] = i.path
        }
        update(id, progress: 0.2, message: "running \(kind.rawValue)")
        let t0 = Date()
        if kind.regionsAreInput, let given = req.regions {
            // The regions are the analysis' input (no automatic regions to keep beside them).
            let out = try AnalysisJob.run(kind, path: inst.path, series: series, inputs: inputs, regions: given)
            let json = "{\"analysis\":\(jsonString(kind.rawValue)),\"result\":\(out.resultJSON),\"display\":\(try Self.encodeJSON(out.display))}"
            return (json, "\(out.display.summary.dropFirst().first.map { "\($0[0]) \($0[1])" } ?? "done") (\(String(format: "%.1f", Date().timeIntervalSince(t0))) s)")
        }
        let out = try AnalysisJob.run(kind, path: inst.path, series: series, inputs: inputs)
        var json = "{\"analysis\":\(jsonString(kind.rawValue)),\"result\":\(out.resultJSON),\"display\":\(try Self.encodeJSON(out.display))}"
        if let regions = req.regions {
            // Re-run with the edited regions; the automatic result is kept beside it.
            if let missing = RegionEdits.unmatched(regions, in: out.display) {
                throw WorkflowError("regions: \(missing.map { "'\($0)'" }.joined(separator: ", ")) name no region of the automatic \(kind.rawValue) result (labels: \(out.display.regions.map(\.label).joined(separator: ", ")))")
            }
            update(id, progress: 0.6, message: "re-running \(kind.rawValue) with \(regions.count) edited region(s)")
            let edited = try AnalysisJob.run(kind, path: inst.path, series: series, inputs: inputs, regions: regions)
            json = try RegionEdits.resultJSON(analysis: kind.rawValue, edited: edited, automatic: out, regions: regions,
                                              by: req.regionsEditedBy ?? "unknown", at: req.regionsEditedAt ?? ((try? get(id))?.created ?? ""))
            return (json, "\(edited.display.summary.first.map { "\($0[0]) \($0[1])" } ?? "done") with edited regions (\(String(format: "%.1f", Date().timeIntervalSince(t0))) s)")
        }
        return (json, "\(out.display.summary.first.map { "\($0[0]) \($0[1])" } ?? "done") (\(String(format: "%.1f", Date().timeIntervalSince(t0))) s)")
    }

    func runDose(_ id: String, _ req: JobRequest, dir: String) throws -> (String, String) {
        let t0 = Date()
        var folders: [String] = []
        var ctOfFolder: [String: String] = [:]
        for (k, v) in (req.visits ?? []).enumerated() {
            let folder = dir + "/visit\(k + 1)"
            try FileManager.default.createDirectory(atPath: folder + "/ct", withIntermediateDirectories: true)
            guard let spect = try archive.instances(seriesUIDs: [v.spect]).first else { throw ArchiveError("series \(v.spect) no longer in the archive") }
            try symlink(spect.path, at: folder + "/spect.dcm")
            if let ct = v.ct {
                for (n, i) in try archive.instances(seriesUIDs: [ct]).enumerated() { try symlink(i.path, at: folder + "/ct/\(n).dcm") }
                ctOfFolder[folder] = ct
            }
            folders.append(folder)
        }
        var masks: String? = nil
        if let m = req.masks {
            guard let seg = try archive.instances(seriesUIDs: [m]).first else { throw ArchiveError("masks \(m) no longer in the archive") }
            masks = dir + "/masks.dcm"
            try symlink(seg.path, at: masks!)
        }
        var o = DoseJob.Options(timepoints: folders, masks: masks, isotope: req.radionuclide ?? "Lu-177",
                                method: req.method.flatMap(DoseMethod.init(rawValue:)) ?? .voxel,
                                fit: req.fit.flatMap(TACMethod.init(rawValue:)) ?? .auto, administration: req.administration,
                                thresholdPercent: req.threshold ?? 20, register: req.register ?? true, out: dir + "/out")
        update(id, progress: 0.1, message: "reading \(folders.count) visits")
        let p = try DoseJob.prepare(o)
        o.study = p.study
        if let accepted = req.acceptedTransforms {
            // Rotation centre by default: the centre of the reference visit's CT grid (as the registration's).
            let ct = p.visits.first?.ct
            let centre = ct.map { c in c.geometry.patientPosition(i: Double(c.size.x - 1) / 2, j: Double(c.size.y - 1) / 2, k: Double(c.size.z - 1) / 2) } ?? .zero
            for t in accepted {
                o.acceptedTransforms[t.visit] = RigidTransform(rotationDeg: Vector3(t.rotationDeg[0], t.rotationDeg[1], t.rotationDeg[2]),
                                                               translationMM: Vector3(t.translationMM[0], t.translationMM[1], t.translationMM[2]),
                                                               centerMM: t.centerMM.map { Vector3($0[0], $0[1], $0[2]) } ?? centre)
                o.acceptedBy[t.visit] = "\(t.acceptedBy ?? "unknown") at \(t.acceptedAt ?? "?")"
            }
        }
        update(id, progress: 0.3, message: "registration, time–activity fits and absorbed dose")
        var vois = p.vois
        var automatic: String? = nil
        if let regions = req.regions {
            // Edited VOIs: the automatic dosimetry first (kept beside the result), then the one with the VOIs replaced.
            vois = try RegionEdits.replacing(p.vois, with: regions, count: p.visits.first?.spect.size.count ?? 0)
            // The automatic result of the same request when one is stored (the job the VOIs were edited on), else
            // computed here.
            automatic = try RegionEdits.automaticDose(of: req, in: store.list())
            if automatic == nil {
                var oa = o
                oa.out = dir + "/automatic"
                update(id, progress: 0.2, message: "automatic VOIs: registration, time–activity fits and absorbed dose")
                let (ar, ares) = try DoseJob.run(visits: p.visits, folders: p.folders, vois: p.vois, nuclide: p.nuclide, options: oa, warnings: p.warnings)
                let ad = DoseJob.display(report: ar, result: ares, vois: p.vois, doseSeries: nil, ctSeries: p.folders.first.flatMap { ctOfFolder[$0] })
                automatic = "{\"report\":\(try Self.encodeJSON(ar)),\"display\":\(try Self.encodeJSON(ad))}"
            }
        }
        let (report, result) = try DoseJob.run(visits: p.visits, folders: p.folders, vois: vois, nuclide: p.nuclide, options: o, warnings: p.warnings)
        var doseSeries: String? = nil, studyUID: String? = nil
        let rtdose = dir + "/out/rtdose.dcm"
        if FileManager.default.fileExists(atPath: rtdose) {
            update(id, progress: 0.95, message: "storing the RT Dose in the archive")
            try Self.stampJobUIDs(rtdose, jobID: id)
            _ = try archive.importFile(rtdose, sourceAE: "SCINTI-JOB")
            let f = try DICOMFile.read(path: rtdose, options: ReadOptions(stopBeforePixels: true))
            doseSeries = f.dataset.string(.seriesInstanceUID); studyUID = f.dataset.string(.studyInstanceUID)
        }
        let display = DoseJob.display(report: report, result: result, vois: vois, doseSeries: doseSeries,
                                      ctSeries: p.folders.first.flatMap { ctOfFolder[$0] })
        var json = "{\"report\":\(try Self.encodeJSON(report)),\"display\":\(try Self.encodeJSON(display)),"
            + "\"seriesUID\":\(doseSeries.map(jsonString) ?? "null"),\"studyUID\":\(studyUID.map(jsonString) ?? "null")}"
        if let automatic, let regions = req.regions {
            let record = RegionEdits.Record(labels: regions.map(\.label), by: req.regionsEditedBy ?? "unknown", at: req.regionsEditedAt ?? "")
            json.removeLast()
            json += ",\"regionsEdited\":true,\"editedRegions\":\(try Self.encodeJSON(record)),\"automatic\":\(automatic)}"
        }
        let mean = report.vois.map { "\($0.name) \(String(format: "%.2f", $0.meanDoseGy)) Gy" }.joined(separator: ", ")
        return (json, "\(mean) (\(String(format: "%.1f", Date().timeIntervalSince(t0))) s)")
    }
}

/// `POST /api/jobs`, `GET /api/jobs`, `GET /api/jobs/{id}`, `GET /api/jobs/{id}/events` (server-sent events).
struct JobAPI {
    let manager: JobManager
    let maxBodyBytes: Int

    static func requireJobID(_ s: String?) throws -> String {
        guard let s, s.count == 36, s.allSatisfy({ $0.isHexDigit || $0 == "-" }) else { throw HTTPError(.badRequest, message: "invalid job id") }
        return s.lowercased()
    }

    static func encode<T: Encodable>(_ v: T) throws -> [UInt8] {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        return Array(try enc.encode(v))
    }

    func register(on router: Router<ScintiRequestContext>) {
        router.post("/api/jobs") { req, ctx in
            try ctx.require(.runJobs)
            let body: ByteBuffer
            do { body = try await req.body.collect(upTo: maxBodyBytes) } catch { throw HTTPError(.contentTooLarge, message: "job request over \(maxBodyBytes) bytes") }
            let jr: JobRequest
            do { jr = try JSONDecoder().decode(JobRequest.self, from: Data(buffer: body)) } catch {
                throw HTTPError(.badRequest, message: "job request is not valid JSON {\"type\":\"recon\"|\"analysis\"|\"dose\",...}: \(describeDecoding(error))")
            }
            // Edited regions are a correction of a result: their own right, audited as an edit (docs/accounts.md).
            if jr.regions != nil || jr.acceptedTransforms != nil { try ctx.require(.editRegions) }
            let rec = try manager.submit(jr, by: ctx.identity?.name)
            if let accepted = jr.acceptedTransforms, let series = jr.visits?.first?.spect {
                let sp = try manager.archive.studyAndPatient(seriesUID: series)
                try manager.archive.appendAudit(ctx.audit(.edit, patientID: sp?.patientID, studyUID: sp?.study, seriesUID: series,
                                                          detail: "job \(rec.id): registration accepted in review for visit(s) \(accepted.map { String($0.visit) }.joined(separator: ", "))"))
            }
            if let regions = jr.regions, let series = jr.series ?? jr.visits?.first?.spect {
                let sp = try manager.archive.studyAndPatient(seriesUID: series)
                try manager.archive.appendAudit(ctx.audit(.edit, patientID: sp?.patientID, studyUID: sp?.study, seriesUID: series,
                                                          detail: "job \(rec.id): \(jr.analysis ?? jr.type) regions edited: \(regions.map(\.label).joined(separator: ", "))"))
            }
            let series = jr.series ?? jr.visits?.first?.spect
            let sp = try series.flatMap { try manager.archive.studyAndPatient(seriesUID: $0) }
            try manager.archive.appendAudit(ctx.audit(.job, patientID: sp?.patientID, studyUID: sp?.study, seriesUID: series,
                                                      detail: "job \(rec.id) \(jr.type)\(jr.analysis.map { " \($0)" } ?? "") submitted"))
            return bytesResponse(try Self.encode(rec), status: .accepted, contentType: "application/json")
        }
        router.get("/api/jobs") { _, ctx in
            try ctx.require(.view)
            return bytesResponse(try Self.encode(try manager.list()), contentType: "application/json")
        }
        router.get("/api/jobs/:id") { _, ctx in
            try ctx.require(.view)
            guard let rec = try manager.get(try Self.requireJobID(ctx.parameters.get("id"))) else { throw HTTPError(.notFound, message: "no such job") }
            return bytesResponse(try Self.encode(rec), contentType: "application/json")
        }
        router.get("/api/jobs/:id/events") { _, ctx in
            try ctx.require(.view)
            let id = try Self.requireJobID(ctx.parameters.get("id"))
            guard try manager.get(id) != nil else { throw HTTPError(.notFound, message: "no such job") }
            let manager = self.manager
            let body = ResponseBody { writer in
                var last: JobRecord? = nil
                // Bounded: at most one hour of events, one poll every 250 ms.
                for _ in 0..<14_400 {
                    guard let rec = try manager.get(id) else { break }
                    if rec != last {
                        let data = String(decoding: try Self.encode(rec), as: UTF8.self)
                        try await writer.write(ByteBuffer(string: "event: \(rec.state)\ndata: \(data)\n\n"))
                        last = rec
                    }
                    if rec.state == "done" || rec.state == "failed" { break }
                    try await Task.sleep(for: .milliseconds(250))
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [.contentType: "text/event-stream"], body: body)
        }
    }
}
