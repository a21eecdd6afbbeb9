import Foundation

/// `std/schedule`: the Keel-facing API. The schedules themselves, their timing, options and timers
/// are the loop's (`Loop/Schedules.swift`, `Loop/Timers.swift`).
enum ScheduleModule {
    /// Options every schedule takes, and those only recurring ones take.
    static let commonOptions = ["name", "retry", "priority", "args", "missed", "catch_up", "timeout", "on_failure"]
    static let recurringOptions = commonOptions + ["overlap", "jitter", "starts", "ends", "limit"]

    static func members(_ interpreter: Interpreter) -> [String: Value] {
        func owner(_ call: NativeCall, _ fn: String) throws -> AgentInstance {
            guard let instance = call.interpreter.turn.instance, instance.phase != .stopped else {
                throw KeelError("ScheduleError", "schedule.\(fn) must be called from within an agent (@on_start, a handler, a task or a scheduled closure)")
            }
            return instance
        }
        func callback(_ call: NativeCall, _ i: Int) throws -> Value {
            guard i < call.args.count else { throw KeelError(ErrorKind.call, "\(call.name): missing closure argument") }
            return try call.callable(i)
        }
        var m = ModuleMembers("schedule")
        m.fn("every", args: 2, labels: recurringOptions + ["first"]) { call in
            let instance = try owner(call, "every")
            let d = try call.duration(0)
            guard d > 0 else { throw KeelError(ErrorKind.value, "schedule.every: the duration must be positive, got \(formatDuration(d))") }
            let cb = try callback(call, 1)
            let now = call.interpreter.loop.time.monotonicNow
            // `first: "now"` (the default) runs it at once; `"after"` one interval later.
            var delay: Int64 = 0
            if let v = call.named["first"] {
                guard case .str(let text) = v, text == "now" || text == "after" else {
                    throw KeelError(ErrorKind.value, "schedule.every: first must be \"now\" or \"after\", got \(v.brief)")
                }
                if text == "after" { delay = d }
            }
            let start = try starts(call) ?? now
            let anchor = start.saturatingAdd(delay)
            return try register(call, .every, cb, instance, timing: .every(interval: d, anchor: anchor), first: anchor)
        }
        m.fn("after", args: 2, labels: commonOptions) { call in
            let instance = try owner(call, "after")
            let d = try call.duration(0)
            guard d >= 0 else { throw KeelError(ErrorKind.value, "schedule.after: the delay must not be negative") }
            let cb = try callback(call, 1)
            let now = call.interpreter.loop.time.monotonicNow
            return try register(call, .after, cb, instance, timing: .after(delay: d), first: now.saturatingAdd(d))
        }
        m.fn("at", args: 2, labels: commonOptions) { call in
            let instance = try owner(call, "at")
            let text = try call.string(0)
            guard let target = try DateTime.parseChecked(text) else {
                throw KeelError(ErrorKind.value, "schedule.at: cannot parse `\(text)` as a time; accepted forms: \(DateTime.acceptedForms)")
            }
            let cb = try callback(call, 1)
            let time = call.interpreter.loop.time
            let due = time.monotonicNow.saturatingAdd(max(0, target.saturatingSubtract(time.wallNow)))
            return try register(call, .at, cb, instance, timing: .at(wall: target), first: due)
        }
        m.fn("cron", args: 2, labels: recurringOptions + ["tz"]) { call in
            let instance = try owner(call, "cron")
            let expr = try call.string(0)
            var zone: TimeZone?
            if let tz = call.named["tz"] {
                guard case .str(let name) = tz, let z = TimeZone(identifier: name) else {
                    throw KeelError(ErrorKind.value, "schedule.cron: unknown time zone \(tz.brief) (use an IANA name such as \"Europe/Paris\")")
                }
                zone = z
            }
            let spec: CronSpec
            do { spec = try CronSpec(expr, zone: zone) } catch let e as CronError {
                throw KeelError(ErrorKind.value, "schedule.cron: invalid cron expression `\(expr)`: \(e.message)")
            }
            let cb = try callback(call, 1)
            let time = call.interpreter.loop.time
            let from = try starts(call).map { $0.saturatingSubtract(1) } ?? time.monotonicNow
            guard let first = ScheduleTiming.cron(spec).next(after: from, notBefore: from, time: time) else {
                throw KeelError(ErrorKind.value, "schedule.cron: `\(expr)` never fires")
            }
            return try register(call, .cron, cb, instance, timing: .cron(spec), first: first)
        }
        m.fn("sleep", args: 1) { call in
            let d = try call.duration(0)
            guard d >= 0 else { throw KeelError(ErrorKind.value, "schedule.sleep: the duration must not be negative, got \(formatDuration(d))") }
            let loop = call.interpreter.loop
            try loop.sleep(until: loop.time.monotonicNow.saturatingAdd(d))
            return .none
        }
        m.fn("list", args: 2, labels: ["name", "kind", "due_before", "due_after"]) { call in
            let instance = try owner(call, "list")
            let name = try call.optionalString(0, "name")
            let kind = try call.optionalString(1, "kind")
            if let kind, Schedule.Kind(rawValue: kind) == nil {
                throw KeelError(ErrorKind.value, "schedule.list: kind must be every, after, at or cron, got `\(kind)`")
            }
            let loop = call.interpreter.loop
            func bound(_ label: String) throws -> Int64? {
                guard let v = call.named[label] else { return nil }
                guard case .str(let text) = v, let wall = try DateTime.parseChecked(text) else {
                    throw KeelError(ErrorKind.value, "schedule.list: \(label) must be a time (\(DateTime.acceptedForms)), got \(v.brief)")
                }
                return wall
            }
            let before = try bound("due_before"), after = try bound("due_after")
            return .list(instance.schedules.filter { s in
                guard s.live, name == nil || s.options.name == name, kind == nil || s.kind.rawValue == kind else { return false }
                guard before != nil || after != nil else { return true }
                guard let next = s.nextDeadline.map(loop.wall) else { return false }
                return (before.map { next < $0 } ?? true) && (after.map { next > $0 } ?? true)
            }.map { .object(ScheduleHandle($0, loop)) })
        }
        m.fn("get", args: 1) { call in
            let instance = try owner(call, "get")
            let key = try call.string(0)
            // By id (unique across runs and nodes), else by name.
            if let s = instance.schedules.first(where: { $0.uid == key }) ?? instance.namedSchedules.values.first(where: { $0.uid == key }) {
                return .object(ScheduleHandle(s, call.interpreter.loop))
            }
            guard let s = instance.namedSchedules[key], s.live else { return .none }
            return .object(ScheduleHandle(s, call.interpreter.loop))
        }
        return m.values
    }

