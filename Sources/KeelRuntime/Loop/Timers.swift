import Collections

/// A deadline in the timer heap: wake a sleeping turn, make a schedule's tick or retry come due,
/// or (in the heap of events waiting for a slot) deliver a run. Ordered by deadline, then by
/// priority (higher first), then by when it was armed.
struct TimerEntry: Comparable {
    enum Action {
        /// Wake a fiber parked in episode `generation` (stale if it has been woken since).
        case resume(Fiber, generation: Int)
        /// A schedule's next tick comes due (stale if the schedule was re-armed since).
        case tick(Schedule, generation: Int)
        /// A schedule's retry comes due.
        case retry(Schedule, generation: Int)
        /// A run waiting for a slot in the queue.
        case deliver(Schedule, Tick)
        /// See whether an instance with `@idle` has been idle long enough to leave memory.
        case idleCheck(AgentInstance)
        /// Dormant keyed instances are due: bring them back (stale if armed again since).
        case dormantDue(generation: Int)
    }
    let deadline: Int64
    let priority: Int
    let seq: Int
    let action: Action
    static func < (a: TimerEntry, b: TimerEntry) -> Bool {
        if a.deadline != b.deadline { return a.deadline < b.deadline }
        if a.priority != b.priority { return a.priority > b.priority }
        return a.seq < b.seq
    }
    static func == (a: TimerEntry, b: TimerEntry) -> Bool { a.deadline == b.deadline && a.seq == b.seq }
}

/// Timers and the schedules they drive. A schedule is armed at its next cadence point (plus its
/// jitter); when a tick comes due, the overlap policy lets it through or skips it, then the queue's
/// overflow policy delivers it, drops it (queue full, recurring tick) or makes it wait for a slot.
extension EventLoop {
    /// A deadline past the end of the clock's range (a sleep of 300 years, saturated) is never:
    /// no timer is armed for it.
    func addTimer(at deadline: Int64, _ action: TimerEntry.Action, priority: Int = 0) {
        guard deadline < Int64.max else { return }
        timers.insert(TimerEntry(deadline: deadline, priority: priority, seq: nextSeq(), action: action))
    }

    func fireDueTimers() {
        guard !timers.isEmpty else { return }   // spares a clock read per step when nothing is scheduled
        let now = time.monotonicNow
        while let top = timers.min, top.deadline <= now {
            _ = timers.popMin()
            switch top.action {
            case .resume(let fiber, let generation): work.append(.resume(fiber, generation: generation))
            case .tick(let s, let generation): if s.generation == generation { comeDue(s, at: top.deadline) }
            case .retry(let s, let generation): if s.retryGeneration == generation { retryDue(s) }
            case .deliver(let s, let tick): deliverOrWait(s, tick)
            case .idleCheck(let instance): idleCheckDue(instance)
            case .dormantDue(let generation): if let durability, durability.dormantGeneration == generation { durability.dormantDue() }
            }
        }
    }

    // MARK: arming

    /// Registers a schedule whose first cadence point is `first`. A tick due already (an `every`'s
    /// first, with no jitter) comes due now, so it is enqueued in registration order.
    func start(_ s: Schedule, first: Int64) {
        #if DEBUG
        madeSchedules.append(s)
        #endif
        s.owner.schedules.append(s)
        if let name = s.options.name { s.owner.namedSchedules[name] = s }
        arm(s, nominal: first)
    }

    /// A named schedule registered again from inside its own run, or after it finished (a
    /// one-shot that ran): a new occurrence of it, with the timing, callback and options just
    /// given; its counters and history go on.
    func rearm(_ s: Schedule, kind: Schedule.Kind, callback: Value, args: [Value], timing: ScheduleTiming,
               options: ScheduleOptions, durable: DurableSchedule?, first: Int64, duringRun: Bool) {
        s.kind = kind
        s.callback = callback
        s.args = args
        s.timing = timing
        s.options = options
        if let durable {
            durable.missedCount = s.durable?.missedCount ?? 0
            durable.lastDue = s.durable?.lastDue
            durable.dirty = true
        }
        s.durable = durable
        s.live = true
        s.restoredDone = false
        s.paused = false
        s.pendingRetry = nil
        s.retryGeneration += 1
        if duringRun && s.inFlight { s.rearmedDuringRun = true }
        if !s.owner.schedules.contains(where: { $0 === s }) {
            s.owner.schedules.append(s)
            #if DEBUG
            madeSchedules.append(s)
            #endif
        }
        arm(s, nominal: first)
    }

