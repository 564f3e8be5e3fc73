import Analysis
import Archive
import DICOM
import DICOMImaging
import Foundation
import Hummingbird
import Imaging
import Workflows

/// A series as the viewer shows it: a volume in patient coordinates (CT, PET, NM RECON TOMO) or a stack of frames
/// (planar, whole-body, dynamic, gated, projections), values in real-world units.
public struct ViewerSeries: Sendable {
    /// `volume` or `frames`.
    public var kind: String
    /// Grid (x columns, y rows, z slices or frames).
    public var size: GridSize
    /// Values, x fastest.
    public var values: [Float]
    /// Geometry (volumes; frames get pixel spacing only).
    public var geometry: ImageGeometry
    /// Units of the values (HU, Bq/ml, counts, …).
    public var units: String
    /// Modality.
    public var modality: String
    /// Series description.
    public var description: String
    /// Frame duration for cine, ms (frames).
    public var frameDurationMs: Double?
    /// Image Type values.
    public var imageType: [String]
    /// What was assumed or tolerated while reading.
    public var warnings: [String]
    /// PET: the SUV factors of the series (JSON of `Analysis.SUVFactors`), or why there are none.
    public var suvJSON: String? = nil

    /// Header for the viewer (everything but the values).
    func info(seriesUID: String) -> String {
        let g = geometry
        func v(_ x: Vector3) -> String { "[\(x.x),\(x.y),\(x.z)]" }
        var (lo, hi) = (Float.infinity, -Float.infinity)
        values.withUnsafeBufferPointer { v in for x in v { if x < lo { lo = x }; if x > hi { hi = x } } }
        let warnings = "[" + self.warnings.map { jsonString($0) }.joined(separator: ",") + "]"
        return """
            {"seriesUID":\(jsonString(seriesUID)),"kind":"\(kind)","width":\(size.x),"height":\(size.y),"depth":\(size.z),\
            "spacing":\(v(g.spacing)),"origin":\(v(g.origin)),"rowDirection":\(v(g.rowDirection)),"columnDirection":\(v(g.columnDirection)),\
            "sliceDirection":\(v(g.sliceDirection)),"units":\(jsonString(units)),"modality":\(jsonString(modality)),\
            "description":\(jsonString(description)),"min":\(lo.isFinite ? lo : 0),"max":\(hi.isFinite ? hi : 0),\
            "frameDurationMs":\(frameDurationMs.map { String($0) } ?? "null"),\
            "imageType":[\(imageType.map { jsonString($0) }.joined(separator: ","))],"warnings":\(warnings),"suv":\(suvJSON ?? "null")}
            """
    }
}

/// JSON string literal.
func jsonString(_ s: String) -> String {
    var out = "\""
    for u in s.unicodeScalars {
        switch u {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        default:
            if u.value < 0x20 { out += String(format: "\\u%04x", u.value) } else { out.unicodeScalars.append(u) }
        }
    }
    return out + "\""
}

/// Recently loaded series (at most `maxEntries`, 4 by default, the newest kept), so the viewer's info + data requests decode once; a series
/// being loaded is shared by concurrent requests. Loading runs off the cooperative thread pool (``offload(_:)``).
actor SeriesCache {
    private var entries: [(key: String, task: Task<ViewerSeries, any Error>)] = []
    private let maxEntries: Int

    init(maxEntries: Int = 4) { self.maxEntries = maxEntries }

    func get(_ key: String, load: @escaping @Sendable () throws -> ViewerSeries) async throws -> ViewerSeries {
        if let k = entries.firstIndex(where: { $0.key == key }) {
            let e = entries.remove(at: k); entries.append(e)
            return try await e.task.value
        }
        let task = Task { try await offload(load) }
        entries.append((key, task))
        if entries.count > maxEntries { entries.removeFirst() }
        do { return try await task.value } catch {
            entries.removeAll { $0.key == key }
            throw error
        }
    }
}

/// Runs blocking work (file reads, decoding, SQLite, fsync) on a Dispatch queue, so it does not occupy the
/// cooperative thread pool that serves every other request (two threads on a 2-core machine).
func offload<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { c in
        DispatchQueue.global(qos: .userInitiated).async { c.resume(with: Result { try body() }) }
    }
}

/// The viewer's data API: `/api/series/{uid}/info` (JSON header) and `/api/series/{uid}/data` (little-endian
/// Float32 values, x fastest), optionally resampled onto another series' grid (`?grid={uid}`, for fusion) or
/// decimated to at most `?max=N` voxels along each in-plane axis.
struct ViewerAPI {
    let archive: Archive
    let cache: SeriesCache
    /// Series resampled onto another's grid (fusion), per (series, grid) pair.
    let resampledCache: SeriesCache

