import Foundation
import GRDB

/// Where an agent's `std/memory` lives (`@memory`).
enum MemoryScope: String {
    /// In the interpreter, for as long as it runs (the default).
    case session
    /// Across runs: in the durable store when the run has one (`--store`), otherwise in a file per
    /// agent, `~/.keel/memory/<stem>_<sha256(path)[:12]>/<Agent>.json`, locked while it is changed.
    case persistent
    /// No memory: every call raises `MemoryError`.
    case none
}

/// `std/memory`: `remember(k, v)`, `recall(k)` (none when nothing is remembered), `forget(k)`
/// (whether something was), per agent. Keys are strings; a persistent value must be data that can
/// be stored (as a durable agent's state).
enum MemoryModule {
    final class State: ModuleState {
        /// Session memory, by agent name.
        var session: [String: [String: Value]] = [:]
        init(_ interpreter: Interpreter) {}
    }

    static func members(_ interpreter: Interpreter) -> [String: Value] {
        let state = interpreter.state(State.self)
        /// The calling agent and the key, checked.
        func context(_ call: NativeCall, _ fn: String) throws -> (AgentInfo, String) {
            guard let agent = call.interpreter.turn.agent else {
                throw KeelError("MemoryError", "memory.\(fn) must be called from within an agent")
            }
            if agent.memory == .none {
                throw KeelError("MemoryError", "memory.\(fn): \(agent.name) has @memory none")
            }
            guard case .str(let key)? = call.args.first else {
                throw KeelError(ErrorKind.type, "memory.\(fn): the key must be a string, got \(call.args.first?.typeName ?? "nothing")")
            }
            return (agent, key)
        }
        var m = ModuleMembers("memory")
        m.fn("remember", args: 2) { call in
            let (agent, key) = try context(call, "remember")
            let value = try call.arg(1)
            if agent.memory == .persistent {
                try PersistentMemory.set(call.interpreter, agent, key, value)
            } else {
                state.session[agent.name, default: [:]][key] = value
            }
            return .none
        }
        m.fn("recall", args: 1) { call in
            let (agent, key) = try context(call, "recall")
            if agent.memory == .persistent { return try PersistentMemory.get(call.interpreter, agent, key) ?? .none }
            return state.session[agent.name]?[key] ?? .none
        }
        m.fn("forget", args: 1) { call in
            let (agent, key) = try context(call, "forget")
            if agent.memory == .persistent { return .bool(try PersistentMemory.set(call.interpreter, agent, key, nil)) }
            return .bool(state.session[agent.name]?.removeValue(forKey: key) != nil)
        }
        return m.values
    }
}

/// `@memory persistent`: the durable store when there is one, otherwise an SQLite file per program
/// (`~/.keel/memory/<namespace>.db`: one row per agent and key, each `remember` its own small
/// transaction, so a full disk loses nothing already kept and a thousand keys cost a thousand
/// rows, not a thousand rewrites). The namespace is the program's (its file's stem and a hash of
/// its path; a program read from standard input, `stdin_` and a hash of its text; the REPL,
/// `repl`; a KeelKit host, `Options.memoryNamespace`, by default its executable's), so no program
/// reads another's memory. Without a store it needs file access: refused where `std/file` is
/// (`--sandbox`, a host that did not grant the file system). At most 100 MB per namespace.
package enum PersistentMemory {
    static func decode(_ text: String) throws -> Value { try StoredValue.decode(text) { .object(UuidValue($0)) } }

    /// The most a namespace's file may hold.
    static let maxBytes = 100_000_000

    static func get(_ interpreter: Interpreter, _ agent: AgentInfo, _ key: String) throws -> Value? {
        if let store = interpreter.options.store {
            do { return try store.recall(scope: agent.name, key: key).map(decode) } catch let e as KeelError { throw e } catch {
                throw KeelError("MemoryError", "memory.recall: \(error)")
            }
        }
        let file = try MemoryFile.open(interpreter)
        return try file.recall(agent.name, key).map(decode)
    }

    /// Sets `key` (nil: removes it); returns whether it was set before.
    @discardableResult
    static func set(_ interpreter: Interpreter, _ agent: AgentInfo, _ key: String, _ value: Value?) throws -> Bool {
        var text: String?
        if let value {
            do { text = try StoredValue.encode(value) } catch let e as StoredValue.Unstorable {
                throw KeelError("MemoryError", "memory.remember: \(e.kind) cannot be stored in persistent memory (it keeps data: numbers, strings, lists, maps, records...)")
            }
        }
        if let store = interpreter.options.store {
            do {
                let had = try store.recall(scope: agent.name, key: key) != nil
                if let text { try store.remember(scope: agent.name, key: key, value: text) } else if had { try store.forget(scope: agent.name, key: key) }
                return had
            } catch {
                throw KeelError("MemoryError", "memory: \(error)")
            }
        }
        return try MemoryFile.open(interpreter).set(agent.name, key, text)
    }

    /// The program's memory namespace (see above).
    static func namespace(_ interpreter: Interpreter) -> String {
        if let n = interpreter.options.memoryNamespace, !n.isEmpty { return n }
        guard let path = interpreter.options.programPath else { return "repl" }
        let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
        return "\(stem)_\(hashText(path))"
    }

    package static func hashText(_ text: String) -> String {
        String(CryptoModule.hex(SHA2.sha256(Array(text.utf8))).prefix(12))
    }
}

