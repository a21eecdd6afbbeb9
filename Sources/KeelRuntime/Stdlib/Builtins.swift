import KeelSyntax
import Collections

extension Interpreter {
    static let builtinNames: Set<String> = ["typeof", "min", "max", "run", "stop", "send", "delegate", "broadcast"]

    func isBuiltinName(_ name: String) -> Bool { Interpreter.builtinNames.contains(name) }

    func define(_ name: String, _ body: @escaping (inout NativeCall) throws -> Value) {
        globals.values[globals.index(of: name)] = .native(NativeFunction(name, body))
    }

    func installBuiltins() {
        types["Message"] = TypeInfo(name: "Message", shape: .structure([
            ("from", .str), ("body", .str), ("channel", .nullable(.str)), ("timestamp", .nullable(.datetime)),
        ]))
        globals.values[globals.index(of: "Message")] = .type(types["Message"]!)
        define("typeof") { call in
            let v = try call.arg(0)
            return .str(v.typeName)
        }
        define("min") { call in try Interpreter.extreme(&call, wantMax: false) }
        define("max") { call in try Interpreter.extreme(&call, wantMax: true) }
        installAgentVerbs()
    }

    /// `min(...)`/`max(...)`: variadic, a single list is spread, `by:` picks a key, none if empty.
    static func extreme(_ call: inout NativeCall, wantMax: Bool) throws -> Value {
        var items = call.args
        if items.count == 1 {
            switch items[0] {
            case .list(let l): items = l
            case .set(let s): items = Array(s)
            case .range(let lo, let hi): items = lo <= hi ? (lo...hi).map { .int($0) } : []
            default: break
            }
        }
        guard var best = items.first else { return .none }
        let key = call.named["by"]
        var bestKey = try key.map { try call.interpreter.call($0, [best]) } ?? best
        for item in items.dropFirst() {
            let k = try key.map { try call.interpreter.call($0, [item]) } ?? item
            let better = wantMax ? try Operators.less(bestKey, k) : try Operators.less(k, bestKey)
            if better { best = item; bestKey = k }
        }
        return best
    }

    // MARK: std modules

    static let stdModuleNames = [
        "io", "log", "time", "math", "random", "uuid", "json", "csv", "env", "file", "cache", "control", "async",
        "schedule", "testing", "memory", "ai", "http", "email", "search", "shell", "db", "crypto",
    ]

    /// The std modules that reach nothing outside the interpreter (no files, network, input).
    public static var pureStdModules: [String] {
        stdModuleNames.filter { !effectfulModules.contains($0) }
    }

    /// `use std/<name>`: the module (its native members, plus the members of its Keel part in
    /// `stdlib/<name>.keel`, compiled once per interpreter), or why it cannot be used.
    func stdModule(_ name: String) -> Result<ModuleValue, ModuleError> {
        if let cached = stdModules[name] { return .success(cached) }
        if let allowed = options.allowedStdModules, !allowed.contains(name), Interpreter.stdModuleNames.contains(name) {
            return .failure(ModuleError("std/\(name) is not available: the host running this program did not grant it"))
        }
        let result = nativeStdModule(name)
        guard case .success(let module) = result else { return result }
        if let source = StdlibSources.files[name] {
            switch compileModule(SourceFile(path: "<std/\(name)>", text: source), name: name) {
            case .success(let keelPart): module.members.merge(keelPart.members) { native, _ in native }
            case .failure(let e): return .failure(ModuleError("std/\(name) failed to compile: \(e)"))
            }
        }
        stdModules[name] = module
        return .success(module)
    }

