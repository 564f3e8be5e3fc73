import Archive
import DICOM
import Foundation
import NIOCore
import Synchronization
import Testing
@testable import DICOMNetwork

// Pipelined C-STORE on one association (Server+StorePipeline.swift): the SCP receives the next requests while earlier
// ones commit, answers in request order, and keeps every acknowledged (and every completely received) store when
// the association is aborted with stores in flight.

/// Commits that take a while, the first one longest, with the number in flight recorded.
private final class CommitLog: Sendable {
    private let state = Mutex<(inFlight: Int, deepest: Int, finished: [String])>((0, 0, []))
    var deepest: Int { state.withLock { $0.deepest } }
    var finished: [String] { state.withLock { $0.finished } }
    func begin() { state.withLock { $0.inFlight += 1; $0.deepest = max($0.deepest, $0.inFlight) } }
    func end(_ uid: String) { state.withLock { $0.inFlight -= 1; $0.finished.append(uid) } }
    /// Waits until `ok` holds for the log (10 s at most: then the test's expectations say what did not happen).
    func wait(until ok: (_ deepest: Int, _ finished: Int) -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !state.withLock({ ok($0.deepest, $0.finished.count) }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}

private struct SlowStorage: StorageService {
    let log: CommitLog
    let slowest: String
    /// Wrapped storage (nil: nothing is kept, the outcome is success).
    let inner: ArchiveStorage?
    /// Overlap by construction instead of by timing: every commit waits until 4 were in flight at once (which only a
    /// server that reads ahead gets to), the slowest one also until 3 others have finished.
    var gated = false
    func beginStore(_ r: StoreRequest) throws -> any IncomingObject {
        SlowObject(uid: r.sopInstanceUID, log: log, slow: r.sopInstanceUID == slowest, gated: gated, inner: try inner?.beginStore(r))
    }
}

private final class SlowObject: IncomingObject, Sendable {
    let uid: String, log: CommitLog, slow: Bool, gated: Bool
    let inner: (any IncomingObject)?
    init(uid: String, log: CommitLog, slow: Bool, gated: Bool, inner: (any IncomingObject)?) {
        self.uid = uid; self.log = log; self.slow = slow; self.gated = gated; self.inner = inner
    }
    func append(_ bytes: UnsafeRawBufferPointer) throws { try inner?.append(bytes) }
    func commit() throws -> StoreOutcome { try inner?.commit() ?? StoreOutcome(status: Status.success) }
    func commitAsync() async throws -> StoreOutcome {
        log.begin()
        if gated { try await log.wait { deepest, finished in deepest >= 4 && (!slow || finished >= 3) } }
        try await Task.sleep(for: .milliseconds(slow ? 300 : 40))
        let o = try await inner?.commitAsync() ?? StoreOutcome(status: Status.success)
        log.end(uid)
        return o
    }
    func discard() { inner?.discard() }
}

/// Runs an SCP with `storage` on a random port for the duration of `body`; returns once the server has stopped
/// (every association ended, every commit finished).
private func withStorage<R: Sendable>(_ storage: any StorageService, _ body: @Sendable (Int) async throws -> R) async throws -> R {
    Log.setLevel(0)
    var c = ServerConfiguration(aeTitle: "TESTSCP", port: 0)
    c.bindAddress = "127.0.0.1"
    let server = DICOMServer(configuration: c, storage: storage, queryRetrieve: nil)
    let (stream, cont) = AsyncStream<Int>.makeStream()
    let task = Task { try await server.run(onBound: { cont.yield($0) }) }
    var it = stream.makeAsyncIterator()
    guard let port = await it.next() else { throw NetworkError.other("server did not bind") }
    let r: Result<R, any Error>
    do { r = .success(try await body(port)) } catch { r = .failure(error) }
    server.shutdown(); _ = try? await task.value
    return try r.get()
}

private func smallFiles(_ name: String, count: Int) throws -> [PreparedFile] {
    let src = tempDir(name)
    return try (1...count).map { i in
        try PreparedFile.inspect(try makeCT(dir: src, patient: "P", name: "PIPE^LINE", study: "1.2.826.0.7", series: "1.2.826.0.7.1",
                                            sop: "1.2.826.0.7.1.\(i)", date: "20240101", pixels: 16))
    }
}

@Test func pipelinedStoresOnOneAssociationAreAnsweredInRequestOrder() async throws {
    let files = try smallFiles("pipe", count: 16)
    let log = CommitLog()
    var storage = SlowStorage(log: log, slowest: files[0].sopInstanceUID, inner: nil)
    storage.gated = true
    let answers = try await withStorage(storage) { port in
        var p = params(port)
        p.contexts = proposals(for: files)
        p.options.maxOperations = 8
        return try await Association.withAssociation(p) { a in
            #expect(a.operationsWindow == 8)
            var answers: [(id: UInt16, uid: String, status: UInt16)] = []
            try await a.store(files) { _, r in
                if case .success(let rsp) = r {
                    answers.append((rsp.messageIDBeingRespondedTo ?? 0, rsp.affectedSOPInstanceUID ?? "", rsp.status ?? 0))
                }
                return true
            }
            return answers
        }
    }
    // Every request answered once, in request order (IDs 1…16 as sent), each with its own instance, all successes.
    #expect(answers.map(\.id) == Array(1...16))
    #expect(answers.map(\.uid) == files.map(\.sopInstanceUID))
    #expect(answers.allSatisfy { $0.status == Status.success })
    // Several commits of the one association were in flight together (the server read ahead), and the first one
    // finished after later ones — yet its response went first.
    #expect(log.deepest >= 4)
    #expect(log.finished.count == 16 && log.finished.first != files[0].sopInstanceUID)
}

@Test func abortWithStoresInFlightLosesNoAcknowledgedStore() async throws {
    let files = try smallFiles("pipe-abort", count: 9)
    let dir = tempDir("pipe-abort-archive")
    let archive = try Archive(directory: dir)
    let log = CommitLog()
    // The last complete request commits slowest: it is still in flight when the A-ABORT arrives.
    let storage = SlowStorage(log: log, slowest: files[7].sopInstanceUID, inner: ArchiveStorage(archive: archive))
    let acknowledged = try await withStorage(storage) { port in
        var p = params(port)
        p.contexts = proposals(for: files)
        p.options.maxOperations = 8
        return try await Association.withAssociation(p) { a in
            // Eight complete requests (the whole window), then two answers, then a ninth request cut off in the
            // middle of its data set, then A-ABORT.
            var ids: [UInt16: String] = [:]
            for f in files.prefix(8) { ids[try await a.sendStoreRequest(f, moveOriginator: nil)] = f.sopInstanceUID }
            var acknowledged: [String] = []
            for _ in 0..<2 {
                let (rsp, _, _) = try await a.awaitResponse(toAnyOf: Set(ids.keys))
                if rsp.status == Status.success, let id = rsp.messageIDBeingRespondedTo, let u = ids.removeValue(forKey: id) { acknowledged.append(u) }
            }
            let last = files[8]
            let ctx = try #require(a.context(for: last.sopClassUID))
            var rq = DIMSECommand(field: .cStoreRQ, hasDataSet: true)
            rq.affectedSOPClassUID = last.sopClassUID; rq.affectedSOPInstanceUID = last.sopInstanceUID
            rq.messageID = a.messageID(); rq.priority = 0
            try await a.sender.send(.data([PDV(contextID: ctx.id, isCommand: true, isLast: true, data: ByteBuffer(bytes: rq.encode()))]))
            try await a.sender.send(.data([PDV(contextID: ctx.id, isCommand: false, isLast: false, data: ByteBuffer(bytes: [UInt8](repeating: 0, count: 200)))]))
            await a.abort()
            return acknowledged
        }
    }
    // Answers in request order: the first two.
    #expect(acknowledged == Array(files.prefix(2).map(\.sopInstanceUID)))
    // Every acknowledged store is indexed with its file; so is every store received completely before the abort
    // (their commits went on); the one cut off is not.
    for f in files.prefix(8) {
        let path = try archive.index.path(sopInstanceUID: f.sopInstanceUID)
        #expect(path != nil && FileManager.default.fileExists(atPath: path ?? "/"), "\(f.sopInstanceUID)")
    }
    #expect(try archive.index.path(sopInstanceUID: files[8].sopInstanceUID) == nil)
    #expect(try archive.count() == 8)
    try? FileManager.default.removeItem(atPath: dir)
}
