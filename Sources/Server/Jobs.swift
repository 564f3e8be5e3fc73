import Archive
import DICOM
import Foundation
import GRDB
import Hummingbird
import Synchronization
import Workflows

/// A job's state as stored and served (`GET /api/jobs/{id}`).
public struct JobRecord: Sendable, Codable, Equatable {
    /// Job id (UUID, lower case).
    public var id: String
    /// Job type: `recon`.
    public var type: String
    /// `queued`, `running`, `done` or `failed`.
    public var state: String
    /// Fraction done, 0…1.
    public var progress: Double
    /// Human-readable status or error.
    public var message: String
    /// The request (JSON object as sent, validated).
    public var request: String
    /// The result (JSON: the workflow's result plus `seriesUID`/`studyUID` of the stored output), when done.
    public var result: String?
    /// ISO 8601 creation time.
    public var created: String
}

/// What `POST /api/jobs` takes.
public struct JobRequest: Sendable, Codable {
    /// `recon` (the only type so far).
    public var type: String
    /// Series Instance UID of the SPECT projections (NM TOMO) in the archive.
    public var series: String
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
    /// Radionuclide when the study does not record it (e.g. `Lu-177`), optional.
    public var radionuclide: String?
    /// Photopeak energy window number (1-based), optional (default: the radionuclide's photopeak window).
    public var window: Int?
}

/// Runs jobs one at a time on a background thread and keeps their state in `jobs.sqlite` next to the archive index,
/// so a restarted server lists them and re-runs those it had not finished.
public final class JobManager: Sendable {
    let archive: Archive
    let db: DatabaseQueue
    let workDirectory: String
    let queue = DispatchQueue(label: "scinti.jobs")

