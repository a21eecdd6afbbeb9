/// `std/async`: `spawn`, `join_all`, `select`, `sleep`, on the same suspension mechanism as
/// `schedule.sleep` (the tasks themselves are the loop's: `Loop/AsyncTasks.swift`).
enum AsyncModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        func tasks(_ call: NativeCall) throws -> [AsyncTask] {
            let v = try call.arg(0)
            guard case .list(let items) = v else { throw call.typeError(0, "a list of tasks", v) }
            return try items.map { item in
                guard case .object(let o) = item, let h = o as? TaskHandle else { throw call.typeError(0, "a list of tasks", item) }
                return h.task
            }
        }
        var m = ModuleMembers("async")
        m.fn("spawn", args: 1) { call in
            let loop = call.interpreter.loop
            let task = AsyncTask(id: loop.nextSeq(), body: try call.callable(0), turn: call.interpreter.turn)
            loop.spawn(task)
            return .object(TaskHandle(task))
        }
        m.fn("join_all", args: 1) { call in
            let all = try tasks(call)
            for t in all { try call.interpreter.loop.waitForAny([t]) }
            if let failed = all.first(where: { $0.error != nil }) { throw failed.error! }
            return .list(all.map(\.result))
        }
        m.fn("select", args: 1) { call in
            let all = try tasks(call)
            guard !all.isEmpty else { throw KeelError(ErrorKind.value, "async.select: no tasks") }
            try call.interpreter.loop.waitForAny(all)   // whichever finishes first
            let first = all.first(where: \.done)!
            for t in all where t !== first && !t.started { t.cancelled = true }
            if let e = first.error { throw e }
            return first.result
        }
        m.fn("sleep", args: 1) { call in
            let d = try call.duration(0)
            let loop = call.interpreter.loop
            try loop.sleep(until: loop.time.monotonicNow.saturatingAdd(max(0, d)))
            return .none
        }
        return m.values
    }
}

/// `Task`: what `async.spawn` returns.
final class TaskHandle: HostObject {
    let task: AsyncTask
    init(_ task: AsyncTask) { self.task = task }

    var typeName: String { "Task" }
    var fieldNames: [String] { ["id", "done"] }
    func field(_ name: String) -> Value? {
        switch name {
        case "id": return .int(task.id)
        case "done": return .bool(task.done)
        case "failed": return .bool(task.error != nil)
        default: return nil
        }
    }
    func method(_ name: String, _ args: [Value], _ interpreter: Interpreter) throws -> Value? {
        guard name == "cancel" else { return nil }
        let could = !task.started && !task.done
        task.cancelled = task.cancelled || could
        return .bool(could)
    }
}
