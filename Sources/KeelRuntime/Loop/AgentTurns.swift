import KeelSyntax

extension Interpreter {
    /// One event for one agent, on its fiber: a message handler or a scheduled closure.
    /// What a turn's errors say it was (made only when one is reported).
    static func label(_ event: Event) -> String {
        switch event.kind {
        case .message(let name, _): return "handler `\(name)`"
        case .tick(let s, _): return s.options.name.map { "scheduled closure \"\($0)\"" } ?? "scheduled closure"
        }
    }

    /// How a turn ended: whether it raised nothing, and the schedule occurrence it ran.
    struct TurnOutcome {
        var succeeded = false
        var fire: (Schedule, Tick)?
    }

    @discardableResult
    func runTurn(_ instance: AgentInstance, _ event: Event) -> TurnOutcome {
        var outcome = TurnOutcome()
        do {
            try computeCapabilities(instance)
            switch event.kind {
            case .message(let name, let payload):
                guard let (handler, takesPayload) = instance.handler(name) else { return TurnOutcome(succeeded: true) }   // no such handler: dropped
                _ = try call(handler, takesPayload ? [payload] : [])
                outcome.succeeded = true
            case .tick(let schedule, let tick):
                if try runSchedule(schedule, tick, instance, Interpreter.label(event)) {
                    outcome = TurnOutcome(succeeded: true, fire: (schedule, tick))
                }
            }
        } catch {
            endedTurn(error, instance, Interpreter.label(event))
        }
        return outcome
    }

    /// How a turn that raised ends: an error of the program is reported; the run being stopped,
    /// the fuel running out, or the instance stopping ends it silently.
    private func endedTurn(_ error: Error, _ instance: AgentInstance, _ label: @autoclosure () -> String) {
        switch error {
        case let e as KeelError where e.kind == ErrorKind.interrupted && loop.stopRequested:
            break   // a signal stopped the run while this turn was busy: it unwinds silently
        case let e as KeelError where e.kind == ErrorKind.outOfFuel:
            if loop.fatalError == nil { loop.fatalError = e }   // the budget is the whole run's
        case let e as KeelError:
            reportAgentError(e, instance, label())
        case is ShutdownSignal, is TurnEnded:
            break   // the run ends, or the instance stopped, while this turn was parked or running
        default:
            reportAgentError(KeelError(ErrorKind.base, "\(error)"), instance, "turn")
        }
    }

    /// The first turn of an instance made by a message (its state is made already): `@on_start`;
    /// its messages follow.
    func runStartTurn(_ instance: AgentInstance) {
        loop.beginTurn(instance)
        defer { loop.endTurn() }
        do {
            try runOnStart(instance)
        } catch {
            endedTurn(error, instance, "@on_start")
        }
        if instance.phase == .starting { instance.phase = .live }
        if let durability = loop.durability, instance.info.durable, instance.accepting { durability.commit(instance) }
        loop.turnDone(instance)
    }

