import Collections
import Foundation

/// What happens to the occurrences of a durable schedule that came due while no process ran.
enum MissedPolicy: String, CaseIterable {
    /// One catch-up run at start-up (the latest missed occurrence), then the cadence.
    case latest
    /// None: the schedule goes on at its next cadence point.
    case skip
    /// Every missed occurrence, oldest first, within the catch-up window and at most 1,000.
    case all
}

/// What a durable schedule keeps beyond an in-memory one: the task it calls (a lambda cannot be
/// stored), its arguments, the missed-fire policy, and where it is in its cadence in terms that
/// survive a restart.
final class DurableSchedule {
    /// The agent task it calls, by name, and its arguments (storable values) as stored.
    let task: String
    let argsText: String
    var missed: MissedPolicy
    /// How far back `missed: "all"` catches up (ns).
    var catchUp: Int64
    /// Occurrences that came due while no process ran.
    var missedCount = 0
    /// The cadence point of the last tick accounted for (run, skipped or dropped), monotonic ns.
    var lastDue: Int64?
    /// Something changed that the store does not know yet.
    var dirty = true

    /// At most this many catch-up runs at start-up (`missed: "all"`).
    static let maxCatchUp = 1_000
    /// `catch_up:` when none is given: a day.
    static let defaultCatchUp: Int64 = 86_400_000_000_000

    init(task: String, argsText: String, missed: MissedPolicy, catchUp: Int64) {
        self.task = task
        self.argsText = argsText
        self.missed = missed
        self.catchUp = catchUp
    }

    func accounted(_ nominal: Int64) {
        if lastDue.map({ nominal > $0 }) ?? true { lastDue = nominal }
        dirty = true
    }
}

/// The loop's side of a durable store: agents are restored at `run`, every turn of a durable
/// agent commits what it changed (state, schedules, the occurrence it ran) in one transaction, and
/// requests from outside are applied. A turn that fails commits nothing of its own and its state is
/// rolled back, so a scheduled turn's effect on state happens exactly once; the occurrence runs
/// again after a crash (at least once for what it does outside).
final class Durability {
    let store: DurableStore
    unowned let loop: EventLoop
    /// When requests were last read (real monotonic ns: also on a virtual clock, so a busy
    /// virtual run does not read the store every step).
    var lastPoll: Int64 = 0
    /// Read requests at most this often.
    static let pollInterval: Int64 = 1_000_000_000

    /// With a store several nodes share: leases, standby agents, the inbox.
    let shared: SharedNodes?

    /// Wall time minus monotonic time, read once (see `wall`).
    let wallOffset: Int64
    /// When the dormant timer is armed (monotonic ns), and its generation (older ones are stale).
    var dormantWake: Int64?
    var dormantGeneration = 0
    /// More dormant instances were due than there was room for: the loop brings back more at
    /// its next steps, as room frees.
    var dormantBacklog = false
    /// The loop has asked the store about dormant instances and messages once.
    var startedDormant = false
    /// When finished one-shots are next pruned (monotonic ns).
    var nextPrune: Int64 = .min

    /// An instance is being brought back from dormancy (see `restore`).
    var bringingBack = false

    // Group commit: turns' commits gathered into one transaction (one sync), and the messages
    // they sent, released when it is durable.
    let groupCommit: Bool
    var batch: [TurnCommit] = []
    /// The instances with a commit in the batch, and whether one of them leaves memory with it
    /// (reads of the store that depend on those wait for the batch).
    var batchIds: Set<String> = []
    var batchHasLeaving = false
    var held: [(AgentInstance, Event)] = []
    /// When the oldest commit in the batch was made (real monotonic ns).
    var batchStarted: Int64 = 0
    /// A batch goes to the store when it holds this many commits, when its oldest is this old,
    /// or when the loop has nothing else to do (before it waits or moves virtual time).
    static let batchLimit = 512
    static let batchWindow: Int64 = 2_000_000

    init(store: DurableStore, loop: EventLoop) {
        groupCommit = store.commitsInBatches
        self.store = store
        self.loop = loop
        wallOffset = loop.time.wallNow.saturatingSubtract(loop.time.monotonicNow)
        shared = (store as? SharedStore).map(SharedNodes.init)
    }

