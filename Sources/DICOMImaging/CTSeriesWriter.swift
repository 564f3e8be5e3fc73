import DICOM
import Foundation
import Imaging

/// Writes a CT volume (HU) as a CT Image Storage series: one file per slice, axial, with Image Plane geometry from
/// the volume, unsigned 16-bit stored values with Rescale Intercept −1024 and Slope 1, and kVp.
/// ``SeriesVolumeReader`` reads the folder back to the same voxels and geometry.
public enum CTSeriesWriter {
    /// CT Image Storage.
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.2"

    /// The data set of slice `k`.
    public static func dataset(_ volume: Volume, slice k: Int, study: StudyAttributes, series: SeriesAttributes,
                               kVp: Double = 120, acquisitionDate: String? = nil, acquisitionTime: String? = nil,
                               sopInstanceUID: String = UIDGenerator.newUID()) throws(DICOMError) -> Dataset {
        let g = volume.geometry
        guard g.isOrthonormal() else { throw DICOMError(.invalidValue, tag: .imageOrientationPatient, "CT slices need orthonormal axes") }
        guard k >= 0 && k < volume.size.z else { throw DICOMError(.invalidValue, tag: .instanceNumber, "slice \(k) outside 0..<\(volume.size.z)") }
        let date = acquisitionDate ?? study.studyDate, time = acquisitionTime ?? study.studyTime
        var ds = series.header(sopClassUID: sopClassUID, sopInstanceUID: sopInstanceUID, modality: "CT", date: date, time: time, study: study)
        ds.set(Tag(0x0018, 0x5100), .CS, "HFS")
        // General Image / CT Image.
        ds.set(.imageType, .CS, strings: ["ORIGINAL", "PRIMARY", "AXIAL"])
        ds.set(.instanceNumber, .IS, String(k + 1))
        ds.set(Tag(0x0020, 0x0012), .IS, "1")
        ds.set(.contentDate, .DA, date)
        ds.set(.contentTime, .TM, time)
        ds.set(.acquisitionDate, .DA, date)
        ds.set(.acquisitionTime, .TM, time)
        ds.set(.kvp, .DS, numbers: [kVp])
        ds.set(Tag(0x0018, 0x1210), .SH, "STANDARD")
        // Image Plane.
        let p = g.patientPosition(0, 0, k)
        ds.set(.imagePositionPatient, .DS, numbers: p.array)
        ds.set(.imageOrientationPatient, .DS, numbers: g.rowDirection.array + g.columnDirection.array)
        ds.set(.pixelSpacing, .DS, numbers: [g.spacing.y, g.spacing.x])
        ds.set(.sliceThickness, .DS, numbers: [g.spacing.z])
        ds.set(Tag(0x0020, 0x1041), .DS, numbers: [p.dot(g.sliceDirection)])
        // Image Pixel.
        ds.set(.samplesPerPixel, .US, numbers: [1])
        ds.set(.photometricInterpretation, .CS, "MONOCHROME2")
        ds.set(.rows, .US, numbers: [Double(volume.size.y)])
        ds.set(.columns, .US, numbers: [Double(volume.size.x)])
        ds.set(.bitsAllocated, .US, numbers: [16])
        ds.set(.bitsStored, .US, numbers: [16])
        ds.set(.highBit, .US, numbers: [15])
        ds.set(.pixelRepresentation, .US, numbers: [0])
        ds.set(.rescaleIntercept, .DS, numbers: [-1024])
        ds.set(.rescaleSlope, .DS, numbers: [1])
        ds.set(.rescaleType, .LO, "HU")
        ds.set(Tag(0x0028, 0x1050), .DS, numbers: [40])
        ds.set(Tag(0x0028, 0x1051), .DS, numbers: [400])
        let slice = volume.slice(k)
        var bytes = [UInt8](); bytes.reserveCapacity(slice.count * 2)
        for v in slice {
            let s = Int((Double(v) + 1024).rounded())
            let u = UInt16(clamping: max(0, s))
            bytes.append(UInt8(u & 0xFF)); bytes.append(UInt8(u >> 8))
        }
        ds.set(Element(tag: .pixelData, vr: .OW, bytes: bytes))
        return ds
    }

    /// Writes every slice into `directory` (created if needed) as `CT_0001.dcm`…; returns the paths.
    @discardableResult
    public static func write(_ volume: Volume, study: StudyAttributes, series: SeriesAttributes, to directory: String,
                             kVp: Double = 120, acquisitionDate: String? = nil, acquisitionTime: String? = nil) throws(DICOMError) -> [String] {
        try writeSliceSeries(count: volume.size.z, prefix: "CT", kind: "CT", to: directory) { k throws(DICOMError) in
            try dataset(volume, slice: k, study: study, series: series, kVp: kVp,
                        acquisitionDate: acquisitionDate, acquisitionTime: acquisitionTime)
        }
    }
}
