import Collections
import KeelSyntax

/// An agent declaration at run time: its fields, handlers, tasks, hooks and attributes, and its
/// live instances. `A` addresses the singleton instance; `A["alice"]` the instance keyed "alice"
/// (made on demand by the first message to it). Each instance has its own state, mailbox,
/// schedules and turns (`AgentInstance`).
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
    @exclusivity(unchecked) private(set) var fieldChecks: [QuickCheck] = []
    /// A state field's position, by name.
    @exclusivity(unchecked) private(set) var fieldIndex: [String: Int] = [:]
    @exclusivity(unchecked) var handlers: [String: FunctionProto] = [:]
    @exclusivity(unchecked) var tasks: [String: FunctionProto] = [:]
    @exclusivity(unchecked) var onStart: FunctionProto?
    @exclusivity(unchecked) var onStop: FunctionProto?
    /// `@durable`: its state and named schedules live in the store (when the run has one).
    @exclusivity(unchecked) var durable = false
    /// `@memory`: where `std/memory` keeps what it remembers.
    @exclusivity(unchecked) var memory = MemoryScope.session
    /// `@tools all` sets `allowAll`; otherwise only the listed entries (deny by default).
    @exclusivity(unchecked) var allowAll = false
    @exclusivity(unchecked) var tools: [ToolEntry] = []
    /// `@role`, `@model`, `@team`, `@idle` and user attributes: evaluated when an instance is made.
    var attributes: [(String, FunctionProto)] = []
    let file: SourceFile
    let span: Span

    /// The live singleton instance (`A`), if any.
    var singleton: AgentInstance?
    /// The live keyed instances (`A["alice"]`), by key.
    @exclusivity(unchecked) var keyed: [MapKey: AgentInstance] = [:]

    init(name: String, file: SourceFile, span: Span) {
        self.name = name
        self.file = file
        self.span = span
    }

    /// The instance with `key` (nil: the singleton) that is in memory now (starting, live or
    /// stopping).
    @inline(__always)
    func instance(_ key: MapKey?) -> AgentInstance? {
        guard let key else { return singleton }
        return keyed.isEmpty ? nil : keyed[key]
    }

    /// Whether the singleton is live.
    var isLive: Bool { singleton?.accepting ?? false }

    /// `@tools` without `if` guards allow the same every turn: computed once.
    var staticAllowed: Set<String>?

    /// What `@tools` allows without evaluating any `if` guard (for state defaults and attributes).
    var unguardedTools: Set<String> {
        Set(tools.filter { $0.condition == nil }.map { entry in entry.member.map { "\(entry.module).\($0)" } ?? entry.module })
    }

    /// How an address of this agent reads: `A`, `A["alice"]`, `A[42]`.
    func label(_ key: MapKey?) -> String {
        guard let key else { return name }
        switch key {
        case .str(let s): return "\(name)[\(JSON.quote(s))]"
        case .int(let i): return "\(name)[\(i)]"
        case .bool(let b): return "\(name)[\(b)]"
        }
    }
}

/// `A["alice"]`: the address of the instance of `A` keyed "alice", whether or not it is live
/// (a message to it makes it).
package final class AgentAddress {
    let info: AgentInfo
    let key: MapKey
    init(info: AgentInfo, key: MapKey) {
        self.info = info
        self.key = key
    }
}

