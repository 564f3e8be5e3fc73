import Archive
import DICOM
import Foundation
import NIOCore
import NIOPosix
import Testing
@testable import DICOMNetwork

@Test func echoRoundTrip() async throws {
    let status = try await withServer { port, _ in
        var p = params(port)
        p.contexts = [(NetworkUID.verification, uncompressedSyntaxes)]
        return try await Association.withAssociation(p) { try await $0.echo() }
    }
    #expect(status == Status.success)
}

@Test func negotiationPicksThePeersFirstSupportedSyntaxAndRejectsUnknownClasses() async throws {
    let accepted = try await withServer { port, _ in
        var p = params(port)
        p.contexts = [(NetworkUID.verification, ["1.2.3.4.5", TransferSyntax.implicitVRLittleEndian.uid, TransferSyntax.explicitVRLittleEndian.uid]),
                      (NetworkUID.studyRootFind, ["1.2.3.4.5"])]
        return try await Association.withAssociation(p) { a in a.negotiated.accepted }
    }
    #expect(accepted == [AcceptedContext(id: 1, result: .acceptance, transferSyntax: TransferSyntax.implicitVRLittleEndian.uid),
                         AcceptedContext(id: 3, result: .transferSyntaxesNotSupported, transferSyntax: "1.2.3.4.5")])
}

@Test func wrongCalledAEAndUnknownCallerAreRejected() async throws {
    try await withServer(allowed: [AllowedPeer(aet: "GOOD", host: "127.0.0.1")]) { port, _ throws in
        var p = params(port, called: "WRONG", calling: "GOOD")
        p.contexts = [(NetworkUID.verification, uncompressedSyntaxes)]
        do { _ = try await Association.withAssociation(p) { try await $0.echo() }; Issue.record("accepted wrong called AE") } catch {
            guard case NetworkError.associationRejected(_, _, let r) = error else { Issue.record("\(error)"); return }
            #expect(r == .calledAENotRecognized)
        }
        p = params(port, called: "TESTSCP", calling: "STRANGER")
        p.contexts = [(NetworkUID.verification, uncompressedSyntaxes)]
        do { _ = try await Association.withAssociation(p) { try await $0.echo() }; Issue.record("accepted unknown caller") } catch {
            guard case NetworkError.associationRejected(_, _, let r) = error else { Issue.record("\(error)"); return }
            #expect(r == .callingAENotRecognized)
        }
        p = params(port, called: "TESTSCP", calling: "GOOD")
        p.contexts = [(NetworkUID.verification, uncompressedSyntaxes)]
        #expect(try await Association.withAssociation(p) { try await $0.echo() } == Status.success)
    }
}

