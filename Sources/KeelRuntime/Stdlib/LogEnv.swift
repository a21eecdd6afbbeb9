import Foundation

/// `std/log` levels, lowest first.
enum LogLevel: Int, CaseIterable {
    case debug, info, warn, error
    var name: String { String(describing: self) }
    init?(name: String) {
        guard let l = LogLevel.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = l
    }
}

extension Interpreter {
    /// `std/log`: `[level] message` on standard error for levels at or above the threshold.
    func logModule() -> ModuleValue {
        var members: [String: Value] = [:]
        for level in LogLevel.allCases {
            members[level.name] = .native(NativeFunction(level.name, module: "log") { call in
                let interp = call.interpreter
                if level.rawValue >= interp.logLevel.rawValue {
                    interp.options.errorOutput("[\(level.name)] " + (try interp.interpolationText(try call.arg(0))))
                }
                return .none
            })
        }
        members["set_level"] = .native(NativeFunction("set_level", module: "log") { call in
            let name = try call.string(0)
            guard let level = LogLevel(name: name) else {
                throw KeelError(ErrorKind.value, "log.set_level: unknown level `\(name)` (debug, info, warn, error)")
            }
            call.interpreter.logLevel = level
            return .none
        })
        members["level"] = .native(NativeFunction("level", module: "log") { call in .str(call.interpreter.logLevel.name) })
        return ModuleValue(name: "log", members: members)
    }

    /// `std/env` (effectful: gated by `@tools`): the process environment.
    func envModule() -> ModuleValue {
        let environment = options.environment
        return ModuleValue(name: "env", members: [
            "get": .native(NativeFunction("get", module: "env") { call in
                environment[try call.string(0)].map { .str($0) } ?? .none
            }),
            "require": .native(NativeFunction("require", module: "env") { call in
                let name = try call.string(0)
                guard let v = environment[name] else { throw KeelError("EnvError", "environment variable \(name) is not set") }
                return .str(v)
            }),
        ], effectful: true)
    }
}
