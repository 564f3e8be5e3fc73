import Archive
import ArgumentParser
import DICOM
import DICOMNetwork
import Dispatch
import Foundation
import Synchronization

/// `scinti pacs`: DICOM networking as SCU (echo, send, find, move, get) and SCP (listen).
struct PacsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pacs",
        abstract: "DICOM networking: C-ECHO, C-STORE, C-FIND, C-MOVE, C-GET as SCU; a storage/query/retrieve SCP over a durable archive.",
        subcommands: [PacsEcho.self, PacsSend.self, PacsFind.self, PacsMove.self, PacsGet.self, PacsListen.self])
}

/// Connection options shared by the SCU commands.
struct PeerOptions: ParsableArguments {
    @Option(help: "Peer host.") var host = "127.0.0.1"
    @Option(help: "Peer port.") var port = 104
    @Option(help: "Our AE title (calling).") var aet = "SCINTI"
    @Option(name: .customLong("called-aet"), help: "The peer's AE title (called).") var calledAET = "ANY-SCP"
    @Option(help: "Maximum PDU length we receive.") var maxPdu = 262_144
    @Option(help: "Idle timeout, seconds.") var timeout = 60
    @Option(name: .customLong("max-ops"), help: "Asynchronous operations window proposed for sending (C-STORE requests outstanding at once; 1: synchronous).") var maxOps = 8
    @Flag(help: "DICOM over TLS (PS3.15 B.1). The server's certificate is verified against --tls-ca (default: the system's roots).") var tls = false
    @Option(name: .customLong("tls-ca"), help: "PEM trust roots for the server certificate.") var tlsCA: String?
    @Option(name: .customLong("tls-cert"), help: "PEM client certificate chain (when the server asks for one).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Flag(name: .customLong("tls-verify-hostname"), help: "Also check that the server certificate names --host.") var tlsVerifyHostname = false
    @Flag(name: .customLong("tls-insecure"), help: "Do not verify the server certificate (test set-ups only).") var tlsInsecure = false
    @Flag(help: "Debug log lines (each DIMSE message).") var verbose = false

    func parameters() -> AssociationParameters {
        Log.setLevel(verbose ? 2 : 0)
        var p = AssociationParameters(host: host, port: port, callingAE: aet, calledAE: calledAET)
        p.options.maxPDULength = maxPdu
        p.options.idleTimeout = .seconds(Int64(timeout))
        p.options.maxOperations = max(1, maxOps)
        if tls || tlsCA != nil || tlsCert != nil || tlsInsecure {
            if tlsInsecure { warn("--tls-insecure: the server's certificate is not verified") }
            p.options.tls = TLSSettings(certificateChain: tlsCert, privateKey: tlsKey, trustRoots: tlsCA,
                                        verifyHostname: tlsVerifyHostname, insecure: tlsInsecure)
        }
        return p
    }
}

/// Query keys shared by find, move and get.
struct QueryOptions: ParsableArguments {
    @Option(help: "Query/retrieve level: PATIENT, STUDY, SERIES or IMAGE.") var level = "STUDY"
    @Option(help: "Information model: study or patient (root).") var model = "study"
    @Option(name: .short, help: "Key Keyword=value or GGGG,EEEE=value (repeatable; empty value: return key).") var k: [String] = []

    func identifier() throws -> Dataset {
        var ds = Dataset()
        ds.set(Tag(0x0008, 0x0052), .CS, level.uppercased())
        for kv in k {
            let parts = kv.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
            let name = parts[0], value = parts.count > 1 ? parts[1] : ""
            let tag: Tag?
            if name.count == 9, name.dropFirst(4).first == "," { tag = Tag(hex: name.replacingOccurrences(of: ",", with: "")) }
            else { tag = DataDictionary.tag(forKeyword: name) }
            guard let tag, let vr = DataDictionary.entry(for: tag)?.vrs.first else { throw ValidationError("unknown key \(name)") }
            if vr == .SQ { ds.set(tag, sequence: []); continue }
            ds.set(tag, vr, value)
        }
        return ds
    }