    var time: TimeSource { loop.time }

    // MARK: restoring

    /// What the store holds for a durable agent's instance (nil the first time).
    func load(_ instance: AgentInstance) throws -> StoredAgent? {
        // The store must answer with every commit made: one of this instance's may still be in
        // the open batch.
        if batchIds.contains(instance.storeId) { flush() }
        do { return try store.loadAgent(instance.storeId) } catch {
            throw KeelError("StoreError", "cannot read \(instance.label) from the store: \(error)")
        }
    }

    /// A stored state field's value, checked against the field's type.
    static func decode(_ text: String, field: AgentInfo.StateField, agent: AgentInfo) throws -> Value {
        var v = try StoredValue.decode(text) { .object(UuidValue($0)) }
        if let t = field.type {
            guard let c = t.coerce(v) else {
                throw KeelError(ErrorKind.type, "state field `\(field.name)` of \(agent.name): the store holds \(v.typeName), the field is \(t.description)")
            }
            v = c
        }
        return v
    }

    /// `run(A)` of a durable agent that has stored schedules: they are live again, with their
    /// counters, and the occurrences missed while no process ran are handled by their policy.
    /// A stored schedule that cannot be read (a damaged or tampered store) is a `StoreError`
    /// naming it: `run(A)` fails (exit 1), it never goes on without it.
    func restoreSchedules(_ stored: StoredAgent, _ instance: AgentInstance) throws {
        for row in stored.schedules {
            do { try restore(row, instance) } catch let e as KeelError where e.kind == "StoreError" {
                throw e
            } catch let e as KeelError {
                throw KeelError("StoreError", "cannot read the durable schedule \(instance.label).\(row.name) from the store: \(e.message)")
            } catch {
                throw KeelError("StoreError", "cannot read the durable schedule \(instance.label).\(row.name) from the store: \(error)")
            }
        }
    }

