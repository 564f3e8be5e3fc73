import Archive
import Foundation
import Hummingbird

/// The PACS outbox of report documents (``ReportDelivery``):
///
/// - `GET /api/outbox?state=&job=` (view): counts per state and the rows, newest first — per document and
///   destination the state (`pending`, `sent`, `committed`, `failed`), attempts, next attempt, last error,
///   Transaction UID, when it was stored and committed. `job` limits it to one job's documents.
/// - `POST /api/outbox/retry` (export): makes every failed row due now; audited as `export`.
struct ReportDeliveryRoutes {
    let archive: Archive

    struct Listing: Encodable {
        var summary: [String: Int]
        var entries: [Archive.OutboxEntry]
    }

    func register(on router: Router<ScintiRequestContext>) {
        let archive = self.archive
        router.get("/api/outbox") { req, ctx in
            try ctx.require(.view)
            let state = req.uri.queryParameters.get("state")
            let allowed = ["pending", "sending", "sent", "committed", "failed"]
            if let state, !allowed.contains(state) {
                throw HTTPError(.badRequest, message: "state '\(state.prefix(40))' unknown: one of \(allowed.joined(separator: ", "))")
            }
            let job = try req.uri.queryParameters.get("job").map { try JobAPI.requireJobID($0) }
            return try ReportRoutes.json(Listing(summary: try archive.outboxSummary(),
                                                 entries: try archive.outboxEntries(resultID: job, state: state, limit: 1000)))
        }
        router.post("/api/outbox/retry") { _, ctx in
            try ctx.require(.export)
            let n = try archive.retryOutboxNow()
            try archive.appendAudit(ctx.audit(.export, detail: "PACS outbox: \(n) failed delivery(ies) retried now"))
            return try ReportRoutes.json(["retried": n])
        }
    }
}