/// One program's persistent memory file, opened once per interpreter.
final class MemoryFile: ModuleState {
    private var db: DatabaseQueue?
    private var path = ""
    init(_ interpreter: Interpreter) {}

    static func open(_ interpreter: Interpreter) throws -> MemoryFile {
        if let why = interpreter.options.refusedStdModules["file"] {
            throw KeelError(ErrorKind.capability, "@memory persistent keeps memory in a file under ~/.keel/memory, and file access is refused (\(why)); run with a store (--store) to keep it there")
        }
        let m = interpreter.state(MemoryFile.self)
        if m.db == nil { try m.connect(interpreter) }
        return m
    }

    private func connect(_ interpreter: Interpreter) throws {
        guard let home = interpreter.options.environment["HOME"] ?? ProcessInfo.processInfo.environment["HOME"], !home.isEmpty else {
            throw KeelError("MemoryError", "@memory persistent needs a home folder (HOME is not set) or a store (--store)")
        }
        let folder = "\(home)/.keel/memory"
        path = "\(folder)/\(PersistentMemory.namespace(interpreter)).db"
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            var config = Configuration()
            config.busyMode = .timeout(10)
            config.prepareDatabase { db in
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                try db.execute(sql: "PRAGMA synchronous = FULL")
                // The size bound: SQLite refuses to grow the file past it (SQLITE_FULL).
                try db.execute(sql: "PRAGMA max_page_count = \(PersistentMemory.maxBytes / 4096)")
            }
            let q = try DatabaseQueue(path: path, configuration: config)
            try q.write { db in
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS memory (agent TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (agent, key)) WITHOUT ROWID")
            }
            db = q
        } catch {
            throw KeelError("MemoryError", "persistent memory \(path): cannot open it: \(MemoryFile.describe(error))")
        }
    }

    func recall(_ agent: String, _ key: String) throws -> String? {
        do {
            return try db!.read { db in
                try Row.fetchOne(db.cachedStatement(sql: "SELECT value FROM memory WHERE agent = ? AND key = ?"), arguments: [agent, key])
                    .flatMap { String.fromDatabaseValue($0["value"] ?? .null) }
            }
        } catch {
            throw KeelError("MemoryError", "persistent memory \(path): cannot read it: \(MemoryFile.describe(error))")
        }
    }

    /// Writes (or with nil removes) one entry in its own transaction; whether it was there.
    func set(_ agent: String, _ key: String, _ value: String?) throws -> Bool {
        do {
            return try db!.write { db in
                let had = try Row.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM memory WHERE agent = ? AND key = ?"), arguments: [agent, key]) != nil
                if let value {
                    try db.cachedStatement(sql: """
                        INSERT INTO memory (agent, key, value) VALUES (?, ?, ?) ON CONFLICT (agent, key) DO UPDATE SET value = excluded.value
                        """).execute(arguments: [agent, key, value])
                } else if had {
                    try db.cachedStatement(sql: "DELETE FROM memory WHERE agent = ? AND key = ?").execute(arguments: [agent, key])
                }
                return had
            }
        } catch let e as DatabaseError where e.resultCode == .SQLITE_FULL {
            throw KeelError("MemoryError", "persistent memory \(path) is full (at most \(Limits.formatCount(PersistentMemory.maxBytes)) bytes, or the disk is): nothing was changed")
        } catch {
            throw KeelError("MemoryError", "persistent memory \(path): cannot write it: \(MemoryFile.describe(error))")
        }
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
        return "\(error)"
    }
}
