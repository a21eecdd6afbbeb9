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
    private(set) var pending = 0
    let baton = Baton()

    enum Work {
        case agent(AgentInfo)
        case resume(Fiber, generation: Int)
        case task(AsyncTask)
        case job(HostJob)
    }
    var work = Deque<Work>()
    var timers = Heap<TimerEntry>()
    /// One-shots that came due while the queue was full, in due-time order.
    var waiting = Heap<TimerEntry>()
    private var seq = 0
    var allFibers: [Fiber] = []
    private var nextFiberId = 1
    var currentFiber: Fiber?
    var liveAgents = LiveAgents()
    var nextScheduleId = 1
    /// See `jitterSeed`.
    var cachedJitterSeed: UInt64?
    /// The durable store's side of the loop; nil without a store.
    var durability: Durability?

    /// Set when the program must end: an uncaught error in the main program or, with
    /// `failFast`, in a handler.
    var fatalError: KeelError?
    var failFast = false
    /// With a virtual clock: stop when time reaches this (monotonic ns).
    var stopAt: Int64?
    /// Exit after this long without events (KEEL_ONESHOT), real clock only.
    var idleExit: Int64?

    // The loop's own state (see LoopDriver.swift).
    /// What the current call into the loop runs until, and how it ended.
    var goal: Goal = .noAgents
    var goalStatus: Int32 = 0
    /// A host thread is inside `drive` (the loop is running on its behalf).
    var driving = false
    /// The fiber that ran the loop when it last handed control back to the host.
    var restingRunner: Fiber?
    var idleRunners: [Fiber] = []
    var parkedTurns = 0
    var shuttingDown = false
    var shutdownLeader = 0
    var stoppingAll = false
    var idleSince: Int64?
    /// The host job running (or parked) now.
    var activeJob: HostJob?
    /// Turns parked waiting for outside work (not for a timer).
    var waitingOnOutside = 0

    // Shared with other threads (signal handlers, a host, the REPL): only under the baton's lock.
    var wakeRequested = false
    var signalReceived: Int32 = 0
    var signalTaken = false
    var interruptPending = false
    var serveEnded = false
    /// Fibers whose outside work (reading standard input, ...) finished, with their park episode.
    var completed: [(Fiber, Int)] = []
    /// Host jobs submitted from other threads.
    var incomingJobs: [HostJob] = []

    #if DEBUG
    /// For the invariant checks: every agent that had mail, and a step counter.
    var mailboxOwners: [ObjectIdentifier: AgentInfo] = [:]
    var invariantSteps = 0
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

    func nextSeq() -> Int {
        seq += 1
        return seq
    }

    /// The one place the running turn changes: the loop starts, parks, resumes or ends a turn.
    @inline(__always)
    func switchTurn(to next: TurnContext) {
        interpreter.turn = next
    }

    /// `switchTurn` for the commonest case, a new turn of `agent` (fields written in place: this
    /// runs once per event).
    @inline(__always)
    func beginTurn(_ agent: AgentInfo, _ instance: AgentInstance) {
        interpreter.turn.agent = agent
        interpreter.turn.instance = instance
        interpreter.turn.callDepth = 0
        if !interpreter.turn.deadlines.isEmpty { interpreter.turn.deadlines = [] }
    }

    /// `switchTurn(to: .idle)` at the end of a turn that began with `beginTurn`.
    @inline(__always)
    func endTurn() {
        interpreter.turn.agent = nil
        interpreter.turn.instance = nil
        interpreter.turn.callDepth = 0
        if !interpreter.turn.deadlines.isEmpty { interpreter.turn.deadlines = [] }
    }

    // MARK: queue

    var isFull: Bool { pending >= capacity }

    /// Puts an event in an agent's mailbox; false if the queue is full.
    @discardableResult
    func enqueue(_ event: Event, to agent: AgentInfo) -> Bool {
        guard pending < capacity else { return false }
        pending += 1
        agent.mailbox.append(event)
        noteMailbox(agent)
        queueIfReady(agent)
        return true
    }

    func queueIfReady(_ agent: AgentInfo) {
        if !agent.busy && !agent.queued && !agent.mailbox.isEmpty {
            agent.queued = true
            work.append(.agent(agent))
        }
    }

    /// `send`: raises `RuntimeBusy` when the queue is full.
    func send(_ agent: AgentInfo, event name: String, payload: Value) throws {
        if agent.durable, agent.instance == nil, let durability, durability.isStandby(agent) {
            try durability.post(to: agent, event: name, payload: payload)   // it runs on another node
            return
        }
        if !enqueue(Event(kind: .message(name: name, payload: payload)), to: agent) {
            throw KeelError("RuntimeBusy", "event queue is full (capacity \(capacity)); \(agent.name) did not get `\(name)`")
        }
    }

    // MARK: statistics

    /// With `keel run --stats`: how late each scheduled closure started (ns), and drops.
    var lateness: [Int64]?
    var droppedTotal = 0
    var eventsStarted = 0

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
    /// Throws `Interrupted` when the host interrupted a parked host job (Ctrl-C in the REPL).
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
        // The instance stopped (or was replaced by a new `run`) while this turn slept.
        if let instance, instance.info.instance !== instance { throw TurnEnded() }
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

    func agentStarted(_ agent: AgentInfo) {
        liveAgents.add(agent)
    }

    /// After `stop`: its schedules end, its waiting events are dropped (their slots free), and its
    /// parked turns are woken to unwind.
    func agentStopped(_ agent: AgentInfo, _ instance: AgentInstance) {
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
        for event in agent.mailbox { if case .tick(let s, let tick) = event.kind { discard(s, tick) } }
        discardWaiting(of: instance)
        for fiber in instance.parked where fiber.isParked {
            work.append(.resume(fiber, generation: fiber.parkGeneration))
        }
        liveAgents.remove(agent)
        pending -= agent.mailbox.count
        agent.mailbox.removeAll()
        slotFreed()
    }

    /// The names of the live agents, in the order they started.
    package var liveAgentNames: [String] { liveAgents.all.map(\.name) }
    var liveAgentList: [AgentInfo] { liveAgents.all }

    /// Runs the agent's oldest event as a turn, inline on the current fiber.
    func runNextEvent(_ agent: AgentInfo) {
        invariant(!agent.busy, "agent \(agent.name) was scheduled while a turn of it runs or sleeps")
        agent.queued = false
        guard let event = agent.mailbox.popFirst() else { return }
        pending -= 1
        // Busy before the freed slot admits a waiting one-shot (which may be this agent's): one
        // turn per agent, always.
        agent.busy = true
        slotFreed()
        guard let instance = agent.instance else { agent.busy = false; queueIfReady(agent); return }   // not live: dropped
        if case .tick(let s, let tick) = event.kind, s.owner !== instance {   // an earlier instance's
            discard(s, tick)
            agent.busy = false
            queueIfReady(agent)
            return
        }
        eventsStarted += 1
        if let fuel = interpreter.fuel {   // with a fuel budget, every turn costs some
            interpreter.fuel = fuel - 64
            if fuel <= 0 {
                agent.busy = false
                if fatalError == nil { fatalError = KeelError(ErrorKind.outOfFuel, "the run used up its fuel") }
                return
            }
        }
        if lateness != nil, event.due != 0 { lateness!.append(time.monotonicNow - event.due) }
        beginTurn(agent, instance)
        let outcome = interpreter.runTurn(agent, instance, event)
        // The turn is over (perhaps after parking and being resumed: this fiber runs the loop now).
        if let durability, agent.durable, agent.instance === instance {
            durability.turnEnded(instance, succeeded: outcome.succeeded, fire: outcome.fire, consumed: event.inboxId)
        }
        endTurn()
        agent.busy = false
        queueIfReady(agent)
    }

    /// Runs every live agent's `@on_stop` once and marks them stopped. A stop hook cannot suspend.
    func stopAllAgents() {
        stoppingAll = true
        defer { stoppingAll = false }
        for agent in liveAgents.all where agent.isLive {
            do { try interpreter.stopAgent(agent) } catch let e as KeelError {
                interpreter.reportAgentError(e, agent, "@on_stop")
            } catch {}
        }
    }
}