    /// Arms the tick whose cadence point is `nominal` (nil: nothing more comes due).
    func arm(_ s: Schedule, nominal: Int64?) {
        s.generation += 1
        s.nextNominal = nominal
        s.nextDeadline = nil
        guard let nominal, s.live, !s.paused else { return }
        let due = nominal.saturatingAdd(Jitter.offset(seed: jitterSeed, schedule: s, index: s.armed))
        s.armed += 1
        s.armedAt = time.monotonicNow
        guard due < Int64.max else { s.nextNominal = nil; return }   // past the clock's range: never
        s.nextDeadline = due
        if due <= time.monotonicNow && s.due == 0 {
            comeDue(s, at: due)   // the first tick of `every`, due at registration
        } else {
            addTimer(at: due, .tick(s, generation: s.generation), priority: s.options.priority)
        }
    }

    /// The seed of every schedule's jitter: `KEEL_SEED`, or a random one per run.
    var jitterSeed: UInt64 {
        if let seed = cachedJitterSeed { return seed }
        let seed = interpreter.options.environment["KEEL_SEED"].flatMap { Int64($0) }.map { UInt64(bitPattern: $0) }
            ?? UInt64.random(in: 0...UInt64.max)
        cachedJitterSeed = seed
        return seed
    }

    // MARK: ticks

    /// A tick came due: the overlap policy, then the queue's; then the next tick is armed.
    private func comeDue(_ s: Schedule, at due: Int64) {
        guard s.live, !s.paused, s.owner.accepting else { return }
        s.due += 1
        let nominal = s.nextNominal ?? due
        let overlapping: Bool
        switch s.options.overlap {
        case .bufferAll: overlapping = false
        case .bufferOne: overlapping = s.waiting > 0
        case .skip: overlapping = s.waiting > 0 || s.running
        }
        if overlapping {
            s.skipped += 1
            s.record(ScheduleRun(due: due, outcome: .skipped))
            s.durable?.accounted(nominal)
            warnSkipped(s)
        } else if isFull && s.tickRecurs {
            s.dropped += 1
            droppedTotal += 1
            s.record(ScheduleRun(due: due, outcome: .dropped))
            s.durable?.accounted(nominal)
        } else {
            deliverOrWait(s, Tick(due: due, nominal: nominal, attempt: 1), counted: false)
        }
        // The next cadence point after this one, skipping those the loop is too late for. How
        // late is judged against this tick's due time (or when it was armed, if that was later:
        // a tick is armed when the one before comes due, and with a jitter longer than the period
        // it may be due already), never against its cadence point: jitter delays ticks without
        // making cadence points look missed.
        let late = max(0, time.monotonicNow.saturatingSubtract(max(due, s.armedAt)))
        var next = s.timing.next(after: nominal, notBefore: nominal.saturatingAdd(late), time: time)
        // `ends:` and `limit:` end it: nothing more comes due (a run waiting still runs).
        if let ends = s.options.ends, let n = next, n > ends { next = nil }
        if let limit = s.options.limit, s.fired + s.waiting >= limit { next = nil }
        if let next { skipMissed(s, after: nominal, before: next) }
        arm(s, nominal: next)
        if next == nil && s.waiting == 0 && !s.inFlight && s.pendingRetry == nil { s.live = false }
    }

