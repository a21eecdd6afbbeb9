import Collections
import KeelSyntax

/// An agent declaration at run time, and the mailbox its events wait in. At most one instance of
/// each agent is live; `send(A, x)` reaches whichever instance is live when the event is delivered.
package final class AgentInfo {
    package let name: String
    struct StateField {
        let name: String
        let readonly: Bool
        let type: RType?
        let initial: FunctionProto
    }
    struct ToolEntry {
        let module: String
        let member: String?
        let condition: FunctionProto?
    }
    /// State fields in declaration order; an instance's `state` holds their values by position.
    var stateFields: [StateField] = [] {
        didSet {
            fieldIndex = Dictionary(stateFields.enumerated().map { ($1.name, $0) }) { first, _ in first }
            fieldChecks = stateFields.map { $0.readonly ? .full : QuickCheck($0.type) }
        }
    }
    /// Per field, the quick check a write must pass (`.full`: take the slow path, which also
    /// rejects writes to readonly fields).
    private(set) var fieldChecks: [QuickCheck] = []
    /// A state field's position, by name.
    private(set) var fieldIndex: [String: Int] = [:]
    var handlers: [String: FunctionProto] = [:]
    var tasks: [String: FunctionProto] = [:]
    var onStart: FunctionProto?
    var onStop: FunctionProto?
    /// `@durable`: its state and named schedules live in the store (when the run has one).
    var durable = false
    /// `@memory`: where `std/memory` keeps what it remembers.
    var memory = MemoryScope.session
    /// `@tools all` sets `allowAll`; otherwise only the listed entries (deny by default).
    var allowAll = false
    var tools: [ToolEntry] = []
    /// `@role`, `@model`, `@team` and user attributes: evaluated when the agent is run.
    var attributes: [(String, FunctionProto)] = []
    let file: SourceFile
    let span: Span

    /// The live instance, if any.
    var instance: AgentInstance?
    /// Events waiting for this agent, oldest first. Each holds a slot of the shared queue.
    var mailbox = Deque<Event>()
    /// A turn (handler, closure, `@on_start`) is running or suspended.
    var busy = false
    /// The agent is in the loop's list of agents with work to do.
    var queued = false
    /// Its place in the loop's list of live agents (see `LiveAgents`).
    var liveSlot: Int?
    /// Capabilities for the current turn: module names and `module.member` names.
    var allowedNow: Set<String> = []

    init(name: String, file: SourceFile, span: Span) {
        self.name = name
        self.file = file
        self.span = span
    }

    var isLive: Bool { instance != nil }

    /// Handlers as callable values, made once per agent rather than once per event. (Each holds
    /// the agent, so the interpreter empties this when it goes: see `Interpreter.deinit`.)
    var handlerValues: [String: (Value, Bool)] = [:]
    var messageHandler: (Value, Bool)?

    /// `on <name>` as a callable bound to this agent, and whether it takes the payload.
    func handler(_ name: String) -> (Value, Bool)? {
        if name == "message", let h = messageHandler { return h }   // the common case, without hashing
        if let h = handlerValues[name] { return h }
        guard let proto = handlers[name] else { return nil }
        let h = (Value.function(Function(proto: proto, upvalues: [], selfValue: .agent(self))), !proto.params.isEmpty)
        handlerValues[name] = h
        if name == "message" { messageHandler = h }
        return h
    }

    /// `@tools` without `if` guards allow the same every turn: computed once.
    var staticAllowed: Set<String>?

    /// What `@tools` allows without evaluating any `if` guard (for state defaults and attributes).
    var unguardedTools: Set<String> {
        Set(tools.filter { $0.condition == nil }.map { entry in entry.member.map { "\(entry.module).\($0)" } ?? entry.module })
    }
}

/// One run of an agent: its state, attribute values and schedules.
package final class AgentInstance {
    unowned let info: AgentInfo
    /// State field values, by the field's position in `info.stateFields`.
    var state: [Value] = []
    var attributeValues: [String: Value] = [:]
    var schedules: [Schedule] = []
    /// Its schedules that have a `name:`.
    var namedSchedules: [String: Schedule] = [:]
    /// Set once `stop` has begun: a second `stop` (from `@on_stop { stop(self) }`) does nothing.
    var stopping = false
    /// Fibers parked in turns of this instance (its own turn, tasks it spawned), woken to unwind
    /// when it stops.
    var parked: [Fiber] = []
    /// A durable agent's state as last committed (a failed turn goes back to it); nil before the
    /// first commit.
    var committedState: [Value]?
    /// Durable schedules removed since the last commit (their rows go).
    var removedDurableSchedules: [String] = []
    init(info: AgentInfo) { self.info = info }
}

