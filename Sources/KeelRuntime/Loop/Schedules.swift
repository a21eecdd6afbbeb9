/// A schedule as the loop keeps it: what to run, for which agent instance, when (its timing), how
/// it treats its ticks (its options), its counters and its recent history. Plain data, apart from
/// the handle programs hold (`ScheduleHandle`) and from the timers that make it fire
/// (`Loop/Timers.swift`), so that a store can keep it.
///
/// Every tick that comes due while the schedule is not paused ends as exactly one of: *fired* (its
/// callback started; retries of it are not new ticks), *skipped* (the overlap policy merged or
/// skipped it), or *dropped* (the queue was full, or it was discarded unrun because the schedule
/// was cancelled or its agent stopped). So `due == fired + skipped + dropped + waiting`, and
/// `waiting` is 0 once the agent has stopped.
final class Schedule {
    // The stored properties are ordered so that the one-byte ones fill the padding after the
    // optionals: a million pending one-shots are a million of these (spec/runtime.md, "Limits").
    enum Kind: String { case every, after, at, cron }
    let id: Int
    /// A task or lambda, called with `args` (`args:`; none by default).
    var callback: Value
    var kind: Kind
    /// Cancelled schedules, one-shots that have run (and will not retry), and every schedule of a
    /// stopped instance are not live.
    var live = true
    var paused = false
    /// A run of its callback started and has not ended (it may be parked).
    var inFlight = false
    /// Registered again (same name) while its run was in flight: that run's end leaves the new
    /// occurrence alone.
    var rearmedDuringRun = false
    /// A durable one-shot that had run when the store was read (registering it again keeps it done).
    var restoredDone = false
    /// Its timing was changed from outside (`keel schedules reschedule`): registering it again
    /// with another timing keeps the new one.
    var rescheduled = false
    /// Its identity across runs and nodes (a UUID; stored with a durable schedule).
    var uid: String
    /// Ticks skipped since the last warning about them, and when that was (monotonic ns).
    var skippedUnwarned = 0
    var lastSkipWarning: Int64 = .min
    /// A retry came due and waits in the mailbox (or for a slot) to start.
    var retryWaiting = false
    /// A run is under way (running or parked), or a retry of it is pending or waiting: what the
    /// `"skip"` overlap policy looks at.
    var running: Bool { inFlight || retryWaiting || pendingRetry != nil }
    var args: [Value] = []
    /// The agent instance that registered it: its turns run the callback, and it ends with it
    /// (stopping the instance empties its `schedules`, which breaks this cycle).
    let owner: AgentInstance
    var timing: ScheduleTiming
    /// Its options, held by reference: most schedules have the defaults and share one box.
    private var optionsBox: OptionsBox
    var options: ScheduleOptions {
        _read { yield optionsBox.value }
        set { optionsBox = OptionsBox.holding(newValue) }
    }

    /// The next cadence point (monotonic ns, before jitter), or nil when nothing more will come due.
    var nextNominal: Int64?
    /// When the next tick comes due (the cadence point plus its jitter).
    var nextDeadline: Int64?
    /// Ticks armed so far: the next tick's index (it picks the tick's jitter).
    var armed = 0
    /// When the next tick was armed (monotonic ns).
    var armedAt: Int64 = 0
    /// Bumped whenever the schedule is re-armed (pause, resume, cancel): older tick timers are stale.
    var generation = 0
    /// Bumped when a pending retry is held or dropped (pause, cancel, stop): older retry timers
    /// are stale. Separate from `generation`, since arming the next tick must not make a pending
    /// retry's timer look stale.
    var retryGeneration = 0

    // Counters (see above).
    var due = 0
    var fired = 0
    var skipped = 0
    var dropped = 0
    /// Runs of the callback that raised (each failed attempt counts).
    var failures = 0
    /// Ticks delivered (in the mailbox, or waiting for a slot) whose run has not started.
    var waiting = 0
    /// The retry of a failed run: its attempt number, when it is due, and the occurrence it retries
    /// (monotonic ns).
    var pendingRetry: PendingRetry?
    #if DEBUG
    /// For the property test: its agent stopped while a retry whose time had passed was pending.
    var overdueRetryAtStop = false
    #endif
    /// What a durable schedule keeps beyond this (see `Loop/Durability.swift`); nil for others.
    var durable: DurableSchedule?
    /// The last `ScheduleRun.kept` runs and ticks, made at the first entry (see `history`).
    private var log: RunLog?

    init(id: Int, kind: Kind, callback: Value, owner: AgentInstance, timing: ScheduleTiming, options: ScheduleOptions, uid: String) {
        self.id = id
        self.uid = uid
        self.kind = kind
        self.callback = callback
        self.owner = owner
        self.timing = timing
        self.optionsBox = OptionsBox.holding(options)
    }

    private final class OptionsBox {
        let value: ScheduleOptions
        init(_ value: ScheduleOptions) { self.value = value }
        static let defaults = OptionsBox(ScheduleOptions())
        static func holding(_ options: ScheduleOptions) -> OptionsBox { options.isDefault ? defaults : OptionsBox(options) }
    }

