import Foundation
import Synchronization

/// The C-STOREs of one association that have been received and wait for their outcome (for the archive: their
/// group-commit batch). The server reads and receives an association's next C-STORE while earlier ones are being
/// committed, so one association contributes several stores to one batch (``DICOMServer``'s dispatch loop).
///
/// Rules kept:
/// - **Durability**: a C-STORE-RSP goes out only after its object's outcome is known (``IncomingObject/commitAsync()``
///   returned: file data, name and index row durable for the archive).
/// - **Order**: responses go out one by one in request order, whatever order the commits finish in.
/// - **Bounds**: at most ``limit`` stores and about ``byteLimit`` bytes of their data sets in flight per association;
///   the server reads nothing more from the peer until one is answered (TCP flow control then holds the sender back).
///   The limit is the asynchronous operations window we accepted (PS3.7 D.3.3.3), and at least 2: without a window
///   the next request may still be read ahead while the previous one commits (a synchronous sender sends none).
/// - **Abort**: when the peer aborts or the connection drops, stores whose data set was received completely are
///   still committed (stored ones stay stored; their responses are not sent after an A-ABORT); a data set cut off
///   in the middle is discarded by the reader and never acknowledged. ``finish()`` waits for every commit, so an
///   association ends (and ``DICOMServer/run(onBound:)`` returns) only once nothing is in flight.
final class StorePipeline {
    /// One store in flight.
    struct Job: Sendable {
        let command: DIMSECommand
        let context: UInt8
        let bytes: Int
        let outcome: Task<StoreOutcome, Never>
    }

    /// Whether the responder may still send, and the first send error.
    final class Responder: Sendable {
        private let state = Mutex<(silenced: Bool, error: NetworkError?)>((false, nil))
        var canAnswer: Bool { state.withLock { !$0.silenced && $0.error == nil } }
        var error: NetworkError? { state.withLock { $0.error } }
        func silence() { state.withLock { $0.silenced = true } }
        func failed(_ e: Error, peer: String) {
            state.withLock { s in
                if s.error == nil { s.error = (e as? NetworkError) ?? .connectionClosed(peer: peer, "cannot send a C-STORE-RSP: \(e)") }
            }
        }
    }

    /// Most stores in flight at once on the association.
    let limit: Int
    /// Most bytes of data sets in flight (a store is always admitted when less than this is in flight).
    let byteLimit: Int
    /// Default for ``byteLimit``: 32 MiB per association.
    static let defaultByteLimit = 32 << 20
    /// Largest window used however much was negotiated.
    static let maximumLimit = 64

    private(set) var count = 0
    private(set) var bytes = 0
    /// Most stores that were in flight at once so far (for tests and logs).
    private(set) var deepest = 0
    private let jobs: AsyncStream<Job>.Continuation
    private var answered: AsyncStream<Int>.AsyncIterator
    private let responder: Task<Void, Never>
    private let state = Responder()
    private let peer: String

    /// Starts the responder of an association. `window` is the asynchronous operations window we accepted (nil: none
    /// was negotiated).
    init(sender: MessageSender, cancels: CancelRegistry, peer: String, window: Int?, byteLimit: Int = StorePipeline.defaultByteLimit) {
        let w = window.map { $0 == 0 ? Self.maximumLimit : $0 } ?? 1
        limit = min(max(2, w), Self.maximumLimit)
        self.byteLimit = byteLimit
        self.peer = peer
        let (jobStream, jobs) = AsyncStream<Job>.makeStream()
        let (answeredStream, answeredIn) = AsyncStream<Int>.makeStream()
        self.jobs = jobs
        answered = answeredStream.makeAsyncIterator()
        let state = self.state
        // Not a child of the server's task: commits and responses must finish even when the server is cancelled
        // (``finish()`` waits for it).
        responder = Task {
            for await job in jobStream {
                let outcome = await job.outcome.value
                if outcome.status != Status.success {
                    Log.warning("\(peer): C-STORE \(job.command.affectedSOPInstanceUID ?? "?"): 0x\(String(outcome.status, radix: 16)) \(outcome.comment ?? "")")
                }
                if state.canAnswer {
                    var rsp = DIMSECommand.response(to: job.command, field: .cStoreRSP, status: outcome.status)
                    if Status.category(outcome.status) == "failure" { rsp.errorComment = outcome.comment }
                    do { try await sender.send(rsp, context: job.context) } catch { state.failed(error, peer: peer) }
                }
                cancels.endWork()
                answeredIn.yield(job.bytes)
            }
            answeredIn.finish()
        }
    }

    /// Queues a received C-STORE whose outcome `commit` produces (started now); its response follows those queued
    /// before it.
    func submit(_ command: DIMSECommand, context: UInt8, bytes: Int, cancels: CancelRegistry,
                commit: @escaping @Sendable () async -> StoreOutcome) {
        cancels.beginWork()
        count += 1; self.bytes += bytes
        deepest = max(deepest, count)
        jobs.yield(Job(command: command, context: context, bytes: bytes, outcome: Task { await commit() }))
    }

    /// Waits until one more store may be read (fewer than ``limit`` in flight and less than ``byteLimit`` bytes).
    /// Throws the error of a response that could not be sent.
    func makeRoom() async throws {
        while count >= limit || (count > 0 && bytes >= byteLimit) { await answerOne() }
        if let e = state.error { throw e }
    }

    /// Waits until every store queued so far is answered (before a message of another kind, a release).
    func drain() async throws {
        while count > 0 { await answerOne() }
        if let e = state.error { throw e }
    }

    /// No more responses: the peer aborted.
    func silence() { state.silence() }

    /// Ends the responder once every store in flight is committed (and answered unless silenced or broken).
    func finish() async {
        jobs.finish()
        await responder.value
        count = 0; bytes = 0
    }

    private func answerOne() async {
        guard let b = await answered.next() else { count = 0; bytes = 0; return }
        count -= 1; bytes -= b
    }
}
