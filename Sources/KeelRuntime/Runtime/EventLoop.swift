import Collections
import Foundation
import KeelSyntax

/// A deadline in the timer heap: wake a sleeping fiber, or fire a schedule.
struct TimerEntry: Comparable {
    enum Action {
        case resume(Fiber)
        case schedule(ScheduleEntry)
    }
    let deadline: Int64
    let seq: Int
    let action: Action
    static func < (a: TimerEntry, b: TimerEntry) -> Bool { (a.deadline, a.seq) < (b.deadline, b.seq) }
    static func == (a: TimerEntry, b: TimerEntry) -> Bool { a.deadline == b.deadline && a.seq == b.seq }
}

/// The event loop: one bounded queue of events for all agents, a timer heap, and the fibers that
/// run turns. Only one fiber runs at a time (see `Baton`); a suspended turn parks its fiber and
/// holds up only its own agent.
public final class Runtime {
    unowned let interpreter: Interpreter
    public let time: TimeSource
    /// How many events may wait (in all mailboxes together) before `send` raises `RuntimeBusy`.
    public let capacity: Int
    /// Events enqueued whose turn has not started yet.
    private(set) var pending = 0
    let baton = Baton()

    enum Work {
        case agent(AgentInfo)
        case resume(Fiber)
        case task(AsyncTask)
    }
    private var work = Deque<Work>()
    private var timers = Heap<TimerEntry>()
    /// One-shots that came due while the queue was full, in due-time order.
    private var waiting = Heap<TimerEntry>()
    private var seq = 0
    private var allFibers: [Fiber] = []
    private var nextFiberId = 1
    var currentFiber: Fiber?
    private var liveAgents: [AgentInfo] = []
    var nextScheduleId = 1

    /// Set when the program must end: an uncaught error in the main program or, with
    /// `failFast`, in a handler.
    var fatalError: KeelError?
    public var failFast = false
    /// With a virtual clock: stop when time reaches this (monotonic ns).
    public var stopAt: Int64?
    /// Exit after this long without events (KEEL_ONESHOT), real clock only.
    public var idleExit: Int64?
    private var signalReceived: Int32 = 0

    init(interpreter: Interpreter, time: TimeSource, capacity: Int) {
        self.interpreter = interpreter
        self.time = time
        self.capacity = capacity
    }

    func nextSeq() -> Int {
        seq += 1
        return seq
    }

    // MARK: queue

    var isFull: Bool { pending >= capacity }

    /// Puts an event in an agent's mailbox; false if the queue is full.
    @discardableResult
    func enqueue(_ event: Event, to agent: AgentInfo) -> Bool {
        guard pending < capacity else { return false }
        pending += 1
        agent.mailbox.append(event)
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
        if !enqueue(Event(kind: .message(name: name, payload: payload)), to: agent) {
            throw KeelError("RuntimeBusy", "event queue is full (capacity \(capacity)); \(agent.name) did not get `\(name)`")
        }
    }

    /// A slot was freed: waiting one-shots move into the queue, earliest due first.
    private func slotFreed() {
        while pending < capacity, let entry = waiting.popMin() {
            if case .schedule(let s) = entry.action { deliver(s, due: entry.deadline) }
        }
    }

    // MARK: timers

    func addTimer(at deadline: Int64, _ action: TimerEntry.Action) {
        timers.insert(TimerEntry(deadline: deadline, seq: nextSeq(), action: action))
    }

    private func fireDueTimers() {
        let now = time.monotonicNow
        while let top = timers.min, top.deadline <= now {
            _ = timers.popMin()
            switch top.action {
            case .resume(let fiber): work.append(.resume(fiber))
            case .schedule(let s): fire(s, due: top)
            }
        }
    }

    /// A schedule whose first fire is due at registration.
    func fireNow(_ s: ScheduleEntry) {
        fire(s, due: TimerEntry(deadline: time.monotonicNow, seq: nextSeq(), action: .schedule(s)))
    }

    /// A schedule came due: deliver (or drop, or wait) this fire and arm the next one.
    private func fire(_ s: ScheduleEntry, due: TimerEntry) {
        guard s.live, s.instance.info.instance === s.instance else { return }
        let recurring = s.isRecurringTick
        if isFull {
            if recurring {
                s.dropped += 1
                droppedTotal += 1
            } else {
                waiting.insert(due)   // one-shots never drop: they wait for a slot, in due order
            }
        } else {
            deliver(s, due: due.deadline)
        }
        s.armNext(after: due.deadline, runtime: self)
    }

