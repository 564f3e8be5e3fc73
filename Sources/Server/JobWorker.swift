import Archive
import DICOM
import Foundation
import Synchronization

extension JobManager {
    /// A UID under Scinti's root that depends only on the job and the role of the object (`series`, `instance`):
    /// a job run twice (its first worker died after storing the output) writes the same UIDs, and the archive keeps
    /// one copy.
    static func jobUID(_ jobID: String, _ role: String) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in (jobID + "/" + role).utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        // Fold to the 19-digit component UIDGenerator uses (10^18 … 10^19 − 1).
        return UIDGenerator.root + "." + String(1_000_000_000_000_000_000 + h % 8_999_999_999_999_999_999)
    }

    /// Gives a job's single output object its deterministic Series and SOP Instance UIDs (``jobUID(_:_:)``).
    static func stampJobUIDs(_ path: String, jobID: String) throws {
        var f = try DICOMFile.read(path: path)
        let sop = jobUID(jobID, "instance")
        f.dataset.set(.seriesInstanceUID, .UI, jobUID(jobID, "series"))
        f.dataset.set(.sopInstanceUID, .UI, sop)
        f.meta.set(Tag(0x0002, 0x0003), .UI, sop)
        _ = try DICOMWriter.write(f, to: path)
    }

    /// Runs jobs from the shared queue until `shouldStop` says so: `concurrency` loops each claim the oldest queued
    /// job (or one whose worker's lease ran out), renew the lease every third of `lease` seconds while running it,
    /// and record the result only while they still hold it. A database error is reported once (one line on
    /// `report`) and retried every second: the worker reconnects when the database is back.
    public func runWorker(concurrency: Int, lease: Double, report: @escaping @Sendable (String) -> Void,
                          shouldStop: @escaping @Sendable () -> Bool) {
        self.lease.withLock { $0 = lease }
        let group = DispatchGroup()
        let lastError = Shared<String?>(nil)
        for slot in 0..<max(1, concurrency) {
            group.enter()
            Thread.detachNewThread { [self] in
                defer { group.leave() }
                while !shouldStop() {
                    let job: JobRecord?
                    do {
                        job = try store.claim(worker: workerID, lease: lease)
                        if lastError.value.withLock({ e in defer { e = nil }; return e != nil }) { report("database reachable again") }
                    } catch {
                        let m = "\(error)"
                        if lastError.value.withLock({ e in defer { e = m }; return e != m }) { report("cannot claim a job: \(m) (retrying every second)") }
                        Thread.sleep(forTimeInterval: 1); continue
                    }
                    guard let job else { Thread.sleep(forTimeInterval: 0.3); continue }
                    report("slot \(slot): running job \(job.id) (\(job.type), attempt \(job.attempts ?? 1))")
                    let done = Shared(false)
                    let beat = Thread { [self] in
                        while !done.value.withLock({ $0 }) {
                            Thread.sleep(forTimeInterval: max(0.2, lease / 3))
                            if done.value.withLock({ $0 }) { break }
                            if (try? store.heartbeat(job.id, worker: workerID, lease: lease)) == false {
                                report("job \(job.id): lease lost to another worker; its result will not be recorded by this one")
                                break
                            }
                        }
                    }
                    beat.start()
                    execute(job.id)
                    done.value.withLock { $0 = true }
                    let after = try? store.get(job.id)
                    report("slot \(slot): job \(job.id) \(after?.state ?? "?")\(after?.worker == workerID ? "" : " (recorded by \(after?.worker ?? "another worker"))")")
                }
            }
        }
        group.wait()
    }
}

/// A mutex-guarded value that escaping closures (threads) can share.
final class Shared<Value: Sendable>: Sendable {
    let value: Mutex<Value>
    init(_ v: Value) { value = Mutex(v) }
}
