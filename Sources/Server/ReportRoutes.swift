import Archive
import DICOM
import Foundation
import Hummingbird
import Imaging
import Workflows

/// Report documents, the physician's sign-off and the physicist's approvals:
///
/// - `GET /api/jobs/{id}/reports` (view): the job's documents (SR, result screen, PDF, dose SR), oldest first, and
///   `latest` (the newest SR: what the viewer shows) and `delivery` (their PACS outbox rows).
/// - `GET /api/reports/{uid}/pdf` (view): the PDF inside an Encapsulated PDF document, `application/pdf`; audited.
/// - `POST /api/jobs/{id}/reports` (runJobs): writes the documents again (an amendment: the new SR references the
///   previous one).
/// - `GET /api/jobs/{id}/report-template` (view): the physician's template of the study type (heading, procedure,
///   findings pre-filled from the analysis, a suggested impression with `[interpretation]` to replace).
/// - `POST /api/jobs/{id}/signoff` `{"impression": "...", "amendment": false}` (signReports): the physician's report
///   (template of the study type pre-filled from the analysis, the impression, the signer's name and time) as a
///   VERIFIED SR and the final PDF; a signed result can only be amended (`"amendment": true`, a new document). Audited
///   as `sign`.
/// - `POST /api/jobs/{id}/approve` `{"comment"}` (approveDosimetry, dose jobs) and `POST /api/qc/results/{id}/approve`
///   (approveQC): the physicist's approval, audited as `approve`; a QC approval writes the QC result as SR + PDF into
///   the QC image's study.
struct ReportRoutes {
    let manager: JobManager