/// One instance of an agent: its state, attribute values, schedules, mailbox and turns. At most
/// one turn of an instance runs (or is parked) at a time; `stop` ends it for good (a new `run`
/// or message makes a new instance).
package final class AgentInstance {
    unowned let info: AgentInfo
    /// Its key (`A["alice"]`), or nil for the singleton.
    let key: MapKey?
    enum Phase {
        /// Made, its state defaults and `@on_start` not yet run (or running).
        case starting
        case live
        /// `stop` has begun: its mailbox is dropped, `@on_stop` runs; no other turn of it runs.
        case stopping
        /// Gone: nothing of it runs again.
        case stopped
    }
    @exclusivity(unchecked) var phase = Phase.starting
    /// State field values, by the field's position in `info.stateFields`.
    @exclusivity(unchecked) var state: [Value] = []
    @exclusivity(unchecked) var attributeValues: [String: Value] = [:]
    @exclusivity(unchecked) var schedules: [Schedule] = []
    /// Its schedules that have a `name:`.
    @exclusivity(unchecked) var namedSchedules: [String: Schedule] = [:]
    /// Events waiting for this instance, oldest first. Each holds a slot of the shared queue.
    @exclusivity(unchecked) var mailbox = Deque<Event>()
    /// A turn of it (a handler, a closure, `@on_start`, `@on_stop`) is running or suspended.
    @exclusivity(unchecked) var busy = false
    /// It is in the loop's list of instances with work to do.
    @exclusivity(unchecked) var queued = false
    /// Made by a message (`A["k"]` not live): its state and `@on_start` run as its first turn,
    /// before the message.
    @exclusivity(unchecked) var needsStart = false
    /// Its place in the loop's list of live instances (see `LiveAgents`).
    @exclusivity(unchecked) var liveSlot: Int?
    /// Capabilities for the current turn: module names and `module.member` names.
    @exclusivity(unchecked) var allowedNow: Set<String> = []
    /// Fibers parked in turns of this instance (its own turns, tasks it spawned), woken to unwind
    /// when it stops.
    @exclusivity(unchecked) var parked: [Fiber] = []
    /// The fiber running its `@on_stop` (it may park there; it is not unwound with the others).
    var stopHookFiber: Fiber?
    /// A durable agent's state as last committed (a failed turn goes back to it); nil before the
    /// first commit.
    @exclusivity(unchecked) var committedState: [Value]?
    /// Durable schedules removed since the last commit (their rows go).
    var removedDurableSchedules: [String] = []
    /// The wake time (wall ns) the store last got for it.
    var wakeCommitted: Int64?
    /// Messages a durable instance sent that wait for the commit of the turn that sent them
    /// (group commit: nobody sees a turn's effects before it is durable).
    @exclusivity(unchecked) var outbox: [(AgentInstance, Event)] = []
    /// Handlers as callable values, made once per instance rather than once per event (each
    /// holds the instance: emptied when it stops).
    @exclusivity(unchecked) var handlerValues: [String: (Value, Bool)] = [:]
    @exclusivity(unchecked) var messageHandler: (Value, Bool)?
    /// With `@idle`: when its last turn ended (monotonic ns), and whether an idle check is armed.
    @exclusivity(unchecked) var lastActive: Int64 = 0
    @exclusivity(unchecked) var idleCheckArmed = false

    init(info: AgentInfo, key: MapKey?) {
        self.info = info
        self.key = key
    }

    /// Starting or live: events are delivered to it and its schedules fire.
    var accepting: Bool { phase == .starting || phase == .live }

    /// `A` or `A["alice"]`, as messages name it.
    var label: String { info.label(key) }

    /// Its identity in a durable store: the agent's name, or `A["alice"]` for a keyed instance.
    var storeId: String { info.label(key) }

    /// `self` inside its code.
    var selfValue: Value { .instance(self) }

    /// Whether a turn of it that reaches a suspension point (or comes back from a call into
    /// other code) on `fiber` must end: it stopped, or is stopping and this is not its `@on_stop`.
    func ended(on fiber: Fiber?) -> Bool {
        switch phase {
        case .starting, .live: return false
        case .stopped: return true
        case .stopping: return fiber == nil || fiber !== stopHookFiber
        }
    }

    /// `on <name>` as a callable bound to this instance, and whether it takes the payload.
    func handler(_ name: String) -> (Value, Bool)? {
        if name == "message", let h = messageHandler { return h }   // the common case, without hashing
        if let h = handlerValues[name] { return h }
        guard let proto = info.handlers[name] else { return nil }
        let h = (Value.function(Function(proto: proto, upvalues: [], selfValue: selfValue)), !proto.params.isEmpty)
        handlerValues[name] = h
        if name == "message" { messageHandler = h }
        return h
    }

    /// Lets go of the values that refer back to it (handlers bound to it).
    func releaseBindings() {
        handlerValues.removeAll()
        messageHandler = nil
    }
}

