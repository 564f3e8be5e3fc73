import Archive
import Foundation
import Hummingbird
import QC
import Synchronization
import Workflows

/// Automatic QC of received images: looks at every NM instance the archive received (C-STORE or STOW) once,
/// recognises QC acquisitions from the header (``QC/QCRecognition``), runs the test and stores the result.
public enum QCMonitor {
    /// One pass at a time (the periodic pass and `POST /api/qc/scan` would otherwise analyse an instance twice).
    static let passLock = Mutex<Void>(())

    /// One pass over the instances not looked at yet; returns (analysed, not QC or not analysable).
    @discardableResult
    public static func scanOnce(_ archive: Archive, limit: Int = 200) throws -> (analysed: Int, skipped: Int) {
        try passLock.withLock { _ in try pass(archive, limit: limit) }
    }

    static func pass(_ archive: Archive, limit: Int) throws -> (analysed: Int, skipped: Int) {
        var analysed = 0, skipped = 0
        for inst in try archive.unprocessedNMInstances(limit: limit) {
            // Another server on the same PostgreSQL database may be looking at it.
            guard try archive.claimQCInstance(inst.sopInstanceUID) else { continue }
            let outcome = analyse(archive, path: inst.path, sop: inst.sopInstanceUID)
            if outcome == "analysed" { analysed += 1 } else { skipped += 1 }
            try archive.markQCProcessed(inst.sopInstanceUID, outcome: outcome)
        }
        return (analysed, skipped)
    }

    static func analyse(_ archive: Archive, path: String, sop: String) -> String {
        let header: QCImageHeader, source: QCJob.Source
        do { (header, source) = try QCJob.header(path: path) } catch { return "unreadable: \(error)" }
        let test: QCTest
        switch QCRecognition.recognise(header) {
        case .notQC: return "not QC"
        case .unsupported(let why): return "QC, not analysed: \(why)"
        case .test(let t): test = t
        }
        if test == .sensitivity { return "QC, not analysed: sensitivity needs the calibrated source activity (scinti qc sensitivity --activity)" }
        do {
            for r in try QCJob.run(test, files: [path]) {
                try archive.insertQCResult(record(r, sop: sop))
            }
            return "analysed"
        } catch {
            // The statement is the result: stored as an error row so that the banner shows the camera has no valid QC.
            let rec = Archive.QCResultRecord(sopInstanceUID: sop, seriesUID: source.seriesInstanceUID, camera: source.camera, head: nil,
                                             collimator: source.collimator, radionuclide: source.radionuclide, test: test.rawValue,
                                             acquiredAt: source.acquired, status: QCStatus.error.rawValue, metrics: [:], resultJSON: "{}",
                                             summary: "\(error)")
            _ = try? archive.insertQCResult(rec)
            return "analysed"
        }
    }

    static func record(_ r: QCJob.Report, sop: String?) -> Archive.QCResultRecord {
        Archive.QCResultRecord(sopInstanceUID: sop ?? r.source.sopInstanceUID, seriesUID: r.source.seriesInstanceUID, camera: r.source.camera,
                               head: r.source.head, collimator: r.source.collimator, radionuclide: r.source.radionuclide, test: r.test.rawValue,
                               acquiredAt: r.source.acquired, status: r.status.rawValue, metrics: r.metrics,
                               resultJSON: String(decoding: r.resultJSON, as: UTF8.self),
                               summary: r.exceeded.isEmpty ? "within limits" : r.exceeded.joined(separator: "; "))
    }
}

/// The QC routes: results, trends with limits, the daily banner, CSV export, the QC page.
///
/// Rights (for the role checks added with user accounts): reading results, trends, banner and CSV needs a
/// "view QC" right (technologists, physicians, physicists); `POST /api/qc/scan` (re-running the automatic
/// analysis) needs a "run QC" right; approving or overriding a result is not implemented yet (physicist).
struct QCRoutes {
    let archive: Archive
    let viewerDirectory: String

    /// Starts the automatic QC: a pass over newly received instances every `seconds` (for the life of the process).
    static func startMonitor(_ archive: Archive, every seconds: Double = 5) {
        Task.detached(priority: .background) {
            while !Task.isCancelled {
                _ = try? QCMonitor.scanOnce(archive)
                try? await Task.sleep(nanoseconds: UInt64(seconds * 1e9))
            }
        }
    }

