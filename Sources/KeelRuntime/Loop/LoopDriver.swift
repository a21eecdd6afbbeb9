import Collections
import Foundation

/// Work a host asks the loop to do: Keel code run as a unit of work on a fiber (deep stack, may
/// suspend), serialised with agents' turns.
final class HostJob: @unchecked Sendable {
    let body: () throws -> Value
    /// Set when the body returned or threw.
    var result: Result<Value, Error>?
    /// Signalled when `result` is set, for submitters on other threads.
    let finished = DispatchSemaphore(value: 0)
    var fiber: Fiber?

    init(_ body: @escaping () throws -> Value) { self.body = body }
}

extension EventLoop {
    /// What a call into the loop runs until.
    enum Goal {
        /// No agent is live and no turn is parked (`keel run`).
        case noAgents
        /// Nothing is ready to run at the current time (the clock is not moved).
        case idle
        /// The clock reaches this time (monotonic ns) and nothing due by then is left to run.
        case time(Int64)
        /// This host job has finished.
        case job(HostJob)
        /// Until `endServing()`: runs agents and host jobs submitted from other threads (the REPL).
        case serving
    }

    /// Runs the loop until `goal`, on fibers, while the calling (host) thread waits. Returns 0, 1
    /// (a fatal error: uncaught in the main program, or any with fail-fast) or 128+signal.
    /// Control comes back to the host between calls; agents, timers and parked turns stay.
    func drive(_ goal: Goal) -> Int32 {
        // Called from Keel code already running on the loop (a host function calling back):
        // the loop is running, so there is nothing to drive.
        guard !shuttingDown, !driving else { return goalStatus }
        driving = true
        defer { driving = false }
        self.goal = goal
        guard let runner = restingRunner ?? newFiber() else {
            interpreter.options.errorOutput("error: cannot run the event loop: the system makes no more threads")
            return 1
        }
        restingRunner = nil
        baton.hand(to: runner.id, thenWaitAs: 0)
        return goalStatus
    }

    /// Runs a whole program the way `keel run` does: `main` (its top-level statements) first, then
    /// events until no agent is live; then the loop ends. An uncaught error in `main` is printed
    /// and makes the status 1.
    func run(main: @escaping () throws -> Void) -> Int32 {
        let job = HostJob { [unowned self] in
            do { try main() } catch let e as KeelError {
                // Stopped by a signal: not an error of the program; the loop ends with 128 + signal.
                if e.kind == ErrorKind.interrupted && self.stopRequested { return .none }
                self.fatalError = e
                self.interpreter.options.errorOutput(e.render(color: self.interpreter.color))
            }
            return .none
        }
        work.append(.job(job))
        let status = drive(.noAgents)
        shutdown()
        return status
    }

    /// Runs `body` as a host job: the loop runs (agents too) until it finishes; its result is returned.
    func perform(_ body: @escaping () throws -> Value) throws -> Value {
        if driving { return try body() }   // a host function calling back into Keel: run inline
        if shuttingDown { throw KeelError(ErrorKind.base, "this interpreter has been stopped") }
        let job = HostJob(body)
        work.append(.job(job))
        let status = drive(.job(job))
        guard let result = job.result else {
            if status > 128 { throw KeelError(ErrorKind.interrupted, "the run was stopped by signal \(status - 128)") }
            throw KeelError(ErrorKind.base, "the evaluation cannot finish: it waits for something that never happens")
        }
        return try result.get()
    }

    /// From another thread while the loop is serving: queues a job and returns at once.
    func submit(_ job: HostJob) {
        baton.wake {
            incomingJobs.append(job)
            wakeRequested = true
        }
    }

    /// From another thread: interrupts running Keel code, or a host job parked in a wait.
    package func interrupt() {
        interpreter.interruptFlag.store(true, ordering: .relaxed)
        baton.wake {
            interruptPending = true
            wakeRequested = true
        }
    }

    /// From another thread: makes a `serving` loop hand control back to its host.
    func endServing() {
        baton.wake {
            serveEnded = true
            wakeRequested = true
        }
    }

    /// Ends the loop for good: parked turns unwind, every fiber's thread goes back to the pool.
    /// Agents are not stopped here (see `stopAllAgents`).
    func shutdown() {
        guard !shuttingDown else { return }
        shuttingDown = true
        guard let leader = restingRunner else { return }   // the loop never ran
        restingRunner = nil
        baton.hand(to: leader.id, thenWaitAs: 0)
    }

    /// A fiber's life: run the loop until the goal is reached, rest until the host calls again,
    /// and so on until shutdown.
    func fiberMain(_ fiber: Fiber) {
        // Held here: once the host is handed the baton back for good, it may free the loop while
        // this thread is still returning from `release`.
        let baton = self.baton
        currentFiber = fiber
        while !shuttingDown {
            guard let status = step(fiber) else { continue }
            durability?.flush()   // what was committed goes to the store before the host sees the goal
            goalStatus = status
            restingRunner = fiber
            baton.hand(to: 0, thenWaitAs: fiber.id)
            currentFiber = fiber
        }
        // Nothing of the run stays reachable from this thread once the host has been handed back
        // the baton (a host may check that its interpreter and agents are gone).
        fiber.turn = .idle
        if shutdownLeader == 0 {
            // The first fiber to see the shutdown wakes each other one, so it unwinds and ends.
            shutdownLeader = fiber.id
            for f in allFibers where f !== fiber {
                baton.hand(to: f.id, thenWaitAs: fiber.id)
            }
            releaseWork()
            baton.release(to: 0)
        } else {
            baton.release(to: shutdownLeader)
        }
    }

