import Archive
import DICOM
import Foundation
import Hummingbird
import Rendering

/// DICOMweb (PS3.18) over the archive: QIDO-RS search, WADO-RS retrieve (instances, metadata, frames, rendered,
/// thumbnails) and STOW-RS store, under `/dicom-web/`.
struct DICOMWeb {
    let archive: Archive
    let maxUploadBytes: Int

    func register(on router: Router<ScintiRequestContext>) {
        let r = router.group("/dicom-web")
        // Every handler's work (SQLite, file reads, decoding) runs off the cooperative pool.
        func get(_ path: RouterPath, _ body: @escaping @Sendable (Request, ScintiRequestContext) throws -> Response) {
            r.get(path) { req, ctx in try ctx.require(.view); return try await offload { try body(req, ctx) } }
        }
        // QIDO-RS
        get("/studies") { req, _ in try self.search(req, level: .study, study: nil, series: nil) }
        get("/series") { req, _ in try self.search(req, level: .series, study: nil, series: nil) }
        get("/instances") { req, _ in try self.search(req, level: .image, study: nil, series: nil) }
        get("/studies/:study/series") { req, ctx in let (st, _, _) = try uids(ctx); return try self.search(req, level: .series, study: st, series: nil) }
        get("/studies/:study/instances") { req, ctx in let (st, _, _) = try uids(ctx); return try self.search(req, level: .image, study: st, series: nil) }
        get("/studies/:study/series/:series/instances") { req, ctx in
            let (st, se, _) = try uids(ctx); return try self.search(req, level: .image, study: st, series: se)
        }
        // WADO-RS
        get("/studies/:study") { req, ctx in let (st, _, _) = try uids(ctx); return try self.retrieve(req, study: st, series: nil, instance: nil) }
        get("/studies/:study/series/:series") { req, ctx in
            let (st, se, _) = try uids(ctx); return try self.retrieve(req, study: st, series: se, instance: nil)
        }
        get("/studies/:study/series/:series/instances/:instance") { req, ctx in
            let (st, se, i) = try uids(ctx); return try self.retrieve(req, study: st, series: se, instance: i)
        }
        get("/studies/:study/metadata") { req, ctx in let (st, _, _) = try uids(ctx); return try self.metadata(req, study: st, series: nil, instance: nil) }
        get("/studies/:study/series/:series/metadata") { req, ctx in
            let (st, se, _) = try uids(ctx); return try self.metadata(req, study: st, series: se, instance: nil)
        }
        get("/studies/:study/series/:series/instances/:instance/metadata") { req, ctx in
            let (st, se, i) = try uids(ctx); return try self.metadata(req, study: st, series: se, instance: i)
        }
        get("/studies/:study/series/:series/instances/:instance/frames/:frames") { req, ctx in
            let (st, se, i) = try uids(ctx); return try self.frames(req, study: st, series: se, instance: i, list: ctx.parameters.get("frames") ?? "")
        }
        get("/studies/:study/series/:series/instances/:instance/rendered") { req, ctx in
            let (st, se, i) = try uids(ctx); return try self.rendered(req, study: st, series: se, instance: i, frame: nil)
        }
        get("/studies/:study/series/:series/instances/:instance/frames/:frames/rendered") { req, ctx in
            let (st, se, i) = try uids(ctx)
            guard let f = Int(ctx.parameters.get("frames") ?? ""), f >= 1 else { throw HTTPError(.badRequest, message: "rendered frame must be one frame number ≥ 1") }
            return try self.rendered(req, study: st, series: se, instance: i, frame: f)
        }
        get("/studies/:study/series/:series/thumbnail") { req, ctx in
            let (st, se, _) = try uids(ctx); return try self.thumbnail(req, study: st, series: se)
        }
        // STOW-RS
        r.post("/studies") { req, ctx in try ctx.require(.store); return try await self.store(req, study: nil, context: ctx) }
        r.post("/studies/:study") { req, ctx in
            try ctx.require(.store)
            return try await self.store(req, study: try requireUID(ctx.parameters.get("study"), "Study Instance UID"), context: ctx)
        }
    }

