import KeelSyntax

extension Interpreter {
    /// One event for one agent, on its fiber: a message handler or a scheduled closure.
    func runTurn(_ agent: AgentInfo, _ instance: AgentInstance, _ event: Event) {
        do {
            try computeCapabilities(agent)
            switch event.kind {
            case .message(let name, let payload):
                guard let (handler, takesPayload) = agent.handler(name) else { return }   // no such handler: dropped
                _ = try call(handler, takesPayload ? [payload] : [])
            case .closure(let callback, let schedule, _):
                if let schedule {
                    guard schedule.live else { return }   // cancelled while it waited
                    schedule.started()
                }
                _ = try call(callback, [])
            }
        } catch let e as KeelError {
            let label: String
            switch event.kind {
            case .message(let name, _): label = "handler `\(name)`"
            case .closure: label = "scheduled closure"
            }
            reportAgentError(e, agent, label)
        } catch is ShutdownSignal {
            // The run is ending while this turn was parked: it just unwinds.
        } catch is TurnEnded {
            // Its instance stopped while this turn was parked: it just unwinds.
        } catch {
            reportAgentError(KeelError(ErrorKind.base, "\(error)"), agent, "turn")
        }
    }

    /// Prints an error from an agent's turn; the agent goes on with its next event unless the run
    /// is fail-fast.
    func reportAgentError(_ e: KeelError, _ agent: AgentInfo, _ label: String) {
        options.errorOutput(e.render(color: color) + "\n  in agent \(agent.name), \(label)")
        if let loop = loopIfStarted, loop.failFast, loop.fatalError == nil { loop.fatalError = e }
    }

    /// `run(A)`: a new instance with its state defaults, then `@on_start` inside this call.
    func startAgent(_ agent: AgentInfo) throws {
        if agent.isLive { try stopAgent(agent, runHook: false) }
        let instance = AgentInstance(info: agent)
        instance.state.reserveCapacity(agent.stateFields.count)
        // Defaults and attribute values run as the agent, under its own @tools (those without an
        // `if` guard: a guard may read state that does not exist yet).
        try acting(as: agent) {
            agent.allowedNow = agent.unguardedTools
            for field in agent.stateFields {
                var v = try call(.function(Function(proto: field.initial, upvalues: [], selfValue: .undefined)), [])
                if let t = field.type {
                    guard let c = t.coerce(v) else {
                        throw KeelError(ErrorKind.type, "state field `\(field.name)` of \(agent.name): expected \(t.description), got \(v.typeName)")
                    }
                    v = c
                }
                instance.state.append(v)
            }
            for (name, proto) in agent.attributes {
                instance.attributeValues[name] = try call(.function(Function(proto: proto, upvalues: [], selfValue: .agent(agent))), [])
            }
        }
        agent.instance = instance
        loop.agentStarted(agent)
        guard let onStart = agent.onStart else { return }
        let wasBusy = agent.busy
        agent.busy = true
        defer {
            agent.busy = wasBusy
            loop.queueIfReady(agent)   // events that arrived during @on_start
        }
        try acting(as: agent) {
            try computeCapabilities(agent)
            _ = try call(.function(Function(proto: onStart, upvalues: [], selfValue: .agent(agent))), [])
        }
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
            }
        }
        guard runHook, let onStop = agent.onStop else { return }
        try acting(as: agent) {
            try computeCapabilities(agent)
            _ = try call(.function(Function(proto: onStop, upvalues: [], selfValue: .agent(agent))), [])
        }
    }
}
