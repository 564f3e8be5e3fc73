import DICOM
import Foundation
import Imaging

/// A DICOM Segmentation read as one mask volume per segment on a common grid.
public struct Segmentation: Sendable {
    /// Segmentation Type: `BINARY`, `FRACTIONAL` or `LABELMAP`.
    public var segmentationType: String
    /// One mask per segment (in Segment Sequence order), all on the same grid.
    public var segments: [SegmentMask]
    /// Position along the slice normal (mm) of each slice of the grid.
    public var slicePositions: [Double]
    /// What the reader tolerated or assumed.
    public var warnings: [String]

    /// The mask of a segment number.
    public func segment(_ number: Int) -> SegmentMask? { segments.first { $0.number == number } }
}

/// Reads Segmentation objects (BINARY 1-bit, FRACTIONAL 8-bit, LABELMAP 8/16-bit).
///
/// Frames are placed by their Per-Frame Functional Groups: Segment Identification (which segment) and Plane
/// Position (which slice). The grid spans the frames' positions (from the lowest to the highest along the
/// normal, spaced by Spacing Between Slices, else by the smallest gap); slices without a frame stay 0.
public enum SegmentationReader {
    /// Reads a SEG file.
    public static func read(path: String) throws(DICOMError) -> Segmentation {
        try read(DICOMFile.read(path: path))
    }