    /// A skipped tick is said on standard error at `warn`, at most once a minute per schedule
    /// (with how many were skipped since).
    private func warnSkipped(_ s: Schedule) {
        s.skippedUnwarned += 1
        let now = time.monotonicNow
        guard now.saturatingSubtract(s.lastSkipWarning) >= 60_000_000_000 else { return }
        let threshold = interpreter.options.environment["KEEL_LOG_LEVEL"].flatMap { LogLevel(name: $0) } ?? .info
        if threshold.rawValue <= LogLevel.warn.rawValue {
            let what = s.options.name.map { "schedule \"\($0)\"" } ?? "a schedule"
            let n = s.skippedUnwarned
            interpreter.options.errorOutput("[warn] \(what) of \(s.owner.label) skipped \(n) tick\(n == 1 ? "" : "s") (overlap \"\(s.options.overlap.rawValue)\": a run was still waiting or under way)")
        }
        s.skippedUnwarned = 0
        s.lastSkipWarning = now
    }

    /// `h.run_now()`: one extra run now, as a one-shot of the schedule; its overlap policy applies
    /// (true when the run was let through).
    func runNow(_ s: Schedule) -> Bool {
        guard s.live, s.owner.accepting else { return false }
        let now = time.monotonicNow
        s.due += 1
        let overlapping: Bool
        switch s.options.overlap {
        case .bufferAll: overlapping = false
        case .bufferOne: overlapping = s.waiting > 0
        case .skip: overlapping = s.waiting > 0 || s.running
        }
        if overlapping {
            s.skipped += 1
            s.record(ScheduleRun(due: now, outcome: .skipped))
            return false
        }
        deliverOrWait(s, Tick(due: now, nominal: now, attempt: 1), counted: false)
        return true
    }

    /// Cadence points between two ticks that the loop was too late for (a busy real clock) came
    /// due and were skipped: they are counted, so `due = fired + skipped + dropped + waiting`
    /// covers every cadence point.
    private func skipMissed(_ s: Schedule, after nominal: Int64, before next: Int64) {
        var missed = 0
        var first = next
        switch s.timing {
        case .every(let interval, _):
            missed = Int((next.saturatingSubtract(nominal)) / interval) - 1
            first = nominal.saturatingAdd(interval)
        case .cron:
            var p = nominal
            while missed < 100_000, let q = s.timing.next(after: p, notBefore: p, time: time), q < next {
                if missed == 0 { first = q }
                missed += 1
                p = q
            }
        case .after, .at: return
        }
        guard missed > 0 else { return }
        s.due += missed
        s.skipped += missed
        s.record(ScheduleRun(due: first, outcome: .skipped))   // one entry for the run of them
    }

    /// A retry came due: it never drops; it waits for a slot like a one-shot.
    private func retryDue(_ s: Schedule) {
        guard s.live, !s.paused, let retry = s.pendingRetry, s.owner.accepting else { return }
        s.pendingRetry = nil
        s.retryWaiting = true
        deliverOrWait(s, Tick(due: retry.due, nominal: retry.nominal, attempt: retry.attempt), counted: false)
    }

    /// Puts a run in its agent's mailbox, or in the heap of runs waiting for a slot when the queue
    /// is full (`counted`: it is already counted as waiting).
    func deliverOrWait(_ s: Schedule, _ tick: Tick, counted: Bool = true) {
        if !counted { s.waiting += 1 }
        guard s.live, s.owner.accepting else {
            discard(s, tick)
            return
        }
        if isFull {
            waiting.insert(TimerEntry(deadline: tick.due, priority: s.options.priority, seq: nextSeq(), action: .deliver(s, tick)))
            return
        }
        enqueue(Event(kind: .tick(s, tick), due: tick.due), to: s.owner)
    }

    /// A run that will never start (its schedule was cancelled, or its agent stopped): a tick's
    /// first run counts as dropped.
    func discard(_ s: Schedule, _ tick: Tick) {
        s.waiting -= 1
        if tick.attempt == 1 {
            s.dropped += 1
            s.record(ScheduleRun(due: tick.due, outcome: .dropped))
            s.durable?.accounted(tick.nominal)
        }
        if tick.attempt > 1 { s.retryWaiting = false }
    }

    /// A slot was freed: runs waiting for one move into the queue, earliest due first.
    @inline(__always)
    func slotFreed() {
        if waiting.isEmpty { return }   // the usual case, once per event
        while pending < capacity, let entry = waiting.popMin() {
            if case .deliver(let s, let tick) = entry.action { deliverOrWait(s, tick) }
        }
    }