    private func restore(_ row: StoredSchedule, _ instance: AgentInstance) throws {
        let agent = instance.info
        guard let kind = Schedule.Kind(rawValue: row.kind), let proto = agent.tasks[row.task] else {
            // Its task is gone from the program (or the row is from another version): keep it
            // stored, but it cannot run.
            loop.interpreter.options.errorOutput("warning: durable schedule \(instance.label).\(row.name) calls task `\(row.task)`, which \(agent.name) no longer has; it stays stored and does not run")
            return
        }
        let timing = try Durability.decodeTiming(row.timing, monotonic: monotonic)
        var (options, missedPolicy, catchUpWindow) = try Durability.decodeOptions(row.options)
        var rescheduled = false
        options.name = row.name
        if case .map(let m)? = try? JSON.parse(row.options) {
            if case .int(let e)? = m[.str("ends")] { options.ends = monotonic(Int64(e)) }
            if case .bool(true)? = m[.str("rescheduled")] { rescheduled = true }
            if case .str(let task)? = m[.str("on_failure")], let proto = agent.tasks[task] {
                options.onFailure = .function(Function(proto: proto, upvalues: [], selfValue: instance.selfValue))
            }
        }
        let argsValue = try StoredValue.decode(row.args) { .object(UuidValue($0)) }
        guard case .list(let args) = argsValue else { throw StoreError("durable schedule \(row.name): its arguments are not a list") }
        let durable = DurableSchedule(task: row.task, argsText: row.args, missed: missedPolicy, catchUp: catchUpWindow)
        durable.missedCount = row.missed
        durable.lastDue = row.lastDue.map(monotonic)
        durable.dirty = false
        let callback = Value.function(Function(proto: proto, upvalues: [], selfValue: instance.selfValue))
        let s = Schedule(id: loop.nextScheduleId, kind: kind, callback: callback, owner: instance, timing: timing, options: options,
                         uid: row.uid ?? loop.newScheduleUID())
        loop.nextScheduleId += 1
        s.durable = durable
        s.args = args
        s.rescheduled = rescheduled
        s.due = row.due
        s.fired = row.fired
        s.skipped = row.skipped
        s.dropped = row.dropped
        s.failures = row.failures
        s.paused = row.paused
        for run in Durability.decodeHistory(row.history, monotonic: monotonic) { _ = s.record(run) }
        instance.namedSchedules[row.name] = s
        if row.done {
            // A one-shot that ran: its name stays taken; registering the same job again (a restart's
            // @on_start) keeps it done.
            s.live = false
            s.restoredDone = true
            return
        }
        instance.schedules.append(s)
        #if DEBUG
        loop.madeSchedules.append(s)
        #endif
        if let attempt = row.retryAttempt, let due = row.retryDue {
            s.pendingRetry = PendingRetry(attempt, monotonic(due), durable.lastDue ?? monotonic(due))
        }
        let now = time.monotonicNow
        // Where the cadence stands: the occurrence after the last one accounted for.
        var next: Int64?
        switch timing {
        case .every(_, let anchor): next = durable.lastDue.map { timing.next(after: $0, notBefore: $0, time: time) } ?? anchor
        case .cron: next = durable.lastDue.map { timing.next(after: $0, notBefore: $0, time: time) } ?? row.nextDue.map(monotonic)
        case .after, .at: next = row.nextDue.map(monotonic)
        }
        if s.paused {
            s.nextNominal = next   // resumes from there (see `resume`)
        } else if row.resumed, let first = next, first <= now {
            // Resumed while no process ran: what came due while it was paused is not missed; it
            // goes on from the next cadence point (a one-shot whose time passed fires now).
            durable.dirty = true
            loop.arm(s, nominal: s.isOneShot ? first : timing.next(after: first, notBefore: now, time: time))
        } else if let first = next, first <= now {
            // Occurrences that came due while no process had the instance are missed (`missed:`):
            // at a start, a take-over, a message. An instance brought back from dormancy by its
            // wake time is on time: what came due just now (within a poll) runs as a tick; only
            // what is older was missed (its process died while it was dormant).
            let missedUpTo = bringingBack ? now.saturatingSubtract(time.isVirtual ? 1 : Durability.pollInterval) : now
            if s.isOneShot {
                loop.arm(s, nominal: first)   // fires once, now, in due order with the others
            } else {
                var at: Int64? = first
                if first <= missedUpTo { at = catchUp(s, from: first, now: missedUpTo) }
                if let from = at, from <= now {
                    loop.arm(s, nominal: latest(s, from: from, now: now))
                } else {
                    loop.arm(s, nominal: at)
                }
            }
        } else {
            loop.arm(s, nominal: next)
        }
        if let retry = s.pendingRetry, !s.paused {
            loop.addTimer(at: max(retry.due, now), .retry(s, generation: s.retryGeneration), priority: s.options.priority)
        }
    }

    /// Occurrences from `first` up to now came due while no process ran. The runs it makes wait
    /// in the timer heap at their own due times, so the catch-up runs of all schedules (and
    /// one-shots whose time passed) start in due order.
    /// Returns the cadence point after `now`, where the recurring schedule goes on.
    private func catchUp(_ s: Schedule, from first: Int64, now: Int64) -> Int64? {
        guard let durable = s.durable else { return nil }
        var recent = Deque<Int64>()   // for "all": the latest ones within the window
        var last: Int64?
        var at: Int64? = first
        var count = 0
        if case .every(let interval, _) = s.timing {
            // Arithmetic: a fast cadence down for long passes millions of occurrences (and the
            // distance from an anchor centuries back is more than an Int64 holds: see `Cadence`).
            let (n, lastPoint) = Cadence.pointsUpTo(first: first, upTo: now, interval: interval)
            count = Int(n)
            last = lastPoint
            if durable.missed == .all {
                var t = lastPoint
                while t >= first && now.saturatingSubtract(t) <= durable.catchUp && recent.count < DurableSchedule.maxCatchUp {
                    recent.prepend(t)
                    let (prev, o) = t.subtractingReportingOverflow(interval)
                    if o { break }
                    t = prev
                }
            }
            at = lastPoint.addingReportingOverflow(interval).overflow ? nil : lastPoint + interval
        } else {
            while let t = at, t <= now, count < 10_000_000 {
                count += 1
                last = t
                if durable.missed == .all && now.saturatingSubtract(t) <= durable.catchUp {
                    recent.append(t)
                    if recent.count > DurableSchedule.maxCatchUp { recent.removeFirst() }
                }
                at = s.timing.next(after: t, notBefore: t, time: time)
            }
        }
        var runs: [Int64]
        switch durable.missed {
        case .latest: runs = last.map { [$0] } ?? []
        case .skip: runs = []
        case .all: runs = Array(recent)
        }
        durable.missedCount += count
        durable.dirty = true
        // What does not run is accounted for now; what runs is when its run ends (a crash before
        // then runs it again at the next start).
        let accounted = runs.first.map { $0.saturatingSubtract(1) } ?? last
        if let accounted, durable.lastDue.map({ accounted > $0 }) ?? true { durable.lastDue = accounted }
        for nominal in runs {
            s.due += 1
            s.waiting += 1
            loop.addTimer(at: nominal, .deliver(s, Tick(due: nominal, nominal: nominal, attempt: 1)), priority: s.options.priority)
        }
        return at
    }

