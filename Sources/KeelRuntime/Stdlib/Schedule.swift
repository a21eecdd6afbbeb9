import Foundation

/// `std/schedule`: the Keel-facing API. The schedules themselves, their timing and their timers
/// are the loop's (`Loop/Schedule.swift`, `Loop/Timers.swift`).
enum ScheduleModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        func owner(_ call: NativeCall, _ fn: String) throws -> AgentInstance {
            guard let agent = call.interpreter.turn.agent, let instance = agent.instance else {
                throw KeelError("ScheduleError", "schedule.\(fn) must be called from within an agent (@on_start, a handler, a task or a scheduled closure)")
            }
            return instance
        }
        func register(_ call: NativeCall, _ kind: Schedule.Kind, _ callback: Value, _ instance: AgentInstance,
                      timing: ScheduleTiming, firstDeadline: Int64) -> Value {
            let loop = call.interpreter.loop
            let s = Schedule(id: loop.nextScheduleId, kind: kind, callback: callback, owner: instance, timing: timing)
            loop.nextScheduleId += 1
            loop.start(s, firstDeadline: firstDeadline)
            return .object(ScheduleHandle(s, loop))
        }
        func callback(_ call: NativeCall, _ i: Int) throws -> Value {
            guard i < call.args.count else { throw KeelError(ErrorKind.call, "\(call.name): missing closure argument") }
            return try call.callable(i)
        }
        var m = ModuleMembers("schedule")
        m.fn("every") { call in
            let instance = try owner(call, "every")
            let d = try call.duration(0)
            guard d > 0 else { throw KeelError(ErrorKind.value, "schedule.every: the duration must be positive, got \(formatDuration(d))") }
            let cb = try callback(call, 1)
            let now = call.interpreter.loop.time.monotonicNow
            return register(call, .every, cb, instance, timing: .every(interval: d, anchor: now), firstDeadline: now)
        }
        m.fn("after") { call in
            let instance = try owner(call, "after")
            let d = try call.duration(0)
            guard d >= 0 else { throw KeelError(ErrorKind.value, "schedule.after: the delay must not be negative") }
            let cb = try callback(call, 1)
            let now = call.interpreter.loop.time.monotonicNow
            return register(call, .after, cb, instance, timing: .once, firstDeadline: now.saturatingAdd(d))
        }
        m.fn("at") { call in
            let instance = try owner(call, "at")
            let text = try call.string(0)
            guard let target = try DateTime.parseChecked(text) else {
                throw KeelError(ErrorKind.value, "schedule.at: cannot parse `\(text)` as a time; accepted forms: \(DateTime.acceptedForms)")
            }
            let cb = try callback(call, 1)
            let time = call.interpreter.loop.time
            let deadline = time.monotonicNow.saturatingAdd(max(0, target.saturatingSubtract(time.wallNow)))
            return register(call, .at, cb, instance, timing: .once, firstDeadline: deadline)
        }
        m.fn("cron", labels: ["tz"]) { call in
            let instance = try owner(call, "cron")
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
            let time = call.interpreter.loop.time
            guard let first = ScheduleTiming.cron(spec).next(after: time.monotonicNow, time: time) else {
                throw KeelError(ErrorKind.value, "schedule.cron: `\(expr)` never fires")
            }
            return register(call, .cron, cb, instance, timing: .cron(spec), firstDeadline: first)
        }
        m.fn("sleep") { call in
            let d = try call.duration(0)
            let loop = call.interpreter.loop
            try loop.sleep(until: loop.time.monotonicNow.saturatingAdd(max(0, d)))
            return .none
        }
        m.fn("list") { call in
            let instance = try owner(call, "list")
            return .list(instance.schedules.filter(\.live).map { .object(ScheduleHandle($0, call.interpreter.loop)) })
        }
        return m.values
    }
}

/// `Schedule`: the live handle `schedule.every/after/at/cron` return.
final class ScheduleHandle: HostObject {
    let schedule: Schedule
    unowned let loop: EventLoop
    init(_ schedule: Schedule, _ loop: EventLoop) { self.schedule = schedule; self.loop = loop }

    var typeName: String { "Schedule" }
    var fieldNames: [String] { ["id", "kind", "next_fire", "fired", "dropped"] }

    func field(_ name: String) -> Value? {
        switch name {
        case "id": return .int(schedule.id)
        case "kind": return .str(schedule.kind.rawValue)
        case "next_fire":
            guard schedule.live, let next = schedule.nextDeadline else { return Value.none }
            return .str(DateTime.format(loop.time.wallNow.saturatingAdd(next.saturatingSubtract(loop.time.monotonicNow))))
        case "fired": return .int(schedule.fired)
        case "dropped": return .int(schedule.dropped)
        case "live": return .bool(schedule.live)
        default: return nil
        }
    }

    func method(_ name: String, _ args: [Value], _ interpreter: Interpreter) throws -> Value? {
        name == "cancel" ? .bool(schedule.cancel()) : nil
    }
}
