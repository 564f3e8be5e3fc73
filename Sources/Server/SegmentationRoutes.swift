import Archive
import DICOM
import DICOMImaging
import Foundation
import Hummingbird
import Imaging
import Workflows

/// Regions and VOIs saved into the archive as DICOM Segmentation objects, and read back (docs/review.md).
///
/// - `POST /api/seg` `{"series": UID, "description"?: text, "regions"?: [display region], "volumeMasks"?: [{"label",
///   "runs"}]}`: planar regions (the JSON of a result's `display.regions`, on the frames of `series`) or VOIs (runs over
///   the voxels of the volume `series`, x fastest) become one SEG series in the study of `series` (BINARY, one segment
///   per region, planar frames as the grid's slices; Referenced Series = `series`). Rights `editRegions` and `store`;
///   audited as `store`. Answers 201 `{"seriesUID", "sopInstanceUID", "studyUID", "segments": [{"label", "voxels"}]}`.
/// - `GET /api/seg/{seg series}?grid={series}`: the segments read back on the grid of `series`:
///   `{"segments": [{"label", "runs", "voxels"}], "warnings": […]}`.
struct SegmentationRoutes {
    let archive: Archive

    struct SaveRequest: Codable {
        struct VOI: Codable { var label: String; var runs: [Int] }
        var series: String
        var description: String?
        var regions: [ResultDisplay.Region]?
        var volumeMasks: [VOI]?
    }

    struct Segment: Codable { var label: String; var runs: [Int]?; var voxels: Int }

    func register(on router: Router<ScintiRequestContext>) {
        router.post("/api/seg") { req, ctx in
            try ctx.require(.editRegions)
            try ctx.require(.store)
            let body = try await req.body.collect(upTo: 64 << 20)
            let sr: SaveRequest
            do { sr = try JSONDecoder().decode(SaveRequest.self, from: Data(buffer: body)) } catch {
                throw HTTPError(.badRequest, message: "SEG request is not valid JSON {\"series\", \"regions\" | \"volumeMasks\"}: \(describeDecoding(error))")
            }
            let out = try save(sr)
            let sp = try archive.studyAndPatient(seriesUID: sr.series)
            try archive.appendAudit(ctx.audit(.store, patientID: sp?.patientID, studyUID: out.studyUID, seriesUID: out.seriesUID,
                                              instanceUID: out.sopInstanceUID,
                                              detail: "SEG of \(out.segments.count) region(s) on series \(sr.series): \(out.segments.map(\.label).joined(separator: ", "))"))
            return bytesResponse(Array(try JSONEncoder().encode(out)), status: .created, contentType: "application/json")
        }
        router.get("/api/seg/:series") { req, ctx in
            try ctx.require(.view)
            let seg = try requireUID(ctx.parameters.get("series"), "SEG Series Instance UID")
            let grid = try requireUID(req.uri.queryParameters.get("grid"), "grid Series Instance UID")
            return bytesResponse(Array(try JSONEncoder().encode(try readBack(seg: seg, grid: grid))), contentType: "application/json")
        }
    }

    struct Saved: Codable { var seriesUID: String; var sopInstanceUID: String; var studyUID: String; var segments: [Segment] }

