import Foundation
import Testing
@testable import DICOM

/// Classes of real files that failed before (issue "The department's own cameras"): each built byte by byte here.
/// The peers' view of the same classes is checked by Tests/oracle/check_codec_classes.py (GDCM, pydicom).
struct VendorFileClassTests {
    /// The RLE fixture with its sequence delimiter (and what follows it) cut off, and a variant whose last fragment
    /// declares more bytes than remain: both read to the end of the file, with warnings, and decode to the original.
    @Test func unterminatedEncapsulationReadsToTheEnd() throws {
        let path = Paths.fixture("MR_small_RLE.dcm")
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        let original = try PixelData.decode(try DICOMFile.read(path: path))
        let delimiter: [UInt8] = [0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0]
        let at = try #require((0...(bytes.count - 8)).last { Array(bytes[$0..<($0 + 8)]) == delimiter })
        let cut = Array(bytes[..<at])
        let a = try parse(cut)
        #expect(a.warnings.contains { $0.contains("not terminated by a sequence delimiter") }, "\(a.warnings)")
        #expect(try PixelData.decode(a) == original)

        // Last fragment: find its item header by walking the items from the Basic Offset Table.
        let frags = try #require(a.dataset[.pixelData]?.fragments)
        let lastLength = try #require(frags.fragments.last?.count)
        let lastHeader = cut.count - lastLength - 8
        var over = cut
        let declared = UInt32(lastLength + 6)
        withUnsafeBytes(of: declared.littleEndian) { for (k, b) in $0.enumerated() { over[lastHeader + 4 + k] = b } }
        let b = try parse(over)
        #expect(b.warnings.contains { $0.contains("declares \(lastLength + 6) bytes") }, "\(b.warnings)")
        #expect(try PixelData.decode(b) == original)
    }

    /// A last fragment that declares more than the file holds is read to the end; an item header cut short is an error.
    @Test func lastFragmentPastTheEndAndACutItemHeader() throws {
        var w = ByteBuilder()
        w.bytes += [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        w.explicitShort(0x0002, 0x0010, "UI", ByteBuilder.uid("1.2.840.10008.1.2.5"))
        w.explicitLong(0x7FE0, 0x0010, "OB", length: 0xFFFF_FFFF)
        w.tag(0xFFFE, 0xE000); w.u32(0)                        // empty Basic Offset Table: nothing read yet
        w.tag(0xFFFE, 0xE000); w.u32(100); w.bytes += [1, 2]   // declares 100, two bytes follow
        // No Basic Offset Table problem: the fragment runs to the end of the file, so it is read with a warning.
        let f = try parse(w.bytes)
        #expect(f.warnings.contains { $0.contains("read to the end of the file") })
        // An item whose header itself is cut (fewer than 8 bytes before the end, no offset table) is an error.
        var v = ByteBuilder()
        v.bytes += [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        v.explicitShort(0x0002, 0x0010, "UI", ByteBuilder.uid("1.2.840.10008.1.2.5"))
        v.explicitLong(0x7FE0, 0x0010, "OB", length: 0xFFFF_FFFF)
        v.bytes += [0xFE, 0xFF]
        #expect(throws: DICOMError.self) { _ = try parse(v.bytes) }
    }

    /// GE PET writes (0009,xx9D) "PET radial_filter_3d" as SS; the private dictionaries say SL. Implicit VR output
    /// widens it to SL with the same value, so that a dictionary-driven reader reads 4 bytes of the right value.
    @Test func implicitVRWidensPrivateIntegersToTheDictionaryVR() throws {
        var ds = Dataset()
        ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.128")
        ds.set(.sopInstanceUID, .UI, "1.2.3.4")
        ds.set(Tag(0x0009, 0x0010), .LO, "GEMS_PETD_01")
        ds.set(Element(tag: Tag(0x0009, 0x109D), vr: .SS, bytes: [0xFE, 0xFF]))   // −2
        let (bytes, warnings) = try DICOMWriter.encode(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian),
                                                       options: WriteOptions(transferSyntax: .implicitVRLittleEndian))
        #expect(warnings.contains { $0.contains("widened to SL") })
        let back = try DICOMFile(parsing: DICOMBytes(bytes), source: "implicit")
        let e = try #require(back.dataset[Tag(0x0009, 0x109D)])
        #expect(e.valueLength == 4)
        #expect(e.vr == .SL)
        #expect(e.integers == [-2])
    }

    /// A header without pixels (Pixel Data present and empty, like the real Siemens Intevo TOMO header) converts to
    /// every writable syntax; its Pixel Data stays empty.
    @Test func emptyPixelDataConvertsToEverySyntax() throws {
        var ds = Dataset()
        ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.20")
        ds.set(.sopInstanceUID, .UI, "1.2.3.5")
        ds.set(.rows, .US, numbers: [128]); ds.set(.columns, .US, numbers: [128])
        ds.set(.bitsAllocated, .US, numbers: [16]); ds.set(.bitsStored, .US, numbers: [16]); ds.set(.highBit, .US, numbers: [15])
        ds.set(.samplesPerPixel, .US, numbers: [1]); ds.set(.pixelRepresentation, .US, numbers: [0])
        ds.set(.photometricInterpretation, .CS, "MONOCHROME2")
        ds.set(.numberOfFrames, .IS, "68")
        ds.set(Element(tag: .pixelData, vr: .OW, bytes: []))
        for ts in DICOMWriter.writableSyntaxes {
            let (bytes, _) = try DICOMWriter.encode(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian), options: WriteOptions(transferSyntax: ts))
            let back = try DICOMFile(parsing: DICOMBytes(bytes), source: ts.uid)
            let pix = try #require(back.dataset[.pixelData], "\(ts.name)")
            #expect(pix.isEmpty, "\(ts.name)")
            #expect((pix.fragments != nil) == ts.isEncapsulated, "\(ts.name)")
        }
    }
}
