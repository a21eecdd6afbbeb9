extension Interpreter {
    /// `std/control`: time limits for a piece of work (`retry` is written in Keel, in
    /// `stdlib/control.keel`). A limit is checked where
    /// the work can be interrupted: each loop iteration and each suspension (`schedule.sleep`
    /// ends early with the error); work that finishes is never cut after the fact.
    func controlModule() -> ModuleValue {
        func limited(_ call: inout NativeCall, _ limit: Deadline) throws -> Value {
            let fn = try call.callable(1)
            let interp = call.interpreter
            interp.deadlines.append(limit)
            defer { interp.deadlines.removeLast() }
            return try interp.call(fn, [])
        }
        return ModuleValue(name: "control", members: [
            "with_timeout": .native(NativeFunction("with_timeout", module: "control") { call in
                let d = try call.duration(0)
                guard d > 0 else { throw KeelError(ErrorKind.value, "control.with_timeout: the duration must be positive") }
                let now = call.interpreter.runtime.time.monotonicNow
                return try limited(&call, Deadline(at: now + d, kind: "TimeoutError", message: "timed out after \(formatDuration(d))"))
            }),
            "with_deadline": .native(NativeFunction("with_deadline", module: "control") { call in
                let text = try call.string(0)
                guard let wall = DateTime.parse(text) else {
                    throw KeelError(ErrorKind.value, "control.with_deadline: cannot parse `\(text)` as a time; accepted forms: \(DateTime.acceptedForms)")
                }
                let time = call.interpreter.runtime.time
                let at = time.monotonicNow + (wall - time.wallNow)
                return try limited(&call, Deadline(at: at, kind: "DeadlineError", message: "deadline \(DateTime.format(wall)) passed"))
            }),
        ])
    }
}
