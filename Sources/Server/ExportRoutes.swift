import Archive
import DICOM
import Deidentification
import Foundation
import Hummingbird

/// `GET /api/studies/{uid}/export?profile=…`: a study of the archive de-identified (PS3.15 Annex E) as a zip.
///
/// `profile` is `basic` (default), `quantitative` (Modified Dates, Retain Patient Characteristics, Retain Safe
/// Private, Clean Descriptors) or a comma-separated list of option names (`modified-dates`,
/// `retain-patient-characteristics`, `retain-device`, `retain-institution`, `retain-uids`, `retain-safe-private`,
/// `clean-descriptors`, `full-dates`, `clean-structured-content`, `clean-graphics`). The secret is the archive's
/// `deid-secret` file (32 random bytes made on first use, mode 0600), so that every export of a patient gets the same
/// pseudonym, date offset and UIDs; the encrypted pseudonym map of each export is kept beside it in `deid-maps/`.
/// Objects refused for their pixels are named in the `X-Scinti-Not-Exported` header.
struct ExportRoutes {
    let archive: Archive
    let directory: String

    func register(on router: Router<ScintiRequestContext>) {
        router.get("/api/studies/:study/export") { req, ctx in
            _ = try ctx.require(.export)
            let uid = try requireUID(ctx.parameters.get("study"), "Study Instance UID")
            let profile: DeidentificationProfile
            do { profile = try DeidentificationProfile(parsing: req.uri.queryParameters.get("profile") ?? "basic") } catch let e as DeidentificationError {
                throw HTTPError(.badRequest, message: e.description)
            }
            let instances = try self.archive.instances(studyUIDs: [uid])
            guard !instances.isEmpty else { throw HTTPError(.notFound, message: "no study \(uid) in the archive") }
            let secret = try ExportRoutes.secret(in: self.directory)
            let deid = try Deidentifier(profile: profile, secret: secret)
            let export = DeidentificationExport(items: instances.map {
                .init(source: $0.path, relativePath: deid.exportPath(seriesUID: $0.seriesUID, sopInstanceUID: $0.sopInstanceUID))
            })
            var zip = StoredZip()
            let report: DeidentificationExport.Report
            do {
                report = try export.run(deid) { (path, bytes) throws(DeidentificationError) in try zip.add(path: path, bytes: bytes) }
            } catch {
                throw HTTPError(.unprocessableContent, message: "export failed: \(error)")
            }
            let newStudy = profile.options.contains(.retainUIDs) ? uid : deid.remappedUID(uid)
            try ExportRoutes.keepMap(report.map, secret: secret, directory: self.directory, name: newStudy)
            // Who exported what, with which profile (docs/accounts.md): one audit record per export.
            let codes = ([basicProfileCode] + profile.options.map(\.code)).joined(separator: ",")
            let refused = report.skipped.isEmpty ? "" : "; not exported: \(report.skipped.count)"
            try self.archive.appendAudit(ctx.audit(.export, studyUID: uid,
                                                   detail: "de-identified as study \(newStudy), profile codes \(codes), \(report.written.count) files\(refused)"))
            let bytes = zip.bytes
            var headers: HTTPFields = [.contentType: "application/zip", .contentLength: String(bytes.count),
                                       .contentDisposition: "attachment; filename=\"\(newStudy).zip\""]
            if !report.skipped.isEmpty, let name = HTTPFields.Element.Name("X-Scinti-Not-Exported") {
                headers[name] = report.skipped.map { URL(fileURLWithPath: $0.file).lastPathComponent + ": " + $0.reason }
                    .joined(separator: "; ").filter { $0.isASCII && $0 != "\r" && $0 != "\n" }
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// The archive's de-identification secret, created (32 random bytes, mode 0600) on first use.
    static func secret(in directory: String) throws -> [UInt8] {
        let path = directory + "/deid-secret"
        if let data = FileManager.default.contents(atPath: path) { return Array(data) }
        var g = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: 0...255, using: &g) }
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes), attributes: [.posixPermissions: 0o600]) else {
            throw HTTPError(.internalServerError, message: "cannot create the de-identification secret in the archive")
        }
        return bytes
    }

    /// Keeps the encrypted pseudonym map of one export in `deid-maps/` (merged with an earlier export of the study).
    static func keepMap(_ map: PseudonymMap, secret: [UInt8], directory: String, name: String) throws {
        let folder = directory + "/deid-maps"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let path = folder + "/" + name + ".map"
        var merged = map
        if let old = FileManager.default.contents(atPath: path) { merged.merge(try PseudonymMap.open(Array(old), secret: secret, file: path)) }
        try AtomicFile.write(merged.sealed(secret: secret), to: path)
    }
}
