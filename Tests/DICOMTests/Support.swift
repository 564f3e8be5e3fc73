import Foundation
import Testing
@testable import DICOM

/// Paths of fixtures (copied from ../shared/corpus, see Fixtures/ATTRIBUTION.md) and of the shared corpus.
enum Paths {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path
    static func fixture(_ name: String) -> String { fixtures + "/" + name }
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/corpus").standardizedFileURL.path
    static var hasCorpus: Bool { FileManager.default.fileExists(atPath: corpus + "/MANIFEST.md") }
}

/// Little helpers to hand-assemble DICOM byte streams (the independent truth for parser tests).
struct ByteBuilder {
    var bytes: [UInt8] = []
    var bigEndian = false
    mutating func u16(_ v: UInt16) { let x = bigEndian ? v.bigEndian : v.littleEndian; withUnsafeBytes(of: x) { bytes += $0 } }
    mutating func u32(_ v: UInt32) { let x = bigEndian ? v.bigEndian : v.littleEndian; withUnsafeBytes(of: x) { bytes += $0 } }
    mutating func tag(_ g: UInt16, _ e: UInt16) { u16(g); u16(e) }
    /// Explicit VR element with a short (16-bit) length.
    mutating func explicitShort(_ g: UInt16, _ e: UInt16, _ vr: String, _ value: [UInt8]) {
        tag(g, e); bytes += Array(vr.utf8); u16(UInt16(value.count)); bytes += value
    }
    /// Explicit VR element with the long form (OB, SQ, UN, …).
    mutating func explicitLong(_ g: UInt16, _ e: UInt16, _ vr: String, length: UInt32, _ value: [UInt8] = []) {
        tag(g, e); bytes += Array(vr.utf8); bytes += [0, 0]; u32(length); bytes += value
    }
    /// Implicit VR element.
    mutating func implicit(_ g: UInt16, _ e: UInt16, length: UInt32, _ value: [UInt8] = []) {
        tag(g, e); u32(length); bytes += value
    }
    static func text(_ s: String) -> [UInt8] { var a = Array(s.utf8); if a.count % 2 == 1 { a.append(0x20) }; return a }
    static func uid(_ s: String) -> [UInt8] { var a = Array(s.utf8); if a.count % 2 == 1 { a.append(0) }; return a }
}

func parse(_ bytes: [UInt8]) throws(DICOMError) -> DICOMFile { try DICOMFile(parsing: DICOMBytes(bytes), source: "test") }
