import DICOM
import DICOMImaging
import Foundation
import Imaging
import Testing

/// Synthetic CT series (2×2 slices) for the stacking errors.
struct StackErrorTests {
    static func slice(z: Double, y: Double = 0, iop: [Double] = [1, 0, 0, 0, 1, 0], tilt: Double? = nil, name: String,
                      value: Double = 1000) -> DICOMFile {
        var ds = Dataset()
        ds.set(.modality, .CS, "CT")
        ds.set(.seriesInstanceUID, .UI, "1.2.3.4")
        ds.set(.imagePositionPatient, .DS, numbers: [0, y, z])
        ds.set(.imageOrientationPatient, .DS, numbers: iop)
        ds.set(.pixelSpacing, .DS, numbers: [0.5, 0.5])
        if let tilt { ds.set(.gantryDetectorTilt, .DS, numbers: [tilt]) }
        ds.set(.rows, .US, numbers: [2]); ds.set(.columns, .US, numbers: [2])
        ds.set(.bitsAllocated, .US, numbers: [16]); ds.set(.bitsStored, .US, numbers: [16])
        ds.set(.pixelRepresentation, .US, numbers: [0]); ds.set(.samplesPerPixel, .US, numbers: [1])
        ds.set(.rescaleSlope, .DS, numbers: [2]); ds.set(.rescaleIntercept, .DS, numbers: [-1024])
        ds.set(.pixelData, .OW, numbers: [value, value, value, value])
        return DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian, source: name)
    }

    static func message(_ files: [DICOMFile]) -> String? {
        do { _ = try SeriesVolumeReader.read(files: files); return nil } catch { return error.description }
    }

    @Test func regularStackSortsAndRescales() throws {
        let files = [Self.slice(z: 5, name: "c.dcm", value: 3), Self.slice(z: 0, name: "a.dcm", value: 1), Self.slice(z: 2.5, name: "b.dcm", value: 2)]
        let s = try SeriesVolumeReader.read(files: files)
        #expect(s.sliceSources == ["a.dcm", "b.dcm", "c.dcm"])
        #expect(s.volume.geometry.spacing == Vector3(0.5, 0.5, 2.5))
        let expected: [Float] = [-1022, -1022, -1022, -1022, -1020, -1020, -1020, -1020, -1018, -1018, -1018, -1018]  // 2·v − 1024
        #expect(s.volume.voxels == expected)
        #expect(s.volume.units == "HU")
    }

    @Test func nonUniformSpacingNamesTheFiles() {
        let files = [0.0, 2.5, 5, 10].enumerated().map { Self.slice(z: $1, name: "s\($0).dcm") }
        let m = Self.message(files)
        #expect(m?.contains("not uniformly spaced") == true)
        #expect(m?.contains("s2.dcm") == true && m?.contains("s3.dcm") == true)
        #expect(m?.contains("5 mm between") == true)
    }

    @Test func duplicatePositionsNameTheFiles() {
        let files = [Self.slice(z: 0, name: "one.dcm"), Self.slice(z: 0, name: "two.dcm")]
        let m = Self.message(files)
        #expect(m?.contains("duplicate slice position") == true && m?.contains("one.dcm") == true && m?.contains("two.dcm") == true)
    }

    @Test func gantryTiltAttributeIsRefused() {
        let c = cos(15 * Double.pi / 180), s = sin(15 * Double.pi / 180)
        let files = (0..<3).map { Self.slice(z: Double($0) * 2.5, iop: [1, 0, 0, 0, c, -s], tilt: 15, name: "t\($0).dcm") }
        let m = Self.message(files)
        #expect(m?.contains("Gantry/Detector Tilt is 15°") == true)
    }

    @Test func shearedStackIsRefusedEvenWithoutTiltAttribute() {
        // Tilted IOP with positions stepping along z only: a sheared stack (tilt ≈ 15°).
        let c = cos(15 * Double.pi / 180), s = sin(15 * Double.pi / 180)
        let files = (0..<3).map { Self.slice(z: Double($0) * 2.5, iop: [1, 0, 0, 0, c, -s], name: "t\($0).dcm") }
        let m = Self.message(files)
        #expect(m?.contains("gantry tilt") == true)
        #expect(m?.contains("15°") == true)
    }

    @Test func nonOrthogonalOrientationIsRefused() {
        let files = (0..<2).map { Self.slice(z: Double($0), iop: [1, 0, 0, 0.2, 0.98, 0], name: "n\($0).dcm") }
        let m = Self.message(files)
        #expect(m?.contains("not two orthogonal unit vectors") == true)
    }
}
