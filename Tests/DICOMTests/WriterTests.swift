import Foundation
import Testing
@testable import DICOM

/// Writing: every syntax round-trips every element; group lengths, padding, meta header and UIDs are right.
struct WriterTests {
    /// Compares two data sets element by element through decoded values (byte order may differ).
    func expectSameContent(_ a: Dataset, _ b: Dataset, path: String = "", sourceLabel: Comment) {
        let ta = a.elements.filter { !$0.tag.isGroupLength }.map(\.tag), tb = b.elements.filter { !$0.tag.isGroupLength }.map(\.tag)
        #expect(ta == tb, "\(path) tags differ \(sourceLabel)")
        for e in a where !e.tag.isGroupLength {
            guard let f = b[e.tag] else { continue }
            // Pixel data may change between OW and OB when it is encapsulated or decoded.
            #expect(e.vr == f.vr || e.vr == .UN || f.vr == .UN || e.tag == .pixelData, "\(path)\(e.tag) VR \(e.vr) vs \(f.vr)")
            switch (e.value, f.value) {
            case (.sequence(let x), .sequence(let y)):
                #expect(x.count == y.count)
                for (i, (p, q)) in zip(x, y).enumerated() { expectSameContent(p, q, path: "\(path)\(e.tag)[\(i)].", sourceLabel: sourceLabel) }
            case (.bytes, .bytes):
                if e.vr.isString { #expect(e.strings(a.characterSet) == f.strings(b.characterSet), "\(path)\(e.tag)") }
                else if e.vr == .AT { #expect(e.tags == f.tags) }
                else if e.vr.binaryWidth != nil && e.tag != .pixelData { #expect(e.numbers == f.numbers, "\(path)\(e.tag)") }
            default: break
            }
        }
    }

    @Test(arguments: ["CT_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm", "chrX1.dcm", "UN_sequence.dcm", "priv_SQ.dcm", "rtdose.dcm"])
    func roundTripEverySyntax(_ name: String) throws {
        let original = try DICOMFile.read(path: Paths.fixture(name))
        let pixels = original.dataset.contains(.pixelData) ? try? PixelData.decode(original) : nil
        for ts in [TransferSyntax.explicitVRLittleEndian, .implicitVRLittleEndian, .deflatedExplicitVRLittleEndian, .explicitVRBigEndian, .rleLossless] {
            if ts == .rleLossless && pixels == nil { continue }
            let (bytes, _) = try DICOMWriter.encode(original, options: WriteOptions(transferSyntax: ts))
            let back = try DICOMFile(parsing: DICOMBytes(bytes), source: "\(name)->\(ts.uid)")
            #expect(back.transferSyntax == ts)
            #expect(back.meta.string(.transferSyntaxUID) == ts.uid)
            #expect(back.meta.string(.implementationClassUID) == UIDGenerator.implementationClassUID)
            #expect(back.meta.string(.mediaStorageSOPInstanceUID) == (original.dataset.string(.sopInstanceUID) ?? original.meta.string(.mediaStorageSOPInstanceUID)))
            if ts != .implicitVRLittleEndian { expectSameContent(original.dataset, back.dataset, sourceLabel: "\(name) → \(ts.name)") }
            if let pixels { #expect(try PixelData.decode(back) == pixels, "pixels \(name) → \(ts.name)") }
        }
    }

    @Test func unchangedWriteKeepsEveryElementByteForByte() throws {
        let original = try DICOMFile.read(path: Paths.fixture("CT_small.dcm"))
        let (bytes, _) = try DICOMWriter.encode(original)
        let back = try DICOMFile(parsing: DICOMBytes(bytes))
        #expect(back.dataset.count == original.dataset.count)
        for (a, b) in zip(original.dataset.elements, back.dataset.elements) {
            #expect(a.tag == b.tag && a.vr == b.vr)
            if let x = a.bytes, let y = b.bytes { #expect(x == y || x.count % 2 == 1, "\(a.tag)") }
        }
    }

    @Test func metaGroupLengthAndPadding() throws {
        var ds = Dataset()
        ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.20")
        ds.set(.sopInstanceUID, .UI, UIDGenerator.newUID())
        ds.set(.patientName, .PN, "Odd^Name")          // 8 bytes: even
        ds.set(.patientID, .LO, "ABC")                   // 3 bytes: padded with a space
        ds.set(Tag(0x0020, 0x000D), .UI, "1.2.3")        // 5 bytes: padded with NUL
        let file = DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian)
        let (bytes, _) = try DICOMWriter.encode(file, options: WriteOptions(validation: .strict))
        #expect(Array(bytes[128..<132]) == Array("DICM".utf8))
        // (0002,0000) UL at 132: value = bytes from the end of that element to the first non-0002 tag.
        let groupLength = Int(UInt32(bytes[140]) | UInt32(bytes[141]) << 8 | UInt32(bytes[142]) << 16 | UInt32(bytes[143]) << 24)
        let afterMeta = 144 + groupLength
        #expect(bytes[afterMeta] == 0x08 && bytes[afterMeta + 1] == 0x00)   // group 0008 starts right there
        let back = try DICOMFile(parsing: DICOMBytes(bytes))
        #expect(back.dataset[.patientID]?.bytes?.array == Array("ABC ".utf8))
        #expect(back.dataset[Tag(0x0020, 0x000D)]?.bytes?.array == Array("1.2.3".utf8) + [0])
        #expect(back.dataset.string(.patientID) == "ABC")
    }

    @Test func datasetGroupLengthsAreRecomputed() throws {
        var ds = Dataset()
        ds.set(Element(tag: Tag(0x0008, 0x0000), vr: .UL, bytes: [0xFF, 0xFF, 0, 0]))   // wrong on purpose
        ds.set(.sopClassUID, .UI, "1.2.3")
        ds.set(.sopInstanceUID, .UI, "1.2.3.4")
        let (bytes, _) = try DICOMWriter.encode(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian))
        let back = try DICOMFile(parsing: DICOMBytes(bytes))
        // Two elements follow in group 0008: 8-byte header + "1.2.3\0" (6) and 8 + "1.2.3.4\0" (8) = 30 bytes.
        #expect(back.dataset.int(Tag(0x0008, 0x0000)) == 30)
    }

    @Test func validationOnWrite() throws {
        var ds = Dataset()
        ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.20")
        ds.set(.sopInstanceUID, .UI, "1.2.03.4")                          // leading zero: invalid UID
        ds.set(.imageOrientationPatient, .DS, strings: ["1", "0", "0", "0", "1"])   // VM 5, dictionary says 6
        let file = DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian)
        #expect(throws: DICOMError.self) { try DICOMWriter.encode(file, options: WriteOptions(validation: .strict)) }
        let (_, warnings) = try DICOMWriter.encode(file)
        #expect(warnings.contains { $0.contains("not a valid UID") })
        #expect(warnings.contains { $0.contains("VM 5") })
    }

    @Test func newUIDsAreValidAndUnique() {
        let uids = (0..<1000).map { _ in UIDGenerator.newUID() }
        #expect(Set(uids).count == 1000)
        #expect(uids.allSatisfy { UIDGenerator.isValid($0) && $0.hasPrefix(UIDGenerator.root + ".") && $0.utf8.count <= 64 })
        #expect(UIDGenerator.isValid(UIDGenerator.implementationClassUID))
    }

    @Test func implicitRefusesUnrecoverableAmbiguousVR() throws {
        var ds = Dataset()
        ds.set(.sopClassUID, .UI, "1.2.3"); ds.set(.sopInstanceUID, .UI, "1.2.3.4")
        ds.set(Tag(0x0028, 0x0106), .SS, numbers: [-5])   // Smallest Image Pixel Value, US or SS, no Pixel Representation
        let file = DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian)
        #expect(throws: DICOMError.self) { try DICOMWriter.encode(file, options: WriteOptions(transferSyntax: .implicitVRLittleEndian)) }
        ds.set(.pixelRepresentation, .US, numbers: [1])
        let ok = DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian)
        let (bytes, _) = try DICOMWriter.encode(ok, options: WriteOptions(transferSyntax: .implicitVRLittleEndian))
        let back = try DICOMFile(parsing: DICOMBytes(bytes))
        #expect(back.dataset[Tag(0x0028, 0x0106)]?.vr == .SS)
        #expect(back.dataset.int(Tag(0x0028, 0x0106)) == -5)
    }

    @Test func atomicWriteLeavesNoTemporaryFiles() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scinti-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let f = try DICOMFile.read(path: Paths.fixture("CT_small.dcm"))
        try DICOMWriter.write(f, to: dir + "/out.dcm")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["out.dcm"])
        #expect(try DICOMFile.read(path: dir + "/out.dcm").dataset.string(.patientName) == "CompressedSamples^CT1")
    }
}
