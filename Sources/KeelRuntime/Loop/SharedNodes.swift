import Foundation

/// The loop's side of a store shared by several nodes (`SharedStore`): which durable agents run
/// here, which wait here while another node owns them (standby), leases renewed every third of
/// their length, standby agents started here when their owner's lease runs out, and messages from
/// other nodes taken from the inbox. Every time here is real monotonic time: a shared store runs
/// on the real clock.
final class SharedNodes {
    let store: SharedStore
    /// Durable singleton agents `run` here whose lease another node holds, in the order they were run.
    private(set) var standby: [AgentInfo] = []
    private var standbyIds: Set<ObjectIdentifier> = []
    /// Every durable instance claimed here (owned, standby or owned elsewhere), by its store id
    /// (for inbox messages and lost leases, which name them).
    private(set) var instances: [String: (AgentInfo, MapKey?)] = [:]
    var nextPollTime: Int64 = 0
    var nextRenewTime: Int64 = 0
    /// When instances in memory nowhere are next looked for (due schedules, waiting messages).
    var nextOrphanCheck: Int64 = 0
    /// Leases found lost by a renewal made inside a turn: their instances end between turns.
    var lostPending: [String] = []
    /// When a standby agent's owner's lease would run out (tried again then, and every third of
    /// a lease).
    var nextClaimTime: Int64 = .max
    /// How often the inbox is read while this node owns durable agents, and the loop's longest
    /// sleep.
    static let pollInterval: Int64 = 20_000_000
    /// At most this many inbox messages are taken at once (and never more than the queue holds).
    static let inboxBatch = 1_000

    init(store: SharedStore) {
        self.store = store
        nextRenewTime = SharedNodes.now + store.leaseDuration / 3
    }

    static var now: Int64 { RealTime.read(CLOCK_MONOTONIC) }

    func isStandby(_ agent: AgentInfo) -> Bool { standbyIds.contains(ObjectIdentifier(agent)) }

    func addStandby(_ agent: AgentInfo) {
        if standbyIds.insert(ObjectIdentifier(agent)).inserted { standby.append(agent) }
    }

    /// `run(A)` of a durable agent, or a message that makes `A["k"]`: true when this node owns the
    /// instance now (it starts here); otherwise a singleton waits here as a standby, tried again
    /// when the owner's lease would run out (a keyed instance's messages go through the inbox).
    func claim(_ agent: AgentInfo, key: MapKey?, inboxCapacity: Int) throws -> Bool {
        let id = agent.label(key)
        instances[id] = (agent, key)
        switch try store.claim(id, inboxCapacity: inboxCapacity) {
        case .owned:
            if key == nil, standbyIds.remove(ObjectIdentifier(agent)) != nil { standby.removeAll { $0 === agent } }
            return true
        case .ownedElsewhere(_, let remaining):
            if key == nil {
                addStandby(agent)
                nextClaimTime = min(nextClaimTime, SharedNodes.now + remaining + 1_000_000)
            }
            return false
        }
    }

    /// A live durable instance of this node, by store id.
    func liveInstance(_ id: String) -> AgentInstance? {
        guard let (agent, key) = instances[id], let instance = agent.instance(key), instance.accepting else { return nil }
        return instance
    }
}

extension Durability {
    func isStandby(_ agent: AgentInfo) -> Bool { shared?.isStandby(agent) ?? false }

    /// Whether the durable instance `agent`/`key` runs on this node (always, without a shared store).
    func claim(_ agent: AgentInfo, key: MapKey?) throws -> Bool {
        guard let shared else { return true }
        renewIfDue()
        do { return try shared.claim(agent, key: key, inboxCapacity: loop.capacity) } catch {
            throw KeelError("StoreError", "cannot claim \(agent.label(key)) in the store: \(error)")
        }
    }

    /// `send` to a durable instance that another node owns: through the inbox, as data.
    func post(to id: String, event: String, payload: Value) throws {
        guard let shared else { return }
        let text: String
        do { text = try StoredValue.encode(payload) } catch let e as StoredValue.Unstorable {
            throw KeelError(ErrorKind.value, "\(id) runs on another node, so a message to it must be data; this one holds \(e.kind)")
        }
        let sender = loop.interpreter.turn.instance?.label ?? "main"
        let posted: Bool
        do {
            posted = try shared.store.post(to: id, sender: sender, event: event, payload: text, capacity: loop.capacity)
        } catch {
            throw KeelError("StoreError", "cannot send to \(id) through the store: \(error)")
        }
        if !posted {
            throw KeelError("RuntimeBusy", "the inbox of \(id) is full (capacity \(loop.capacity)); it did not get `\(event)`")
        }
    }

    /// A durable agent's instance stopped here: its last commit, and on a shared store its lease
    /// goes (a standby node may start it at once: at a clean shutdown, the others take over).
    func stopped(_ instance: AgentInstance) {
        commit(instance, leaving: .stopped)
        release(instance)
    }