    func register(on router: Router<ScintiRequestContext>) {
        router.get("/api/series/:series/info") { req, ctx in
            try ctx.require(.view)
            let uid = try requireUID(ctx.parameters.get("series"), "Series Instance UID")
            let s = try await self.series(uid, query: req.uri.queryParameters)
            return textResponse(s.info(seriesUID: uid), contentType: "application/json")
        }
        router.get("/api/series/:series/data") { req, ctx in
            try ctx.require(.view)
            let uid = try requireUID(ctx.parameters.get("series"), "Series Instance UID")
            let s = try await self.series(uid, query: req.uri.queryParameters)
            return Response(status: .ok, headers: [.contentType: "application/octet-stream", .contentLength: String(s.values.count * 4)],
                            body: .init(byteBuffer: s.values.withUnsafeBytes { ByteBuffer(bytes: $0) }))
        }
    }

    func series(_ uid: String, query: Parameters) async throws -> ViewerSeries {
        let grid = try query.get("grid").map { try requireUID($0, "grid Series Instance UID") }
        let maxN = Int(query.get("max") ?? "") ?? 0
        guard maxN >= 0 && maxN <= 4096 else { throw HTTPError(.badRequest, message: "max must be 0…4096") }
        let archive = self.archive
        let base = try await cache.get(uid) { try ViewerAPI.load(archive: archive, uid: uid) }
        if let grid {
            let target = try await cache.get(grid) { try ViewerAPI.load(archive: archive, uid: grid) }
            guard base.kind == "volume", target.kind == "volume" else { throw HTTPError(.badRequest, message: "fusion needs two volumes") }
            let key = uid + "@" + grid
            // Resampled once per (series, grid) pair and kept in a cache of its own (a few MB each), so opening other
            // series does not evict it.
            return try await resampledCache.get(key) {
                // Blocks are averaged first when the target voxels are much larger (CT 1 mm → SPECT 4 mm), so the
                // trilinear sampling does not alias; separable per-axis tables for axis-aligned grids.
                let r: Volume
                do {
                    r = try Volume(unchecked: base.size, voxels: base.values, geometry: base.geometry)
                        .resampledForDisplay(to: target.size, geometry: target.geometry, outside: base.modality == "CT" ? -1000 : 0)
                } catch {
                    throw HTTPError(.unprocessableContent, message: "cannot resample \(uid) onto \(grid): \(error)")
                }
                var s = base
                s.size = target.size; s.values = r.voxels; s.geometry = target.geometry
                s.warnings.append("block-averaged and resampled (trilinear) onto the grid of series \(grid)")
                return s
            }
        }
        if maxN > 0, base.kind == "volume", max(base.size.x, base.size.y) > maxN {
            let f = Int((Double(max(base.size.x, base.size.y)) / Double(maxN)).rounded(.up))
            let key = uid + "/max\(maxN)"
            return try await cache.get(key) {
                let g = base.geometry
                let r = Volume(unchecked: base.size, voxels: base.values, geometry: g)
                    .blockAveraged(towards: Vector3(g.spacing.x * Double(f), g.spacing.y * Double(f), g.spacing.z))
                var s = base
                s.size = r.size; s.values = r.voxels; s.geometry = r.geometry
                s.warnings.append("averaged over \(f)×\(f) in-plane blocks for display")
                return s
            }
        }
        return base
    }

