import Foundation
import Hummingbird
import NIOCore
import Testing
@testable import Server

/// Automatic QC of images received by STOW, and the QC routes (results, trend, banner, CSV).
@Suite struct QCRoutesTests {
    static let vendor = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../../shared/corpus").standardized.path

    @Test func stowedFloodIsAnalysedAndTrended() async throws {
        let flood = Self.vendor + "/vendor/mediso_nucline_STATIC_flood_intrinsic_nmqc.dcm"
        let patient = Self.vendor + "/nm/WG04_NM1_UNC.dcm"
        guard FileManager.default.fileExists(atPath: flood), FileManager.default.fileExists(atPath: patient) else { return }
        let (server, dir) = try makeServer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let client = RouterClient(server.router())
        let parts = try [flood, patient].map { [UInt8](try Data(contentsOf: URL(fileURLWithPath: $0))) }
        try await client.execute(uri: "/dicom-web/studies", method: .post, headers: stowHeaders, body: Fixture.multipart(parts)) {
            #expect($0.status == .ok)
        }
        // One pass (the background poll may have taken them already: then nothing is left to do).
        let scanned = try await client.execute(uri: "/api/qc/scan", method: .post, headers: auth)
        #expect(scanned.status == .ok)
        let results = try await client.execute(uri: "/api/qc/results?test=uniformity", method: .get, headers: auth)
        let rows = json(results.body) as? [[String: Any]] ?? []
        #expect(rows.count == 1)  // the patient whole-body bone scan is not QC
        let metrics = rows.first?["metrics"] as? [String: Double] ?? [:]
        // pylinac 3.49 PlanarUniformity on the same file: CFOV IU 2.377 %, UFOV DU 1.839 % (Tests/oracle/check_qc.py).
        #expect(abs((metrics["cfov.integralUniformityPercent"] ?? 0) - 2.377) < 0.01)
        #expect(rows.first?["camera"] as? String == "DHV")
        #expect(rows.first?["collimator"] as? String == "INTR")
        #expect(rows.first?["status"] as? String == "pass")

        let trend = try await client.execute(uri: "/api/qc/trend?camera=DHV&test=uniformity&metric=cfov.integralUniformityPercent", method: .get, headers: auth)
        let t = json(trend.body) as? [String: Any] ?? [:]
        #expect(t["action"] as? Double == 5)
        #expect((t["points"] as? [[String: Any]])?.count == 1)

        let banner = try await client.execute(uri: "/api/qc/banner?date=2013-04-02", method: .get, headers: auth)
        let b = json(banner.body) as? [String: Any] ?? [:]
        #expect(b["overall"] as? String == "pass")
        let other = try await client.execute(uri: "/api/qc/banner?date=2013-04-03", method: .get, headers: auth)
        #expect((json(other.body) as? [String: Any])?["overall"] as? String == "no QC")  // a camera without QC that day

        let csv = try await client.execute(uri: "/api/qc/results.csv?camera=DHV", method: .get, headers: auth)
        let text = String(buffer: csv.body)
        #expect(text.hasPrefix("\"id\",\"camera\""))
        #expect(text.split(separator: "\r\n").count == 2)

        try await client.execute(uri: "/api/qc/results?test=bogus", method: .get, headers: auth) { #expect($0.status == .badRequest) }
        try await client.execute(uri: "/api/qc/results", method: .get) { #expect($0.status == .unauthorized) }
        try await client.execute(uri: "/qc", method: .get, headers: auth) { #expect($0.status == .ok) }
    }
}
