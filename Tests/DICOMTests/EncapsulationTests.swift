import Foundation
import PixelCodecs
import Testing
@testable import DICOM

/// Mapping fragments to frames (PS3.5 §A.4): Basic and Extended Offset Tables, one fragment per frame, markers.
struct EncapsulationTests {
    /// Three 2×3 16-bit frames with known values, RLE-encoded by the codec (each frame a separate stream).
    func frames() throws -> (raw: [[UInt8]], encoded: [[UInt8]]) {
        var raw: [[UInt8]] = []
        var enc: [[UInt8]] = []
        for f in 0..<3 {
            let values: [UInt16] = (0..<6).map { UInt16(f * 1000 + $0 * 7) }
            let bytes = values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
            raw.append(bytes)
            enc.append(try bytes.withUnsafeBytes { try RLECodec.encode($0, rows: 2, columns: 3, samplesPerPixel: 1, bitsAllocated: 16) })
        }
        return (raw, enc)
    }

    func dataset(_ frags: Fragments, extended: [UInt64]? = nil) -> Dataset {
        var ds = Dataset()
        ds.set(.rows, .US, numbers: [2]); ds.set(.columns, .US, numbers: [3]); ds.set(.samplesPerPixel, .US, numbers: [1])
        ds.set(.bitsAllocated, .US, numbers: [16]); ds.set(.bitsStored, .US, numbers: [16]); ds.set(.numberOfFrames, .IS, "3")
        if let extended {
            ds.set(Element(tag: .extendedOffsetTable, vr: .OV, bytes: extended.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } }))
        }
        ds.set(Element(tag: .pixelData, vr: .OB, value: .fragments(frags)))
        return ds
    }

    @Test func basicOffsetTableWithFramesSplitAcrossFragments() throws {
        let (raw, enc) = try frames()
        // Each frame split into two fragments (even lengths): the Basic Offset Table points at each frame's first item.
        var frags: [DICOMBytes] = []
        var offsets: [UInt32] = []
        var position: UInt32 = 0
        for e in enc {
            offsets.append(position)
            let half = (e.count / 2) & ~1
            for part in [Array(e[..<half]), Array(e[half...])] {
                frags.append(DICOMBytes(part)); position += UInt32(8 + part.count)
            }
        }
        let bot = DICOMBytes(offsets.flatMap { v in withUnsafeBytes(of: v.littleEndian) { Array($0) } })
        let ds = dataset(Fragments(basicOffsetTable: bot, fragments: frags))
        let all = try PixelData.decode(ds, transferSyntax: .rleLossless)
        #expect(all.data == raw.flatMap { $0 })
        #expect(try PixelData.decode(ds, transferSyntax: .rleLossless, frames: [2]).data == raw[2])
    }

    @Test func extendedOffsetTableWinsOverAnEmptyBasicTable() throws {
        let (raw, enc) = try frames()
        var offsets: [UInt64] = []
        var position: UInt64 = 0
        for e in enc { offsets.append(position); position += UInt64(8 + e.count) }
        let ds = dataset(Fragments(fragments: enc.map { DICOMBytes($0) }), extended: offsets)
        #expect(try PixelData.decode(ds, transferSyntax: .rleLossless, frames: [1]).data == raw[1])
    }

    @Test func oneFragmentPerFrameWithoutTables() throws {
        let (raw, enc) = try frames()
        let ds = dataset(Fragments(fragments: enc.map { DICOMBytes($0) }))
        #expect(try PixelData.decode(ds, transferSyntax: .rleLossless).data == raw.flatMap { $0 })
    }

    @Test func offsetTablePointingNowhereIsAnError() throws {
        let (_, enc) = try frames()
        let bad = DICOMBytes([0, 0, 0, 0, 3, 0, 0, 0, 9, 0, 0, 0])   // offsets 0, 3, 9: not item starts
        let ds = dataset(Fragments(basicOffsetTable: bad, fragments: enc.map { DICOMBytes($0) }))
        #expect(throws: DICOMError.self) { try PixelData.decode(ds, transferSyntax: .rleLossless) }
    }

    @Test func writtenRLEHasABasicOffsetTableOtherReadersUse() throws {
        // Native → RLE → native through the writer; the BOT written must locate every frame.
        let (raw, _) = try frames()
        var ds = dataset(Fragments(fragments: []))
        ds.set(Element(tag: .pixelData, vr: .OW, bytes: raw.flatMap { $0 }))
        ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.20"); ds.set(.sopInstanceUID, .UI, UIDGenerator.newUID())
        let (bytes, _) = try DICOMWriter.encode(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian),
                                                options: WriteOptions(transferSyntax: .rleLossless))
        let back = try DICOMFile(parsing: DICOMBytes(bytes))
        let frags = try #require(back.dataset[.pixelData]?.fragments)
        #expect(frags.basicOffsetTable.count == 12 && frags.fragments.count == 3)
        #expect(try PixelData.decode(back, frames: [2]).data == raw[2])
    }
}
