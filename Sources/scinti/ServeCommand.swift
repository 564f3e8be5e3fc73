import ArgumentParser
import Archive
import DICOMNetwork
import Foundation
import Server
import Workflows

/// `scinti serve`: DICOMweb, the job API and the browser viewer over a local archive.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve an archive over HTTP: DICOMweb (QIDO/WADO/STOW) under /dicom-web/, a viewer at /, jobs under /api/jobs.")
    @Option(help: "TCP port.") var port = 8080
    @Option(help: "Address to bind (loopback by default; binding elsewhere exposes the archive to the network).") var host = "127.0.0.1"
    @Option(help: "Archive folder (created when missing; the same folder `scinti pacs listen --archive` uses).") var archive = "scinti-archive"
    @Option(help: "Bearer token required on every route but /health (default: a random one, printed).") var token: String?
    @Option(help: "Largest upload (STOW-RS body) in MiB.") var maxUploadMib = 512
    @Option(name: .customLong("dimse-port"), help: "Also run the DICOM storage/query/retrieve SCP (as `scinti pacs listen`) on this port, over the same archive, in this process.") var dimsePort: Int?
    @Option(help: "AE title of the DICOM SCP (with --dimse-port).") var aet = "SCINTI"
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve HTTPS (with --tls-key); session cookies become Secure.") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(name: .customLong("audit-syslog"), help: "Also send every audit record as a DICOM audit message (PS3.15 A.5 XML) to this syslog receiver over TLS (RFC 5425), HOST:PORT.") var auditSyslog: String?
    @Option(name: .customLong("audit-syslog-ca"), help: "PEM trust root for the --audit-syslog receiver's certificate (default: the system's).") var auditSyslogCA: String?
    @Option(help: "A login session ends after this many minutes without a request.") var sessionIdleMinutes = 30.0
    @Option(help: "A login session ends this many hours after login.") var sessionMaxHours = 12.0
    @Option(help: "Index and job queue: sqlite:PATH (default: the archive folder's index.sqlite and jobs.sqlite) or postgres://USER@HOST[:PORT]/DB, shared with other servers, receivers and `scinti worker` processes (jobs then run on the workers; docs/scale.md).") var database: String?
    @OptionGroup(title: "PACS delivery of report documents") var pacs: PACSDeliveryOptions
    @Flag(help: "When the archive is empty, simulate and reconstruct the demo SPECT/CT study (64² matrix) and store it first.") var demo = false

    func run() async throws {
        if let t = token, t.count < 16 { throw fail("--token must be at least 16 characters") }
        guard (1...65535).contains(port) else { throw fail("--port must be 1…65535") }
        guard maxUploadMib >= 1 && maxUploadMib <= 65536 else { throw fail("--max-upload-mib must be 1…65536") }
        let tok = token ?? WebServerConfiguration.generateToken()
        var config = WebServerConfiguration(host: host, port: port, archiveDirectory: archive, token: tok, maxUploadBytes: maxUploadMib << 20)
        switch (tlsCert, tlsKey) {
        case (nil, nil): break
        case (let c?, let k?):
            for f in [c, k] where !FileManager.default.isReadableFile(atPath: f) { throw fail("cannot read \(f) (--tls-cert/--tls-key take PEM files)") }
            config.tls = (c, k)
        default: throw fail("--tls-cert and --tls-key go together")
        }
        guard sessionIdleMinutes > 0, sessionIdleMinutes <= 24 * 60, sessionMaxHours > 0, sessionMaxHours <= 24 * 30 else {
            throw fail("--session-idle-minutes must be in (0, 1440] and --session-max-hours in (0, 720]")
        }
        if let a = auditSyslog {
            guard let colon = a.lastIndex(of: ":"), let p = Int(a[a.index(after: colon)...]), (1...65535).contains(p), colon != a.startIndex else {
                throw fail("--audit-syslog takes HOST:PORT, got '\(a.prefix(80))'")
            }
            if let ca = auditSyslogCA, !FileManager.default.isReadableFile(atPath: ca) { throw fail("cannot read --audit-syslog-ca \(ca)") }
            config.auditSyslog = (String(a[..<colon]), p, auditSyslogCA)
        }
        config.accountPolicy.sessionIdle = sessionIdleMinutes * 60
        config.accountPolicy.sessionAbsolute = sessionMaxHours * 3600
        do {
            let choice = try DatabaseChoice.open(database)
            config.index = choice.index; config.jobStore = choice.jobs; config.auditStore = choice.audit
        } catch { throw failure(error) }
        let server: ScintiServer
        do { server = try ScintiServer(configuration: config) } catch { throw failure(error, "cannot open the archive \(archive)") }
        let count = (try? server.archive.count()) ?? 0
        if count == 0 {
            if demo {
                do { try loadDemo(into: server.archive) } catch { throw failure(error, "demo study") }
            } else {
                warn("the archive \(archive) is empty: store studies with STOW-RS or `scinti pacs send`, or restart with --demo to load the demo SPECT/CT study")
            }
        }
        if host != "127.0.0.1" && host != "localhost" && host != "::1" && config.tls == nil { warn("listening on \(host): reachable from the network (plain HTTP, no TLS)") }
        if !FileManager.default.fileExists(atPath: config.viewerDirectory + "/index.html") {
            warn("viewer files not found in \(config.viewerDirectory): / will answer 404 (DICOMweb and the API work)")
        }
        emit("scinti serve: archive \(archive) (\((try? server.archive.count()) ?? 0) instances), index \(server.archive.index.location)\n")
        if server.jobs.store.isShared { emit("  jobs:      shared queue, run by `scinti worker --database …` processes\n") }
        let scheme = config.tls == nil ? "http" : "https"
        emit("  viewer:    \(scheme)://\(host):\(port)/  (log in with an account of `scinti users add`), or \(scheme)://\(host):\(port)/?token=\(tok)\n")
        emit("  DICOMweb:  \(scheme)://\(host):\(port)/dicom-web/  (Authorization: Bearer \(tok))\n")
        emit("  token:     \(tok)  (service credential: all rights, named 'service' in the audit trail)\n")
        if ((try? server.archive.users()) ?? []).isEmpty { warn("no user accounts yet: add one with `scinti users add NAME --role admin --archive \(archive)`") }
        let deliveryConfig: ReportDelivery.Configuration?
        do { deliveryConfig = try pacs.configuration(callingAE: aet) } catch { throw failure(error) }
        let delivery = deliveryConfig.map { ReportDelivery(archive: server.archive, configuration: $0) }
        var dimse: DICOMServer? = nil
        if let dimsePort {
            guard (1...65535).contains(dimsePort), dimsePort != port else { throw fail("--dimse-port must be 1…65535 and differ from --port") }
            var c = ServerConfiguration(aeTitle: aet, port: dimsePort, storage: archive)
            c.bindAddress = host
            let scp = DICOMServer(configuration: c, storage: ArchiveStorage(archive: server.archive), queryRetrieve: ArchiveQueryRetrieve(archive: server.archive),
                                  storageCommitment: delivery)
            dimse = scp
            emit("  DICOM SCP: \(aet)@\(host):\(dimsePort) (same archive)\n")
            Task { do { try await scp.run() } catch { warn("DICOM SCP: \(error)") } }
        }
        if let delivery {
            emit("  PACS:      \(delivery.configuration.destinations.map(\.name).joined(separator: ", ")) (C-STORE + storage commitment as \(aet); outbox at /api/outbox)\n")
            if dimsePort == nil { warn("--pacs without --dimse-port: a storage commitment reported on a new association (Orthanc does so) cannot reach us; documents stay 'sent' until --pacs-commit-timeout") }
            delivery.start()
        }
        do { try await server.run() } catch { dimse?.shutdown(); throw failure(error, "server") }
        dimse?.shutdown()
    }

    func loadDemo(into archive: Archive) throws {
        let dir = NSTemporaryDirectory() + "scinti-serve-demo-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var o = DemoJob.Options(out: dir)
        o.matrix = 64; o.pixelMM = 4.7952 * 2; o.views = 60
        emit("scinti serve: simulating and reconstructing the demo study (64² matrix)…\n")
        _ = try DemoJob.run(o) { FileHandle.standardError.write(Data("demo: \($0)\n".utf8)) }
        var n = 0
        let e = FileManager.default.enumerator(atPath: dir)
        while let f = e?.nextObject() as? String {
            guard f.hasSuffix(".dcm") else { continue }
            if case .stored = try archive.importFile(dir + "/" + f, sourceAE: "SCINTI-DEMO") { n += 1 }
        }
        emit("scinti serve: stored \(n) demo instances\n")
    }
}