/// Something for an agent instance to do.
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
        guard let instance = turn.instance, !instance.info.allowAll else { return }
        if instance.allowedNow.contains(module) || instance.allowedNow.contains(qualified) { return }
        throw KeelError("CapabilityError",
                        "`\(module).\(member)` is not allowed by @tools on \(instance.info.name) — add `\(module)` to @tools, or use `@tools all`")
    }

    /// Evaluates the `@tools` entries (and their `if` guards) at the start of a turn.
    func computeCapabilities(_ instance: AgentInstance) throws {
        let agent = instance.info
        guard !agent.allowAll else { return }
        if let fixed = agent.staticAllowed {
            instance.allowedNow = fixed
            return
        }
        var allowed = Set<String>()
        for entry in agent.tools {
            if let cond = entry.condition {
                let fn = Function(proto: cond, upvalues: [], selfValue: instance.selfValue)
                guard try call(.function(fn), []).isTruthy else { continue }
            }
            allowed.insert(entry.member.map { "\(entry.module).\($0)" } ?? entry.module)
        }
        instance.allowedNow = allowed
        if !agent.tools.contains(where: { $0.condition != nil }) { agent.staticAllowed = allowed }
    }

    // MARK: self

    /// The agent and key a value addresses: `self`, `A` (the singleton), `A["k"]`.
    func agentAddress(_ v: Value) -> (AgentInfo, MapKey?)? { Value.agentAddress(v) }

    /// The instance a value addresses, when it is in memory (`self` is always its own).
    func liveInstance(_ v: Value) -> AgentInstance? {
        if case .instance(let i) = v { return i }
        guard let (agent, key) = agentAddress(v) else { return nil }
        return agent.instance(key)
    }

    /// `A.field`, `A["k"].field`, `self.field`: a state field, an attribute, `key`, a handler
    /// reference (for `delegate`) or a task bound to the instance.
    func agentField(_ target: Value, _ name: String) throws -> Value {
        guard let (agent, key) = agentAddress(target) else {
            throw KeelError(ErrorKind.base, "`self` is only available inside an agent")
        }
        if agent.handlers[name] != nil && agent.fieldIndex[name] == nil {
            // `A.handler` names a handler to `delegate` to, live or not.
            return .structure(StructValue(typeName: "HandlerRef", fields: ["agent": target, "handler": .str(name)]))
        }
        if name == "key" && agent.fieldIndex[name] == nil { return key?.value ?? .none }
        guard let instance = liveInstance(target), instance.phase != .stopped else {
            throw KeelError(ErrorKind.base, "agent \(agent.label(key)) is not running")
        }
        if let i = agent.fieldIndex[name] {
            guard i < instance.state.count else { throw KeelError(ErrorKind.base, "agent \(agent.label(key)) is not running yet") }
            return instance.state[i]
        }
        if let v = instance.attributeValues[name] { return v }
        if let t = agent.tasks[name] { return .function(Function(proto: t, upvalues: [], selfValue: instance.selfValue)) }
        throw KeelError(ErrorKind.type, "agent \(agent.name) has no state field `\(name)`")
    }

    func setAgentField(_ target: Value, _ name: String, _ v: Value) throws {
        guard let (agent, key) = agentAddress(target) else {
            throw KeelError(ErrorKind.base, "`self` is only available inside an agent")
        }
        guard let instance = liveInstance(target), instance.phase != .stopped else {
            throw KeelError(ErrorKind.base, "agent \(agent.label(key)) is not running")
        }
        guard let slot = agent.fieldIndex[name] else {
            throw KeelError(ErrorKind.type, "agent \(agent.name) has no state field `\(name)`")
        }
        try setStateSlot(instance, slot, v)
    }

    /// `self.field` as compiled inside the agent: the field's position is known.
    @inline(__always)
    func stateSlot(_ selfValue: Value, _ slot: Int, _ name: String) throws -> Value {
        guard case .instance(let instance) = selfValue, slot < instance.state.count, instance.phase != .stopped else {
            return try selfField(selfValue, name)
        }
        return instance.state[slot]
    }

    func setStateSlot(_ instance: AgentInstance, _ slot: Int, _ v: Value) throws {
        let agent = instance.info
        guard slot < instance.state.count, instance.phase != .stopped else {
            throw KeelError(ErrorKind.base, "agent \(instance.label) is not running")
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