    /// The loop is over for good: it lets go of everything its work referred to (agents, timers,
    /// schedules), so they go with the interpreter even while this thread is still returning.
    private func releaseWork() {
        work.removeAll()
        timers = Heap()
        waiting = Heap()
        idleRunners.removeAll()
        activeJob = nil
        #if DEBUG
        mailboxOwners.removeAll()
        finalScheduleCounters = madeSchedules.map(ScheduleCounters.init)
        madeSchedules.removeAll()
        #endif
    }

    /// One round of the loop on `runner`; a status when the goal is reached.
    func step(_ runner: Fiber) -> Int32? {
        checkInvariants()
        if fatalError != nil { return 1 }
        if let stopAt, time.isVirtual, case .noAgents = goal, time.monotonicNow > stopAt.saturatingAdd(VirtualTime.untilGrace) {
            // Busy past `--until` (work costs virtual time): the run ends as at the bound. (The
            // events due at the bound itself run first: the grace is a thousand turns.)
            stopAllAgents()
            return fatalError == nil ? 0 : 1
        }
        let posted = takePosted()
        if posted.signal != 0 {
            // The interrupt that came with the signal has done its work (or found nothing
            // running); it must not cut the @on_stop hooks short.
            interpreter.interruptFlag.store(false, ordering: .relaxed)
            stopAllAgents()
            return 128 + posted.signal
        }
        if posted.interrupt, let fiber = activeJob?.fiber, fiber.isParked {
            fiber.interrupted = true
            work.append(.resume(fiber, generation: fiber.parkGeneration))
        }
        if posted.serveEnded, case .serving = goal { return 0 }
        durability?.pollRequests()
        durability?.pollShared()
        if let durability {
            if durability.dormantBacklog { durability.dormantDue() }
            durability.pruneFinished()
            if durability.batchDue { durability.flush() }
        }
        fireDueTimers()
        for (f, generation) in posted.completed { work.append(.resume(f, generation: generation)) }
        for job in posted.jobs { work.append(.job(job)) }
        if case .job(let job) = goal, job.result != nil { return 0 }
        if let item = work.popFirst() {
            idleSince = nil
            switch item {
            case .agent(let agent): runNextEvent(agent)
            case .resume(let fiber, let generation): resume(fiber, generation: generation, from: runner)
            case .task(let task): runTask(task)
            case .job(let job): runJob(job, on: runner)
            case .unload(let instance): unload(instance)
            }
            return nil
        }
        return waitForWork()
    }

    private func runJob(_ job: HostJob, on fiber: Fiber) {
        activeJob = job
        job.fiber = fiber
        interpreter.interruptFlag.store(false, ordering: .relaxed)
        switchTurn(to: .idle)
        let result: Result<Value, Error>
        do { result = .success(try job.body()) } catch { result = .failure(error) }
        if activeJob === job { activeJob = nil }
        switchTurn(to: .idle)
        job.result = result
        job.finished.signal()
    }

    /// Nothing is ready: reach the goal, move virtual time on, or wait for the next deadline.
    private func waitForWork() -> Int32? {
        // Nothing to run: held messages are released (their batch of commits goes to the store
        // first) before the loop waits or moves the clock, and before the real clock waits the
        // open batch goes anyway. (A virtual clock may move on with a batch open: nobody has seen
        // its turns' effects, and it goes when full, when its window has passed, or at the end.)
        if let durability, !durability.held.isEmpty || !durability.batch.isEmpty && !time.isVirtual {
            durability.flush()
            return nil
        }
        if case .idle = goal { return 0 }
        if case .noAgents = goal, liveAgents.isEmpty && parkedTurns == 0 && !(durability?.hasStandby ?? false)
            && !(durability?.hasDormant ?? false) { return 0 }
        let next = timers.min?.deadline
        if time.isVirtual && waitingOnOutside > 0 {
            // Virtual time stands still while a turn waits for the outside world.
            sleepUntilWoken(nil)
            return nil
        }
        if time.isVirtual {
            switch goal {
            case .time(let end):
                guard let next, next <= end else {
                    time.advance(to: end)
                    return 0
                }
            case .noAgents:
                let pastStop = next.flatMap { n in stopAt.map { n > $0 } } ?? false
                if next == nil || pastStop {
                    // Nothing more can happen (or --until is reached): end as if stopped.
                    if let stopAt { time.advance(to: stopAt) }
                    stopAllAgents()
                    return fatalError == nil ? 0 : 1
                }
            case .job(let job):
                if next == nil && job.result == nil { return 0 }   // it can never finish
            case .serving, .idle:
                if next == nil {
                    sleepUntilWoken(nil)
                    return nil
                }
            }
            time.advance(to: next!)
            return nil
        }
        // Real clock: wait for the next deadline, the goal's end, a signal, or a host's wake-up.
        let now = time.monotonicNow
        var wait = next.map { $0 - now }
        if case .time(let end) = goal {
            if now >= end { return 0 }
            wait = min(wait ?? (end - now), end - now)
        }
        if case .noAgents = goal, let idleExit {
            let since = idleSince ?? now
            idleSince = since
            if now - since >= idleExit { return 0 }
            wait = min(wait ?? idleExit, idleExit)
        }
        if durability != nil {
            // Requests from `keel schedules` are read at least once a second.
            wait = min(wait ?? Durability.pollInterval, Durability.pollInterval)
            if let w = durability?.sharedPollWait { wait = min(wait!, w) }
        }
        if let w = wait, w <= 0 { return nil }
        // At most an hour at a time (then the loop looks again): a deadline centuries away
        // (`schedule.sleep(106751.days)`) is a date the condition variable cannot wait for.
        sleepUntilWoken(wait.map { Date(timeIntervalSinceNow: Double(min($0, 3_600_000_000_000)) / 1e9) })
        return nil
    }

