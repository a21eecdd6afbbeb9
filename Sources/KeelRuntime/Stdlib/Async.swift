/// A task started by `async.spawn`: it runs as its own unit of work on the event loop (with the
/// spawning agent's `self` and capabilities), interleaving with other work at suspension points.
final class AsyncTask: HostObject {
    let id: Int
    let body: Value
    let agent: AgentInfo?
    var started = false
    var done = false
    var cancelled = false
    var result: Value = .none
    var error: KeelError?
    var waiters: [TaskWaiter] = []

    init(id: Int, body: Value, agent: AgentInfo?) {
        self.id = id
        self.body = body
        self.agent = agent
    }

    func finish() { done = true }

    var typeName: String { "Task" }
    var fieldNames: [String] { ["id", "done"] }
    func field(_ name: String) -> Value? {
        switch name {
        case "id": return .int(id)
        case "done": return .bool(done)
        case "failed": return .bool(error != nil)
        default: return nil
        }
    }
    func method(_ name: String, _ args: [Value], _ interpreter: Interpreter) throws -> Value? {
        guard name == "cancel" else { return nil }
        let could = !started && !done
        cancelled = cancelled || could
        return .bool(could)
    }
}

/// A turn waiting for one or more tasks.
final class TaskWaiter {
    let fiber: Fiber
    /// The park episode of `fiber` this waiter belongs to.
    let generation: Int
    var woken = false
    init(fiber: Fiber, generation: Int) {
        self.fiber = fiber
        self.generation = generation
    }
}

extension Interpreter {
    /// `std/async`: `spawn`, `join_all`, `select`, `sleep`, on the same suspension mechanism as
    /// `schedule.sleep`.
    func asyncModule() -> ModuleValue {
        func tasks(_ call: NativeCall) throws -> [AsyncTask] {
            let v = try call.arg(0)
            guard case .list(let items) = v else { throw call.typeError(0, "a list of tasks", v) }
            return try items.map { item in
                guard case .object(let o) = item, let t = o as? AsyncTask else { throw call.typeError(0, "a list of tasks", item) }
                return t
            }
        }
        return ModuleValue(name: "async", members: [
            "spawn": .native(NativeFunction("spawn", module: "async") { call in
                let runtime = call.interpreter.runtime
                let task = AsyncTask(id: runtime.nextSeq(), body: try call.callable(0), agent: call.interpreter.currentAgent)
                runtime.spawn(task)
                return .object(task)
            }),
            "join_all": .native(NativeFunction("join_all", module: "async") { call in
                let all = try tasks(call)
                for t in all { try call.interpreter.runtime.waitForAny([t]) }
                if let failed = all.first(where: { $0.error != nil }) { throw failed.error! }
                return .list(all.map(\.result))
            }),
            "select": .native(NativeFunction("select", module: "async") { call in
                let all = try tasks(call)
                guard !all.isEmpty else { throw KeelError(ErrorKind.value, "async.select: no tasks") }
                let runtime = call.interpreter.runtime
                try runtime.waitForAny(all)   // whichever finishes first
                let first = all.first(where: \.done)!
                for t in all where t !== first && !t.started { t.cancelled = true }
                if let e = first.error { throw e }
                return first.result
            }),
            "sleep": .native(NativeFunction("sleep", module: "async") { call in
                let d = try call.duration(0)
                let runtime = call.interpreter.runtime
                try runtime.sleep(until: runtime.time.monotonicNow + max(0, d))
                return .none
            }),
        ])
    }
}
