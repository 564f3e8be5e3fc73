import Archive
import ArgumentParser
import DICOM
import DICOMNetwork
import Foundation

/// `scinti bench ingest`: instances/s into the durable archive (files linked into `data/`, one flush per batch of
/// concurrent stores, index commit before each acknowledgement) with 1, 4 and 8 concurrent C-STORE senders over
/// loopback, for the SQLite index or a PostgreSQL one (`--database postgres://…`).
struct BenchIngest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ingest", abstract: "C-STORE ingest rate (instances/s) of small images with 1, 4, 8 concurrent senders into the archive on SQLite or PostgreSQL (--database).")
    @Option(help: "sqlite (a fresh archive folder per run) or postgres://USER@HOST[:PORT]/DB (a build with the PostgreSQL trait).") var database = "sqlite"
    @Option(help: "Instances per run (32×32 16-bit Secondary Capture images, ~2.4 kB each).") var instances = 1000
    @Option(help: "Concurrent senders (associations), comma-separated.") var senders = "1,4,8"
    @Option(help: "Folder for the archives (on the disk under test; not a tmpfs).") var work = "scinti-bench-ingest"
    @Option(help: "How each batch of received files is made durable: syncfs (one syncfs(2) per batch) or fsync (every file and folder).") var flush = "syncfs"
    @Option(help: "C-STORE requests outstanding per association (asynchronous operations window; 1: one at a time, as most senders).") var window = 1
    @Option(help: "Batches of concurrent stores made durable at once (1: one after another, the default of the archive; 2: the next flushes while the previous commits).") var batches = 1

    func run() async throws {
        let counts = senders.split(separator: ",").compactMap { Int($0) }
        guard !counts.isEmpty, counts.allSatisfy({ (1...64).contains($0) }), (1...1_000_000).contains(instances) else {
            throw fail("--senders takes counts 1…64 separated by commas; --instances 1…1000000")
        }
        guard let fileSync = FileSync.named(flush) else { throw fail("--flush takes syncfs or fsync, got '\(flush)'") }
        guard (1...64).contains(window) else { throw fail("--window takes 1…64, got \(window)") }
        guard (1...8).contains(batches) else { throw fail("--batches takes 1…8, got \(batches)") }
        let src = work + "/source-\(getpid())"
        try? FileManager.default.createDirectory(atPath: src, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: src) }
        Log.setLevel(0)
        emit("scinti bench ingest — \(instances) instances per run, \(ProcessInfo.processInfo.activeProcessorCount) cores, loopback, index \(database == "sqlite" ? "SQLite (per-run archive)" : database.replacingOccurrences(of: #":[^:@/]*@"#, with: "@", options: .regularExpression)), flush \(fileSync.name) per batch, \(batches) batch(es) at once, window \(window) (negotiated per association, checked)\n")
        emit("senders | seconds | instances/s | load  | CPU ms/instance | stores/batch | flush ms/batch | index ms/batch | busy cores | others | steal | probe ms\n")
        emit("--------|---------|-------------|-------|-----------------|--------------|----------------|----------------|------------|--------|-------|---------\n")
        for s in counts {
            let dir = work + "/archive-\(getpid())-\(s)"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let choice: DatabaseChoice
            do { choice = database == "sqlite" ? DatabaseChoice() : try DatabaseChoice.open(database) } catch { throw failure(error) }
            // New UIDs per run: a shared PostgreSQL index keeps earlier runs' rows.
            var paths: [String] = []
            let study = UIDGenerator.newUID(), series = UIDGenerator.newUID()
            do {
                for i in 0..<instances {
                    var ds = Dataset()
                    ds.set(.sopClassUID, .UI, "1.2.840.10008.5.1.4.1.1.7")
                    ds.set(.sopInstanceUID, .UI, UIDGenerator.newUID())
                    ds.set(.studyInstanceUID, .UI, study)
                    ds.set(.seriesInstanceUID, .UI, series)
                    ds.set(.patientID, .LO, "BENCH-INGEST")
                    ds.set(.modality, .CS, "OT")
                    ds.set(Tag(0x0028, 0x0002), .US, numbers: [1])
                    ds.set(Tag(0x0028, 0x0004), .CS, "MONOCHROME2")
                    for (e, v) in [(0x0010, 32.0), (0x0011, 32), (0x0100, 16), (0x0101, 16), (0x0102, 15), (0x0103, 0)] {
                        ds.set(Tag(0x0028, UInt16(e)), .US, numbers: [v])
                    }
                    ds.set(Element(tag: Tag(0x7FE0, 0x0010), vr: .OW, bytes: (0..<2048).map { UInt8(truncatingIfNeeded: $0 &+ i) }))
                    let p = src + "/\(s)-\(i).dcm"
                    try DICOMWriter.write(DICOMFile(dataset: ds, transferSyntax: .explicitVRLittleEndian), to: p)
                    paths.append(p)
                }
            } catch { throw failure(error) }
            let archive: Archive
            do { archive = try Archive(directory: dir, index: choice.index, audit: choice.audit) } catch { throw failure(error, dir) }
            archive.fileSync = fileSync
            archive.concurrentBatches = batches
            var c = ServerConfiguration(aeTitle: "BENCHSCP", port: 0, storage: dir)
            c.bindAddress = "127.0.0.1"
            c.maxOperations = max(16, window)
            let server = DICOMServer(configuration: c, storage: ArchiveStorage(archive: archive), queryRetrieve: nil)
            let (stream, cont) = AsyncStream<Int>.makeStream()
            let task = Task { try await server.run(onBound: { cont.yield($0) }) }
            var it = stream.makeAsyncIterator()
            guard let bound = await it.next() else { throw fail("server did not start") }
            let files = try paths.map { try PreparedFile.inspect($0) }
            let load = (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").first.map(String.init) ?? "?"
            // The probe only where its ~10 ms (release) are small beside the run (not in the tests' tiny runs).
            let probing = instances >= 500
            let probe0 = probing ? cpuProbe() : 0
            let cpu0 = cpuSeconds(), machine0 = MachineTicks.now()
            let t0 = DispatchTime.now().uptimeNanoseconds
            let (ok, windows) = try await withThrowingTaskGroup(of: (Int, Int).self) { g in
                for k in 0..<s {
                    let mine = stride(from: k, to: files.count, by: s).map { files[$0] }
                    g.addTask {
                        var p = AssociationParameters(host: "127.0.0.1", port: bound, callingAE: "BENCHSCU\(k)", calledAE: "BENCHSCP")
                        p.contexts = proposals(for: mine)
                        p.options.maxOperations = window
                        return try await Association.withAssociation(p) { a in
                            var ok = 0
                            try await a.store(mine) { _, r in
                                if case .success(let rsp) = r, rsp.status == Status.success { ok += 1 }
                                return true
                            }
                            return (ok, a.operationsWindow)
                        }
                    }
                }
                return try await g.reduce((0, Set<Int>())) { r, x in (r.0 + x.0, r.1.union([x.1])) }
            }
            // The window the associations use is the one negotiated (the smaller of ours and the SCP's answer).
            guard windows == [window] else { throw fail("window \(window) requested, \(windows.sorted()) negotiated") }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            let cpu = cpuSeconds() - cpu0, st = archive.groupCommitStatistics
            let machine = MachineTicks.now().since(machine0)
            let probe = probing ? (probe0 + cpuProbe()) / 2 : 0
            server.shutdown(); _ = try? await task.value
            // This run's own study (other benches or nodes may write the same shared index meanwhile).
            let indexed = try archive.index.rows(IndexFilter(studyUIDs: [study])).count
            guard ok == instances, indexed == instances else { throw fail("only \(ok) of \(instances) acknowledged (\(indexed) indexed)") }
            let b = Double(max(st.batches, 1))
            emit(String(format: "%7d | %7.2f | %11.0f | ", s, dt, Double(instances) / dt) + load.padding(toLength: 5, withPad: " ", startingAt: 0)
                 + String(format: " | %15.2f | %12.1f | %14.2f | %14.2f | %10.2f | %6.2f | %4.1f %% | %8.1f\n", cpu * 1000 / Double(instances), Double(st.stores) / b,
                          st.flushSeconds * 1000 / b, st.indexSeconds * 1000 / b,
                          machine.busyCores, max(0, machine.busyCores - cpu / dt), machine.stealPercent, probe * 1000))
        }
        emit("\nCPU: this process (senders, receiver, parsing, index client; a database server's own CPU is not included). Batches: the group commit's flush and index transaction per batch.\n")
        emit("Machine during the timed part (/proc/stat): busy cores (user, system, interrupts), others = busy cores less this process (a database server, builds), steal = time the hypervisor gave to other guests. Probe (runs of 500 instances or more): a fixed single-threaded computation timed before and after the run (mean); a larger value than in other runs of the same binary means a slower machine at that moment (a shared physical core, a lower clock), not more work per instance.\n")
        emit("Orthanc's published figure: ~250 instances/s with PostgreSQL and 5 parallel clients (docs/benchmarks.md).\n")
    }
}

/// Seconds of a fixed single-threaded computation (FNV-1a over 1 MiB, 4 times; ~4 ms in a release build).
private func cpuProbe() -> Double {
    let bytes = [UInt8]((0..<(1 << 20)).map { UInt8(truncatingIfNeeded: $0 &* 31) })
    let t0 = DispatchTime.now().uptimeNanoseconds
    var h: UInt64 = 0xcbf29ce484222325
    bytes.withUnsafeBufferPointer { p in
        for _ in 0..<4 { for i in 0..<p.count { h = (h ^ UInt64(p[i])) &* 0x100000001b3 } }
    }
    let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    if h == 0 { emit("") }   // keeps the loop
    return dt
}
