import DICOM
import Foundation
import Imaging

/// One image plane (a single-frame file, or one frame of an enhanced multi-frame file) before stacking.
struct Plane {
    var label: String
    var fileIndex: Int
    var frame: Int
    var position: Vector3
    var row: Vector3
    var column: Vector3
    var pixelSpacing: [Double]   // row spacing (between rows), column spacing (between columns)
    var rows: Int
    var columns: Int
    var slope: Double
    var intercept: Double
    var tilt: Double?
}

/// A validated stack of planes: sorted along the slice normal, uniformly spaced, orthogonal.
struct PlaneStack {
    var planes: [Plane]
    var geometry: ImageGeometry
    var positions: [Double]
}

/// Sorting and validation shared by the volume readers.
enum Stacking {
    /// Sorts planes along the slice normal and checks orientation, spacing and shear (gantry tilt).
    static func stack(_ planes: [Plane], spacingToleranceMM: Double, source: String?,
                      fallbackSpacing: Double? = nil, warnings: inout [String]) throws(DICOMError) -> PlaneStack {
        guard let first = planes.first else { throw DICOMError(.missingAttribute, file: source, "no image planes") }
        let r = first.row, c = first.column
        guard abs(r.length - 1) < 1e-3, abs(c.length - 1) < 1e-3, abs(r.dot(c)) < 1e-3 else {
            throw DICOMError(.invalidValue, file: first.label, tag: .imageOrientationPatient,
                             "Image Orientation (Patient) \(r.array + c.array) is not two orthogonal unit vectors (row·column = \(fmt(r.dot(c)))); refusing to build a volume")
        }
        for p in planes {
            if (p.row - r).length > 1e-3 || (p.column - c).length > 1e-3 {
                throw DICOMError(.invalidValue, file: p.label, tag: .imageOrientationPatient,
                                 "Image Orientation (Patient) \(p.row.array + p.column.array) differs from \(r.array + c.array) of \(first.label): not one volume")
            }
            if p.rows != first.rows || p.columns != first.columns {
                throw DICOMError(.invalidValue, file: p.label, tag: .rows,
                                 "\(p.rows)×\(p.columns) pixels differ from \(first.rows)×\(first.columns) of \(first.label)")
            }
            if p.pixelSpacing.count < 2 || first.pixelSpacing.count < 2
                || abs(p.pixelSpacing[0] - first.pixelSpacing[0]) > 1e-4 || abs(p.pixelSpacing[1] - first.pixelSpacing[1]) > 1e-4 {
                throw DICOMError(.invalidValue, file: p.label, tag: .pixelSpacing,
                                 "Pixel Spacing \(p.pixelSpacing) differs from \(first.pixelSpacing) of \(first.label) (or is missing)")
            }
            if let t = p.tilt, abs(t) > 1e-3 {
                throw DICOMError(.unsupported, file: p.label, tag: .gantryDetectorTilt,
                                 "Gantry/Detector Tilt is \(fmt(t))°: tilted acquisitions give sheared volumes, which are not supported (resample the series first)")
            }
        }
        let n = r.cross(c).normalized
        let sorted = planes.map { ($0, $0.position.dot(n)) }.sorted { $0.1 < $1.1 }
        // Duplicates.
        for k in 1..<max(1, sorted.count) where abs(sorted[k].1 - sorted[k - 1].1) < 1e-3 {
            throw DICOMError(.invalidValue, file: sorted[k].0.label, tag: .imagePositionPatient,
                             "duplicate slice position \(fmt(sorted[k].1)) mm along the normal: \(sorted[k - 1].0.label) and \(sorted[k].0.label)")
        }
        // Shear: consecutive positions must differ along the normal only.
        for k in 1..<max(1, sorted.count) {
            let d = sorted[k].0.position - sorted[k - 1].0.position
            let lateral = (d - n * d.dot(n)).length
            if lateral > max(1e-2, 1e-3 * abs(d.dot(n))) {
                let angle = atan2(lateral, abs(d.dot(n))) * 180 / .pi
                throw DICOMError(.unsupported, file: sorted[k].0.label, tag: .imagePositionPatient,
                                 "slices are offset by \(fmt(lateral)) mm across the slice normal between \(sorted[k - 1].0.label) and \(sorted[k].0.label) (gantry tilt / shear of about \(fmt(angle))°): not supported, resample the series first")
            }
        }
        let positions = sorted.map(\.1)
        var spacing: Double
        if positions.count >= 2 {
            let gaps = zip(positions.dropFirst(), positions).map { $0 - $1 }
            let sortedGaps = gaps.sorted()
            let median = sortedGaps[sortedGaps.count / 2]
            for (k, g) in gaps.enumerated() where abs(g - median) > spacingToleranceMM {
                throw DICOMError(.invalidValue, file: sorted[k + 1].0.label, tag: .imagePositionPatient,
                                 "slices are not uniformly spaced: \(fmt(g)) mm between \(sorted[k].0.label) (at \(fmt(positions[k])) mm) and \(sorted[k + 1].0.label) (at \(fmt(positions[k + 1])) mm), while the median spacing is \(fmt(median)) mm (tolerance \(fmt(spacingToleranceMM)) mm); missing or extra slices?")
            }
            spacing = (positions.last! - positions.first!) / Double(positions.count - 1)
        } else if let f = fallbackSpacing, f > 0 {
            spacing = f
            warnings.append("single slice: slice spacing \(fmt(f)) mm taken from Spacing Between Slices / Slice Thickness")
        } else {
            spacing = 1
            warnings.append("single slice without Spacing Between Slices or Slice Thickness: slice spacing set to 1 mm (arbitrary)")
        }
        let geo = ImageGeometry(origin: sorted[0].0.position, rowDirection: r, columnDirection: c, sliceDirection: n,
                                spacing: Vector3(first.pixelSpacing[1], first.pixelSpacing[0], spacing))
        return PlaneStack(planes: sorted.map(\.0), geometry: geo, positions: positions)
    }
}

