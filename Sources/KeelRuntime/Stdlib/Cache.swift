/// `std/cache`: one cache per interpreter; `ttl:` counts on the interpreter's clock.
enum CacheModule {
    final class State: ModuleState {
        /// Values and their expiry (monotonic ns).
        var entries: [String: (value: Value, expiry: Int64?)] = [:]
        init(_ interpreter: Interpreter) {}
    }

    static func members(_ interpreter: Interpreter) -> [String: Value] {
        let state = interpreter.state(State.self)
        var m = ModuleMembers("cache")
        m.fn("set", args: 2, labels: ["ttl"]) { call in
            let key = try call.string(0)
            let value = try call.arg(1)
            var expiry: Int64?
            if let ttl = call.named["ttl"] {
                guard case .duration(let d) = ttl, d > 0 else { throw KeelError("CacheError", "cache.set: ttl must be a positive duration") }
                expiry = call.interpreter.loop.time.monotonicNow.addingReportingOverflow(d).partialValue
            }
            state.entries[key] = (value, expiry)
            return .none
        }
        m.fn("get", args: 1) { call in
            let key = try call.string(0)
            guard let (value, expiry) = state.entries[key] else { return .none }
            if let expiry, call.interpreter.loop.time.monotonicNow >= expiry {
                state.entries[key] = nil
                return .none
            }
            return value
        }
        m.fn("delete", args: 1) { call in .bool(state.entries.removeValue(forKey: try call.string(0)) != nil) }
        m.fn("clear", args: 0) { _ in
            state.entries.removeAll()
            return .none
        }
        return m.values
    }
}