    private func sleepUntilWoken(_ deadline: Date?) {
        baton.sleepLoop(until: deadline) { self.wakeRequested }
        baton.wake { wakeRequested = false }
    }

    /// Parks the calling turn while `work` runs on another thread; other agents go on meanwhile.
    /// Returns what `work` returned.
    /// `cancel`: when given, a `control.with_timeout`/`with_deadline` around the call that ends
    /// first wakes the turn, `cancel` stops the work (a child process is killed), and the limit's
    /// error is raised; the work's late result is dropped.
    func awaitOutside<T>(cancel: (() -> Void)? = nil, _ work: @escaping () -> T) throws -> T {
        guard let fiber = currentFiber else { return work() }   // not on the loop: just block
        if shuttingDown || stoppingAll { throw ShutdownSignal() }
        let slot = ResultBox<T>()
        let generation = fiber.parkGeneration
        waitingOnOutside += 1
        defer { waitingOnOutside -= 1 }
        Thread.detachNewThread { [baton] in
            let v = work()
            baton.wake {
                slot.result = v
                self.completed.append((fiber, generation))
                self.wakeRequested = true
            }
        }
        let limit = cancel == nil ? nil : interpreter.turn.deadlines.min(by: { $0.at < $1.at })
        if let limit { addTimer(at: limit.at, .resume(fiber, generation: generation)) }
        do { try park(fiber) } catch {
            cancel?()
            throw error
        }
        if let result = baton.locked({ slot.result }) { return result }
        cancel?()
        throw KeelError(limit!.kind, limit!.message)
    }

    /// What other threads posted since the last step, taken under the baton's lock once per step.
    /// Completions and jobs stay posted when this step ends the loop run (a signal, the end of
    /// serving), for the next run to take.
    private func takePosted() -> Posted {
        baton.locked {
            var posted = Posted(signal: signalReceived, interrupt: interruptPending, serveEnded: serveEnded)
            if signalReceived != 0 { signalTaken = true }
            interruptPending = false
            serveEnded = false
            let ending: Bool
            if case .serving = goal { ending = posted.signal != 0 || posted.serveEnded } else { ending = posted.signal != 0 }
            if !ending && !(completed.isEmpty && incomingJobs.isEmpty) {
                swap(&posted.completed, &completed)
                swap(&posted.jobs, &incomingJobs)
            }
            return posted
        }
    }

    struct Posted {
        var signal: Int32
        var interrupt: Bool
        var serveEnded: Bool
        var completed: [(Fiber, Int)] = []
        var jobs: [HostJob] = []
    }

    /// Called from another thread (a signal handler, a host) to stop the agents and end the run.
    /// Busy Keel code is interrupted at its next step (the turn unwinds silently); then the loop
    /// runs every live agent's `@on_stop` and the run ends with 128 + signal.
    package func requestStop(signal: Int32) {
        baton.wake {
            signalReceived = signal
            interpreter.interruptFlag.store(true, ordering: .relaxed)
            wakeRequested = true
        }
    }

    /// Whether a signal asked the run to stop (from any thread).
    package var stopRequested: Bool { baton.locked { signalReceived != 0 } }

    /// Whether the loop has taken the stop signal and is running the `@on_stop` hooks (from any
    /// thread: the command's hard-exit watcher waits for this).
    package var stopUnderWay: Bool { baton.locked { signalTaken } }
}

/// What other threads may do to a loop (a signal handler, a host's watchdog): each operation takes
/// the baton's lock, so this handle may cross threads.
package struct LoopSignals: @unchecked Sendable {
    let loop: EventLoop
    package func requestStop(signal: Int32) { loop.requestStop(signal: signal) }
    package var stopUnderWay: Bool { loop.stopUnderWay }
    package func interrupt() { loop.interrupt() }
}

extension EventLoop {
    package var signals: LoopSignals { LoopSignals(loop: self) }
}
