import Foundation
import Testing
@testable import DICOM

/// Parsing of real files and of hand-assembled byte streams.
struct ParserTests {
    @Test func realCTExplicitLittleEndian() throws {
        let f = try DICOMFile.read(path: Paths.fixture("CT_small.dcm"))
        #expect(f.transferSyntax == .explicitVRLittleEndian)
        #expect(f.preamble?.count == 128)
        // Values as DCMTK's dcmdump and pydicom show them for this file.
        #expect(f.dataset.string(.patientName) == "CompressedSamples^CT1")
        #expect(f.dataset.int(.rows) == 128)
        #expect(f.dataset.doubles(.imagePositionPatient) == [-158.135803, -179.035797, -75.699997])
        #expect(f.dataset.doubles(.pixelSpacing) == [0.661468, 0.661468])
        // Private element with its creator: (0009,1001) reserved by GEMS_IDEN_01.
        #expect(f.dataset.privateCreator(for: Tag(0x0009, 0x1001)) == "GEMS_IDEN_01")
        #expect(f.dataset.privateTag(creator: "GEMS_IDEN_01", group: 0x0009, element: 0x01) == Tag(0x0009, 0x1001))
        #expect(f.dataset.string(Tag(0x0009, 0x1001)) == "GE_GENESIS_FF")
        // Nested sequence (OtherPatientIDsSequence) with two items.
        #expect(f.dataset.sequence(Tag(0x0010, 0x1002)).count == 2)
        #expect(f.dataset.sequence(Tag(0x0010, 0x1002))[0].string(.patientID) == "ABCD1234")
    }

    @Test func sameDataInThreeEncodings() throws {
        // MR_small is stored implicit LE, explicit BE and RLE: every value and every pixel must agree.
        let a = try DICOMFile.read(path: Paths.fixture("MR_small_implicit.dcm"))
        let b = try DICOMFile.read(path: Paths.fixture("MR_small_bigendian.dcm"))
        let c = try DICOMFile.read(path: Paths.fixture("MR_small_RLE.dcm"))
        #expect(a.transferSyntax == .implicitVRLittleEndian && b.transferSyntax == .explicitVRBigEndian)
        for tag in [Tag.rows, .columns, .bitsAllocated, .pixelRepresentation] {
            #expect(a.dataset.int(tag) == b.dataset.int(tag))
            #expect(a.dataset.int(tag) == c.dataset.int(tag))
        }
        #expect(a.dataset.doubles(.imagePositionPatient) == b.dataset.doubles(.imagePositionPatient))
        let pa = try PixelData.decode(a), pb = try PixelData.decode(b), pc = try PixelData.decode(c)
        #expect(pa == pb)
        #expect(pa == pc)
        #expect(pa.type == .int16 && pa.rows == 64 && pa.columns == 64)
    }

    @Test func bareBigEndianDataSetIsSniffed() throws {
        let f = try DICOMFile.read(path: Paths.fixture("ExplVR_BigEndNoMeta.dcm"))
        #expect(f.meta.isEmpty)
        #expect(f.transferSyntax == .explicitVRBigEndian)
        #expect(f.dataset.string(.sopClassUID) == "1.2.840.10008.5.1.4.1.1.481.8")
        #expect(f.dataset.count == 24) // pydicom reads 24 top-level elements
    }

    @Test func deflatedDataSet() throws {
        let f = try DICOMFile.read(path: Paths.fixture("image_dfl.dcm"))
        #expect(f.transferSyntax.isDeflated)
        let p = try PixelData.decode(f)
        #expect(p.rows == 512 && p.columns == 512 && p.type == .uint8)
    }

    @Test func truncatedFileIsACleanError() throws {
        do {
            _ = try DICOMFile.read(path: Paths.fixture("rtplan_truncated.dcm"))
            Issue.record("a truncated file must not parse")
        } catch {
            #expect(error.kind == .truncated)
            #expect(error.tag == Tag(0x300A, 0x00B0))   // BeamSequence runs past the end
            #expect(error.offset != nil)
            #expect(error.description.contains("rtplan_truncated.dcm"))
        }
    }