    private func deliver(_ s: ScheduleEntry, due: Int64) {
        guard s.live, s.instance.info.instance === s.instance else { return }
        enqueue(Event(kind: .closure(s.callback, s, s.instance), due: due), to: s.instance.info)
    }

    // MARK: statistics

    /// With `keel run --stats`: how late each scheduled closure started (ns), and drops.
    var lateness: [Int64]?
    var droppedTotal = 0
    var eventsStarted = 0

    /// A one-line summary for `keel run --stats`.
    public var statsSummary: String {
        var line = "stats: \(eventsStarted) events ran, \(droppedTotal) ticks dropped"
        if var l = lateness, !l.isEmpty {
            l.sort()
            func ms(_ q: Double) -> String { formatFloat((Double(l[min(l.count - 1, Int(q * Double(l.count)))]) / 1e4).rounded() / 100) }
            line += ", \(l.count) scheduled closures: lateness p50 \(ms(0.5)) ms, p99 \(ms(0.99)) ms, max \(ms(1.0)) ms"
        }
        return line
    }

    // MARK: fibers

    private func newFiber() -> Fiber {
        let f = Fiber(id: nextFiberId)
        nextFiberId += 1
        allFibers.append(f)
        f.launch(baton: baton) { [unowned self] fiber in self.fiberMain(fiber) }
        return f
    }

    /// Suspends the calling turn until `deadline` (monotonic ns). Its fiber parks; another fiber
    /// runs the loop meanwhile, so other agents and timers go on.
    func sleep(until deadline: Int64) throws {
        guard let fiber = currentFiber else {
            throw KeelError(ErrorKind.base, "this program is not running on the event loop, so it cannot sleep")
        }
        if shuttingDown || stoppingAll { throw ShutdownSignal() }
        // A `control.with_timeout`/`with_deadline` that ends first cuts the sleep short.
        if let limit = interpreter.deadlines.min(by: { $0.at < $1.at }), limit.at < deadline {
            addTimer(at: limit.at, .resume(fiber))
            try park(fiber)
            throw KeelError(limit.kind, limit.message)
        }
        addTimer(at: deadline, .resume(fiber))
        try park(fiber)
    }

    // MARK: async tasks

    /// `async.spawn`: the task runs later, as its own unit of work on the loop.
    func spawn(_ task: AsyncTask) {
        work.append(.task(task))
    }

    private func runTask(_ task: AsyncTask) {
        guard !task.cancelled else { task.finish(); wakeWaiters(task); return }
        interpreter.currentAgent = task.agent
        interpreter.callDepth = 0
        interpreter.deadlines = []
        task.started = true
        do {
            task.result = try interpreter.call(task.body, [])
        } catch let e as KeelError {
            task.error = e
        } catch {}
        interpreter.currentAgent = nil
        task.finish()
        wakeWaiters(task)
    }

    private func wakeWaiters(_ task: AsyncTask) {
        for w in task.waiters where !w.woken {
            w.woken = true   // a waiter on several tasks is resumed once
            work.append(.resume(w.fiber))
        }
        task.waiters.removeAll()
    }

    /// Parks the calling turn until one of `tasks` is done.
    func waitForAny(_ tasks: [AsyncTask]) throws {
        guard let fiber = currentFiber else {
            throw KeelError(ErrorKind.base, "async: waiting needs the event loop (run the program with keel run)")
        }
        while !tasks.contains(where: \.done) {
            if shuttingDown || stoppingAll { throw ShutdownSignal() }
            let waiter = TaskWaiter(fiber: fiber)
            for t in tasks { t.waiters.append(waiter) }
            try park(fiber)
        }
    }

