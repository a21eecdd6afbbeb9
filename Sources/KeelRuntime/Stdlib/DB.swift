import Foundation
import GRDB

/// `std/db` (effectful): SQLite databases. `db.connect("sqlite://path")` (or `"sqlite::memory:"`)
/// gives a connection with `.query(sql, params)` (a list of maps, one per row, columns by name) and
/// `.exec(sql, params)` (the number of rows changed). Parameters are bound (`?` placeholders with a
/// list, `:name` with a map), never interpolated into the SQL. Errors are `DbError` with SQLite's
/// message. Through GRDB, which the durable store already uses: one SQLite library for both, with
/// its value conversion and error messages.
enum DBModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        var m = ModuleMembers("db")
        m.fn("connect", args: 1) { call in
            let url = try call.string(0)
            let path: String
            if url == "sqlite::memory:" || url == "sqlite://:memory:" {
                path = ":memory:"
            } else if url.hasPrefix("sqlite://") {
                path = String(url.dropFirst("sqlite://".count))
            } else {
                throw KeelError("DbError", "db.connect: expected sqlite://PATH or sqlite::memory:, got `\(url)`")
            }
            guard !path.isEmpty else { throw KeelError("DbError", "db.connect: the URL names no file") }
            do {
                return .object(DBConnection(try DatabaseQueue(path: path), path: path))
            } catch {
                throw KeelError("DbError", "db.connect: \(DBConnection.message(error))")
            }
        }
        return m.values
    }
}

/// A connection from `db.connect`.
final class DBConnection: HostObject {
    let queue: DatabaseQueue
    let path: String
    init(_ queue: DatabaseQueue, path: String) {
        self.queue = queue
        self.path = path
    }
    var typeName: String { "DbConnection" }
    var fieldNames: [String] { ["path"] }
    var displayText: String? { "DbConnection(\(path))" }
    func field(_ name: String) -> Value? { name == "path" ? .str(path) : nil }
    func labels(of method: String) -> [String] { [] }

    func method(_ name: String, _ args: [Value], _ interpreter: Interpreter) throws -> Value? {
        switch name {
        case "query", "exec":
            guard case .str(let sql)? = args.first else { throw KeelError(ErrorKind.type, "DbConnection.\(name): the first argument is the SQL text") }
            let arguments = try DBConnection.arguments(args.count > 1 ? args[1] : .none, name)
            do {
                if name == "query" {
                    return try queue.read { db in
                        .list(try Row.fetchAll(db, sql: sql, arguments: arguments).map(DBConnection.value))
                    }
                }
                return try queue.writeWithoutTransaction { db in
                    try db.execute(sql: sql, arguments: arguments)
                    return .int(db.changesCount)
                }
            } catch let e as KeelError { throw e } catch {
                throw KeelError("DbError", DBConnection.message(error))
            }
        default: return nil
        }
    }

    /// `[a, b]` for `?` placeholders, `{name: v}` for `:name` ones.
    static func arguments(_ v: Value, _ method: String) throws -> StatementArguments {
        switch v {
        case .none: return StatementArguments()
        case .list(let items): return StatementArguments(try items.map { try bind($0, method) })
        case .map(let m):
            var named: [String: DatabaseValueConvertible?] = [:]
            for (k, x) in m {
                guard case .str(let key) = k else { throw KeelError(ErrorKind.type, "DbConnection.\(method): parameter names are strings") }
                named[key] = try bind(x, method)
            }
            return StatementArguments(named)
        default: throw KeelError(ErrorKind.type, "DbConnection.\(method): parameters are a list or a map, got \(v.typeName)")
        }
    }

    static func bind(_ v: Value, _ method: String) throws -> DatabaseValueConvertible? {
        switch v {
        case .none: return nil
        case .bool(let b): return b
        case .int(let i): return i
        case .float(let d): return d
        case .str(let s):
            // SQLite's text binding ends at a NUL: the rest would be lost without a word.
            if s.utf8.contains(0) {
                throw KeelError("DbError", "DbConnection.\(method): a string holding a NUL character cannot be bound as SQL text (SQLite's text ends at it); bind it without the NUL, or as bytes")
            }
            return s
        case .duration(let ns): return ns
        case .object(let o) where o.displayText != nil: return o.displayText!
        default: throw KeelError(ErrorKind.type, "DbConnection.\(method): cannot bind \(v.typeName) as an SQL parameter")
        }
    }

    /// A row as a map: integers, reals, text, none for NULL, blobs as lists of bytes.
    static func value(_ row: Row) -> Value {
        var m: [MapKey: Value] = [:]
        for (column, dbValue) in row {
            let v: Value
            switch dbValue.storage {
            case .null: v = .none
            case .int64(let i): v = .int(Int(i))
            case .double(let d): v = .float(d)
            case .string(let s): v = .str(s)
            case .blob(let data): v = .list(data.map { .int(Int($0)) })
            }
            m[.str(column)] = v
        }
        return .map(m)
    }

    static func message(_ error: Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
        return "\(error)"
    }
}
