import Archive
import Foundation
#if PostgreSQL
import ArchivePostgres
#endif

/// The index and job store `--database` names: `sqlite:PATH` (an SQLite index file; the default is the archive
/// folder's `index.sqlite`) or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` / `postgres:///DB?host=/SOCKET-FOLDER`
/// (a PostgreSQL index and job queue shared by several `scinti serve`, `scinti pacs listen` and `scinti worker`
/// processes whose `--archive`/`--storage` folders are one shared file system path; needs a build with the
/// `PostgreSQL` trait).
struct DatabaseChoice {
    /// The index (nil: the archive folder's SQLite index).
    var index: (any ArchiveIndex)?
    /// The job store (nil: the archive folder's `jobs.sqlite`).
    var jobs: (any JobStore)?
    /// The audit trail (nil: the archive folder's `index.sqlite`).
    var audit: (any AuditStore)?

    /// Opens what `spec` names (nil: the defaults), migrating its schema; one line per migration goes to standard error.
    static func open(_ spec: String?) throws -> DatabaseChoice {
        guard let spec, !spec.isEmpty else { return DatabaseChoice() }
        if spec.hasPrefix("sqlite:") {
            let path = String(spec.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw ArchiveError("--database sqlite:PATH needs the path of the SQLite index file") }
            return DatabaseChoice(index: try SQLiteIndex(path: path))
        }
        if spec.hasPrefix("postgres://") || spec.hasPrefix("postgresql://") {
            #if PostgreSQL
            let db = try PostgresArchiveDatabase(url: spec) { warn($0) }
            return DatabaseChoice(index: PostgresIndex(database: db), jobs: PostgresJobStore(database: db), audit: PostgresAuditStore(database: db))
            #else
            throw ArchiveError("--database postgres://…: this scinti was built without PostgreSQL; build with `swift build -c release --traits TLS,PostgreSQL` (docs/scale.md)")
            #endif
        }
        throw ArchiveError("--database takes sqlite:PATH or postgres://USER@HOST[:PORT]/DB, got '\(spec.prefix(80))'")
    }
}