    /// Parks `fiber` (the current turn) and hands the loop to another fiber until it is resumed.
    private func park(_ fiber: Fiber) throws {
        fiber.savedCallDepth = interpreter.callDepth
        fiber.savedDeadlines = interpreter.deadlines
        fiber.agent = interpreter.currentAgent
        parkedTurns += 1
        let runner = idleRunners.popLast() ?? newFiber()
        currentFiber = runner
        interpreter.currentAgent = nil
        interpreter.callDepth = 0
        interpreter.deadlines = []
        baton.hand(to: runner.id, thenWaitAs: fiber.id)
        // Resumed: the fiber that woke us has gone idle; we are the loop's runner again.
        parkedTurns -= 1
        if shuttingDown { throw ShutdownSignal() }
        currentFiber = fiber
        interpreter.currentAgent = fiber.agent
        interpreter.callDepth = fiber.savedCallDepth
        interpreter.deadlines = fiber.savedDeadlines
    }

    /// Hands the baton to a parked turn and waits, idle, until the loop is handed back to us.
    private func resume(_ parked: Fiber, from runner: Fiber) {
        idleRunners.append(runner)
        currentFiber = parked
        interpreter.currentAgent = parked.agent
        interpreter.callDepth = parked.savedCallDepth
        interpreter.deadlines = parked.savedDeadlines
        baton.hand(to: parked.id, thenWaitAs: runner.id)
        currentFiber = runner
        interpreter.currentAgent = nil
        interpreter.callDepth = 0
        interpreter.deadlines = []
    }

    // MARK: agents

    func agentStarted(_ agent: AgentInfo) {
        if !liveAgents.contains(where: { $0 === agent }) { liveAgents.append(agent) }
    }

    /// After `stop`: its schedules end and its waiting events are dropped (their slots free).
    func agentStopped(_ agent: AgentInfo, _ instance: AgentInstance) {
        for s in instance.schedules { s.live = false }
        instance.schedules.removeAll()
        liveAgents.removeAll { $0 === agent }
        pending -= agent.mailbox.count
        agent.mailbox.removeAll()
        slotFreed()
    }

    /// The names of the live agents, in the order they started.
    public var liveAgentNames: [String] { liveAgents.map(\.name) }
    var liveAgentList: [AgentInfo] { liveAgents }

    // MARK: the loop

    private var mainBody: (() throws -> Void)?
    private var idleRunners: [Fiber] = []
    private var parkedTurns = 0
    private var shuttingDown = false
    private var stoppingAll = false
    private var exitStatus: Int32 = 0

    /// Runs `main` (the program's top-level statements) and then delivers events until no agent
    /// is live. Returns the exit status: 0, 1 (an uncaught error), or 128+signal. The calling
    /// thread waits; fibers do the work.
    func run(main: @escaping () throws -> Void) -> Int32 {
        mainBody = main
        let first = newFiber()
        baton.hand(to: first.id, thenWaitAs: 0)
        return exitStatus
    }

    /// A fiber's life: (the first one runs the main program,) then the loop until the run ends.
    private func fiberMain(_ fiber: Fiber) {
        currentFiber = fiber
        if let main = mainBody {
            mainBody = nil
            do { try main() } catch let e as KeelError {
                fatalError = e
                interpreter.options.errorOutput(e.render(color: interpreter.color))
            } catch is ShutdownSignal {
            } catch {
                fatalError = KeelError(ErrorKind.base, "\(error)")
            }
        }
        while !shuttingDown {
            if let status = step(fiber) {
                exitStatus = status
                shutDown(leader: fiber)
                return
            }
        }
        baton.release(to: shutdownLeader)   // a fiber retired by `shutDown`
    }

    private var shutdownLeader = 0

    /// Ends every other fiber (parked turns unwind with `ShutdownSignal`), then wakes the caller.
    private func shutDown(leader: Fiber) {
        shuttingDown = true
        shutdownLeader = leader.id
        for f in allFibers where f !== leader {
            baton.hand(to: f.id, thenWaitAs: leader.id)
        }
        baton.release(to: 0)
    }