/// A CT or PET series read as one volume.
public struct SeriesVolume: Sendable {
    /// The volume (rescaled values: HU for CT, the PET Units for PT).
    public var volume: Volume
    /// Modality (0008,0060).
    public var modality: String?
    /// Series Instance UID.
    public var seriesInstanceUID: String?
    /// The source of each slice, in slice order (file path, with `#frame` for enhanced multi-frame).
    public var sliceSources: [String]
    /// Position of each slice along the slice normal (mm), in slice order.
    public var slicePositions: [Double]
    /// PET quantitation attributes (PT only).
    public var pet: PETAttributes?
    /// What the reader tolerated or assumed.
    public var warnings: [String]
}

/// Reads CT and PET series (single-frame files, or one enhanced multi-frame file) into a ``Imaging/Volume``.
///
/// Slices are sorted along the normal of Image Orientation (Patient); the reader refuses non-orthogonal
/// orientations, gantry tilt (sheared stacks), duplicated and non-uniformly spaced slices with an error that
/// names the files and positions. Rescale Slope/Intercept is applied per slice (per frame).
public enum SeriesVolumeReader {
    /// Reads every DICOM file of a directory (recursively) or a single file. When several series are present,
    /// `seriesInstanceUID` chooses one (otherwise it is an error naming them).
    public static func read(path: String, seriesInstanceUID: String? = nil,
                            spacingToleranceMM: Double = 0.05) throws(DICOMError) -> SeriesVolume {
        try read(paths: listFiles(path), seriesInstanceUID: seriesInstanceUID, spacingToleranceMM: spacingToleranceMM)
    }

    /// Reads the given files as one series. Files that are not DICOM are skipped with a warning.
    public static func read(paths: [String], seriesInstanceUID: String? = nil,
                            spacingToleranceMM: Double = 0.05) throws(DICOMError) -> SeriesVolume {
        var files: [DICOMFile] = []
        var warnings: [String] = []
        // Files are parsed in parallel (a 300-slice CT is 300 reads), kept in path order.
        let results = ParallelResults<Result<DICOMFile, DICOMError>>(count: paths.count)
        DispatchQueue.concurrentPerform(iterations: paths.count) { k in
            results.set(k, Result { () throws(DICOMError) -> DICOMFile in try DICOMFile.read(path: paths[k]) })
        }
        for (p, r) in zip(paths, results.values) {
            switch r! {
            case .success(let f): files.append(f)
            case .failure(let error):
                if paths.count == 1 { throw error }
                warnings.append("skipped \(p): \(error.message)")
            }
        }
        var s = try read(files: files, seriesInstanceUID: seriesInstanceUID, spacingToleranceMM: spacingToleranceMM)
        s.warnings = warnings + s.warnings
        return s
    }

