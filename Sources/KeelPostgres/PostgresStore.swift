import Foundation
import KeelRuntime
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// The shared durable store: one PostgreSQL database, several nodes (processes, machines) running
/// the same program. Each durable agent is owned by one node through a lease row (owner, epoch,
/// expiry on the database's clock), renewed every third of the lease; a turn's commit first
/// renews the lease under its epoch (fencing), so a node that lost it commits nothing. A fire's key
/// (agent, schedule, nominal due) is unique, in the turn's transaction. Messages to an agent owned
/// elsewhere go through an inbox table, claimed by the owner with `FOR UPDATE SKIP LOCKED` and
/// deleted in the transaction of the turn that handled them. See `spec/durability.md`.
///
/// One connection per node, used from the loop's thread only (the loop is serial), through
/// postgres-nio's futures; a lost connection is retried with backoff while turns of durable
/// agents wait.
package final class PostgresStore: SharedStore, @unchecked Sendable {
    /// The URL without its password, for messages.
    package let location: String
    let configuration: PostgresConnection.Configuration
    private var connection: PostgresConnection?
    private let logger = Logger(label: "keel.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    package let nodeId: String
    package let leaseDuration: Int64
    /// This process runs durable agents (not a tool such as `keel schedules`).
    let owner: Bool
    /// Leases this node holds: agent name to epoch (the fencing token).
    private var held: [String: Int64] = [:]
    /// The newest inbox id seen, when the inbox was last read in full, and whether it must be
    /// read in full at the next poll.
    private var inboxNewest: Int64 = -1
    private var inboxLastFullRead: Int64 = 0
    private var inboxMustRead = true
    /// Inbox sends this node may make per agent before it counts the inbox again.
    private var allowance: [String: Int] = [:]
    /// Where reconnection attempts are reported.
    private let report: (String) -> Void

    /// The default lease: 10 s.
    package static let defaultLease: Int64 = 10_000_000_000
    /// Fires kept per schedule (older ones only say which occurrences ran).
    static let firesKept = 1_000

    /// Whether `location` names a PostgreSQL database.
    package static func handles(_ location: String) -> Bool { isSharedStoreLocation(location) }

    /// Connects (retrying a few times with backoff when the server cannot be reached, and saying
    /// so), migrates the schema, and, for a node, says it is alive.
    package init(url: String, owner: Bool, lease: Int64 = PostgresStore.defaultLease,
                 report: @escaping (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws {
        guard let parts = URLComponents(string: url), let host = parts.host, !host.isEmpty else {
            throw StoreError("not a PostgreSQL URL: \(url) (expected postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE)")
        }
        let database = String(parts.path.drop(while: { $0 == "/" }))
        let user = parts.user ?? NSUserName()
        var config = PostgresConnection.Configuration(host: host, port: parts.port ?? 5432, username: user, password: parts.password,
                                                      database: database.isEmpty ? user : database, tls: .disable)
        config.options.connectTimeout = .seconds(2)
        configuration = config
        var shown = URLComponents()
        shown.scheme = parts.scheme
        shown.user = parts.user
        shown.host = host
        shown.port = parts.port
        shown.path = parts.path
        location = shown.string ?? "postgresql://\(host)"
        self.owner = owner
        leaseDuration = lease
        self.report = report
        nodeId = "\(ProcessInfo.processInfo.hostName):\(getpid()):\(UInt32.random(in: 0 ... .max))"
        try connectAtStart()
        try migrate()
        if owner {
            try run("register with") { c in
                try c.query("""
                    INSERT INTO keel_nodes (id, host, pid, lease_ns, started, heartbeat)
                    VALUES (\(nodeId), \(ProcessInfo.processInfo.hostName), \(Int(getpid())), \(lease), now(), now())
                    """, logger: logger).waitBounded()
            }
        }
    }

    deinit { close() }

    // MARK: connections

    /// At start-up: a server that cannot be reached is tried again (0.25, 0.5, 1, 2 s apart) and
    /// then given up; a refusal (wrong credentials, no such database) is final at once.
    private func connectAtStart() throws {
        var delay = 0.25
        for attempt in 1 ... 5 {
            do {
                connection = try connect()
                return
            } catch {
                if !PostgresStore.isConnectionProblem(error) || attempt == 5 {
                    throw StoreError("cannot open the PostgreSQL store \(location): \(PostgresStore.describe(error))")
                }
                report("keel: cannot reach PostgreSQL at \(location) (\(PostgresStore.describe(error))); attempt \(attempt) of 5, retrying in \(delay) s")
                Thread.sleep(forTimeInterval: delay)
                delay *= 2
            }
        }
    }

    /// The client's own event loop: one thread, on the fibers' CPU (every query hands work to it
    /// and back; measured in bench/durable/nodes, a quarter more commits a second than unpinned).
    static let eventLoop: any NIOCore.EventLoop = {
        let loop = MultiThreadedEventLoopGroup(numberOfThreads: 1).next()
        loop.execute { WorkerThread.pinToFiberCPU() }
        return loop
    }()

    private func connect() throws -> PostgresConnection {
        let c = try PostgresConnection.connect(on: PostgresStore.eventLoop, configuration: configuration,
                                               id: 1, logger: logger).waitBounded()
        // A node paused or cut off inside a transaction would hold its lease row's lock, and no
        // other node could take over: the server ends such a session after a third of a lease.
        let idle = max(100, leaseDuration / 3_000_000)
        _ = try c.query("SET statement_timeout = '8s'", logger: logger).waitBounded()
        _ = try c.query("SET lock_timeout = '2s'", logger: logger).waitBounded()
        _ = try c.query(PostgresQuery(unsafeSQL: "SET idle_in_transaction_session_timeout = '\(idle)ms'"), logger: logger).waitBounded()
        return c
    }

    /// Runs `body` on the connection. For a node, a lost connection is reconnected with backoff
    /// (0.1 s doubling to 5 s), saying so, and `body` runs again; its `attempt` says which run it
    /// is (a commit whose outcome was unknown may have committed). Tools fail at once.
    private func run<T>(_ verb: String, _ body: (PostgresConnection, Int) throws -> T) throws -> T {
        var delay = 0.1
        var attempt = 1
        while true {
            do {
                if let c = connection, c.isClosed { throw ConnectionClosed() }   // the server ended it
                if connection == nil {
                    do { connection = try connect() } catch { throw CannotConnect(underlying: error) }
                    if attempt > 1 { report("keel: connected to PostgreSQL at \(location) again; durable agents go on") }
                }
                return try body(connection!, attempt)
            } catch let e as LeaseLost {
                throw e
            } catch let e as StoreError {
                throw e
            } catch {
                // While a node runs, any failure to reach the server (refused, dropped, shutting
                // down, not accepting connections) is waited out; a tool, or an error in a query, is
                // an error.
                let unreachable = error is CannotConnect || PostgresStore.isConnectionProblem(error)
                if unreachable { dropConnection() }
                guard unreachable && owner else {
                    let state = (error as? PSQLError)?.serverInfo?[.sqlState]
                    var e = StoreError("cannot \(verb) the PostgreSQL store \(location): \(PostgresStore.describe(error))")
                    e.lockBusy = state == "55P03" || state == "57014"   // lock or statement timeout
                    throw e
                }
                report("keel: lost the connection to PostgreSQL at \(location) (\(PostgresStore.describe(error))); durable agents wait; retrying in \(String(format: "%.1f", delay)) s")
                Thread.sleep(forTimeInterval: delay)
                delay = min(delay * 2, 5)
                attempt += 1
            }
        }
    }

    private func run<T>(_ verb: String, _ body: (PostgresConnection) throws -> T) throws -> T {
        try run(verb) { c, _ in try body(c) }
    }

    /// `body` in one transaction (rolled back when it throws).
    private func transaction<T>(_ verb: String, _ body: (PostgresConnection, Int) throws -> T) throws -> T {
        try run(verb) { c, attempt in
            _ = try c.query("BEGIN", logger: logger).waitBounded()
            do {
                let v = try body(c, attempt)
                _ = try c.query("COMMIT", logger: logger).waitBounded()
                return v
            } catch {
                _ = try? c.query("ROLLBACK", logger: logger).waitBounded()
                throw error
            }
        }
    }

    private func dropConnection() {
        if let c = connection { _ = try? c.close().waitBounded() }
        connection = nil
    }

    static func isConnectionProblem(_ error: Error) -> Bool {
        if error is ConnectionClosed || error is NoAnswer { return true }
        if let e = error as? PSQLError {
            if e.code == .server {
                // The server ending the session: connection exceptions (08), operator
                // intervention such as an administrator's termination or a shutdown (57P), too
                // many connections (53300).
                let state = e.serverInfo?[.sqlState] ?? ""
                return state.hasPrefix("08") || state.hasPrefix("57P") || state == "53300"
            }
            return e.code != .queryCancelled
        }
        return error is ChannelError || error is IOError || error is NIOConnectionError || "\(type(of: error))".contains("Connect")
    }

    static func describe(_ error: Error) -> String {
        if error is ConnectionClosed { return "the server closed the connection" }
        if let e = error as? CannotConnect { return describe(e.underlying) }
        if error is NoAnswer { return "no answer within \(NoAnswer.seconds) s" }
        if let e = error as? PSQLError {
            if let message = e.serverInfo?[.message] { return message }
            if let underlying = e.underlying { return "\(e.code): \(underlying)" }
            return "\(e.code)"
        }
        if let e = error as? NIOConnectionError {
            return e.connectionErrors.first.map { "\($0.error)" } ?? "\(e)"
        }
        return "\(error)"
    }

    // MARK: the schema

    /// Migrations only ever add. Several nodes starting at once take turns (an advisory lock).
    static let migrations: [[String]] = [
        [
            """
            CREATE TABLE keel_nodes (
              id TEXT PRIMARY KEY, host TEXT NOT NULL, pid INTEGER NOT NULL, lease_ns BIGINT NOT NULL,
              started TIMESTAMPTZ NOT NULL, heartbeat TIMESTAMPTZ NOT NULL)
            """,
            """
            CREATE TABLE keel_agents (
              name TEXT PRIMARY KEY, owner TEXT, epoch BIGINT NOT NULL DEFAULT 0, lease_expires TIMESTAMPTZ,
              inbox_capacity BIGINT, first_commit BIGINT, last_commit BIGINT)
            """,
            """
            CREATE TABLE keel_state (
              agent TEXT NOT NULL, field TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (agent, field))
            """,
            """
            CREATE TABLE keel_schedules (
              agent TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, timing TEXT NOT NULL, task TEXT NOT NULL,
              args TEXT NOT NULL, options TEXT NOT NULL, due BIGINT NOT NULL DEFAULT 0, fired BIGINT NOT NULL DEFAULT 0,
              skipped BIGINT NOT NULL DEFAULT 0, dropped BIGINT NOT NULL DEFAULT 0, failures BIGINT NOT NULL DEFAULT 0,
              missed BIGINT NOT NULL DEFAULT 0, paused BOOLEAN NOT NULL DEFAULT false, resumed BOOLEAN NOT NULL DEFAULT false,
              done BOOLEAN NOT NULL DEFAULT false, last_due BIGINT, next_due BIGINT, retry_attempt BIGINT, retry_due BIGINT,
              history TEXT NOT NULL DEFAULT '[]', last_outcome TEXT, last_run BIGINT, made BIGSERIAL,
              PRIMARY KEY (agent, name))
            """,
            """
            CREATE TABLE keel_fires (
              agent TEXT NOT NULL, schedule TEXT NOT NULL, due BIGINT NOT NULL, ran BIGINT NOT NULL, node TEXT NOT NULL,
              PRIMARY KEY (agent, schedule, due))
            """,
            """
            CREATE TABLE keel_inbox (
              id BIGSERIAL PRIMARY KEY, agent TEXT NOT NULL, sender TEXT NOT NULL, event TEXT NOT NULL,
              payload TEXT NOT NULL, sent BIGINT NOT NULL, claimed_epoch BIGINT)
            """,
            "CREATE INDEX keel_inbox_agent ON keel_inbox (agent, id)",
            """
            CREATE TABLE keel_requests (
              id BIGSERIAL PRIMARY KEY, agent TEXT NOT NULL, schedule TEXT NOT NULL,
              action TEXT NOT NULL CHECK (action IN ('pause', 'resume', 'cancel')), made BIGINT NOT NULL)
            """,
            """
            CREATE TABLE keel_memory (
              scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (scope, key))
            """,
        ],
        [
            // Keyed instances (`A["k"]`): the agent's name and the key of each, and when it must be
            // in memory next (its earliest due schedule); an instance without a live lease is in
            // memory nowhere.
            "ALTER TABLE keel_agents ADD COLUMN base TEXT",
            "ALTER TABLE keel_agents ADD COLUMN key TEXT",
            "ALTER TABLE keel_agents ADD COLUMN wake BIGINT",
            "UPDATE keel_agents SET base = name",
            "CREATE INDEX keel_agents_dormant ON keel_agents (base, wake) WHERE key IS NOT NULL AND wake IS NOT NULL",
            "ALTER TABLE keel_schedules ADD COLUMN uid TEXT",
            "ALTER TABLE keel_requests DROP CONSTRAINT keel_requests_action_check",
            "ALTER TABLE keel_requests ADD CONSTRAINT keel_requests_action_check CHECK (action IN ('pause', 'resume', 'cancel', 'reschedule'))",
            "ALTER TABLE keel_requests ADD COLUMN kind TEXT",
            "ALTER TABLE keel_requests ADD COLUMN timing TEXT",
            "ALTER TABLE keel_requests ADD COLUMN next_due BIGINT",
            "ALTER TABLE keel_agents ADD COLUMN pruned BIGINT NOT NULL DEFAULT 0",
        ],
    ]

    private func migrate() throws {
        try transaction("prepare") { c, _ in
            _ = try c.query("SELECT pg_advisory_xact_lock(727365001)", logger: logger).waitBounded()
            _ = try c.query("CREATE TABLE IF NOT EXISTS keel_migrations (version INTEGER PRIMARY KEY, applied TIMESTAMPTZ NOT NULL DEFAULT now())",
                            logger: logger).waitBounded()
            let have = try c.query("SELECT coalesce(max(version), 0)::int8 FROM keel_migrations", logger: logger).waitBounded()
                .first!.decode(Int64.self)
            let known = Int64(PostgresStore.migrations.count)
            if have > known {
                throw StoreError("the PostgreSQL store \(location) was made by a newer keel (schema version \(have); this one knows \(known))")
            }
            for version in Int(have) ..< Int(known) {
                for statement in PostgresStore.migrations[version] {
                    _ = try c.query(PostgresQuery(unsafeSQL: statement), logger: logger).waitBounded()
                }
                _ = try c.query("INSERT INTO keel_migrations (version) VALUES (\(version + 1))", logger: logger).waitBounded()
            }
        }
    }

    /// The schema version the database is at (for tests).
    package func schemaVersion() throws -> Int64 {
        try run("read") { c in
            try c.query("SELECT coalesce(max(version), 0)::int8 FROM keel_migrations", logger: logger).waitBounded().first!.decode(Int64.self)
        }
    }

    // MARK: leases

    package func claim(_ agent: String, inboxCapacity: Int) throws -> ClaimOutcome {
        do { return try claimOnce(agent, inboxCapacity: inboxCapacity) } catch let e as StoreError where e.lockBusy {
            // Another node's transaction holds the row: it is alive and committing, try later.
            return .ownedElsewhere(node: "?", remaining: leaseDuration / 3)
        }
    }

    private func claimOnce(_ agent: String, inboxCapacity: Int) throws -> ClaimOutcome {
        let seconds = Double(leaseDuration) / 1e9
        return try run("claim a lease in") { c in
            let (base, key) = PostgresStore.parts(of: agent)
            let rows = try c.query("""
                INSERT INTO keel_agents (name, owner, epoch, lease_expires, inbox_capacity, base, key)
                VALUES (\(agent), \(nodeId), 1, now() + \(seconds) * interval '1 second', \(inboxCapacity), \(base), \(key))
                ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, epoch = keel_agents.epoch + 1,
                  lease_expires = excluded.lease_expires, inbox_capacity = excluded.inbox_capacity
                WHERE keel_agents.owner IS NULL OR keel_agents.lease_expires IS NULL OR keel_agents.lease_expires <= now()
                  OR keel_agents.owner = excluded.owner
                RETURNING epoch
                """, logger: logger).waitBounded()
            if let row = rows.first {
                held[agent] = try row.decode(Int64.self)
                inboxMustRead = true   // messages an earlier owner took and did not handle
                return .owned
            }
            let other = try c.query("""
                SELECT owner, (extract(epoch FROM lease_expires - now()) * 1e9)::int8 FROM keel_agents WHERE name = \(agent)
                """, logger: logger).waitBounded()
            guard let row = other.first else { return .ownedElsewhere(node: "?", remaining: leaseDuration) }
            let (node, remaining) = try row.decode((String?, Int64?).self)
            return .ownedElsewhere(node: node ?? "?", remaining: max(0, remaining ?? 0))
        }
    }

    /// An instance id's agent name and key text: `A["k"]` is (`A`, `"k"`), `A` is (`A`, nil).
    static func parts(of id: String) -> (String, String?) {
        guard let open = id.firstIndex(of: "["), id.hasSuffix("]") else { return (id, nil) }
        return (String(id[..<open]), String(id[id.index(after: open)..<id.index(before: id.endIndex)]))
    }

    package func claimable(_ agents: [String]) throws -> (free: Set<String>, soonest: Int64?) {
        try run("read leases in") { c in
            var free = Set(agents)
            var soonest: Int64?
            for row in try c.query("""
                SELECT name, (extract(epoch FROM lease_expires - now()) * 1e9)::int8 FROM keel_agents
                WHERE name = ANY(\(agents)::text[]) AND owner IS NOT NULL AND lease_expires > now()
                """, logger: logger).waitBounded() {
                let (name, remaining) = try row.decode((String, Int64).self)
                free.remove(name)
                soonest = min(soonest ?? remaining, remaining)
            }
            return (free, soonest)
        }
    }

    package func renewLeases() throws -> [String] {
        let seconds = Double(leaseDuration) / 1e9
        let names = Array(held.keys)
        let epochs = names.map { held[$0]! }
        return try run("renew leases in") { c in
            _ = try c.query("UPDATE keel_nodes SET heartbeat = now() WHERE id = \(nodeId)", logger: logger).waitBounded()
            guard !names.isEmpty else { return [] }
            let rows = try c.query("""
                UPDATE keel_agents SET lease_expires = now() + \(seconds) * interval '1 second'
                FROM unnest(\(names)::text[], \(epochs)::int8[]) AS h(name, epoch)
                WHERE keel_agents.name = h.name AND keel_agents.epoch = h.epoch AND keel_agents.owner = \(nodeId)
                  AND keel_agents.lease_expires > now()
                RETURNING keel_agents.name
                """, logger: logger).waitBounded()
            let kept = Set(try rows.map { try $0.decode(String.self) })
            let lost = names.filter { !kept.contains($0) }
            for name in lost { held.removeValue(forKey: name) }
            return lost.sorted()
        }
    }

    package func release(_ agent: String) throws {
        guard let epoch = held.removeValue(forKey: agent) else { return }
        try run("release a lease in") { c in
            _ = try c.query("""
                UPDATE keel_agents SET owner = NULL, lease_expires = NULL WHERE name = \(agent) AND owner = \(nodeId) AND epoch = \(epoch)
                """, logger: logger).waitBounded()
        }
    }

    package func close() {
        guard connection != nil else { return }
        if owner {
            let names = Array(held.keys)
            held.removeAll()
            _ = try? connection?.query("""
                UPDATE keel_agents SET owner = NULL, lease_expires = NULL WHERE owner = \(nodeId) AND name = ANY(\(names)::text[])
                """, logger: logger).waitBounded()
            _ = try? connection?.query("DELETE FROM keel_nodes WHERE id = \(nodeId)", logger: logger).waitBounded()
        }
        dropConnection()
    }

    // MARK: DurableStore

    package func loadAgent(_ name: String) throws -> StoredAgent? {
        try run("read") { c in
            let exists = try c.query("SELECT 1 FROM keel_agents WHERE name = \(name) AND last_commit IS NOT NULL", logger: logger).waitBounded()
            guard !exists.isEmpty else { return nil }
            var state: [String: String] = [:]
            for row in try c.query("SELECT field, value FROM keel_state WHERE agent = \(name)", logger: logger).waitBounded() {
                let (field, value) = try row.decode((String, String).self)
                state[field] = value
            }
            let schedules = try c.query("SELECT * FROM keel_schedules WHERE agent = \(name) ORDER BY made", logger: logger).waitBounded()
                .map(PostgresStore.schedule)
            return StoredAgent(state: state, schedules: schedules)
        }
    }

    /// One turn's commit is one statement, so one round trip and its own transaction: the fence
    /// renews the lease under this node's epoch, and every other part (state fields, schedule rows,
    /// the fire's key, the handled inbox message) runs only when the fence matched (`EXISTS (SELECT
    /// 1 FROM fence)`). A fire key taken already fails the whole statement.
    package func commit(_ commit: TurnCommit) throws {
        guard let epoch = held[commit.agent] else { throw LeaseLost(agent: commit.agent) }
        let seconds = Double(leaseDuration) / 1e9
        let passed = try run("commit to") { c, attempt in
            try c.query(commitStatement(commit, epoch: epoch, seconds: seconds, retry: attempt > 1), logger: logger)
                .waitBounded().first!.decode(Int64.self)
        }
        if passed == 0 {
            held.removeValue(forKey: commit.agent)
            throw LeaseLost(agent: commit.agent)
        }
        if let fire = commit.fire, let s = commit.schedules.first(where: { $0.name == fire.schedule }), s.fired % 256 == 0 {
            // Old fires only say which occurrences ran: keep the last 1,000 per schedule.
            try run("prune") { c in
                _ = try c.query("""
                    DELETE FROM keel_fires WHERE agent = \(commit.agent) AND schedule = \(fire.schedule) AND due <
                      (SELECT due FROM keel_fires WHERE agent = \(commit.agent) AND schedule = \(fire.schedule)
                       ORDER BY due DESC LIMIT 1 OFFSET \(PostgresStore.firesKept - 1))
                    """, logger: logger).waitBounded()
            }
        }
    }

    private func commitStatement(_ commit: TurnCommit, epoch: Int64, seconds: Double, retry: Bool) -> PostgresQuery {
        let now = PostgresStore.now()
        let fenced = " WHERE EXISTS (SELECT 1 FROM fence)"
        var q = PostgresQuery.StringInterpolation(literalCapacity: 2048, interpolationCount: 64)
        /// A bound value with its type spelled out (a parameter in a SELECT list has none), then
        /// `after`.
        func value<T: PostgresDynamicTypeEncodable>(_ v: T?, _ type: String, _ after: String = ", ") {
            q.appendInterpolation(v)
            q.appendLiteral("::" + type + after)
        }
        q.appendLiteral("WITH fence AS (UPDATE keel_agents SET lease_expires = now() + ")
        value(seconds, "float8", " * interval '1 second', first_commit = coalesce(first_commit, ")
        value(now, "int8", "), last_commit = ")
        value(now, "int8", ", wake = ")
        value(commit.wake, "int8", " WHERE name = ")
        value(commit.agent, "text", " AND owner = ")
        value(nodeId, "text", " AND epoch = ")
        value(epoch, "int8", " AND lease_expires > now() RETURNING 1)")
        if !commit.state.isEmpty {
            let fields = Array(commit.state.keys)
            q.appendLiteral(", state AS (INSERT INTO keel_state (agent, field, value) SELECT ")
            value(commit.agent, "text", ", f, v FROM unnest(")
            value(fields, "text[]")
            value(fields.map { commit.state[$0]! }, "text[]", ") AS t(f, v)" + fenced + " ON CONFLICT (agent, field) DO UPDATE SET value = excluded.value)")
        }
        for (i, name) in commit.removedSchedules.enumerated() {
            for (table, column) in [("keel_schedules", "name"), ("keel_fires", "schedule")] {
                q.appendLiteral(", removed_\(table)_\(i) AS (DELETE FROM \(table) WHERE agent = ")
                value(commit.agent, "text", " AND \(column) = ")
                value(name, "text", " AND EXISTS (SELECT 1 FROM fence))")
            }
        }
        for (i, s) in commit.schedules.enumerated() {
            q.appendLiteral("""
                , schedule_\(i) AS (INSERT INTO keel_schedules (agent, name, kind, timing, task, args, options, due, fired, skipped,
                  dropped, failures, missed, paused, resumed, done, last_due, next_due, retry_attempt, retry_due, history,
                  last_outcome, last_run, uid) SELECT\u{20}
                """)
            for t in [s.agent, s.name, s.kind, s.timing, s.task, s.args, s.options] { value(t, "text") }
            for n in [s.due, s.fired, s.skipped, s.dropped, s.failures, s.missed] { value(Int64(n), "int8") }
            for b in [s.paused, s.resumed, s.done] { value(b, "bool") }
            for n in [s.lastDue, s.nextDue, s.retryAttempt.map(Int64.init), s.retryDue] { value(n, "int8") }
            value(s.history, "text")
            value(s.lastOutcome, "text")
            value(s.lastRun, "int8")
            value(s.uid, "text", fenced + """
                 ON CONFLICT (agent, name) DO UPDATE SET kind = excluded.kind, timing = excluded.timing,
                  task = excluded.task, args = excluded.args, options = excluded.options, due = excluded.due, fired = excluded.fired,
                  skipped = excluded.skipped, dropped = excluded.dropped, failures = excluded.failures, missed = excluded.missed,
                  paused = excluded.paused, resumed = excluded.resumed, done = excluded.done, last_due = excluded.last_due,
                  next_due = excluded.next_due, retry_attempt = excluded.retry_attempt, retry_due = excluded.retry_due,
                  history = excluded.history, last_outcome = excluded.last_outcome, last_run = excluded.last_run, uid = excluded.uid)
                """)
        }
        if let fire = commit.fire {
            // The occurrence's key. A retried commit (the connection broke before the first
            // one's answer) may find its own first try's.
            q.appendLiteral(", fire AS (INSERT INTO keel_fires (agent, schedule, due, ran, node) SELECT ")
            value(commit.agent, "text")
            value(fire.schedule, "text")
            value(fire.due, "int8")
            value(now, "int8")
            value(nodeId, "text", fenced + (retry ? " ON CONFLICT DO NOTHING)" : ")"))
        }
        if let id = commit.consumed {
            q.appendLiteral(", consumed AS (DELETE FROM keel_inbox WHERE id = ")
            value(id, "int8", " AND EXISTS (SELECT 1 FROM fence))")
        }
        q.appendLiteral(" SELECT count(*)::int8 FROM fence")
        return PostgresQuery(stringInterpolation: q)
    }

    static func schedule(_ row: PostgresRow) throws -> StoredSchedule {
        let r = row.makeRandomAccess()
        func int(_ k: String) throws -> Int { Int(try r[k].decode(Int64.self)) }
        func opt(_ k: String) throws -> Int64? { try r[k].decode(Int64?.self) }
        return StoredSchedule(
            agent: try r["agent"].decode(String.self), name: try r["name"].decode(String.self), kind: try r["kind"].decode(String.self),
            timing: try r["timing"].decode(String.self), task: try r["task"].decode(String.self), args: try r["args"].decode(String.self),
            options: try r["options"].decode(String.self), due: try int("due"), fired: try int("fired"), skipped: try int("skipped"),
            dropped: try int("dropped"), failures: try int("failures"), missed: try int("missed"),
            paused: try r["paused"].decode(Bool.self), resumed: try r["resumed"].decode(Bool.self), done: try r["done"].decode(Bool.self),
            lastDue: try opt("last_due"), nextDue: try opt("next_due"), retryAttempt: try opt("retry_attempt").map(Int.init),
            retryDue: try opt("retry_due"), history: try r["history"].decode(String.self),
            lastOutcome: try r["last_outcome"].decode(String?.self), lastRun: try opt("last_run"), uid: try r["uid"].decode(String?.self))
    }

    package func takeRequests() throws -> [ScheduleRequest] {
        let names = Array(held.keys)
        guard !names.isEmpty else { return [] }
        return try run("read") { c in
            let rows = try c.query("""
                DELETE FROM keel_requests WHERE agent = ANY(\(names)::text[]) RETURNING id, agent, schedule, action, kind, timing, next_due
                """, logger: logger).waitBounded()
            return try rows.map { try $0.decode((Int64, String, String, String, String?, String?, Int64?).self) }
                .sorted { $0.0 < $1.0 }
                .compactMap { row in
                    ScheduleRequest.Action(rawValue: row.3).map {
                        ScheduleRequest(agent: row.1, schedule: row.2, action: $0, kind: row.4, timing: row.5, nextDue: row.6)
                    }
                }
        }
    }

    package func dormantDue(agents: [String], before: Int64, limit: Int) throws -> [String] {
        guard !agents.isEmpty, limit > 0 else { return [] }
        return try run("read") { c in
            try c.query("""
                SELECT name FROM keel_agents WHERE key IS NOT NULL AND wake IS NOT NULL AND wake <= \(before)
                  AND base = ANY(\(agents)::text[]) AND (owner IS NULL OR lease_expires IS NULL OR lease_expires <= now())
                ORDER BY wake LIMIT \(limit)
                """, logger: logger).waitBounded().map { try $0.decode(String.self) }
        }
    }

    package func nextDormantWake(agents: [String]) throws -> Int64? {
        guard !agents.isEmpty else { return nil }
        return try run("read") { c in
            try c.query("""
                SELECT min(wake)::int8 FROM keel_agents WHERE key IS NOT NULL AND wake IS NOT NULL
                  AND base = ANY(\(agents)::text[]) AND (owner IS NULL OR lease_expires IS NULL OR lease_expires <= now())
                """, logger: logger).waitBounded().first!.decode(Int64?.self)
        }
    }

    /// On a shared store, messages from `keel send` go through the inbox like any other (see
    /// `unownedWithMail`): none is handed over here.
    package func takeMessages(agents: [String], limit: Int) throws -> [InboxMessage] { [] }
    package func giveBack(_ id: Int64) {}

    /// Each turn's commit is its own fenced statement (a batch would fail every agent in it when
    /// one lease is lost).
    package var commitsInBatches: Bool { false }
    package func commitBatch(_ commits: [TurnCommit]) throws {
        for c in commits { try commit(c) }
    }

    package func pruneFinished(agents: [String], before: Int64) throws -> Int {
        guard !agents.isEmpty else { return 0 }
        return try transaction("write to") { c, _ in
            let gone = try c.query("""
                DELETE FROM keel_schedules s USING keel_agents a
                WHERE a.name = s.agent AND a.base = ANY(\(agents)::text[]) AND s.done AND s.kind IN ('after', 'at')
                  AND coalesce(s.last_run, 0) < \(before)
                RETURNING s.agent, s.name
                """, logger: logger).waitBounded().map { try $0.decode((String, String).self) }
            for (agent, name) in gone {
                _ = try c.query("DELETE FROM keel_fires WHERE agent = \(agent) AND schedule = \(name)", logger: logger).waitBounded()
                _ = try c.query("UPDATE keel_agents SET pruned = pruned + 1 WHERE name = \(agent)", logger: logger).waitBounded()
            }
            return gone.count
        }
    }
    /// An instance a node brought back holds a live lease (taken by `claim`): nothing to mark.
    package func markLoaded(_ ids: [String]) throws {}

    package func sendMessage(to id: String, event: String, payload: String) throws -> RequestOutcome {
        try run("send through") { c in
            _ = try c.query("""
                INSERT INTO keel_inbox (agent, sender, event, payload, sent) VALUES (\(id), 'keel send', \(event), \(payload), \(PostgresStore.now()))
                """, logger: logger).waitBounded()
            let owner = try c.query("""
                SELECT n.pid FROM keel_agents a JOIN keel_nodes n ON n.id = a.owner WHERE a.name = \(id) AND a.lease_expires > now()
                """, logger: logger).waitBounded()
            if let row = owner.first { return .queued(pid: Int32(try row.decode(Int.self))) }
            return .applied
        }
    }

    package func unownedWithMail(agents: [String], limit: Int) throws -> [String] {
        guard !agents.isEmpty, limit > 0 else { return [] }
        return try run("read the inbox in") { c in
            try c.query("""
                SELECT DISTINCT i.agent FROM keel_inbox i LEFT JOIN keel_agents a ON a.name = i.agent
                WHERE split_part(i.agent, '[', 1) = ANY(\(agents)::text[])
                  AND (a.name IS NULL OR a.owner IS NULL OR a.lease_expires IS NULL OR a.lease_expires <= now())
                LIMIT \(limit)
                """, logger: logger).waitBounded().map { try $0.decode(String.self) }
        }
    }

    /// Nothing more to do: `renewLeases`, every third of a lease, writes the node's heartbeat.
    package func heartbeat() throws {}

    package func agentNames() throws -> [String] {
        try run("read") { c in
            try c.query("SELECT name FROM keel_agents WHERE last_commit IS NOT NULL ORDER BY name", logger: logger).waitBounded()
                .map { try $0.decode(String.self) }
        }
    }

    package func listSchedules() throws -> [StoredSchedule] {
        try run("read") { c in
            try c.query("SELECT * FROM keel_schedules ORDER BY agent, name", logger: logger).waitBounded().map(PostgresStore.schedule)
        }
    }

    package func request(_ r: ScheduleRequest) throws -> RequestOutcome {
        try transaction("write to") { c, _ in
            let exists = try c.query("SELECT 1 FROM keel_schedules WHERE agent = \(r.agent) AND name = \(r.schedule)", logger: logger).waitBounded()
            guard !exists.isEmpty else { return .notFound }
            // The lease row, locked: no node claims the agent between looking and writing.
            let lease = try c.query("""
                SELECT n.pid FROM keel_agents a JOIN keel_nodes n ON n.id = a.owner
                WHERE a.name = \(r.agent) AND a.lease_expires > now() FOR UPDATE OF a
                """, logger: logger).waitBounded()
            if let row = lease.first {
                _ = try c.query("""
                    INSERT INTO keel_requests (agent, schedule, action, made, kind, timing, next_due)
                    VALUES (\(r.agent), \(r.schedule), \(r.action.rawValue), \(PostgresStore.now()), \(r.kind), \(r.timing), \(r.nextDue))
                    """, logger: logger).waitBounded()
                return .queued(pid: Int32(try row.decode(Int.self)))
            }
            switch r.action {
            case .pause:
                _ = try c.query("UPDATE keel_schedules SET paused = true WHERE agent = \(r.agent) AND name = \(r.schedule) AND NOT done",
                                logger: logger).waitBounded()
            case .resume:
                _ = try c.query("""
                    UPDATE keel_schedules SET paused = false, resumed = true WHERE agent = \(r.agent) AND name = \(r.schedule) AND paused
                    """, logger: logger).waitBounded()
            case .cancel:
                _ = try c.query("DELETE FROM keel_schedules WHERE agent = \(r.agent) AND name = \(r.schedule)", logger: logger).waitBounded()
                _ = try c.query("DELETE FROM keel_fires WHERE agent = \(r.agent) AND schedule = \(r.schedule)", logger: logger).waitBounded()
            case .reschedule:
                _ = try c.query("""
                    UPDATE keel_schedules SET kind = \(r.kind), timing = \(r.timing), next_due = \(r.nextDue), last_due = NULL, resumed = false,
                      options = (options::jsonb || '{"rescheduled": true}'::jsonb)::text
                    WHERE agent = \(r.agent) AND name = \(r.schedule) AND NOT done
                    """, logger: logger).waitBounded()
            }
            // When the instance is needed next, now that this schedule changed.
            _ = try c.query("""
                UPDATE keel_agents SET wake = (SELECT min(least(next_due, retry_due)) FROM keel_schedules
                  WHERE agent = \(r.agent) AND NOT done AND NOT paused) WHERE name = \(r.agent)
                """, logger: logger).waitBounded()
            return .applied
        }
    }

    // MARK: the inbox

    package func post(to agent: String, sender: String, event: String, payload: String, capacity: Int) throws -> Bool {
        try run("send through") { c in
            // The bound is the receiver's (the queue capacity of the node that owns it; the
            // sender's own when it was never owned). Counting the inbox at every send would cost
            // as much as the sends, so a node counts once and then sends up to 64 more (never past
            // the bound it saw) before counting again: with several sending nodes the inbox may
            // hold up to 64 more per other sending node.
            if allowance[agent, default: 0] <= 0 {
                let row = try c.query("""
                    SELECT (SELECT count(*) FROM keel_inbox WHERE agent = \(agent))::int8,
                      coalesce((SELECT inbox_capacity FROM keel_agents WHERE name = \(agent)), \(capacity))::int8
                    """, logger: logger).waitBounded().first!
                let (waiting, bound) = try row.decode((Int64, Int64).self)
                allowance[agent] = Int(min(64, bound - waiting))
                guard allowance[agent]! > 0 else { return false }
            }
            _ = try c.query("""
                INSERT INTO keel_inbox (agent, sender, event, payload, sent)
                VALUES (\(agent), \(sender), \(event), \(payload), \(PostgresStore.now()))
                """, logger: logger).waitBounded()
            allowance[agent]! -= 1
            return true
        }
    }

    package func takeInbox(limit: Int) throws -> [InboxMessage] {
        let names = Array(held.keys)
        guard !names.isEmpty, limit > 0 else { return [] }
        let epochs = names.map { held[$0]! }
        // Most polls find nothing new: a look at the newest id (one index probe) comes first. The
        // full read runs when it moved, after a claim (messages an earlier owner took), when the
        // last read was full, and at least every half second (a sender's id can become visible
        // after a larger one's).
        let now = PostgresStore.monotonicNow()
        let newest = try run("read the inbox in") { c in
            try c.query("SELECT coalesce(max(id), 0)::int8 FROM keel_inbox", logger: logger).waitBounded().first!.decode(Int64.self)
        }
        if newest == inboxNewest && !inboxMustRead && now - inboxLastFullRead < 500_000_000 { return [] }
        inboxNewest = newest
        inboxLastFullRead = now
        let taken: [InboxMessage] = try run("read the inbox in") { c in
            // Messages an earlier instance (an earlier epoch, here or on a node that died) had
            // taken but not handled are taken again; a handled one was deleted with its turn.
            let rows = try c.query("""
                WITH h(name, epoch) AS (SELECT * FROM unnest(\(names)::text[], \(epochs)::int8[])),
                picked AS (
                  SELECT i.id, h.epoch FROM keel_inbox i JOIN h ON i.agent = h.name
                  WHERE i.claimed_epoch IS NULL OR i.claimed_epoch < h.epoch
                  ORDER BY i.id LIMIT \(limit) FOR UPDATE OF i SKIP LOCKED)
                UPDATE keel_inbox SET claimed_epoch = picked.epoch FROM picked WHERE keel_inbox.id = picked.id
                RETURNING keel_inbox.id, keel_inbox.agent, keel_inbox.event, keel_inbox.payload
                """, logger: logger).waitBounded()
            return try rows.map { row in
                let (id, agent, event, payload) = try row.decode((Int64, String, String, String).self)
                return InboxMessage(id: id, agent: agent, event: event, payload: payload)
            }.sorted { $0.id < $1.id }
        }
        inboxMustRead = taken.count == limit
        return taken
    }

    // MARK: visibility

    package func owners() throws -> [String: AgentOwner] {
        try run("read") { c in
            var out: [String: AgentOwner] = [:]
            for row in try c.query("""
                SELECT name, owner, (extract(epoch FROM lease_expires) * 1e9)::int8 FROM keel_agents
                """, logger: logger).waitBounded() {
                let (name, node, expires) = try row.decode((String, String?, Int64?).self)
                out[name] = AgentOwner(node: node, leaseExpires: expires)
            }
            return out
        }
    }

    package func nodes() throws -> [NodeInfo] {
        try run("read") { c in
            try c.query("""
                SELECT n.id, n.host, n.pid, (extract(epoch FROM n.started) * 1e9)::int8, (extract(epoch FROM n.heartbeat) * 1e9)::int8,
                  (SELECT count(*) FROM keel_agents a WHERE a.owner = n.id AND a.lease_expires > now())::int8
                FROM keel_nodes n WHERE n.heartbeat + n.lease_ns * interval '1 microsecond' / 1000 > now()
                ORDER BY n.started
                """, logger: logger).waitBounded().map { row in
                let (id, host, pid, started, heartbeat, agents) = try row.decode((String, String, Int, Int64, Int64, Int64).self)
                return NodeInfo(id: id, host: host, pid: pid, started: started, heartbeat: heartbeat, agents: Int(agents))
            }
        }
    }

    // MARK: std/memory

    package func recall(scope: String, key: String) throws -> String? {
        try run("read") { c in
            try c.query("SELECT value FROM keel_memory WHERE scope = \(scope) AND key = \(key)", logger: logger).waitBounded()
                .first.map { try $0.decode(String.self) }
        }
    }

    package func remember(scope: String, key: String, value: String) throws {
        try run("write to") { c in
            _ = try c.query("""
                INSERT INTO keel_memory (scope, key, value) VALUES (\(scope), \(key), \(value))
                ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value
                """, logger: logger).waitBounded()
        }
    }

    package func forget(scope: String, key: String) throws {
        try run("write to") { c in
            _ = try c.query("DELETE FROM keel_memory WHERE scope = \(scope) AND key = \(key)", logger: logger).waitBounded()
        }
    }

    static func monotonicNow() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

struct ConnectionClosed: Error {}

struct CannotConnect: Error {
    let underlying: Error
}

/// A query that got no answer in time (the connection is given up and made again).
struct NoAnswer: Error {
    static let seconds: Int64 = 10
}

extension EventLoopFuture where Value: Sendable {
    /// `wait()`, but at most `NoAnswer.seconds`: a connection the server dropped can leave a query
    /// unanswered forever, and the loop must not hang on it.
    func waitBounded() throws -> Value {
        let promise = eventLoop.makePromise(of: Value.self)
        let timeout = eventLoop.scheduleTask(in: .seconds(NoAnswer.seconds)) { promise.fail(NoAnswer()) }
        cascade(to: promise)
        promise.futureResult.whenComplete { _ in timeout.cancel() }
        return try promise.futureResult.wait()
    }
}