    /// `starts:`: a time (RFC 3339) or a duration from now; the monotonic instant.
    static func starts(_ call: NativeCall) throws -> Int64? {
        guard let v = call.named["starts"] else { return nil }
        let time = call.interpreter.loop.time
        switch v {
        case .duration(let d) where d >= 0: return time.monotonicNow.saturatingAdd(d)
        case .str(let text):
            guard let wall = try DateTime.parseChecked(text) else {
                throw KeelError(ErrorKind.value, "\(call.name): starts must be a time (\(DateTime.acceptedForms)) or a duration, got \(v.brief)")
            }
            return time.monotonicNow.saturatingAdd(wall.saturatingSubtract(time.wallNow))
        default:
            throw KeelError(ErrorKind.value, "\(call.name): starts must be a time or a duration that is not negative, got \(v.brief)")
        }
    }

    /// Makes the schedule, or, for a `name:` already registered with the same kind, timing and
    /// callback, keeps the existing one (its cadence and counters; the new options apply).
    static func register(_ call: NativeCall, _ kind: Schedule.Kind, _ callback: Value, _ instance: AgentInstance,
                         timing: ScheduleTiming, first: Int64) throws -> Value {
        let loop = call.interpreter.loop
        let options = try parseOptions(call)
        var args: [Value] = []
        if let v = call.named["args"] {
            guard case .list(let list) = v else { throw KeelError(ErrorKind.value, "\(call.name): args must be a list, got \(v.typeName)") }
            args = list
        }
        let durable = try durability(call, instance, callback, args)
        if let name = options.name, let existing = instance.namedSchedules[name] {
            let ownRun = call.interpreter.turn.runningSchedule === existing
            let sameJob = existing.kind == kind && existing.timing.same(as: timing) && sameCallback(existing.callback, callback) && existing.args == args
            let sameWork = sameCallback(existing.callback, callback) && existing.args == args
            if existing.live && !ownRun && (sameJob || existing.rescheduled && sameWork) {
                // (A schedule rescheduled from outside keeps its new timing.)
                // The same job, live: it goes on with its cadence and counters; the new options apply.
                existing.options = options
                if let d = existing.durable, let durable {
                    d.missed = durable.missed
                    d.catchUp = durable.catchUp
                    d.dirty = true
                }
                return .object(ScheduleHandle(existing, loop))
            }
            if existing.restoredDone && sameJob && !ownRun {
                // A durable one-shot that ran before a restart, registered again by @on_start: done.
                return .object(ScheduleHandle(existing, loop))
            }
            if !existing.live || ownRun {
                // Registered again from inside its own run, or after a one-shot finished: a new
                // occurrence under the same name (self-scheduling, backoff), its counters and
                // history carried on.
                loop.rearm(existing, kind: kind, callback: callback, args: args, timing: timing, options: options,
                           durable: durable, first: first, duringRun: ownRun)
                return .object(ScheduleHandle(existing, loop))
            }
            _ = loop.cancel(existing)   // a different job under the same name replaces it
        }
        let s = Schedule(id: loop.nextScheduleId, kind: kind, callback: callback, owner: instance, timing: timing, options: options,
                         uid: loop.newScheduleUID())
        loop.nextScheduleId += 1
        s.args = args
        s.durable = durable
        loop.start(s, first: first)
        return .object(ScheduleHandle(s, loop))
    }

