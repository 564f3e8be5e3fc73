#if PostgreSQL
import Archive
import Foundation
import NIOCore
import PostgresNIO

/// The archive's record tables (accounts, login sessions, QC results, report documents, approvals, the report outbox;
/// migration `v4-records`) in the shared PostgreSQL database: a login on one web server is valid on every other, a QC
/// result stored by one is listed by all, and one outbox is delivered by whichever server claims a row first.
///
/// Statements are written once, with SQLite's `?` parameters, and numbered `$1…` here. A write runs in one
/// transaction on one connection; a serialisation failure or deadlock (40001, 40P01) runs it again (up to 5 times),
/// a lost connection once on a new connection.
extension PostgresArchiveDatabase: RecordDatabase {
    public var skipLocked: String { " FOR UPDATE SKIP LOCKED" }

    /// The statements of one transaction on one connection.
    struct Statements: RecordTransaction {
        let database: PostgresArchiveDatabase
        let connection: PostgresConnection

        func run(_ sql: String, _ arguments: [any RecordArgument]) throws -> PostgresQueryResult {
            var bindings = PostgresBindings(capacity: arguments.count)
            for a in arguments {
                switch a.recordValue {
                case .null: bindings.appendNull()
                case .int(let i): bindings.append(i)
                case .double(let d): bindings.append(d)
                case .text(let s): bindings.append(s)
                case .blob(let b): bindings.append(ByteBuffer(bytes: b))
                }
            }
            return try database.wait(connection.query(PostgresQuery(unsafeSQL: PostgresArchiveDatabase.numbered(sql), binds: bindings),
                                                      logger: database.logger))
        }

        func rows(_ sql: String, _ arguments: [any RecordArgument]) throws -> [RecordRow] {
            try run(sql, arguments).rows.map { row in
                var values: [String: RecordValue] = [:]
                for cell in row {
                    guard cell.bytes != nil else { values[cell.columnName] = .null; continue }
                    switch cell.dataType {
                    case .int2, .int4, .int8: values[cell.columnName] = .int(Int64(try cell.decode(Int.self)))
                    case .float4, .float8: values[cell.columnName] = .double(try cell.decode(Double.self))
                    case .bool: values[cell.columnName] = .int(try cell.decode(Bool.self) ? 1 : 0)
                    default: values[cell.columnName] = .text(try cell.decode(String.self))
                    }
                }
                return RecordRow(values)
            }
        }

        func execute(_ sql: String, _ arguments: [any RecordArgument]) throws -> Int {
            try run(sql, arguments).metadata.rows ?? 0
        }
    }

    /// `?` parameters numbered `$1`, `$2`, … (outside quoted text and names).
    static func numbered(_ sql: String) -> String {
        var out = "", n = 0, quote: Character? = nil
        out.reserveCapacity(sql.count + 16)
        for ch in sql {
            if let q = quote { if ch == q { quote = nil } ; out.append(ch); continue }
            if ch == "'" || ch == "\"" { quote = ch; out.append(ch); continue }
            if ch == "?" { n += 1; out += "$\(n)" } else { out.append(ch) }
        }
        return out
    }

    @discardableResult

    public func read<T>(_ body: (any RecordTransaction) throws -> T) throws -> T {
        try onConnection(transaction: false, body)
    }

    @discardableResult

    public func write<T>(_ body: (any RecordTransaction) throws -> T) throws -> T {
        try onConnection(transaction: true, body)
    }

    /// Runs `body` on a pooled connection (in BEGIN … COMMIT when `transaction`), with the retries described above.
    func onConnection<T>(transaction: Bool, _ body: (any RecordTransaction) throws -> T) throws -> T {
        var serialisationRetries = 0, connectionRetried = false
        while true {
            let c = try connection()
            let s = Statements(database: self, connection: c)
            do {
                if transaction { _ = try s.run("BEGIN", []) }
                let value = try body(s)
                if transaction { _ = try s.run("COMMIT", []) }
                idle.withLock { $0.append(c) }
                return value
            } catch {
                let (state, text) = Self.describe(error)
                if c.isClosed || (state == nil && error is PSQLError) {
                    _ = try? wait(c.close() as EventLoopFuture<Void>)
                    if !connectionRetried { connectionRetried = true; continue }
                    throw ArchiveError("PostgreSQL at \(location): connection lost (\(text))")
                }
                if transaction { _ = try? s.run("ROLLBACK", []) }
                idle.withLock { $0.append(c) }
                if (state == "40001" || state == "40P01") && serialisationRetries < 5 {
                    serialisationRetries += 1
                    Thread.sleep(forTimeInterval: 0.01 * Double(1 << serialisationRetries))
                    continue
                }
                // The body's own errors (an existing user, …) pass unchanged.
                guard error is PSQLError else { throw error }
                throw ArchiveError("PostgreSQL at \(location): \(text)")
            }
        }
    }
}
#endif
