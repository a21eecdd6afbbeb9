/// Consistency checks of the loop, compiled into debug and test builds only (the whole test suite
/// runs with them): a broken invariant is a bug in the loop, so it stops the process at once with
/// what went wrong.
extension EventLoop {
    @inline(__always)
    func invariant(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String) {
        #if DEBUG
        if !condition() { preconditionFailure("event loop invariant broken: " + message()) }
        #endif
    }

    /// Every agent that ever had mail, so the accounting can be checked (debug builds).
    func noteMailbox(_ agent: AgentInstance) {
        #if DEBUG
        mailboxOwners[ObjectIdentifier(agent)] = agent
        #endif
    }

    /// The queue's `pending` is the number of events in all mailboxes; no agent with a turn running
    /// or parked is waiting in the work list; the parked-turn count matches the parked fibers.
    func checkInvariants() {
        #if DEBUG
        invariantSteps &+= 1
        guard (mailboxOwners.count < 256 && allFibers.count < 256) || invariantSteps % 1024 == 0 else { return }
        let total = mailboxOwners.values.reduce(0) { $0 + $1.mailbox.count } + heldCount
        invariant(total == pending, "pending is \(pending) but the mailboxes and outboxes hold \(total) events")
        invariant(pending <= capacity || waiting.isEmpty, "\(pending) events pending over capacity \(capacity)")
        for item in work {
            if case .agent(let a) = item {
                invariant(!a.busy || a.phase == .stopping, "busy agent \(a.label) is in the work list")
                invariant(a.queued, "agent \(a.label) is in the work list but not marked queued")
            }
        }
        // A durable agent runs here or waits as a standby, never both.
        for agent in durability?.shared?.standby ?? [] {
            invariant(agent.singleton == nil, "standby agent \(agent.name) has a live instance on this node")
        }
        invariant(parkedTurns == allFibers.filter(\.isParked).count,
                  "parkedTurns is \(parkedTurns) but \(allFibers.filter(\.isParked).count) fibers are parked")
        #endif
    }
}