    /// A named schedule of a `@durable` agent is durable: its callback must be a task of the agent
    /// (a lambda cannot be stored) and its arguments data. `missed:` and `catch_up:` apply to
    /// durable schedules only.
    static func durability(_ call: NativeCall, _ instance: AgentInstance, _ callback: Value, _ args: [Value]) throws -> DurableSchedule? {
        let agent = instance.info
        guard agent.durable, case .str(let name)? = call.named["name"] else {
            if call.named["missed"] != nil || call.named["catch_up"] != nil {
                throw KeelError(ErrorKind.value, "\(call.name): missed: and catch_up: apply to named schedules of a @durable agent")
            }
            return nil
        }
        guard case .function(let f) = callback, let task = agent.tasks.first(where: { $0.value === f.proto })?.key else {
            throw KeelError(ErrorKind.value, "\(call.name): a durable schedule needs a task: a lambda cannot be stored (schedule \"\(name)\" of \(agent.name); pass a task of the agent, such as self.refresh)")
        }
        if let v = call.named["on_failure"] {
            guard case .function(let g) = v, agent.tasks.values.contains(where: { $0 === g.proto }) else {
                throw KeelError(ErrorKind.value, "\(call.name): on_failure of a durable schedule must be a task of the agent (a lambda cannot be stored)")
            }
        }
        let argsText: String
        do { argsText = try StoredValue.encode(.list(args)) } catch let e as StoredValue.Unstorable {
            throw KeelError(ErrorKind.value, "\(call.name): args of a durable schedule must be data that can be stored, not \(e.kind)")
        }
        var missed = MissedPolicy.latest
        if let v = call.named["missed"] {
            guard case .str(let text) = v, let p = MissedPolicy(rawValue: text) else {
                throw KeelError(ErrorKind.value, "\(call.name): missed must be \"latest\", \"skip\" or \"all\", got \(v.brief)")
            }
            missed = p
        }
        var catchUp = DurableSchedule.defaultCatchUp
        if let v = call.named["catch_up"] {
            guard case .duration(let d) = v, d > 0 else {
                throw KeelError(ErrorKind.value, "\(call.name): catch_up must be a positive duration, got \(v.brief)")
            }
            catchUp = d
        }
        return DurableSchedule(task: task, argsText: argsText, missed: missed, catchUp: catchUp)
    }