    /// A ring of entries and how many were ever recorded (an entry's number finds it again).
    private final class RunLog {
        var ring: [ScheduleRun] = []
        var next = 0
        var recorded = 0
    }

    /// The interval (`every`) or the expression (`cron`), as `:agents` shows it.
    var detail: String {
        switch timing {
        case .every(let interval, _): return formatDuration(interval)
        case .cron(let spec): return "\"\(spec.expression)\""
        case .after, .at: return ""
        }
    }

    /// Ticks after an `every`'s first, and every `cron` tick, recur: a full queue drops them.
    /// One-shots and an `every`'s first tick wait for a slot instead.
    var tickRecurs: Bool {
        switch timing {
        case .every: return due > 1
        case .cron: return true
        case .after, .at: return false
        }
    }

    var isOneShot: Bool {
        if case .after = timing { return true }
        if case .at = timing { return true }
        return false
    }

    /// Records a tick or run; returns its number (for `update`).
    @discardableResult
    func record(_ run: ScheduleRun) -> Int {
        let log = self.log ?? RunLog()
        self.log = log
        if log.ring.count < ScheduleRun.kept {
            log.ring.append(run)
        } else {
            log.ring[log.next] = run
            log.next = (log.next + 1) % ScheduleRun.kept
        }
        log.recorded += 1
        return log.recorded - 1
    }

    /// Changes entry `number`, if it is still kept.
    func update(_ number: Int, _ change: (inout ScheduleRun) -> Void) {
        guard let log, number >= log.recorded - log.ring.count else { return }
        let slot = log.ring.count < ScheduleRun.kept ? number : (log.next + number - (log.recorded - ScheduleRun.kept)) % ScheduleRun.kept
        change(&log.ring[slot])
    }

    /// The kept entries, oldest first.
    var history: [ScheduleRun] {
        guard let log else { return [] }
        return log.ring.count < ScheduleRun.kept ? log.ring : Array(log.ring[log.next...] + log.ring[..<log.next])
    }
}

/// When a schedule comes due.
enum ScheduleTiming {
    /// `anchor + k·interval` for k = 0, 1, 2, ... (the first tick at registration).
    case every(interval: Int64, anchor: Int64)
    /// The cron rule's wall-clock instants.
    indirect case cron(CronSpec)   // boxed: a cron rule is 80 bytes, the other cases 16
    /// Once, `delay` after registration.
    case after(delay: Int64)
    /// Once, at a wall-clock time (ns since the epoch).
    case at(wall: Int64)

    /// The same timing as `other`, for re-registering a named schedule (an `every`'s anchor is
    /// where it started, not part of what was asked for).
    func same(as other: ScheduleTiming) -> Bool {
        switch (self, other) {
        case (.every(let a, _), .every(let b, _)): return a == b
        case (.cron(let a), .cron(let b)): return a.expression == b.expression && a.zone?.identifier == b.zone?.identifier
        case (.after(let a), .after(let b)): return a == b
        case (.at(let a), .at(let b)): return a == b
        default: return false
        }
    }

    /// The first cadence point after the one at `nominal` (monotonic ns). Missed ticks are
    /// skipped, never bunched: the next `every` point is the first `anchor + k·interval` still
    /// ahead of the clock. Nil when nothing more comes due (or it would be past the clock's range).
    func next(after nominal: Int64, time: TimeSource) -> Int64? {
        next(after: nominal, notBefore: time.monotonicNow, time: time)
    }

    /// The first cadence point after `nominal` that is also after `notBefore` (for `every`; cron
    /// skips by itself since it reads the wall clock).
    func next(after nominal: Int64, notBefore: Int64, time: TimeSource) -> Int64? {
        switch self {
        case .after, .at: return nil
        case .every(let interval, let anchor):
            let from = max(notBefore, nominal)
            guard from >= anchor else { return anchor }
            let (_, last) = Cadence.pointsUpTo(first: anchor, upTo: from, interval: interval)
            let (next, o) = last.addingReportingOverflow(interval)
            return o ? nil : next
        case .cron(let spec):
            let wallFrom = time.wallNow.saturatingAdd(max(notBefore, nominal) - time.monotonicNow)
            guard let nextWall = spec.next(after: wallFrom) else { return nil }
            let (next, o) = time.monotonicNow.addingReportingOverflow(nextWall.saturatingSubtract(time.wallNow))
            return o ? nil : next
        }
    }

    /// The next `count` cadence points from `first` on (for `upcoming(n)`), without skipping.
    func points(from first: Int64, count: Int, time: TimeSource) -> [Int64] {
        var out: [Int64] = []
        var at: Int64? = first
        while let t = at, out.count < count {
            out.append(t)
            at = next(after: t, notBefore: t, time: time)
        }
        return out
    }
}

/// Cadence arithmetic that cannot overflow: the distance between two instants can be more than an
/// Int64 holds (from 1677 to 2262), but never more than a UInt64 does.
enum Cadence {
    /// For points `first + k·interval`: how many lie in [first, upTo] (at least 1 when
    /// upTo ≥ first), and the last of them.
    static func pointsUpTo(first: Int64, upTo: Int64, interval: Int64) -> (count: Int64, last: Int64) {
        guard upTo >= first, interval > 0 else { return (0, first) }
        let distance = UInt64(bitPattern: upTo &- first)
        let steps = distance / UInt64(interval)
        // steps·interval ≤ distance, and first + distance = upTo fits: the sum fits too.
        return (Int64(steps) &+ 1, first &+ Int64(bitPattern: steps &* UInt64(interval)))
    }
}