    /// Runs of `instance`'s schedules still waiting for a slot are discarded (it stopped).
    func discardWaiting(of instance: AgentInstance) {
        guard !waiting.isEmpty else { return }
        var kept = Heap<TimerEntry>()
        while let entry = waiting.popMin() {
            if case .deliver(let s, let tick) = entry.action, s.owner === instance { discard(s, tick) } else { kept.insert(entry) }
        }
        waiting = kept
    }

    // MARK: runs

    /// A tick's run starts (in its agent's turn); returns its history entry's number, or nil when
    /// it must not run: its schedule was cancelled while it waited.
    func runStarts(_ s: Schedule, _ tick: Tick) -> Int? {
        guard s.live else {
            discard(s, tick)
            return nil
        }
        s.waiting -= 1
        s.durable?.dirty = true
        if tick.attempt == 1 { s.fired += 1 } else { s.retryWaiting = false }
        // A one-shot that will not retry is done once it starts (its handle reads as not live).
        if s.isOneShot && s.options.retry == nil { s.live = false }
        s.inFlight = true
        return s.record(ScheduleRun(due: tick.due, started: time.monotonicNow, outcome: .running))
    }

    /// A run ended: `failed` if its callback raised. Returns the delay before a retry, if the
    /// schedule will retry.
    func runEnded(_ s: Schedule, _ tick: Tick, _ run: Int, failed: Bool) -> Int64? {
        let ended = time.monotonicNow
        s.durable?.dirty = true
        if s.rearmedDuringRun {
            // Its run registered it again: the new occurrence goes on; this run's outcome is history.
            s.rearmedDuringRun = false
            s.inFlight = false
            if failed { s.failures += 1 }
            s.update(run) { $0.ended = ended; $0.outcome = failed ? .error : .ok }
            s.durable?.accounted(tick.nominal)
            return nil
        }
        var retryIn: Int64?
        if failed {
            s.failures += 1
            if let retry = s.options.retry, tick.attempt < retry.attempts, s.live {
                let delay = retry.delay(after: tick.attempt)
                let due = time.monotonicNow.saturatingAdd(delay)
                s.pendingRetry = PendingRetry(tick.attempt + 1, due, tick.nominal)
                if !s.paused { addTimer(at: due, .retry(s, generation: s.retryGeneration), priority: s.options.priority) }
                retryIn = delay
            }
            let outcome: ScheduleRun.Outcome = retryIn == nil ? .error : .retried
            s.update(run) { $0.ended = ended; $0.outcome = outcome }
        } else {
            s.update(run) { $0.ended = ended; $0.outcome = .ok }
        }
        s.inFlight = false
        if retryIn == nil {
            s.durable?.accounted(tick.nominal)   // this occurrence is over (ran, or gave up)
            if s.isOneShot && s.pendingRetry == nil && !s.retryWaiting { s.live = false }   // done: it ran (and will not retry)
            // A recurring schedule past its `ends:` or `limit:` is done once its last run ends.
            if !s.isOneShot && s.nextNominal == nil && !s.paused && s.waiting == 0 && s.pendingRetry == nil && !s.retryWaiting { s.live = false }
        }
        return retryIn
    }

    /// `keel schedules reschedule`: a new timing for a live schedule; its counters and history go
    /// on, and it comes due next at `first`.
    func reschedule(_ s: Schedule, kind: Schedule.Kind, timing: ScheduleTiming, first: Int64) {
        guard s.live else { return }
        s.kind = kind
        s.timing = timing
        s.rescheduled = true
        s.durable?.lastDue = nil
        s.durable?.dirty = true
        if s.paused { s.nextNominal = first } else { arm(s, nominal: first) }
    }

    /// A run cut off because its instance stopped (or the run ended): it neither failed nor
    /// retries.
    func runAbandoned(_ s: Schedule, _ run: Int) {
        let ended = time.monotonicNow
        s.inFlight = false
        s.rearmedDuringRun = false
        s.update(run) { $0.ended = ended; $0.outcome = .error }
    }

    // MARK: pause, resume, cancel