    // MARK: QIDO-RS

    /// Default return attributes per level (PS3.18 Table 10.6.3-3/4/5).
    static let defaultKeys: [QueryLevel: [String]] = [
        .study: ["StudyDate", "StudyTime", "AccessionNumber", "ModalitiesInStudy", "ReferringPhysicianName", "PatientName", "PatientID",
                 "PatientBirthDate", "PatientSex", "StudyInstanceUID", "StudyID", "NumberOfStudyRelatedSeries",
                 "NumberOfStudyRelatedInstances", "StudyDescription"],
        .series: ["Modality", "SeriesDescription", "SeriesNumber", "SeriesInstanceUID", "NumberOfSeriesRelatedInstances",
                  "PerformedProcedureStepStartDate", "PerformedProcedureStepStartTime", "StudyInstanceUID", "SeriesDate", "SeriesTime"],
        .image: ["SOPClassUID", "SOPInstanceUID", "InstanceNumber", "Rows", "Columns", "BitsAllocated", "NumberOfFrames",
                 "StudyInstanceUID", "SeriesInstanceUID"],
    ]
    /// What `includefield=all` adds: the attributes the viewer and common clients use.
    static let allKeys = ["PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime", "StudyDescription",
                          "AccessionNumber", "StudyID", "Modality", "SeriesDescription", "SeriesNumber", "SeriesDate", "SeriesTime",
                          "FrameOfReferenceUID", "ImageType", "Rows", "Columns", "NumberOfFrames", "InstanceNumber", "SOPClassUID",
                          "Manufacturer", "ManufacturerModelName", "BodyPartExamined", "ProtocolName", "Units", "PixelSpacing",
                          "SliceThickness", "ImageOrientationPatient", "ImagePositionPatient", "ActualFrameDuration"]

    static func tag(_ key: String) -> Tag? {
        if key.count == 8, key.allSatisfy(\.isHexDigit), let t = Tag(hex: key) { return t }
        return DataDictionary.tag(forKeyword: key)
    }

    static func emptyKey(_ d: inout Dataset, _ t: Tag) {
        guard !d.contains(t) else { return }
        let vr = DataDictionary.entry(for: t)?.vr ?? .UN
        d.set(Element(tag: t, vr: vr, value: vr == .SQ ? .sequence([]) : .bytes(.empty)))
    }

    /// Builds the C-FIND identifier from the URL (PS3.18 §8.3.4): `{attributeID}={value}` match keys (keyword or
    /// tag; UIDs as comma-separated lists), `includefield`, `limit`, `offset`, `fuzzymatching` (accepted, not applied).
    func identifier(_ req: Request, level: QueryLevel, study: String?, series: String?) throws -> (Dataset, limit: Int?, offset: Int) {
        var id = Dataset()
        id.set(Tag(0x0008, 0x0052), .CS, level.rawValue)
        var limit: Int? = nil, offset = 0
        var matches: [(Tag, [String])] = []
        for (k, v) in req.uri.queryParameters {
            let key = String(k), value = String(v)
            guard value.utf8.count <= 1024 else { throw HTTPError(.badRequest, message: "query value of \(key.prefix(64)) longer than 1024 bytes") }
            switch key.lowercased() {
            case "limit":
                guard let n = Int(value), n >= 0 else { throw HTTPError(.badRequest, message: "limit must be a non-negative integer, got '\(value.prefix(32))'") }
                limit = n
            case "offset":
                guard let n = Int(value), n >= 0 else { throw HTTPError(.badRequest, message: "offset must be a non-negative integer, got '\(value.prefix(32))'") }
                offset = n
            case "fuzzymatching", "token": continue
            case "includefield":
                for f in value.split(separator: ",").map(String.init) {
                    if f == "all" { for a in Self.allKeys { if let t = Self.tag(a) { Self.emptyKey(&id, t) } }; continue }
                    guard let t = Self.tag(f) else { throw HTTPError(.badRequest, message: "includefield: unknown attribute '\(f.prefix(64))'") }
                    Self.emptyKey(&id, t)
                }
            default:
                if key.contains(".") { throw HTTPError(.badRequest, message: "sequence (dotted) matching keys are not supported: \(key.prefix(64))") }
                guard let t = Self.tag(key), let entry = DataDictionary.entry(for: t) else {
                    throw HTTPError(.badRequest, message: "unknown query attribute '\(key.prefix(64))' (a DICOM keyword or 8 hex digits)")
                }
                let values = entry.vr == .UI ? value.split(separator: ",").map(String.init) : [value]
                if entry.vr == .UI, let bad = values.first(where: { !UIDGenerator.isValid($0) && !$0.isEmpty }) {
                    throw HTTPError(.badRequest, message: "invalid UID '\(bad.prefix(80))' for \(entry.keyword)")
                }
                matches.append((t, values))
            }
        }
        for k in Self.defaultKeys[level] ?? [] { if let t = Self.tag(k) { Self.emptyKey(&id, t) } }
        for (t, values) in matches { id.set(t, DataDictionary.entry(for: t)!.vr, strings: values) }
        if let study { id.set(.studyInstanceUID, .UI, study) }
        if let series { id.set(.seriesInstanceUID, .UI, series) }
        return (id, limit, offset)
    }

