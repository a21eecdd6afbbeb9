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
    func runTurn(_ agent: AgentInfo, _ instance: AgentInstance, _ event: Event) -> TurnOutcome {
        var outcome = TurnOutcome()
        do {
            try computeCapabilities(agent)
            switch event.kind {
            case .message(let name, let payload):
                guard let (handler, takesPayload) = agent.handler(name) else { return TurnOutcome(succeeded: true) }   // no such handler: dropped
                _ = try call(handler, takesPayload ? [payload] : [])
                outcome.succeeded = true
            case .tick(let schedule, let tick):
                if try runSchedule(schedule, tick, agent, Interpreter.label(event)) {
                    outcome = TurnOutcome(succeeded: true, fire: (schedule, tick))
                }
            }
        } catch let e as KeelError where e.kind == ErrorKind.interrupted && loop.stopRequested {
            // A signal stopped the run while this turn was busy: it unwinds silently.
        } catch let e as KeelError where e.kind == ErrorKind.outOfFuel {
            if loop.fatalError == nil { loop.fatalError = e }   // the budget is the whole run's
        } catch let e as KeelError {
            reportAgentError(e, agent, Interpreter.label(event))
        } catch is ShutdownSignal {
            // The run is ending while this turn was parked: it just unwinds.
        } catch is TurnEnded {
            // Its instance stopped while this turn was parked: it just unwinds.
        } catch {
            reportAgentError(KeelError(ErrorKind.base, "\(error)"), agent, "turn")
        }
        return outcome
    }

    /// One run of a schedule's callback, with its counters, history and retry; true if it ran and
    /// raised nothing.
    private func runSchedule(_ s: Schedule, _ tick: Tick, _ agent: AgentInfo, _ label: @autoclosure () -> String) throws -> Bool {
        guard let run = loop.runStarts(s, tick) else { return false }   // cancelled while it waited
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
            reportAgentError(e, agent, where_)
            return false
        } catch {
            _ = loop.runEnded(s, tick, run, failed: true)
            throw error
        }
    }

    /// The same error again and again (a closure that fails on every tick) is printed once, then
    /// counted: a line at 10, 100, 1,000, ... repeats, and the final count when something else
    /// happens or the agent stops.
    func reportAgentError(_ e: KeelError, _ agent: AgentInfo, _ label: String) {
        if let loop = loopIfStarted, loop.failFast, loop.fatalError == nil { loop.fatalError = e }
        let where_ = "in agent \(agent.name), \(label)"
        let signature = "\(where_)|\(e.kind)|\(e.message)|\(e.span.map { "\($0.start)" } ?? "")|\(e.file?.path ?? "")"
        let key = ObjectIdentifier(agent)
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
        flushRepeatedErrors(agent)
        options.errorOutput(e.render(color: color) + "\n  " + where_)
        errorRepeats[key] = ErrorRepeat(signature: signature, place: where_)
    }

    /// Prints how often the last error of `agent` repeated since it was last said.
    func flushRepeatedErrors(_ agent: AgentInfo) {
        guard let last = errorRepeats.removeValue(forKey: ObjectIdentifier(agent)), last.count > last.reported else { return }
        options.errorOutput("  (the same error \(Limits.formatCount(last.count)) more times \(last.place))")
    }

    /// At the end of a run: every agent's repeat count.
    func flushAllRepeatedErrors() {
        for last in errorRepeats.values where last.count > last.reported {
            options.errorOutput("  (the same error \(Limits.formatCount(last.count)) more times \(last.place))")
        }
        errorRepeats.removeAll()
    }

    /// `run(A)`: a new instance with its state defaults, then `@on_start` inside this call.
    func startAgent(_ agent: AgentInfo) throws {
        if agent.isLive { try stopAgent(agent, runHook: false) }
        // On a store several nodes share, it starts only on the node that holds its lease.
        if agent.durable, let durability = loop.durability, try !durability.claim(agent) { return }
        let instance = AgentInstance(info: agent)
        instance.state.reserveCapacity(agent.stateFields.count)
        // A durable agent's stored fields come from the store; a field's default runs only the
        // first time, or for a field added since.
        let durability = agent.durable ? loop.durability : nil
        let stored = try durability?.load(agent)
        var committed: [Value] = []
        // Defaults and attribute values run as the agent, under its own @tools (those without an
        // `if` guard: a guard may read state that does not exist yet).
        try acting(as: agent) {
            agent.allowedNow = agent.unguardedTools
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
                instance.attributeValues[name] = try call(.function(Function(proto: proto, upvalues: [], selfValue: .agent(agent))), [])
            }
        }
        if agent.durable { instance.committedState = committed }
        agent.instance = instance
        loop.agentStarted(agent)
        if let durability, let stored { try durability.restoreSchedules(stored, agent, instance) }
        let wasBusy = agent.busy
        agent.busy = true
        defer {
            agent.busy = wasBusy
            loop.queueIfReady(agent)   // events that arrived during @on_start
        }
        if let onStart = agent.onStart {
            try acting(as: agent) {
                try computeCapabilities(agent)
                _ = try call(.function(Function(proto: onStart, upvalues: [], selfValue: .agent(agent))), [])
            }
        }
        if let durability, agent.instance === instance { durability.commit(instance) }
    }

    /// Runs `body` as `agent` (its `self`, `@tools` and schedules) inside the running turn: an
    /// agent's `@on_start` and `@on_stop` run inside the `run`/`stop` call that caused them.
    func acting<T>(as agent: AgentInfo, _ body: () throws -> T) rethrows -> T {
        let previous = turn.agent
        turn.agent = agent
        defer { turn.agent = previous }
        return try body()
    }

    /// `stop(A)`: `@on_stop` runs in the agent's context, then the instance ends with its schedules.
    func stopAgent(_ agent: AgentInfo, runHook: Bool = true) throws {
        guard let instance = agent.instance, !instance.stopping else { return }
        instance.stopping = true
        defer {
            if agent.instance === instance {
                agent.instance = nil
                loop.agentStopped(agent, instance)
                flushRepeatedErrors(agent)
            }
        }
        guard runHook, let onStop = agent.onStop else {
            if agent.durable { loop.durability?.stopped(instance) }
            return
        }
        try acting(as: agent) {
            try computeCapabilities(agent)
            _ = try call(.function(Function(proto: onStop, upvalues: [], selfValue: .agent(agent))), [])
        }
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
