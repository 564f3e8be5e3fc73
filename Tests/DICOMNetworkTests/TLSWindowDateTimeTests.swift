import Archive
import DICOM
import Foundation
import Testing
@testable import DICOMNetwork

// Asynchronous operations window, combined date-time matching and DICOM over TLS.

@Test func asynchronousWindowIsNegotiatedAndEveryPipelinedStoreIsAcknowledgedOnce() async throws {
    let src = tempDir("window")
    var files: [PreparedFile] = []
    for i in 1...40 {
        files.append(try PreparedFile.inspect(try makeCT(dir: src, patient: "W", name: "WIN^DOW", study: "1.2.826.0.9", series: "1.2.826.0.9.1",
                                                         sop: "1.2.826.0.9.1.\(i)", date: "20240101", pixels: 32)))
    }
    let all = files
    // Our SCP grants up to 4 here; we propose 8: the smaller wins (PS3.7 D.3.3.3).
    let (window, acknowledged, stored) = try await withServer(configure: { $0.maxOperations = 4 }) { port, archive in
        var p = params(port)
        p.contexts = proposals(for: all)
        p.options.maxOperations = 8
        let (w, acks) = try await Association.withAssociation(p) { a in
            var acks: [String] = []
            try await a.store(all) { f, r in
                if case .success(let rsp) = r, rsp.status == Status.success { acks.append(f.sopInstanceUID) }
                return true
            }
            return (a.operationsWindow, acks)
        }
        return (w, acks, try archive.count())
    }
    #expect(window == 4)
    #expect(acknowledged.count == 40 && Set(acknowledged).count == 40)
    #expect(stored == 40)

    // Without a proposal the association is synchronous.
    let w1 = try await withServer { port, _ in
        var p = params(port)
        p.contexts = proposals(for: all)
        return try await Association.withAssociation(p) { a in
            #expect(a.negotiated.userInfo.asyncOperations == nil)
            return a.operationsWindow
        }
    }
    #expect(w1 == 1)
}

@Test func combinedDateTimeRangeMatchingFollowsPS34() {
    func study(_ d: String, _ t: String?) -> Dataset {
        var ds = Dataset(); ds.set(.studyDate, .DA, d); if let t { ds.set(.studyTime, .TM, t) }; return ds
    }
    var key = Dataset()
    key.set(Tag(0x0008, 0x0052), .CS, "STUDY")
    key.set(.studyDate, .DA, "20240105-20240107")
    key.set(.studyTime, .TM, "1000-1800")
    // Combined: 5 Jan 10:00 .. 7 Jan 18:00.
    #expect(QueryMatcher.matches(key, study("20240106", "0300"), combinedDateTime: true))      // inside, early hour
    #expect(QueryMatcher.matches(key, study("20240105", "100000"), combinedDateTime: true))    // lower bound
    #expect(!QueryMatcher.matches(key, study("20240105", "0959"), combinedDateTime: true))    // before it
    #expect(QueryMatcher.matches(key, study("20240107", "18:00:59"), combinedDateTime: true)) // upper bound (18:00 covers the minute)
    #expect(!QueryMatcher.matches(key, study("20240107", "1801"), combinedDateTime: true))
    #expect(QueryMatcher.matches(key, study("20240106", nil), combinedDateTime: true))         // no time: by date
    // Separate (the default): the time range applies to every day.
    #expect(!QueryMatcher.matches(key, study("20240106", "0300")))
    #expect(QueryMatcher.matches(key, study("20240106", "1200")))
    // Open-ended: from 6 Jan 12:00.
    var open = Dataset()
    open.set(.studyDate, .DA, "20240106-"); open.set(.studyTime, .TM, "1200-")
    #expect(QueryMatcher.matches(open, study("20240107", "0100"), combinedDateTime: true))
    #expect(!QueryMatcher.matches(open, study("20240106", "1159"), combinedDateTime: true))
}

@Test func combinedDateTimeIsNegotiatedPerFindClassAndUsedByTheArchive() async throws {
    let src = tempDir("dt")
    var files: [PreparedFile] = []
    for (i, (d, t)) in [("20240105", "0900"), ("20240106", "0300"), ("20240107", "1700"), ("20240107", "1900")].enumerated() {
        files.append(try PreparedFile.inspect(try makeCT(dir: src, patient: "D", name: "DATE^TIME", study: "1.2.826.0.8.\(i)", series: "1.2.826.0.8.\(i).1",
                                                         sop: "1.2.826.0.8.\(i).1.1", date: d, time: t)))
    }
    let all = files
    let counts = try await withServer { port, _ in
        var p = params(port)
        p.contexts = proposals(for: all)
        try await Association.withAssociation(p) { a in
            try await a.store(all) { _, _ in true }
        }
        var key = Dataset()
        key.set(Tag(0x0008, 0x0052), .CS, "STUDY")
        key.set(.studyDate, .DA, "20240105-20240107")
        key.set(.studyTime, .TM, "1000-1800")
        key.set(.studyInstanceUID, .UI, "")
        var out: [Int] = []
        for combined in [false, true] {
            var q = params(port)
            q.contexts = [(NetworkUID.studyRootFind, uncompressedSyntaxes)]
            if combined { q.extendedNegotiation = [(NetworkUID.studyRootFind, [0, 1])] }
            let n = try await Association.withAssociation(q) { a in
                let accepted = ExtendedNegotiation.items(a.negotiated.userInfo).first { $0.sopClass == NetworkUID.studyRootFind }
                #expect(combined ? accepted?.info == [0, 1] : accepted == nil)
                var n = 0
                _ = try await a.find(model: NetworkUID.studyRootFind, identifier: key) { _ in n += 1; return true }
                return n
            }
            out.append(n)
        }
        return out
    }
    // Separately: only 7 Jan 17:00 has a time in 10–18 h. Combined: 6 Jan 03:00 and 7 Jan 17:00.
    #expect(counts == [1, 2])
}

