import Foundation
import KeelSyntax

/// Driving the interpreter from a host program, a step at a time. Every operation runs on the
/// event loop as a host job (on a fiber with a deep stack, serialised with agents' turns), so Keel
/// code started from Swift behaves exactly as it does under `keel run`. Call these from one
/// thread at a time; the loop runs only inside them.
extension Interpreter {
    /// Compiles `source` and runs its top-level statements on the loop; returns the value of the
    /// last statement. Declarations stay for later calls. Throws `DiagnosticList` or `KeelError`.
    @discardableResult
    package func evaluate(_ source: String, path: String = "<host>") throws -> Value {
        let file = SourceFile(path: path, text: source)
        return try loop.perform { [unowned self] in try self.execute(try self.compile(file)) }
    }

    /// Calls a Keel function value on the loop (see `call(_:_:)` for calling inline).
    package func invoke(_ callee: Value, _ arguments: [Value]) throws -> Value {
        try loop.perform { [unowned self] in try self.call(callee, arguments) }
    }

    /// `run(A)` from the host: starts the agent declared as `name` (its `@on_start` runs now).
    package func startAgent(named name: String) throws {
        let agent = try agentDeclaration(name)
        _ = try loop.perform { [unowned self] in
            try self.startAgent(agent, key: nil)
            return .none
        }
    }

    /// `send(A, payload, event: handler)` from the host: the event waits in the agent's mailbox
    /// until the loop runs. Throws `RuntimeBusy` when the queue is full.
    package func send(to name: String, _ payload: Value, handler: String = "message") throws {
        let agent = try agentDeclaration(name)
        _ = try loop.perform { [unowned self] in
            try self.loop.send(agent, key: nil, event: handler, payload: payload)
            return .none
        }
    }

    /// `stop(A)` for every live agent (each `@on_stop` runs), as at the end of a run.
    package func stopAllAgents() {
        _ = try? loop.perform { [unowned self] in
            self.loop.stopAllAgents()
            return .none
        }
    }

    /// Runs everything that is ready now: events, due timers, woken turns. The clock is not moved.
    /// Returns 0, or 1 after a fatal error (fail-fast), or 128+signal.
    @discardableResult
    package func runUntilIdle() -> Int32 { loop.drive(.idle) }

    /// Runs the loop for `nanoseconds` of clock time: on a virtual clock the time jumps from
    /// deadline to deadline (a year of schedules takes milliseconds); on the real clock it waits.
    @discardableResult
    package func advance(by nanoseconds: Int64) -> Int32 {
        loop.drive(.time(loop.time.monotonicNow.saturatingAdd(max(0, nanoseconds))))
    }

    /// Runs until no agent is live, as `keel run` does after the top-level statements.
    @discardableResult
    package func runUntilNoAgents() -> Int32 { loop.drive(.noAgents) }

    /// Ends the event loop for good: parked turns unwind and the loop's threads are released.
    /// Live agents are not stopped first; call `stopAllAgents()` for their `@on_stop`.
    package func shutdown() {
        loopIfStarted?.shutdown()
    }

    /// What is live: each agent with its schedules and when they fire next. Read it between loop
    /// runs (or from a host job).
    package var liveAgents: [AgentStatus] {
        guard let loop = loopIfStarted else { return [] }
        let now = loop.time.monotonicNow, wall = loop.time.wallNow
        return loop.liveAgentList.map { instance in
            let schedules = instance.schedules.filter(\.live).map { s in
                AgentStatus.Schedule(id: s.id, kind: s.kind.rawValue, detail: s.detail,
                                     nextFire: s.nextDeadline.map { wall.saturatingAdd($0.saturatingSubtract(now)) })
            }
            return AgentStatus(name: instance.label, pendingEvents: instance.mailbox.count, schedules: schedules)
        }
    }

    private func agentDeclaration(_ name: String) throws -> AgentInfo {
        guard case .agent(let agent)? = globals[name] else {
            throw KeelError(ErrorKind.undefined, "no agent named `\(name)` is declared")
        }
        return agent
    }
}

/// A live agent, as `Interpreter.liveAgents` and the REPL's `:agents` show it.
package struct AgentStatus: Equatable {
    /// One live schedule of the agent.
    package struct Schedule: Equatable {
        /// The schedule's id (as `schedule.every` returned it).
        package let id: Int
        /// `every`, `after`, `at` or `cron`.
        package let kind: String
        /// The interval or cron expression.
        package let detail: String
        /// When it fires next (wall-clock ns since 1970, on the interpreter's clock), if it will.
        package let nextFire: Int64?
    }
    /// The instance's name: the agent's declared name, or `A["k"]` for a keyed instance.
    package let name: String
    /// Events waiting in its mailbox.
    package let pendingEvents: Int
    /// Its live schedules, in the order they were made.
    package let schedules: [Schedule]
}
