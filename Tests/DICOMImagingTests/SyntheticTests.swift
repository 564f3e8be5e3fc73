import DICOM
import DICOMImaging
import Foundation
import Imaging
import Testing

/// Data sets built in the test with hand-computed expectations.
enum Build {
    static func at(_ tags: [Tag]) -> Element {
        var b: [UInt8] = []
        for t in tags {
            b += [UInt8(t.group & 0xFF), UInt8(t.group >> 8), UInt8(t.element & 0xFF), UInt8(t.element >> 8)]
        }
        return Element(tag: .frameIncrementPointer, vr: .AT, bytes: b)
    }
    static func item(_ body: (inout Dataset) -> Void) -> Dataset { var d = Dataset(); body(&d); return d }
    static func window(_ lo: Double, _ hi: Double, _ name: String) -> Dataset {
        item {
            $0.set(Tag(0x0054, 0x0013), sequence: [item { r in
                r.set(Tag(0x0054, 0x0014), .DS, numbers: [lo]); r.set(Tag(0x0054, 0x0015), .DS, numbers: [hi])
            }])
            $0.set(Tag(0x0054, 0x0018), .SH, name)
        }
    }
    /// An NM data set with `frames` 2×2 frames whose pixel values are the frame number.
    static func nm(type: String, frames: Int, fip: [Tag], vectors: [(Tag, [Int])]) -> Dataset {
        var ds = Dataset()
        ds.set(.imageType, .CS, strings: ["ORIGINAL", "PRIMARY", type, "EMISSION"])
        ds.set(.modality, .CS, "NM")
        ds.set(.numberOfFrames, .IS, numbers: [Double(frames)])
        ds.set(at(fip))
        ds.set(.rows, .US, numbers: [2]); ds.set(.columns, .US, numbers: [2])
        ds.set(.bitsAllocated, .US, numbers: [16]); ds.set(.bitsStored, .US, numbers: [16])
        ds.set(.pixelRepresentation, .US, numbers: [0]); ds.set(.samplesPerPixel, .US, numbers: [1])
        ds.set(.pixelSpacing, .DS, numbers: [4, 4])
        for (t, v) in vectors { ds.set(t, .US, numbers: v.map(Double.init)) }
        ds.set(.pixelData, .OW, numbers: (0..<frames).flatMap { Array(repeating: Double($0), count: 4) })
        ds.set(Tag(0x0054, 0x0012), sequence: [window(126, 154, "Tc99m")])
        return ds
    }
    static func file(_ ds: Dataset, _ name: String = "synthetic") -> DICOMFile {
        DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian, source: name)
    }
    static let ew = Tag(0x0054, 0x0010), det = Tag(0x0054, 0x0020), phase = Tag(0x0054, 0x0030)
    static let rot = Tag(0x0054, 0x0050), rr = Tag(0x0054, 0x0060), slot = Tag(0x0054, 0x0070)
    static let view = Tag(0x0054, 0x0090), tslice = Tag(0x0054, 0x0100)
}

