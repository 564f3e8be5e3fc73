import Archive
import DICOM
import Foundation
import Hummingbird
import Imaging
import Rendering
import Testing

@testable import Server

/// A small CT-like instance built here, independently of the server: known UIDs, names and pixel values.
struct Fixture {
    static let study = "1.2.826.0.1.3680043.2.1125.7.1"
    static let seriesA = "1.2.826.0.1.3680043.2.1125.7.2"
    static let seriesB = "1.2.826.0.1.3680043.2.1125.7.3"

    /// Pixel (x, y) of instance `n` holds `100·n + 8·y + x` (8×8, 16-bit unsigned), rescale −1000 + 2·stored.
    static func instance(_ n: Int, series: String, modality: String, patient: String = "DOE^JANE", date: String = "20240315",
                         study: String = Fixture.study) -> (uid: String, bytes: [UInt8]) {
        let uid = "1.2.826.0.1.3680043.2.1125.7.100.\(n)"
        var ds = Dataset()
        ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.2")
        ds.set(.sopInstanceUID, .UI, uid)
        ds.set(.studyDate, .DA, date)
        ds.set(.modality, .CS, modality)
        ds.set(.patientName, .PN, patient)
        ds.set(.patientID, .LO, "P\(patient.count)")
        ds.set(.studyInstanceUID, .UI, study)
        ds.set(.seriesInstanceUID, .UI, series)
        ds.set(.instanceNumber, .IS, String(n))
        ds.set(.samplesPerPixel, .US, numbers: [1])
        ds.set(.photometricInterpretation, .CS, "MONOCHROME2")
        ds.set(.rows, .US, numbers: [8])
        ds.set(.columns, .US, numbers: [8])
        ds.set(.bitsAllocated, .US, numbers: [16])
        ds.set(.bitsStored, .US, numbers: [16])
        ds.set(.highBit, .US, numbers: [15])
        ds.set(.pixelRepresentation, .US, numbers: [0])
        ds.set(.rescaleIntercept, .DS, "-1000")
        ds.set(.rescaleSlope, .DS, "2")
        ds.set(.pixelData, .OW, numbers: (0..<64).map { Double(100 * n + $0) })
        var meta = Dataset()
        meta.set(.mediaStorageSOPClassUID, .UI, "1.2.840.10008.5.1.4.1.1.2")
        meta.set(.mediaStorageSOPInstanceUID, .UI, uid)
        meta.set(.transferSyntaxUID, .UI, TransferSyntax.explicitVRLittleEndian.uid)
        let bytes = try! DICOMWriter.encode(DICOMFile(meta: meta, dataset: ds, transferSyntax: .explicitVRLittleEndian)).bytes
        return (uid, bytes)
    }

    static func multipart(_ parts: [[UInt8]], boundary: String = "XyZ") -> ByteBuffer {
        var out: [UInt8] = []
        for p in parts { out += Array("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n".utf8) + p + Array("\r\n".utf8) }
        out += Array("--\(boundary)--\r\n".utf8)
        return ByteBuffer(bytes: out)
    }
}

let token = "test-token-0123456789abcdef"
let auth: HTTPFields = [.authorization: "Bearer \(token)"]
let stowHeaders: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "multipart/related; type=\"application/dicom\"; boundary=XyZ"]

func makeServer() throws -> (ScintiServer, String) {
    let dir = NSTemporaryDirectory() + "scinti-server-test-\(UUID().uuidString)"
    let server = try ScintiServer(configuration: WebServerConfiguration(archiveDirectory: dir, token: token, maxUploadBytes: 1 << 20))
    return (server, dir)
}

func json(_ b: ByteBuffer) -> Any? { try? JSONSerialization.jsonObject(with: Data(b.readableBytesView)) }

@Suite struct ServerTests {
    @Test func multipartRoundTripAndTruncation() throws {
        let body = Multipart.encode([("application/dicom", [1, 2, 3]), ("application/dicom", Array("x--XyZ inside\n--XyZ".utf8))], boundary: "XyZ")
        let parts = try Multipart.parse(body, boundary: "XyZ")
        // The boundary inside a body but not after CRLF is content, not a delimiter.
        #expect(parts.map(\.body) == [[1, 2, 3], Array("x--XyZ inside\n--XyZ".utf8)])
        #expect(parts[0].contentType == "application/dicom")
        #expect(throws: MultipartError.self) { try Multipart.parse(Array(body.dropLast(9)), boundary: "XyZ") }
        #expect(throws: MultipartError.self) { try Multipart.parse(Array("no delimiter".utf8), boundary: "XyZ") }
        let (t, p) = Multipart.parseMediaType("multipart/related; type=\"application/dicom\"; boundary=\"a;b\"")
        #expect(t == "multipart/related" && p["type"] == "application/dicom" && p["boundary"] == "a;b")
    }

