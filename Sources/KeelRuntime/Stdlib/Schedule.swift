import Foundation

/// One registration of `schedule.every/after/at/cron`: the handle a program can hold.
public final class ScheduleEntry {
    public enum Kind: String { case every, after, at, cron }
    let id: Int
    let kind: Kind
    let callback: Value
    let instance: AgentInstance
    /// Registration time (monotonic ns): `every` fires at start + k·interval.
    let start: Int64
    let interval: Int64
    let cron: CronSpec?
    /// The next deadline (monotonic ns), or nil when nothing more will fire.
    var nextDeadline: Int64?
    /// How many ticks came due so far (the first `every` tick is number 0).
    var ticks = 0
    var live = true
    /// Closures that started running, and ticks dropped because the queue was full.
    var fired = 0
    var dropped = 0

    init(id: Int, kind: Kind, callback: Value, instance: AgentInstance, start: Int64, interval: Int64 = 0, cron: CronSpec? = nil) {
        self.id = id
        self.kind = kind
        self.callback = callback
        self.instance = instance
        self.start = start
        self.interval = interval
        self.cron = cron
    }

    /// The interval (`every`), or the expression (`cron`), as `:agents` shows it.
    var detail: String {
        switch kind {
        case .every: return formatDuration(interval)
        case .cron: return cron.map { "\"\($0.expression)\"" } ?? ""
        case .after, .at: return ""
        }
    }

    /// Every tick of `every` after the first, and every `cron` tick, may be dropped when the queue
    /// is full; one-shots and the first `every` tick wait instead.
    var isRecurringTick: Bool {
        switch kind {
        case .every: return ticks > 0
        case .cron: return true
        case .after, .at: return false
        }
    }

    /// The closure of this fire starts running.
    func started() {
        fired += 1
        if kind == .after || kind == .at { live = false }
    }

    /// After a tick came due at `deadline`: arm the next one. Missed ticks are skipped, never
    /// bunched: the next `every` tick is the first of start + k·interval that is still ahead.
    func armNext(after deadline: Int64, runtime: Runtime) {
        ticks += 1
        nextDeadline = nil
        guard live else { return }
        switch kind {
        case .after, .at: return
        case .every:
            let now = max(runtime.time.monotonicNow, deadline)
            let k = (now - start) / interval + 1
            let (next, overflow) = start.addingReportingOverflow(k.multipliedReportingOverflow(by: interval).partialValue)
            guard !overflow else { return }
            nextDeadline = next
        case .cron:
            let time = runtime.time
            let wallNow = time.wallNow + (max(time.monotonicNow, deadline) - time.monotonicNow)
            guard let nextWall = cron?.next(after: wallNow) else { return }
            nextDeadline = time.monotonicNow + (nextWall - time.wallNow)
        }
        if let next = nextDeadline { runtime.addTimer(at: next, .schedule(self)) }
    }

    /// The value programs see: a live handle.
    func handle(_ runtime: Runtime) -> Value {
        .object(ScheduleHandle(entry: self, runtime: runtime))
    }

    /// Stops future fires; true if the schedule was live.
    func cancel() -> Bool {
        let wasLive = live
        live = false
        nextDeadline = nil
        instance.schedules.removeAll { $0 === self }
        return wasLive
    }
}

/// `Schedule`: what `schedule.every/after/at/cron` return.
final class ScheduleHandle: HostObject {
    let entry: ScheduleEntry
    unowned let runtime: Runtime
    init(entry: ScheduleEntry, runtime: Runtime) { self.entry = entry; self.runtime = runtime }

    var typeName: String { "Schedule" }
    var fieldNames: [String] { ["id", "kind", "next_fire", "fired", "dropped"] }

    func field(_ name: String) -> Value? {
        switch name {
        case "id": return .int(entry.id)
        case "kind": return .str(entry.kind.rawValue)
        case "next_fire":
            guard entry.live, let next = entry.nextDeadline else { return Value.none }
            return .str(DateTime.format(runtime.time.wallNow + (next - runtime.time.monotonicNow)))
        case "fired": return .int(entry.fired)
        case "dropped": return .int(entry.dropped)
        case "live": return .bool(entry.live)
        default: return nil
        }
    }

    func method(_ name: String, _ args: [Value], _ interpreter: Interpreter) throws -> Value? {
        name == "cancel" ? .bool(entry.cancel()) : nil
    }
}