    /// An idle durable instance leaves memory: its last commit (its state and schedules stay in
    /// the store), its lease goes; no `@on_stop`. A message or a due schedule brings it back.
    func unload(_ instance: AgentInstance) {
        commit(instance, leaving: .unloaded)
        instance.phase = .stopped
        if let key = instance.key, instance.info.keyed[key] === instance { instance.info.keyed[key] = nil }
        else if instance.key == nil, instance.info.singleton === instance { instance.info.singleton = nil }
        loop.agentStopped(instance)
        release(instance)
        if shared == nil { noteDormant(wake: instance.wakeCommitted) }   // a shared store's nodes poll for it
    }

    private func release(_ instance: AgentInstance) {
        guard let shared, instance.info.instance(instance.key) == nil else { return }
        do { try shared.store.release(instance.storeId) } catch {
            loop.interpreter.options.errorOutput("warning: cannot release the lease of \(instance.label): \(error)")
        }
    }

    /// This node no longer holds the lease of `id`: its instance here ends without `@on_stop` (it
    /// runs elsewhere now; a parked turn unwinds, nothing more is committed), and a singleton
    /// waits as a standby.
    func lose(_ id: String) {
        guard let shared, let instance = shared.liveInstance(id) else { return }
        loop.interpreter.options.errorOutput("note: this node's lease on \(id) ended; it goes on where it is claimed next (another node, or this one)")
        instance.phase = .stopped
        if let key = instance.key { instance.info.keyed[key] = nil } else { instance.info.singleton = nil }
        loop.agentStopped(instance)
        if instance.key == nil {
            shared.addStandby(instance.info)
            shared.nextClaimTime = SharedNodes.now   // a standby now: claim it back if nobody holds it
        }
    }

    /// Once per loop step, at most every 20 ms: leases renewed, standby agents claimed when their
    /// owner's lease has run out, and inbox messages taken into mailboxes.
    func pollShared() {
        guard let shared else { return }
        let now = SharedNodes.now
        guard now >= shared.nextPollTime else { return }
        shared.nextPollTime = now + SharedNodes.pollInterval
        do {
            renewIfDue()
            let lost = shared.lostPending
            shared.lostPending.removeAll()
            for name in lost { lose(name) }
            if !shared.standby.isEmpty && now >= shared.nextClaimTime {
                // One look for all standby agents; only those whose lease ended are claimed.
                let (free, soonest) = try shared.store.claimable(shared.standby.map(\.name))
                shared.nextClaimTime = now + min(shared.store.leaseDuration / 3, (soonest ?? .max / 2) + 1_000_000)
                for agent in shared.standby where free.contains(agent.name) && agent.singleton == nil {
                    // Claimed: it starts here (state and schedules from the store, the missed
                    // occurrences by their policy, then `@on_start`), as after a restart.
                    do { try loop.interpreter.startAgent(agent) } catch let e as KeelError {
                        loop.interpreter.options.errorOutput(e.render(color: loop.interpreter.color))
                    } catch {
                        loop.interpreter.options.errorOutput("warning: cannot start \(agent.name) here: \(error)")
                    }
                }
            }
            if now >= shared.nextOrphanCheck {
                // Once a second: keyed instances in memory on no node (their node died, or they
                // went idle) that have messages waiting or schedules due are claimed and made here.
                shared.nextOrphanCheck = now + 1_000_000_000
                let agents = durableAgents
                let room = min(loop.capacity - loop.pending, SharedNodes.inboxBatch)
                if room > 0, !agents.isEmpty {
                    for id in try shared.store.unownedWithMail(agents: Array(agents.keys), limit: room) { bringBack(id, agents, dormant: false) }
                }
                dormantDue()
            }
            let room = min(loop.capacity - loop.pending, SharedNodes.inboxBatch)
            guard room > 0 else { return }
            let messages = try shared.store.takeInbox(limit: room)
            for m in messages {
                guard let instance = shared.liveInstance(m.agent) else { continue }   // lost meanwhile: taken again later
                let payload = (try? StoredValue.decode(m.payload) { .object(UuidValue($0)) }) ?? .none
                _ = loop.enqueue(Event(kind: .message(name: m.event, payload: payload), inboxId: m.id), to: instance)
            }
            if messages.count == room { shared.nextPollTime = now }   // more may wait
        } catch {
            fail(KeelError("StoreError", "cannot use the store: \(error)"))
        }
    }

    /// Renews this node's leases when a third of a lease has passed since the last renewal. The
    /// loop does it between turns, and a long turn (making a thousand instances, a long
    /// computation) does it too, from its interrupt checks, so its leases do not run out under
    /// it; instances whose lease was lost end at the next step.
    func renewIfDue() {
        guard let shared else { return }
        let now = SharedNodes.now
        guard now >= shared.nextRenewTime else { return }
        shared.nextRenewTime = now + shared.store.leaseDuration / 3
        do {
            shared.lostPending += try shared.store.renewLeases()
        } catch {
            fail(KeelError("StoreError", "cannot use the store: \(error)"))
        }
    }

    /// How long the loop may sleep before the next poll (ns).
    var sharedPollWait: Int64? {
        guard let shared else { return nil }
        return max(0, shared.nextPollTime - SharedNodes.now)
    }

    var hasStandby: Bool { !(shared?.standby.isEmpty ?? true) }
}