    /// The latest cadence point from `from` up to `now`; the ones before it are counted as due and
    /// skipped.
    private func latest(_ s: Schedule, from: Int64, now: Int64) -> Int64 {
        var last = from
        var skipped = 0
        if case .every(let interval, _) = s.timing {
            let (n, point) = Cadence.pointsUpTo(first: from, upTo: now, interval: interval)
            skipped = Int(n) - 1
            last = point
        } else {
            while skipped < 100_000, let t = s.timing.next(after: last, notBefore: last, time: time), t <= now {
                last = t
                skipped += 1
            }
        }
        if skipped > 0 {
            s.due += skipped
            s.skipped += skipped
            s.record(ScheduleRun(due: from, outcome: .skipped))
            s.durable?.accounted(last.saturatingSubtract(1))
        }
        return last
    }

    // MARK: committing

    /// After a turn (or hook) that touched durable agent `instance`: commit what changed. A failed
    /// turn rolls the state back instead. `fire`: the occurrence the turn ran.
    func turnEnded(_ instance: AgentInstance, succeeded: Bool, fire: (Schedule, Tick)?, consumed: Int64? = nil) {
        guard instance.info.durable else { return }
        if !succeeded {
            // Its state goes back to the last commit; what it did to schedules (a failure
            // counted, a retry pending, a schedule registered before it raised) is committed.
            if let committed = instance.committedState { instance.state = committed }
            commit(instance, consumed: consumed)
            return
        }
        commit(instance, fire: fire, consumed: consumed)
    }

