import Foundation

/// The loop's side of a store shared by several nodes (`SharedStore`): which durable agents run
/// here, which wait here while another node owns them (standby), leases renewed every third of
/// their length, standby agents started here when their owner's lease runs out, and messages from
/// other nodes taken from the inbox. Every time here is real monotonic time: a shared store runs
/// on the real clock.
final class SharedNodes {
    let store: SharedStore
    /// Durable agents `run` here whose lease another node holds, in the order they were run.
    private(set) var standby: [AgentInfo] = []
    private var standbyIds: Set<ObjectIdentifier> = []
    /// Every durable agent `run` here, owned or standby, by name (for inbox messages and lost
    /// leases, which name them).
    private(set) var agents: [String: AgentInfo] = [:]
    var nextPollTime: Int64 = 0
    var nextRenewTime: Int64 = 0
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

    /// `run(A)` of a durable agent: true when this node owns it now (it starts here); otherwise it
    /// waits here as a standby, tried again when the owner's lease would run out.
    func claim(_ agent: AgentInfo, inboxCapacity: Int) throws -> Bool {
        agents[agent.name] = agent
        switch try store.claim(agent.name, inboxCapacity: inboxCapacity) {
        case .owned:
            if standbyIds.remove(ObjectIdentifier(agent)) != nil { standby.removeAll { $0 === agent } }
            return true
        case .ownedElsewhere(_, let remaining):
            addStandby(agent)
            nextClaimTime = min(nextClaimTime, SharedNodes.now + remaining + 1_000_000)
            return false
        }
    }

    /// A live durable agent of this node, by name.
    func liveAgent(_ name: String) -> AgentInfo? {
        guard let agent = agents[name], agent.instance != nil else { return nil }
        return agent
    }
}

extension Durability {
    func isStandby(_ agent: AgentInfo) -> Bool { shared?.isStandby(agent) ?? false }

    /// Whether durable agent `agent` runs on this node (always, without a shared store).
    func claim(_ agent: AgentInfo) throws -> Bool {
        guard let shared else { return true }
        do { return try shared.claim(agent, inboxCapacity: loop.capacity) } catch {
            throw KeelError("StoreError", "cannot claim \(agent.name) in the store: \(error)")
        }
    }

    /// `send` to a durable agent that another node owns: through the inbox, as data.
    func post(to agent: AgentInfo, event: String, payload: Value) throws {
        guard let shared else { return }
        let text: String
        do { text = try StoredValue.encode(payload) } catch let e as StoredValue.Unstorable {
            throw KeelError(ErrorKind.value, "\(agent.name) runs on another node, so a message to it must be data; this one holds \(e.kind)")
        }
        let sender = loop.interpreter.turn.agent?.name ?? "main"
        let posted: Bool
        do {
            posted = try shared.store.post(to: agent.name, sender: sender, event: event, payload: text, capacity: loop.capacity)
        } catch {
            throw KeelError("StoreError", "cannot send to \(agent.name) through the store: \(error)")
        }
        if !posted {
            throw KeelError("RuntimeBusy", "the inbox of \(agent.name) is full (capacity \(loop.capacity)); it did not get `\(event)`")
        }
    }

    /// A durable agent's instance stopped here: its last commit, and on a shared store its lease
    /// goes (a standby node may start it at once: at a clean shutdown, the others take over).
    func stopped(_ instance: AgentInstance) {
        commit(instance)
        guard let shared, instance.info.instance === instance || instance.info.instance == nil else { return }
        do { try shared.store.release(instance.info.name) } catch {
            loop.interpreter.options.errorOutput("warning: cannot release the lease of \(instance.info.name): \(error)")
        }
    }

    /// This node no longer holds `name`'s lease: its instance here ends without `@on_stop` (it runs
    /// elsewhere now; a parked turn unwinds, nothing more is committed), and it waits as a standby.
    func lose(_ name: String) {
        guard let shared, let agent = shared.liveAgent(name), let instance = agent.instance else { return }
        loop.interpreter.options.errorOutput("note: this node's lease on \(name) ended; it goes on where it is claimed next (another node, or this one)")
        instance.stopping = true
        agent.instance = nil
        loop.agentStopped(agent, instance)
        shared.addStandby(agent)
        shared.nextClaimTime = SharedNodes.now   // a standby now: claim it back if nobody holds it
    }

    /// Once per loop step, at most every 20 ms: leases renewed, standby agents claimed when their
    /// owner's lease has run out, and inbox messages taken into mailboxes.
    func pollShared() {
        guard let shared else { return }
        let now = SharedNodes.now
        guard now >= shared.nextPollTime else { return }
        shared.nextPollTime = now + SharedNodes.pollInterval
        do {
            if now >= shared.nextRenewTime {
                shared.nextRenewTime = now + shared.store.leaseDuration / 3
                for name in try shared.store.renewLeases() { lose(name) }
            }
            if !shared.standby.isEmpty && now >= shared.nextClaimTime {
                // One look for all standby agents; only those whose lease ended are claimed.
                let (free, soonest) = try shared.store.claimable(shared.standby.map(\.name))
                shared.nextClaimTime = now + min(shared.store.leaseDuration / 3, (soonest ?? .max / 2) + 1_000_000)
                for agent in shared.standby where free.contains(agent.name) {
                    // Claimed: it starts here (state and schedules from the store, the missed
                    // occurrences by their policy, then `@on_start`), as after a restart.
                    do { try loop.interpreter.startAgent(agent) } catch let e as KeelError {
                        loop.interpreter.options.errorOutput(e.render(color: loop.interpreter.color))
                    } catch {
                        loop.interpreter.options.errorOutput("warning: cannot start \(agent.name) here: \(error)")
                    }
                }
            }
            let room = min(loop.capacity - loop.pending, SharedNodes.inboxBatch)
            guard room > 0 else { return }
            let messages = try shared.store.takeInbox(limit: room)
            for m in messages {
                guard let agent = shared.liveAgent(m.agent) else { continue }   // lost meanwhile: taken again later
                let payload = (try? StoredValue.decode(m.payload) { .object(UuidValue($0)) }) ?? .none
                _ = loop.enqueue(Event(kind: .message(name: m.event, payload: payload), inboxId: m.id), to: agent)
            }
            if messages.count == room { shared.nextPollTime = now }   // more may wait
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
