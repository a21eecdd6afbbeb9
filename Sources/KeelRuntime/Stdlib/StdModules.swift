import KeelSyntax

/// Every std module, in one table (as Lua's `linit.c`): its name, whether agents' `@tools` gate it,
/// and what makes its native members (nil: not available in this interpreter yet). A module's part
/// written in Keel, if any, is `stdlib/<name>.keel` (embedded as `StdlibSources`). Adding a module
/// is its own file plus one row here; every list of modules is derived from this table.
struct StdModule {
    let name: String
    /// Effectful modules reach outside the interpreter (files, network, input); an agent may call
    /// them only if its `@tools` allows it.
    let effectful: Bool
    let make: ((Interpreter) -> [String: Value])?

    init(_ name: String, effectful: Bool = false, _ make: ((Interpreter) -> [String: Value])?) {
        self.name = name
        self.effectful = effectful
        self.make = make
    }

    static let table: [StdModule] = [
        StdModule("io", effectful: true, IOModule.members),
        StdModule("log", LogModule.members),
        StdModule("time", TimeModule.members),
        StdModule("math", MathModule.members),
        StdModule("random", RandomModule.members),
        StdModule("uuid", UUIDModule.members),
        StdModule("json", JSONModule.members),
        StdModule("csv", CSVModule.members),
        StdModule("env", effectful: true, EnvModule.members),
        StdModule("file", effectful: true, FileModule.members),
        StdModule("cache", CacheModule.members),
        StdModule("control", ControlModule.members),
        StdModule("async", AsyncModule.members),
        StdModule("schedule", ScheduleModule.members),
        StdModule("testing", TestingModule.members),
        StdModule("memory", MemoryModule.members),
        StdModule("ai", effectful: true, nil),
        StdModule("http", effectful: true, nil),
        StdModule("email", effectful: true, nil),
        StdModule("search", effectful: true, nil),
        StdModule("shell", effectful: true, ShellModule.members),
        StdModule("db", effectful: true, DBModule.members),
        StdModule("crypto", CryptoModule.members),
    ]

    static let byName: [String: StdModule] = Dictionary(uniqueKeysWithValues: table.map { ($0.name, $0) })
    static let names: [String] = table.map(\.name)
    /// Modules this interpreter provides.
    static let available: [String] = table.filter { $0.make != nil }.map(\.name)
    /// Modules that reach nothing outside the interpreter.
    static let pure: [String] = table.filter { !$0.effectful }.map(\.name)
}

/// Collects a module's members: `m.fn("int", args: 2, labels: ["min", "max"]) { call in ... }`.
struct ModuleMembers {
    let module: String
    private(set) var values: [String: Value] = [:]

    init(_ module: String) { self.module = module }

    /// A native function taking at most `args` positional arguments; `labels` are the argument
    /// labels a call may use.
    mutating func fn(_ name: String, args: Int, labels: [String] = [], _ body: @escaping (inout NativeCall) throws -> Value) {
        values[name] = .native(NativeFunction(name, module: module, args: args, labels: labels, body))
    }

    mutating func value(_ name: String, _ v: Value) { values[name] = v }
}

/// State a std module keeps per interpreter (a generator, entries, a threshold), made on first use.
protocol ModuleState: AnyObject {
    init(_ interpreter: Interpreter)
}

extension Interpreter {
    /// The interpreter's instance of a module's state.
    func state<S: ModuleState>(_ type: S.Type) -> S {
        let key = ObjectIdentifier(type)
        if let s = moduleStates[key] { return s as! S }
        let s = S(self)
        moduleStates[key] = s
        return s
    }

    /// `use std/<name>`: the module (its native members, plus the members of its Keel part,
    /// compiled once per interpreter), or why it cannot be used.
    func stdModule(_ name: String) -> Result<ModuleValue, ModuleError> {
        if let cached = stdModules[name] { return .success(cached) }
        guard let entry = StdModule.byName[name] else {
            return .failure(ModuleError("unknown std module `std/\(name)` (std modules: \(StdModule.names.joined(separator: ", ")))"))
        }
        if let why = options.refusedStdModules[name] { return .failure(ModuleError(why)) }
        guard let make = entry.make else {
            // Compiles (Keel programs often declare modules they never call); calls raise.
            let module = ModuleValue(name: name, members: [:], effectful: entry.effectful, unprovided: true)
            stdModules[name] = module
            return .success(module)
        }
        let module = ModuleValue(name: name, members: make(self), effectful: entry.effectful)
        if let source = StdlibSources.files[name] {
            switch compileModule(SourceFile(path: "<std/\(name)>", text: source), name: name) {
            case .success(let keelPart):
                module.members.merge(keelPart.members) { native, _ in native }
                module.table = keelPart.table   // the Keel part's code refers to it
            case .failure(let e): return .failure(ModuleError("std/\(name) failed to compile: \(e)"))
            }
        }
        stdModules[name] = module
        return .success(module)
    }
}
