import ArgumentParser
import Archive
import Foundation
import Server
import Synchronization

/// Set by SIGTERM/SIGINT: the worker finishes its running jobs and stops claiming.
let workerStopRequested = Atomic<Bool>(false)

/// `scinti worker`: runs reconstruction, analysis and dose jobs from a shared PostgreSQL job queue.
struct WorkerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Run jobs (recon, analysis, dose) from the shared job queue of --database postgres://… (docs/scale.md).")
    @Option(help: "The shared archive folder (the same path as the servers' --archive, e.g. on NFS).") var archive = "scinti-archive"
    @Option(help: "postgres://USER@HOST[:PORT]/DB or postgres:///DB?host=/SOCKET-FOLDER: the shared index and job queue.") var database: String
    @Option(help: "Jobs run at once (1…64).") var concurrency = 1
    @Option(help: "Lease of a claimed job in seconds, renewed every third of it; a job whose worker died is claimed again after it (2…3600).") var leaseSeconds = 30.0

    func run() throws {
        guard (1...64).contains(concurrency) else { throw fail("--concurrency must be 1…64") }
        guard leaseSeconds >= 2 && leaseSeconds <= 3600 else { throw fail("--lease-seconds must be 2…3600") }
        let choice: DatabaseChoice
        do { choice = try DatabaseChoice.open(database) } catch { throw failure(error) }
        guard let index = choice.index, let store = choice.jobs, store.isShared else {
            throw fail("--database must name a shared job queue (postgres://…); with SQLite, `scinti serve` runs the jobs itself")
        }
        let manager: JobManager
        do {
            let a = try Archive(directory: archive, index: index, audit: choice.audit)
            manager = try JobManager(archive: a, store: store, workDirectory: archive + "/jobs")
        } catch { throw failure(error, "cannot open the archive \(archive)") }
        signal(SIGTERM) { _ in workerStopRequested.store(true, ordering: .relaxed) }
        signal(SIGINT) { _ in workerStopRequested.store(true, ordering: .relaxed) }
        emit("scinti worker \(manager.workerID): \(concurrency) slot(s), lease \(leaseSeconds) s, index \(index.location), archive \(archive)\n")
        manager.runWorker(concurrency: concurrency, lease: leaseSeconds, report: { emit("scinti worker: \($0)\n") },
                          shouldStop: { workerStopRequested.load(ordering: .relaxed) })
        emit("scinti worker: stopped\n")
    }
}