    private func nativeStdModule(_ name: String) -> Result<ModuleValue, ModuleError> {
        switch name {
        case "io": return .success(ioModule())
        case "schedule": return .success(scheduleModule())
        case "time": return .success(timeModule())
        case "json": return .success(jsonModule())
        case "math": return .success(mathModule())
        case "random": return .success(randomModule())
        case "log": return .success(logModule())
        case "env": return .success(envModule())
        case "csv": return .success(csvModule())
        case "cache": return .success(cacheModule())
        case "file": return .success(fileModule())
        case "uuid": return .success(uuidModule())
        case "control": return .success(controlModule())
        case "async": return .success(asyncModule())
        case "testing": return .success(testingModule())
        default:
            if Interpreter.stdModuleNames.contains(name) {
                return .failure(ModuleError("std/\(name) is not available in this interpreter yet"))
            }
            return .failure(ModuleError("unknown std module `std/\(name)` (std modules: \(Interpreter.stdModuleNames.joined(separator: ", ")))"))
        }
    }

    func ioModule() -> ModuleValue {
        let out = options.output
        return ModuleValue(name: "io", members: [
            "show": .native(NativeFunction("show", module: "io") { call in
                for line in IOFormat.show(try call.arg(0)) { out(line) }
                return .none
            }),
            "ask": .native(NativeFunction("ask", module: "io") { call in
                if let prompt = call.optional(0) { out(try call.interpreter.interpolationText(prompt)) }
                let read = call.interpreter.options.readLine
                let line = try call.interpreter.runtime.awaitOutside { read() }
                return line.map { .str($0) } ?? .none
            }),
            "confirm": .native(NativeFunction("confirm", module: "io") { call in
                if let prompt = call.optional(0) { out(try call.interpreter.interpolationText(prompt) + " [y/N]") }
                let read = call.interpreter.options.readLine
                let line = try call.interpreter.runtime.awaitOutside { read() }
                let answer = line?.trimmingCharacters(in: .whitespaces).lowercased()
                return .bool(answer == "y" || answer == "yes")
            }),
            "notify": .native(NativeFunction("notify", module: "io") { call in
                let v = try call.arg(0)
                out("  ▸ " + (try call.interpreter.interpolationText(v)))
                return .none
            }),
        ], effectful: true)
    }
}

/// How `io.show` lays values out.
enum IOFormat {
    static func show(_ v: Value) -> [String] {
        switch v {
        case .list(let items):
            if items.isEmpty { return ["  (empty list)"] }
            if items.allSatisfy({ fieldsOf($0) != nil }), case .map = items[0] { return table(items.map { fieldsOf($0)! }) }
            return items.enumerated().map { "  \($0.offset + 1). \($0.element.display)" }
        case .map(let m):
            if m.isEmpty { return ["  (empty map)"] }
            let keys = m.keys.sorted()
            return box(keys.map { ($0.value.display, m[$0]!.display) })
        default:
            return ["  " + v.display]
        }
    }

    /// A boxed two-column key/value list.
    static func box(_ rows: [(String, String)]) -> [String] {
        let kw = rows.map { $0.0.count }.max() ?? 0
        let vw = rows.map { $0.1.count }.max() ?? 0
        var out = ["  ┌" + String(repeating: "─", count: kw + 2) + "┬" + String(repeating: "─", count: vw + 2) + "┐"]
        for (k, v) in rows { out.append("  │ \(pad(k, kw)) │ \(pad(v, vw)) │") }
        out.append("  └" + String(repeating: "─", count: kw + 2) + "┴" + String(repeating: "─", count: vw + 2) + "┘")
        return out
    }

    /// A list of maps as a table: one column per key (sorted), one row per map.
    static func table(_ rows: [[String: Value]]) -> [String] {
        let columns = Array(Set(rows.flatMap { $0.keys })).sorted(by: scalarLess)
        let cells = rows.map { row in columns.map { row[$0]?.display ?? "" } }
        let widths = columns.indices.map { i in max(columns[i].count, cells.map { $0[i].count }.max() ?? 0) }
        func line(_ items: [String]) -> String {
            "  " + zip(items, widths).map { pad($0.0, $0.1) }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        return [line(columns), "  " + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")] + cells.map(line)
    }

    static func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