    func search(_ req: Request, level: QueryLevel, study: String?, series: String?) throws -> Response {
        let (id, limit, offset) = try identifier(req, level: level, study: study, series: series)
        var results: [Dataset]
        let cap = min(limit ?? Self.maxResults, Self.maxResults)
        // Offset and limit (one more than returned, to know whether there are more) go to the archive's SQL.
        do { results = try archive.find(identifier: id, studyRoot: true, offset: offset, limit: cap + 1) } catch let e as QueryFailure {
            throw HTTPError(.badRequest, message: e.message)
        }
        var truncated = false
        if results.count > cap { truncated = limit == nil || limit! > Self.maxResults; results = Array(results.prefix(cap)) }
        let base = baseURL(req)
        let body = "[" + results.map { r -> String in
            var d = r
            d.remove(Tag(0x0008, 0x0052))
            if let st = d.string(.studyInstanceUID) {
                var url = base + "/dicom-web/studies/" + st
                if level != .study, let se = d.string(.seriesInstanceUID) { url += "/series/" + se }
                if level == .image, let i = d.string(.sopInstanceUID) { url += "/instances/" + i }
                d.set(Tag(0x0008, 0x1190), .UR, url)
            }
            return DICOMJSON.encode(d)
        }.joined(separator: ",") + "]"
        var response = textResponse(body, contentType: "application/dicom+json")
        if truncated {
            // PS3.18 §8.3.4.4.1: more matches than returned.
            response.headers[HTTPFields.Element.Name("Warning")!] = "299 scinti: \"The number of results exceeded the maximum supported by the server. Additional results can be requested.\""
        }
        return response
    }

    /// At most this many QIDO results per request (more with `offset`).
    static let maxResults = 10_000

    // MARK: WADO-RS

    /// The instances under a study/series/instance, 404 when none.
    func select(study: String, series: String?, instance: String?) throws -> [Archive.Instance] {
        let found = try archive.instances(studyUIDs: [study], seriesUIDs: series.map { [$0] }, sopUIDs: instance.map { [$0] })
        guard !found.isEmpty else {
            throw HTTPError(.notFound, message: "no \(instance != nil ? "instance \(instance!)" : series != nil ? "series \(series!)" : "study \(study)") in the archive")
        }
        return found
    }