    /// The same task, or a lambda from the same place in the source.
    static func sameCallback(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.function(let f), .function(let g)): return f.proto === g.proto
        case (.native(let f), .native(let g)): return f === g
        default: return false
        }
    }

    static func parseOptions(_ call: NativeCall) throws -> ScheduleOptions {
        var o = ScheduleOptions()
        let fn = call.name
        func bad(_ option: String, _ accepted: String, _ got: Value) -> KeelError {
            let shown: String
            if case .str(let s) = got { shown = "\"\(s)\"" } else { shown = got.display }
            return KeelError(ErrorKind.value, "\(fn): \(option) must be \(accepted), got \(shown)")
        }
        if let v = call.named["name"] {
            guard case .str(let name) = v, !name.isEmpty else { throw bad("name", "a non-empty string", v) }
            o.name = name
        }
        if let v = call.named["overlap"] {
            guard case .str(let text) = v, let policy = OverlapPolicy(rawValue: text) else {
                throw bad("overlap", "\"buffer_one\", \"skip\" or \"buffer_all\"", v)
            }
            o.overlap = policy
        }
        if let v = call.named["jitter"] {
            guard case .duration(let d) = v, d >= 0 else { throw bad("jitter", "a duration that is not negative", v) }
            o.jitter = d
        }
        if let v = call.named["priority"] {
            guard case .int(let p) = v else { throw bad("priority", "an int", v) }
            o.priority = p
        }
        if let v = call.named["retry"] { o.retry = try parseRetry(v, fn) }
        if let v = call.named["timeout"] {
            guard case .duration(let d) = v, d > 0 else { throw bad("timeout", "a positive duration", v) }
            o.timeout = d
        }
        if let v = call.named["on_failure"] {
            guard case .function = v else { throw bad("on_failure", "a task or lambda taking the error and the schedule", v) }
            o.onFailure = v
        }
        if let v = call.named["limit"] {
            guard case .int(let n) = v, n >= 1 else { throw bad("limit", "an int of at least 1", v) }
            o.limit = n
        }
        if let v = call.named["ends"] {
            let time = call.interpreter.loop.time
            switch v {
            case .duration(let d) where d >= 0: o.ends = time.monotonicNow.saturatingAdd(d)
            case .str(let text):
                guard let wall = try DateTime.parseChecked(text) else { throw bad("ends", "a time (\(DateTime.acceptedForms)) or a duration", v) }
                o.ends = time.monotonicNow.saturatingAdd(wall.saturatingSubtract(time.wallNow))
            default: throw bad("ends", "a time or a duration that is not negative", v)
            }
        }
        return o
    }

    /// `retry: {attempts: 4, backoff: 2.seconds, max: 1.minute}`.
    static func parseRetry(_ v: Value, _ fn: String) throws -> RetryPolicy {
        let form = "a record such as {attempts: 4, backoff: 2.seconds, max: 1.minute}"
        guard let fields = fieldsOf(v), !v.isCallable else {
            throw KeelError(ErrorKind.value, "\(fn): retry must be \(form), got \(v.typeName)")
        }
        for key in fields.keys.sorted() where !["attempts", "backoff", "max"].contains(key) {
            throw KeelError(ErrorKind.value, "\(fn): retry has no option `\(key)` (accepted: attempts, backoff, max)")
        }
        guard case .int(let attempts)? = fields["attempts"], attempts >= 1 else {
            throw KeelError(ErrorKind.value, "\(fn): retry.attempts must be an int of at least 1, got \(fields["attempts"]?.display ?? "none")")
        }
        var backoff: Int64 = 0
        if let b = fields["backoff"], !b.isNone {
            guard case .duration(let d) = b, d >= 0 else {
                throw KeelError(ErrorKind.value, "\(fn): retry.backoff must be a duration that is not negative, got \(b.brief)")
            }
            backoff = d
        }
        var maximum: Int64?
        if let x = fields["max"], !x.isNone {
            guard case .duration(let d) = x, d >= 0 else {
                throw KeelError(ErrorKind.value, "\(fn): retry.max must be a duration that is not negative, got \(x.brief)")
            }
            maximum = d
        }
        return RetryPolicy(attempts: attempts, backoff: backoff, max: maximum)
    }
}

