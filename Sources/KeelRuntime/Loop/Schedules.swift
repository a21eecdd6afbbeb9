/// A schedule as the loop keeps it: what to run, for which agent instance, when (its timing), what
/// happens to a tick that comes due (its policy), and its counters. Plain data, apart from the
/// handle programs hold (`ScheduleHandle`) and from the timers that make it fire
/// (`EventLoop.arm`), so that a store can keep it.
final class Schedule {
    enum Kind: String { case every, after, at, cron }
    let id: Int
    let kind: Kind
    /// A task or lambda, called with no arguments.
    let callback: Value
    /// The agent instance that registered it: its turns run the callback, and it ends with it
    /// (stopping the instance empties its `schedules`, which breaks this cycle).
    let owner: AgentInstance
    let timing: ScheduleTiming
    let policy: SchedulePolicy
    /// When it comes due next (monotonic ns), or nil when nothing more will.
    var nextDeadline: Int64?
    /// Ticks that came due so far (the first `every` tick is number 0).
    var ticks = 0
    var live = true
    /// Callbacks that started running, and ticks dropped because the queue was full.
    var fired = 0
    var dropped = 0

    init(id: Int, kind: Kind, callback: Value, owner: AgentInstance, timing: ScheduleTiming, policy: SchedulePolicy = .init()) {
        self.id = id
        self.kind = kind
        self.callback = callback
        self.owner = owner
        self.timing = timing
        self.policy = policy
    }

    /// The interval (`every`) or the expression (`cron`), as `:agents` shows it.
    var detail: String {
        switch timing {
        case .every(let interval, _): return formatDuration(interval)
        case .cron(let spec): return "\"\(spec.expression)\""
        case .once: return ""
        }
    }

    /// Ticks after an `every`'s first, and every `cron` tick, recur: the queue may drop them.
    var nextTickRecurs: Bool {
        switch timing {
        case .every: return ticks > 0
        case .cron: return true
        case .once: return false
        }
    }

    /// The callback of a tick starts running.
    func started() {
        fired += 1
        if case .once = timing { live = false }
    }

    /// Stops future ticks; true if the schedule was live.
    func cancel() -> Bool {
        let wasLive = live
        live = false
        nextDeadline = nil
        owner.schedules.removeAll { $0 === self }
        return wasLive
    }
}

/// When a schedule comes due.
enum ScheduleTiming {
    /// `anchor + k·interval` for k = 0, 1, 2, ... (the first tick at registration).
    case every(interval: Int64, anchor: Int64)
    /// The cron rule's wall-clock instants.
    case cron(CronSpec)
    /// Once (`after`, `at`).
    case once

    /// The first due time after the tick due at `deadline` (monotonic ns). Missed ticks are
    /// skipped, never bunched: the next `every` tick is the first `anchor + k·interval` still
    /// ahead of the clock. Nil when nothing more comes due (or it would be past the clock's range).
    func next(after deadline: Int64, time: TimeSource) -> Int64? {
        switch self {
        case .once: return nil
        case .every(let interval, let anchor):
            let now = max(time.monotonicNow, deadline)
            let k = (now - anchor) / interval + 1
            let (offset, o1) = k.multipliedReportingOverflow(by: interval)
            let (next, o2) = anchor.addingReportingOverflow(offset)
            return o1 || o2 ? nil : next
        case .cron(let spec):
            let wallNow = time.wallNow.saturatingAdd(max(time.monotonicNow, deadline) - time.monotonicNow)
            guard let nextWall = spec.next(after: wallNow) else { return nil }
            let (next, o) = time.monotonicNow.addingReportingOverflow(nextWall.saturatingSubtract(time.wallNow))
            return o ? nil : next
        }
    }
}

/// What happens to a tick that comes due while the queue is full: a recurring tick is dropped
/// (counted in `dropped`), a one-shot or an `every`'s first tick waits for a slot.
struct SchedulePolicy {
    enum Decision { case deliver, drop, wait }

    func decide(queueFull: Bool, recurring: Bool) -> Decision {
        guard queueFull else { return .deliver }
        return recurring ? .drop : .wait
    }
}