    static func body(_ req: Request, limit: Int = 64 * 1024) async throws -> [String: Any] {
        let buffer: ByteBuffer
        do { buffer = try await req.body.collect(upTo: limit) } catch { throw HTTPError(.contentTooLarge, message: "request over \(limit) bytes") }
        if buffer.readableBytes == 0 { return [:] }
        guard let o = try? JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any] else {
            throw HTTPError(.badRequest, message: "the request body must be a JSON object")
        }
        return o
    }

    static func json(_ v: some Encodable) throws -> Response {
        bytesResponse(try JobAPI.encode(v), contentType: "application/json")
    }

    struct Listing: Encodable {
        var documents: [Archive.ResultDocument]
        var latest: Archive.ResultDocument?
        var approvals: [Archive.ResultApproval]
        /// PACS delivery of these documents (outbox rows, one per document × destination).
        var delivery: [Archive.OutboxEntry] = []
    }

    func finishedJob(_ ctx: ScintiRequestContext) throws -> JobRecord {
        let id = try JobAPI.requireJobID(ctx.parameters.get("id"))
        guard let rec = try manager.get(id) else { throw HTTPError(.notFound, message: "no such job \(id)") }
        guard rec.state == "done" else {
            throw HTTPError(.conflict, message: "job \(id) is \(rec.state)\(rec.state == "failed" ? " (\(rec.message))" : ""): no report for a job that has not finished successfully")
        }
        guard rec.type == "analysis" || rec.type == "dose" else { throw HTTPError(.badRequest, message: "job \(id) is a \(rec.type) job: reports are for analysis and dose jobs") }
        return rec
    }

    func store(_ rec: JobRecord, impression: String? = nil, signOff: MeasurementReport.SignOff? = nil) throws -> [Archive.ResultDocument] {
        do {
            return try ResultReports.store(job: rec, archive: manager.archive, workDirectory: manager.workDirectory, impression: impression, signOff: signOff)
        } catch let e as WorkflowError { throw HTTPError(.unprocessableContent, message: e.message) }
    }

    func register(on router: Router<ScintiRequestContext>) {
        let archive = manager.archive
        router.get("/api/jobs/:id/reports") { _, ctx in
            try ctx.require(.view)
            let id = try JobAPI.requireJobID(ctx.parameters.get("id"))
            let docs = try archive.resultDocuments(resultID: id)
            return try Self.json(Listing(documents: docs, latest: docs.last { $0.kind == "sr" }, approvals: try archive.approvals(resultID: id),
                                         delivery: try archive.outboxEntries(resultID: id)))
        }
        router.get("/api/jobs/:id/report-template") { _, ctx in
            try ctx.require(.view)
            let rec = try finishedJob(ctx)
            do { return try Self.json(try ResultReports.template(job: rec, archive: archive)) } catch let e as WorkflowError {
                throw HTTPError(.unprocessableContent, message: e.message)
            }
        }
        router.get("/api/reports/:uid/pdf") { _, ctx in
            try ctx.require(.view)
            let uid = try requireUID(ctx.parameters.get("uid"), "SOP Instance UID")
            guard let inst = try archive.instances(sopUIDs: [uid]).first else { throw HTTPError(.notFound, message: "no instance \(uid)") }
            let ds = try DICOMFile.read(path: inst.path).dataset
            guard ds.string(.sopClassUID) == "1.2.840.10008.5.1.4.1.1.104.1", let pdf = ds[Tag(0x0042, 0x0011)]?.bytes else {
                throw HTTPError(.badRequest, message: "instance \(uid) is not an Encapsulated PDF (SOP Class 1.2.840.10008.5.1.4.1.1.104.1)")
            }
            var bytes = pdf.array
            if bytes.last == 0 { bytes.removeLast() }   // the even-length pad (PS3.3 C.24.2.1)
            try archive.appendAudit(ctx.audit(.view, studyUID: inst.studyUID, seriesUID: inst.seriesUID, instanceUID: uid, detail: "report PDF opened"))
            return bytesResponse(bytes, contentType: "application/pdf")
        }
        router.post("/api/jobs/:id/reports") { _, ctx in
            try ctx.require(.runJobs)
            let rec = try finishedJob(ctx)
            let docs = try store(rec)
            try archive.appendAudit(ctx.audit(.store, studyUID: docs.first?.studyUID, instanceUID: docs.first?.sopInstanceUID,
                                              detail: "job \(rec.id): report documents written again (\(docs.map(\.kind).joined(separator: ", ")))"))
            return try Self.json(docs)
        }
        router.post("/api/jobs/:id/signoff") { req, ctx in
            let who = try ctx.require(.signReports)
            let rec = try finishedJob(ctx)
            let body = try await Self.body(req)
            guard let impression = body["impression"] as? String, !impression.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, impression.count <= 20_000 else {
                throw HTTPError(.badRequest, message: "signoff needs \"impression\": the physician's impression text (1…20000 characters)")
            }
            guard !impression.contains(ReportTemplate.interpretationPlaceholder) else {
                throw HTTPError(.badRequest, message: "the impression still contains \(ReportTemplate.interpretationPlaceholder) of the template: replace it with the interpretation before signing")
            }
            let amendment = body["amendment"] as? Bool ?? false
            let signed = try archive.resultDocuments(resultID: rec.id).contains { $0.signedBy != nil && $0.kind == "sr" }
            if signed && !amendment {
                throw HTTPError(.conflict, message: "job \(rec.id) is already signed: a change is an amendment (send \"amendment\": true); the signed report stays")
            }
            let sign = MeasurementReport.SignOff(name: who.name, organisation: body["organisation"] as? String ?? "", dateTime: ResultReports.dicomDateTime(Date()))
            let docs = try store(rec, impression: impression, signOff: sign)
            let sr = docs.first { $0.kind == "sr" }
            try archive.appendAudit(ctx.audit(.sign, studyUID: sr?.studyUID, instanceUID: sr?.sopInstanceUID,
                                              detail: "job \(rec.id) report \(amendment ? "amended and signed" : "signed") by \(who.name) at \(sign.dateTime); predecessor \(sr?.predecessor ?? "none")"))
            return try Self.json(docs)
        }
        router.post("/api/jobs/:id/approve") { req, ctx in
            let who = try ctx.require(.approveDosimetry)
            let rec = try finishedJob(ctx)
            guard rec.type == "dose" else { throw HTTPError(.badRequest, message: "job \(rec.id) is not a dose job: only dosimetry results are approved here") }
            let comment = String((try await Self.body(req)["comment"] as? String ?? "").prefix(2000))
            let a = try archive.insertApproval(resultID: rec.id, kind: "dose", by: who.name, comment: comment)
            try archive.appendAudit(ctx.audit(.approve, detail: "dosimetry job \(rec.id) approved by \(who.name)\(comment.isEmpty ? "" : ": \(comment)")"))
            return try Self.json(a)
        }
        router.post("/api/qc/results/:id/approve") { req, ctx in
            let who = try ctx.require(.approveQC)
            guard let id = ctx.parameters.get("id").flatMap(Int64.init), id > 0 else { throw HTTPError(.badRequest, message: "QC result id must be a positive integer") }
            guard let r = try archive.qcResults(limit: 100_000).first(where: { $0.id == id }) else { throw HTTPError(.notFound, message: "no QC result \(id)") }
            let comment = String((try await Self.body(req)["comment"] as? String ?? "").prefix(2000))
            let a = try archive.insertApproval(resultID: "qc/\(id)", kind: "qc", by: who.name, comment: comment)
            var docs: [Archive.ResultDocument] = []
            do {
                let (content, study, path) = try ResultReports.qcContent(r, archive: archive, approval: a)
                docs = try ResultReports.store(content, study: study, resultID: "qc/\(id)", nmPath: path, rtDosePath: nil, archive: archive,
                                               workDirectory: manager.workDirectory, kinds: ["sr", "pdf"])
            } catch let e as WorkflowError { throw HTTPError(.unprocessableContent, message: "approved, but the QC report was not written: \(e.message)") }
            try archive.appendAudit(ctx.audit(.approve, studyUID: docs.first?.studyUID, instanceUID: r.sopInstanceUID,
                                              detail: "QC result \(id) (\(r.camera) \(r.test), \(r.status)) approved by \(who.name)\(comment.isEmpty ? "" : ": \(comment)")"))
            return try Self.json(Listing(documents: docs, latest: docs.first { $0.kind == "sr" }, approvals: try archive.approvals(resultID: "qc/\(id)")))
        }
    }
}