    /// Reads a parsed SEG file.
    public static func read(_ file: DICOMFile) throws(DICOMError) -> Segmentation {
        let ds = file.dataset
        let src = file.source
        var warnings: [String] = []
        let segType = ds.string(T.segmentationType)?.uppercased() ?? "BINARY"
        let nFrames = max(1, ds.int(.numberOfFrames) ?? 1)
        guard let rows = ds.int(.rows), let cols = ds.int(.columns) else {
            throw DICOMError(.missingAttribute, file: src, tag: .rows, "SEG needs Rows and Columns")
        }
        // Per-frame placement.
        var planes: [Plane] = []
        var frameSegment: [Int?] = []
        for k in 0..<nFrames {
            planes.append(try SeriesVolumeReader.enhancedPlane(ds, frame: k, label: "\(src ?? "SEG") frame \(k + 1)", fileIndex: 0, source: src))
            frameSegment.append(ds.functionalGroup(T.segmentIdentificationSequence, frame: k)?.int(T.referencedSegmentNumber))
        }
        if segType != "LABELMAP", let k = frameSegment.firstIndex(where: { $0 == nil }) {
            throw DICOMError(.missingAttribute, file: src, tag: T.segmentIdentificationSequence, "frame \(k + 1) has no Referenced Segment Number")
        }
        let r = planes[0].row, c = planes[0].column
        guard abs(r.dot(c)) < 1e-3, abs(r.length - 1) < 1e-3, abs(c.length - 1) < 1e-3 else {
            throw DICOMError(.invalidValue, file: src, tag: .imageOrientationPatient, "Image Orientation (Patient) is not orthonormal")
        }
        for p in planes where (p.row - r).length > 1e-3 || (p.column - c).length > 1e-3 {
            throw DICOMError(.unsupported, file: src, tag: .imageOrientationPatient, "\(p.label) has a different orientation: not one grid")
        }
        let n = r.cross(c).normalized
        let pos = planes.map { $0.position.dot(n) }
        let distinct = Array(Set(pos.map { ($0 * 1000).rounded() / 1000 })).sorted()
        let measures = ds.functionalGroup(T.pixelMeasuresSequence, frame: 0)
        let ps = measures?.doubles(.pixelSpacing) ?? ds.doubles(.pixelSpacing)
        guard ps.count == 2 else { throw DICOMError(.missingAttribute, file: src, tag: .pixelSpacing, "SEG needs Pixel Spacing in the Pixel Measures functional group") }
        var spacing: Double
        let gaps = zip(distinct.dropFirst(), distinct).map { $0 - $1 }
        if let s = measures?.double(.spacingBetweenSlices) ?? ds.double(.spacingBetweenSlices), s > 0 {
            spacing = s
            if let g = gaps.min(), g < s - 1e-3 { warnings.append("frames \(fmt(g)) mm apart, closer than Spacing Between Slices \(fmt(s)) mm; grid uses the smaller gap"); spacing = g }
        } else if let g = gaps.min() {
            spacing = g
            warnings.append("no Spacing Between Slices: slice spacing \(fmt(g)) mm taken from the smallest gap between frame positions")
        } else {
            spacing = measures?.double(.sliceThickness) ?? 1
            warnings.append("single slice position: slice spacing \(fmt(spacing)) mm taken from Slice Thickness (or 1 mm when absent)")
        }
        let lowest = planes[pos.firstIndex(of: pos.min()!)!].position
        var sliceOf: [Int] = []
        for (k, p) in planes.enumerated() {
            let d = p.position - lowest
            let along = d.dot(n)
            let idx = Int((along / spacing).rounded())
            if abs(along - Double(idx) * spacing) > max(0.01, 0.05 * spacing) || (d - n * along).length > 0.01 {
                throw DICOMError(.invalidValue, file: src, tag: T.planePositionSequence,
                                 "frame \(k + 1) at \(p.position) is not on the grid of \(fmt(spacing)) mm slices through \(lowest)")
            }
            sliceOf.append(idx)
        }
        let nz = (sliceOf.max() ?? 0) + 1
        let geometry = ImageGeometry(origin: lowest, rowDirection: r, columnDirection: c, sliceDirection: n,
                                     spacing: Vector3(ps[1], ps[0], spacing))
        let size = GridSize(x: cols, y: rows, z: nz)

        let pixels = try PixelData.decode(file)
        let values = pixels.doubles()
        let perFrame = rows * cols
        let maxFrac = ds.double(T.maximumFractionalValue) ?? 255
        let segItems = ds.sequence(T.segmentSequence)
        if segItems.isEmpty { throw DICOMError(.missingAttribute, file: src, tag: T.segmentSequence, "SEG without Segment Sequence") }
        var masks: [SegmentMask] = []
        for item in segItems {
            guard let number = item.int(T.segmentNumber) else {
                throw DICOMError(.missingAttribute, file: src, tag: T.segmentNumber, "Segment Sequence item without Segment Number")
            }
            var vox = [Float](repeating: 0, count: size.count)
            var used = 0
            for k in 0..<nFrames {
                if segType != "LABELMAP" && frameSegment[k] != number { continue }
                used += 1
                let base = sliceOf[k] * perFrame, from = k * perFrame
                for i in 0..<perFrame {
                    let v = values[from + i]
                    let m: Float
                    switch segType {
                    case "FRACTIONAL": m = Float(v / maxFrac)
                    case "LABELMAP": m = Int(v) == number ? 1 : 0
                    default: m = v != 0 ? 1 : 0
                    }
                    if m != 0 { vox[base + i] = max(vox[base + i], m) }
                }
            }
            if used == 0 { warnings.append("segment \(number) has no frames: empty mask") }
            let volume = try toDICOM(Volume(size: size, voxels: vox, geometry: geometry, units: nil,
                                            frameOfReferenceUID: ds.string(.frameOfReferenceUID)), source: src)
            masks.append(SegmentMask(number: number, label: item.string(T.segmentLabel),
                                     category: item.codeMeaning(T.segmentedPropertyCategoryCodeSequence),
                                     type: item.codeMeaning(T.segmentedPropertyTypeCodeSequence),
                                     algorithmType: item.string(T.segmentAlgorithmType), mask: volume))
        }
        let slicePositions = (0..<nz).map { lowest.dot(n) + Double($0) * spacing }
        return Segmentation(segmentationType: segType, segments: masks, slicePositions: slicePositions, warnings: warnings)
    }
}
