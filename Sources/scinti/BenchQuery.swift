import Archive
import ArgumentParser
import Foundation

/// `scinti bench query`: QIDO/C-FIND matching in SQL checked against the in-memory matcher on a randomized index
/// (``QueryCrossCheck``), with the time of both; exits 1 when any answer differs.
struct BenchQuery: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "query", abstract: "Query matching in SQL vs the in-memory matcher on a randomized index (SQLite or PostgreSQL): differences and times.")
    @Option(help: "sqlite (a fresh archive folder) or postgres://USER@HOST[:PORT]/DB (a build with the PostgreSQL trait; use an empty database).") var database = "sqlite"
    @Option(help: "Instances in the randomized index.") var instances = 400
    @Option(help: "Random queries.") var queries = 300
    @Option(help: "Seed of the index and the queries.") var seed: UInt64 = 17
    @Option(help: "Folder for the archive folder.") var work = "scinti-bench-query"

    func run() throws {
        guard (1...100_000).contains(instances), (1...100_000).contains(queries) else { throw fail("--instances and --queries take 1…100000") }
        let dir = work + "/archive-\(getpid())"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let report: QueryCrossCheck.Report
        do {
            let choice = database == "sqlite" ? DatabaseChoice() : try DatabaseChoice.open(database)
            let archive = try Archive(directory: dir, index: choice.index, audit: choice.audit)
            report = try QueryCrossCheck.run(archive: archive, seed: seed, instances: instances, queries: queries)
        } catch { throw failure(error) }
        emit("""
            scinti bench query — \(report.instances) random instances, \(report.queries) queries (seed \(seed)), index \(database == "sqlite" ? "SQLite" : "PostgreSQL")
            queries with matches: \(report.nonEmpty); every key in SQL (limit/offset in SQL): \(report.exactInSQL)
            SQL + matcher on its candidates: \(String(format: "%.1f", report.sqlSeconds * 1000 / Double(report.queries))) ms/query; matcher over every instance: \(String(format: "%.1f", report.memorySeconds * 1000 / Double(report.queries))) ms/query
            differences from the in-memory matcher: \(report.mismatches.count)

            """)
        for m in report.mismatches.prefix(10) { emit("  " + m + "\n") }
        if !report.mismatches.isEmpty { throw ExitCode(1) }
    }
}
