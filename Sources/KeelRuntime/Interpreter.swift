import Foundation
import KeelSyntax
import Synchronization

/// The interpreter's version, as `keel --version` prints it.
package enum KeelVersion {
    package static let string = "0.2.0"
}

/// Where each default lives: the command line, KeelKit and the engine all read them here.
package enum InterpreterDefaults {
    /// Events that may wait in all mailboxes together.
    package static let queueCapacity = 1024
    /// The deepest chain of task calls before a `RecursionError`.
    package static let maxCallDepth = 10_000
    /// How long a finished durable one-shot stays in the store: 30 days.
    package static let retention: Int64 = 30 * 86_400_000_000_000
    /// Std modules a sandboxed host still grants: the pure ones, plus `io`'s printing and `log`.
    package static var sandboxStdModules: [String] { StdModule.pure + ["io", "log"] }
    /// Every std module's name.
    package static var stdModules: [String] { StdModule.names }
}

/// One Keel interpreter: its globals, types, modules and output. Nothing is shared between
/// interpreters, so several can live in one process.
package final class Interpreter {
    package struct Options {
        /// Where program output goes (one call per line, without the newline).
        package var output: (String) -> Void = { print($0) }
        /// Where diagnostics and uncaught handler errors go.
        package var errorOutput: (String) -> Void = { FileHandle.standardError.write(($0 + "\n").data(using: .utf8)!) }
        /// The deepest chain of task calls before a `RecursionError`.
        package var maxCallDepth = InterpreterDefaults.maxCallDepth
        /// The event queue's capacity (events waiting in all agents' mailboxes).
        package var queueCapacity = InterpreterDefaults.queueCapacity
        /// The clock; nil means the real one.
        package var time: TimeSource?
        /// End the run at the first uncaught error in a handler or scheduled closure.
        package var failFast = false
        /// With a virtual clock: stop when this much virtual time has passed.
        package var until: Int64?
        /// Exit after this long (ns) without events, on the real clock (`KEEL_ONESHOT`).
        package var idleExit: Int64?
        /// Collect statistics (events run, ticks dropped, lateness) and print them at exit.
        package var stats = false
        /// Reads one line of input for `io.ask`/`io.confirm` (nil at the end of input). Called on a
        /// separate thread, so a turn waiting for input holds up only its own agent.
        package var readLine: @Sendable () -> String? = { Swift.readLine(strippingNewline: true) }
        /// A budget of steps (calls and loop iterations, counted in blocks of 1024) after which the
        /// run stops with `OutOfFuel` (which `try` cannot catch); nil: no limit. For fuzzing.
        package var fuel: Int?
        /// The environment `std/env` reads (and `KEEL_SEED`, `KEEL_LOG_LEVEL`).
        package var environment: [String: String] = ProcessInfo.processInfo.environment
        /// Std modules programs may not `use`, each with why and what would allow it (a compile
        /// error at the `use`; not pre-bound in a REPL session).
        package var refusedStdModules: [String: String] = [:]
        /// Where `use "x.keel"` modules come from.
        package var modules: ModuleLoader = FileSystemModules()
        /// Folders `std/file` may touch (judged after links and `..` are resolved); nil: anywhere.
        package var fileRoots: [String]?
        /// Why standard input is refused (`io.ask` raises `CapabilityError`); nil: it can be read.
        package var inputRefusal: String?
        /// Where `@durable` agents keep their state and named schedules; nil: in memory only.
        package var store: DurableStore?
        /// How long a finished durable one-shot stays in the store (ns).
        package var retention: Int64 = InterpreterDefaults.retention
        /// The program's file (for `@memory persistent` without a store); nil in the REPL or a host.
        package var programPath: String?
        /// The namespace of `@memory persistent` without a store (see `PersistentMemory`); nil:
        /// from `programPath`, or `repl`.
        package var memoryNamespace: String?
        package init() {}
    }

    package let options: Options
    let globals = GlobalTable()
    @exclusivity(unchecked) var types: [String: TypeInfo] = [:]
    @exclusivity(unchecked) var impls: [String: [String: Function]] = [:]
    @exclusivity(unchecked) var maxCallDepth: Int
    var fileModules: [String: ModuleValue] = [:]
    var stdModules: [String: ModuleValue] = [:]
    /// Modules registered by the embedding program (`use host/<name>`).
    var hostModules: [String: ModuleValue] = [:]
    var loadingModules: [String] = []
    /// State of the std modules (`ModuleState`), by type.
    var moduleStates: [ObjectIdentifier: AnyObject] = [:]
    /// The running turn (see `TurnContext`).
    @exclusivity(unchecked) var turn = TurnContext.idle
    /// The last error each agent reported, to fold repeats (see `reportAgentError`).
    @exclusivity(unchecked) var errorRepeats: [ObjectIdentifier: ErrorRepeat] = [:]
    /// Whether diagnostics use colour.
    package var color = false
    @exclusivity(unchecked) var loopIfStarted: EventLoop?
    /// The event loop, made on first use.
    package var loop: EventLoop {
        if let r = loopIfStarted { return r }
        let time = options.time ?? RealTime()
        let r = EventLoop(interpreter: self, time: time, capacity: options.queueCapacity)
        r.failFast = options.failFast
        r.stopAt = options.until.map { time.monotonicNow.saturatingAdd($0) }
        r.idleExit = options.idleExit
        if let store = options.store { r.durability = Durability(store: store, loop: r) }
        if options.stats { r.lateness = [] }
        loopIfStarted = r
        return r
    }
    /// Idle frames, reused by calls (see `Frame`).
    @exclusivity(unchecked) var framePool: [Frame] = []
    /// Set from another thread (Ctrl-C in the REPL, through `EventLoop.interrupt`) to stop the Keel
    /// code running now; the first loop iteration that sees it takes it and raises `Interrupted`.
    let interruptFlag = Atomic<Bool>(false)

    package init(options: Options = Options()) {
        self.options = options
        self.maxCallDepth = options.maxCallDepth
        fuel = options.fuel
        installBuiltins()
    }

    deinit {
        // A loop still resting (a host that never called shutdown) lets its threads go.
        loopIfStarted?.shutdown()
        // Instances' cached handler values refer back to their instance; break those cycles.
        let modules = fileModules.values.flatMap { $0.members.values }
        for case .agent(let agent) in globals.allValues + modules {
            agent.singleton?.releaseBindings()
            for instance in agent.keyed.values { instance.releaseBindings() }
        }
    }

    package func write(_ line: String) { options.output(line) }

    /// A frame for a call of `fn`: from the pool when one is big enough.
    @inline(__always)
    func acquireFrame(_ fn: Function) -> Frame {
        let count = fn.proto.localCount
        if let f = framePool.popLast() {
            if f.capacity >= count {
                f.reuse(function: fn, localCount: count, selfValue: fn.selfValue)
                return f
            }
        }
        return Frame(interpreter: self, function: fn, localCount: count, selfValue: fn.selfValue)
    }

    @inline(__always)
    func releaseFrame(_ f: Frame) {
        f.clear()
        if framePool.count < 256 { framePool.append(f) }
    }

    /// Every call and loop iteration counts down; at zero, `attend` looks at what can stop the
    /// running code (an interrupt, a time limit, the fuel budget). A decrement per call is the
    /// whole cost on the hot path; the clock is read once per `attentionInterval` steps.
    @exclusivity(unchecked) var attentionCountdown = Interpreter.attentionInterval
    static let attentionInterval = 1024
    /// With `Options.fuel`: steps (calls and loop iterations) left before the run is stopped.
    var fuel: Int?

    @inline(__always)
    func attention(_ span: Span, _ f: Frame) throws {
        attentionCountdown &-= 1
        if attentionCountdown <= 0 { try locateSpan(span, f) { try attend() } }
    }

    /// The same check for code that has no node (native loops such as `map` or `sort`, regex
    /// matching): the error gets the location of the call that reached the native.
    @inline(__always)
    func poll() throws {
        attentionCountdown &-= 1
        if attentionCountdown <= 0 { try attend() }
    }

    /// Raises `Interrupted` (a host, Ctrl-C, a signal), the error of a `control` time limit that has
    /// passed, or `OutOfFuel` when the fuel budget is spent (neither of those two can be caught).
    func attend() throws {
        attentionCountdown = Interpreter.attentionInterval
        if let loop = loopIfStarted {
            loop.time.charge(VirtualTime.stepsCost)
            loop.durability?.renewIfDue()
        }
        if interruptFlag.load(ordering: .relaxed), interruptFlag.exchange(false, ordering: .relaxed) {
            throw KeelError(ErrorKind.interrupted, "interrupted")
        }
        if !turn.deadlines.isEmpty, let limit = turn.deadlines.min(by: { $0.at < $1.at }), loop.time.monotonicNow >= limit.at {
            throw KeelError(limit.kind, limit.message)
        }
        if let left = fuel {
            fuel = left - Interpreter.attentionInterval
            if left <= 0 { throw KeelError(ErrorKind.outOfFuel, "the run used up its fuel (\(options.fuel ?? 0) steps)") }
        }
    }

    // MARK: running programs

    /// Parses and resolves a file; throws `DiagnosticList` listing every problem.
    package func compile(_ file: SourceFile) throws -> Function {
        try compile(try Parser.parse(file))
    }

    /// Parses and resolves source text (see `compile(_:)`).
    package func compile(source: String, path: String = "<input>") throws -> Function {
        try compile(SourceFile(path: path, text: source))
    }

    /// Runs a program the way `keel run` does: its top-level statements, then the event loop until
    /// no agent is live. Returns the exit status (0, 1, or 128+signal).
    package func runProgram(_ main: Function) -> Int32 {
        let status = loop.run { [unowned self] in _ = try self.execute(main) }
        flushAllRepeatedErrors()
        if options.stats { options.errorOutput(loop.statsSummary) }
        return status
    }

    /// Runs `body` as a whole run on the loop (as `runProgram` runs a program's statements), then
    /// the loop until no agent is live; returns the exit status.
    package func runOnLoop(_ body: @escaping () throws -> Void) -> Int32 {
        loop.run(main: body)
    }

    /// Runs a compiled program's top-level statements; returns the value of the last one.
    @discardableResult
    package func execute(_ main: Function) throws -> Value {
        let frame = Frame(interpreter: self, function: main, localCount: main.proto.localCount, selfValue: .undefined)
        // A call like any other: a host function that evaluates Keel source that calls it again
        // is bounded by the call-depth limit (the depth is not reset for a nested evaluation).
        turn.callDepth += 1
        defer { turn.callDepth -= 1 }
        if turn.callDepth > maxCallDepth {
            throw KeelError(ErrorKind.recursion, "maximum call depth (\(maxCallDepth)) exceeded in `\(main.proto.name)`")
        }
        do {
            return try main.proto.body.eval(frame)
        } catch is ReturnSignal {
            return frame.returnValue
        }
    }

    /// Looks up a top-level name after a program ran.
    package func global(_ name: String) -> Value? { globals[name] }

    // MARK: values

    /// The text an interpolation slot inserts: `to_str` from an `impl Stringable` if there is one;
    /// an enum variant by its bare name; otherwise the display form.
    func interpolationText(_ v: Value) throws -> String {
        switch v {
        case .str(let s): return s
        case .object(let o) where o.displayText != nil: return o.displayText!
        case .structure(let s):
            if let m = impls[s.typeName]?["to_str"] { return try call(.function(m), [v]).display }
            return v.display
        case .variant(let variant):
            if let m = impls[variant.typeName]?["to_str"] { return try call(.function(m), [v]).display }
            return variant.name
        default: return try v.displayChecked(self, "interpolating a value")
        }
    }

    /// `value.name` for fields (struct, map string key, module member, enum variant, tuple).
    func field(of v: Value, _ name: String) throws -> Value {
        switch v {
        case .structure(let s):
            if let f = s.fields[name] { return f }
            if let v = try propertyMethod(v, name) { return v }
            throw KeelError(ErrorKind.type, "field `\(name)` does not exist on \(s.typeName)")
        case .map(let m):
            if let f = m[.str(name)] { return f }
            return try propertyMethod(v, name) ?? .none
        case .module(let m):
            if let f = m.member(name) { return f }
            throw KeelError(ErrorKind.undefined, "\(m.name) has no member `\(name)`")
        case .type(let info):
            if let variant = info.variant(name) {
                if variant.1 != nil && !(variant.1!.isEmpty) {
                    return .variant(VariantValue(typeName: info.name, name: name, fields: variant.1!.map { ($0.0, Value.none) }))
                }
                return .variant(VariantValue(typeName: info.name, name: name, fields: variant.1 == nil ? nil : []))
            }
            throw KeelError(ErrorKind.undefined, "`\(name)` is not a variant of \(info.name)")
        case .variant(let variant):
            if let f = variant.field(name) { return f }
            if let v = try propertyMethod(v, name) { return v }
            throw KeelError(ErrorKind.type, "\(variant.typeName).\(variant.name) has no field `\(name)`")
        case .agent, .instance, .address: return try agentField(v, name)
        case .native(let n):
            if let m = n.mock, let v = m.field(name) { return v }
            throw KeelError(ErrorKind.type, "\(n.qualifiedName) has no field `\(name)` (mock it with testing.mock first)")
        case .object(let o):
            if let v = o.field(name) { return v }
            if let v = try o.method(name, [], self) { return v }
            throw KeelError(ErrorKind.type, "\(o.typeName) has no field `\(name)`")
        case .none:
            throw KeelError(ErrorKind.null, "cannot read field `\(name)` of none (use `?.` for optional values)")
        default:
            if let v = try propertyMethod(v, name) { return v }
            throw KeelError(ErrorKind.type, "\(v.typeName) has no field `\(name)`")
        }
    }

    /// A zero-argument method read as a property (`xs.count`, `s.length`, `m.keys`, `p.area` for
    /// an `impl` method taking only `self`), when the value has no field of that name; nil when
    /// there is no such method.
    func propertyMethod(_ v: Value, _ name: String) throws -> Value? {
        switch v {
        case .structure(let s):
            if let m = impls[s.typeName]?[name], m.proto.params.count == 1 { return try call(.function(m), [v]) }
            guard Methods.properties.structure.contains(name) else { return nil }
        case .variant(let variant):
            if let m = impls[variant.typeName]?[name], m.proto.params.count == 1 { return try call(.function(m), [v]) }
            guard name == "to_str" else { return nil }
        case .map: guard Methods.properties.map.contains(name) else { return nil }
        case .str: guard Methods.properties.str.contains(name) else { return nil }
        case .list, .range: guard Methods.properties.list.contains(name) else { return nil }
        case .set: guard Methods.properties.set.contains(name) else { return nil }
        case .int, .float: guard Methods.properties.number.contains(name) else { return nil }
        case .duration: guard Methods.properties.duration.contains(name) else { return nil }
        case .bool: guard name == "to_str" else { return nil }
        default: return nil
        }
        var c = NativeCall(name: "\(v.typeName).\(name)", args: [], named: [:], interpreter: self)
        return try Methods.call(v, name, &c)
    }

    func selfField(_ selfValue: Value, _ name: String) throws -> Value {
        guard case .instance = selfValue else { throw KeelError(ErrorKind.base, "`self` is only available inside an agent") }
        return try agentField(selfValue, name)
    }

    func setSelfField(_ selfValue: Value, _ name: String, _ v: Value) throws {
        guard case .instance = selfValue else { throw KeelError(ErrorKind.base, "`self` is only available inside an agent") }
        try setAgentField(selfValue, name, v)
    }
}

package struct ModuleError: Error, CustomStringConvertible {
    package let description: String
    init(_ d: String) { description = d }
}

/// Runs `body` on a thread with a large stack, so deep (but bounded) recursion in the tree-walker
/// ends in a clean `RecursionError` rather than a stack overflow.
package func onLargeStack<T>(_ body: @escaping () -> T) -> T {
    let box = ResultBox<T>()
    let done = DispatchSemaphore(value: 0)
    // Signalled once the thread is back in the pool, so the next call reuses it (starting
    // threads is slow, and under the thread sanitizer a thread start can deadlock its runtime).
    let started = WorkerThread.run({ box.result = body() }, whenIdle: { done.signal() })
    guard started else { return body() }   // no thread to be had: run here, on this stack
    done.wait()
    return box.result!
}

final class ResultBox<T>: @unchecked Sendable {
    var result: T?
}