extension Interpreter {
    func scheduleModule() -> ModuleValue {
        func owner(_ fn: String) throws -> AgentInstance {
            guard let agent = currentAgent, let instance = agent.instance else {
                throw KeelError("ScheduleError", "schedule.\(fn) must be called from within an agent (@on_start, a handler, a task or a scheduled closure)")
            }
            return instance
        }
        func register(_ kind: ScheduleEntry.Kind, _ callback: Value, _ instance: AgentInstance, firstDeadline: Int64,
                      interval: Int64 = 0, cron: CronSpec? = nil) -> Value {
            let runtime = self.runtime
            let entry = ScheduleEntry(id: runtime.nextScheduleId, kind: kind, callback: callback, instance: instance,
                                      start: runtime.time.monotonicNow, interval: interval, cron: cron)
            runtime.nextScheduleId += 1
            entry.nextDeadline = firstDeadline
            instance.schedules.append(entry)
            if firstDeadline <= runtime.time.monotonicNow {
                runtime.fireNow(entry)        // due already: enqueued now, in registration order
            } else {
                runtime.addTimer(at: firstDeadline, .schedule(entry))
            }
            return entry.handle(runtime)
        }
        func positiveDuration(_ call: NativeCall, _ fn: String) throws -> Int64 {
            let d = try call.duration(0)
            guard d > 0 else { throw KeelError(ErrorKind.value, "schedule.\(fn): the duration must be positive, got \(formatDuration(d))") }
            return d
        }
        func callback(_ call: NativeCall, _ i: Int) throws -> Value {
            guard i < call.args.count else { throw KeelError(ErrorKind.call, "\(call.name): missing closure argument") }
            return try call.callable(i)
        }
        let members: [String: Value] = [
            "every": .native(NativeFunction("every", module: "schedule") { call in
                let instance = try owner("every")
                let d = try positiveDuration(call, "every")
                let cb = try callback(call, 1)
                return register(.every, cb, instance, firstDeadline: call.interpreter.runtime.time.monotonicNow, interval: d)
            }),
            "after": .native(NativeFunction("after", module: "schedule") { call in
                let instance = try owner("after")
                let d = try call.duration(0)
                guard d >= 0 else { throw KeelError(ErrorKind.value, "schedule.after: the delay must not be negative") }
                let cb = try callback(call, 1)
                return register(.after, cb, instance, firstDeadline: call.interpreter.runtime.time.monotonicNow + d)
            }),
            "at": .native(NativeFunction("at", module: "schedule") { call in
                let instance = try owner("at")
                let text = try call.string(0)
                guard let target = DateTime.parse(text) else {
                    throw KeelError(ErrorKind.value, "schedule.at: cannot parse `\(text)` as a time; accepted forms: \(DateTime.acceptedForms)")
                }
                let cb = try callback(call, 1)
                let time = call.interpreter.runtime.time
                let deadline = time.monotonicNow + max(0, target - time.wallNow)
                return register(.at, cb, instance, firstDeadline: deadline)
            }),
            "cron": .native(NativeFunction("cron", module: "schedule") { call in
                let instance = try owner("cron")
                let expr = try call.string(0)
                var zone: TimeZone?
                if let tz = call.named["tz"] {
                    guard case .str(let name) = tz, let z = TimeZone(identifier: name) else {
                        throw KeelError(ErrorKind.value, "schedule.cron: unknown time zone \(tz.display) (use an IANA name such as \"Europe/Paris\")")
                    }
                    zone = z
                }
                let spec: CronSpec
                do { spec = try CronSpec(expr, zone: zone) } catch let e as CronError {
                    throw KeelError(ErrorKind.value, "schedule.cron: invalid cron expression `\(expr)`: \(e.message)")
                }
                let cb = try callback(call, 1)
                let time = call.interpreter.runtime.time
                guard let nextWall = spec.next(after: time.wallNow) else {
                    throw KeelError(ErrorKind.value, "schedule.cron: `\(expr)` never fires")
                }
                return register(.cron, cb, instance, firstDeadline: time.monotonicNow + (nextWall - time.wallNow), cron: spec)
            }),
            "sleep": .native(NativeFunction("sleep", module: "schedule") { call in
                let d = try call.duration(0)
                let runtime = call.interpreter.runtime
                try runtime.sleep(until: runtime.time.monotonicNow + max(0, d))
                return .none
            }),
            "list": .native(NativeFunction("list", module: "schedule") { call in
                let instance = try owner("list")
                return .list(instance.schedules.filter(\.live).map { $0.handle(call.interpreter.runtime) })
            }),
        ]
        return ModuleValue(name: "schedule", members: members)
    }
}