    /// The transfer syntax a WADO-RS instance request asks for (PS3.18 §8.7.3): the `transfer-syntax` parameter of
    /// an acceptable `multipart/related; type="application/dicom"` (or `application/dicom`) media range; `*` means as
    /// stored. Without the parameter the default is Explicit VR Little Endian (PS3.18 Table 8.7.3-2). Returns nil for
    /// "as stored"; throws 406 when nothing acceptable can be produced (the writer makes the native syntaxes,
    /// deflate and RLE Lossless; other compressed syntaxes only as stored).
    static func requestedTransferSyntax(accept: String?) throws -> TransferSyntax? {
        guard let accept, !accept.isEmpty else { return .explicitVRLittleEndian }
        var unsupported: [String] = []
        for range in Multipart.splitAccept(accept) {
            let (type, params) = Multipart.parseMediaType(range)
            let related = type == "multipart/related" && (params["type"].map { $0.lowercased() == "application/dicom" } ?? true)
            guard type == "*/*" || type == "application/dicom" || related || type == "multipart/*" else { continue }
            guard let ts = params["transfer-syntax"] else { return .explicitVRLittleEndian }
            if ts == "*" { return nil }
            let syntax = TransferSyntax(uid: ts)
            if DICOMWriter.writableSyntaxes.contains(syntax) { return syntax }
            unsupported.append(String(ts.prefix(64)))
        }
        if !unsupported.isEmpty {
            throw HTTPError(.notAcceptable, message: "cannot transcode to transfer syntax \(unsupported.joined(separator: ", ")); available: "
                            + DICOMWriter.writableSyntaxes.map(\.uid).joined(separator: ", ") + " or * (as stored)")
        }
        throw HTTPError(.notAcceptable, message: "instances are served as multipart/related; type=\"application/dicom\"")
    }

    /// WADO-RS instances: every instance as a Part 10 part, transcoded when the request asks for another transfer
    /// syntax than the one stored (pixel data decoded and re-encoded; the parts name their `transfer-syntax`).
    func retrieve(_ req: Request, study: String, series: String?, instance: String?) throws -> Response {
        let wanted = try Self.requestedTransferSyntax(accept: req.headers[.accept])
        let found = try select(study: study, series: series, instance: instance)
        var parts: [(contentType: String, body: [UInt8])] = []
        for i in found {
            guard let data = FileManager.default.contents(atPath: i.path) else { throw HTTPError(.internalServerError, message: "archived file of \(i.sopInstanceUID) unreadable") }
            let bytes = [UInt8](data)
            guard let wanted else { parts.append(("application/dicom", bytes)); continue }
            // The header alone says whether the stored syntax is already the one asked for (the usual case); the
            // pixel data is parsed only to transcode.
            let file: DICOMFile
            do {
                let head = try DICOMFile(parsing: DICOMBytes(bytes), source: i.path, options: ReadOptions(stopBeforePixels: true))
                if head.transferSyntax == wanted {
                    parts.append(("application/dicom; transfer-syntax=\(wanted.uid)", bytes))
                    continue
                }
                file = try DICOMFile(parsing: DICOMBytes(bytes), source: i.path)
            } catch {
                throw HTTPError(.internalServerError, message: "archived file of \(i.sopInstanceUID) unreadable: \(error)")
            }
            do {
                let (bytes, _) = try DICOMWriter.encode(file, options: WriteOptions(transferSyntax: wanted))
                parts.append(("application/dicom; transfer-syntax=\(wanted.uid)", bytes))
            } catch {
                throw HTTPError(.notAcceptable, message: "instance \(i.sopInstanceUID) (\(file.transferSyntax.name)) cannot be transcoded to \(wanted.name): \(error.message); ask for transfer-syntax=*")
            }
        }
        let boundary = Multipart.newBoundary()
        let type = wanted.map { "multipart/related; type=\"application/dicom\"; transfer-syntax=\($0.uid); boundary=\(boundary)" }
            ?? "multipart/related; type=\"application/dicom\"; boundary=\(boundary)"
        return bytesResponse(Multipart.encode(parts, boundary: boundary), contentType: type)
    }

