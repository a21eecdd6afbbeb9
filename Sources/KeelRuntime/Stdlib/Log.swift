/// `std/log` levels, lowest first.
package enum LogLevel: Int, CaseIterable {
    case debug, info, warn, error
    package var name: String { String(describing: self) }
    package init?(name: String) {
        guard let l = LogLevel.allCases.first(where: { $0.name == name.lowercased() }) else { return nil }
        self = l
    }
}

/// `std/log`: `[level] message` on standard error for levels at or above the threshold.
enum LogModule {
    /// The threshold: `KEEL_LOG_LEVEL` (or `--log-level`), else info; `log.set_level` changes it.
    final class State: ModuleState {
        var level: LogLevel
        init(_ interpreter: Interpreter) {
            level = interpreter.options.environment["KEEL_LOG_LEVEL"].flatMap { LogLevel(name: $0) } ?? .info
        }
    }

    static func members(_ interpreter: Interpreter) -> [String: Value] {
        let state = interpreter.state(State.self)
        var m = ModuleMembers("log")
        for level in LogLevel.allCases {
            m.fn(level.name, args: 1) { call in
                if level.rawValue >= state.level.rawValue {
                    call.interpreter.options.errorOutput("[\(level.name)] " + (try call.interpreter.interpolationText(try call.arg(0))))
                }
                return .none
            }
        }
        m.fn("set_level", args: 1) { call in
            let name = try call.string(0)
            guard let level = LogLevel(name: name) else {
                throw KeelError(ErrorKind.value, "log.set_level: unknown level `\(name)` (debug, info, warn, error)")
            }
            state.level = level
            return .none
        }
        m.fn("level", args: 0) { _ in .str(state.level.name) }
        return m.values
    }
}
