import Foundation
import Testing
@testable import DICOM

/// Character sets, value decoding, pixel layouts and the JSON model.
struct ValueTests {
    @Test func utf8PersonNameFromARealFile() throws {
        let f = try DICOMFile.read(path: Paths.fixture("chrX1.dcm"))
        #expect(f.dataset.characterSet.terms == ["ISO_IR 192"])
        #expect(f.dataset.string(.patientName) == "Wang^XiaoDong=王^小東")
    }

    @Test func latin1AndISO2022Japanese() throws {
        var latin = Dataset()
        latin.set(Element(tag: .specificCharacterSet, vr: .CS, bytes: Array("ISO_IR 100".utf8)))
        latin.set(Element(tag: .patientName, vr: .PN, bytes: [0x4D, 0xFC, 0x6C, 0x6C, 0x65, 0x72]))   // "Müller" in ISO 8859-1
        #expect(latin.string(.patientName) == "Müller")
        // PS3.5 Annex H example, bytes produced by Python's iso2022_jp codec (an independent encoder).
        let hex = "59616d6164615e5461726f753d1b24423b3345441b28425e1b244242404f3a1b28423d1b24422464245e24401b28425e1b2442243f246d24261b2842"
        let bytes = stride(from: 0, to: hex.count, by: 2).map { UInt8(hex.dropFirst($0).prefix(2), radix: 16)! }
        var jp = Dataset()
        jp.set(Element(tag: .specificCharacterSet, vr: .CS, bytes: Array("\\ISO 2022 IR 87".utf8)))
        jp.set(Element(tag: .patientName, vr: .PN, bytes: bytes))
        #expect(jp.string(.patientName) == "Yamada^Tarou=山田^太郎=やまだ^たろう")
    }

    @Test func numericStringsAndBinaryNumbers() {
        var ds = Dataset()
        ds.set(Element(tag: .pixelSpacing, vr: .DS, bytes: Array(" 4.4196\\4.4196 ".utf8)))
        ds.set(Element(tag: .numberOfFrames, vr: .IS, bytes: Array("360 ".utf8)))
        ds.set(Element(tag: Tag(0x0054, 0x0010), vr: .US, bytes: [1, 0, 2, 0, 6, 0]))
        ds.set(Element(tag: Tag(0x0018, 0x9089), vr: .FD, value: .bytes(DICOMBytes([0x3F, 0xF0, 0, 0, 0, 0, 0, 0])), isBigEndian: true))
        #expect(ds.doubles(.pixelSpacing) == [4.4196, 4.4196])
        #expect(ds.int(.numberOfFrames) == 360)
        #expect(ds.ints(Tag(0x0054, 0x0010)) == [1, 2, 6])
        #expect(ds.double(Tag(0x0018, 0x9089)) == 1.0)   // big-endian FD 1.0
    }

    func image(_ extra: (inout Dataset) -> Void) -> Dataset {
        var ds = Dataset()
        ds.set(.rows, .US, numbers: [2]); ds.set(.columns, .US, numbers: [2])
        ds.set(.samplesPerPixel, .US, numbers: [1])
        extra(&ds)
        return ds
    }

    @Test func oneBitFramesArePackedAcrossBytes() throws {
        // Two 2×2 frames in 1 byte, LSB first: 0b1001_0110 → frame 0 = 0,1,1,0 ; frame 1 = 1,0,0,1.
        let ds = image { d in
            d.set(.bitsAllocated, .US, numbers: [1]); d.set(.bitsStored, .US, numbers: [1]); d.set(.numberOfFrames, .IS, "2")
            d.set(Element(tag: .pixelData, vr: .OB, bytes: [0b1001_0110, 0]))
        }
        let p = try PixelData.decode(ds, transferSyntax: .explicitVRLittleEndian)
        #expect(p.data == [0, 1, 1, 0, 1, 0, 0, 1])
        #expect(try PixelData.decode(ds, transferSyntax: .explicitVRLittleEndian, frames: [1]).data == [1, 0, 0, 1])
    }

    @Test func signedTwelveBitsInSixteenAreSignExtended() throws {
        // 12-bit two's complement: 0x0FFF = -1, 0x0800 = -2048, 0x07FF = 2047, 0x0001 = 1.
        let ds = image { d in
            d.set(.bitsAllocated, .US, numbers: [16]); d.set(.bitsStored, .US, numbers: [12]); d.set(.pixelRepresentation, .US, numbers: [1])
            d.set(Element(tag: .pixelData, vr: .OW, bytes: [0xFF, 0x0F, 0x00, 0x08, 0xFF, 0x07, 0x01, 0x00]))
        }
        #expect(try PixelData.decode(ds, transferSyntax: .explicitVRLittleEndian).doubles() == [-1, -2048, 2047, 1])
    }

    @Test func planarConfigurationOneIsInterleaved() throws {
        // 1×2 RGB, colour-by-plane: R0 R1 G0 G1 B0 B1 → R0 G0 B0 R1 G1 B1.
        var ds = Dataset()
        ds.set(.rows, .US, numbers: [1]); ds.set(.columns, .US, numbers: [2]); ds.set(.samplesPerPixel, .US, numbers: [3])
        ds.set(.bitsAllocated, .US, numbers: [8]); ds.set(.planarConfiguration, .US, numbers: [1])
        ds.set(Element(tag: .pixelData, vr: .OB, bytes: [10, 11, 20, 21, 30, 31]))
        #expect(try PixelData.decode(ds, transferSyntax: .explicitVRLittleEndian).data == [10, 20, 30, 11, 21, 31])
    }