    init(archive: Archive, directory: String, workDirectory: String) throws {
        self.archive = archive
        self.workDirectory = workDirectory
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        db = try DatabaseQueue(path: directory + "/jobs.sqlite")
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE job (id TEXT PRIMARY KEY NOT NULL, type TEXT NOT NULL, state TEXT NOT NULL, progress REAL NOT NULL,
                                  message TEXT NOT NULL, request TEXT NOT NULL, result TEXT, created TEXT NOT NULL)
                """)
        }
        try m.migrate(db)
    }

    /// All jobs, newest first.
    public func list() throws -> [JobRecord] {
        try db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM job ORDER BY created DESC").map(Self.record) }
    }

    /// One job.
    public func get(_ id: String) throws -> JobRecord? {
        try db.read { db in try Row.fetchOne(db, sql: "SELECT * FROM job WHERE id = ?", arguments: [id]).map(Self.record) }
    }

    static func record(_ r: Row) -> JobRecord {
        JobRecord(id: r["id"], type: r["type"], state: r["state"], progress: r["progress"], message: r["message"], request: r["request"],
                  result: r["result"], created: r["created"])
    }

    func update(_ id: String, state: String? = nil, progress: Double? = nil, message: String? = nil, result: String? = nil) {
        try? db.write { db in
            if let state { try db.execute(sql: "UPDATE job SET state = ? WHERE id = ?", arguments: [state, id]) }
            if let progress { try db.execute(sql: "UPDATE job SET progress = ? WHERE id = ?", arguments: [progress, id]) }
            if let message { try db.execute(sql: "UPDATE job SET message = ? WHERE id = ?", arguments: [message, id]) }
            if let result { try db.execute(sql: "UPDATE job SET result = ? WHERE id = ?", arguments: [result, id]) }
        }
    }

    /// Validates and records a job, then queues it. Throws 400/404 naming what is wrong.
    public func submit(_ req: JobRequest) throws -> JobRecord {
        guard req.type == "recon" else { throw HTTPError(.badRequest, message: "unknown job type '\(req.type.prefix(32))' (recon)") }
        _ = try requireUID(req.series, "series")
        if let ct = req.ct { _ = try requireUID(ct, "ct") }
        if let a = req.algorithm, ReconAlgorithmName(rawValue: a) == nil {
            throw HTTPError(.badRequest, message: "algorithm must be one of \(ReconAlgorithmName.allCases.map(\.rawValue))")
        }
        if let n = req.iterations, !(1...50).contains(n) { throw HTTPError(.badRequest, message: "iterations must be 1…50") }
        if let n = req.subsets, !(1...64).contains(n) { throw HTTPError(.badRequest, message: "subsets must be 1…64") }
        if let c = req.calibration, !(c > 0 && c.isFinite) { throw HTTPError(.badRequest, message: "calibration must be a positive number (cps/MBq)") }
        if let w = req.window, !(1...64).contains(w) { throw HTTPError(.badRequest, message: "window must be an energy window number 1…64") }
        if let r = req.radionuclide, r.count > 32 || !r.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }) {
            throw HTTPError(.badRequest, message: "radionuclide must be a name such as Lu-177")
        }
        guard try archive.instances(seriesUIDs: [req.series]).count == 1 else {
            throw HTTPError(.notFound, message: "series \(req.series): the projections must be one NM instance in the archive")
        }
        if let ct = req.ct, try archive.instances(seriesUIDs: [ct]).isEmpty { throw HTTPError(.notFound, message: "CT series \(ct) not in the archive") }
        let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
        let rec = JobRecord(id: UUID().uuidString.lowercased(), type: req.type, state: "queued", progress: 0, message: "queued",
                            request: String(decoding: try enc.encode(req), as: UTF8.self), result: nil,
                            created: ISO8601DateFormatter().string(from: Date()))
        try db.write { db in
            try db.execute(sql: "INSERT INTO job (id, type, state, progress, message, request, result, created) VALUES (?,?,?,?,?,?,?,?)",
                           arguments: [rec.id, rec.type, rec.state, rec.progress, rec.message, rec.request, rec.result, rec.created])
        }
        enqueue(rec.id)
        return rec
    }

    /// Re-queues jobs left queued or running by a previous server process.
    public func resumeUnfinished() {
        let ids = (try? db.read { db in try String.fetchAll(db, sql: "SELECT id FROM job WHERE state IN ('queued','running') ORDER BY created") }) ?? []
        for id in ids {
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
        let dir = workDirectory + "/" + id
        do {
            try? FileManager.default.removeItem(atPath: dir)
            try FileManager.default.createDirectory(atPath: dir + "/ct", withIntermediateDirectories: true)
            guard let proj = try archive.instances(seriesUIDs: [req.series]).first else { throw ArchiveError("series \(req.series) no longer in the archive") }
            var o = ReconJob.Options(projections: proj.path, out: dir + "/recon.dcm")
            if let ct = req.ct {
                for (n, i) in try archive.instances(seriesUIDs: [ct]).enumerated() {
                    try FileManager.default.createSymbolicLink(atPath: dir + "/ct/\(n).dcm", withDestinationPath: i.path)
                }
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
            let stored = try archive.importFile(o.out, sourceAE: "SCINTI-JOB")
            let f = try DICOMFile.read(path: o.out, options: ReadOptions(stopBeforePixels: true))
            let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
            var json = String(decoding: try enc.encode(result), as: UTF8.self)
            json.removeLast()
            json += ",\"seriesUID\":\(jsonString(f.dataset.string(.seriesInstanceUID) ?? "")),\"studyUID\":\(jsonString(f.dataset.string(.studyInstanceUID) ?? "")),"
                + "\"stored\":\(jsonString("\(stored)"))}"
            update(id, state: "done", progress: 1, message: "done in \(String(format: "%.1f", result.seconds)) s", result: json)
        } catch {
            update(id, state: "failed", message: "\(error)")
        }
        try? FileManager.default.removeItem(atPath: dir + "/ct")
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

    func register(on router: Router<BasicRequestContext>) {
        router.post("/api/jobs") { req, _ in
            let body: ByteBuffer
            do { body = try await req.body.collect(upTo: maxBodyBytes) } catch { throw HTTPError(.contentTooLarge, message: "job request over \(maxBodyBytes) bytes") }
            let jr: JobRequest
            do { jr = try JSONDecoder().decode(JobRequest.self, from: Data(buffer: body)) } catch {
                throw HTTPError(.badRequest, message: "job request is not valid JSON {\"type\":\"recon\",\"series\":UID,...}: \(error)")
            }
            let rec = try manager.submit(jr)
            return bytesResponse(try Self.encode(rec), status: .accepted, contentType: "application/json")
        }
        router.get("/api/jobs") { _, _ in
            bytesResponse(try Self.encode(try manager.list()), contentType: "application/json")
        }
        router.get("/api/jobs/:id") { _, ctx in
            guard let rec = try manager.get(try Self.requireJobID(ctx.parameters.get("id"))) else { throw HTTPError(.notFound, message: "no such job") }
            return bytesResponse(try Self.encode(rec), contentType: "application/json")
        }
        router.get("/api/jobs/:id/events") { _, ctx in
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
