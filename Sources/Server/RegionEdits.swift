import Archive
import DICOM
import Dosimetry
import Foundation
import Hummingbird
import Workflows

/// Edited regions in job requests (docs/review.md): the job field `regions` holds regions in the JSON of a result's
/// `display.regions` (``Workflows/ResultDisplay/Region``), matched to the automatic ones by `label`. They are checked
/// against the analysed image here, before anything is stored: every problem is a 400 naming the field
/// (`regions[2].runs`, `regions[0].frames[1]`) and what is allowed.
enum RegionEdits {
    /// Most regions one request may carry.
    static let maxRegions = 256

    /// Checks `regions` against an image of `rows` × `columns` pixels with `frames` frames. Throws 400.
    static func validate(_ regions: [ResultDisplay.Region], rows: Int, columns: Int, frames: Int) throws {
        try validateLabels(regions, noun: "region")
        for (k, r) in regions.enumerated() {
            let f = "regions[\(k)]"
            guard r.colour.count <= 32, r.colour.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "#" }) else {
                throw bad("\(f).colour", "must be a CSS colour such as #e62828")
            }
            guard r.frames.count <= frames else { throw bad("\(f).frames", "\(r.frames.count) frames listed, the image has \(frames)") }
            for (j, fr) in r.frames.enumerated() where !(0..<frames).contains(fr) {
                throw bad("\(f).frames[\(j)]", "frame \(fr) does not exist: the image has frames 0…\(frames - 1) (0-based)")
            }
            switch r.shape {
            case "mask":
                guard let runs = r.runs, !runs.isEmpty else { throw bad("\(f).runs", "a mask region needs runs [start, length, …]") }
                try validateRuns(runs, count: rows * columns, field: "\(f).runs", grid: "\(rows) rows × \(columns) columns")
            case "circle", "square":
                guard let c = r.column, let rw = r.row, let rad = r.radius else {
                    throw bad(r.column == nil ? "\(f).column" : r.row == nil ? "\(f).row" : "\(f).radius", "a \(r.shape) needs column, row and radius (pixels)")
                }
                guard c.isFinite, c >= 0, c <= Double(columns - 1) else {
                    throw bad("\(f).column", "\(c) is outside the image (columns 0…\(columns - 1))")
                }
                guard rw.isFinite, rw >= 0, rw <= Double(rows - 1) else { throw bad("\(f).row", "\(rw) is outside the image (rows 0…\(rows - 1))") }
                guard rad.isFinite, rad > 0, rad <= Double(max(rows, columns)) else {
                    throw bad("\(f).radius", "\(rad) must be > 0 and at most \(max(rows, columns)) pixels")
                }
            default:
                throw bad("\(f).shape", "'\(r.shape.prefix(32))' is not a shape: mask, circle or square")
            }
        }
    }

    /// What every list of edited regions must be: not empty, at most ``maxRegions``, labels of 1–128 characters
    /// given once each. Throws 400 naming the field.
    static func validateLabels(_ regions: [ResultDisplay.Region], noun: String) throws {
        guard !regions.isEmpty else { throw bad("regions", "an empty list: leave \"regions\" out to keep the automatic \(noun)s") }
        guard regions.count <= maxRegions else { throw bad("regions", "\(regions.count) \(noun)s, at most \(maxRegions)") }
        var labels = Set<String>()
        for (k, r) in regions.enumerated() {
            guard !r.label.isEmpty, r.label.count <= 128 else { throw bad("regions[\(k)].label", "must be 1–128 characters (the label of an automatic \(noun))") }
            guard labels.insert(r.label).inserted else { throw bad("regions[\(k)].label", "'\(r.label.prefix(64))' given twice") }
        }
    }

    /// Checks `regions` against the single instance of series `series` in the archive (rows, columns, frames).
    static func validate(_ regions: [ResultDisplay.Region], series: String, archive: Archive) throws {
        guard let h = try archive.instances(seriesUIDs: [series]).first?.header, let rows = h.int(.rows), let cols = h.int(.columns),
              rows > 0, cols > 0 else {
            throw HTTPError(.notFound, message: "series \(series): no image to check the regions against")
        }
        try validate(regions, rows: rows, columns: cols, frames: max(1, h.int(.numberOfFrames) ?? 1))
    }

    /// Checks runs `[start, length, …]` over `count` elements: pairs, lengths ≥ 1, ascending, inside.
    static func validateRuns(_ runs: [Int], count n: Int, field: String, grid: String) throws {
        guard runs.count % 2 == 0 else { throw bad(field, "\(runs.count) numbers: runs come in pairs [start, length, …]") }
        var end = 0
        for j in stride(from: 0, to: runs.count, by: 2) {
            let s = runs[j], len = runs[j + 1]
            guard len >= 1 else { throw bad("\(field)[\(j + 1)]", "run length \(len): must be ≥ 1") }
            guard s >= end else { throw bad("\(field)[\(j)]", "run start \(s): runs must be ascending and not overlap") }
            guard s <= n - len else { throw bad("\(field)[\(j)]", "run \(s)+\(len) ends outside the image (\(grid) = \(n) elements)") }
            end = s + len
        }
    }

    /// Checks edited VOIs of a dose job: masks (`shape` `mask`, no `frames`) whose runs cover the voxels of the first
    /// visit's SPECT `series` (x fastest), one per label. Throws 400 naming the field.
    static func validateVOIs(_ regions: [ResultDisplay.Region], series: String, archive: Archive) throws {
        guard let h = try archive.instances(seriesUIDs: [series]).first?.header, let rows = h.int(.rows), let cols = h.int(.columns),
              rows > 0, cols > 0 else {
            throw HTTPError(.notFound, message: "series \(series): no SPECT to check the VOIs against")
        }
        try validateVOIs(regions, columns: cols, rows: rows, slices: max(1, h.int(.numberOfFrames) ?? 1))
    }

    /// Checks edited VOIs against a `columns` × `rows` × `slices` grid. Throws 400 naming the field.
    static func validateVOIs(_ regions: [ResultDisplay.Region], columns cols: Int, rows: Int, slices: Int) throws {
        try validateLabels(regions, noun: "VOI")
        for (k, r) in regions.enumerated() {
            let f = "regions[\(k)]"
            guard r.shape == "mask" else { throw bad("\(f).shape", "'\(r.shape.prefix(32))': a dose job's VOIs are masks (runs over the first visit's SPECT voxels)") }
            guard r.frames.isEmpty else { throw bad("\(f).frames", "a VOI covers the volume: leave frames empty") }
            guard let runs = r.runs, !runs.isEmpty else { throw bad("\(f).runs", "a VOI needs runs [start, length, …]") }
            try validateRuns(runs, count: rows * cols * slices, field: "\(f).runs", grid: "\(cols)×\(rows)×\(slices) voxels of the first visit's SPECT")
        }
    }

    /// The dose job's VOIs with those named by `regions` replaced (masks over `count` voxels of the reference grid).
    /// A label that names no automatic VOI fails with the labels there are.
    static func replacing(_ vois: [DoseVOI], with regions: [ResultDisplay.Region], count: Int) throws(WorkflowError) -> [DoseVOI] {
        let known = Set(vois.map(\.name))
        let missing = regions.map(\.label).filter { !known.contains($0) }
        guard missing.isEmpty else {
            throw WorkflowError("regions: \(missing.map { "'\($0)'" }.joined(separator: ", ")) name no VOI of the automatic dosimetry (VOIs: \(vois.map(\.name).joined(separator: ", ")))")
        }
        let given = Dictionary(regions.map { ($0.label, $0) }, uniquingKeysWith: { a, _ in a })
        return try vois.map { (v: DoseVOI) throws(WorkflowError) -> DoseVOI in
            guard let r = given[v.name] else { return v }
            guard v.mask.count == count else { throw WorkflowError("regions: VOI '\(v.name)' is not on the reference SPECT grid") }
            let m = ResultDisplay.mask(runs: r.runs ?? [], count: count)
            guard m.contains(true) else { throw WorkflowError("regions: the edited VOI '\(v.name)' holds no voxel") }
            return DoseVOI(name: v.name, mask: m)
        }
    }

    /// `{"report", "display"}` of a finished dose job with the same request as `req` without its edited VOIs (who
    /// accepted a registration and when do not count), or nil when there is none.
    static func automaticDose(of req: JobRequest, in jobs: [JobRecord]) throws -> String? {
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        func canonical(_ r: JobRequest) throws -> Data {
            var r = r
            r.regions = nil; r.regionsEditedBy = nil; r.regionsEditedAt = nil
            r.acceptedTransforms = r.acceptedTransforms?.map { var t = $0; t.acceptedBy = nil; t.acceptedAt = nil; return t }
            return try enc.encode(r)
        }
        let want = try canonical(req)
        for j in jobs where j.type == "dose" && j.state == "done" {
            guard let r = try? JSONDecoder().decode(JobRequest.self, from: Data(j.request.utf8)), r.regions == nil, (try? canonical(r)) == want,
                  let res = j.result, let o = try? JSONSerialization.jsonObject(with: Data(res.utf8)) as? [String: Any],
                  let report = o["report"], let display = o["display"] else { continue }
            let data = try JSONSerialization.data(withJSONObject: ["report": report, "display": display, "job": j.id], options: [.sortedKeys])
            return String(decoding: data, as: UTF8.self)
        }
        return nil
    }

    static func bad(_ field: String, _ what: String) -> HTTPError {
        HTTPError(.badRequest, message: "\(field): \(what)")
    }

    /// The `editedRegions` record of a result: which labels, by whom, when.
    struct Record: Codable, Sendable, Equatable {
        var labels: [String]
        var by: String
        var at: String
    }

    /// The result JSON of a re-run with edited regions: the edited analysis, `regionsEdited`, `editedRegions` and the
    /// automatic analysis kept beside it (`automatic`: `{"result", "display"}`). Every edited label must name a region
    /// of the automatic result.
    static func resultJSON(analysis: String, edited: AnalysisJob.Output, automatic: AnalysisJob.Output, regions: [ResultDisplay.Region],
                           by: String, at: String) throws -> String {
        let record = Record(labels: regions.map(\.label), by: by, at: at)
        return "{\"analysis\":\(jsonString(analysis)),\"result\":\(edited.resultJSON),\"display\":\(try JobManager.encodeJSON(edited.display)),"
            + "\"regionsEdited\":true,\"editedRegions\":\(try JobManager.encodeJSON(record)),"
            + "\"automatic\":{\"result\":\(automatic.resultJSON),\"display\":\(try JobManager.encodeJSON(automatic.display))}}"
    }

    /// Labels of `regions` that name no region of `automatic` (nil when all match).
    static func unmatched(_ regions: [ResultDisplay.Region], in automatic: ResultDisplay) -> [String]? {
        let known = Set(automatic.regions.map(\.label))
        let missing = regions.map(\.label).filter { !known.contains($0) }
        return missing.isEmpty ? nil : missing
    }
}

/// One line naming the field of a JSON request that could not be decoded (`regions[0].colour: missing`).
func describeDecoding(_ error: any Error) -> String {
    guard let e = error as? DecodingError else { return "\(error)" }
    func path(_ p: [any CodingKey]) -> String {
        var s = ""
        for k in p {
            if let i = k.intValue { s += "[\(i)]" } else { s += (s.isEmpty ? "" : ".") + k.stringValue }
        }
        return s.isEmpty ? "(top level)" : s
    }
    switch e {
    case .keyNotFound(let k, let c): return "\(path(c.codingPath + [k])): missing"
    case .typeMismatch(let t, let c): return "\(path(c.codingPath)): expected \(t)"
    case .valueNotFound(let t, let c): return "\(path(c.codingPath)): null where \(t) is expected"
    case .dataCorrupted(let c): return "\(path(c.codingPath)): \(c.debugDescription)"
    @unknown default: return "\(error)"
    }
}