    @Test func rescaleAndRealWorldValueMappingAreSeparateSteps() throws {
        var ds = image { d in
            d.set(.bitsAllocated, .US, numbers: [16]); d.set(.bitsStored, .US, numbers: [16])
            d.set(Element(tag: .pixelData, vr: .OW, bytes: [0, 0, 1, 0, 2, 0, 100, 0]))
            d.set(.rescaleSlope, .DS, "2"); d.set(.rescaleIntercept, .DS, "-1024")
        }
        var item = Dataset()
        item.set(Tag(0x0040, 0x9225), .FD, numbers: [0.5]); item.set(Tag(0x0040, 0x9224), .FD, numbers: [3])
        var units = Dataset(); units.set(Tag(0x0008, 0x0100), .SH, "Bq/ml")
        item.set(Tag(0x0040, 0x08EA), sequence: [units])
        ds.set(.realWorldValueMappingSequence, sequence: [item])
        let stored = try PixelData.decode(ds, transferSyntax: .explicitVRLittleEndian)
        #expect(stored.doubles() == [0, 1, 2, 100])
        #expect(PixelData.applyRescale(stored, dataset: ds) == [-1024, -1022, -1020, -824])
        let m = try #require(PixelData.realWorldValueMappings(ds).first)
        #expect(m.units == "Bq/ml")
        #expect(PixelData.applyRealWorldValueMapping(stored, m) == [3, 3.5, 4, 53])
    }

    @Test func unsupportedTransferSyntaxIsNamed() throws {
        var ds = image { d in d.set(.bitsAllocated, .US, numbers: [8]) }
        ds.set(Element(tag: .pixelData, vr: .OB, value: .fragments(Fragments(fragments: [DICOMBytes([0x00, 0x00, 0x01, 0xB3])]))))
        do {
            _ = try PixelData.decode(ds, transferSyntax: TransferSyntax(uid: "1.2.840.10008.1.2.4.100"))   // MPEG2 video
            Issue.record("MPEG2 must be refused")
        } catch {
            #expect(error.kind == .unsupportedTransferSyntax)
            #expect(error.message.contains("unsupported transfer syntax"))
        }
    }

    /// HTJ2K goes to OpenJPEG (which decodes Part 15 codestreams): a broken codestream is a codec error, not a refusal
    /// of the transfer syntax. (The real HTJ2K file is compared with pydicom + pylibjpeg-openjpeg by the pixel oracle.)
    @Test func htj2kIsDecodedNotRefused() throws {
        var ds = image { d in d.set(.bitsAllocated, .US, numbers: [8]) }
        ds.set(Element(tag: .pixelData, vr: .OB, value: .fragments(Fragments(fragments: [DICOMBytes([0xFF, 0x4F, 0xFF, 0x51])]))))
        do {
            _ = try PixelData.decode(ds, transferSyntax: TransferSyntax(uid: "1.2.840.10008.1.2.4.201"))
            Issue.record("a 4-byte codestream cannot decode")
        } catch {
            #expect(error.kind != .unsupportedTransferSyntax, "\(error)")
        }
    }

    @Test func jsonModel() throws {
        var ds = Dataset()
        ds.set(.patientName, .PN, "Yamada^Tarou=山田^太郎")   // not Latin-1: the data set switches to ISO_IR 192
        #expect(ds.strings(.specificCharacterSet) == ["ISO_IR 192"])
        ds.set(.frameIncrementPointer, .AT, "")
        ds.set(Element(tag: .frameIncrementPointer, vr: .AT, bytes: [0x54, 0, 0x10, 0, 0x54, 0, 0x90, 0]))
        ds.set(.pixelSpacing, .DS, strings: ["4.4196", "4.4196"])
        ds.set(Tag(0x0008, 0x0050), .SH, strings: [])                     // empty: no "Value"
        ds.set(Element(tag: Tag(0x0009, 0x1010), vr: .OB, bytes: [1, 2, 3, 4]))
        ds.set(Element(tag: .pixelData, vr: .OW, bytes: [UInt8](repeating: 7, count: 2048)))
        let json = DICOMJSON.encode(ds, options: .init(bulkDataBase: "file:///x.dcm"))
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: [String: Any]])
        let pn = (obj["00100010"]?["Value"] as? [[String: String]])?.first
        #expect(pn?["Alphabetic"] == "Yamada^Tarou" && pn?["Ideographic"] == "山田^太郎")
        #expect(obj["00280009"]?["Value"] as? [String] == ["00540010", "00540090"])
        #expect(obj["00280030"]?["Value"] as? [Double] == [4.4196, 4.4196])
        #expect(obj["00080050"]?["Value"] == nil && obj["00080050"]?["vr"] as? String == "SH")
        #expect(obj["00091010"]?["InlineBinary"] as? String == "AQIDBA==")
        #expect((obj["7FE00010"]?["BulkDataURI"] as? String)?.hasPrefix("file:///x.dcm") == true)
    }

    @Test func npyHeader() {
        let arr = PixelArray(frames: 2, rows: 3, columns: 4, samplesPerPixel: 1, type: .int16, data: [UInt8](repeating: 0, count: 48))
        let b = arr.npy()
        #expect(Array(b.prefix(6)) == [0x93] + Array("NUMPY".utf8))
        let headerLength = Int(b[8]) | Int(b[9]) << 8
        #expect((10 + headerLength) % 64 == 0)
        let header = String(decoding: b[10..<(10 + headerLength)], as: UTF8.self)
        #expect(header.contains("'descr': '<i2'") && header.contains("'shape': (2, 3, 4)"))
        #expect(b.count == 10 + headerLength + 48)
    }
}