    func metadata(_ req: Request, study: String, series: String?, instance: String?) throws -> Response {
        let found = try select(study: study, series: series, instance: instance)
        let base = baseURL(req)
        var out: [String] = []
        for i in found {
            let file: DICOMFile
            do { file = try DICOMFile.read(path: i.path, options: ReadOptions(stopBeforePixels: true)) } catch {
                throw HTTPError(.internalServerError, message: "archived file of \(i.sopInstanceUID) unreadable: \(error)")
            }
            let url = "\(base)/dicom-web/studies/\(i.studyUID)/series/\(i.seriesUID)/instances/\(i.sopInstanceUID)"
            var json = DICOMJSON.encode(file.dataset, options: DICOMJSON.Options(bulkDataThreshold: 4096, bulkDataBase: url + "/bulkdata"))
            // Pixel data (not parsed here): point at the frames resource.
            let n = file.dataset.int(.numberOfFrames) ?? 1
            if file.dataset.contains(.rows), json.hasSuffix("}") {
                json.removeLast()
                json += (json.count > 1 ? "," : "") + "\"7FE00010\":{\"vr\":\"OW\",\"BulkDataURI\":\"\(url)/frames/\((1...max(1, n)).map(String.init).joined(separator: ","))\"}}"
            }
            out.append(json)
        }
        return textResponse("[" + out.joined(separator: ",") + "]", contentType: "application/dicom+json")
    }

    /// Parses a frame list `1,3,5` (1-based; at most 4096 frames).
    static func frameList(_ s: String) throws -> [Int] {
        let items = s.split(separator: ",", omittingEmptySubsequences: false)
        guard !items.isEmpty, items.count <= 4096 else { throw HTTPError(.badRequest, message: "frame list must name 1…4096 frames") }
        return try items.map { x in
            guard let n = Int(x), n >= 1 else { throw HTTPError(.badRequest, message: "invalid frame number '\(x.prefix(16))' (1-based)") }
            return n
        }
    }

    func decode(_ i: Archive.Instance, frames: [Int]) throws -> (PixelArray, DICOMFile) {
        let file: DICOMFile
        do { file = try DICOMFile.read(path: i.path) } catch { throw HTTPError(.internalServerError, message: "\(i.sopInstanceUID): \(error)") }
        guard file.dataset.contains(.rows) else { throw HTTPError(.notFound, message: "instance \(i.sopInstanceUID) has no pixel data") }
        let n = file.dataset.int(.numberOfFrames) ?? 1
        if let bad = frames.first(where: { $0 > n }) { throw HTTPError(.notFound, message: "frame \(bad) of \(i.sopInstanceUID): the instance has \(n) frame(s)") }
        do { return (try PixelData.decode(file, frames: frames.map { $0 - 1 }), file) } catch {
            throw HTTPError(.internalServerError, message: "\(i.sopInstanceUID): cannot decode pixel data: \(error.message)")
        }
    }

    /// Frames as native little-endian stored values (decompressed), one part per frame.
    func frames(_ req: Request, study: String, series: String, instance: String, list: String) throws -> Response {
        let wanted = try Self.frameList(list)
        let i = try select(study: study, series: series, instance: instance)[0]
        let (px, _) = try decode(i, frames: wanted)
        let per = px.rows * px.columns * px.samplesPerPixel * px.type.width
        let parts = (0..<px.frames).map { k in (contentType: "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1",
                                               body: Array(px.data[(k * per)..<min(px.data.count, (k + 1) * per)])) }
        let boundary = Multipart.newBoundary()
        return bytesResponse(Multipart.encode(parts, boundary: boundary),
                             contentType: "multipart/related; type=\"application/octet-stream\"; boundary=\(boundary)")
    }

    /// A frame rendered to PNG: Modality LUT (rescale), then `window=centre,width[,linear]` (the standard's LINEAR
    /// function; default: the frame's
    /// minimum–maximum) and `colormap=gray|inverseGray|hot|rainbow` (default gray; MONOCHROME1 shown inverted).
    func rendered(_ req: Request, study: String, series: String, instance: String, frame: Int?) throws -> Response {
        let i = try select(study: study, series: series, instance: instance)[0]
        return try renderPNG(i, frame: frame ?? 1, query: req.uri.queryParameters)
    }

