import DICOM
import Foundation
import Imaging

/// An RT Dose grid.
public struct RTDose: Sendable {
    /// Dose values (stored × Dose Grid Scaling); units `Gy` when Dose Units is `GY`, else as written.
    public var volume: Volume
    /// Dose Units as written (`GY` or `RELATIVE`).
    public var doseUnits: String?
    /// Dose Type (`PHYSICAL`, `EFFECTIVE`, `ERROR`).
    public var doseType: String?
    /// Dose Summation Type (`PLAN`, `BEAM`, `FRACTION`, …).
    public var summationType: String?
    /// What the reader tolerated or assumed.
    public var warnings: [String]
}

/// Reads RT Dose multi-frame grids: frames placed by the Grid Frame Offset Vector, scaled by Dose Grid Scaling.
public enum RTDoseReader {
    /// Reads an RT Dose file.
    public static func read(path: String, spacingToleranceMM: Double = 0.01) throws(DICOMError) -> RTDose {
        try read(DICOMFile.read(path: path), spacingToleranceMM: spacingToleranceMM)
    }

    /// Reads a parsed RT Dose file.
    public static func read(_ file: DICOMFile, spacingToleranceMM: Double = 0.01) throws(DICOMError) -> RTDose {
        let ds = file.dataset, src = file.source
        var warnings: [String] = []
        guard let ipp = ds.vector3(.imagePositionPatient) else {
            throw DICOMError(.missingAttribute, file: src, tag: .imagePositionPatient, "RT Dose needs Image Position (Patient)")
        }
        let iop = ds.doubles(.imageOrientationPatient)
        guard iop.count == 6 else { throw DICOMError(.missingAttribute, file: src, tag: .imageOrientationPatient, "RT Dose needs Image Orientation (Patient)") }
        let r = Vector3(iop[0], iop[1], iop[2]), c = Vector3(iop[3], iop[4], iop[5])
        guard abs(r.dot(c)) < 1e-3, abs(r.length - 1) < 1e-3, abs(c.length - 1) < 1e-3 else {
            throw DICOMError(.invalidValue, file: src, tag: .imageOrientationPatient, "Image Orientation (Patient) \(iop) is not orthonormal")
        }
        let ps = ds.doubles(.pixelSpacing)
        guard ps.count == 2 else { throw DICOMError(.missingAttribute, file: src, tag: .pixelSpacing, "RT Dose needs Pixel Spacing") }
        let n = r.cross(c).normalized
        let nFrames = max(1, ds.int(.numberOfFrames) ?? 1)
        var offsets = ds.doubles(T.gridFrameOffsetVector)
        if nFrames > 1 {
            guard offsets.count == nFrames else {
                throw DICOMError(.invalidValue, file: src, tag: T.gridFrameOffsetVector, "Grid Frame Offset Vector has \(offsets.count) values for \(nFrames) frames")
            }
            if let f = offsets.first, f != 0 {
                // Type 2 (PS3.3 C.8.8.3.2): absolute coordinates along the normal, allowed for axial grids only.
                offsets = offsets.map { $0 - ipp.dot(n) }
                warnings.append("Grid Frame Offset Vector starts at \(fmt(f)), read as absolute positions along the slice normal (first value not 0)")
            }
        } else {
            offsets = [0]
        }
        var spacing = 1.0
        if offsets.count >= 2 {
            let gaps = zip(offsets.dropFirst(), offsets).map { $0 - $1 }
            let s = gaps[0]
            guard s != 0 else { throw DICOMError(.invalidValue, file: src, tag: T.gridFrameOffsetVector, "duplicate frame offsets \(offsets[0]) and \(offsets[1])") }
            for (k, g) in gaps.enumerated() where abs(g - s) > spacingToleranceMM {
                throw DICOMError(.invalidValue, file: src, tag: T.gridFrameOffsetVector,
                                 "frames are not uniformly spaced: offset \(fmt(offsets[k])) → \(fmt(offsets[k + 1])) mm is \(fmt(g)) mm, the first gap is \(fmt(s)) mm")
            }
            spacing = s
        } else {
            spacing = ds.double(.sliceThickness) ?? 1
            warnings.append("single-frame dose grid: slice spacing \(fmt(spacing)) mm from Slice Thickness (1 mm when absent)")
        }
        let sliceDir = spacing < 0 ? -n : n
        let origin = ipp + n * offsets[0]
        let geometry = ImageGeometry(origin: origin, rowDirection: r, columnDirection: c, sliceDirection: sliceDir,
                                     spacing: Vector3(ps[1], ps[0], abs(spacing)))
        let pixels = try PixelData.decode(file)
        guard let scaling = ds.double(T.doseGridScaling) else {
            throw DICOMError(.missingAttribute, file: src, tag: T.doseGridScaling, "Dose Grid Scaling is required to convert stored values to dose")
        }
        let values = pixels.doubles().map { Float($0 * scaling) }
        let doseUnits = ds.string(T.doseUnits)
        var units = doseUnits
        if doseUnits?.uppercased() == "GY" { units = "Gy" } else {
            warnings.append("Dose Units is \(doseUnits ?? "missing"): values are \(doseUnits == "RELATIVE" ? "relative dose" : "of unknown units"), not Gy")
        }
        let volume = try toDICOM(Volume(size: GridSize(x: pixels.columns, y: pixels.rows, z: pixels.frames), voxels: values,
                                        geometry: geometry, units: units, frameOfReferenceUID: ds.string(.frameOfReferenceUID)), source: src)
        return RTDose(volume: volume, doseUnits: doseUnits, doseType: ds.string(T.doseType),
                      summationType: ds.string(T.doseSummationType), warnings: warnings)
    }
}