/// What a tick that comes due while an earlier tick of the same schedule waits or runs does.
enum OverlapPolicy: String, CaseIterable {
    /// At most one tick waits; a further one merges into it (counted as skipped).
    case bufferOne = "buffer_one"
    /// No tick is enqueued while one waits or runs (counted as skipped).
    case skip
    /// Every tick is enqueued, bounded only by the queue (a full queue drops it).
    case bufferAll = "buffer_all"
}

/// Runs again after a failure: `attempts` runs in all, the k-th retry `backoff · 2^(k-1)` after
/// the failure, at most `max`. No randomness, so virtual-time runs are exact.
/// A failed run's retry: a class, so a schedule without one pays 8 bytes.
final class PendingRetry {
    let attempt: Int
    let due: Int64
    let nominal: Int64
    init(_ attempt: Int, _ due: Int64, _ nominal: Int64) {
        self.attempt = attempt
        self.due = due
        self.nominal = nominal
    }
}

/// A class, not a struct: most schedules have none, and an optional reference costs a schedule
/// 8 bytes where the struct cost 32.
final class RetryPolicy: Equatable {
    let attempts: Int
    let backoff: Int64
    let max: Int64?

    init(attempts: Int, backoff: Int64, max: Int64?) {
        self.attempts = attempts
        self.backoff = backoff
        self.max = max
    }

    static func == (a: RetryPolicy, b: RetryPolicy) -> Bool {
        a.attempts == b.attempts && a.backoff == b.backoff && a.max == b.max
    }

    /// The wait after failed attempt `attempt` (1-based).
    func delay(after attempt: Int) -> Int64 {
        var d = backoff
        for _ in 1..<attempt {
            let (doubled, o) = d.multipliedReportingOverflow(by: 2)
            if o { d = Int64.max; break }
            d = doubled
            if let max, d >= max { break }
        }
        if let max { d = Swift.min(d, max) }
        return d
    }
}

/// The options a schedule was registered with.
struct ScheduleOptions {
    /// Its identity within its agent (re-registering the same name is idempotent).
    var name: String?
    var overlap: OverlapPolicy = .bufferOne
    var retry: RetryPolicy?
    /// Each tick comes due a pseudo-random offset in [0, jitter) after its cadence point.
    var jitter: Int64 = 0
    /// Among events due at the same instant, higher priority is enqueued first.
    var priority = 0
    /// A run longer than this is interrupted (`TimeoutError` in the callback), ns.
    var timeout: Int64?
    /// Called with the error and the handle when a run fails and no retry is left.
    var onFailure: Value?
    /// No tick comes due after this (monotonic ns).
    var ends: Int64?
    /// At most this many ticks are delivered; then the schedule is done.
    var limit: Int?

    var isDefault: Bool {
        name == nil && overlap == .bufferOne && retry == nil && jitter == 0 && priority == 0 && timeout == nil && onFailure == nil
            && ends == nil && limit == nil
    }
}

/// One entry of a schedule's history: a run of its callback, or a tick that did not run. Times are
/// monotonic ns (the handle shows them as wall-clock times).
struct ScheduleRun {
    enum Outcome: String { case ok, error, retried, skipped, dropped, running }
    /// How many entries a schedule keeps.
    static let kept = 20
    /// When the tick (or retry) was due.
    let due: Int64
    var started: Int64?
    var ended: Int64?
    var outcome: Outcome
    init(due: Int64, started: Int64? = nil, outcome: Outcome) {
        self.due = due
        self.started = started
        self.outcome = outcome
    }
}

/// A schedule's run as an event in its agent's mailbox.
struct Tick {
    /// When it came due (monotonic ns).
    let due: Int64
    /// Its cadence point, before jitter: the occurrence it is (a durable fire's key).
    let nominal: Int64
    /// 1 for a tick's first run, 2 and up for retries.
    let attempt: Int
}

/// The pseudo-random jitter of a schedule's ticks: the same for the same name (or id) and
/// `KEEL_SEED` on every machine, so a seeded run fires at the same instants every time.
enum Jitter {
    /// FNV-1a: a stable hash (Swift's `Hasher` differs from run to run).
    static func stableHash(_ text: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in text.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        return h
    }

    /// The offset of tick `index`, in [0, jitter).
    static func offset(seed: UInt64, schedule: Schedule, index: Int) -> Int64 {
        let jitter = schedule.options.jitter
        guard jitter > 0 else { return 0 }
        let key = schedule.options.name ?? "#\(schedule.id)"
        var generator = SeededRandom(seed: seed ^ stableHash(key) ^ UInt64(truncatingIfNeeded: index) &* 0x9E37_79B9_7F4A_7C15)
        return Int64(generator.next(below: UInt64(jitter)))
    }
}
