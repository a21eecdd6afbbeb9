/// A deadline in the timer heap: wake a sleeping turn, or make a schedule come due.
struct TimerEntry: Comparable {
    enum Action {
        /// Wake a fiber parked in episode `generation` (stale if it has been woken since).
        case resume(Fiber, generation: Int)
        case schedule(Schedule)
    }
    let deadline: Int64
    let seq: Int
    let action: Action
    static func < (a: TimerEntry, b: TimerEntry) -> Bool { (a.deadline, a.seq) < (b.deadline, b.seq) }
    static func == (a: TimerEntry, b: TimerEntry) -> Bool { a.deadline == b.deadline && a.seq == b.seq }
}

/// Timers and the schedules they drive: a schedule is armed at its next due time; when it comes
/// due, its policy delivers the tick to the owner's mailbox, drops it, or makes it wait.
extension EventLoop {
    /// A deadline past the end of the clock's range (a sleep of 300 years, saturated) is never:
    /// no timer is armed for it.
    func addTimer(at deadline: Int64, _ action: TimerEntry.Action) {
        guard deadline < Int64.max else { return }
        timers.insert(TimerEntry(deadline: deadline, seq: nextSeq(), action: action))
    }

    func fireDueTimers() {
        guard !timers.isEmpty else { return }   // spares a clock read per step when nothing is scheduled
        let now = time.monotonicNow
        while let top = timers.min, top.deadline <= now {
            _ = timers.popMin()
            switch top.action {
            case .resume(let fiber, let generation): work.append(.resume(fiber, generation: generation))
            case .schedule(let s): comeDue(s, top)
            }
        }
    }

    /// Registers a schedule whose first tick is due at `firstDeadline`: a tick already due is
    /// enqueued now, in registration order.
    func start(_ s: Schedule, firstDeadline: Int64) {
        s.owner.schedules.append(s)
        guard firstDeadline < Int64.max else { return }   // past the clock's range: never
        s.nextDeadline = firstDeadline
        if firstDeadline <= time.monotonicNow {
            comeDue(s, TimerEntry(deadline: time.monotonicNow, seq: nextSeq(), action: .schedule(s)))
        } else {
            addTimer(at: firstDeadline, .schedule(s))
        }
    }

    /// A tick came due: the policy decides (deliver, drop, wait for a slot), then the next tick is armed.
    private func comeDue(_ s: Schedule, _ due: TimerEntry) {
        guard s.live, s.owner.info.instance === s.owner else { return }
        switch s.policy.decide(queueFull: isFull, recurring: s.nextTickRecurs) {
        case .deliver: deliver(s, due: due.deadline)
        case .drop:
            s.dropped += 1
            droppedTotal += 1
        case .wait:
            waiting.insert(due)   // one-shots never drop: they wait for a slot, in due order
        }
        arm(s, after: due.deadline)
    }

    /// Arms the tick after the one due at `deadline`.
    func arm(_ s: Schedule, after deadline: Int64) {
        s.ticks += 1
        s.nextDeadline = nil
        guard s.live, let next = s.timing.next(after: deadline, time: time) else { return }
        s.nextDeadline = next
        addTimer(at: next, .schedule(s))
    }

    func deliver(_ s: Schedule, due: Int64) {
        guard s.live, s.owner.info.instance === s.owner else { return }
        enqueue(Event(kind: .closure(s.callback, s, s.owner), due: due), to: s.owner.info)
    }

    /// A slot was freed: waiting one-shots move into the queue, earliest due first.
    func slotFreed() {
        while pending < capacity, let entry = waiting.popMin() {
            if case .schedule(let s) = entry.action { deliver(s, due: entry.deadline) }
        }
    }
}
