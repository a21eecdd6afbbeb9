/// A task started by `async.spawn`: it runs as its own unit of work on the event loop (with the
/// spawning agent's `self` and capabilities), interleaving with other work at suspension points.
/// (`Stdlib/Async.swift` makes it a value programs hold.)
final class AsyncTask {
    let id: Int
    let body: Value
    /// The instance that spawned it: if it stops, the task's parked turn unwinds.
    let instance: AgentInstance?
    var started = false
    var done = false
    var cancelled = false
    var result: Value = .none
    var error: KeelError?
    var waiters: [TaskWaiter] = []

    init(id: Int, body: Value, turn: TurnContext) {
        self.id = id
        self.body = body
        self.instance = turn.instance
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

extension EventLoop {
    /// `async.spawn`: the task runs later, as its own unit of work on the loop.
    func spawn(_ task: AsyncTask) {
        work.append(.task(task))
    }

    func runTask(_ task: AsyncTask) {
        guard !task.cancelled else { task.done = true; wakeWaiters(task); return }
        if let instance = task.instance, !instance.accepting { task.done = true; wakeWaiters(task); return }
        switchTurn(to: TurnContext(instance: task.instance))
        task.started = true
        do {
            task.result = try interpreter.call(task.body, [])
        } catch let e as KeelError {
            task.error = e
        } catch {}   // unwound: the run ends, or its agent stopped
        // A task of a durable instance commits with its own end, as a turn does: what it wrote
        // to the state is kept (and rolled back with nothing: a task that raised commits what
        // it wrote before raising, since its agent's turns go on from there).
        if let instance = task.instance, instance.info.durable, instance.accepting, let durability {
            durability.commit(instance)
        }
        switchTurn(to: .idle)
        task.done = true
        wakeWaiters(task)
    }

    private func wakeWaiters(_ task: AsyncTask) {
        for w in task.waiters where !w.woken {
            w.woken = true   // a waiter on several tasks is resumed once
            work.append(.resume(w.fiber, generation: w.generation))
        }
        task.waiters.removeAll()
    }

    /// Parks the calling turn until one of `tasks` is done.
    func waitForAny(_ tasks: [AsyncTask]) throws {
        guard let fiber = currentFiber else {
            throw KeelError(ErrorKind.base, "async: waiting needs the event loop (run the program with keel run)")
        }
        while !tasks.contains(where: \.done) {
            if shuttingDown || stoppingAll { throw ShutdownSignal() }
            let waiter = TaskWaiter(fiber: fiber, generation: fiber.parkGeneration)
            for t in tasks { t.waiters.append(waiter) }
            try park(fiber)
        }
    }
}
