import Foundation
import KeelSyntax

/// Where durable agents and their named schedules live between runs: SQLite for one process
/// (`KeelSQLite`), PostgreSQL for several nodes. The loop talks to a store only through this
/// protocol; every time in it is wall-clock nanoseconds since the epoch (monotonic time does not
/// survive a restart).
package protocol DurableStore: AnyObject {
    /// What the store holds for durable agent `name`, or nil when it holds nothing yet.
    func loadAgent(_ name: String) throws -> StoredAgent?
    /// Commits one turn's changes in one transaction: changed state fields, schedules written or
    /// removed, and the occurrence the turn ran (unique per agent, schedule and due time).
    func commit(_ commit: TurnCommit) throws
    /// Whether `commitBatch` makes several turns' commits one transaction (group commit).
    var commitsInBatches: Bool { get }
    /// The commits of several turns (of one or more instances, in order) as one transaction and
    /// one sync: all or none.
    func commitBatch(_ commits: [TurnCommit]) throws
    /// Requests made from outside (`keel schedules pause A.sync`) that the running process must
    /// apply; each is returned once.
    func takeRequests() throws -> [ScheduleRequest]
    /// Says the process is alive (a store shared with other tools needs to know).
    func heartbeat() throws

    // Keyed instances that are not in memory (`A["k"]`, unloaded when idle or never loaded by
    // this process): the store keeps when each must be back (its earliest due schedule), so
    // nothing is loaded to find out what is due.

    /// Keyed instances of the agents named `agents` that no process has in memory and whose
    /// schedules need them by `before` (wall ns), earliest first, at most `limit`.
    func dormantDue(agents: [String], before: Int64, limit: Int) throws -> [String]
    /// When the earliest of those instances is needed (wall ns), or nil when none has anything due.
    func nextDormantWake(agents: [String]) throws -> Int64?
    /// The instances `dormantDue` returned that this process brought back: none is returned again
    /// (until it leaves memory with a commit).
    func markLoaded(_ ids: [String]) throws
    /// Messages `keel send` left for instances of the agents named `agents`, oldest first, at most
    /// `limit`; each is returned once.
    func takeMessages(agents: [String], limit: Int) throws -> [InboxMessage]
    /// A message `takeMessages` returned that could not be delivered now: it is returned again.
    func giveBack(_ id: Int64)

    /// Lets go of the store (a clean shutdown).
    func close()
    /// Removes durable one-shots that finished before `before` (wall ns), with their fires, from
    /// instances of the agents named `agents`; each instance counts the ones it lost. Returns how
    /// many went.
    func pruneFinished(agents: [String], before: Int64) throws -> Int

    // What tools outside the running process use (`keel schedules`, `keel state`).

    /// The durable agents the store holds, by name.
    func agentNames() throws -> [String]
    /// Every durable schedule, by agent and name.
    func listSchedules() throws -> [StoredSchedule]
    /// Pauses, resumes or cancels a durable schedule: applied at once when no process runs on the
    /// store, otherwise queued for the running process (`takeRequests`).
    func request(_ request: ScheduleRequest) throws -> RequestOutcome
    /// `keel send`: a message for the durable instance `id` (`A` or `A["k"]`), delivered by the
    /// process that runs on the store (a keyed instance is made for it), or by the next one.
    func sendMessage(to id: String, event: String, payload: String) throws -> RequestOutcome

    // `std/memory`'s persistent scope.

    func recall(scope: String, key: String) throws -> String?
    func remember(scope: String, key: String, value: String) throws
    func forget(scope: String, key: String) throws
}

/// What became of a `keel schedules pause|resume|cancel` request.
package enum RequestOutcome: Sendable, Equatable {
    /// No process runs on the store: the stored schedule was changed.
    case applied
    /// A process runs on the store: it applies the request within a second.
    case queued(pid: Int32)
    /// The store has no such durable schedule.
    case notFound
}

/// A durable agent as stored: its state fields (encoded) and its named schedules.
package struct StoredAgent: Sendable {
    package var state: [String: String]
    package var schedules: [StoredSchedule]
    package init(state: [String: String], schedules: [StoredSchedule]) {
        self.state = state
        self.schedules = schedules
    }
}