    @Test func blockAverageForDisplay() throws {
        // A linear ramp v = x + 10·y + 100·z on a 1 mm grid: the mean over a 2×2×2 block is the ramp at the block
        // centre, which sits at +0.5 mm along each axis from the block's first voxel.
        let n = GridSize(x: 8, y: 6, z: 4)
        var vals = [Float](repeating: 0, count: n.count)
        for z in 0..<4 { for y in 0..<6 { for x in 0..<8 { vals[x + 8 * (y + 6 * z)] = Float(x + 10 * y + 100 * z) } } }
        let g = ImageGeometry.axisAligned(origin: Vector3(-10, 20, 5), spacing: Vector3(1, 1, 1))
        let r = Volume(unchecked: n, voxels: vals, geometry: g).blockAveraged(towards: Vector3(2, 2, 2))
        #expect(r.size == GridSize(x: 4, y: 3, z: 2))
        #expect(r.geometry.spacing == Vector3(2, 2, 2))
        #expect(r.geometry.origin == Vector3(-9.5, 20.5, 5.5))
        for z in 0..<2 { for y in 0..<3 { for x in 0..<4 {
            #expect(r[x, y, z] == Float(2 * x) + 0.5 + 10 * (Float(2 * y) + 0.5) + 100 * (Float(2 * z) + 0.5))
        } } }
    }