    @Test func privateSequencesAndUNSequences() throws {
        // UN_sequence: a private element with explicit VR UN and undefined length holding implicit VR items.
        let u = try DICOMFile.read(path: Paths.fixture("UN_sequence.dcm"))
        let el = try #require(u.dataset[Tag(0x4453, 0x100C)])
        #expect(el.vr == .SQ && (el.items?.count ?? 0) > 0)
        // priv_SQ: implicit VR private element of undefined length is read as a sequence.
        let p = try DICOMFile.read(path: Paths.fixture("priv_SQ.dcm"))
        #expect(p.dataset[Tag(0x3F03, 0x1001)]?.items != nil)
    }

    @Test func explicitUNOfKnownTagIsReinterpreted() throws {
        // explicit_VR-UN.dcm stores many public elements with VR UN; the dictionary gives the real VR.
        let f = try DICOMFile.read(path: Paths.fixture("explicit_VR-UN.dcm"))
        #expect(f.dataset[.imageType]?.vr == .CS)
        #expect(f.dataset.int(.rows) == 512)
        #expect(f.dataset.string(.patientName) == "PANCREAS_0001")
        #expect(f.dataset.doubles(.imagePositionPatient) == [0, 0, -121])
    }

    @Test func trailingPaddingIsTolerated() throws {
        let f = try DICOMFile.read(path: Paths.fixture("MR_small_padded.dcm"))
        #expect(try PixelData.decode(f).count == 64 * 64)
    }

    // MARK: Hand-assembled streams

    @Test func undefinedLengthSequencesNested() throws {
        var b = ByteBuilder()
        b.explicitShort(0x0008, 0x0016, "UI", ByteBuilder.uid("1.2.3"))
        // (0054,0016) SQ undefined length, one item of undefined length holding (0018,1072) TM and a nested SQ.
        b.explicitLong(0x0054, 0x0016, "SQ", length: 0xFFFF_FFFF)
        b.tag(0xFFFE, 0xE000); b.u32(0xFFFF_FFFF)
        b.explicitShort(0x0018, 0x1072, "TM", ByteBuilder.text("101500"))
        b.explicitLong(0x0054, 0x0300, "SQ", length: 0xFFFF_FFFF)
        b.tag(0xFFFE, 0xE000); b.u32(14)
        b.explicitShort(0x0008, 0x0104, "LO", ByteBuilder.text("Lu-177"))
        b.tag(0xFFFE, 0xE0DD); b.u32(0)
        b.tag(0xFFFE, 0xE00D); b.u32(0)
        b.tag(0xFFFE, 0xE0DD); b.u32(0)
        b.explicitShort(0x0054, 0x0011, "US", [6, 0])
        let f = try parse(b.bytes)
        #expect(f.transferSyntax == .explicitVRLittleEndian)
        let item = try #require(f.dataset.sequence(Tag(0x0054, 0x0016)).first)
        #expect(item.string(Tag(0x0018, 0x1072)) == "101500")
        #expect(item.sequence(Tag(0x0054, 0x0300)).first?.string(Tag(0x0008, 0x0104)) == "Lu-177")
        #expect(f.dataset.int(Tag(0x0054, 0x0011)) == 6)
    }

    @Test func explicitUNWithDefinedLengthBecomesDictionaryVR() throws {
        var b = ByteBuilder()
        b.explicitShort(0x0008, 0x0016, "UI", ByteBuilder.uid("1.2.3"))
        b.explicitLong(0x0028, 0x0010, "UN", length: 2, [0x80, 0x00])    // Rows = 128 written as UN
        let f = try parse(b.bytes)
        #expect(f.dataset[.rows]?.vr == .US)
        #expect(f.dataset.int(.rows) == 128)
    }