// MARK: TLS

/// A self-signed CA and a server and client certificate signed by it, made with the openssl command line.
struct TestPKI {
    let dir: String
    var ca: String { dir + "/ca.pem" }
    var serverCert: String { dir + "/server.pem" }
    var serverKey: String { dir + "/server.key" }
    var clientCert: String { dir + "/client.pem" }
    var clientKey: String { dir + "/client.key" }

    static func make() throws -> TestPKI? {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/openssl") else { return nil }
        let d = tempDir("pki")
        let script = """
        set -e
        cd '\(d)'
        openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 -subj /CN=ScintiTestCA 2>/dev/null
        for n in server client; do
          openssl req -newkey rsa:2048 -nodes -keyout $n.key -out $n.csr -subj /CN=$n 2>/dev/null
          printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > $n.ext
          openssl x509 -req -in $n.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out $n.pem -days 2 -extfile $n.ext 2>/dev/null
        done
        """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", script]
        try p.run(); p.waitUntilExit()
        guard p.terminationStatus == 0 else { return nil }
        return TestPKI(dir: d)
    }
}

@Test(.enabled(if: TLSSettings.isAvailable)) func tlsEchoAndStoreWithMutualAuthentication() async throws {
    guard let pki = try TestPKI.make() else { Issue.record("openssl is needed to make test certificates (scripts/install-deps.sh --test installs it)"); return }
    let src = tempDir("tls")
    let file = try PreparedFile.inspect(try makeCT(dir: src, patient: "T", name: "TLS^TEST", study: "1.2.826.0.7", series: "1.2.826.0.7.1",
                                                   sop: "1.2.826.0.7.1.1", date: "20240101", pixels: 128))
    try await withServer(configure: { $0.tls = TLSSettings(certificateChain: pki.serverCert, privateKey: pki.serverKey, trustRoots: pki.ca) }) { port, archive in
        // Verified server, client certificate presented: echo and store work.
        var p = params(port)
        p.contexts = [(NetworkUID.verification, uncompressedSyntaxes)] + proposals(for: [file])
        p.options.tls = TLSSettings(certificateChain: pki.clientCert, privateKey: pki.clientKey, trustRoots: pki.ca, verifyHostname: true)
        p.host = "localhost"
        let (echo, store) = try await Association.withAssociation(p) { a in (try await a.echo(), try await a.store(file).status) }
        #expect(echo == Status.success && store == Status.success)
        #expect(try archive.count() == 1)

        // No client certificate: the server (mutual TLS) refuses the handshake.
        var anon = params(port)
        anon.contexts = [(NetworkUID.verification, uncompressedSyntaxes)]
        anon.options.tls = TLSSettings(trustRoots: pki.ca)
        await #expect(throws: (any Error).self) { _ = try await Association.withAssociation(anon) { try await $0.echo() } }

        // A client that does not trust the server's CA refuses it.
        var untrusting = params(port)
        untrusting.contexts = [(NetworkUID.verification, uncompressedSyntaxes)]
        untrusting.options.tls = TLSSettings(certificateChain: pki.clientCert, privateKey: pki.clientKey, trustRoots: pki.clientCert)
        await #expect(throws: (any Error).self) { _ = try await Association.withAssociation(untrusting) { try await $0.echo() } }

        // Plain TCP to a TLS port: no association.
        var plain = params(port)
        plain.contexts = [(NetworkUID.verification, uncompressedSyntaxes)]
        plain.options.artimTimeout = .seconds(3); plain.options.idleTimeout = .seconds(3)
        await #expect(throws: (any Error).self) { _ = try await Association.withAssociation(plain) { try await $0.echo() } }
    }
}

@Test func tlsSettingsNameAMissingCertificateFile() {
    guard TLSSettings.isAvailable else { return }
    do {
        _ = try TLSContext(TLSSettings(certificateChain: "/nonexistent/server.pem", privateKey: "/nonexistent/server.key"), server: true, host: nil)
        Issue.record("accepted a missing certificate file")
    } catch {
        #expect("\(error)".contains("/nonexistent/server.pem"))
    }
}
