import DICOM
import Foundation
import Imaging

/// Writes binary masks on one axis-aligned grid as a DICOM Segmentation (BINARY, 1 bit, one frame per segment and
/// slice), read back by ``SegmentationReader``. Used to hand the organ VOIs of simulated studies to `scinti dose`.
public enum SegmentationWriter {
    /// Segmentation Storage.
    public static let sopClassUID = "1.2.840.10008.5.1.4.1.1.66.4"

    /// Builds the data set: `segments` are (label, mask) with masks of `size.count` voxels on `geometry`.
    public static func dataset(segments: [(label: String, mask: [Bool])], size: GridSize, geometry g: ImageGeometry,
                               study: StudyAttributes, series: SeriesAttributes) throws(DICOMError) -> Dataset {
        guard !segments.isEmpty else { throw DICOMError(.invalidValue, tag: T.segmentSequence, "SEG writer: no segment") }
        guard g.isOrthonormal() else { throw DICOMError(.invalidValue, tag: .imageOrientationPatient, "SEG writer: axes not orthonormal") }
        for s in segments where s.mask.count != size.count {
            throw DICOMError(.invalidValue, tag: .pixelData, "SEG writer: segment \(s.label) has \(s.mask.count) voxels for a \(size) grid")
        }
        var ds = series.header(sopClassUID: sopClassUID, sopInstanceUID: UIDGenerator.newUID(), modality: "SEG",
                               date: study.studyDate, time: study.studyTime, study: study)
        ds.set(.frameOfReferenceUID, .UI, study.frameOfReferenceUID)
        ds.set(Element(tag: Tag(0x0020, 0x1040), vr: .LO, bytes: []))
        _ = ds.remove(Tag(0x0020, 0x0060))                          // Laterality: not for SEG
        ds.set(.manufacturer, .LO, "Scinti")
        ds.set(.manufacturerModelName, .LO, "scinti")
        ds.set(Tag(0x0018, 0x1000), .LO, "0")                       // Device Serial Number
        ds.set(Tag(0x0018, 0x1020), .LO, "0.1.0")                   // Software Versions
        // Multi-frame Dimension: (segment number, plane position).
        func at(_ t: Tag) -> [UInt8] { [UInt8(t.group & 0xFF), UInt8(t.group >> 8), UInt8(t.element & 0xFF), UInt8(t.element >> 8)] }
        let dimUID = UIDGenerator.newUID()
        var org = Dataset(); org.set(Tag(0x0020, 0x9164), .UI, dimUID)
        ds.set(Tag(0x0020, 0x9221), sequence: [org])
        var d1 = Dataset()
        d1.set(Element(tag: Tag(0x0020, 0x9165), vr: .AT, bytes: at(T.referencedSegmentNumber)))
        d1.set(Element(tag: Tag(0x0020, 0x9167), vr: .AT, bytes: at(T.segmentIdentificationSequence)))
        d1.set(Tag(0x0020, 0x9164), .UI, dimUID)
        var d2 = Dataset()
        d2.set(Element(tag: Tag(0x0020, 0x9165), vr: .AT, bytes: at(.imagePositionPatient)))
        d2.set(Element(tag: Tag(0x0020, 0x9167), vr: .AT, bytes: at(T.planePositionSequence)))
        d2.set(Tag(0x0020, 0x9164), .UI, dimUID)
        ds.set(Tag(0x0020, 0x9222), sequence: [d1, d2])
        ds.set(.instanceNumber, .IS, "1")
        ds.set(.contentDate, .DA, study.studyDate)
        ds.set(.contentTime, .TM, study.studyTime)
        ds.set(.imageType, .CS, strings: ["DERIVED", "PRIMARY"])
        ds.set(T.segmentationType, .CS, "BINARY")
        ds.set(Tag(0x0070, 0x0080), .CS, "ORGANS")                 // Content Label
        ds.set(Tag(0x0070, 0x0081), .LO, "VOIs")                   // Content Description
        ds.set(Tag(0x0070, 0x0084), .PN, "")                       // Content Creator's Name
        var items: [Dataset] = []
        for (n, s) in segments.enumerated() {
            var item = Dataset()
            item.set(T.segmentNumber, .US, numbers: [Double(n + 1)])
            item.set(T.segmentLabel, .LO, String(s.label.prefix(64)))
            item.set(T.segmentAlgorithmType, .CS, "MANUAL")
            var cat = Dataset()
            cat.set(Tag(0x0008, 0x0100), .SH, "123037004"); cat.set(Tag(0x0008, 0x0102), .SH, "SCT")
            cat.set(Tag(0x0008, 0x0104), .LO, "Anatomical Structure")
            item.set(T.segmentedPropertyCategoryCodeSequence, sequence: [cat])
            var type = Dataset()
            type.set(Tag(0x0008, 0x0100), .SH, "91723000"); type.set(Tag(0x0008, 0x0102), .SH, "SCT")
            type.set(Tag(0x0008, 0x0104), .LO, String(s.label.prefix(64)))
            item.set(T.segmentedPropertyTypeCodeSequence, sequence: [type])
            items.append(item)
        }
        ds.set(T.segmentSequence, sequence: items)
        // Shared functional groups: orientation and pixel measures.
        var orient = Dataset()
        orient.set(.imageOrientationPatient, .DS, numbers: g.rowDirection.array + g.columnDirection.array)
        var measures = Dataset()
        measures.set(.pixelSpacing, .DS, numbers: [g.spacing.y, g.spacing.x])
        measures.set(.sliceThickness, .DS, numbers: [g.spacing.z])
        measures.set(.spacingBetweenSlices, .DS, numbers: [g.spacing.z])
        var shared = Dataset()
        shared.set(T.planeOrientationSequence, sequence: [orient])
        shared.set(T.pixelMeasuresSequence, sequence: [measures])
        ds.set(T.sharedFunctionalGroups, sequence: [shared])
        // One frame per segment and slice holding any voxel of it; bits packed LSB first across frames.
        var perFrame: [Dataset] = []
        var bits: [Bool] = []
        let plane = size.x * size.y
        for (n, s) in segments.enumerated() {
            for k in 0..<size.z {
                let slice = s.mask[(k * plane)..<((k + 1) * plane)]
                guard slice.contains(true) else { continue }
                var pos = Dataset()
                pos.set(.imagePositionPatient, .DS, numbers: g.patientPosition(0, 0, k).array)
                var ident = Dataset()
                ident.set(T.referencedSegmentNumber, .US, numbers: [Double(n + 1)])
                var content = Dataset()
                content.set(Tag(0x0020, 0x9157), .UL, numbers: [Double(n + 1), Double(k + 1)])   // Dimension Index Values
                var fg = Dataset()
                fg.set(Tag(0x0020, 0x9111), sequence: [content])                                 // Frame Content
                fg.set(T.planePositionSequence, sequence: [pos])
                fg.set(T.segmentIdentificationSequence, sequence: [ident])
                perFrame.append(fg)
                bits.append(contentsOf: slice)
            }
        }
        guard !perFrame.isEmpty else { throw DICOMError(.invalidValue, tag: .pixelData, "SEG writer: every segment is empty") }
        ds.set(T.perFrameFunctionalGroups, sequence: perFrame)
        ds.set(.numberOfFrames, .IS, String(perFrame.count))
        ds.set(.samplesPerPixel, .US, numbers: [1])
        ds.set(.photometricInterpretation, .CS, "MONOCHROME2")
        ds.set(.rows, .US, numbers: [Double(size.y)])
        ds.set(.columns, .US, numbers: [Double(size.x)])
        ds.set(.bitsAllocated, .US, numbers: [1]); ds.set(.bitsStored, .US, numbers: [1]); ds.set(.highBit, .US, numbers: [0])
        ds.set(.pixelRepresentation, .US, numbers: [0])
        ds.set(Tag(0x0028, 0x2110), .CS, "00")
        var bytes = [UInt8](repeating: 0, count: (bits.count + 7) / 8 + ((bits.count + 7) / 8) % 2)
        for (i, b) in bits.enumerated() where b { bytes[i >> 3] |= UInt8(1 << (i & 7)) }
        ds.set(Element(tag: .pixelData, vr: .OB, bytes: bytes))
        return ds
    }

    /// Writes the SEG file (explicit VR little endian, lenient validation: the SEG IOD's optional references to
    /// the source images are not written).
    public static func write(segments: [(label: String, mask: [Bool])], size: GridSize, geometry: ImageGeometry,
                             study: StudyAttributes, series: SeriesAttributes, to path: String) throws(DICOMError) {
        let ds = try dataset(segments: segments, size: size, geometry: geometry, study: study, series: series)
        try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian, source: path), to: path,
                              options: WriteOptions(transferSyntax: .explicitVRLittleEndian, validation: .lenient))
    }
}
