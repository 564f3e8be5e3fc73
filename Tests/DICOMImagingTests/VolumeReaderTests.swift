import DICOM
import DICOMImaging
import Foundation
import Imaging
import Testing

/// Real CT / PET / SEG / RT Dose files; truth from pydicom 3.0.2 and the corpus MANIFEST.
struct CorpusVolumeTests {
    @Test(.enabled(if: Corpus.exists(Corpus.geCT), "GE CTAC series not found"))
    func geCTSeries() throws {
        let s = try SeriesVolumeReader.read(path: Corpus.path(Corpus.geCT))
        let v = s.volume
        #expect(v.size == GridSize(x: 512, y: 512, z: 194))
        #expect(abs(v.geometry.spacing.z - 2.5) < 1e-9)
        #expect(abs(v.geometry.spacing.x - 0.976562) < 1e-9)
        #expect(v.geometry.origin.z == -378)                      // pydicom: min Image Position z
        #expect(abs(v.patientPosition(0, 0, 193).z - 104.5) < 1e-9) // pydicom: max Image Position z
        #expect(v.units == "HU")
        #expect(v.frameOfReferenceUID == "1.2.840.113619.2.280.2.1.14122020074608965.920723789")
        // CT110 is at z = 104.5 (slice 193); stored value at row 256, column 256 read from the raw bytes.
        let file = try DICOMFile.read(path: Corpus.path(Corpus.geCT) + "/CTACLBONE2.5mmTomoCT_H_1001_CT110_anon.dcm")
        let bytes = try #require(file.dataset[.pixelData]?.bytes)
        let stored = bytes.withUnsafeBytes { Int16(littleEndian: $0.loadUnaligned(fromByteOffset: (256 * 512 + 256) * 2, as: Int16.self)) }
        #expect(stored == 833)                                   // pydicom pixel_array[256, 256]
        #expect(v[256, 256, 193] == Float(833 * 1 - 1024))      // slope 1, intercept −1024 → −191 HU
        #expect(s.sliceSources[193].hasSuffix("CT110_anon.dcm"))
    }

    @Test(.enabled(if: Corpus.exists(Corpus.geCT), "GE CTAC series not found"))
    func geCTSummary() throws {
        let d = try SeriesSummary.describe(path: Corpus.path(Corpus.geCT))
        let s = try #require(d.series.first)
        #expect(d.series.count == 1)
        #expect(s.stack?.slices == 194 && s.stack?.sliceSpacing == 2.5)
        #expect(s.stack?.zMin == -378 && s.stack?.zMax == 104.5)
        #expect(s.sopClassName == "CT Image Storage")
        #expect(s.text.contains("Slices: 194, spacing 2.5 mm"))
    }

    @Test(.enabled(if: Corpus.exists(Corpus.pet), "PET slice not found"))
    func petAttributes() throws {
        let s = try SeriesVolumeReader.read(path: Corpus.path(Corpus.pet))
        let pet = try #require(s.pet)
        #expect(pet.units == "BQML" && s.volume.units == "BQML")
        #expect(pet.decayCorrection == "START")
        #expect(pet.correctedImage == ["NORM", "DTIM", "ATTN", "SCAT", "RADL", "DECY"])
        #expect(pet.isDecayCorrected && pet.isAttenuationCorrected)
        #expect(pet.patientWeightKg == 69.7344)
        #expect(pet.seriesDate == "19600614" && pet.seriesTime == "152316.921000")
        let r = try #require(pet.radiopharmaceutical)
        #expect(r.halfLifeSeconds == 6586.2 && r.totalDoseBq == 178340011.59668 && r.startTime == "141700.000000")
        #expect(r.radionuclide == "F^18^[^18^Fluorine]")
        #expect(s.volume.size == GridSize(x: 168, y: 168, z: 1))
        #expect(s.warnings.contains { $0.contains("single slice") && $0.contains("5 mm") })
        // pydicom pixel_array[84, 84] = 154; Rescale Slope 9.12329, intercept 0.
        #expect(s.volume[84, 84, 0] == Float(154 * 9.12329))
    }

    @Test(.enabled(if: Corpus.exists(Corpus.seg), "SEG not found"))
    func liverSegmentation() throws {
        let seg = try SegmentationReader.read(path: Corpus.path(Corpus.seg))
        #expect(seg.segmentationType == "BINARY")
        #expect(seg.segments.count == 1)
        let liver = try #require(seg.segment(1))
        #expect(liver.label == "Liver" && liver.type == "Liver" && liver.category == "Tissue")
        #expect(liver.mask.size == GridSize(x: 512, y: 512, z: 3))
        #expect(abs(liver.mask.geometry.spacing.z - 1) < 1e-9 && abs(liver.mask.geometry.spacing.x - 0.810547) < 1e-9)
        #expect((liver.mask.geometry.origin - Vector3(-235.2, -226.8, -128.69)).length < 1e-6)
        // pydicom: per-frame sums of pixel_array = 36233, 35645, 35220 (frames at z −128.69, −127.69, −126.69).
        for (z, n) in [36233, 35645, 35220].enumerated() {
            #expect(liver.mask.slice(z).reduce(0) { $0 + Int($1) } == n)
        }
    }

    @Test(.enabled(if: Corpus.exists(Corpus.dose), "RT Dose not found"))
    func rtDose() throws {
        let d = try RTDoseReader.read(path: Corpus.path(Corpus.dose))
        #expect(d.volume.size == GridSize(x: 10, y: 10, z: 15))
        #expect(d.volume.geometry.spacing.z == 5)
        #expect(d.volume.geometry.origin == Vector3(189.43125, 199.43125, -761.87))
        // pydicom: pixel_array[3, 5, 7] = 984000, DoseGridScaling 1e-6.
        #expect(abs(d.volume[7, 5, 3] - 0.984) < 1e-6)
        #expect(abs(d.volume.sum - 1_519_910_000 * 1e-6) < 1e-3)  // pydicom pixel_array.sum() × 1e-6
        #expect(d.doseUnits == "RELATIVE")
        #expect(d.warnings.contains { $0.contains("RELATIVE") })
    }

    @Test(.enabled(if: Corpus.exists("ct/eCT_Supplemental.dcm"), "enhanced CT not found"))
    func enhancedCT() throws {
        // pydicom: 2 frames at z −159 and −149, pixel 0.388672 mm, shared Pixel Value Transformation (1, −1024),
        // pixel_array[0, 256, 256] = 1105.
        let s = try SeriesVolumeReader.read(path: Corpus.path("ct/eCT_Supplemental.dcm"))
        #expect(s.volume.size == GridSize(x: 512, y: 512, z: 2))
        #expect(s.volume.geometry.spacing.z == 10)
        // IOP (−1,0,0, 0,1,0): the slice normal is −z, so the stack runs from z −149 (slice 0) to −159 (slice 1).
        #expect(s.volume.geometry.sliceDirection == Vector3(0, 0, -1))
        #expect(s.volume.geometry.origin == Vector3(99.5, -301.5, -149))
        #expect(s.volume.patientPosition(0, 0, 1).z == -159)
        #expect(s.volume[256, 256, 1] == 1105 - 1024)  // frame 1 of the file
        #expect(s.volume.units == "HU")
    }
}
