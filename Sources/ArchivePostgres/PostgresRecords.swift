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
    /// Works on the UTF-8 bytes (a batch's statement has thousands of parameters; `'`, `"` and `?` are ASCII and never
    /// part of a multi-byte character).
    static func numbered(_ sql: String) -> String {
        var out: [UInt8] = [], n = 0, quote: UInt8? = nil
        out.reserveCapacity(sql.utf8.count * 5 / 4 + 16)
        for b in sql.utf8 {
            if let q = quote { if b == q { quote = nil }; out.append(b); continue }
            if b == UInt8(ascii: "'") || b == UInt8(ascii: "\"") { quote = b; out.append(b); continue }
            if b == UInt8(ascii: "?") { n += 1; out.append(UInt8(ascii: "$")); out += String(n).utf8 } else { out.append(b) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    @discardableResult

    public func read<T>(_ body: (any RecordTransaction) throws -> T) throws -> T {
        try onConnection(transaction: false, body)
    }

    @discardableResult

    public func write<T>(_ body: (any RecordTransaction) throws -> T) throws -> T {
        try onConnection(transaction: true, body)
    }

    @discardableResult
    public func writeStatement(_ sql: String, _ arguments: [any RecordArgument]) throws -> [RecordRow] {
        try onConnection(transaction: false) { try $0.rows(sql, arguments) }
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