    /// One round of the loop on `runner`; an exit status when the run is over.
    private func step(_ runner: Fiber) -> Int32? {
        if fatalError != nil { return 1 }
        let sig = baton.locked { signalReceived }
        if sig != 0 {
            stopAllAgents()
            return 128 + sig
        }
        fireDueTimers()
        collectCompleted()
        if let item = work.popFirst() {
            idleSince = nil
            switch item {
            case .agent(let agent): runNextEvent(agent)
            case .resume(let fiber): resume(fiber, from: runner)
            case .task(let task): runTask(task)
            }
            return nil
        }
        if liveAgents.isEmpty && parkedTurns == 0 { return 0 }
        let next = timers.min?.deadline
        if time.isVirtual && waitingOnOutside > 0 {
            // Virtual time stands still while a turn waits for the outside world.
            baton.sleepLoop(until: nil) { self.signalReceived != 0 || self.wakeRequested }
            baton.wake { wakeRequested = false }
            return nil
        }
        if time.isVirtual {
            guard let next else {
                // Nothing can ever happen again on a virtual clock: end as if stopped.
                if let stopAt { time.advance(to: stopAt) }
                stopAllAgents()
                return fatalError == nil ? 0 : 1
            }
            if let stopAt, next > stopAt {
                time.advance(to: stopAt)
                stopAllAgents()
                return fatalError == nil ? 0 : 1
            }
            time.advance(to: next)
            return nil
        }
        // Real clock: wait for the next deadline, a signal, or a host's wake-up.
        let now = time.monotonicNow
        if let idleExit {
            let since = idleSince ?? now
            idleSince = since
            if now - since >= idleExit { return 0 }
        }
        var wait = next.map { $0 - now }
        if let idleExit { wait = min(wait ?? idleExit, idleExit) }
        if let w = wait, w <= 0 { return nil }
        let deadline = wait.map { Date(timeIntervalSinceNow: Double($0) / 1e9) }
        baton.sleepLoop(until: deadline) { self.signalReceived != 0 || self.wakeRequested }
        baton.wake { wakeRequested = false }
        return nil
    }

    private var idleSince: Int64?

    private var wakeRequested = false
    /// Fibers whose outside work (reading standard input, ...) finished, posted from other threads.
    private var completed: [Fiber] = []
    /// Turns parked waiting for outside work (not for a timer).
    private var waitingOnOutside = 0

    /// Parks the calling turn while `work` runs on another thread; other agents go on meanwhile.
    /// Returns what `work` returned.
    func awaitOutside<T>(_ work: @escaping () -> T) throws -> T {
        guard let fiber = currentFiber else { return work() }   // not on the loop: just block
        if shuttingDown || stoppingAll { throw ShutdownSignal() }
        let slot = ResultBox<T>()
        waitingOnOutside += 1
        Thread.detachNewThread { [baton] in
            let v = work()
            baton.wake {
                slot.result = v
                self.completed.append(fiber)
                self.wakeRequested = true
            }
        }
        try park(fiber)
        waitingOnOutside -= 1
        return baton.locked { slot.result! }
    }

    /// Moves outside completions into the work queue (under the baton's lock).
    private func collectCompleted() {
        let done: [Fiber] = baton.locked {
            let d = completed
            completed.removeAll()
            return d
        }
        for f in done { work.append(.resume(f)) }
    }

    /// Called from another thread (a signal handler, a host) to interrupt the loop's idle wait.
    public func requestStop(signal: Int32) {
        baton.wake {
            signalReceived = signal
            wakeRequested = true
        }
    }

    /// Runs the agent's oldest event as a turn, inline on the current fiber.
    private func runNextEvent(_ agent: AgentInfo) {
        agent.queued = false
        guard let event = agent.mailbox.popFirst() else { return }
        pending -= 1
        slotFreed()
        guard let instance = agent.instance else { queueIfReady(agent); return }   // not live: dropped
        if case .closure(_, _, let owner) = event.kind, owner !== instance { queueIfReady(agent); return }
        agent.busy = true
        eventsStarted += 1
        if lateness != nil, event.due != 0 { lateness!.append(time.monotonicNow - event.due) }
        interpreter.currentAgent = agent
        interpreter.callDepth = 0
        interpreter.deadlines = []
        interpreter.runTurn(agent, instance, event)
        // The turn is over (perhaps after parking and being resumed: this fiber runs the loop now).
        interpreter.currentAgent = nil
        agent.busy = false
        queueIfReady(agent)
    }

    /// Runs every live agent's `@on_stop` once and marks them stopped. A stop hook cannot suspend.
    func stopAllAgents() {
        stoppingAll = true
        defer { stoppingAll = false }
        for agent in liveAgents where agent.isLive {
            do { try interpreter.stopAgent(agent) } catch let e as KeelError {
                interpreter.reportAgentError(e, agent, "@on_stop")
            } catch {}
        }
    }
}