struct SyntheticNMTests {
    @Test func gated() throws {
        // 2 R-R intervals × 4 time slots; frame k → interval k/4+1, slot k%4+1.
        var ds = Build.nm(type: "GATED", frames: 8, fip: [Build.ew, Build.det, Build.rr, Build.slot],
                          vectors: [(Build.ew, Array(repeating: 1, count: 8)), (Build.det, Array(repeating: 1, count: 8)),
                                    (Build.rr, [1, 1, 1, 1, 2, 2, 2, 2]), (Build.slot, [1, 2, 3, 4, 1, 2, 3, 4])])
        ds.set(Tag(0x0054, 0x0022), sequence: [Dataset()])
        ds.set(Tag(0x0054, 0x0071), .US, numbers: [4])
        ds.set(Tag(0x0054, 0x0062), sequence: (0..<2).map { k in Build.item {
            $0.set(Tag(0x0018, 0x1060), .DS, numbers: [Double(k * 10)])
            $0.set(Tag(0x0054, 0x0063), sequence: [Build.item { d in
                d.set(Tag(0x0018, 0x1063), .DS, numbers: [200])
                d.set(Tag(0x0018, 0x1081), .IS, numbers: [700]); d.set(Tag(0x0018, 0x1082), .IS, numbers: [1100])
                d.set(Tag(0x0054, 0x0072), sequence: (0..<4).map { s in Build.item { $0.set(Tag(0x0054, 0x0073), .DS, numbers: [Double(s * 200)]) } })
            }])
        } })
        let acq = try NMReader.read(Build.file(ds))
        #expect(acq.imageType == .gated)
        #expect(acq.frames[5].rrInterval == 2 && acq.frames[5].timeSlot == 2)
        #expect(acq.frames[3].rrInterval == 1 && acq.frames[3].timeSlot == 4)
        #expect(acq.frames.allSatisfy { $0.gantryAngle == nil && $0.angularView == nil })
        #expect(acq.rrIntervals.count == 2 && acq.rrIntervals[1].triggerTimeMs == 10)
        #expect(acq.rrIntervals[0].timeSlots.map(\.timeMs) == [0, 200, 400, 600])
        #expect(acq.rrIntervals[0].lowRRMs == 700 && acq.rrIntervals[0].highRRMs == 1100 && acq.rrIntervals[0].frameTimeMs == 200)
        #expect(try acq.planarImage(frame: 6).counts == [6, 6, 6, 6])
        #expect(acq.warnings.contains { $0.contains("no Radiopharmaceutical Information Sequence") })
        let s = try SeriesSummaryHelper.layout(ds)
        #expect(s == "1 energy window × 1 detector × 2 R-R intervals × 4 time slots = 8 frames")
    }

    @Test func dynamic() throws {
        // Phase 1: 3 frames × 1 s; phase 2: 2 frames × 5 s (pause 500 ms).
        var ds = Build.nm(type: "DYNAMIC", frames: 5, fip: [Build.ew, Build.det, Build.phase, Build.tslice],
                          vectors: [(Build.ew, [1, 1, 1, 1, 1]), (Build.det, [1, 1, 1, 1, 1]),
                                    (Build.phase, [1, 1, 1, 2, 2]), (Build.tslice, [1, 2, 3, 1, 2])])
        ds.set(Tag(0x0054, 0x0022), sequence: [Dataset()])
        ds.set(Tag(0x0054, 0x0032), sequence: [
            Build.item { $0.set(.actualFrameDuration, .IS, numbers: [1000]); $0.set(Tag(0x0054, 0x0033), .US, numbers: [3]) },
            Build.item { $0.set(.actualFrameDuration, .IS, numbers: [5000]); $0.set(Tag(0x0054, 0x0033), .US, numbers: [2]); $0.set(Tag(0x0054, 0x0038), .IS, numbers: [500]) },
        ])
        ds.set(Tag(0x0054, 0x0016), sequence: [Build.item {
            $0.set(Tag(0x0018, 0x1074), .DS, numbers: [740e6]); $0.set(Tag(0x0018, 0x1075), .DS, numbers: [21624.12])
            $0.set(Tag(0x0018, 0x1078), .DT, "20240101093000")
            $0.set(Tag(0x0054, 0x0300), sequence: [Build.item { $0.set(Tag(0x0008, 0x0104), .LO, "^99m^Technetium") }])
        }])
        let acq = try NMReader.read(Build.file(ds))
        #expect(acq.imageType == .dynamic)
        #expect(acq.frames[3].phase == 2 && acq.frames[3].timeSlice == 1)
        #expect(acq.frames[4].phase == 2 && acq.frames[4].timeSlice == 2)
        #expect(try acq.planarImage(frame: 4).frameDurationMs == 5000)
        #expect(try acq.planarImage(frame: 1).frameDurationMs == 1000)
        #expect(acq.phases[1].timeSliceStartMs(2) == 5500)
        #expect(acq.radiopharmaceutical?.totalDoseBq == 740e6 && acq.radiopharmaceutical?.radionuclide == "^99m^Technetium")
        #expect(!acq.warnings.contains { $0.contains("Radionuclide") })
    }