    /// `leaving`: the instance leaves memory with this commit (it stopped, or is unloaded when
    /// idle): the store records that, and, unloaded, when it must be back.
    func commit(_ instance: AgentInstance, fire: (Schedule, Tick)? = nil, consumed: Int64? = nil, leaving: Leaving? = nil) {
        let agent = instance.info
        var c = TurnCommit(agent: instance.storeId, consumed: consumed)
        c.base = agent.name
        c.key = instance.key.map(InstanceId.keyText)
        c.loaded = leaving == nil
        c.wake = leaving == .stopped ? nil : wake(instance)
        let committed = instance.committedState
        for (i, field) in agent.stateFields.enumerated() where i < instance.state.count {
            if let committed, i < committed.count, committed[i] == instance.state[i] { continue }
            do { c.state[field.name] = try StoredValue.encode(instance.state[i]) } catch let e as StoredValue.Unstorable {
                fail(KeelError(ErrorKind.value, "state field `\(field.name)` of \(agent.name) holds \(e.kind), which cannot be stored (a durable agent's state must be data: numbers, strings, lists, maps, records...)"))
                instance.state[i] = committed?[i] ?? .none
                return
            } catch { return }
        }
        if let (s, tick) = fire, let name = s.options.name, s.durable != nil {
            s.durable!.accounted(tick.nominal)
            c.fire = (name, wall(tick.nominal))
        }
        for s in instance.durableSchedules where s.durable?.dirty ?? false {
            c.schedules.append(row(s))
            s.durable!.dirty = false
        }
        c.removedSchedules = instance.removedDurableSchedules
        instance.removedDurableSchedules.removeAll()
        // A turn that changed nothing commits nothing (the instance's row, with its wake time,
        // is written with every commit that does, and when it leaves memory).
        let sent = instance.outbox
        instance.outbox.removeAll()
        guard !c.isEmpty || leaving != nil || instance.wakeCommitted != c.wake else {
            // Its messages wait for the batch when one is open (they may rest on its commits).
            if batch.isEmpty { loop.release(sent) } else { held += sent }
            return
        }
        if groupCommit {
            instance.committedState = instance.state
            instance.wakeCommitted = c.wake
            if batch.isEmpty { batchStarted = RealTime.read(CLOCK_MONOTONIC) }
            batch.append(c)
            batchIds.insert(c.agent)
            if !c.loaded { batchHasLeaving = true }
            held += sent
            if batch.count >= Durability.batchLimit { flush() }
            return
        }
        loop.release(sent)
        do {
            try store.commit(c)
            instance.committedState = instance.state
            instance.wakeCommitted = c.wake
        } catch let e as LeaseLost {
            lose(e.agent)   // fencing: another node runs it now; this turn's effects are not kept
        } catch {
            fail(KeelError("StoreError", "cannot commit \(agent.name)'s turn to the store: \(error)"))
        }
    }

    enum Leaving { case stopped, unloaded }

    /// When a durable instance must be in memory next (wall ns): its earliest due durable
    /// schedule or pending retry, now if a run of one waits; nil when nothing is due.
    func wake(_ instance: AgentInstance) -> Int64? {
        var earliest: Int64?
        for s in instance.namedSchedules.values where s.durable != nil && s.live && !s.paused {
            var at = s.nextDeadline ?? s.nextNominal
            if let retry = s.pendingRetry { at = min(at ?? retry.due, retry.due) }
            if s.waiting > 0 || s.retryWaiting { at = time.monotonicNow }
            if let at { earliest = min(earliest ?? at, at) }
        }
        return earliest.map(wall)
    }

    /// The open batch goes to the store as one transaction; then the messages its turns sent are
    /// released. A batch that cannot be written ends the run (its turns' effects are never
    /// released).
    func flush() {
        guard !batch.isEmpty else {
            let sent = held
            held.removeAll()
            loop.release(sent)
            return
        }
        let commits = batch
        batch.removeAll()
        batchIds.removeAll()
        batchHasLeaving = false
        do {
            try store.commitBatch(commits)
        } catch {
            let agents = Set(commits.map(\.agent)).sorted()
            let who = agents.count == 1 ? "\(agents[0])'s turn" : "the turns of \(agents.prefix(3).joined(separator: ", "))\(agents.count > 3 ? " and others" : "")"
            fail(KeelError("StoreError", "cannot commit \(who) to the store: \(error)"))
            return
        }
        let sent = held
        held.removeAll()
        loop.release(sent)
    }

    /// Whether the open batch should go now: it is full, or its oldest commit has waited long
    /// enough.
    var batchDue: Bool {
        !batch.isEmpty && (batch.count >= Durability.batchLimit || RealTime.read(CLOCK_MONOTONIC) - batchStarted >= Durability.batchWindow)
    }

    /// A store that cannot be written ends the run (exit 1): turns of durable agents must not go
    /// on without their commits.
    func fail(_ e: KeelError) {
        loop.interpreter.options.errorOutput(e.render(color: loop.interpreter.color))
        if loop.fatalError == nil { loop.fatalError = e }
    }