    func renderPNG(_ i: Archive.Instance, frame: Int, query: Parameters) throws -> Response {
        let (px, file) = try decode(i, frames: [frame])
        guard px.samplesPerPixel == 1 else { throw HTTPError(.notAcceptable, message: "rendering of colour images is not supported") }
        let values = PixelData.applyRescale(px, dataset: file.dataset)
        var low = values.min() ?? 0, high = values.max() ?? 1
        if let w = query.get("window") {
            let p = w.split(separator: ",").map { Float($0.trimmingCharacters(in: .whitespaces)) }
            guard p.count >= 2, let c = p[0], let width = p[1], width > 0 else {
                throw HTTPError(.badRequest, message: "window must be centre,width[,linear] with width > 0")
            }
            guard width >= 1 else { throw HTTPError(.badRequest, message: "window width must be ≥ 1") }
            // PS3.3 C.11.2.1.2.1 (LINEAR): x ≤ c − ½ − (w−1)/2 → black, x > c − ½ + (w−1)/2 → white.
            low = c - 0.5 - (width - 1) / 2; high = c - 0.5 + (width - 1) / 2
        }
        var map = ColorMap.gray
        if let m = query.get("colormap") {
            guard let cm = ColorMap(rawValue: m) else { throw HTTPError(.badRequest, message: "colormap must be one of \(ColorMap.allCases.map(\.rawValue))") }
            map = cm
        } else if file.dataset.string(.photometricInterpretation) == "MONOCHROME1" { map = .inverseGray }
        let raster = Render.colour(Plane(width: px.columns, height: px.rows, values: values), low: low, high: high, map: map)
        do { return bytesResponse(try PNG.encode(raster), contentType: "image/png") } catch {
            throw HTTPError(.internalServerError, message: "PNG encoding failed: \(error.message)")
        }
    }

    /// The middle frame of the middle instance of a series, rendered (window minimum–maximum).
    func thumbnail(_ req: Request, study: String, series: String) throws -> Response {
        let found = try select(study: study, series: series, instance: nil).filter { $0.header.contains(.rows) }
        guard !found.isEmpty else { throw HTTPError(.notFound, message: "series \(series) has no images") }
        let sorted = found.sorted { ($0.header.int(.instanceNumber) ?? 0) < ($1.header.int(.instanceNumber) ?? 0) }
        let i = sorted[sorted.count / 2]
        let n = i.header.int(.numberOfFrames) ?? 1
        return try renderPNG(i, frame: n / 2 + 1, query: req.uri.queryParameters)
    }

    // MARK: STOW-RS

    /// One instance of a STOW request, parsed and checked before anything is stored.
    struct Upload {
        var file: DICOMFile
        var bytes: [UInt8]
        var sopClass: String
        var sopInstance: String
        var study: String
        var failure: String?
    }

    /// Stores a `multipart/related; type="application/dicom"` body. The whole body is parsed and every part
    /// checked first: a malformed body (bad multipart framing, a part that is not a DICOM Part 10 object) is 400
    /// and nothing is stored. Instances are then stored through the archive's durable path (the same as C-STORE);
    /// the response is the Store Instances Response Module (PS3.18 §10.5.3) as DICOM JSON: 200 all stored, 202 some
    /// failed, 409 none stored.
    func store(_ req: Request, study: String?, context: ScintiRequestContext? = nil) async throws -> Response {
        guard let ct = req.headers[.contentType] else { throw HTTPError(.unsupportedMediaType, message: "Content-Type multipart/related; type=\"application/dicom\" required") }
        let (type, params) = Multipart.parseMediaType(ct)
        guard type == "multipart/related" else { throw HTTPError(.unsupportedMediaType, message: "STOW-RS takes multipart/related, got \(type.prefix(64))") }
        if let t = params["type"], t.lowercased() != "application/dicom" {
            throw HTTPError(.unsupportedMediaType, message: "only type=\"application/dicom\" parts are accepted, got \(t.prefix(64))")
        }
        guard let boundary = params["boundary"] else { throw HTTPError(.badRequest, message: "multipart/related without boundary") }
        let buffer: ByteBuffer
        do { buffer = try await req.body.collect(upTo: maxUploadBytes) } catch {
            throw HTTPError(.contentTooLarge, message: "upload larger than the limit of \(maxUploadBytes) bytes")
        }
        let base = baseURL(req)
        return try await offload { try self.storeBody([UInt8](buffer: buffer), boundary: boundary, study: study, base: base, context: context) }
    }