    @Test func authenticationIsRequiredExceptHealth() async throws {
        let (server, dir) = try makeServer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do { let client = RouterClient(server.router())
            try await client.execute(uri: "/health", method: .get) { #expect($0.status == .ok) }
            try await client.execute(uri: "/dicom-web/studies", method: .get) { r in
                #expect(r.status == .unauthorized)
                #expect(r.headers[.wwwAuthenticate] != nil)
                #expect(!r.headers.contains { $0.name.canonicalName.hasPrefix("access-control") })
            }
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: [.authorization: "Bearer wrong"]) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/api/jobs", method: .get, headers: [.cookie: "scinti_token=nope"]) { #expect($0.status == .unauthorized) }
            try await client.execute(uri: "/dicom-web/studies", method: .get, headers: auth) { #expect($0.status == .ok) }
            // The viewer login: right token in the query sets the cookie; the cookie then authenticates.
            try await client.execute(uri: "/?token=\(token)", method: .get) { r in
                #expect(r.status == .found || r.status == .seeOther || r.status == .temporaryRedirect)
                #expect(r.headers[.setCookie]?.contains("HttpOnly") == true)
            }
            try await client.execute(uri: "/api/jobs", method: .get, headers: [.cookie: "scinti_token=\(token)"]) { #expect($0.status == .ok) }
            try await client.execute(uri: "/?token=wrong", method: .get) { #expect($0.status == .unauthorized) }
        }
    }

    @Test func stowQidoWadoRoundTrip() async throws {
        let (server, dir) = try makeServer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = Fixture.instance(1, series: Fixture.seriesA, modality: "CT")
        let b = Fixture.instance(2, series: Fixture.seriesA, modality: "CT")
        let c = Fixture.instance(3, series: Fixture.seriesB, modality: "NM")
        let other = Fixture.instance(4, series: "1.2.826.0.1.3680043.2.1125.7.9", modality: "PT", patient: "ROE^RICHARD", date: "20230101",
                                     study: "1.2.826.0.1.3680043.2.1125.7.8")
        do { let client = RouterClient(server.router())
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: stowHeaders,
                                     body: Fixture.multipart([a.bytes, b.bytes, c.bytes, other.bytes])) { r in
                #expect(r.status == .ok)
                let obj = json(r.body) as? [String: Any]
                let refs = (obj?["00081199"] as? [String: Any])?["Value"] as? [Any]
                #expect(refs?.count == 4)
            }
            #expect(try server.archive.count() == 4)
            // Stored durably like C-STORE: the archive's own integrity check passes.
            #expect(try server.archive.verify().isConsistent)

            // QIDO: study level, wildcard / range / list matching against the names and dates written above.
            func count(_ uri: String) async throws -> Int {
                try await client.execute(uri: uri, method: .get, headers: auth) { r in
                    #expect(r.status == .ok, "\(uri)")
                    #expect(r.headers[.contentType] == "application/dicom+json")
                    return (json(r.body) as? [Any])?.count ?? -1
                }
            }
            #expect(try await count("/dicom-web/studies") == 2)
            #expect(try await count("/dicom-web/studies?PatientName=DOE*") == 1)
            #expect(try await count("/dicom-web/studies?PatientName=doe%5Ejane") == 1)  // PN matching is case-insensitive here
            #expect(try await count("/dicom-web/studies?PatientName=X*") == 0)
            #expect(try await count("/dicom-web/studies?StudyDate=20240101-20241231") == 1)
            #expect(try await count("/dicom-web/studies?StudyDate=-20231231") == 1)
            #expect(try await count("/dicom-web/studies?00100010=ROE*") == 1)
            #expect(try await count("/dicom-web/studies?ModalitiesInStudy=NM") == 1)
            #expect(try await count("/dicom-web/studies?StudyInstanceUID=\(Fixture.study),1.2.826.0.1.3680043.2.1125.7.8") == 2)
            #expect(try await count("/dicom-web/studies?limit=1") == 1)
            #expect(try await count("/dicom-web/studies?offset=1") == 1)
            #expect(try await count("/dicom-web/studies/\(Fixture.study)/series") == 2)
            #expect(try await count("/dicom-web/studies/\(Fixture.study)/series?Modality=CT") == 1)
            #expect(try await count("/dicom-web/series?Modality=PT") == 1)
            #expect(try await count("/dicom-web/studies/\(Fixture.study)/series/\(Fixture.seriesA)/instances") == 2)
            #expect(try await count("/dicom-web/instances?SOPInstanceUID=\(c.uid)") == 1)
            try await client.execute(uri: "/dicom-web/studies?includefield=StudyDescription", method: .get, headers: auth) { r in
                let first = (json(r.body) as? [[String: Any]])?.first(where: { (($0["00100010"] as? [String: Any])?["Value"] as? [[String: String]])?.first?["Alphabetic"] == "DOE^JANE" })
                #expect(((first?["00201206"] as? [String: Any])?["Value"] as? [Int]) == [2])  // series in study
                #expect(((first?["00201208"] as? [String: Any])?["Value"] as? [Int]) == [3])  // instances in study
            }
            try await client.execute(uri: "/dicom-web/studies?NoSuchKeyword=1", method: .get, headers: auth) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/dicom-web/studies?limit=-1", method: .get, headers: auth) { #expect($0.status == .badRequest) }

            // WADO-RS instance: the bytes come back as a Part 10 object with our pixel values.
            let base = "/dicom-web/studies/\(Fixture.study)/series/\(Fixture.seriesA)"
            try await client.execute(uri: "\(base)/instances/\(b.uid)", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                let ct = r.headers[.contentType] ?? ""
                let (type, p) = Multipart.parseMediaType(ct)
                #expect(type == "multipart/related" && p["type"] == "application/dicom")
                let parts = try Multipart.parse([UInt8](buffer: r.body), boundary: p["boundary"] ?? "")
                #expect(parts.count == 1)
                let f = try DICOMFile(parsing: DICOMBytes(parts[0].body))
                #expect(f.dataset.string(.sopInstanceUID) == b.uid)
                #expect(try PixelData.decode(f).doubles() == (0..<64).map { Double(200 + $0) })
            }
            try await client.execute(uri: base, method: .get, headers: auth) { r in
                let p = Multipart.parseMediaType(r.headers[.contentType] ?? "").parameters
                let parts = try Multipart.parse([UInt8](buffer: r.body), boundary: p["boundary"] ?? "")
                #expect(parts.count == 2)
            }
            // Transfer syntax negotiation (PS3.18 §8.7.3): transcoded on request, as stored with `*`, 406 for a syntax
            // the server cannot produce. Pixels decode to the same values whatever the encoding.
            func instance(accept: String) async throws -> (HTTPResponse.Status, DICOMFile?, [UInt8]) {
                try await client.execute(uri: "\(base)/instances/\(b.uid)", method: .get, headers: auth + [.accept: accept]) { r in
                    guard r.status == .ok else { return (r.status, nil, []) }
                    let p = Multipart.parseMediaType(r.headers[.contentType] ?? "").parameters
                    let parts = try Multipart.parse([UInt8](buffer: r.body), boundary: p["boundary"] ?? "")
                    return (r.status, try DICOMFile(parsing: DICOMBytes(parts[0].body)), parts[0].body)
                }
            }
            for ts in [TransferSyntax.implicitVRLittleEndian, .explicitVRBigEndian, .rleLossless, .deflatedExplicitVRLittleEndian] {
                let (status, f, _) = try await instance(accept: "multipart/related; type=\"application/dicom\"; transfer-syntax=\(ts.uid)")
                #expect(status == .ok && f?.transferSyntax == ts, "\(ts.name)")
                if let f { #expect(try PixelData.decode(f).doubles() == (0..<64).map { Double(200 + $0) }, "\(ts.name)") }
            }
            let (_, asStored, storedBytes) = try await instance(accept: "multipart/related; type=\"application/dicom\"; transfer-syntax=*")
            let archived = try #require(try server.archive.instances(seriesUIDs: [Fixture.seriesA]).first { $0.sopInstanceUID == b.uid })
            let archivedBytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: archived.path)))
            #expect(asStored?.transferSyntax == .explicitVRLittleEndian && storedBytes == archivedBytes)
            let (jpeg, _, _) = try await instance(accept: "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50")
            #expect(jpeg == .notAcceptable)
            let (second, f2, _) = try await instance(accept: "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50, multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2")
            #expect(second == .ok && f2?.transferSyntax == .implicitVRLittleEndian)
            let (png, _, _) = try await instance(accept: "image/png")
            #expect(png == .notAcceptable)
            // Frames: native little-endian stored values.
            try await client.execute(uri: "\(base)/instances/\(a.uid)/frames/1", method: .get, headers: auth) { r in
                #expect(r.status == .ok)
                let p = Multipart.parseMediaType(r.headers[.contentType] ?? "").parameters
                let parts = try Multipart.parse([UInt8](buffer: r.body), boundary: p["boundary"] ?? "")
                let values = parts[0].body.withUnsafeBytes { Array($0.bindMemory(to: UInt16.self)) }.map { Int(UInt16(littleEndian: $0)) }
                #expect(values == (0..<64).map { 100 + $0 })
            }
            try await client.execute(uri: "\(base)/instances/\(a.uid)/frames/2", method: .get, headers: auth) { #expect($0.status == .notFound) }
            try await client.execute(uri: "\(base)/instances/\(a.uid)/frames/0", method: .get, headers: auth) { #expect($0.status == .badRequest) }
            // Rendered: rescaled values −800…−674 HU. With the LINEAR window of PS3.3 C.11.2.1.2.1 (centre −737, width 126)
            // x ≤ −800 is black and x > −675 white: the first pixel 0, the last 255.
            try await client.execute(uri: "\(base)/instances/\(a.uid)/rendered?window=-737,126", method: .get, headers: auth) { r in
                #expect(r.status == .ok && r.headers[.contentType] == "image/png")
                let img = try PNG.decode([UInt8](buffer: r.body))
                #expect(img.width == 8 && img.height == 8)
                #expect(img.pixels[0] == 0)
                #expect(img.pixels[63 * img.channels] == 255)
            }
            try await client.execute(uri: "\(base)/instances/\(a.uid)/rendered?colormap=nope", method: .get, headers: auth) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "\(base)/thumbnail", method: .get, headers: auth) { #expect($0.status == .ok && $0.headers[.contentType] == "image/png") }
            // Metadata: DICOM JSON with the patient name and a bulk-data pointer for the pixels.
            try await client.execute(uri: "\(base)/instances/\(a.uid)/metadata", method: .get, headers: auth) { r in
                let arr = json(r.body) as? [[String: Any]]
                #expect(arr?.count == 1)
                #expect((((arr?.first?["00100010"] as? [String: Any])?["Value"] as? [[String: String]])?.first?["Alphabetic"]) == "DOE^JANE")
                #expect(((arr?.first?["7FE00010"] as? [String: Any])?["BulkDataURI"] as? String)?.hasSuffix("/frames/1") == true)
            }
            try await client.execute(uri: "/dicom-web/studies/\(Fixture.study)/series/1.2.3.4/metadata", method: .get, headers: auth) { #expect($0.status == .notFound) }

            // Viewer data API: values in HU (rescale applied) as Float32.
            try await client.execute(uri: "/api/series/\(Fixture.seriesB)/data", method: .get, headers: auth) { r in
                let v = [UInt8](buffer: r.body).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
                let want: [Float] = (0..<64).map { (k: Int) -> Float in Float(2 * (300 + k) - 1000) }
                #expect(v == want)
            }
            try await client.execute(uri: "/api/series/\(Fixture.seriesB)/info", method: .get, headers: auth) { r in
                let o = json(r.body) as? [String: Any]
                #expect(o?["kind"] as? String == "frames" && o?["width"] as? Int == 8 && o?["depth"] as? Int == 1)
            }
        }
    }

    @Test func brokenStowStoresNothing() async throws {
        let (server, dir) = try makeServer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let a = Fixture.instance(1, series: Fixture.seriesA, modality: "CT")
        do { let client = RouterClient(server.router())
            // Truncated body: no closing delimiter.
            var body = Fixture.multipart([a.bytes])
            body.moveWriterIndex(to: body.writerIndex - 12)
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: stowHeaders, body: body) { #expect($0.status == .badRequest) }
            // A valid instance and a part that is not DICOM: the whole request is refused.
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: stowHeaders,
                                     body: Fixture.multipart([a.bytes, Array("not dicom at all".utf8)])) { #expect($0.status == .badRequest) }
            // A truncated DICOM object inside a well-formed multipart body.
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: stowHeaders,
                                     body: Fixture.multipart([Array(a.bytes.prefix(a.bytes.count - 40))])) { #expect($0.status == .badRequest) }
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: [.authorization: "Bearer \(token)", .contentType: "application/json"],
                                     body: ByteBuffer(string: "{}")) { #expect($0.status == .unsupportedMediaType) }
            // Over the upload limit (1 MiB in this test).
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: stowHeaders,
                                     body: Fixture.multipart([[UInt8](repeating: 0, count: (1 << 20) + 10)])) { #expect($0.status == .contentTooLarge) }
            // Study in the URL differs from the instance's: refused per instance (409, none stored).
            try await client.execute(uri: "/dicom-web/studies/1.2.3", method: .post, headers: stowHeaders, body: Fixture.multipart([a.bytes])) { r in
                #expect(r.status == .conflict)
                #expect((json(r.body) as? [String: Any])?["00081198"] != nil)
            }
            // No token: 401 and nothing stored.
            try await client.execute(uri: "/dicom-web/studies", method: .post, headers: [.contentType: stowHeaders[.contentType]!],
                                     body: Fixture.multipart([a.bytes])) { #expect($0.status == .unauthorized) }
        }
        #expect(try server.archive.count() == 0)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: dir + "/incoming")) ?? []).isEmpty)
    }

    @Test func pathTraversalAndInvalidUIDsAreRefused() async throws {
        let (server, dir) = try makeServer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do { let client = RouterClient(server.router())
            for uri in ["/dicom-web/studies/..%2F..%2Fetc%2Fpasswd", "/dicom-web/studies/1.2.3/series/..%2F..%2Findex.sqlite",
                        "/dicom-web/studies/1.2.3/series/1.2.4/instances/%2Fetc%2Fpasswd/frames/1", "/api/series/..%2Findex.sqlite/data",
                        "/dicom-web/studies/1.02.3/metadata", "/api/jobs/..%2F..%2Fx"] {
                try await client.execute(uri: uri, method: .get, headers: auth) { r in #expect(r.status == .badRequest, "\(uri)") }
            }
            for uri in ["/viewer/..%2F..%2FPackage.swift", "/viewer/../../Package.swift", "/../../etc/passwd", "/viewer/index.sqlite"] {
                try await client.execute(uri: uri, method: .get, headers: auth) { r in #expect(r.status == .notFound, "\(uri)") }
            }
            try await client.execute(uri: "/viewer/viewer.js", method: .get, headers: auth) { r in
                #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("text/javascript") == true)
                #expect(r.headers[.xContentTypeOptions] == "nosniff")
            }
        }
    }

    @Test func jobsAreValidatedAndSurviveRestart() async throws {
        let (server, dir) = try makeServer()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try server.archive.importFile(try writeTemp(Fixture.instance(1, series: Fixture.seriesA, modality: "CT").bytes))
        var id = ""
        do { let client = RouterClient(server.router())
            for bad in ["{", "{\"type\":\"dose\",\"series\":\"1.2\"}", "{\"type\":\"recon\",\"series\":\"../x\"}",
                        "{\"type\":\"recon\",\"series\":\"1.2\",\"iterations\":0}",
                        "{\"type\":\"analysis\",\"analysis\":\"nope\",\"series\":\"1.2\"}", "{\"type\":\"analysis\",\"analysis\":\"lvef\"}",
                        "{\"type\":\"dose\",\"visits\":[]}", "{\"type\":\"analysis\",\"analysis\":\"thyroid-uptake\",\"series\":\"1.2\"}",
                        "{\"type\":\"analysis\",\"analysis\":\"thyroid-uptake\",\"series\":\"1.2\",\"inputs\":{\"standard\":\"1.3\",\"kitchen\":\"1.4\"}}",
                        "{\"type\":\"analysis\",\"analysis\":\"thyroid-uptake\",\"series\":\"1.2\",\"inputs\":{\"standard\":\"../1\"}}", "{\"type\":\"dose\",\"visits\":[{\"spect\":\"../x\"}]}",
                        "{\"type\":\"dose\",\"visits\":[{\"spect\":\"1.2\"}],\"method\":\"magic\"}",
                        "{\"type\":\"dose\",\"visits\":[{\"spect\":\"1.2\"}],\"administration\":\"yesterday\"}",
                        "{\"type\":\"dose\",\"visits\":[{\"spect\":\"1.2\"}],\"radionuclide\":\"Xx-999\"}"] {
                try await client.execute(uri: "/api/jobs", method: .post, headers: auth, body: ByteBuffer(string: bad)) { #expect($0.status == .badRequest, "\(bad)") }
            }
            try await client.execute(uri: "/api/jobs", method: .post, headers: auth, body: ByteBuffer(string: "{\"type\":\"recon\",\"series\":\"1.2.3\"}")) {
                #expect($0.status == .notFound)
            }
            for missing in ["{\"type\":\"analysis\",\"analysis\":\"lvef\",\"series\":\"1.2.3\"}", "{\"type\":\"dose\",\"visits\":[{\"spect\":\"1.2.3\"}]}"] {
                try await client.execute(uri: "/api/jobs", method: .post, headers: auth, body: ByteBuffer(string: missing)) { #expect($0.status == .notFound, "\(missing)") }
            }
            // A CT image is not a gated study: the analysis job fails naming the attribute and what it needed.
            let aid = try await client.execute(uri: "/api/jobs", method: .post, headers: auth,
                                               body: ByteBuffer(string: "{\"type\":\"analysis\",\"analysis\":\"lvef\",\"series\":\"\(Fixture.seriesA)\"}")) { r in
                #expect(r.status == .accepted)
                return (json(r.body) as? [String: Any])?["id"] as? String ?? ""
            }
            try await client.execute(uri: "/api/jobs/\(aid)/events", method: .get, headers: auth) { r in
                let text = String(buffer: r.body)
                #expect(text.contains("event: failed") && text.contains("Modality (0008,0060) is CT; an NM (gamma camera) image is needed"), "\(text)")
            }
            // A CT image is not SPECT projections: the job runs and fails with the workflow's message.
            id = try await client.execute(uri: "/api/jobs", method: .post, headers: auth,
                                          body: ByteBuffer(string: "{\"type\":\"recon\",\"series\":\"\(Fixture.seriesA)\",\"iterations\":1}")) { r in
                #expect(r.status == .accepted)
                return (json(r.body) as? [String: Any])?["id"] as? String ?? ""
            }
            try await client.execute(uri: "/api/jobs/\(id)/events", method: .get, headers: auth) { r in
                let text = String(buffer: r.body)
                #expect(r.headers[.contentType] == "text/event-stream")
                #expect(text.contains("event: failed"))
            }
        }
        let rec = try #require(try server.jobs.get(id))
        #expect(rec.state == "failed")
        // A new server on the same folder knows the job.
        let again = try ScintiServer(configuration: WebServerConfiguration(archiveDirectory: dir, token: token))
        let known = try again.jobs.list().map(\.id)
        #expect(known.contains(id) && known.count == 2)
    }
}

func writeTemp(_ bytes: [UInt8]) throws -> String {
    let p = NSTemporaryDirectory() + "scinti-server-\(UUID().uuidString).dcm"
    try Data(bytes).write(to: URL(fileURLWithPath: p))
    return p
}