    @Test func implicitPrivateElementsUseTheirCreator() throws {
        var b = ByteBuilder()
        b.implicit(0x0008, 0x0016, length: 6, ByteBuilder.uid("1.2.3"))
        b.implicit(0x0009, 0x0010, length: 12, ByteBuilder.text("GEMS_IDEN_01"))
        b.implicit(0x0009, 0x1001, length: 4, ByteBuilder.text("ABCD"))
        b.implicit(0x0009, 0x1099, length: 2, [1, 2])   // not in the private dictionary
        let f = try parse(b.bytes)
        #expect(f.transferSyntax == .implicitVRLittleEndian)
        #expect(f.dataset[Tag(0x0009, 0x0010)]?.vr == .LO)
        #expect(f.dataset[Tag(0x0009, 0x1001)]?.vr == .LO)
        #expect(f.dataset[Tag(0x0009, 0x1099)]?.vr == .UN)
    }

    @Test func hostileLengthsAndNestingAreRefused() throws {
        // A value length beyond the end of the data.
        var b = ByteBuilder()
        b.explicitShort(0x0008, 0x0016, "UI", ByteBuilder.uid("1.2.3"))
        b.explicitLong(0x0009, 0x1000, "OB", length: 0x7FFF_FFF0)
        #expect(throws: DICOMError.self) { try parse(b.bytes) }
        // Sequences nested deeper than the limit: error, not a stack overflow.
        var d = ByteBuilder()
        d.explicitShort(0x0008, 0x0016, "UI", ByteBuilder.uid("1.2.3"))
        for _ in 0..<200 {
            d.explicitLong(0x0040, 0xA730, "SQ", length: 0xFFFF_FFFF)
            d.tag(0xFFFE, 0xE000); d.u32(0xFFFF_FFFF)
        }
        do { _ = try parse(d.bytes); Issue.record("deep nesting must be refused") } catch {
            #expect(error.kind == .limit || error.kind == .truncated)
        }
        // An unterminated undefined-length sequence.
        var u = ByteBuilder()
        u.explicitShort(0x0008, 0x0016, "UI", ByteBuilder.uid("1.2.3"))
        u.explicitLong(0x0040, 0xA730, "SQ", length: 0xFFFF_FFFF)
        u.tag(0xFFFE, 0xE000); u.u32(0xFFFF_FFFF)
        u.explicitShort(0x0008, 0x0104, "LO", ByteBuilder.text("x"))
        #expect(throws: DICOMError.self) { try parse(u.bytes) }
    }

    @Test func everyTruncationOfARealFileFailsCleanlyOrParses() throws {
        // Cut CT_small at many points: each cut either parses (cut at an element boundary) or throws DICOMError.
        let full = try #require(FileManager.default.contents(atPath: Paths.fixture("CT_small.dcm")))
        let bytes = [UInt8](full)
        var errors = 0
        for cut in stride(from: 1, to: 4000, by: 7) {
            do { _ = try parse(Array(bytes.prefix(cut))) } catch { errors += 1; #expect(error.offset != nil || error.kind == .malformed || error.kind == .truncated) }
        }
        #expect(errors > 100)
    }

    @Test func largeFileIsMappedNotCopied() throws {
        let path = Paths.corpus + "/nm/GE_D670_Lu177_TOMO_bed2_projections.dcm"
        guard FileManager.default.fileExists(atPath: path) else {
            print("skipped: \(path) absent (../shared not present)"); return
        }
        let storage = try ByteStorage(mappingFile: path)
        let f = try DICOMFile(parsing: DICOMBytes(storage: storage), source: path)
        // The pixel value is a slice of the very same mapping: parsing the header copied nothing.
        let pixels = try #require(f.dataset[.pixelData]?.bytes)
        #expect(pixels.storage === storage)
        #expect(pixels.count == 128 * 128 * 360 * 2)
        #expect(pixels.offset + pixels.count <= storage.count)
    }
}