    /// Reads parsed files as one series.
    public static func read(files all: [DICOMFile], seriesInstanceUID: String? = nil,
                            spacingToleranceMM: Double = 0.05) throws(DICOMError) -> SeriesVolume {
        var warnings: [String] = []
        let imageFiles = all.filter { $0.dataset.contains(.imagePositionPatient) || $0.dataset.hasFunctionalGroups }
        var bySeries: [String: [DICOMFile]] = [:]
        for f in imageFiles { bySeries[f.dataset.string(.seriesInstanceUID) ?? "", default: []].append(f) }
        let files: [DICOMFile]
        if let uid = seriesInstanceUID {
            guard let f = bySeries[uid] else { throw DICOMError(.missingAttribute, tag: .seriesInstanceUID, "no image files of series \(uid)") }
            files = f
        } else if bySeries.count == 1 {
            files = bySeries.values.first!
        } else if bySeries.isEmpty {
            throw DICOMError(.missingAttribute, tag: .imagePositionPatient, "no image files with Image Position (Patient) among \(all.count) files")
        } else {
            let list = bySeries.map { "\($0.key) (\($0.value.count) files)" }.sorted().joined(separator: ", ")
            throw DICOMError(.invalidValue, tag: .seriesInstanceUID, "files belong to \(bySeries.count) series; choose one: \(list)")
        }
        let firstDS = files[0].dataset
        let modality = firstDS.string(.modality)

        // Planes.
        var planes: [Plane] = []
        for (fi, f) in files.enumerated() {
            let ds = f.dataset
            let label = f.source ?? "file \(fi + 1)"
            let nFrames = max(1, ds.int(.numberOfFrames) ?? 1)
            if ds.hasFunctionalGroups {
                for k in 0..<nFrames {
                    planes.append(try enhancedPlane(ds, frame: k, label: nFrames > 1 ? "\(label)#\(k + 1)" : label, fileIndex: fi, source: f.source))
                }
            } else {
                if nFrames > 1 {
                    throw DICOMError(.unsupported, file: f.source, tag: .numberOfFrames, "\(nFrames) frames without functional groups: not a single-frame CT/PT slice")
                }
                guard let ipp = ds.vector3(.imagePositionPatient) else {
                    throw DICOMError(.missingAttribute, file: f.source, tag: .imagePositionPatient, "required to place the slice")
                }
                let iop = ds.doubles(.imageOrientationPatient)
                guard iop.count == 6 else {
                    throw DICOMError(.missingAttribute, file: f.source, tag: .imageOrientationPatient, "required to place the slice (6 values)")
                }
                planes.append(Plane(label: label, fileIndex: fi, frame: 0, position: ipp,
                                    row: Vector3(iop[0], iop[1], iop[2]), column: Vector3(iop[3], iop[4], iop[5]),
                                    pixelSpacing: ds.doubles(.pixelSpacing), rows: ds.int(.rows) ?? 0,
                                    columns: ds.int(.columns) ?? 0, slope: ds.double(.rescaleSlope) ?? 1,
                                    intercept: ds.double(.rescaleIntercept) ?? 0, tilt: ds.double(.gantryDetectorTilt)))
            }
        }
        let fallback = firstDS.double(.spacingBetweenSlices) ?? firstDS.double(.sliceThickness)
            ?? firstDS.functionalGroup(T.pixelMeasuresSequence, frame: 0).flatMap { $0.double(.spacingBetweenSlices) ?? $0.double(.sliceThickness) }
        let stack = try Stacking.stack(planes, spacingToleranceMM: spacingToleranceMM, source: files[0].source,
                                       fallbackSpacing: fallback, warnings: &warnings)

        // Pixels.
        let nx = stack.planes[0].columns, ny = stack.planes[0].rows
        // Planes are decoded in parallel, each straight into its slice of the volume.
        let planeCount = nx * ny
        var voxels = [Float](repeating: 0, count: planeCount * stack.planes.count)
        let slopes = Set(stack.planes.map(\.slope))
        let stackPlanes = stack.planes
        let decodeErrors = ParallelResults<DICOMError>(count: stackPlanes.count)
        voxels.withUnsafeMutableBufferPointer { dst in
            let out = SendableBox(dst.baseAddress!)
            DispatchQueue.concurrentPerform(iterations: stackPlanes.count) { k in
                let p = stackPlanes[k], f = files[p.fileIndex]
                do throws(DICOMError) {
                    let px = try PixelData.decode(f.dataset, transferSyntax: f.transferSyntax, frames: [p.frame], source: f.source)
                    guard px.samplesPerPixel == 1 else {
                        throw DICOMError(.unsupported, file: f.source, tag: .samplesPerPixel, "\(px.samplesPerPixel) samples per pixel: not a scalar image")
                    }
                    guard px.count == planeCount else {
                        throw DICOMError(.invalidValue, file: f.source, tag: .rows, "\(px.rows)×\(px.columns) pixels, expected \(ny)×\(nx)")
                    }
                    px.rescaled(slope: p.slope, intercept: p.intercept, into: out.value + k * planeCount)
                } catch { decodeErrors.set(k, error) }
            }
        }
        if let e = decodeErrors.values.lazy.compactMap({ $0 }).first { throw e }   // the first failing plane in slice order
        if slopes.count > 1 { warnings.append("Rescale Slope varies between slices (\(slopes.count) values); applied per slice") }

        // Units and PET attributes.
        var units: String?
        var pet: PETAttributes?
        switch modality {
        case "CT":
            let rt = firstDS.string(.rescaleType)
            units = (rt == nil || rt == "US") ? "HU" : rt
        case "PT":
            pet = petAttributes(firstDS)
            units = pet?.units ?? firstDS.string(.rescaleType)
            if pet?.units == nil { warnings.append("PET series without Units (0054,1001): voxel units unknown") }
            if pet?.patientWeightKg == nil { warnings.append("Patient's Weight (0010,1030) is missing: SUVbw not computable from this header") }
            warnings += radiopharmaceuticalWarnings(pet?.radiopharmaceutical.map { [$0] } ?? [])
            if pet?.units == "CNTS" { warnings.append("PET Units are CNTS: values are counts, a vendor-specific factor is needed for activity concentration") }
        default:
            units = firstDS.string(.rescaleType)
        }
        let volume = try toDICOM(Volume(size: GridSize(x: nx, y: ny, z: stack.planes.count), voxels: voxels,
                                        geometry: stack.geometry, units: units,
                                        frameOfReferenceUID: firstDS.string(.frameOfReferenceUID)), source: files[0].source)
        return SeriesVolume(volume: volume, modality: modality, seriesInstanceUID: firstDS.string(.seriesInstanceUID),
                            sliceSources: stack.planes.map(\.label), slicePositions: stack.positions, pet: pet,
                            warnings: warnings)
    }

