import Crypto
import Foundation

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
        m.fn("remember") { call in
            let (agent, key) = try context(call, "remember")
            let value = try call.arg(1)
            if agent.memory == .persistent {
                try PersistentMemory.set(call.interpreter, agent, key, value)
            } else {
                state.session[agent.name, default: [:]][key] = value
            }
            return .none
        }
        m.fn("recall") { call in
            let (agent, key) = try context(call, "recall")
            if agent.memory == .persistent { return try PersistentMemory.get(call.interpreter, agent, key) ?? .none }
            return state.session[agent.name]?[key] ?? .none
        }
        m.fn("forget") { call in
            let (agent, key) = try context(call, "forget")
            if agent.memory == .persistent { return .bool(try PersistentMemory.set(call.interpreter, agent, key, nil)) }
            return .bool(state.session[agent.name]?.removeValue(forKey: key) != nil)
        }
        return m.values
    }
}

/// `@memory persistent`: the durable store when there is one, otherwise a file per agent holding
/// its entries as one stored map (`StoredValue`).
enum PersistentMemory {
    static func decode(_ text: String) throws -> Value { try StoredValue.decode(text) { .object(UuidValue($0)) } }

    static func get(_ interpreter: Interpreter, _ agent: AgentInfo, _ key: String) throws -> Value? {
        if let store = interpreter.options.store {
            do { return try store.recall(scope: agent.name, key: key).map(decode) } catch let e as KeelError { throw e } catch {
                throw KeelError("MemoryError", "memory.recall: \(error)")
            }
        }
        return try withFile(interpreter, agent) { $0[key] }
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
        return try withFile(interpreter, agent) { entries in
            if let value { return entries.updateValue(value, forKey: key) != nil }
            return entries.removeValue(forKey: key) != nil
        }
    }
    /// The agent's file, `~/.keel/memory/<stem>_<hash>/<Agent>.json` (the REPL's and a host's
    /// namespace is `__repl__`), read and written back under an exclusive lock.
    static func file(_ interpreter: Interpreter, _ agent: AgentInfo) throws -> String {
        guard let home = interpreter.options.environment["HOME"] ?? ProcessInfo.processInfo.environment["HOME"], !home.isEmpty else {
            throw KeelError("MemoryError", "@memory persistent needs a home folder (HOME is not set) or a store (--store)")
        }
        var namespace = "__repl__"
        if let path = interpreter.options.programPath {
            let stem = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
            let hash = SHA256.hash(data: Data(path.utf8)).map { String(format: "%02x", $0) }.joined()
            namespace = "\(stem)_\(hash.prefix(12))"
        }
        return "\(home)/.keel/memory/\(namespace)/\(agent.name).json"
    }

    /// Runs `body` on the agent's entries under an exclusive lock on its file; writes them back
    /// (and syncs) if it changed them.
    static func withFile<T>(_ interpreter: Interpreter, _ agent: AgentInfo, _ body: (inout [String: Value]) throws -> T) throws -> T {
        let path = try file(interpreter, agent)
        func fail(_ what: String) -> KeelError {
            KeelError("MemoryError", "persistent memory \(path): cannot \(what): \(String(cString: strerror(errno)))")
        }
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        } catch {
            throw KeelError("MemoryError", "persistent memory \(path): cannot make its folder: \(error.localizedDescription)")
        }
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw fail("open it") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw fail("lock it") }
        defer { flock(fd, LOCK_UN) }
        guard let bytes = FileAccess.readAll(fd) else { throw fail("read it") }
        var entries: [String: Value] = [:]
        if !bytes.isEmpty {
            let stored: Value
            do { stored = try decode(String(decoding: bytes, as: UTF8.self)) } catch {
                throw KeelError("MemoryError", "persistent memory \(path) cannot be read: \(error)")
            }
            guard case .map(let m) = stored else { throw KeelError("MemoryError", "persistent memory \(path) does not hold a map") }
            for (k, v) in m { if case .str(let key) = k { entries[key] = v } }
        }
        let before = entries
        let result = try body(&entries)
        if entries != before {
            var map: [MapKey: Value] = [:]
            for (k, v) in entries { map[.str(k)] = v }
            let text = try StoredValue.encode(.map(map)) + "\n"
            guard ftruncate(fd, 0) == 0, lseek(fd, 0, SEEK_SET) == 0 else { throw fail("write it") }
            let written = Array(text.utf8).withUnsafeBufferPointer { write(fd, $0.baseAddress, $0.count) }
            guard written == text.utf8.count, fsync(fd) == 0 else { throw fail("write it") }
        }
        return result
    }
}
