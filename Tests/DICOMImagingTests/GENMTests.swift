import DICOM
import DICOMImaging
import Foundation
import Imaging
import Testing

/// The real GE Discovery 670 Lu-177 TOMO projections; truth from vendor-quirks.md and pydicom 3.0.2.
@Suite(.enabled(if: Corpus.exists(Corpus.geNM), "GE D670 NM file not found under ../shared/corpus"))
struct GENMTests {
    static let acq: NMAcquisition? = try? NMReader.read(path: Corpus.path(Corpus.geNM))

    @Test func layout() throws {
        let acq = try #require(Self.acq)
        #expect(acq.imageType == .tomo)
        #expect(acq.numberOfFrames == 360)
        #expect(acq.rows == 128 && acq.columns == 128)
        #expect(acq.energyWindows.count == 6)
        #expect(acq.detectors.count == 1)
        #expect(acq.rotations.count == 1)
        let rot = acq.rotations[0]
        #expect(rot.startAngle == 0.16 && rot.angularStep == 6 && rot.direction == .clockwise)
        #expect(rot.numberOfViews == 60 && rot.scanArc == 360 && rot.actualFrameDurationMs == 25000)
        #expect(rot.radialPosition == [254.8])
        #expect(acq.detectors[0].collimatorName == "MEGP")
        #expect(acq.detectors[0].radialPositions.isEmpty)
    }

    @Test func energyWindowsMatchVendorNotes() throws {
        let acq = try #require(Self.acq)
        let expected: [(Double, Double)] = [(101.7, 124.3), (187.2, 228.8), (229.63, 251.16), (166.89, 186.31), (124.32, 134.68), (91.2, 100.8)]
        for (k, w) in acq.energyWindows.enumerated() {
            #expect(w.number == k + 1)
            #expect(w.lowerKeV == expected[k].0, "window \(k + 1) lower")
            #expect(w.upperKeV == expected[k].1, "window \(k + 1) upper")
        }
        #expect(acq.energyWindows[1].name == "Lu177_EM")
    }

    @Test func perFrameIndicesAndAngles() throws {
        let acq = try #require(Self.acq)
        // pydicom: EnergyWindowVector = 60×1, 60×2, …; AngularViewVector = 1…60 repeated; one detector, one rotation.
        for f in acq.frames {
            #expect(f.energyWindow == f.frame / 60 + 1)
            #expect(f.angularView == f.frame % 60 + 1)
            #expect(f.detector == 1 && f.rotation == 1)
            let angle = 0.16 + 6 * Double(f.frame % 60)  // clockwise from 0.16° in 6° steps, < 360
            #expect(abs(try #require(f.gantryAngle) - angle) < 1e-9, "frame \(f.frame)")
            #expect(f.radialPosition == 254.8)
        }
    }

    @Test func warningsNameTheDefaults() throws {
        let acq = try #require(Self.acq)
        #expect(acq.warnings.contains { $0.contains("no Radial Position (0018,1142) per view") && $0.contains("254.8 mm") })
        #expect(acq.warnings.contains { $0.contains("Radionuclide Total Dose") && $0.contains("is 0") })
        #expect(acq.warnings.contains { $0.contains("Radionuclide Code Sequence") })
    }

    @Test func projectionSetOfPhotopeakWindow() throws {
        let acq = try #require(Self.acq)
        let p = try acq.projectionSet(energyWindow: 2, detector: 1)
        #expect(p.views == 60 && p.rows == 128 && p.columns == 128)
        #expect(p.counts.count == 60 * 128 * 128)
        #expect(p.frames.map(\.frame) == Array(60..<120))
        #expect(abs(try #require(p.angles[59]) - 354.16) < 1e-9)
        let sum = p.counts.reduce(0.0) { $0 + Double($1) }
        // Independently: raw little-endian uint16 words of frames 60…119 straight from the Pixel Data element.
        let file = try DICOMFile.read(path: Corpus.path(Corpus.geNM))
        let bytes = try #require(file.dataset[.pixelData]?.bytes)
        let frameBytes = 128 * 128 * 2
        let window = file.dataset.ints(Tag(0x0054, 0x0010))
        var raw = 0.0
        bytes.withUnsafeBytes { r in
            for k in 0..<360 where window[k] == 2 {
                for i in 0..<(128 * 128) {
                    raw += Double(UInt16(littleEndian: r.loadUnaligned(fromByteOffset: k * frameBytes + 2 * i, as: UInt16.self)))
                }
            }
        }
        #expect(sum == raw)
        #expect(sum == 2_875_021)  // pydicom: pixel_array[EnergyWindowVector == 2].sum()
    }

    @Test func summaryText() throws {
        let d = try SeriesSummary.describe(path: Corpus.path(Corpus.geNM))
        let s = try #require(d.series.first)
        #expect(s.sopClassName == "Nuclear Medicine Image Storage")
        #expect(s.nm?.layout == "6 energy windows × 1 detector × 60 views = 360 frames")
        #expect(s.text.contains("Window 3 \"sc4_SC\": 229.63–251.16 keV"))
        #expect(s.text.contains("Rotation 1: start 0.16°, step 6°, CW, arc 360°, 60 views, 25 s per view"))
        let json = try JSONEncoder().encode(d)
        let back = try JSONDecoder().decode(DICOMDescription.self, from: json)
        #expect(back == d)
    }
}