    /// One run of a schedule's callback, with its counters, history and retry; true if it ran and
    /// raised nothing.
    private func runSchedule(_ s: Schedule, _ tick: Tick, _ instance: AgentInstance, _ label: @autoclosure () -> String) throws -> Bool {
        guard let run = loop.runStarts(s, tick) else { return false }   // cancelled while it waited
        turn.runningSchedule = s
        // `timeout:`: the run is a time limit's work, as in `control.with_timeout`.
        let limited = s.options.timeout.map { d in
            Deadline(at: loop.time.monotonicNow.saturatingAdd(d), kind: "TimeoutError",
                     message: "\(s.options.name.map { "scheduled closure \"\($0)\"" } ?? "a scheduled closure") timed out after \(formatDuration(d))")
        }
        if let limited { turn.deadlines.append(limited) }
        defer {
            turn.runningSchedule = nil
            if limited != nil, !turn.deadlines.isEmpty { turn.deadlines.removeLast() }
        }
        do {
            _ = try call(s.callback, s.args)
            _ = loop.runEnded(s, tick, run, failed: false)
            return true
        } catch let e as KeelError where !ErrorKind.uncatchable.contains(e.kind) {
            let retryIn = loop.runEnded(s, tick, run, failed: true)
            var where_ = label()
            if let retry = s.options.retry {
                where_ += retryIn.map { ", attempt \(tick.attempt) of \(retry.attempts), retrying in \(formatDuration($0))" }
                    ?? ", attempt \(tick.attempt) of \(retry.attempts), giving up"
            }
            reportAgentError(e, instance, where_)
            if retryIn == nil, let onFailure = s.options.onFailure {
                // No retry left: `on_failure:` hears of it, in this turn, with the error and the handle.
                if limited != nil, !turn.deadlines.isEmpty { turn.deadlines.removeLast() }
                do {
                    _ = try call(onFailure, [e.caughtValue, .object(ScheduleHandle(s, loop))])
                } catch let hookError as KeelError where !ErrorKind.uncatchable.contains(hookError.kind) {
                    reportAgentError(hookError, instance, label() + ", on_failure")
                }
                if limited != nil { turn.deadlines.append(limited!) }
            }
            return false
        } catch is TurnEnded {
            loop.runAbandoned(s, run)   // its instance stopped: not a failure, nothing to retry
            throw TurnEnded(instance: instance)
        } catch is ShutdownSignal {
            loop.runAbandoned(s, run)
            throw ShutdownSignal()
        } catch {
            _ = loop.runEnded(s, tick, run, failed: true)
            throw error
        }
    }

    /// The same error again and again (a closure that fails on every tick) is printed once, then
    /// counted: a line at 10, 100, 1,000, ... repeats, and the final count when something else
    /// happens or the agent stops.
    func reportAgentError(_ e: KeelError, _ instance: AgentInstance, _ label: String) {
        if let loop = loopIfStarted, loop.failFast, loop.fatalError == nil { loop.fatalError = e }
        let where_ = "in agent \(instance.label), \(label)"
        let signature = "\(where_)|\(e.kind)|\(e.message)|\(e.span.map { "\($0.start)" } ?? "")|\(e.file?.path ?? "")"
        let key = ObjectIdentifier(instance)
        if let last = errorRepeats[key], last.signature == signature {
            last.count += 1
            var n = last.count
            while n % 10 == 0 { n /= 10 }
            if last.count >= 10 && n == 1 {   // 10, 100, 1000, ...
                options.errorOutput("  (the same error \(Limits.formatCount(last.count)) more times \(where_))")
                last.reported = last.count
            }
            return
        }
        flushRepeatedErrors(instance)
        options.errorOutput(e.render(color: color) + "\n  " + where_)
        errorRepeats[key] = ErrorRepeat(signature: signature, place: where_)
    }

    /// Prints how often the last error of `instance` repeated since it was last said.
    func flushRepeatedErrors(_ instance: AgentInstance) {
        guard let last = errorRepeats.removeValue(forKey: ObjectIdentifier(instance)), last.count > last.reported else { return }
        options.errorOutput("  (the same error \(Limits.formatCount(last.count)) more times \(last.place))")
    }

    /// At the end of a run: every agent's repeat count.
    func flushAllRepeatedErrors() {
        for last in errorRepeats.values where last.count > last.reported {
            options.errorOutput("  (the same error \(Limits.formatCount(last.count)) more times \(last.place))")
        }
        errorRepeats.removeAll()
    }

    /// `run(A)`, `run(A["k"])`: a new instance with its state defaults (or what the store holds),
    /// then `@on_start` inside this call. Errors in them propagate to the caller. `run` of an
    /// instance that is live (or stopping) does nothing and says so.
    func startAgent(_ agent: AgentInfo, key: MapKey? = nil) throws {
        if let existing = agent.instance(key) {
            let how = existing.accepting ? "is already running" : "is stopping"
            options.errorOutput("note: \(existing.label) \(how); run(\(existing.label)) does nothing")
            return
        }
        // On a store several nodes share, it starts only on the node that holds its lease.
        if agent.durable, let durability = loop.durability, try !durability.claim(agent, key: key) { return }
        let instance = AgentInstance(info: agent, key: key)
        register(instance)
        instance.busy = true
        defer {
            instance.busy = false
            loop.queueIfReady(instance)   // events that arrived during @on_start
        }
        do { try prepare(instance) } catch {
            if instance.accepting { finishStop(instance) }   // it never ran
            throw error
        }
        do {
            try runOnStart(instance)
        } catch let e as TurnEnded where e.instance === instance {
            return   // it stopped during its own @on_start (stop(self), or stopped from outside while parked)
        }
        if instance.phase == .starting { instance.phase = .live }
        if let durability = loop.durability, agent.durable, instance.accepting { durability.commit(instance) }
    }

    /// Makes `instance` the live one for its key.
    func register(_ instance: AgentInstance) {
        if let key = instance.key { instance.info.keyed[key] = instance } else { instance.info.singleton = instance }
        loop.agentStarted(instance)
    }

    /// An instance's state fields (from the store when durable and stored, otherwise their
    /// defaults), its attribute values, and its stored schedules (live again before `@on_start`).
    func prepare(_ instance: AgentInstance) throws {
        let agent = instance.info
        instance.state.reserveCapacity(agent.stateFields.count)
        // A durable agent's stored fields come from the store; a field's default runs only the
        // first time, or for a field added since.
        let durability = agent.durable ? loop.durability : nil
        let stored = try durability?.load(instance)
        var committed: [Value] = []
        // Defaults and attribute values run as the agent, under its own @tools (those without an
        // `if` guard: a guard may read state that does not exist yet).
        try acting(as: instance) {
            instance.allowedNow = agent.unguardedTools
            for field in agent.stateFields {
                if let text = stored?.state[field.name] {
                    let v = try Durability.decode(text, field: field, agent: agent)
                    instance.state.append(v)
                    committed.append(v)
                    continue
                }
                var v = try call(.function(Function(proto: field.initial, upvalues: [], selfValue: .undefined)), [])
                if let t = field.type {
                    guard let c = t.coerce(v) else {
                        throw KeelError(ErrorKind.type, "state field `\(field.name)` of \(agent.name): expected \(t.description), got \(v.typeName)")
                    }
                    v = c
                }
                instance.state.append(v)
                committed.append(.undefined)   // not in the store yet
            }
            for (name, proto) in agent.attributes {
                instance.attributeValues[name] = try call(.function(Function(proto: proto, upvalues: [], selfValue: instance.selfValue)), [])
            }
        }
        if agent.durable { instance.committedState = committed }
        if let durability, let stored { try durability.restoreSchedules(stored, instance) }
    }

    /// `@on_start`, as the instance.
    private func runOnStart(_ instance: AgentInstance) throws {
        guard let onStart = instance.info.onStart else { return }
        try acting(as: instance) {
            try computeCapabilities(instance)
            _ = try call(.function(Function(proto: onStart, upvalues: [], selfValue: instance.selfValue)), [])
        }
    }

    /// Runs `body` as `instance` (its `self`, `@tools` and schedules) inside the running turn: an
    /// agent's `@on_start` and `@on_stop` run inside the `run`/`stop` call that caused them. When
    /// the code that called is an instance that stopped meanwhile, nothing more of it runs.
    func acting<T>(as instance: AgentInstance, _ body: () throws -> T) throws -> T {
        let previous = turn.instance
        turn.instance = instance
        let result: T
        do { result = try body() } catch {
            turn.instance = previous
            throw error
        }
        turn.instance = previous
        if let previous, previous !== instance, previous.ended(on: loopIfStarted?.currentFiber) {
            throw TurnEnded(instance: previous)
        }
        return result
    }

    /// `stop(A)`, `stop(self)`: its mailbox is dropped and its parked turns unwind, `@on_stop` runs
    /// as it (no other turn of it runs meanwhile), then it ends with its schedules. A turn that
    /// stops its own instance ends at once, after `@on_stop`: nothing of the agent runs after it.
    func stopAgent(_ instance: AgentInstance, runHook: Bool = true) throws {
        guard instance.accepting else { return }   // stopping already: `@on_stop { stop(self) }` runs once
        let caller = turn.instance
        let fiber = loopIfStarted?.currentFiber
        instance.phase = .stopping
        loop.stopping(instance, except: fiber)
        var hookError: Error?
        if runHook, let onStop = instance.info.onStop {
            let wasBusy = instance.busy
            instance.busy = true
            instance.stopHookFiber = fiber
            do {
                try acting(as: instance) {
                    try computeCapabilities(instance)
                    _ = try call(.function(Function(proto: onStop, upvalues: [], selfValue: instance.selfValue)), [])
                }
            } catch {
                hookError = error
            }
            instance.stopHookFiber = nil
            instance.busy = wasBusy
        }
        finishStop(instance)
        if caller === instance {
            // stop(self): the running turn ends here. An error of `@on_stop` is reported, not
            // handed to code of the agent that must not run any more.
            if let e = hookError as? KeelError { reportAgentError(e, instance, "@on_stop") }
            throw TurnEnded(instance: instance)
        }
        if let hookError { throw hookError }
    }

    /// The instance is gone: no longer the live one for its key, its schedules cancelled, what
    /// waits for it dropped; a durable one commits and lets its lease go.
    func finishStop(_ instance: AgentInstance) {
        let agent = instance.info
        instance.phase = .stopped
        if let key = instance.key {
            if agent.keyed[key] === instance { agent.keyed[key] = nil }
        } else if agent.singleton === instance {
            agent.singleton = nil
        }
        loop.agentStopped(instance)
        flushRepeatedErrors(instance)
        if agent.durable { loop.durability?.stopped(instance) }
    }
}

/// An error that keeps coming back from one agent, and how many times it came back.
final class ErrorRepeat {
    let signature: String
    let place: String
    var count = 0
    /// The count last printed.
    var reported = 0
    init(signature: String, place: String) {
        self.signature = signature
        self.place = place
    }
}