/// `Schedule`: the live handle `schedule.every/after/at/cron` return.
final class ScheduleHandle: HostObject {
    let schedule: Schedule
    unowned let loop: EventLoop
    init(_ schedule: Schedule, _ loop: EventLoop) { self.schedule = schedule; self.loop = loop }

    var typeName: String { "Schedule" }
    var fieldNames: [String] { ["id", "kind", "name", "task", "next_fire", "fired", "dropped"] }

    func field(_ name: String) -> Value? {
        let s = schedule
        switch name {
        case "id": return .str(s.uid)
        case "kind": return .str(s.kind.rawValue)
        case "name": return s.options.name.map { .str($0) } ?? Value.none
        case "next_fire":
            guard s.live, let next = s.nextDeadline else { return Value.none }
            return .str(DateTime.format(loop.wall(next)))
        case "fired": return .int(s.fired)
        case "dropped": return .int(s.dropped)
        case "skipped": return .int(s.skipped)
        case "failures": return .int(s.failures)
        case "due": return .int(s.due)
        case "missed": return .int(s.durable?.missedCount ?? 0)
        case "durable": return .bool(s.durable != nil)
        case "paused": return .bool(s.paused)
        case "live": return .bool(s.live)
        case "uid": return .str(s.uid)
        case "task":
            switch s.callback {
            case .function(let f): return .str(f.proto.isLambda ? "lambda" : f.proto.name)
            case .native(let n): return .str(n.qualifiedName)
            default: return .str("lambda")
            }
        case "args": return .list(s.args)
        case "limit": return s.options.limit.map { .int($0) } ?? Value.none
        case "history":
            func time(_ t: Int64) -> Value { .str(DateTime.format(loop.wall(t))) }
            return .list(s.history.map { run in
                var m: [MapKey: Value] = [.str("due"): time(run.due), .str("outcome"): .str(run.outcome.rawValue)]
                m[.str("started")] = run.started.map(time) ?? Value.none
                m[.str("ended")] = run.ended.map(time) ?? Value.none
                return .map(m)
            })
        default: return nil
        }
    }

    func method(_ name: String, _ args: [Value], _ interpreter: Interpreter) throws -> Value? {
        switch name {
        case "cancel": return .bool(loop.cancel(schedule))
        case "pause":
            loop.pause(schedule)
            return Value.none
        case "resume":
            loop.resume(schedule)
            return Value.none
        case "run_now":
            // One extra run now, as a one-shot of this schedule (its overlap policy applies).
            return .bool(loop.runNow(schedule))
        case "upcoming":
            var n = 1
            if let v = args.first {
                guard case .int(let k) = v, k >= 0 else { throw KeelError(ErrorKind.value, "Schedule.upcoming: n must be an int that is not negative, got \(v.brief)") }
                n = min(k, 10_000)
            }
            return .list(loop.upcoming(schedule, n).map { .str(DateTime.format(loop.wall($0))) })
        default: return nil
        }
    }
}