/// A durable schedule as stored. `timing` is JSON (`{"every": ns, "anchor": wall}`,
/// `{"cron": "expr", "tz": "zone"}`, `{"after": ns, "due": wall}`, `{"at": wall}`), `options` JSON
/// too; counters as in `Schedule`.
package struct StoredSchedule: Sendable, Equatable {
    package var agent: String
    package var name: String
    package var kind: String
    package var timing: String
    package var task: String
    package var args: String
    package var options: String
    package var due: Int
    package var fired: Int
    package var skipped: Int
    package var dropped: Int
    package var failures: Int
    package var missed: Int
    package var paused: Bool
    /// Resumed while no process ran: the next process goes on from the next cadence point after
    /// its start (what was due meanwhile is not missed).
    package var resumed: Bool
    /// Done: a one-shot that ran (or a cancelled schedule kept for its record).
    package var done: Bool
    /// The due time of the last tick accounted for (run, skipped or dropped), wall ns.
    package var lastDue: Int64?
    /// When the next tick comes due, wall ns (for people: the process recomputes it).
    package var nextDue: Int64?
    package var retryAttempt: Int?
    package var retryDue: Int64?
    /// The last runs, JSON.
    package var history: String
    /// The outcome and end of the last run, for `keel schedules`.
    package var lastOutcome: String?
    package var lastRun: Int64?
    /// Its id, unique across runs and nodes (nil in rows made before ids were stored).
    package var uid: String?

    package init(agent: String, name: String, kind: String, timing: String, task: String, args: String, options: String,
                 due: Int = 0, fired: Int = 0, skipped: Int = 0, dropped: Int = 0, failures: Int = 0, missed: Int = 0,
                 paused: Bool = false, resumed: Bool = false, done: Bool = false, lastDue: Int64? = nil, nextDue: Int64? = nil,
                 retryAttempt: Int? = nil, retryDue: Int64? = nil, history: String = "[]",
                 lastOutcome: String? = nil, lastRun: Int64? = nil, uid: String? = nil) {
        self.agent = agent
        self.name = name
        self.kind = kind
        self.timing = timing
        self.task = task
        self.args = args
        self.options = options
        self.due = due
        self.fired = fired
        self.skipped = skipped
        self.dropped = dropped
        self.failures = failures
        self.missed = missed
        self.paused = paused
        self.resumed = resumed
        self.done = done
        self.lastDue = lastDue
        self.nextDue = nextDue
        self.retryAttempt = retryAttempt
        self.retryDue = retryDue
        self.history = history
        self.lastOutcome = lastOutcome
        self.lastRun = lastRun
        self.uid = uid
    }
}

/// Everything one turn changed for one durable agent instance.
package struct TurnCommit: Sendable {
    /// The instance's store id: the agent's name, or `A["k"]`.
    package var agent: String
    /// The agent's declared name, and the instance's key as stored text (JSON), nil for a singleton.
    package var base: String = ""
    package var key: String?
    /// When the instance must be in memory next (wall ns: its earliest due schedule or retry),
    /// nil when nothing is due; and whether it is in memory after this commit.
    package var wake: Int64?
    package var loaded = true
    /// Changed state fields, encoded (`StoredValue`).
    package var state: [String: String]
    package var schedules: [StoredSchedule]
    package var removedSchedules: [String]
    /// The occurrence the turn ran: schedule name and nominal due time (wall ns).
    package var fire: (schedule: String, due: Int64)?
    /// The inbox message the turn handled (a shared store): it leaves the inbox with this commit.
    package var consumed: Int64?
    package init(agent: String, state: [String: String] = [:], schedules: [StoredSchedule] = [], removedSchedules: [String] = [],
                 fire: (schedule: String, due: Int64)? = nil, consumed: Int64? = nil) {
        self.agent = agent
        self.state = state
        self.schedules = schedules
        self.removedSchedules = removedSchedules
        self.fire = fire
        self.consumed = consumed
    }
    package var isEmpty: Bool { state.isEmpty && schedules.isEmpty && removedSchedules.isEmpty && fire == nil && consumed == nil }
}