    /// The stored form of a durable schedule.
    func row(_ s: Schedule) -> StoredSchedule {
        let d = s.durable!
        var options: [String] = ["\"overlap\":\"\(s.options.overlap.rawValue)\"", "\"priority\":\(s.options.priority)",
                                 "\"jitter\":\(s.options.jitter)", "\"missed\":\"\(d.missed.rawValue)\"", "\"catch_up\":\(d.catchUp)"]
        if let r = s.options.retry {
            options.append("\"retry\":{\"attempts\":\(r.attempts),\"backoff\":\(r.backoff),\"max\":\(r.max.map(String.init) ?? "null")}")
        }
        if let t = s.options.timeout { options.append("\"timeout\":\(t)") }
        if s.rescheduled { options.append("\"rescheduled\":true") }
        if let n = s.options.limit { options.append("\"limit\":\(n)") }
        if let e = s.options.ends { options.append("\"ends\":\(wall(e))") }
        if case .function(let f)? = s.options.onFailure, let task = s.owner.info.tasks.first(where: { $0.value === f.proto })?.key {
            options.append("\"on_failure\":\(JSON.quote(task))")
        }
        let history = s.history.map { r -> String in
            "{\"due\":\(wall(r.due)),\"started\":\(r.started.map { String(wall($0)) } ?? "null"),\"ended\":\(r.ended.map { String(wall($0)) } ?? "null"),\"outcome\":\"\(r.outcome.rawValue)\"}"
        }
        let last = s.history.last(where: { $0.ended != nil })
        return StoredSchedule(
            agent: s.owner.storeId, name: s.options.name!, kind: s.kind.rawValue, timing: encodeTiming(s), task: d.task,
            args: d.argsText, options: "{" + options.joined(separator: ",") + "}",
            due: s.due - s.waiting, fired: s.fired, skipped: s.skipped, dropped: s.dropped, failures: s.failures,
            missed: d.missedCount, paused: s.paused, resumed: false, done: !s.live && s.isOneShot,
            lastDue: d.lastDue.map(wall), nextDue: (s.nextNominal ?? s.nextDeadline).map(wall),
            retryAttempt: s.pendingRetry?.attempt, retryDue: s.pendingRetry.map { wall($0.due) },
            history: "[" + history.joined(separator: ",") + "]",
            lastOutcome: last?.outcome.rawValue, lastRun: last?.ended.map(wall), uid: s.uid)
    }

    func encodeTiming(_ s: Schedule) -> String {
        switch s.timing {
        case .every(let interval, let anchor): return "{\"every\":\(interval),\"anchor\":\(wall(anchor))}"
        case .cron(let spec): return "{\"cron\":\(JSON.quote(spec.expression)),\"tz\":\(spec.zone.map { JSON.quote($0.identifier) } ?? "null")}"
        case .after(let delay): return "{\"after\":\(delay)}"
        case .at(let w): return "{\"at\":\(w)}"
        }
    }

    static func decodeTiming(_ text: String, monotonic: (Int64) -> Int64) throws -> ScheduleTiming {
        guard case .map(let m) = try JSON.parse(text) else { throw StoreError("a stored schedule's timing is not an object: \(text)") }
        func int(_ k: String) -> Int64? { if case .int(let i)? = m[.str(k)] { return Int64(i) }; return nil }
        if let interval = int("every"), let anchor = int("anchor") {
            return .every(interval: interval, anchor: monotonic(anchor))
        }
        if case .str(let expr)? = m[.str("cron")] {
            var tz: String?
            if case .str(let z)? = m[.str("tz")] { tz = z }
            return .cron(try CronSpec.cached(expr, zone: tz))
        }
        if let delay = int("after") { return .after(delay: delay) }
        if let at = int("at") { return .at(wall: at) }
        throw StoreError("a stored schedule's timing is not one this interpreter knows: \(text)")
    }