/// Something for an agent to do.
struct Event {
    enum Kind {
        /// `send`/`delegate`/`broadcast`: run handler `on <name>`.
        case message(name: String, payload: Value)
        /// A run of a schedule's callback (a tick, or a retry); it belongs to the schedule's instance.
        case tick(Schedule, Tick)
    }
    let kind: Kind
    /// When a scheduled event came due (monotonic ns), for lateness statistics; 0 for messages.
    var due: Int64 = 0
    /// A message that came through a shared store's inbox: it leaves the inbox with the commit of
    /// the turn that handles it.
    var inboxId: Int64? = nil
}

extension Interpreter {
    /// Raises `CapabilityError` when the current agent's `@tools` does not allow `module.member`
    /// (a call into an effectful module: see `NativeFunction.gated`).
    func checkCapability(module: String, member: String, qualified: String) throws {
        guard let agent = turn.agent, !agent.allowAll else { return }
        if agent.allowedNow.contains(module) || agent.allowedNow.contains(qualified) { return }
        throw KeelError("CapabilityError",
                        "`\(module).\(member)` is not allowed by @tools on \(agent.name) — add `\(module)` to @tools, or use `@tools all`")
    }

    /// Evaluates the `@tools` entries (and their `if` guards) at the start of a turn.
    func computeCapabilities(_ agent: AgentInfo) throws {
        guard !agent.allowAll else { return }
        if let fixed = agent.staticAllowed {
            agent.allowedNow = fixed
            return
        }
        var allowed = Set<String>()
        for entry in agent.tools {
            if let cond = entry.condition {
                let fn = Function(proto: cond, upvalues: [], selfValue: .agent(agent))
                guard try call(.function(fn), []).isTruthy else { continue }
            }
            allowed.insert(entry.member.map { "\(entry.module).\($0)" } ?? entry.module)
        }
        agent.allowedNow = allowed
        if !agent.tools.contains(where: { $0.condition != nil }) { agent.staticAllowed = allowed }
    }

    // MARK: self

    func agentField(_ agent: AgentInfo, _ name: String) throws -> Value {
        guard let instance = agent.instance else {
            throw KeelError(ErrorKind.base, "agent \(agent.name) is not running")
        }
        if let i = agent.fieldIndex[name] { return instance.state[i] }
        if let v = instance.attributeValues[name] { return v }
        if agent.handlers[name] != nil {
            return .structure(StructValue(typeName: "HandlerRef", fields: ["agent": .agent(agent), "handler": .str(name)]))
        }
        if let t = agent.tasks[name] { return .function(Function(proto: t, upvalues: [], selfValue: .agent(agent))) }
        throw KeelError(ErrorKind.type, "agent \(agent.name) has no state field `\(name)`")
    }

    func setAgentField(_ agent: AgentInfo, _ name: String, _ v: Value) throws {
        guard let slot = agent.fieldIndex[name] else {
            if agent.instance == nil { throw KeelError(ErrorKind.base, "agent \(agent.name) is not running") }
            throw KeelError(ErrorKind.type, "agent \(agent.name) has no state field `\(name)`")
        }
        try setStateSlot(agent, slot, v)
    }

    /// `self.field` as compiled inside the agent: the field's position is known.
    @inline(__always)
    func stateSlot(_ selfValue: Value, _ slot: Int, _ name: String) throws -> Value {
        guard case .agent(let agent) = selfValue, let instance = agent.instance, slot < instance.state.count else {
            return try selfField(selfValue, name)
        }
        return instance.state[slot]
    }

    func setStateSlot(_ agent: AgentInfo, _ slot: Int, _ v: Value) throws {
        guard let instance = agent.instance, slot < instance.state.count else {
            throw KeelError(ErrorKind.base, "agent \(agent.name) is not running")
        }
        let check = agent.fieldChecks[slot]
        if check != .full, let c = check.check(v, nil) {
            instance.state[slot] = c
            return
        }
        let field = agent.stateFields[slot]
        if field.readonly { throw KeelError(ErrorKind.type, "state field `\(field.name)` of \(agent.name) is readonly") }
        var value = v
        if let t = field.type {
            guard let c = t.coerce(v) else {
                throw KeelError(ErrorKind.type, "state field `\(field.name)`: expected \(t.description), got \(v.typeName)")
            }
            value = c
        }
        instance.state[slot] = value
    }
}
