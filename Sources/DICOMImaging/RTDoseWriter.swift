import DICOM
import Foundation
import Imaging

/// Writes a dose map (Gy) as a DICOM RT Dose object (multi-frame, 32-bit unsigned stored values × Dose Grid
/// Scaling, Grid Frame Offset Vector relative to the first frame), in the CT's frame of reference so viewers fuse
/// it with the CT. Read back by ``RTDoseReader``.
public enum RTDoseWriter {
    /// RT Dose Storage.
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.481.2"

    /// Builds the data set. `comment` goes to Image Comments (method, nuclide, decay data, conventions).
    public static func dataset(_ dose: Volume, study: StudyAttributes, series: SeriesAttributes, doseType: String = "PHYSICAL",
                               comment: String) throws(DICOMError) -> Dataset {
        let g = dose.geometry
        guard g.isOrthonormal() else { throw DICOMError(.invalidValue, tag: .imageOrientationPatient, "RT Dose needs orthonormal axes") }
        guard dose.size.count > 0, dose.voxels.allSatisfy({ $0.isFinite }) else {
            throw DICOMError(.invalidValue, tag: .pixelData, "RT Dose: empty grid or non-finite dose values")
        }
        var ds = series.header(sopClassUID: sopClassUID, sopInstanceUID: UIDGenerator.newUID(), modality: "RTDOSE",
                               date: study.studyDate, time: study.studyTime, study: study)
        ds.set(.frameOfReferenceUID, .UI, dose.frameOfReferenceUID ?? study.frameOfReferenceUID)
        ds.set(Element(tag: Tag(0x0020, 0x1040), vr: .LO, bytes: []))            // Position Reference Indicator
        ds.set(.manufacturer, .LO, "Scinti")
        ds.set(.instanceNumber, .IS, "1")
        ds.set(.contentDate, .DA, study.studyDate)
        ds.set(.contentTime, .TM, study.studyTime)
        ds.set(Tag(0x0020, 0x4000), .LT, String(comment.prefix(10240)))           // Image Comments
        ds.set(.imagePositionPatient, .DS, numbers: g.origin.array)
        ds.set(.imageOrientationPatient, .DS, numbers: g.rowDirection.array + g.columnDirection.array)
        ds.set(.pixelSpacing, .DS, numbers: [g.spacing.y, g.spacing.x])
        ds.set(.sliceThickness, .DS, numbers: [g.spacing.z])
        ds.set(.samplesPerPixel, .US, numbers: [1])
        ds.set(.photometricInterpretation, .CS, "MONOCHROME2")
        ds.set(.rows, .US, numbers: [Double(dose.size.y)])
        ds.set(.columns, .US, numbers: [Double(dose.size.x)])
        ds.set(.bitsAllocated, .US, numbers: [32])
        ds.set(.bitsStored, .US, numbers: [32])
        ds.set(.highBit, .US, numbers: [31])
        ds.set(.pixelRepresentation, .US, numbers: [0])
        ds.set(.numberOfFrames, .IS, String(dose.size.z))
        ds.set(Element(tag: .frameIncrementPointer, vr: .AT, bytes: [0x04, 0x30, 0x0C, 0x00]))   // (3004,000C)
        ds.set(T.doseUnits, .CS, "GY")
        ds.set(T.doseType, .CS, doseType)
        ds.set(T.doseSummationType, .CS, "PLAN")
        ds.set(T.gridFrameOffsetVector, .DS, numbers: (0..<dose.size.z).map { Double($0) * g.spacing.z })
        let maxDose = Double(dose.voxels.max() ?? 0)
        let scaling = maxDose > 0 ? maxDose / 4_000_000_000 : 1
        ds.set(T.doseGridScaling, .DS, numbers: [scaling])
        ds.set(Tag(0x3004, 0x0014), .CS, "IMAGE")                                 // Tissue Heterogeneity Correction
        var bytes = [UInt8](); bytes.reserveCapacity(dose.voxels.count * 4)
        for v in dose.voxels {
            let s = UInt32(min(max((Double(v) / scaling).rounded(), 0), 4_294_967_295))
            bytes.append(UInt8(s & 0xFF)); bytes.append(UInt8((s >> 8) & 0xFF))
            bytes.append(UInt8((s >> 16) & 0xFF)); bytes.append(UInt8(s >> 24))
        }
        ds.set(Element(tag: .pixelData, vr: .OW, bytes: bytes))
        return ds
    }

    /// Writes the RT Dose file (explicit VR little endian).
    public static func write(_ dose: Volume, study: StudyAttributes, series: SeriesAttributes, comment: String,
                             to path: String) throws(DICOMError) {
        let ds = try dataset(dose, study: study, series: series, comment: comment)
        try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian, source: path), to: path,
                              options: WriteOptions(transferSyntax: .explicitVRLittleEndian, validation: .strict))
    }
}
