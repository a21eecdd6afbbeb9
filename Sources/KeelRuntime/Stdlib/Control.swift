/// `std/control`: time limits for a piece of work (`retry` is written in Keel, in
/// `stdlib/control.keel`). A limit is checked where the work can be interrupted: each loop
/// iteration and each suspension (`schedule.sleep` ends early with the error); work that
/// finishes is never cut after the fact.
enum ControlModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        func limited(_ call: inout NativeCall, _ limit: Deadline) throws -> Value {
            let fn = try call.callable(1)
            let interp = call.interpreter
            interp.turn.deadlines.append(limit)
            defer { interp.turn.deadlines.removeLast() }
            return try interp.call(fn, [])
        }
        var m = ModuleMembers("control")
        m.fn("with_timeout", args: 2) { call in
            let d = try call.duration(0)
            guard d > 0 else { throw KeelError(ErrorKind.value, "control.with_timeout: the duration must be positive") }
            let now = call.interpreter.loop.time.monotonicNow
            return try limited(&call, .init(at: now.saturatingAdd(d), kind: "TimeoutError", message: "timed out after \(formatDuration(d))"))
        }
        m.fn("with_deadline", args: 2) { call in
            let text = try call.string(0)
            guard let wall = try DateTime.parseChecked(text) else {
                throw KeelError(ErrorKind.value, "control.with_deadline: cannot parse `\(text)` as a time; accepted forms: \(DateTime.acceptedForms)")
            }
            let time = call.interpreter.loop.time
            let at = time.monotonicNow.saturatingAdd(wall.saturatingSubtract(time.wallNow))
            return try limited(&call, .init(at: at, kind: "DeadlineError", message: "deadline \(DateTime.format(wall)) passed"))
        }
        return m.values
    }
}