    func sopClass(_ op: String) throws -> String {
        let patient = model.lowercased().hasPrefix("p")
        switch op {
        case "find": return patient ? NetworkUID.patientRootFind : NetworkUID.studyRootFind
        case "move": return patient ? NetworkUID.patientRootMove : NetworkUID.studyRootMove
        default: return patient ? NetworkUID.patientRootGet : NetworkUID.studyRootGet
        }
    }
}

func statusText(_ s: UInt16?) -> String {
    guard let s else { return "no status" }
    return "\(Status.category(s)) (0x\(String(format: "%04X", s)))"
}

struct PacsEcho: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "echo", abstract: "C-ECHO (verification).")
    @OptionGroup var peer: PeerOptions
    func run() async throws {
        var p = peer.parameters()
        p.contexts = [(NetworkUID.verification, uncompressedSyntaxes)]
        do {
            let status = try await Association.withAssociation(p) { try await $0.echo() }
            emit("echo \(peer.calledAET)@\(peer.host):\(peer.port): \(statusText(status))\n")
            if status != Status.success { throw ExitCode(1) }
        } catch { throw failure(error) }
    }
}

/// Files under the given paths (folders recursively), sorted.
func collectFiles(_ paths: [String]) -> [String] {
    var out: [String] = []
    for p in paths {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: p, isDirectory: &isDir) else { warn("\(p): not found"); continue }
        if !isDir.boolValue { out.append(p); continue }
        let e = FileManager.default.enumerator(atPath: p)
        var files: [String] = []
        while let f = e?.nextObject() as? String {
            var d: ObjCBool = false
            let full = p + "/" + f
            if FileManager.default.fileExists(atPath: full, isDirectory: &d), !d.boolValue, !f.hasPrefix(".") { files.append(full) }
        }
        out += files.sorted()
    }
    return out
}

struct PacsSend: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "send", abstract: "C-STORE files and folders (compressed files are sent as they are when the peer accepts their syntax).")
    @OptionGroup var peer: PeerOptions
    @Argument(help: "Files or folders.") var paths: [String]
    func run() async throws {
        var files: [PreparedFile] = []
        for path in collectFiles(paths) {
            do { files.append(try PreparedFile.inspect(path)) } catch { warn("skipping \(path): \(error)") }
        }
        guard !files.isEmpty else { throw fail("no DICOM files to send") }
        let summary = try await sendFiles(files, peer: peer)
        emit("sent \(summary.ok) of \(files.count) (\(summary.warnings) with warnings, \(summary.failed) failed) in \(String(format: "%.2f", summary.seconds)) s\n")
        if summary.failed > 0 { throw ExitCode(1) }
    }
}

struct SendSummary: Sendable { var ok = 0, warnings = 0, failed = 0; var seconds = 0.0 }

/// Sends files over one association (a new one every 127 presentation contexts' worth of SOP classes).
func sendFiles(_ files: [PreparedFile], peer: PeerOptions) async throws -> SendSummary {
    let start = DispatchTime.now().uptimeNanoseconds
    var s = SendSummary()
    var p = peer.parameters()
    p.contexts = proposals(for: files)
    do {
        s = try await Association.withAssociation(p) { a in
            var s = SendSummary()
            if a.operationsWindow > 1 && peer.verbose { emit("asynchronous operations window: \(a.operationsWindow)\n") }
            try await a.store(files) { f, result in
                switch result {
                case .success(let rsp):
                    switch Status.category(rsp.status ?? 0xFFFF) {
                    case "success": s.ok += 1
                    case "warning": s.ok += 1; s.warnings += 1
                    default: s.failed += 1; warn("\(f.path): \(statusText(rsp.status)) \(rsp.errorComment ?? "")")
                    }
                case .failure(let e): s.failed += 1; warn("\(f.path): \(e)")
                }
                return true
            }
            return s
        }
    } catch { throw failure(error) }
    s.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    return s
}

