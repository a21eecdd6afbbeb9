/// Instances that leave memory when idle (`@idle 10.minutes`): after a turn ends, an idle check
/// is armed (one per instance at a time); when it comes due and the instance has had no turn and
/// no event since, it is unloaded: a durable one keeps its state and schedules in the store and
/// comes back on its next message (or when one of its schedules comes due), a non-durable one
/// stops (`@on_stop` runs). An instance with a live schedule that no store would keep (any of a
/// non-durable instance, an unnamed one of a durable one) is not idle.
extension EventLoop {
    /// A turn of `instance` ended: with `@idle`, its idle clock starts again.
    func turnDone(_ instance: AgentInstance) {
        guard let idle = instance.idleAfter, instance.accepting else { return }
        instance.lastActive = time.monotonicNow
        guard !instance.idleCheckArmed else { return }
        instance.idleCheckArmed = true
        addTimer(at: instance.lastActive.saturatingAdd(idle), .idleCheck(instance))
    }

    /// An idle check came due: unload the instance if it has been idle long enough, otherwise
    /// check again when it would have been.
    func idleCheckDue(_ instance: AgentInstance) {
        instance.idleCheckArmed = false
        guard let idle = instance.idleAfter, instance.accepting else { return }
        // Busy or with mail: the end of that turn arms the check again. A schedule that would be
        // lost with the instance (no store keeps it) is work pending too: its run arms it again.
        if instance.busy || instance.queued || !instance.mailbox.isEmpty || instance.needsStart || hasWaitingRuns(instance) { return }
        let kept = instance.info.durable && durability != nil
        if instance.schedules.contains(where: { $0.live && (!kept || $0.durable == nil) }) { return }
        let due = instance.lastActive.saturatingAdd(idle)
        if due > time.monotonicNow {
            instance.idleCheckArmed = true
            addTimer(at: due, .idleCheck(instance))
            return
        }
        instance.busy = true   // no turn of it starts while it goes
        work.append(.unload(instance))
    }

    /// Runs of the instance's schedules waiting for a queue slot.
    private func hasWaitingRuns(_ instance: AgentInstance) -> Bool {
        instance.schedules.contains { $0.waiting > 0 }
    }

    /// Unloads an idle instance (as a turn of its own, since `@on_stop` may run and suspend).
    func unload(_ instance: AgentInstance) {
        guard instance.accepting else { instance.busy = false; return }
        beginTurn(instance)
        defer {
            endTurn()
            instance.busy = false
        }
        if instance.info.durable, let durability {
            durability.unload(instance)
            return
        }
        do { try interpreter.stopAgent(instance) } catch let e as KeelError {
            interpreter.reportAgentError(e, instance, "@on_stop")
        } catch {}
    }
}

extension AgentInstance {
    /// `@idle d`: how long it may go without a turn or an event before it leaves memory.
    var idleAfter: Int64? {
        if case .duration(let d)? = attributeValues["idle"], d > 0 { return d }
        return nil
    }
}
