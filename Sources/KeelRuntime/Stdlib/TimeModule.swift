/// `std/time`: reads the interpreter's clock, so it follows `--virtual-time`.
extension Interpreter {
    func timeModule() -> ModuleValue {
        ModuleValue(name: "time", members: [
            "now": .native(NativeFunction("now", module: "time") { call in
                .str(DateTime.format(call.interpreter.runtime.time.wallNow))
            }),
            "epoch_ms": .native(NativeFunction("epoch_ms", module: "time") { call in
                let ns = call.interpreter.runtime.time.wallNow
                return .int(Int(ns >= 0 ? ns / 1_000_000 : (ns - 999_999) / 1_000_000))
            }),
        ])
    }
}