struct PacsFind: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "find", abstract: "C-FIND; prints each match (--json: DICOM JSON array).")
    @OptionGroup var peer: PeerOptions
    @OptionGroup var query: QueryOptions
    @Flag(help: "Print the matches as a DICOM JSON array.") var json = false
    @Option(help: "Send C-CANCEL after this many matches.") var cancelAfter: Int?
    @Flag(name: .customLong("combined-datetime"), help: "Propose combined date-time range matching (SOP Class Extended Negotiation): StudyDate=20240105-20240107 with StudyTime=1000-1800 then means 5 Jan 10:00 to 7 Jan 18:00.") var combinedDateTime = false
    func run() async throws {
        var p = peer.parameters()
        let model = try query.sopClass("find")
        p.contexts = [(model, uncompressedSyntaxes)]
        if combinedDateTime { p.extendedNegotiation = [(model, [0, 1])] }
        let id = try query.identifier()
        let cancelAfter = self.cancelAfter
        do {
            let combined = combinedDateTime
            let (rsp, matches) = try await Association.withAssociation(p) { a in
                if combined && !ExtendedNegotiation.items(a.negotiated.userInfo).contains(where: { $0.sopClass == model && $0.info.count > 1 && $0.info[1] == 1 }) {
                    warn("the peer did not accept combined date-time matching: date and time ranges are matched separately")
                }
                var matches: [Dataset] = []
                let rsp = try await a.find(model: model, identifier: id) { ds in
                    matches.append(ds)
                    return cancelAfter.map { matches.count < $0 } ?? true
                }
                return (rsp, matches)
            }
            if json {
                emit("[" + matches.map { DICOMJSON.encode($0) }.joined(separator: ",\n") + "]\n")
            } else {
                for (i, m) in matches.enumerated() {
                    emit("# match \(i + 1)\n")
                    for e in m {
                        let name = DataDictionary.keyword(for: e.tag) ?? e.tag.description
                        let value = e.items != nil ? "(\(e.items!.count) item(s))" : e.strings(m.characterSet).joined(separator: "\\")
                        emit("\(name)=\(value)\n")
                    }
                }
                emit("\(matches.count) match(es); final status \(statusText(rsp.status))\n")
            }
            if let s = rsp.status, Status.category(s) == "failure" { throw ExitCode(1) }
        } catch { throw failure(error) }
    }
}

struct PacsMove: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "move", abstract: "C-MOVE the matches to --destination.")
    @OptionGroup var peer: PeerOptions
    @OptionGroup var query: QueryOptions
    @Option(help: "Move destination AE title.") var destination: String
    func run() async throws {
        var p = peer.parameters()
        let model = try query.sopClass("move")
        p.contexts = [(model, uncompressedSyntaxes)]
        let id = try query.identifier()
        let dest = destination
        do {
            let rsp = try await Association.withAssociation(p) { try await $0.move(model: model, identifier: id, destination: dest) }
            emit("move to \(dest): \(statusText(rsp.status)); completed \(rsp.completed ?? 0), failed \(rsp.failed ?? 0), warning \(rsp.warning ?? 0)\n")
            if let s = rsp.status, s != Status.success { throw ExitCode(1) }
        } catch { throw failure(error) }
    }
}

struct PacsGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "get", abstract: "C-GET the matches into --out.")
    @OptionGroup var peer: PeerOptions
    @OptionGroup var query: QueryOptions
    @Option(help: "Folder for the received files (<SOPInstanceUID>.dcm).") var out: String
    func run() async throws {
        var p = peer.parameters()
        let model = try query.sopClass("get")
        p.contexts = [(model, uncompressedSyntaxes)]
        let compressed = storageSyntaxes.filter { !uncompressedSyntaxes.contains($0) }
        for sop in commonStorageSOPClasses.prefix(60) { p.contexts.append((sop, uncompressedSyntaxes + compressed)) }
        p.roles = commonStorageSOPClasses.prefix(60).map { RoleSelection(sopClass: $0, scuRole: false, scpRole: true) }
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let id = try query.identifier()
        let dir = out
        do {
            let rsp = try await Association.withAssociation(p) { a in
                try await a.get(model: model, identifier: id, storage: { req in try DirectoryIncoming(directory: dir, request: req) })
            }
            emit("get into \(dir): \(statusText(rsp.status)); completed \(rsp.completed ?? 0), failed \(rsp.failed ?? 0), warning \(rsp.warning ?? 0)\n")
            if let s = rsp.status, s != Status.success { throw ExitCode(1) }
        } catch { throw failure(error) }
    }
}