/// A store that several nodes (processes, machines) share: each durable agent is owned by one
/// node at a time through a lease, renewed while the node runs; only the owner runs its turns,
/// and a commit checks the lease (fencing), so a node that lost it commits nothing. Messages to an
/// agent owned elsewhere go through the store's inbox.
package protocol SharedStore: DurableStore {
    /// This node, as the store knows it.
    var nodeId: String { get }
    /// How long a lease lasts without renewal (ns).
    var leaseDuration: Int64 { get }
    /// Tries to own `agent`. When another node holds a live lease, returns how long it has left
    /// (ns), so a standby node knows when to try again. `inboxCapacity`: how many messages from
    /// other nodes may wait for it (this node's queue capacity).
    func claim(_ agent: String, inboxCapacity: Int) throws -> ClaimOutcome
    /// Which of `agents` have no live lease (never claimed, released or expired), and how long the
    /// soonest of the others' leases has left (ns), in one look.
    func claimable(_ agents: [String]) throws -> (free: Set<String>, soonest: Int64?)
    /// Renews every lease this node holds (also says the node is alive); returns the agents whose
    /// lease it lost (it expired and another node took it, or it was released).
    func renewLeases() throws -> [String]
    /// Gives up the lease of `agent` (its instance stopped here).
    func release(_ agent: String) throws
    /// Puts a message for `agent` in the inbox; false when the inbox is full (the owner's bound, or
    /// `capacity` when it never had one).
    func post(to agent: String, sender: String, event: String, payload: String, capacity: Int) throws -> Bool
    /// Takes up to `limit` messages for agents this node owns that no instance of theirs has
    /// taken yet, oldest first.
    func takeInbox(limit: Int) throws -> [InboxMessage]
    /// Instances of the agents named `agents` that have messages in the inbox and no live lease
    /// (sent with `keel send`, or to an instance whose node died), at most `limit`: a node claims
    /// and makes them, then takes their messages.
    func unownedWithMail(agents: [String], limit: Int) throws -> [String]
    /// Who owns each durable agent, and until when (for `keel schedules` and `keel state`).
    func owners() throws -> [String: AgentOwner]
    /// The nodes that said they were alive within a lease.
    func nodes() throws -> [NodeInfo]
}

package enum ClaimOutcome: Sendable, Equatable {
    case owned
    case ownedElsewhere(node: String, remaining: Int64)
}

/// A message in the inbox of a durable agent.
package struct InboxMessage: Sendable {
    package let id: Int64
    package let agent: String
    package let event: String
    package let payload: String
    package init(id: Int64, agent: String, event: String, payload: String) {
        self.id = id
        self.agent = agent
        self.event = event
        self.payload = payload
    }
}

package struct AgentOwner: Sendable {
    package let node: String?
    /// Wall ns; nil when no lease was ever taken or it was released.
    package let leaseExpires: Int64?
    package init(node: String?, leaseExpires: Int64?) {
        self.node = node
        self.leaseExpires = leaseExpires
    }
}

package struct NodeInfo: Sendable {
    package let id: String
    package let host: String
    package let pid: Int
    package let started: Int64
    package let heartbeat: Int64
    package let agents: Int
    package init(id: String, host: String, pid: Int, started: Int64, heartbeat: Int64, agents: Int) {
        self.id = id
        self.host = host
        self.pid = pid
        self.started = started
        self.heartbeat = heartbeat
        self.agents = agents
    }
}

/// A commit refused because this node no longer holds the agent's lease (fencing).
package struct LeaseLost: Error, CustomStringConvertible {
    package let agent: String
    package init(agent: String) { self.agent = agent }
    package var description: String { "this node no longer holds the lease of \(agent)" }
}

