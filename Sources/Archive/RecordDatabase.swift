import Foundation
import GRDB

/// A value of a record table's column, or bound to a statement's `?` parameter.
public enum RecordValue: Sendable, Equatable {
    case null, int(Int64), double(Double), text(String), blob(Data)
}

/// A Swift value bound to a `?` of a record statement.
public protocol RecordArgument {
    /// The value bound.
    var recordValue: RecordValue { get }
}

extension String: RecordArgument { public var recordValue: RecordValue { .text(self) } }
extension Int: RecordArgument { public var recordValue: RecordValue { .int(Int64(self)) } }
extension Int64: RecordArgument { public var recordValue: RecordValue { .int(self) } }
extension Double: RecordArgument { public var recordValue: RecordValue { .double(self) } }
extension Bool: RecordArgument { public var recordValue: RecordValue { .int(self ? 1 : 0) } }
extension Data: RecordArgument { public var recordValue: RecordValue { .blob(self) } }
extension RecordValue: RecordArgument {
    public var recordValue: RecordValue { self }
    /// The GRDB value.
    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .int(let i): i.databaseValue
        case .double(let d): d.databaseValue
        case .text(let s): s.databaseValue
        case .blob(let b): b.databaseValue
        }
    }
}
extension Optional: RecordArgument where Wrapped: RecordArgument {
    public var recordValue: RecordValue { self?.recordValue ?? .null }
}

/// One row of a record query, by column name.
public struct RecordRow: Sendable {
    /// The columns' values by name.
    public var values: [String: RecordValue]
    /// Creates a row.
    public init(_ values: [String: RecordValue]) { self.values = values }

    /// Text of a column (nil: NULL or absent).
    public func text(_ column: String) -> String? {
        switch values[column] {
        case .text(let s): return s
        case .int(let i): return String(i)
        case .double(let d): return String(d)
        default: return nil
        }
    }
    /// Integer of a column (nil: NULL or absent).
    public func int(_ column: String) -> Int? {
        switch values[column] {
        case .int(let i): return Int(i)
        case .double(let d): return Int(d)
        case .text(let s): return Int(s)
        default: return nil
        }
    }
    /// A 0/1 column as a truth value.
    public func bool(_ column: String) -> Bool { (int(column) ?? 0) != 0 }
}

/// The statements of one transaction (or, for ``RecordDatabase/read(_:)``, of one read).
///
/// Statements are plain SQL that SQLite and PostgreSQL both accept, with `?` parameters.
public protocol RecordTransaction {
    /// Runs a query and returns its rows.
    func rows(_ sql: String, _ arguments: [any RecordArgument]) throws -> [RecordRow]
    /// Runs a statement and returns the number of rows it changed.
    @discardableResult func execute(_ sql: String, _ arguments: [any RecordArgument]) throws -> Int
}

/// Where the archive keeps its record tables — accounts and login sessions, QC results, report documents, approvals
/// and the report outbox: the archive folder's `index.sqlite` (``SQLiteRecords``) or, with a PostgreSQL index, the same
/// PostgreSQL database, so that every web server, receiver and worker of a shared archive sees the same logins, QC
/// results and deliveries. Migrations are the backend's: GRDB's for SQLite, the `scinti_schema` list for PostgreSQL.
public protocol RecordDatabase: Sendable {
    /// Where, for messages (never a password).
    var location: String { get }
    /// Appended to a `SELECT` that claims rows for this node: ` FOR UPDATE SKIP LOCKED` on PostgreSQL (rows another
    /// node's open transaction holds are skipped), empty on SQLite (a write transaction excludes every other writer).
    var skipLocked: String { get }
    /// Runs `body` with statements that see one consistent state (SQLite: a read transaction).
    @discardableResult
    func read<T>(_ body: (any RecordTransaction) throws -> T) throws -> T
    /// Runs `body` in one transaction, committed when it returns, rolled back when it throws. A backend may run
    /// `body` again after a serialisation failure or a lost connection: it must only read and write the database.
    @discardableResult
    func write<T>(_ body: (any RecordTransaction) throws -> T) throws -> T
    /// Runs one statement that commits by itself: on PostgreSQL without `BEGIN`/`COMMIT` (one round trip; a statement
    /// that writes several tables through data-modifying `WITH` clauses is one transaction), on SQLite in a write
    /// transaction. Like ``write(_:)``, a backend may run it again after a lost connection.
    @discardableResult
    func writeStatement(_ sql: String, _ arguments: [any RecordArgument]) throws -> [RecordRow]
}