    /// Stops ticks from coming due (they are neither skipped nor dropped); a pending retry waits.
    func pause(_ s: Schedule) {
        guard s.live, !s.paused else { return }
        s.paused = true
        s.durable?.dirty = true
        s.generation += 1
        s.retryGeneration += 1   // a pending retry is held until resume
        s.nextDeadline = nil
    }

    /// Continues at the next cadence point after now, with no burst; a one-shot whose time passed
    /// fires now; a pending retry comes due when it would have, or now if that has passed.
    func resume(_ s: Schedule) {
        guard s.live, s.paused else { return }
        s.paused = false
        s.durable?.dirty = true
        let now = time.monotonicNow
        var next: Int64?
        switch s.timing {
        case .after, .at:
            next = s.nextNominal.map { max($0, now) }
        case .every, .cron:
            if let nominal = s.nextNominal {
                next = nominal > now ? nominal : s.timing.next(after: nominal, notBefore: now, time: time)
            }
        }
        let index = s.armed
        s.armed = max(0, index - 1)   // the tick that was armed when it paused is armed again
        arm(s, nominal: next)
        if let retry = s.pendingRetry {
            addTimer(at: max(retry.due, now), .retry(s, generation: s.retryGeneration), priority: s.options.priority)
        }
    }

    /// Stops future ticks and any pending retry; true if the schedule was live. Runs already
    /// waiting are discarded when their turn comes.
    func cancel(_ s: Schedule) -> Bool {
        let wasLive = s.live
        s.live = false
        s.generation += 1
        s.retryGeneration += 1
        s.nextDeadline = nil
        s.nextNominal = nil
        s.pendingRetry = nil
        s.owner.schedules.removeAll { $0 === s }
        if let name = s.options.name, s.owner.namedSchedules[name] === s {
            s.owner.namedSchedules[name] = nil
            if s.durable != nil { s.owner.removedDurableSchedules.append(name) }   // its row goes at the next commit
        }
        return wasLive
    }

    /// The next `n` times the schedule's ticks come due (honouring pause and jitter).
    func upcoming(_ s: Schedule, _ n: Int) -> [Int64] {
        guard s.live, !s.paused, n > 0, let first = s.nextNominal else { return [] }
        let points = s.timing.points(from: first, count: n, time: time)
        return points.enumerated().map { i, p in p.saturatingAdd(Jitter.offset(seed: jitterSeed, schedule: s, index: s.armed - 1 + i)) }
    }

    /// A monotonic time as wall-clock ns.
    func wall(_ monotonic: Int64) -> Int64 {
        time.wallNow.saturatingAdd(monotonic.saturatingSubtract(time.monotonicNow))
    }
}

/// A schedule's counters, as tests read them after a run (debug builds keep every schedule).
package struct ScheduleCounters: CustomStringConvertible {
    package let id: Int
    package let name: String?
    package let kind: String
    package let due, fired, skipped, dropped, failures, waiting: Int
    package let live: Bool
    /// Its agent stopped while a retry was pending whose time had passed (a retry that never ran).
    package let overdueRetryAtStop: Bool
    package var description: String {
        "#\(id) \(kind) \(name ?? ""): due \(due) fired \(fired) skipped \(skipped) dropped \(dropped) waiting \(waiting) failures \(failures)"
            + (overdueRetryAtStop ? " overdue retry at stop" : "")
    }

    init(_ s: Schedule) {
        id = s.id
        name = s.options.name
        kind = s.kind.rawValue
        due = s.due
        fired = s.fired
        skipped = s.skipped
        dropped = s.dropped
        failures = s.failures
        waiting = s.waiting
        live = s.live
        #if DEBUG
        overdueRetryAtStop = s.overdueRetryAtStop
        #else
        overdueRetryAtStop = false
        #endif
    }
}

extension Interpreter {
    /// Every schedule this interpreter made, with its counters (debug builds; empty otherwise).
    package var scheduleCounters: [ScheduleCounters] {
        #if DEBUG
        guard let loop = loopIfStarted else { return [] }
        return loop.madeSchedules.isEmpty ? loop.finalScheduleCounters : loop.madeSchedules.map(ScheduleCounters.init)
        #else
        return []
        #endif
    }
}
