import Collections
import Foundation
import KeelSyntax

/// The event loop: one bounded queue of events for all agents, a timer heap, and the fibers that
/// run turns. Only one fiber runs at a time (see `Baton`); a suspended turn parks its fiber and
/// holds up only its own agent.
package final class EventLoop {
    /// The interpreter owns its loop, so this reference never outlives its target (and
    /// `unowned(unsafe)` spares a reference-count check on every use in the loop's hot path).
    unowned(unsafe) let interpreter: Interpreter
    package let time: TimeSource
    /// How many events may wait (in all mailboxes together) before `send` raises `RuntimeBusy`.
    package let capacity: Int
    /// Events enqueued whose turn has not started yet.
    @exclusivity(unchecked) private(set) var pending = 0
    let baton = Baton()

    enum Work {
        /// An instance with mail (or its first turn) to run.
        case agent(AgentInstance)
        case resume(Fiber, generation: Int)
        case task(AsyncTask)
        case job(HostJob)
        /// An idle instance leaves memory (see `Instances.swift`).
        case unload(AgentInstance)
    }
    @exclusivity(unchecked) var work = Deque<Work>()
    @exclusivity(unchecked) var timers = Heap<TimerEntry>()
    /// One-shots that came due while the queue was full, in due-time order.
    @exclusivity(unchecked) var waiting = Heap<TimerEntry>()
    @exclusivity(unchecked) private var seq = 0
    @exclusivity(unchecked) var allFibers: [Fiber] = []
    private var nextFiberId = 1
    @exclusivity(unchecked) var currentFiber: Fiber?
    @exclusivity(unchecked) var liveAgents = LiveAgents()
    /// Instances made by a message (or brought back) whose first turn has not run yet.
    @exclusivity(unchecked) var startingCount = 0
    /// Messages held in outboxes until their senders' commits (they count in `pending`).
    @exclusivity(unchecked) var heldCount = 0
    var nextScheduleId = 1
    /// Makes schedules' ids (`KEEL_SEED` makes them the same every run).
    private var uidRandom: SeededRandom?
    /// See `jitterSeed`.
    var cachedJitterSeed: UInt64?
    /// The durable store's side of the loop; nil without a store.
    @exclusivity(unchecked) var durability: Durability?

    /// Set when the program must end: an uncaught error in the main program or, with
    /// `failFast`, in a handler.
    @exclusivity(unchecked) var fatalError: KeelError?
    var failFast = false
    /// With a virtual clock: stop when time reaches this (monotonic ns).
    @exclusivity(unchecked) var stopAt: Int64?
    /// Exit after this long without events (KEEL_ONESHOT), real clock only.
    var idleExit: Int64?

    // The loop's own state (see LoopDriver.swift).
    /// What the current call into the loop runs until, and how it ended.
    @exclusivity(unchecked) var goal: Goal = .noAgents
    var goalStatus: Int32 = 0
    /// A host thread is inside `drive` (the loop is running on its behalf).
    @exclusivity(unchecked) var driving = false
    /// The fiber that ran the loop when it last handed control back to the host.
    @exclusivity(unchecked) var restingRunner: Fiber?
    @exclusivity(unchecked) var idleRunners: [Fiber] = []
    @exclusivity(unchecked) var parkedTurns = 0
    @exclusivity(unchecked) var shuttingDown = false
    var shutdownLeader = 0
    @exclusivity(unchecked) var stoppingAll = false
    @exclusivity(unchecked) var idleSince: Int64?
    /// The host job running (or parked) now.
    @exclusivity(unchecked) var activeJob: HostJob?
    /// Turns parked waiting for outside work (not for a timer).
    @exclusivity(unchecked) var waitingOnOutside = 0

    // Shared with other threads (signal handlers, a host, the REPL): only under the baton's lock.
    @exclusivity(unchecked) var wakeRequested = false
    @exclusivity(unchecked) var signalReceived: Int32 = 0
    @exclusivity(unchecked) var signalTaken = false
    @exclusivity(unchecked) var interruptPending = false
    @exclusivity(unchecked) var serveEnded = false
    /// Fibers whose outside work (reading standard input, ...) finished, with their park episode.
    @exclusivity(unchecked) var completed: [(Fiber, Int)] = []
    /// Host jobs submitted from other threads.
    @exclusivity(unchecked) var incomingJobs: [HostJob] = []

    #if DEBUG
    /// For the invariant checks: every agent that had mail, and a step counter.
    @exclusivity(unchecked) var mailboxOwners: [ObjectIdentifier: AgentInstance] = [:]
    @exclusivity(unchecked) var invariantSteps = 0
    /// Every schedule made, for tests that check the counters after a run.
    var madeSchedules: [Schedule] = []
    /// Their counters when the loop ended (the schedules themselves are let go).
    var finalScheduleCounters: [ScheduleCounters] = []
    #endif

    init(interpreter: Interpreter, time: TimeSource, capacity: Int) {
        self.interpreter = interpreter
        self.time = time
        self.capacity = capacity
    }

    /// A new schedule id: a random (version 4) UUID.
    func newScheduleUID() -> String {
        if uidRandom == nil {
            let seed = interpreter.options.environment["KEEL_SEED"].flatMap { Int64($0) }.map { UInt64(bitPattern: $0) ^ 0x5C4E_D01E }
            uidRandom = SeededRandom(seed: seed ?? UInt64.random(in: 0...UInt64.max))
        }
        var bytes: [UInt8] = []
        for _ in 0..<2 { withUnsafeBytes(of: uidRandom!.next()) { bytes += $0 } }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let c = Array(hex)
        return String(c[0..<8]) + "-" + String(c[8..<12]) + "-" + String(c[12..<16]) + "-" + String(c[16..<20]) + "-" + String(c[20..<32])
    }

    func nextSeq() -> Int {
        seq += 1
        return seq
    }

    /// The one place the running turn changes: the loop starts, parks, resumes or ends a turn.
    @inline(__always)
    func switchTurn(to next: TurnContext) {
        interpreter.turn = next
    }

    /// `switchTurn` for the commonest case, a new turn of `instance` (fields written in place: this
    /// runs once per event).
    @inline(__always)
    func beginTurn(_ instance: AgentInstance) {
        interpreter.turn.instance = instance
        interpreter.turn.callDepth = 0
        if !interpreter.turn.deadlines.isEmpty { interpreter.turn.deadlines = [] }
        interpreter.turn.runningSchedule = nil
    }

    /// `switchTurn(to: .idle)` at the end of a turn that began with `beginTurn`.
    @inline(__always)
    func endTurn() {
        interpreter.turn.instance = nil
        interpreter.turn.callDepth = 0
        if !interpreter.turn.deadlines.isEmpty { interpreter.turn.deadlines = [] }
        interpreter.turn.runningSchedule = nil
    }

    // MARK: queue

    var isFull: Bool { pending >= capacity }

    /// Puts an event in an instance's mailbox; false if the queue is full.
    @discardableResult
    func enqueue(_ event: Event, to instance: AgentInstance) -> Bool {
        guard pending < capacity else { return false }
        pending += 1
        instance.mailbox.append(event)
        noteMailbox(instance)
        queueIfReady(instance)
        return true
    }

    func queueIfReady(_ instance: AgentInstance) {
        if !instance.busy && !instance.queued && (!instance.mailbox.isEmpty || instance.needsStart) {
            instance.queued = true
            work.append(.agent(instance))
        }
    }

    /// `send`: to the instance of `agent` with `key` (nil: the singleton). A keyed instance that
    /// is not live is made (its first turn runs its state defaults and `@on_start`, then the
    /// message); a singleton that is not live does not get it. Raises `RuntimeBusy` when the queue
    /// is full.
    func send(_ agent: AgentInfo, key: MapKey?, event name: String, payload: Value, inboxId: Int64? = nil) throws {
        if let instance = agent.instance(key) {
            guard instance.accepting else { return }   // stopping: what it is sent is dropped
            if holdsSends, let sender = interpreter.turn.instance, sender.info.durable {
                try hold(Event(kind: .message(name: name, payload: payload), inboxId: inboxId), for: instance, from: sender)
                return
            }
            if !enqueue(Event(kind: .message(name: name, payload: payload), inboxId: inboxId), to: instance) {
                throw KeelError("RuntimeBusy", "event queue is full (capacity \(capacity)); \(instance.label) did not get `\(name)`")
            }
            return
        }
        if agent.durable, let durability, key == nil, durability.isStandby(agent) {
            try durability.post(to: agent.name, event: name, payload: payload)   // it runs on another node
            return
        }
        guard let key else { return }   // the singleton is not live: nobody gets it
        if isFull {
            throw KeelError("RuntimeBusy", "event queue is full (capacity \(capacity)); \(agent.label(key)) did not get `\(name)`")
        }
        if agent.durable, let durability, try !durability.claim(agent, key: key) {
            try durability.post(to: agent.label(key), event: name, payload: payload)   // another node runs it
            return
        }
        let instance = try activate(agent, key: key)
        if holdsSends, let sender = interpreter.turn.instance, sender.info.durable {
            try hold(Event(kind: .message(name: name, payload: payload), inboxId: inboxId), for: instance, from: sender)
            return
        }
        enqueue(Event(kind: .message(name: name, payload: payload), inboxId: inboxId), to: instance)
    }

    /// With group commit, what a durable instance sends waits in its outbox for the commit of the
    /// turn that sent it; its queue slot is taken now (a full queue is `RuntimeBusy` now, as
    /// for any send).
    var holdsSends: Bool { durability?.groupCommit ?? false }

    private func hold(_ event: Event, for target: AgentInstance, from sender: AgentInstance) throws {
        guard pending < capacity else {
            throw KeelError("RuntimeBusy", "event queue is full (capacity \(capacity)); \(target.label) did not get it")
        }
        pending += 1
        heldCount += 1
        sender.outbox.append((target, event))
    }

    /// Held messages whose sender's commit is durable go to their mailboxes (their slots were
    /// taken when they were sent); one for an instance that stopped meanwhile is dropped.
    func release(_ messages: [(AgentInstance, Event)]) {
        guard !messages.isEmpty else { return }
        for (target, event) in messages {
            heldCount -= 1
            guard target.accepting else {
                pending -= 1
                continue
            }
            target.mailbox.append(event)
            noteMailbox(target)
            queueIfReady(target)
        }
        slotFreed()
    }

    /// A keyed instance made on demand: made now (its state from its defaults or the store, its
    /// attributes, its stored schedules), so further messages queue behind; `@on_start` runs as
    /// its first turn, before them. An error making its state is the sender's.
    func activate(_ agent: AgentInfo, key: MapKey) throws -> AgentInstance {
        let instance = AgentInstance(info: agent, key: key)
        instance.needsStart = true
        startingCount += 1
        interpreter.register(instance)
        do { try interpreter.prepare(instance) } catch {
            if instance.accepting { interpreter.finishStop(instance) }
            throw error
        }
        queueIfReady(instance)
        return instance
    }

    // MARK: statistics

    /// With `keel run --stats`: how late each scheduled closure started (ns), and drops.
    @exclusivity(unchecked) var lateness: [Int64]?
    @exclusivity(unchecked) var droppedTotal = 0
    @exclusivity(unchecked) var eventsStarted = 0

    /// A one-line summary for `keel run --stats`.
    package var statsSummary: String {
        var line = "stats: \(eventsStarted) events ran, \(droppedTotal) ticks dropped"
        if var l = lateness, !l.isEmpty {
            l.sort()
            func ms(_ q: Double) -> String { formatFloat((Double(l[min(l.count - 1, Int(q * Double(l.count)))]) / 1e4).rounded() / 100) }
            line += ", \(l.count) scheduled closures: lateness p50 \(ms(0.5)) ms, p99 \(ms(0.99)) ms, max \(ms(1.0)) ms"
        }
        return line
    }

    // MARK: fibers

    /// How many turns may be parked at once. A parked copying fiber keeps the bytes of its frames
    /// (a few KiB); a parked thread fiber keeps a thread (see spec/runtime.md, "Limits"). Past
    /// this, or when no more fibers can be made, suspending raises `ResourceError` in the turn
    /// that tried.
    static let maxParkedTurns = Baton.copyingFibers ? 1_000_000 : 30_000

    func newFiber() -> Fiber? {
        let f = Fiber(id: nextFiberId)
        guard f.launch(baton: baton, { [unowned self] fiber in self.fiberMain(fiber) }) else { return nil }
        nextFiberId += 1
        allFibers.append(f)
        return f
    }

    /// A fiber to run the loop while the current turn parks.
    func runnerForPark() throws -> Fiber {
        if let idle = idleRunners.popLast() { return idle }
        guard parkedTurns < EventLoop.maxParkedTurns, let fresh = newFiber() else {
            throw KeelError(ErrorKind.resource,
                            "cannot suspend: \(parkedTurns) turns are suspended already (the limit is \(Limits.formatCount(EventLoop.maxParkedTurns)), or no more fibers can be made)")
        }
        return fresh
    }

    /// Suspends the calling turn until `deadline` (monotonic ns). Its fiber parks; another fiber
    /// runs the loop meanwhile, so other agents and timers go on.
    func sleep(until deadline: Int64) throws {
        guard let fiber = currentFiber else {
            throw KeelError(ErrorKind.base, "this program is not running on the event loop, so it cannot sleep")
        }
        if shuttingDown || stoppingAll { throw ShutdownSignal() }
        // A `control.with_timeout`/`with_deadline` that ends first cuts the sleep short.
        if let limit = interpreter.turn.deadlines.min(by: { $0.at < $1.at }), limit.at < deadline {
            addTimer(at: limit.at, .resume(fiber, generation: fiber.parkGeneration))
            try park(fiber)
            throw KeelError(limit.kind, limit.message)
        }
        addTimer(at: deadline, .resume(fiber, generation: fiber.parkGeneration))
        try park(fiber)
    }

    /// Parks `fiber` (the current turn) and hands the loop to another fiber until it is resumed.
    /// Throws `Interrupted` when the host interrupted a parked host job (Ctrl-C in the REPL), and
    /// `TurnEnded` when the turn's instance stopped meanwhile.
    func park(_ fiber: Fiber) throws {
        let runner = try runnerForPark()
        fiber.turn = interpreter.turn
        fiber.turn.instance?.parked.append(fiber)
        parkedTurns += 1
        currentFiber = runner
        switchTurn(to: .idle)
        fiber.isParked = true
        baton.hand(to: runner.id, thenWaitAs: fiber.id)
        // Resumed: the fiber that woke us has gone idle; we are the loop's runner again. Wake-ups
        // still pending for this episode (a timer, a task) are stale from now on.
        fiber.isParked = false
        fiber.parkGeneration += 1
        parkedTurns -= 1
        if let instance = fiber.turn.instance { instance.parked.removeAll { $0 === fiber } }
        if shuttingDown { throw ShutdownSignal() }
        currentFiber = fiber
        switchTurn(to: fiber.turn)
        let instance = fiber.turn.instance
        fiber.turn = .idle
        // The instance stopped (or began to) while this turn slept: nothing more of it runs.
        if let instance, instance.ended(on: fiber) { throw TurnEnded(instance: instance) }
        if fiber.interrupted {
            fiber.interrupted = false
            throw KeelError(ErrorKind.interrupted, "interrupted")
        }
    }

    /// Hands the baton to a parked turn and waits, idle, until the loop is handed back to us.
    /// A wake-up from an earlier park episode is ignored.
    func resume(_ parked: Fiber, generation: Int, from runner: Fiber) {
        guard parked.isParked, parked.parkGeneration == generation else { return }
        idleRunners.append(runner)
        currentFiber = parked
        switchTurn(to: parked.turn)
        baton.hand(to: parked.id, thenWaitAs: runner.id)
        currentFiber = runner
        switchTurn(to: .idle)
    }

    // MARK: agents

    func agentStarted(_ instance: AgentInstance) {
        liveAgents.add(instance)
    }

    /// `stop` has begun: its parked turns, but the one on `except` (the stopping turn's own), are
    /// woken to unwind. (Its mailbox waits, unserved, until it has stopped: `@on_stop` still sees
    /// its schedules' counters as they were.)
    func stopping(_ instance: AgentInstance, except: Fiber?) {
        for fiber in instance.parked where fiber.isParked && fiber !== except {
            work.append(.resume(fiber, generation: fiber.parkGeneration))
        }
    }

    private func dropMailbox(_ instance: AgentInstance) {
        guard !instance.mailbox.isEmpty else { return }
        for event in instance.mailbox { if case .tick(let s, let tick) = event.kind { discard(s, tick) } }
        pending -= instance.mailbox.count
        instance.mailbox.removeAll()
        slotFreed()
    }

    /// After `stop`: its schedules end, anything still waiting for it is dropped, and its parked
    /// turns are woken to unwind.
    func agentStopped(_ instance: AgentInstance) {
        for s in instance.schedules {
            #if DEBUG
            if let retry = s.pendingRetry, !s.paused, retry.due < time.monotonicNow { s.overdueRetryAtStop = true }
            #endif
            s.live = false
            s.generation += 1
            s.retryGeneration += 1
            s.nextDeadline = nil
            s.pendingRetry = nil
        }
        instance.schedules.removeAll()
        instance.namedSchedules.removeAll()
        if instance.needsStart {
            instance.needsStart = false
            startingCount -= 1
        }
        dropMailbox(instance)
        discardWaiting(of: instance)
        stopping(instance, except: nil)
        liveAgents.remove(instance)
        instance.releaseBindings()
    }

    /// The labels of the live agent instances, in the order they started.
    package var liveAgentNames: [String] { liveAgents.all.map(\.label) }
    var liveAgentList: [AgentInstance] { liveAgents.all }

    /// Runs the instance's next turn, inline on the current fiber: its first turn (state defaults
    /// and `@on_start`) when it was made by a message, then its events, oldest first.
    func runNextEvent(_ instance: AgentInstance) {
        instance.queued = false
        // It was in the work list when `stop` began and `@on_stop` took it over: its mail waits
        // unserved until it is dropped.
        if instance.busy && instance.phase == .stopping { return }
        invariant(!instance.busy, "agent \(instance.label) was scheduled while a turn of it runs or sleeps")
        if instance.needsStart {
            instance.needsStart = false
            startingCount -= 1
            instance.busy = true
            interpreter.runStartTurn(instance)
            instance.busy = false
            queueIfReady(instance)
            return
        }
        guard let event = instance.mailbox.popFirst() else { return }
        pending -= 1
        // Busy before the freed slot admits a waiting one-shot (which may be this instance's): one
        // turn per instance, always.
        instance.busy = true
        slotFreed()
        guard instance.accepting else {   // stopping or stopped: dropped
            if case .tick(let s, let tick) = event.kind { discard(s, tick) }
            instance.busy = false
            return
        }
        if case .tick(let s, let tick) = event.kind, s.owner !== instance {   // an earlier instance's
            discard(s, tick)
            instance.busy = false
            queueIfReady(instance)
            return
        }
        eventsStarted += 1
        time.charge(VirtualTime.turnCost)
        if let fuel = interpreter.fuel {   // with a fuel budget, every turn costs some
            interpreter.fuel = fuel - 64
            if fuel <= 0 {
                instance.busy = false
                if fatalError == nil { fatalError = KeelError(ErrorKind.outOfFuel, "the run used up its fuel") }
                return
            }
        }
        if lateness != nil, event.due != 0 { lateness!.append(time.monotonicNow - event.due) }
        beginTurn(instance)
        let outcome = interpreter.runTurn(instance, event)
        // The turn is over (perhaps after parking and being resumed: this fiber runs the loop now).
        if let durability, instance.info.durable, instance.accepting {
            durability.turnEnded(instance, succeeded: outcome.succeeded, fire: outcome.fire, consumed: event.inboxId)
        }
        endTurn()
        instance.busy = false
        turnDone(instance)
        queueIfReady(instance)
    }

    /// Runs every live agent's `@on_stop` once and marks them stopped. A stop hook cannot suspend.
    func stopAllAgents() {
        stoppingAll = true
        defer { stoppingAll = false }
        for instance in liveAgents.all where instance.accepting {
            do { try interpreter.stopAgent(instance) } catch let e as KeelError {
                interpreter.reportAgentError(e, instance, "@on_stop")
            } catch {}
        }
    }
}