extension RecordDatabase {
    /// Whether this is the PostgreSQL database of a shared archive (its SQL dialect: `LIKE … ESCAPE`, data-modifying
    /// `WITH`, `$n` parameters numbered from `?`).
    var isPostgreSQL: Bool { location.hasPrefix("postgres") }
}

/// The record tables in the archive folder's `index.sqlite` (GRDB).
public struct SQLiteRecords: RecordDatabase {
    let db: DatabasePool
    let file: String

    init(db: DatabasePool, path: String) { self.db = db; self.file = path }

    public var location: String { "sqlite:" + file }
    public var skipLocked: String { "" }

    struct Statements: RecordTransaction {
        let db: Database

        func arguments(_ a: [any RecordArgument]) -> StatementArguments {
            StatementArguments(a.map { v -> (any DatabaseValueConvertible)? in
                switch v.recordValue {
                case .null: return nil
                case .int(let i): return i
                case .double(let d): return d
                case .text(let s): return s
                case .blob(let b): return b
                }
            })
        }

        func rows(_ sql: String, _ a: [any RecordArgument]) throws -> [RecordRow] {
            try Row.fetchAll(db, sql: sql, arguments: arguments(a)).map { row in
                var values: [String: RecordValue] = [:]
                for (name, v) in row {
                    switch v.storage {
                    case .null: values[name] = .null
                    case .int64(let i): values[name] = .int(i)
                    case .double(let d): values[name] = .double(d)
                    case .string(let s): values[name] = .text(s)
                    case .blob(let b): values[name] = .text(String(decoding: b, as: UTF8.self))
                    }
                }
                return RecordRow(values)
            }
        }

        func execute(_ sql: String, _ a: [any RecordArgument]) throws -> Int {
            try db.execute(sql: sql, arguments: arguments(a))
            return db.changesCount
        }
    }

    @discardableResult

    public func read<T>(_ body: (any RecordTransaction) throws -> T) throws -> T {
        do { return try db.read { db in try body(Statements(db: db)) } } catch let e as DatabaseError {
            throw ArchiveError("\(location): \(e)")
        }
    }

    @discardableResult

    public func write<T>(_ body: (any RecordTransaction) throws -> T) throws -> T {
        do { return try db.write { db in try body(Statements(db: db)) } } catch let e as DatabaseError {
            throw ArchiveError("\(location): \(e)")
        }
    }

    @discardableResult
    public func writeStatement(_ sql: String, _ arguments: [any RecordArgument]) throws -> [RecordRow] {
        try write { try $0.rows(sql, arguments) }
    }
}

extension Archive {
    /// The record tables' migrations ("accounts-v1", "qc-v1", "reports-v1", "reports-outbox-v2") as single statements
    /// for PostgreSQL (its migration `v4-records`): the same SQL, with `BIGSERIAL` for SQLite's autoincrement key and
    /// the column `user` quoted (a reserved word there).
    public static var postgresRecordStatements: [String] {
        [accountsSchema, qcSchema, reportsSchema, outboxSchemaV2].flatMap { $0.split(separator: ";") }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
            .map {
                $0.replacingOccurrences(of: "INTEGER PRIMARY KEY AUTOINCREMENT", with: "BIGSERIAL PRIMARY KEY")
                    .replacingOccurrences(of: "\n  user TEXT", with: "\n  \"user\" TEXT")
                    .replacingOccurrences(of: "login_session(user)", with: "login_session(\"user\")")
            }
    }
}