    /// Reads a series from the archive into what the viewer shows.
    static func load(archive: Archive, uid: String) throws -> ViewerSeries {
        let found = try archive.instances(seriesUIDs: [uid]).filter { $0.header.contains(.rows) }
        guard let first = found.first else { throw HTTPError(.notFound, message: "series \(uid) has no images in the archive") }
        let h = first.header
        let modality = h.string(.modality) ?? "OT"
        let imageType = h.strings(.imageType)
        let description = h.string(.seriesDescription) ?? ""
        do {
            if found.count == 1 && modality == "RTDOSE" {
                let d = try RTDoseReader.read(path: first.path)
                let units = (d.doseUnits ?? "").uppercased() == "GY" ? "Gy" : (d.doseUnits ?? "unknown")
                var warnings = d.warnings
                if d.doseUnits == nil { warnings.append("no Dose Units: values as stored × Dose Grid Scaling") }
                return ViewerSeries(kind: "volume", size: d.volume.size, values: d.volume.voxels, geometry: d.volume.geometry, units: units,
                                    modality: modality, description: description, imageType: imageType, warnings: warnings)
            }
            if found.count == 1 {
                let isRecon = modality == "NM" && imageType.contains { $0.contains("RECON") }
                if isRecon {
                    let v = try ReconTomo.read(path: first.path)
                    return ViewerSeries(kind: "volume", size: v.size, values: v.voxels, geometry: v.geometry, units: v.units ?? "counts",
                                        modality: modality, description: description, imageType: imageType,
                                        warnings: v.units == nil ? ["no Real World Value Mapping: values are rescaled stored values, units unknown"] : [])
                }
                return try frames(first, modality: modality, description: description, imageType: imageType)
            }
            if found.allSatisfy({ $0.header.contains(.imagePositionPatient) }) {
                let sv = try SeriesVolumeReader.read(paths: found.map(\.path), seriesInstanceUID: uid)
                var units = sv.volume.units ?? ""
                var warnings = sv.warnings
                if units.isEmpty {
                    switch modality {
                    case "CT": units = "HU"
                    case "PT": units = h.string(Tag(0x0054, 0x1001)) ?? "unknown"
                    default: units = "unknown"; warnings.append("no units in the data set")
                    }
                }
                var s = ViewerSeries(kind: "volume", size: sv.volume.size, values: sv.volume.voxels, geometry: sv.volume.geometry, units: units,
                                     modality: modality, description: description, imageType: imageType, warnings: warnings)
                if modality == "PT" { s.suvJSON = Self.suv(paths: found.map(\.path)) }
                return s
            }
            // Several single-frame images without positions: a frame stack of the first one's size.
            var all: [Float] = []
            var size: GridSize? = nil
            var warnings: [String] = []
            for i in found.sorted(by: { ($0.header.int(.instanceNumber) ?? 0) < ($1.header.int(.instanceNumber) ?? 0) }) {
                let s = try frames(i, modality: modality, description: description, imageType: imageType)
                if let size, size.x != s.size.x || size.y != s.size.y { warnings.append("skipped \(i.sopInstanceUID): other size"); continue }
                size = GridSize(x: s.size.x, y: s.size.y, z: (size?.z ?? 0) + s.size.z)
                all += s.values
            }
            return ViewerSeries(kind: "frames", size: size!, values: all, geometry: .axisAligned(), units: "counts", modality: modality,
                                description: description, imageType: imageType, warnings: warnings)
        } catch let e as HTTPError { throw e } catch {
            throw HTTPError(.unprocessableContent, message: "series \(uid) cannot be shown: \(error)")
        }
    }

    /// SUV factors of a PET series by the project's SUV code (`PETSUVJob.header`, `SUVCalculator`):
    /// `{"factors": SUVFactors}` or `{"error": why}`.
    static func suv(paths: [String]) -> String {
        do {
            let files = try paths.map { try DICOMFile.read(path: $0, options: ReadOptions(stopBeforePixels: true)) }
            let f = try SUVCalculator.factors(PETSUVJob.header(files))
            let enc = JSONEncoder(); enc.outputFormatting = [.sortedKeys]
            return "{\"factors\":\(String(decoding: try enc.encode(f), as: UTF8.self))}"
        } catch {
            return "{\"error\":\(jsonString("\(error)"))}"
        }
    }

    static func frames(_ i: Archive.Instance, modality: String, description: String, imageType: [String]) throws -> ViewerSeries {
        let file = try DICOMFile.read(path: i.path)
        let px = try PixelData.decode(file)
        guard px.samplesPerPixel == 1 else { throw HTTPError(.unprocessableContent, message: "colour images are not shown") }
        let ds = file.dataset
        let values = PixelData.applyRescale(px, dataset: ds)
        let ps = ds.doubles(.pixelSpacing)
        let spacing = ps.count == 2 ? Vector3(ps[1], ps[0], 1) : Vector3(1, 1, 1)
        var duration = ds.double(.actualFrameDuration)
        if duration == nil { duration = ds.sequence(Tag(0x0054, 0x0032)).first?.double(.actualFrameDuration) }  // Phase Information
        var warnings: [String] = []
        var units = modality == "CT" ? "HU" : "counts"
        if modality != "NM" && modality != "CT" { units = "stored value × rescale"; warnings.append("units of \(modality) frames not interpreted") }
        if ps.count != 2 { warnings.append("no Pixel Spacing: square pixels assumed") }
        return ViewerSeries(kind: "frames", size: GridSize(x: px.columns, y: px.rows, z: px.frames), values: values,
                            geometry: .axisAligned(spacing: spacing), units: units, modality: modality, description: description,
                            frameDurationMs: duration, imageType: imageType, warnings: warnings)
    }
}