struct PacsListen: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "listen", abstract: "Storage, query/retrieve and verification SCP over a durable archive; SIGTERM/SIGINT stop it gracefully.")
    @Option(help: "Port.") var port: Int?
    @Option(help: "Our AE title.") var aet: String?
    @Option(help: "Archive folder.") var storage: String?
    @Option(help: "JSON configuration file (aeTitle, port, storage, allowedPeers [{aet, host}], moveDestinations [{aet, host, port}], idleTimeoutSeconds, artimTimeoutSeconds, maxPDULength, maxAssociations, maxOperations, tls {certificateChain, privateKey, trustRoots}, moveTLS).") var config: String?
    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve DICOM over TLS (PS3.15 B.1).") var tlsCert: String?
    @Option(name: .customLong("tls-key"), help: "PEM private key of --tls-cert.") var tlsKey: String?
    @Option(name: .customLong("tls-ca"), help: "PEM CA: require client certificates signed by it (mutual TLS).") var tlsCA: String?
    @Flag(help: "Debug log lines.") var verbose = false
    @Option(help: "Index: sqlite:PATH (default: the archive folder's index.sqlite) or postgres://USER@HOST[:PORT]/DB shared with other receivers and servers (docs/scale.md).") var database: String?
    @Flag(help: "Open the archive (crash recovery), check its integrity (every indexed file present, complete and parseable; no unindexed or temporary files), print the report and exit (status 1 when inconsistent).") var verifyOnly = false

    func run() async throws {
        var c: ServerConfiguration
        do { c = try config.map(ServerConfiguration.load(path:)) ?? ServerConfiguration(aeTitle: "SCINTI", port: 11112) } catch {
            throw fail("\(config ?? ""): \(error)")
        }
        if let port { c.port = port }
        if let aet { c.aeTitle = aet }
        if let storage { c.storage = storage }
        if tlsCert != nil || tlsKey != nil || tlsCA != nil {
            guard tlsCert != nil, tlsKey != nil else { throw fail("--tls-cert and --tls-key go together") }
            c.tls = TLSSettings(certificateChain: tlsCert, privateKey: tlsKey, trustRoots: tlsCA)
        }
        guard let dir = c.storage else { throw fail("--storage (or \"storage\" in the configuration) is required") }
        Log.setLevel(verbose ? 2 : 1)
        let archive: Archive
        do { let choice = try DatabaseChoice.open(database); archive = try Archive(directory: dir, index: choice.index, audit: choice.audit) } catch { throw failure(error, dir) }
        if verifyOnly {
            let report: Archive.IntegrityReport
            do { report = try archive.verify() } catch { throw failure(error, dir) }
            emit("archive \(dir): \(report)\n")
            if !report.isConsistent { throw ExitCode(1) }
            return
        }
        // Storage Commitment Push Model SCP too: a sender (e.g. `scinti serve --pacs`) learns what this archive holds.
        let server = DICOMServer(configuration: c, storage: ArchiveStorage(archive: archive), queryRetrieve: ArchiveQueryRetrieve(archive: archive),
                                 storageCommitment: ArchiveStorageCommitment(archive: archive))
        // SIGTERM/SIGINT set a flag (async-signal-safe); a task notices it and stops accepting associations.
        signal(SIGTERM) { _ in pacsStopRequested.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in pacsStopRequested.store(true, ordering: .relaxed) }
        let watcher = Task {
            while !pacsStopRequested.load(ordering: .relaxed) && !Task.isCancelled { try? await Task.sleep(for: .milliseconds(200)) }
            Log.info("stop requested: no new associations; finishing open ones")
            server.shutdown()
        }
        do { try await server.run() } catch { watcher.cancel(); throw failure(error) }
        watcher.cancel()
        Log.info("stopped")
    }
}

/// Set by the SIGTERM/SIGINT handler of `scinti pacs listen`.
let pacsStopRequested = Atomic<Bool>(false)

// MARK: - Glue between the archive and the network services

/// Writes a received object to `<dir>/<SOPInstanceUID>.dcm` (temporary file, fsync, rename).
final class DirectoryIncoming: IncomingObject, @unchecked Sendable {
    let fd: Int32
    let tmp: String
    let final: String
    init(directory: String, request r: StoreRequest) throws {
        let safe = r.sopInstanceUID.allSatisfy { $0.isNumber || $0 == "." } && !r.sopInstanceUID.isEmpty ? r.sopInstanceUID : UIDGenerator.newUID()
        final = directory + "/" + safe + ".dcm"
        tmp = directory + "/." + safe + ".part"
        fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw ArchiveError("cannot create \(tmp)") }
        try Part10Header.bytes(sopClassUID: r.sopClassUID, sopInstanceUID: r.sopInstanceUID, transferSyntaxUID: r.transferSyntax, sourceAE: r.callingAE)
            .withUnsafeBytes { try append($0) }
    }
    func append(_ bytes: UnsafeRawBufferPointer) throws {
        var done = 0
        while done < bytes.count {
            let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 { if errno == EINTR { continue }; throw ArchiveError("\(tmp): write failed") }
            done += n
        }
    }
    func commit() throws -> StoreOutcome {
        guard fsync(fd) == 0 else { close(fd); unlink(tmp); return StoreOutcome(status: Status.outOfResources, comment: "fsync failed") }
        close(fd)
        guard rename(tmp, final) == 0 else { unlink(tmp); return StoreOutcome(status: Status.outOfResources, comment: "rename failed") }
        return StoreOutcome(status: Status.success)
    }
    func discard() { close(fd); unlink(tmp) }
}
