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
    }
    private var work = Deque<Work>()
    private var timers = Heap<TimerEntry>()
    /// One-shots that came due while the queue was full, in due-time order.
    private var waiting = Heap<TimerEntry>()
    private var seq = 0
    private var idleFibers: [Fiber] = []
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

    deinit {
        for f in allFibers { f.retire() }
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
            if case .schedule(let s) = entry.action { deliver(s, recurringTick: false) }
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
            } else {
                waiting.insert(due)   // one-shots never drop: they wait for a slot, in due order
            }
        } else {
            deliver(s, recurringTick: recurring)
        }
        s.armNext(after: due.deadline, runtime: self)
    }

    private func deliver(_ s: ScheduleEntry, recurringTick: Bool) {
        guard s.live, s.instance.info.instance === s.instance else { return }
        s.enqueued += 1
        enqueue(Event(kind: .closure(s.callback, s, s.instance)), to: s.instance.info)
    }

    // MARK: fibers

    private func takeFiber() -> Fiber {
        if let f = idleFibers.popLast() { return f }
        let f = Fiber(id: nextFiberId, baton: baton)
        nextFiberId += 1
        allFibers.append(f)
        return f
    }

    private func enter(_ fiber: Fiber) {
        currentFiber = fiber
        interpreter.currentAgent = fiber.agent
        interpreter.callDepth = fiber.savedCallDepth
    }

    /// Runs `body` on a fresh fiber as `agent`'s turn; returns when it ends or suspends.
    private func startTurn(_ agent: AgentInfo?, _ body: @escaping () -> Void) {
        let fiber = takeFiber()
        fiber.agent = agent
        fiber.savedCallDepth = 0
        enter(fiber)
        fiber.start(body)
        afterSwitch(fiber)
    }

    private func afterSwitch(_ fiber: Fiber) {
        currentFiber = nil
        interpreter.currentAgent = nil
        guard fiber.finished else { return }   // parked: its agent stays busy
        if let agent = fiber.agent {
            agent.busy = false
            queueIfReady(agent)
        }
        fiber.agent = nil
        idleFibers.append(fiber)
    }

    /// Suspends the calling fiber until `deadline` (monotonic ns). Other agents run meanwhile.
    func sleep(until deadline: Int64) throws {
        guard let fiber = currentFiber else {
            throw KeelError(ErrorKind.base, "this program is not running on the event loop, so it cannot sleep")
        }
        addTimer(at: deadline, .resume(fiber))
        fiber.savedCallDepth = interpreter.callDepth
        let agent = interpreter.currentAgent
        fiber.park()
        // Back on this fiber: the loop restored our state in `enter`.
        interpreter.currentAgent = agent
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

    public var liveAgentNames: [String] { liveAgents.map(\.name) }
    var liveAgentList: [AgentInfo] { liveAgents }

    // MARK: the loop

    /// Runs `main` (the program's top-level statements) and then delivers events until no agent
    /// is live. Returns the exit status: 0, 1 (an uncaught error), or 128+signal.
    func run(main: @escaping () throws -> Void) -> Int32 {
        startTurn(nil) { [unowned self] in
            do { try main() } catch let e as KeelError {
                self.fatalError = e
                self.interpreter.options.errorOutput(e.render(color: self.interpreter.color))
            } catch {
                self.fatalError = KeelError(ErrorKind.base, "\(error)")
            }
        }
        return loop()
    }

    private func loop() -> Int32 {
        var idleSince: Int64?
        while true {
            if fatalError != nil { return 1 }
            if signalReceived != 0 {
                let sig = signalReceived
                stopAllAgents()
                return 128 + sig
            }
            fireDueTimers()
            if let item = work.popFirst() {
                idleSince = nil
                switch item {
                case .agent(let agent): runNextEvent(agent)
                case .resume(let fiber):
                    enter(fiber)
                    fiber.resume()
                    afterSwitch(fiber)
                }
                continue
            }
            if liveAgents.isEmpty && !allFibers.contains(where: { !$0.finished }) { return 0 }
            let next = timers.min?.deadline
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
                continue
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
            let deadline = wait.map { Date(timeIntervalSinceNow: Double(max(0, $0)) / 1e9) }
            baton.sleepLoop(until: deadline) { self.signalReceived != 0 || self.wakeRequested }
            baton.wake { wakeRequested = false }
        }
    }

    private var wakeRequested = false

    /// Called from another thread (a signal handler, a host) to interrupt the loop's idle wait.
    public func requestStop(signal: Int32) {
        baton.wake {
            signalReceived = signal
            wakeRequested = true
        }
    }

    private func runNextEvent(_ agent: AgentInfo) {
        agent.queued = false
        guard let event = agent.mailbox.popFirst() else { return }
        pending -= 1
        slotFreed()
        guard let instance = agent.instance else { queueIfReady(agent); return }   // not live: dropped
        if case .closure(_, _, let owner) = event.kind, owner !== instance { queueIfReady(agent); return }
        agent.busy = true
        startTurn(agent) { [unowned self] in self.interpreter.runTurn(agent, instance, event) }
    }

    /// Runs every live agent's `@on_stop` once (on a fiber) and marks them stopped.
    func stopAllAgents() {
        let agents = liveAgents
        guard !agents.isEmpty else { return }
        startTurn(nil) { [unowned self] in
            for agent in agents where agent.isLive {
                do { try self.interpreter.stopAgent(agent) } catch let e as KeelError {
                    self.interpreter.reportAgentError(e, agent, "@on_stop")
                } catch {}
            }
        }
        // A stop hook that sleeps is not waited for: shutdown goes on.
    }
}