    /// The schedule options stored with a durable schedule, and its missed-fire policy.
    static func decodeOptions(_ text: String) throws -> (ScheduleOptions, MissedPolicy, catchUp: Int64) {
        guard case .map(let m) = try JSON.parse(text) else { throw StoreError("a stored schedule's options are not an object: \(text)") }
        var missed = MissedPolicy.latest, catchUp = DurableSchedule.defaultCatchUp
        if case .str(let text)? = m[.str("missed")], let p = MissedPolicy(rawValue: text) { missed = p }
        if case .int(let ns)? = m[.str("catch_up")] { catchUp = Int64(ns) }
        var o = ScheduleOptions()
        if case .str(let overlap)? = m[.str("overlap")], let p = OverlapPolicy(rawValue: overlap) { o.overlap = p }
        if case .int(let p)? = m[.str("priority")] { o.priority = p }
        if case .int(let j)? = m[.str("jitter")] { o.jitter = Int64(j) }
        if case .map(let r)? = m[.str("retry")], case .int(let attempts)? = r[.str("attempts")], case .int(let backoff)? = r[.str("backoff")] {
            var maximum: Int64?
            if case .int(let x)? = r[.str("max")] { maximum = Int64(x) }
            o.retry = RetryPolicy(attempts: attempts, backoff: Int64(backoff), max: maximum)
        }
        if case .int(let t)? = m[.str("timeout")], t > 0 { o.timeout = Int64(t) }
        if case .int(let n)? = m[.str("limit")], n > 0 { o.limit = n }
        return (o, missed, catchUp)
    }

    /// A stored history (its times wall ns); a run that was going on when the process ended
    /// reads as an error (it did not finish).
    static func decodeHistory(_ text: String, monotonic: (Int64) -> Int64) -> [ScheduleRun] {
        guard case .list(let items)? = try? JSON.parse(text) else { return [] }
        return items.compactMap { item -> ScheduleRun? in
            guard case .map(let m) = item, case .int(let due)? = m[.str("due")], case .str(let o)? = m[.str("outcome")],
                  var outcome = ScheduleRun.Outcome(rawValue: o) else { return nil }
            func time(_ k: String) -> Int64? { if case .int(let t)? = m[.str(k)] { return monotonic(Int64(t)) }; return nil }
            if outcome == .running { outcome = .error }
            var run = ScheduleRun(due: monotonic(Int64(due)), started: time("started"), outcome: outcome)
            run.ended = time("ended")
            return run
        }
    }

    // MARK: requests from outside

    /// Applies `keel schedules pause|resume|cancel` requests (read at most once a second).
    func pollRequests(force: Bool = false) {
        let now = RealTime.read(CLOCK_MONOTONIC)
        guard force || now - lastPoll >= Durability.pollInterval else { return }
        lastPoll = now
        flush()
        let requests: [ScheduleRequest]
        do {
            try store.heartbeat()
            requests = try store.takeRequests()
        } catch {
            fail(KeelError("StoreError", "cannot read the store: \(error)"))
            return
        }
        if !startedDormant {
            startedDormant = true
            armDormantTimer()
        }
        takeMessages()
        for r in requests {
            guard let instance = loop.liveAgents.all.first(where: { $0.storeId == r.agent }),
                  let s = instance.namedSchedules[r.schedule], s.durable != nil else { continue }
            switch r.action {
            case .pause: loop.pause(s)
            case .resume: loop.resume(s)
            case .cancel: _ = loop.cancel(s)
            case .reschedule:
                guard let kindText = r.kind, let kind = Schedule.Kind(rawValue: kindText), let text = r.timing,
                      let timing = try? Durability.decodeTiming(text, monotonic: monotonic), let next = r.nextDue else { continue }
                loop.reschedule(s, kind: kind, timing: timing, first: monotonic(next))
            }
            s.durable?.dirty = true
            commit(instance)
        }
    }

    // MARK: clocks

    /// Stored times are wall ns; the loop's are monotonic. One offset, taken when the store was
    /// opened, converts both ways, so the conversion is exact arithmetic: a cadence point stored
    /// and read back (here or on another node) is the same nanosecond, and so is the key of its
    /// occurrence. (Reading both clocks at each conversion drifted by tens of nanoseconds.)
    func wall(_ monotonic: Int64) -> Int64 { monotonic.saturatingAdd(wallOffset) }
    func monotonic(_ wall: Int64) -> Int64 { wall.saturatingSubtract(wallOffset) }
}

extension AgentInstance {
    /// Its durable schedules (named, of a durable agent), live or not.
    var durableSchedules: [Schedule] { namedSchedules.values.filter { $0.durable != nil }.sorted { $0.id < $1.id } }
}
