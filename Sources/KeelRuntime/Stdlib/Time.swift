import Foundation

/// `std/time`: reads the interpreter's clock, so it follows `--virtual-time`.
enum TimeModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        var m = ModuleMembers("time")
        m.fn("now", args: 0) { call in .str(DateTime.format(call.interpreter.loop.time.wallNow)) }
        m.fn("parse", args: 1, labels: ["tz"]) { call in
            let text = try call.string(0)
            if let tzValue = call.named["tz"] {
                guard case .str(let name) = tzValue, let zone = TimeZone(identifier: name) else {
                    throw KeelError(ErrorKind.value, "time.parse: unknown time zone \(tzValue.brief)")
                }
                return try DateTime.parse(text, naiveZone: zone).map { .str(DateTime.format($0)) } ?? .none
            }
            // Without `tz:`, a time must say its offset: a naive time is ambiguous.
            guard DateTime.hasOffset(text), let t = try DateTime.parseChecked(text) else { return .none }
            return .str(DateTime.format(t))
        }
        m.fn("epoch_ms", args: 0) { call in
            let ns = call.interpreter.loop.time.wallNow
            return .int(Int(ns >= 0 ? ns / 1_000_000 : (ns - 999_999) / 1_000_000))
        }
        return m.values
    }
}