    /// Reads the PET quantitation attributes from a PT data set.
    public static func petAttributes(_ ds: Dataset) -> PETAttributes {
        PETAttributes(units: ds.string(T.units), decayCorrection: ds.string(T.decayCorrection),
                      correctedImage: ds.strings(T.correctedImage), seriesDate: ds.string(.seriesDate),
                      seriesTime: ds.string(.seriesTime), acquisitionDate: ds.string(.acquisitionDate),
                      acquisitionTime: ds.string(.acquisitionTime), radiopharmaceutical: readRadiopharmaceuticals(ds).first,
                      patientWeightKg: ds.double(.patientWeight), patientSizeM: ds.double(.patientSize),
                      patientSex: ds.string(.patientSex), actualFrameDurationMs: ds.double(.actualFrameDuration),
                      decayFactor: ds.double(T.decayFactor), frameReferenceTimeMs: ds.double(T.frameReferenceTime),
                      manufacturer: ds.string(.manufacturer))
    }

    /// The plane of one frame of an enhanced multi-frame image (functional groups).
    static func enhancedPlane(_ ds: Dataset, frame k: Int, label: String, fileIndex: Int, source: String?) throws(DICOMError) -> Plane {
        guard let ipp = ds.functionalGroup(T.planePositionSequence, frame: k)?.vector3(.imagePositionPatient) else {
            throw DICOMError(.missingAttribute, file: source, tag: T.planePositionSequence, "frame \(k + 1) has no Plane Position (Patient)")
        }
        guard let iop = ds.functionalGroup(T.planeOrientationSequence, frame: k)?.doubles(.imageOrientationPatient), iop.count == 6 else {
            throw DICOMError(.missingAttribute, file: source, tag: T.planeOrientationSequence, "frame \(k + 1) has no Plane Orientation (Patient)")
        }
        let measures = ds.functionalGroup(T.pixelMeasuresSequence, frame: k)
        let transform = ds.functionalGroup(T.pixelValueTransformationSequence, frame: k)
        return Plane(label: label, fileIndex: fileIndex, frame: k, position: ipp,
                     row: Vector3(iop[0], iop[1], iop[2]), column: Vector3(iop[3], iop[4], iop[5]),
                     pixelSpacing: measures?.doubles(.pixelSpacing) ?? ds.doubles(.pixelSpacing),
                     rows: ds.int(.rows) ?? 0, columns: ds.int(.columns) ?? 0,
                     slope: transform?.double(.rescaleSlope) ?? ds.double(.rescaleSlope) ?? 1,
                     intercept: transform?.double(.rescaleIntercept) ?? ds.double(.rescaleIntercept) ?? 0,
                     tilt: ds.double(.gantryDetectorTilt))
    }
}