/// `keel schedules pause|resume|cancel AGENT.NAME` from another process.
package struct ScheduleRequest: Sendable, Equatable {
    package enum Action: String, Sendable { case pause, resume, cancel, reschedule }
    package let agent: String
    package let schedule: String
    package let action: Action
    /// For `reschedule`: the new kind and timing (the stored JSON form), and when it next comes due
    /// (wall ns).
    package var kind: String?
    package var timing: String?
    package var nextDue: Int64?
    package init(agent: String, schedule: String, action: Action, kind: String? = nil, timing: String? = nil, nextDue: Int64? = nil) {
        self.agent = agent
        self.schedule = schedule
        self.action = action
        self.kind = kind
        self.timing = timing
        self.nextDue = nextDue
    }
}

/// `keel schedules reschedule`: a schedule's new timing, from the words on the command line: a
/// duration (`30.minutes`: every), a cron expression (five or six fields, or a macro), or a time
/// (RFC 3339: at).
package enum Rescheduling {
    /// The kind, the stored timing and the next due time (wall ns), or why the text is none of them.
    package static func parse(_ text: String, zone: String?, now: Int64) -> Result<(kind: String, timing: String, next: Int64), StoreError> {
        if let d = parseDuration(text) {
            guard d > 0 else { return .failure(StoreError("the interval must be positive")) }
            let anchor = now.saturatingAdd(d)
            return .success(("every", "{\"every\":\(d),\"anchor\":\(anchor)}", anchor))
        }
        if let wall = DateTime.parse(text) {
            return .success(("at", "{\"at\":\(wall)}", wall))
        }
        var tz: TimeZone?
        if let zone {
            guard let z = TimeZone(identifier: zone) else { return .failure(StoreError("unknown time zone \(zone)")) }
            tz = z
        }
        do {
            let spec = try CronSpec(text, zone: tz)
            guard let next = spec.next(after: now) else { return .failure(StoreError("`\(text)` never fires")) }
            return .success(("cron", "{\"cron\":\(JSON.quote(text)),\"tz\":\(zone.map(JSON.quote) ?? "null")}", next))
        } catch {
            return .failure(StoreError("`\(text)` is not a duration (30.minutes), a cron expression (\"0 9 * * *\") or a time (2026-05-01T09:00:00Z): \(error)"))
        }
    }

    /// `30.minutes`, `2.hours`, `90.seconds`.
    package static func parseDuration(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let n = Int64(parts[0]), n >= 0,
              let unit = DurationUnit.spellings[String(parts[1])]?.nanoseconds else { return nil }
        let (v, o) = n.multipliedReportingOverflow(by: unit)
        return o ? nil : v
    }
}

/// Whether a store location names the PostgreSQL store several nodes share (`postgresql://`
/// or `postgres://`); anything else is an SQLite file.
package func isSharedStoreLocation(_ location: String) -> Bool {
    location.hasPrefix("postgresql://") || location.hasPrefix("postgres://")
}

/// A store that cannot be used: opening it failed, or a commit did (a full disk, a read-only file).
package struct StoreError: Error, CustomStringConvertible {
    package let description: String
    /// A shared store's row was locked past the wait allowed (another node is busy with it).
    package var lockBusy = false
    package init(_ description: String) { self.description = description }
}

/// An agent instance's identity in a store: the agent's name (`Reporter`) for a singleton,
/// `Reminders["alice"]` or `Reminders[42]` for a keyed instance (the key as JSON).
package enum InstanceId {
    /// How a key is stored: its JSON text (`"alice"`, `42`).
    package static func keyText(_ key: MapKey) -> String {
        switch key {
        case .str(let s): return JSON.quote(s)
        case .int(let i): return String(i)
        case .bool(let b): return String(b)
        }
    }

    /// A store id as an agent name and a key (nil for a singleton); nil when it is not one.
    package static func parse(_ id: String) -> (String, MapKey?)? {
        guard let open = id.firstIndex(of: "[") else { return (id, nil) }
        guard id.hasSuffix("]"), open != id.startIndex else { return nil }
        let text = String(id[id.index(after: open)..<id.index(before: id.endIndex)])
        switch try? JSON.parse(text) {
        case .str(let s)?: return (String(id[..<open]), .str(s))
        case .int(let i)?: return (String(id[..<open]), .int(i))
        default: return nil
        }
    }
}