@Test func storeFindMoveGetRoundTrip() async throws {
    let src = tempDir("src")
    var collected: [PreparedFile] = []
    for i in 1...3 {
        let path = try makeCT(dir: src, patient: "P1", name: "DOE^JANE", study: "1.2.826.0.1.1", series: "1.2.826.0.1.1.1", sop: "1.2.826.0.1.1.1.\(i)",
                              date: "20240315", pixels: 300, syntax: i == 2 ? .implicitVRLittleEndian : .explicitVRLittleEndian)
        collected.append(try PreparedFile.inspect(path))
    }
    collected.append(try PreparedFile.inspect(try makeCT(dir: src, patient: "P2", name: "ROE^RICHARD", study: "1.2.826.0.2", series: "1.2.826.0.2.1",
                                                    sop: "1.2.826.0.2.1.1", date: "20231101")))
    let files = collected
    try await withServer { port, archive in
        var p = params(port)
        p.options.maxPDULength = 16384   // forces fragmentation of the 180 KB objects
        p.contexts = proposals(for: files) + [(NetworkUID.studyRootFind, uncompressedSyntaxes), (NetworkUID.patientRootFind, uncompressedSyntaxes)]
        try await Association.withAssociation(p) { a in
            for f in files { #expect(try await a.store(f).status == Status.success) }
            // Storing again: duplicate, first copy kept, success.
            #expect(try await a.store(files[0]).status == Status.success)
            var q = Dataset()
            q.set(Tag(0x0008, 0x0052), .CS, "STUDY")
            q.set(.patientName, .PN, "DOE*")
            q.set(.studyInstanceUID, .UI, "")
            q.set(Tag(0x0020, 0x1208), .IS, "")
            var matches: [Dataset] = []
            let rsp = try await a.find(model: NetworkUID.studyRootFind, identifier: q) { matches.append($0); return true }
            #expect(rsp.status == Status.success)
            #expect(matches.count == 1)
            #expect(matches.first?.string(.studyInstanceUID) == "1.2.826.0.1.1")
            #expect(matches.first?.string(Tag(0x0020, 0x1208)) == "3")
            var pq = Dataset()
            pq.set(Tag(0x0008, 0x0052), .CS, "PATIENT")
            pq.set(.patientID, .LO, "")
            var patients: [String] = []
            _ = try await a.find(model: NetworkUID.patientRootFind, identifier: pq) { patients.append($0.string(.patientID) ?? ""); return true }
            #expect(patients.sorted() == ["P1", "P2"])
            // PATIENT level is not in the Study Root model: failure 0xA900.
            let bad = try await a.find(model: NetworkUID.studyRootFind, identifier: pq) { _ in true }
            #expect(bad.status == Status.identifierDoesNotMatchSOPClass)
        }
        #expect(try archive.count() == 4)
        // The stored files hold the same data set bytes as the originals (implicit one too: sent as-is).
        for f in files {
            let stored = try archive.instances(sopUIDs: [f.sopInstanceUID]).first!
            let a = try DICOMFile.read(path: stored.path), b = try DICOMFile.read(path: f.path)
            #expect(a.dataset[.pixelData] == b.dataset[.pixelData])
            #expect(a.transferSyntax == b.transferSyntax)
        }

        // C-GET of study 1 back to a folder.
        let out = tempDir("get")
        let outArchive = try Archive(directory: out)
        var g = params(port)
        g.contexts = [(NetworkUID.studyRootGet, uncompressedSyntaxes), ("1.2.840.10008.5.1.4.1.1.2", uncompressedSyntaxes)]
        g.roles = [RoleSelection(sopClass: "1.2.840.10008.5.1.4.1.1.2", scuRole: false, scpRole: true)]
        let getRsp = try await Association.withAssociation(g) { a in
            var q = Dataset(); q.set(Tag(0x0008, 0x0052), .CS, "STUDY"); q.set(.studyInstanceUID, .UI, "1.2.826.0.1.1")
            return try await a.get(model: NetworkUID.studyRootGet, identifier: q) { req in
                try ArchiveIncoming(outArchive.beginStore(sopClassUID: req.sopClassUID, sopInstanceUID: req.sopInstanceUID,
                                                                    transferSyntaxUID: req.transferSyntax, sourceAE: nil))
            }
        }
        #expect(getRsp.status == Status.success && getRsp.completed == 3)
        #expect(try outArchive.count() == 3)
    }
}

@Test func moveToASecondSCP() async throws {
    let src = tempDir("msrc")
    let path = try makeCT(dir: src, patient: "P9", name: "MOVE^ME", study: "1.2.826.0.9", series: "1.2.826.0.9.1", sop: "1.2.826.0.9.1.1", date: "20200101")
    let f = try PreparedFile.inspect(path)
    try await withServer(aet: "DEST") { destPort, destArchive in
        try await withServer(moveDestinations: [MoveDestination(aet: "DEST", host: "127.0.0.1", port: destPort)]) { port, _ in
            var p = params(port)
            p.contexts = proposals(for: [f]) + [(NetworkUID.studyRootMove, uncompressedSyntaxes)]
            try await Association.withAssociation(p) { a in
                #expect(try await a.store(f).status == Status.success)
                var q = Dataset(); q.set(Tag(0x0008, 0x0052), .CS, "STUDY"); q.set(.studyInstanceUID, .UI, "1.2.826.0.9")
                let rsp = try await a.move(model: NetworkUID.studyRootMove, identifier: q, destination: "DEST")
                #expect(rsp.status == Status.success && rsp.completed == 1)
                let unknown = try await a.move(model: NetworkUID.studyRootMove, identifier: q, destination: "NOWHERE")
                #expect(unknown.status == Status.moveDestinationUnknown)
            }
        }
        #expect(try destArchive.count() == 1)
    }
}

/// Raw TCP helper: sends bytes, returns what the SCP answers until it closes (or 3 s pass).
/// `blockingExchange` on a Dispatch thread, so the blocking `recv` never occupies a cooperative-pool thread the
/// server's async code needs (on a 2-core machine that pool has two threads).
func rawExchange(port: Int, _ bytes: [UInt8], wait: Double = 30) async throws -> [UInt8] {
    try await withCheckedThrowingContinuation { (c: CheckedContinuation<[UInt8], any Error>) in
        DispatchQueue.global().async {
            do { c.resume(returning: try blockingExchange(port: port, bytes, wait: wait)) } catch { c.resume(throwing: error) }
        }
    }
}

/// Sends raw bytes and collects whatever comes back until the peer closes or `wait` seconds pass without data.
func blockingExchange(port: Int, _ bytes: [UInt8], wait: Double) throws -> [UInt8] {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET); addr.sin_port = in_port_t(UInt16(port).bigEndian); addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    guard rc == 0 else { throw NetworkError.other("connect failed") }
    var tv = timeval(tv_sec: Int(wait), tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
    var out: [UInt8] = []
    var buf = [UInt8](repeating: 0, count: 4096)
    while true {
        let n = recv(fd, &buf, buf.count, 0)
        if n <= 0 { break }
        out += buf[0..<n]
    }
    return out
}

@Test func garbageAndOversizedPDUsAreAbortedAndServerKeepsServing() async throws {
    try await withServer { port, _ in
        // Unknown PDU type 0x47 ('G' of "GET / HTTP"): A-ABORT, reason 1 (unrecognized PDU).
        let answer = try await rawExchange(port: port, Array("GET / HTTP/1.0\r\n\r\n".utf8))
        #expect(answer == [0x07, 0x00, 0, 0, 0, 4, 0, 0, 0x02, 0x01])
        // A P-DATA-TF announcing 100 MB: aborted before being buffered (reason 6, invalid parameter value).
        let big = try await rawExchange(port: port, [0x04, 0x00, 0x06, 0x00, 0x00, 0x00, 0, 0, 0, 0])
        #expect(big == [0x07, 0x00, 0, 0, 0, 4, 0, 0, 0x02, 0x06])
        var p = params(port)
        p.contexts = [(NetworkUID.verification, uncompressedSyntaxes)]
        #expect(try await Association.withAssociation(p) { try await $0.echo() } == Status.success)
    }
}

@Test func stalledPeerIsDisconnectedByTheIdleTimeout() async throws {
    try await withServer(idle: 1) { port, _ in
        // Half a PDU header, then silence: the SCP closes after its 1 s idle timeout, long before our 20 s receive
        // timeout would end the exchange.
        let start = Date()
        _ = try await rawExchange(port: port, [0x01, 0x00, 0x00], wait: 20)
        #expect(Date().timeIntervalSince(start) < 15)
    }
}
