import Foundation

/// `std/time`: reads the interpreter's clock, so it follows `--virtual-time`.
extension Interpreter {
    func timeModule() -> ModuleValue {
        ModuleValue(name: "time", members: [
            "now": .native(NativeFunction("now", module: "time") { call in
                .str(DateTime.format(call.interpreter.runtime.time.wallNow))
            }),
            "parse": .native(NativeFunction("parse", module: "time") { call in
                let text = try call.string(0)
                if let tzValue = call.named["tz"] {
                    guard case .str(let name) = tzValue, let zone = TimeZone(identifier: name) else {
                        throw KeelError(ErrorKind.value, "time.parse: unknown time zone \(tzValue.display)")
                    }
                    return DateTime.parse(text, naiveZone: zone).map { .str(DateTime.format($0)) } ?? .none
                }
                // Without `tz:`, a time must say its offset: a naive time is ambiguous.
                guard DateTime.hasOffset(text), let t = DateTime.parse(text) else { return .none }
                return .str(DateTime.format(t))
            }),
            "epoch_ms": .native(NativeFunction("epoch_ms", module: "time") { call in
                let ns = call.interpreter.runtime.time.wallNow
                return .int(Int(ns >= 0 ? ns / 1_000_000 : (ns - 999_999) / 1_000_000))
            }),
        ])
    }
}