    /// Splits and checks the whole body, then stores (blocking: runs through ``offload(_:)``).
    /// Stores the parts; with a request context, each part is recorded in the audit trail (study, series and
    /// instance UIDs, stored or not).
    func storeBody(_ body: [UInt8], boundary: String, study: String?, base: String, context: ScintiRequestContext? = nil) throws -> Response {
        let parts: [MultipartPart]
        do { parts = try Multipart.parse(body, boundary: boundary) } catch { throw HTTPError(.badRequest, message: "malformed multipart body: \(error.message)") }
        guard !parts.isEmpty else { throw HTTPError(.badRequest, message: "multipart body has no parts") }
        var uploads: [Upload] = []
        for (n, p) in parts.enumerated() {
            if let t = p.contentType, !Multipart.parseMediaType(t).type.hasPrefix("application/dicom") {
                throw HTTPError(.badRequest, message: "part \(n + 1): Content-Type \(t.prefix(64)) is not application/dicom")
            }
            guard p.body.count >= 132, p.body[128] == 0x44, p.body[129] == 0x49, p.body[130] == 0x43, p.body[131] == 0x4D else {
                throw HTTPError(.badRequest, message: "part \(n + 1): not a DICOM Part 10 object (no DICM prefix)")
            }
            let file: DICOMFile
            do { file = try DICOMFile(parsing: DICOMBytes(p.body)) } catch {
                throw HTTPError(.badRequest, message: "part \(n + 1): cannot parse: \(error)")
            }
            // Whole data set, pixel data included: decode nothing, but the parser has walked every element.
            guard let sc = file.sopClassUID, UIDGenerator.isValid(sc), let si = file.dataset.string(.sopInstanceUID), UIDGenerator.isValid(si) else {
                throw HTTPError(.badRequest, message: "part \(n + 1): missing or invalid SOP Class/Instance UID")
            }
            let st = file.dataset.string(.studyInstanceUID) ?? ""
            var u = Upload(file: file, bytes: p.body, sopClass: sc, sopInstance: si, study: st)
            if !UIDGenerator.isValid(st) { u.failure = "missing or invalid Study Instance UID" }
            else if let study, st != study { u.failure = "Study Instance UID \(st) differs from the request's \(study)" }
            else if !UIDGenerator.isValid(file.dataset.string(.seriesInstanceUID) ?? "") { u.failure = "missing or invalid Series Instance UID" }
            uploads.append(u)
        }
        let (referenced, failed) = storeAll(uploads, base: base)
        if let context {
            // One transaction for the request's audit records.
            let stored = Set(referenced.compactMap { $0.string(Tag(0x0008, 0x1155)) })
            try archive.appendAudits(uploads.map { u in
                context.audit(.store, outcome: stored.contains(u.sopInstance) ? "success" : "failure",
                              patientID: u.file.dataset.string(.patientID), studyUID: u.study,
                              seriesUID: u.file.dataset.string(.seriesInstanceUID), instanceUID: u.sopInstance,
                              detail: "STOW-RS" + (u.failure.map { ": \($0)" } ?? ""))
            })
        }
        var response = Dataset()
        if let study { response.set(Tag(0x0008, 0x1190), .UR, "\(base)/dicom-web/studies/\(study)") }
        if !failed.isEmpty { response.set(Tag(0x0008, 0x1198), sequence: failed) }
        if !referenced.isEmpty { response.set(Tag(0x0008, 0x1199), sequence: referenced) }
        let status: HTTPResponse.Status = failed.isEmpty ? .ok : referenced.isEmpty ? .conflict : .accepted
        return textResponse(DICOMJSON.encode(response), status: status, contentType: "application/dicom+json")
    }

