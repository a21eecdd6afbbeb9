import KeelSyntax

extension Interpreter {
    /// One event for one agent, on its fiber: a message handler or a scheduled closure.
    func runTurn(_ agent: AgentInfo, _ instance: AgentInstance, _ event: Event) {
        currentAgent = agent
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
        } catch {
            reportAgentError(KeelError(ErrorKind.base, "\(error)"), agent, "turn")
        }
    }

    /// Prints an error from an agent's turn; the agent goes on with its next event unless the run
    /// is fail-fast.
    func reportAgentError(_ e: KeelError, _ agent: AgentInfo, _ label: String) {
        options.errorOutput(e.render(color: color) + "\n  in agent \(agent.name), \(label)")
        if let runtime = runtimeIfStarted, runtime.failFast, runtime.fatalError == nil { runtime.fatalError = e }
    }

    /// `run(A)`: a new instance with its state defaults, then `@on_start` inside this call.
    func startAgent(_ agent: AgentInfo) throws {
        if agent.isLive { try stopAgent(agent, runHook: false) }
        let instance = AgentInstance(info: agent)
        instance.state.reserveCapacity(agent.stateFields.count)
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
        agent.instance = instance
        runtime.agentStarted(agent)
        guard let onStart = agent.onStart else { return }
        let previous = currentAgent
        let wasBusy = agent.busy
        currentAgent = agent
        agent.busy = true
        defer {
            currentAgent = previous
            agent.busy = wasBusy
            runtime.queueIfReady(agent)   // events that arrived during @on_start
        }
        try computeCapabilities(agent)
        _ = try call(.function(Function(proto: onStart, upvalues: [], selfValue: .agent(agent))), [])
    }

    /// `stop(A)`: `@on_stop` runs in the agent's context, then the instance ends with its schedules.
    func stopAgent(_ agent: AgentInfo, runHook: Bool = true) throws {
        guard let instance = agent.instance else { return }
        defer {
            if agent.instance === instance {
                agent.instance = nil
                runtime.agentStopped(agent, instance)
            }
        }
        guard runHook, let onStop = agent.onStop else { return }
        let previous = currentAgent
        currentAgent = agent
        defer { currentAgent = previous }
        try computeCapabilities(agent)
        _ = try call(.function(Function(proto: onStop, upvalues: [], selfValue: .agent(agent))), [])
    }

    /// The built-in agent verbs: `run`, `stop`, `send`, `delegate`, `broadcast`.
    func installAgentVerbs() {
        func agentArg(_ call: NativeCall, _ i: Int) throws -> AgentInfo {
            let v = try call.arg(i)
            guard case .agent(let a) = v else { throw call.typeError(i, "an agent", v) }
            return a
        }
        define("run") { call in
            try call.interpreter.startAgent(try agentArg(call, 0))
            return .none
        }
        define("stop") { call in
            try call.interpreter.stopAgent(try agentArg(call, 0))
            return .none
        }
        define("send") { call in
            let agent = try agentArg(call, 0)
            let event = try call.optional(2, "event").map { v -> String in
                guard case .str(let s) = v else { throw call.typeError(2, "str", v) }
                return s
            } ?? "message"
            try call.interpreter.runtime.send(agent, event: event, payload: call.optional(1) ?? .none)
            return .none
        }
        define("delegate") { call in
            let target = try call.arg(0)
            // `delegate(A.handler, data)`, or the older `delegate(A, "handler", data)`.
            if case .structure(let ref) = target, ref.typeName == "HandlerRef",
               case .agent(let agent)? = ref.fields["agent"], case .str(let handler)? = ref.fields["handler"] {
                try call.interpreter.runtime.send(agent, event: handler, payload: call.optional(1) ?? .none)
                return .none
            }
            let agent = try agentArg(call, 0)
            let handler = try call.string(1)
            try call.interpreter.runtime.send(agent, event: handler, payload: call.optional(2) ?? .none)
            return .none
        }
        define("broadcast") { call in
            let team = try call.string(0)
            let payload = call.optional(1) ?? .none
            let event = try call.optional(2, "event").map { v -> String in
                guard case .str(let s) = v else { throw call.typeError(2, "str", v) }
                return s
            } ?? "message"
            let runtime = call.interpreter.runtime
            var reached = 0
            for agent in runtime.liveAgentList {
                guard let inst = agent.instance, case .list(let teams)? = inst.attributeValues["team"],
                      teams.contains(.str(team)) else { continue }
                try runtime.send(agent, event: event, payload: payload)
                reached += 1
            }
            return .int(reached)
        }
    }
}