    /// Masks of the request on the grid of its series (planar: rows × columns × frames).
    func save(_ sr: SaveRequest) throws -> Saved {
        _ = try requireUID(sr.series, "series")
        let v = try ViewerAPI.load(archive: archive, uid: sr.series)
        guard let header = try archive.instances(seriesUIDs: [sr.series]).first?.header else { throw HTTPError(.notFound, message: "series \(sr.series) not in the archive") }
        let n = v.size.count, plane = v.size.x * v.size.y
        var segments: [(label: String, mask: [Bool])] = []
        if let regions = sr.regions {
            guard v.kind == "frames" else { throw HTTPError(.badRequest, message: "regions: planar regions need a series of frames; give volumeMasks for a volume") }
            try RegionEdits.validate(regions, rows: v.size.y, columns: v.size.x, frames: v.size.z)
            for r in regions {
                let m2 = r.inside(rows: v.size.y, columns: v.size.x)
                var m = [Bool](repeating: false, count: n)
                for f in (r.frames.isEmpty ? Array(0..<v.size.z) : r.frames) { for i in 0..<plane where m2[i] { m[f * plane + i] = true } }
                segments.append((r.label, m))
            }
        }
        for (k, voi) in (sr.volumeMasks ?? []).enumerated() {
            guard !voi.label.isEmpty, voi.label.count <= 64 else { throw RegionEdits.bad("volumeMasks[\(k)].label", "must be 1–64 characters") }
            try RegionEdits.validateRuns(voi.runs, count: n, field: "volumeMasks[\(k)].runs", grid: "\(v.size.x)×\(v.size.y)×\(v.size.z) voxels")
            segments.append((voi.label, ResultDisplay.mask(runs: voi.runs, count: n)))
        }
        guard !segments.isEmpty else { throw HTTPError(.badRequest, message: "regions: give regions (planar) or volumeMasks (volume) to save") }
        for (k, s) in segments.enumerated() where !s.mask.contains(true) {
            throw HTTPError(.badRequest, message: "\(sr.regions != nil && k < sr.regions!.count ? "regions[\(k)]" : "volumeMasks[\(k - (sr.regions?.count ?? 0))]"): the region holds no pixel")
        }
        let study = StudyAttributes(copying: header, frameOfReferenceUID: header.string(.frameOfReferenceUID))
        let series = SeriesAttributes(seriesNumber: 900, seriesDescription: String((sr.description ?? "Regions reviewed in Scinti").prefix(64)))
        var ds: Dataset
        do { ds = try SegmentationWriter.dataset(segments: segments, size: v.size, geometry: v.geometry, study: study, series: series) } catch {
            throw HTTPError(.badRequest, message: "regions: \(error)")
        }
        var ref = Dataset()
        ref.set(.seriesInstanceUID, .UI, sr.series)
        ds.set(Tag(0x0008, 0x1115), sequence: [ref])                        // Referenced Series Sequence
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("scinti-seg-\(UUID().uuidString).dcm").path
        defer { try? FileManager.default.removeItem(atPath: tmp) }
        try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian, source: tmp), to: tmp,
                              options: WriteOptions(transferSyntax: .explicitVRLittleEndian, validation: .lenient))
        _ = try archive.importFile(tmp, sourceAE: "SCINTI-REVIEW")
        return Saved(seriesUID: series.seriesInstanceUID, sopInstanceUID: ds.string(.sopInstanceUID) ?? "", studyUID: study.studyInstanceUID,
                     segments: segments.map { Segment(label: $0.label, runs: nil, voxels: $0.mask.filter { $0 }.count) })
    }

    /// Reads SEG series `seg` back onto the grid of `grid` (slices matched by position along the slice normal).
    func readBack(seg: String, grid: String) throws -> [String: [Segment]] {
        guard let inst = try archive.instances(seriesUIDs: [seg]).first else { throw HTTPError(.notFound, message: "SEG series \(seg) not in the archive") }
        let s: Segmentation
        do { s = try SegmentationReader.read(path: inst.path) } catch { throw HTTPError(.unprocessableContent, message: "SEG \(seg): \(error)") }
        let v = try ViewerAPI.load(archive: archive, uid: grid)
        let g = v.geometry, plane = v.size.x * v.size.y
        var out: [Segment] = []
        for m in s.segments {
            guard m.mask.size.x == v.size.x, m.mask.size.y == v.size.y else {
                throw HTTPError(.unprocessableContent, message: "SEG \(seg): \(m.mask.size.x)×\(m.mask.size.y) frames, the grid series has \(v.size.x)×\(v.size.y)")
            }
            // Slice of the target grid holding the SEG's first slice.
            let offset = Int(((m.mask.geometry.origin - g.origin).dot(g.sliceDirection) / g.spacing.z).rounded())
            var mask = [Bool](repeating: false, count: v.size.count)
            for k in 0..<m.mask.size.z where (0..<v.size.z).contains(k + offset) {
                for i in 0..<plane where m.mask.voxels[k * plane + i] != 0 { mask[(k + offset) * plane + i] = true }
            }
            out.append(Segment(label: m.label ?? "segment \(m.number)", runs: ResultDisplay.runs(mask), voxels: mask.filter { $0 }.count))
        }
        return ["segments": out]
    }
}