    @Test func wholeBody() throws {
        var ds = Build.nm(type: "WHOLE BODY", frames: 2, fip: [Build.ew, Build.det], vectors: [(Build.ew, [1, 1]), (Build.det, [1, 2])])
        ds.set(Tag(0x0054, 0x0022), sequence: ["anterior", "posterior"].map { v in Build.item {
            $0.set(Tag(0x0054, 0x0220), sequence: [Build.item { $0.set(Tag(0x0008, 0x0104), .LO, v) }])
            $0.set(Tag(0x0018, 0x1180), .SH, "LEHR")
        } })
        let acq = try NMReader.read(Build.file(ds))
        #expect(acq.imageType == .wholeBody)
        #expect(acq.frames.map(\.detector) == [1, 2])
        #expect(acq.detectors.map(\.view) == ["anterior", "posterior"])
        #expect(try acq.planarImage(frame: 1).index.detector == 2)
        #expect(try SeriesSummaryHelper.layout(ds) == "1 energy window × 2 detectors = 2 frames")
    }

    @Test func twoHeadCounterClockwiseTomoWithInterleavedWindows() throws {
        // 2 windows × 2 detectors × 3 views. Window 2 is written with views in reverse order (read per frame).
        var ew: [Int] = [], det: [Int] = [], view: [Int] = []
        for w in 1...2 { for d in 1...2 { for v in (w == 1 ? [1, 2, 3] : [3, 2, 1]) { ew.append(w); det.append(d); view.append(v) } } }
        var ds = Build.nm(type: "TOMO", frames: 12, fip: [Build.ew, Build.det, Build.rot, Build.view],
                          vectors: [(Build.ew, ew), (Build.det, det), (Build.rot, Array(repeating: 1, count: 12)), (Build.view, view)])
        ds.set(Tag(0x0054, 0x0012), sequence: [Build.window(126, 154, "EM"), Build.window(110, 126, "SC")])
        ds.set(Tag(0x0054, 0x0022), sequence: [
            Build.item { $0.set(Tag(0x0054, 0x0200), .DS, numbers: [0]); $0.set(Tag(0x0018, 0x1142), .DS, numbers: [200, 210, 220]) },
            Build.item { $0.set(Tag(0x0054, 0x0200), .DS, numbers: [180]); $0.set(Tag(0x0018, 0x1142), .DS, numbers: [300, 310, 320]) },
        ])
        ds.set(Tag(0x0054, 0x0052), sequence: [Build.item {
            $0.set(Tag(0x0054, 0x0200), .DS, numbers: [0]); $0.set(Tag(0x0018, 0x1144), .DS, numbers: [3])
            $0.set(Tag(0x0018, 0x1140), .CS, "CC"); $0.set(Tag(0x0054, 0x0053), .US, numbers: [3])
        }])
        let acq = try NMReader.read(Build.file(ds))
        // Frame 9 = window 2, detector 2, view 3: 180 − 3·2 = 174°, radius 320.
        #expect(acq.frames[9].energyWindow == 2 && acq.frames[9].detector == 2 && acq.frames[9].angularView == 3)
        #expect(acq.frames[9].gantryAngle == 174)
        #expect(acq.frames[9].radialPosition == 320)
        // Frame 1 = window 1, detector 1, view 2: 0 − 3 = −3 → 357°.
        #expect(acq.frames[1].gantryAngle == 357)
        let p = try acq.projectionSet(energyWindow: 2, detector: 1)
        #expect(p.frames.map(\.frame) == [8, 7, 6])  // views 1, 2, 3
        #expect(p.angles == [0, 357, 354])
        #expect(p.counts == [8, 8, 8, 8, 7, 7, 7, 7, 6, 6, 6, 6])
        #expect(!acq.warnings.contains { $0.contains("Radial Position") })
    }

    @Test func fipNamingAMissingVectorIsAnError() {
        let ds = Build.nm(type: "TOMO", frames: 2, fip: [Build.ew, Build.view], vectors: [(Build.ew, [1, 1])])
        #expect(throws: DICOMError.self) { try NMReader.read(Build.file(ds)) }
    }
}

/// The summary layout of an in-memory data set.
enum SeriesSummaryHelper {
    static func layout(_ ds: Dataset) throws -> String? {
        var d = ds
        d.set(.seriesInstanceUID, .UI, "1.2.3")
        d.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.20")
        return SeriesSummary.describe(files: [Build.file(d)]).first?.nm?.layout
    }
}
