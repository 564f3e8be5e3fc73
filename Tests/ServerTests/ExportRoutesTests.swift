import DICOM
import Foundation
import Hummingbird
import Testing

@testable import Server

/// `GET /api/studies/{uid}/export`: a stored study comes back as a zip of de-identified files (read back here with the
/// zip format's own structure and the DICOM parser), with no byte of the patient's name, ID or UIDs.
@Suite struct ExportRoutesTests {
    /// The stored entries of a zip (local headers walked from the start; every entry is stored, method 0).
    static func entries(_ zip: [UInt8]) -> [(name: String, bytes: [UInt8])] {
        func u16(_ i: Int) -> Int { Int(zip[i]) | Int(zip[i + 1]) << 8 }
        func u32(_ i: Int) -> Int { u16(i) | u16(i + 2) << 16 }
        var out: [(String, [UInt8])] = [], i = 0
        while i + 30 <= zip.count, u32(i) == 0x0403_4B50 {
            let method = u16(i + 8), size = u32(i + 18), nameLength = u16(i + 26), extra = u16(i + 28)
            #expect(method == 0)
            let name = String(decoding: zip[(i + 30)..<(i + 30 + nameLength)], as: UTF8.self)
            let start = i + 30 + nameLength + extra
            out.append((name, Array(zip[start..<(start + size)])))
            i = start + size
        }
        return out
    }

    @Test func studyExportIsADeidentifiedZip() async throws {
        let (server, dir) = try makeServer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = Fixture.instance(1, series: Fixture.seriesA, modality: "CT", patient: "SECRETNAME^JANE")
        let b = Fixture.instance(2, series: Fixture.seriesB, modality: "NM", patient: "SECRETNAME^JANE")
        for x in [a, b] { _ = try server.archive.importFile(try writeTemp(x.bytes)) }
        let client = RouterClient(server.router())
        var first: [UInt8] = []
        for round in 0..<2 {
            try await client.execute(uri: "/api/studies/\(Fixture.study)/export?profile=modified-dates,retain-patient-characteristics",
                                     method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "application/zip")
                let zip = Array(r.body.readableBytesView)
                let files = Self.entries(zip)
                #expect(files.count == 2)
                for f in files {
                    for needle in ["SECRETNAME", Fixture.study, Fixture.seriesA, a.uid, b.uid] {
                        #expect(!f.bytes.containsSubsequence(Array(needle.utf8)), "\(needle) in \(f.name)")
                        #expect(!f.name.contains(needle))
                    }
                    let parsed = try DICOMFile(parsing: DICOMBytes(f.bytes))
                    #expect(parsed.dataset.string(Tag(0x0012, 0x0062)) == "YES")
                    #expect(parsed.dataset.string(Tag(0x0028, 0x0303)) == "MODIFIED")
                    // 2024-03-15 moved by the patient's offset, the same in both files and both exports.
                    #expect(parsed.dataset.string(.studyDate) != "20240315")
                }
                if round == 0 { first = zip } else { #expect(zip == first) }
            }
        }
        // The pseudonym map is kept, encrypted, in the archive folder.
        let maps = try FileManager.default.contentsOfDirectory(atPath: dir + "/deid-maps")
        #expect(maps.count == 1)
        try await client.execute(uri: "/api/studies/\(Fixture.study)/export?profile=retain-everything", method: .get, headers: auth) { r in
            #expect(r.status == .badRequest)
        }
        try await client.execute(uri: "/api/studies/1.2.3.4/export", method: .get, headers: auth) { r in
            #expect(r.status == .notFound)
        }
    }
}

extension Array where Element == UInt8 {
    func containsSubsequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, needle.count <= count else { return false }
        for i in 0...(count - needle.count) where self[i] == needle[0] && Array(self[i..<(i + needle.count)]) == needle { return true }
        return false
    }
}
