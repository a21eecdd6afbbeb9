/// Keyed durable instances that are not in memory: unloaded when idle (`@idle`), or never loaded
/// by this process. The store keeps when each must be back (its earliest due schedule, the
/// instance's `wake`); one timer, at the earliest of them, brings back those that are due, so
/// nothing is loaded to find out what is due. Messages for them (`send(A["k"], ...)`, `keel send`)
/// bring them back too.
extension Durability {
    /// The durable agents this program declares, by name: only their keyed instances are brought
    /// back (the store may hold others', from another program).
    var durableAgents: [String: AgentInfo] {
        var out: [String: AgentInfo] = [:]
        for agent in loop.interpreter.agentDeclarations where agent.durable { out[agent.name] = agent }
        return out
    }

    /// Reads when the earliest dormant instance is due and arms the timer for it.
    /// `notBefore`: a due instance that could not be brought back (another node holds it, say) is
    /// looked at again a second later, not at once.
    func armDormantTimer(notBefore: Int64? = nil) {
        if batchHasLeaving { flush() }   // an instance going dormant in the open batch counts
        let names = Array(durableAgents.keys)
        guard !names.isEmpty else { dormantWake = nil; return }
        do {
            guard let wake = try store.nextDormantWake(agents: names) else { dormantWake = nil; return }
            noteDormant(wake: max(wake, notBefore.map(wall) ?? wake))
        } catch {
            fail(KeelError("StoreError", "cannot read the store: \(error)"))
        }
    }

    /// An instance went dormant needing to be back at `wake` (wall ns): the timer is armed for it
    /// if that is earlier than the one armed.
    func noteDormant(wake: Int64?) {
        guard let wake else { return }
        let at = monotonic(wake)
        if let armed = dormantWake, armed <= at { return }
        dormantWake = at
        dormantGeneration += 1
        loop.addTimer(at: max(at, loop.time.monotonicNow), .dormantDue(generation: dormantGeneration))
    }

    /// The dormant timer came due: the instances due by now come back, as many as the queue has
    /// room for (counting instances made and not yet started), the rest as room frees; then the
    /// timer is armed for the next.
    func dormantDue() {
        if batchHasLeaving { flush() }
        dormantWake = nil
        dormantBacklog = false
        let agents = durableAgents
        let room = min(loop.capacity - loop.pending - loop.startingCount, 1_000)
        // Brought back in chunks while other work goes on (each chunk is a few reads), singly when
        // the loop has nothing else to do.
        guard room >= min(64, max(1, loop.capacity / 4)) || (room > 0 && loop.work.isEmpty) else {
            dormantBacklog = true
            return
        }
        var progress = false
        do {
            let ids = try store.dormantDue(agents: Array(agents.keys), before: wall(loop.time.monotonicNow), limit: room)
            // Brought back now, or in memory already (a message made it before its commit said
            // so): either way the store must not offer it again.
            let here = ids.filter { id in
                if bringBack(id, agents) { return true }
                guard let (name, key) = InstanceId.parse(id), let agent = agents[name] else { return false }
                return agent.instance(key) != nil
            }
            try store.markLoaded(here)
            progress = !here.isEmpty
            if ids.count == room && progress {
                dormantBacklog = true   // more may be due now
                return
            }
        } catch {
            fail(KeelError("StoreError", "cannot read the store: \(error)"))
            return
        }
        armDormantTimer(notBefore: progress ? nil : loop.time.monotonicNow.saturatingAdd(1_000_000_000))
    }

    /// Makes the instance `id` (its state and schedules from the store; `@on_start` its first
    /// turn), unless it is in memory already or another node claims it first.
    @discardableResult
    func bringBack(_ id: String, _ agents: [String: AgentInfo], dormant: Bool = true) -> Bool {
        guard let (name, key) = InstanceId.parse(id), let key, let agent = agents[name], agent.instance(key) == nil else { return false }
        do {
            guard try claim(agent, key: key) else { return false }
            bringingBack = dormant
            defer { bringingBack = false }
            _ = try loop.activate(agent, key: key)
            return true
        } catch let e as KeelError {
            loop.interpreter.options.errorOutput(e.render(color: loop.interpreter.color) + "\n  bringing back \(id)")
        } catch {
            loop.interpreter.options.errorOutput("warning: cannot bring back \(id): \(error)")
        }
        return false
    }

    /// Messages left in the store by `keel send` (an SQLite store; a shared store's come through
    /// its inbox): each goes to its instance (a keyed one is made for it), and leaves the store
    /// with the commit of the turn that handles it. A message for a singleton that is not live
    /// waits until it is.
    func takeMessages() {
        let agents = durableAgents
        let room = min(loop.capacity - loop.pending, 1_000)
        guard room > 0, !agents.isEmpty else { return }
        do {
            for m in try store.takeMessages(agents: Array(agents.keys), limit: room) {
                guard let (name, key) = InstanceId.parse(m.agent), let agent = agents[name] else { continue }
                if key == nil && !(agent.singleton?.accepting ?? false) { store.giveBack(m.id); continue }
                let payload = (try? StoredValue.decode(m.payload) { .object(UuidValue($0)) }) ?? .none
                do { try loop.send(agent, key: key, event: m.event, payload: payload, inboxId: m.id) } catch let e as KeelError {
                    loop.interpreter.options.errorOutput(e.render(color: loop.interpreter.color) + "\n  delivering a message sent with keel send to \(m.agent)")
                    store.giveBack(m.id)
                }
            }
        } catch {
            fail(KeelError("StoreError", "cannot read the store: \(error)"))
        }
    }

    /// Finished durable one-shots older than the retention leave the store (at the start, then
    /// once an hour of the loop's clock).
    func pruneFinished() {
        let now = loop.time.monotonicNow
        guard now >= nextPrune else { return }
        nextPrune = now.saturatingAdd(3_600_000_000_000)
        let agents = Array(durableAgents.keys)
        guard !agents.isEmpty else { return }
        flush()
        do {
            _ = try store.pruneFinished(agents: agents, before: wall(now).saturatingSubtract(loop.interpreter.options.retention))
        } catch {
            fail(KeelError("StoreError", "cannot write to the store: \(error)"))
        }
    }

    /// Whether dormant instances may still come due (the run goes on for them).
    var hasDormant: Bool { dormantWake != nil || dormantBacklog }
}

extension Interpreter {
    /// Every agent declared in the program and its modules.
    var agentDeclarations: [AgentInfo] {
        var out: [AgentInfo] = []
        var seen = Set<ObjectIdentifier>()
        for case .agent(let a) in globals.allValues + fileModules.values.flatMap({ $0.members.values }) where seen.insert(ObjectIdentifier(a)).inserted {
            out.append(a)
        }
        return out
    }
}