    func register(on router: Router<ScintiRequestContext>) {
        let archive = self.archive
        router.get("/api/qc/results") { req, ctx in
            _ = try ctx.require(.view)
            let q = req.uri.queryParameters
            let rows = try archive.qcResults(camera: q.get("camera"), test: try Self.test(q.get("test")), from: q.get("from"), to: q.get("to"))
            return try Self.json(rows.map(Self.object))
        }
        router.get("/api/qc/results.csv") { req, ctx in
            _ = try ctx.require(.view)
            let q = req.uri.queryParameters
            let rows = try archive.qcResults(camera: q.get("camera"), test: try Self.test(q.get("test")), from: q.get("from"), to: q.get("to"))
            var r = textResponse(Archive.qcCSV(rows), contentType: "text/csv; charset=utf-8")
            r.headers[.contentDisposition] = "attachment; filename=\"scinti-qc.csv\""
            return r
        }
        router.get("/api/qc/cameras") { _, ctx in _ = try ctx.require(.view); return try Self.json(try archive.qcCameras()) }
        router.get("/api/qc/trend") { req, ctx in
            _ = try ctx.require(.view)
            let q = req.uri.queryParameters
            guard let camera = q.get("camera"), let t = try Self.test(q.get("test")) else {
                throw HTTPError(.badRequest, message: "trend needs camera= and test= (one of \(QCTest.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let test = QCTest(rawValue: t)!
            let limits = ActionLimits.defaults[test] ?? []
            let metric = q.get("metric") ?? limits.first?.metric
            guard let metric else { throw HTTPError(.badRequest, message: "trend of \(t) needs metric=") }
            let limit = limits.first { $0.metric == metric }
            let rows = try archive.qcResults(camera: camera, test: t)
            let points: [[String: Any]] = rows.map { r in
                var p: [String: Any] = ["acquired": r.acquiredAt ?? r.analysedAt, "status": r.status]
                if let v = r.metrics[metric] { p["value"] = v }
                if let h = r.head { p["head"] = h }
                return p
            }
            var o: [String: Any] = ["camera": camera, "test": t, "metric": metric, "points": points,
                                    "metrics": Array(Set(rows.flatMap { $0.metrics.keys })).sorted()]
            if let limit { o["tolerance"] = limit.tolerance; o["action"] = limit.action; o["absolute"] = limit.absolute }
            return try Self.json(o)
        }
        router.get("/api/qc/banner") { req, ctx in
            _ = try ctx.require(.view)
            let day = req.uri.queryParameters.get("date") ?? String(ISO8601DateFormatter().string(from: Date()).prefix(10))
            guard day.count == 10, day.allSatisfy({ $0.isNumber || $0 == "-" }) else {
                throw HTTPError(.badRequest, message: "date must be YYYY-MM-DD")
            }
            return try Self.json(try Self.banner(archive, day: day))
        }
        router.post("/api/qc/scan") { _, ctx in
            _ = try ctx.require(.runJobs)
            let (a, s) = try QCMonitor.scanOnce(archive, limit: 1000)
            return try Self.json(["analysed": a, "skipped": s])
        }
        let dir = viewerDirectory
        @Sendable func file(_ name: String, _ type: String) throws -> Response {
            guard let data = FileManager.default.contents(atPath: dir + "/" + name) else { throw HTTPError(.notFound, message: "no \(name)") }
            return bytesResponse([UInt8](data), contentType: type)
        }
        router.get("/qc") { _, _ in try file("qc.html", "text/html; charset=utf-8") }
        router.get("/qc/qc.js") { _, _ in try file("qc.js", "text/javascript; charset=utf-8") }
    }

    /// Per camera with a result in the 30 days up to `day`: the day's results and the worst status (pass,
    /// tolerance, fail, or "no QC" when the camera has no result that day). Overall: the worst over the cameras,
    /// ranked fail > no QC > tolerance > pass (a camera without QC may not be used either).
    static func banner(_ archive: Archive, day: String) throws -> [String: Any] {
        let next = nextDay(day), monthBefore = shiftDay(day, by: -30)
        let rank = ["pass": 0, "tolerance": 1, "no QC": 2, "fail": 3]
        var cameras = [[String: Any]]()
        var overall = "pass"
        for cam in try archive.qcCameras() where try !archive.qcResults(camera: cam, from: monthBefore, to: next, limit: 1).isEmpty {
            let rows = try archive.qcResults(camera: cam, from: day, to: next)
            let worst = rows.map { QCStatus(rawValue: $0.status) ?? .error }.max()
            let status = worst.map { $0 == .pass ? "pass" : ($0 == .tolerance ? "tolerance" : "fail") } ?? "no QC"
            if rank[status]! > rank[overall]! { overall = status }
            cameras.append(["camera": cam, "status": status, "results": rows.map { r -> [String: Any] in
                var o: [String: Any] = ["test": r.test, "status": r.status, "summary": r.summary, "acquired": r.acquiredAt ?? r.analysedAt]
                if let h = r.head { o["head"] = h }
                return o
            }])
        }
        return ["date": day, "overall": cameras.isEmpty ? "no QC" : overall, "cameras": cameras]
    }

    static func nextDay(_ day: String) -> String { shiftDay(day, by: 1) }

    static func shiftDay(_ day: String, by days: Int) -> String {
        let f = DateFormatter(); f.dateFormat = "yyyy-MM-dd"; f.timeZone = TimeZone(identifier: "UTC"); f.locale = Locale(identifier: "en_US_POSIX")
        guard let d = f.date(from: day) else { return day }
        return f.string(from: d.addingTimeInterval(Double(days) * 86400))
    }

    static func test(_ s: String?) throws -> String? {
        guard let s else { return nil }
        guard QCTest(rawValue: s) != nil else {
            throw HTTPError(.badRequest, message: "unknown QC test \(s.prefix(40)); allowed: \(QCTest.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return s
    }

    static func object(_ r: Archive.QCResultRecord) -> [String: Any] {
        var o: [String: Any] = ["id": r.id ?? 0, "camera": r.camera, "test": r.test, "status": r.status, "summary": r.summary,
                                "analysedAt": r.analysedAt, "metrics": r.metrics]
        if let v = r.acquiredAt { o["acquiredAt"] = v }
        if let v = r.head { o["head"] = v }
        if let v = r.collimator { o["collimator"] = v }
        if let v = r.radionuclide { o["radionuclide"] = v }
        if let v = r.sopInstanceUID { o["sopInstanceUID"] = v }
        if let v = r.seriesUID { o["seriesInstanceUID"] = v }
        if let j = try? JSONSerialization.jsonObject(with: Data(r.resultJSON.utf8)) { o["result"] = j }
        return o
    }

    static func json(_ o: Any) throws -> Response {
        let d = try JSONSerialization.data(withJSONObject: o, options: [.sortedKeys])
        return bytesResponse([UInt8](d), contentType: "application/json")
    }
}
