import Archive
import ArgumentParser
import DICOM
import DICOMNetwork
import Foundation

/// `scinti bench pacs`: C-STORE throughput over loopback, Scinti SCU → Scinti SCP (durable archive: fsync, rename,
/// index before each acknowledgement) next to DCMTK `storescu` → `storescp` on the same files in the same run.
struct BenchPacs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pacs", abstract: "C-STORE of 500 CT images and of the 11.8 MB NM file over loopback: Scinti SCU → Scinti SCP vs storescu → storescp.")
    @Option(help: "Corpus folder.") var corpus = "../shared/corpus"
    @Option(help: "Number of CT images (the GE CT series repeated with new SOP Instance UIDs).") var images = 500
    @Option(help: "Repetitions (best time is reported).") var repeats = 3
    @Option(help: "Base port (uses three ports from here).") var port = 11300

    func run() async throws {
        let nm = corpus + "/nm/GE_D670_Lu177_TOMO_bed2_projections.dcm"
        let ctDir = corpus + "/ct/GE_D670_CTAC"
        guard FileManager.default.fileExists(atPath: nm) else { throw fail("\(nm) not found (--corpus)") }
        let ctFiles = ((try? FileManager.default.contentsOfDirectory(atPath: ctDir)) ?? []).filter { $0.hasSuffix(".dcm") }.sorted().map { ctDir + "/" + $0 }
        guard !ctFiles.isEmpty else { throw fail("\(ctDir): no CT files") }
        let work = NSTemporaryDirectory() + "scinti-bench-pacs-\(getpid())"
        try FileManager.default.createDirectory(atPath: work + "/ct", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        // The CT set: the series repeated with new UIDs, written once as Explicit VR LE Part 10 files.
        var ctPaths: [String] = []
        var ctBytes = 0
        do {
            for i in 0..<images {
                var f = try DICOMFile.read(path: ctFiles[i % ctFiles.count])
                f.dataset.set(.sopInstanceUID, .UI, UIDGenerator.newUID())
                if i % ctFiles.count == 0 { f.dataset.set(.seriesInstanceUID, .UI, UIDGenerator.newUID()) }
                let p = work + "/ct/\(i).dcm"
                try DICOMWriter.write(f, to: p, options: WriteOptions(transferSyntax: .explicitVRLittleEndian))
                ctPaths.append(p)
                ctBytes += (try? FileManager.default.attributesOfItem(atPath: p)[.size] as? Int) ?? 0
            }
        } catch { throw failure(error) }
        let nmBytes = (try? FileManager.default.attributesOfItem(atPath: nm)[.size] as? Int) ?? 0
        emit("scinti bench pacs — best of \(repeats); \(ProcessInfo.processInfo.activeProcessorCount) cores; loopback\n")
        emit("CT: \(images) images, \(ctBytes / 1_000_000) MB (Explicit VR LE); NM: 1 file, \(String(format: "%.1f", Double(nmBytes) / 1e6)) MB\n\n")
        Log.setLevel(0)

        struct Row { var who: String; var what: String; var seconds: Double?; var count: Int; var bytes: Int }
        var rows: [Row] = []

        // Scinti SCP over a fresh archive per run.
        func scinti(_ paths: [String], _ what: String, bytes: Int, window: Int = 1) async throws {
            var best = Double.infinity
            for r in 0..<repeats {
                let dir = work + "/archive-\(what)-\(r)"
                let archive = try Archive(directory: dir)
                var c = ServerConfiguration(aeTitle: "BENCHSCP", port: port, storage: dir)
                c.bindAddress = "127.0.0.1"
                let server = DICOMServer(configuration: c, storage: ArchiveStorage(archive: archive), queryRetrieve: nil)
                let (stream, cont) = AsyncStream<Int>.makeStream()
                let task = Task { try await server.run(onBound: { cont.yield($0) }) }
                var it = stream.makeAsyncIterator()
                guard let bound = await it.next() else { throw fail("server did not start") }
                let files = try paths.map { try PreparedFile.inspect($0) }
                var p = AssociationParameters(host: "127.0.0.1", port: bound, callingAE: "BENCHSCU", calledAE: "BENCHSCP")
                p.contexts = proposals(for: files)
                p.options.maxOperations = window
                let t0 = DispatchTime.now().uptimeNanoseconds
                let ok = try await Association.withAssociation(p) { a in
                    var ok = 0
                    try await a.store(files) { _, r in
                        if case .success(let rsp) = r, rsp.status == Status.success { ok += 1 }
                        return true
                    }
                    return ok
                }
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                server.shutdown(); _ = try? await task.value
                guard ok == files.count, try archive.count() == files.count else { throw fail("only \(ok) of \(files.count) stored") }
                best = min(best, dt)
                try? FileManager.default.removeItem(atPath: dir)
            }
            rows.append(Row(who: "scinti → scinti (fsync+index\(window > 1 ? ", window \(window)" : ""))", what: what, seconds: best, count: paths.count, bytes: bytes))
        }

        // DCMTK storescu → storescp (storescp writes each file; it does not fsync).
        func dcmtk(_ paths: [String], _ what: String, bytes: Int) -> Double? {
            guard let storescp = which("storescp"), let storescu = which("storescu") else { return nil }
            var best = Double.infinity
            for r in 0..<repeats {
                let out = work + "/dcmtk-\(what)-\(r)"
                try? FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
                let scp = Process()
                scp.executableURL = URL(fileURLWithPath: storescp)
                scp.arguments = ["-aet", "STORESCP", "-od", out, String(port + 1)]
                scp.standardError = FileHandle.nullDevice; scp.standardOutput = FileHandle.nullDevice
                guard (try? scp.run()) != nil else { return nil }
                usleep(300_000)
                let scu = Process()
                scu.executableURL = URL(fileURLWithPath: storescu)
                scu.arguments = ["-aet", "STORESCU", "-aec", "STORESCP", "127.0.0.1", String(port + 1)] + paths
                scu.standardError = FileHandle.nullDevice; scu.standardOutput = FileHandle.nullDevice
                let t0 = DispatchTime.now().uptimeNanoseconds
                guard (try? scu.run()) != nil else { kill(scp.processIdentifier, SIGKILL); return nil }
                scu.waitUntilExit()
                let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
                kill(scp.processIdentifier, SIGKILL); scp.waitUntilExit()   // storescp ignores SIGTERM while idle
                let n = ((try? FileManager.default.contentsOfDirectory(atPath: out)) ?? []).count
                if scu.terminationStatus != 0 || n != paths.count { warn("storescu → storescp: \(n) of \(paths.count) stored"); return nil }
                best = min(best, dt)
                try? FileManager.default.removeItem(atPath: out)
            }
            return best
        }

        do {
            try await scinti(ctPaths, "CT ×\(images)", bytes: ctBytes)
            try await scinti(ctPaths, "CT ×\(images)", bytes: ctBytes, window: 8)
            rows.append(Row(who: "storescu → storescp (no fsync)", what: "CT ×\(images)", seconds: dcmtk(ctPaths, "ct", bytes: ctBytes), count: images, bytes: ctBytes))
            try await scinti([nm], "NM 11.8 MB", bytes: nmBytes)
            rows.append(Row(who: "storescu → storescp (no fsync)", what: "NM 11.8 MB", seconds: dcmtk([nm], "nm", bytes: nmBytes), count: 1, bytes: nmBytes))
        } catch { throw failure(error) }

        emit("| sender → receiver | data | seconds | images/s | MB/s |\n|---|---|---|---|---|\n")
        for r in rows {
            if let s = r.seconds {
                emit("| \(r.who) | \(r.what) | \(String(format: "%.3f", s)) | \(String(format: "%.0f", Double(r.count) / s)) | \(String(format: "%.1f", Double(r.bytes) / 1e6 / s)) |\n")
            } else {
                emit("| \(r.who) | \(r.what) | n/a (DCMTK missing or failed) | | |\n")
            }
        }
    }

    private func which(_ tool: String) -> String? {
        for d in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            let p = "\(d)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: p) { return p }
        }
        return nil
    }
}