/// Converts an ``Imaging/ImagingError`` to a ``DICOM/DICOMError``.
func toDICOM<V>(_ body: @autoclosure () throws(ImagingError) -> V, source: String?) throws(DICOMError) -> V {
    do { return try body() } catch { throw DICOMError(.invalidValue, file: source, "\(error)") }
}

/// At most one result per index, written by concurrent iterations and read after the loop.
final class ParallelResults<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ k: Int, _ value: T) { lock.lock(); slots[k] = value; lock.unlock() }

    /// The results in index order (nil where an index was not set).
    var values: [T?] { lock.lock(); defer { lock.unlock() }; return slots }
}

extension PixelArray {
    /// Writes `Float(stored · slope + intercept)` of every sample to `out` (`count` values), computed in `Double`
    /// as ``doubles()`` would, without the intermediate arrays.
    func rescaled(slope: Double, intercept: Double, into out: UnsafeMutablePointer<Float>) {
        data.withUnsafeBytes { raw in
            let n = count
            func map<S>(_: S.Type, _ value: (S) -> Double) {
                let src = raw.bindMemory(to: S.self).baseAddress!
                for i in 0..<n { out[i] = Float(value(src[i]) * slope + intercept) }
            }
            switch type {
            // The usual CT and PET sample types without a closure per sample (debug builds stay fast).
            case .int16:
                let src = raw.bindMemory(to: Int16.self).baseAddress!
                for i in 0..<n { out[i] = Float(Double(Int16(littleEndian: src[i])) * slope + intercept) }
            case .uint16:
                let src = raw.bindMemory(to: UInt16.self).baseAddress!
                for i in 0..<n { out[i] = Float(Double(UInt16(littleEndian: src[i])) * slope + intercept) }
            case .uint8: map(UInt8.self) { Double($0) }
            case .int8: map(Int8.self) { Double($0) }
            case .uint32: map(UInt32.self) { Double(UInt32(littleEndian: $0)) }
            case .int32: map(Int32.self) { Double(Int32(littleEndian: $0)) }
            case .uint64: map(UInt64.self) { Double(UInt64(littleEndian: $0)) }
            case .int64: map(Int64.self) { Double(Int64(littleEndian: $0)) }
            case .float32: map(UInt32.self) { Double(Float(bitPattern: UInt32(littleEndian: $0))) }
            case .float64: map(UInt64.self) { Double(bitPattern: UInt64(littleEndian: $0)) }
            }
        }
    }
}