    /// Stores checked uploads — written one by one, then made durable together (they share the archive's group
    /// commit: one flush and one index transaction for the request's instances); returns the Referenced and Failed SOP
    /// Sequence items.
    func storeAll(_ uploads: [Upload], base: String) -> ([Dataset], [Dataset]) {
        var referenced: [Dataset] = [], failed: [Dataset] = []
        var written: [Int: Result<IncomingFile, any Error>] = [:]
        for (k, u) in uploads.enumerated() where u.failure == nil { written[k] = Result { try writeIncoming(u) } }
        let files = uploads.indices.compactMap { k -> IncomingFile? in if case .success(let f)? = written[k] { return f }; return nil }
        var committed = archive.commit(files).makeIterator()
        for (k, u) in uploads.enumerated() {
            var item = Dataset()
            item.set(Tag(0x0008, 0x1150), .UI, u.sopClass)
            item.set(Tag(0x0008, 0x1155), .UI, u.sopInstance)
            if let why = u.failure {
                item.set(Tag(0x0008, 0x1197), .US, numbers: [0xC000])  // Failure Reason: cannot understand
                failed.append(item); Log.stow("rejected \(u.sopInstance): \(why)")
                continue
            }
            do {
                let result: StoreResult
                switch written[k]! {
                case .success: result = try committed.next()!.get()
                case .failure(let e): throw e
                }
                switch result {
                case .stored, .duplicate:
                    item.set(Tag(0x0008, 0x1190), .UR, "\(base)/dicom-web/studies/\(u.study)/series/\(u.file.dataset.string(.seriesInstanceUID) ?? "")/instances/\(u.sopInstance)")
                    if case .duplicate = result { item.set(Tag(0x0008, 0x1196), .US, numbers: [0xB000]) }  // Warning Reason: coercion/duplicate kept
                    referenced.append(item)
                case .rejected(let why):
                    item.set(Tag(0x0008, 0x1197), .US, numbers: [0x0110]); failed.append(item); Log.stow("rejected \(u.sopInstance): \(why)")
                }
            } catch {
                item.set(Tag(0x0008, 0x1197), .US, numbers: [0x0110]); failed.append(item); Log.stow("store of \(u.sopInstance) failed: \(error)")
            }
        }
        return (referenced, failed)
    }

    /// The upload written to the archive's incoming file and closed (committed with the request's others).
    func writeIncoming(_ u: Upload) throws -> IncomingFile {
        var bytes = u.bytes
        var offset = Part10Header.dataSetOffset(Array(bytes.prefix(144)), size: bytes.count)
        if offset == nil {
            // No File Meta Information Group Length: re-encode so the data set starts at a known offset.
            bytes = try DICOMWriter.encode(u.file).bytes
            offset = Part10Header.dataSetOffset(Array(bytes.prefix(144)), size: bytes.count)
        }
        guard let off = offset else { throw ArchiveError("\(u.sopInstance): cannot locate the data set after the meta header") }
        let inc = try archive.beginStore(sopClassUID: u.sopClass, sopInstanceUID: u.sopInstance, transferSyntaxUID: u.file.transferSyntax.uid, sourceAE: "STOW-RS")
        do {
            try bytes.withUnsafeBytes { try inc.append(UnsafeRawBufferPointer(rebasing: $0[off...])) }
            try inc.endWriting()
            return inc
        } catch { inc.discard(); throw error }
    }

    func baseURL(_ req: Request) -> String {
        let host = req.head.authority ?? "localhost"
        let safe = host.allSatisfy { $0.isLetter || $0.isNumber || ".-:[]".contains($0) } ? host : "localhost"
        return "http://" + safe
    }
}

/// Reads the three UIDs of a WADO path, validated.
func uids(_ ctx: ScintiRequestContext) throws -> (String, String, String) {
    let st = try requireUID(ctx.parameters.get("study"), "Study Instance UID")
    let se = ctx.parameters.get("series") != nil ? try requireUID(ctx.parameters.get("series"), "Series Instance UID") : ""
    let i = ctx.parameters.get("instance") != nil ? try requireUID(ctx.parameters.get("instance"), "SOP Instance UID") : ""
    return (st, se, i)
}

/// Server log lines on standard error.
enum Log {
    static func stow(_ s: String) { FileHandle.standardError.write(Data("scinti serve: STOW: \(s)\n".utf8)) }
    static func info(_ s: String) { FileHandle.standardError.write(Data("scinti serve: \(s)\n".utf8)) }
}
