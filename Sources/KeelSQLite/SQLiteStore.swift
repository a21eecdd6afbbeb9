import Foundation
import GRDB
import KeelRuntime

/// The embedded durable store: one SQLite file, through GRDB. WAL mode with `synchronous=FULL`, so
/// a commit that returned is on disk; one writer (one `DatabaseQueue`), one transaction per turn.
///
/// One process runs on a store at a time: it holds an exclusive `flock` on the database file for
/// as long as it runs (the kernel drops it when the process dies, kill -9 included, so a crash never
/// leaves the store locked). A second `keel run` on the same file fails at once, naming the first
/// process. Why not let two processes share it: each would run every durable schedule (two hourly
/// syncs per hour), and SQLite's one writer would serialise them anyway; sharing schedules between
/// processes is what the PostgreSQL store is for. Tools that only read (`keel schedules`,
/// `keel state`) or queue a request do not take the lock.
package final class SQLiteStore: DurableStore {
    let path: String
    let db: DatabaseQueue
    /// The locked file descriptor while this process runs on the store; -1 for tools.
    private var lockFD: Int32 = -1
    /// Instances brought back that the store does not say are loaded yet (see `markLoaded`).
    private var loadedUnwritten: Set<String> = []
    /// The newest message (`keel send`) this process has taken, and those given back (to take again).
    private var messagesTaken: Int64 = 0
    private var messagesGivenBack: Set<Int64> = []
    /// Fires kept per schedule (older ones are pruned: they only say which occurrences ran).
    static let firesKept = 1_000

    /// Opens (creating and migrating if needed) the store at `path`. `owner`: this process runs
    /// durable agents on it and takes the lock.
    package init(path: String, owner: Bool) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.prepareDatabase { db in
            // Not GRDB's `journalMode = .wal`: that also sets synchronous=NORMAL, which in WAL
            // mode does not sync at each commit (a power loss could undo committed turns).
            let mode = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
            guard mode == "wal" else { throw StoreError("cannot use write-ahead logging (journal mode \(mode ?? "?"))") }
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        do {
            db = try DatabaseQueue(path: path, configuration: config)
        } catch {
            throw StoreError("cannot open the store \(path): \(SQLiteStore.describe(error))")
        }
        if owner { try lock() }
        do {
            let migrator = SQLiteStore.migrator
            if try db.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreError("the store \(path) was made by a newer keel (its schema has migrations this one does not know)")
            }
            try migrator.migrate(db)
        } catch let e as StoreError {
            close()
            throw e
        } catch {
            close()
            throw StoreError("cannot prepare the store \(path): \(SQLiteStore.describe(error))")
        }
        if owner {
            do {
                try db.write { db in
                    // No process has any instance in memory now (the last one ended, perhaps by a crash).
                    try db.execute(sql: "UPDATE agents SET loaded = 0 WHERE loaded = 1")
                    try db.execute(sql: """
                        INSERT INTO owner (id, pid, host, started, heartbeat) VALUES (1, ?, ?, ?, ?)
                        ON CONFLICT (id) DO UPDATE SET pid = excluded.pid, host = excluded.host,
                          started = excluded.started, heartbeat = excluded.heartbeat
                        """, arguments: [Int(getpid()), ProcessInfo.processInfo.hostName, SQLiteStore.now(), SQLiteStore.now()])
                }
            } catch {
                close()
                throw StoreError("cannot write to the store \(path): \(SQLiteStore.describe(error))")
            }
        }
    }

    deinit { close() }

    /// `PRAGMA synchronous` on the store's connection (2: FULL), for tests.
    package var synchronousMode: Int { (try? db.read { try Int.fetchOne($0, sql: "PRAGMA synchronous") }) ?? -1 }

    // MARK: the schema

    /// Version 1: agents, their state, schedules, fires and requests. Version 2: the process that
    /// owns the store, schedules resumed while no process ran, and `std/memory`'s persistent scope. (Migrations only ever add: a file made
    /// by any earlier version opens.)
    package static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE agents (
                  name TEXT PRIMARY KEY,
                  first_commit INTEGER NOT NULL,
                  last_commit INTEGER NOT NULL
                );
                CREATE TABLE state (
                  agent TEXT NOT NULL REFERENCES agents(name) ON DELETE CASCADE,
                  field TEXT NOT NULL,
                  value TEXT NOT NULL,
                  PRIMARY KEY (agent, field)
                ) WITHOUT ROWID;
                CREATE TABLE schedules (
                  agent TEXT NOT NULL REFERENCES agents(name) ON DELETE CASCADE,
                  name TEXT NOT NULL,
                  kind TEXT NOT NULL,
                  timing TEXT NOT NULL,
                  task TEXT NOT NULL,
                  args TEXT NOT NULL,
                  options TEXT NOT NULL,
                  due INTEGER NOT NULL DEFAULT 0,
                  fired INTEGER NOT NULL DEFAULT 0,
                  skipped INTEGER NOT NULL DEFAULT 0,
                  dropped INTEGER NOT NULL DEFAULT 0,
                  failures INTEGER NOT NULL DEFAULT 0,
                  missed INTEGER NOT NULL DEFAULT 0,
                  paused INTEGER NOT NULL DEFAULT 0,
                  done INTEGER NOT NULL DEFAULT 0,
                  last_due INTEGER,
                  next_due INTEGER,
                  retry_attempt INTEGER,
                  retry_due INTEGER,
                  history TEXT NOT NULL DEFAULT '[]',
                  last_outcome TEXT,
                  last_run INTEGER,
                  PRIMARY KEY (agent, name)
                );
                CREATE TABLE fires (
                  agent TEXT NOT NULL,
                  schedule TEXT NOT NULL,
                  due INTEGER NOT NULL,
                  ran INTEGER NOT NULL,
                  PRIMARY KEY (agent, schedule, due)
                ) WITHOUT ROWID;
                CREATE TABLE requests (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  agent TEXT NOT NULL,
                  schedule TEXT NOT NULL,
                  action TEXT NOT NULL CHECK (action IN ('pause', 'resume', 'cancel')),
                  made INTEGER NOT NULL
                );
                """)
        }
        m.registerMigration("v2") { db in
            try db.execute(sql: """
                ALTER TABLE schedules ADD COLUMN resumed INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE owner (
                  id INTEGER PRIMARY KEY CHECK (id = 1),
                  pid INTEGER NOT NULL,
                  host TEXT NOT NULL,
                  started INTEGER NOT NULL,
                  heartbeat INTEGER NOT NULL
                );
                CREATE TABLE memory (
                  scope TEXT NOT NULL,
                  key TEXT NOT NULL,
                  value TEXT NOT NULL,
                  PRIMARY KEY (scope, key)
                ) WITHOUT ROWID;
                """)
        }
        m.registerMigration("v3") { db in
            // Keyed instances (`A["k"]`): the agent's name and the key for each stored instance,
            // when it must be in memory next (its earliest due schedule) and whether a process has
            // it in memory; messages `keel send` left for instances.
            try db.execute(sql: """
                ALTER TABLE agents ADD COLUMN base TEXT;
                ALTER TABLE agents ADD COLUMN key TEXT;
                ALTER TABLE agents ADD COLUMN wake INTEGER;
                ALTER TABLE agents ADD COLUMN loaded INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE schedules ADD COLUMN uid TEXT;
                ALTER TABLE agents ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE requests_new (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  agent TEXT NOT NULL,
                  schedule TEXT NOT NULL,
                  action TEXT NOT NULL CHECK (action IN ('pause', 'resume', 'cancel', 'reschedule')),
                  made INTEGER NOT NULL,
                  kind TEXT,
                  timing TEXT,
                  next_due INTEGER
                );
                INSERT INTO requests_new (id, agent, schedule, action, made) SELECT id, agent, schedule, action, made FROM requests;
                DROP TABLE requests;
                ALTER TABLE requests_new RENAME TO requests;
                UPDATE agents SET base = name;
                CREATE INDEX agents_dormant ON agents (base, wake) WHERE key IS NOT NULL AND loaded = 0 AND wake IS NOT NULL;
                CREATE TABLE messages (
                  id INTEGER PRIMARY KEY AUTOINCREMENT,
                  agent TEXT NOT NULL,
                  base TEXT NOT NULL,
                  event TEXT NOT NULL,
                  payload TEXT NOT NULL,
                  made INTEGER NOT NULL
                );
                """)
        }
        return m
    }

    // MARK: one process at a time

    private func lock() throws {
        let fd = open(path, O_RDWR | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError("cannot open the store \(path): \(String(cString: strerror(errno)))") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let why = errno
            Foundation.close(fd)
            if why == EWOULDBLOCK {
                throw StoreError("the store \(path) is in use by another keel process\(ownerText()); one process runs on an SQLite store at a time")
            }
            throw StoreError("cannot lock the store \(path): \(String(cString: strerror(why)))")
        }
        lockFD = fd
    }

    /// " (pid N on HOST, since T)", from the owner row, when there is one.
    private func ownerText() -> String {
        guard let row = try? db.read({ db -> Row? in
            guard try db.tableExists("owner") else { return nil }
            return try Row.fetchOne(db, sql: "SELECT pid, host, started FROM owner WHERE id = 1")
        }) else { return "" }
        guard let pid: Int = try? row.checked("pid"), let host: String = try? row.checked("host"),
              let started: Int64 = try? row.checked("started") else { return "" }
        return " (pid \(pid) on \(host), since \(SQLiteStore.timeText(started)))"
    }

    /// Closes the database (its write-ahead log is checkpointed into the file, so the file alone
    /// is a whole copy of the store) and releases the lock.
    package func close() {
        try? db.close()
        if lockFD >= 0 {
            flock(lockFD, LOCK_UN)
            Foundation.close(lockFD)
            lockFD = -1
        }
    }

    // MARK: DurableStore

    package func loadAgent(_ name: String) throws -> StoredAgent? {
        try guarded("read") {
            // Without a transaction around the reads (GRDB's read() begins and ends one, a fifth
            // of bringing back an instance): only this process writes, through this same queue.
            try db.inDatabase { db -> StoredAgent? in
                // Cached statements: bringing back a million instances reads these a million times.
                guard try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM agents WHERE name = ?"), arguments: [name]) != nil else { return nil }
                var state: [String: String] = [:]
                for row in try Row.fetchAll(db.cachedStatement(sql: "SELECT field, value FROM state WHERE agent = ?"), arguments: [name]) {
                    state[try row.checked("field")] = try row.checked("value") as String
                }
                let schedules = try Row.fetchAll(db.cachedStatement(sql: "SELECT * FROM schedules WHERE agent = ? ORDER BY rowid"), arguments: [name])
                    .map { try SQLiteStore.schedule($0) }
                return StoredAgent(state: state, schedules: schedules)
            }
        }
    }

    package var commitsInBatches: Bool { true }

    package func commit(_ c: TurnCommit) throws { try commitBatch([c]) }

    /// One transaction for all of them: one write to the log and one sync (`synchronous=FULL`).
    package func commitBatch(_ commits: [TurnCommit]) throws {
        guard !commits.isEmpty else { return }
        try guarded("commit to") {
            let marks = loadedUnwritten
            try db.write { db in
                let now = SQLiteStore.now()
                for id in marks { try db.cachedStatement(sql: "UPDATE agents SET loaded = 1 WHERE name = ?").execute(arguments: [id]) }
                for c in commits { try SQLiteStore.apply(c, now, db) }
            }
            loadedUnwritten.subtract(marks)
        }
    }

    private static func apply(_ c: TurnCommit, _ now: Int64, _ db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO agents (name, first_commit, last_commit, base, key, wake, loaded) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (name) DO UPDATE SET last_commit = excluded.last_commit, wake = excluded.wake, loaded = excluded.loaded
            """).execute(arguments: [c.agent, now, now, c.base.isEmpty ? c.agent : c.base, c.key, c.wake, c.loaded])
        for (field, value) in c.state {
            try db.cachedStatement(sql: """
                INSERT INTO state (agent, field, value) VALUES (?, ?, ?)
                ON CONFLICT (agent, field) DO UPDATE SET value = excluded.value
                """).execute(arguments: [c.agent, field, value])
        }
        for name in c.removedSchedules {
            try db.cachedStatement(sql: "DELETE FROM schedules WHERE agent = ? AND name = ?").execute(arguments: [c.agent, name])
            try db.cachedStatement(sql: "DELETE FROM fires WHERE agent = ? AND schedule = ?").execute(arguments: [c.agent, name])
        }
        for s in c.schedules { try SQLiteStore.write(s, db) }
        if let id = c.consumed { try db.cachedStatement(sql: "DELETE FROM messages WHERE id = ?").execute(arguments: [id]) }
        if let fire = c.fire {
            // The key is the occurrence: a second commit of it would be a schedule that
            // fired twice, and fails the whole transaction.
            try db.cachedStatement(sql: "INSERT INTO fires (agent, schedule, due, ran) VALUES (?, ?, ?, ?)")
                .execute(arguments: [c.agent, fire.schedule, fire.due, now])
            if let s = c.schedules.first(where: { $0.name == fire.schedule }), s.fired % 256 == 0 {
                try db.cachedStatement(sql: """
                    DELETE FROM fires WHERE agent = ? AND schedule = ? AND due <
                      (SELECT due FROM fires WHERE agent = ? AND schedule = ? ORDER BY due DESC LIMIT 1 OFFSET ?)
                    """).execute(arguments: [c.agent, fire.schedule, c.agent, fire.schedule, SQLiteStore.firesKept - 1])
            }
        }
    }

    package func takeRequests() throws -> [ScheduleRequest] {
        try guarded("read") {
            // Most polls find nothing: look before taking the write lock.
            guard try db.read({ try Bool.fetchOne($0, sql: "SELECT 1 FROM requests LIMIT 1") }) != nil else { return [] }
            return try db.write { db in
                let rows = try Row.fetchAll(db, sql: "SELECT agent, schedule, action, kind, timing, next_due FROM requests ORDER BY id")
                try db.execute(sql: "DELETE FROM requests")
                return try rows.compactMap { row in
                    guard let action = ScheduleRequest.Action(rawValue: try row.checked("action")) else { return nil }
                    return ScheduleRequest(agent: try row.checked("agent"), schedule: try row.checked("schedule"), action: action,
                                           kind: try row.checkedOptional("kind"), timing: try row.checkedOptional("timing"),
                                           nextDue: try row.checkedOptional("next_due"))
                }
            }
        }
    }

    package func dormantDue(agents: [String], before: Int64, limit: Int) throws -> [String] {
        guard !agents.isEmpty, limit > 0 else { return [] }
        return try guarded("read") {
            try db.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT name FROM agents WHERE key IS NOT NULL AND loaded = 0 AND wake IS NOT NULL AND wake <= ?
                      AND base IN (\(databaseQuestionMarks(count: agents.count))) ORDER BY wake LIMIT ?
                    """, arguments: StatementArguments([before] + agents.map { $0 as DatabaseValueConvertible } + [limit + loadedUnwritten.count]))
            }.map { try $0.checked("name") as String }.filter { !loadedUnwritten.contains($0) }.prefix(limit).map { $0 }
        }
    }

    package func nextDormantWake(agents: [String]) throws -> Int64? {
        guard !agents.isEmpty else { return nil }
        return try guarded("read") {
            try db.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT name, wake FROM agents WHERE key IS NOT NULL AND loaded = 0 AND wake IS NOT NULL
                      AND base IN (\(databaseQuestionMarks(count: agents.count))) ORDER BY wake LIMIT ?
                    """, arguments: StatementArguments(agents.map { $0 as DatabaseValueConvertible } + [loadedUnwritten.count + 1]))
            }.first { !loadedUnwritten.contains((try? $0.checked("name") as String) ?? "") }.map { try $0.checked("wake") }
        }
    }

    package func pruneFinished(agents: [String], before: Int64) throws -> Int {
        guard !agents.isEmpty else { return 0 }
        return try guarded("write to") {
            try db.write { db in
                let marks = databaseQuestionMarks(count: agents.count)
                let old = try Row.fetchAll(db, sql: """
                    SELECT s.agent, s.name FROM schedules s JOIN agents a ON a.name = s.agent
                    WHERE s.done = 1 AND s.kind IN ('after', 'at') AND coalesce(s.last_run, 0) < ? AND a.base IN (\(marks))
                    """, arguments: StatementArguments([before] + agents.map { $0 as DatabaseValueConvertible }))
                for row in old {
                    let agent: String = try row.checked("agent"), name: String = try row.checked("name")
                    try db.execute(sql: "DELETE FROM schedules WHERE agent = ? AND name = ?", arguments: [agent, name])
                    try db.execute(sql: "DELETE FROM fires WHERE agent = ? AND schedule = ?", arguments: [agent, name])
                    try db.execute(sql: "UPDATE agents SET pruned = pruned + 1 WHERE name = ?", arguments: [agent])
                }
                return old.count
            }
        }
    }

    /// Kept here, and written with the next commit (no sync of its own): the instances' own
    /// commits follow soon, and until then the dormant queries leave them out.
    package func markLoaded(_ ids: [String]) throws {
        loadedUnwritten.formUnion(ids)
    }

    package func takeMessages(agents: [String], limit: Int) throws -> [InboxMessage] {
        guard !agents.isEmpty, limit > 0 else { return [] }
        return try guarded("read") {
            // A message leaves the table with the commit of the turn that handled it (`consumed`);
            // until then this process does not take it twice (a crash gives it to the next one).
            let messages = try db.read { db in
                try Row.fetchAll(db, sql: """
                    SELECT id, agent, event, payload FROM messages WHERE id > ? AND base IN (\(databaseQuestionMarks(count: agents.count)))
                    ORDER BY id LIMIT ?
                    """, arguments: StatementArguments([messagesTaken] + agents.map { $0 as DatabaseValueConvertible } + [limit]))
                    .map { InboxMessage(id: try $0.checked("id"), agent: try $0.checked("agent"), event: try $0.checked("event"), payload: try $0.checked("payload")) }
            }
            if let last = messages.last { messagesTaken = last.id }
            var again: [InboxMessage] = []
            if !messagesGivenBack.isEmpty {
                let ids = Array(messagesGivenBack)
                messagesGivenBack.removeAll()
                again = try db.read { db in
                    try Row.fetchAll(db, sql: "SELECT id, agent, event, payload FROM messages WHERE id IN (\(databaseQuestionMarks(count: ids.count)))",
                                     arguments: StatementArguments(ids))
                        .map { InboxMessage(id: try $0.checked("id"), agent: try $0.checked("agent"), event: try $0.checked("event"), payload: try $0.checked("payload")) }
                }
            }
            return (again + messages).sorted { $0.id < $1.id }
        }
    }

    package func giveBack(_ id: Int64) { messagesGivenBack.insert(id) }

    package func sendMessage(to id: String, event: String, payload: String) throws -> RequestOutcome {
        try guarded("write to") {
            let base = String(id.prefix { $0 != "[" })
            try db.write { db in
                try db.execute(sql: "INSERT INTO messages (agent, base, event, payload, made) VALUES (?, ?, ?, ?, ?)",
                               arguments: [id, base, event, payload, SQLiteStore.now()])
            }
            // Is a process running on the store? Then it takes the message within a second.
            let fd = open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { throw StoreError(String(cString: strerror(errno))) }
            defer { Foundation.close(fd) }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 { return .queued(pid: runningOwnerPid()) }
            flock(fd, LOCK_UN)
            return .applied
        }
    }

    package func heartbeat() throws {
        try guarded("write to") {
            try db.write { db in try db.execute(sql: "UPDATE owner SET heartbeat = ? WHERE id = 1", arguments: [SQLiteStore.now()]) }
        }
    }

    package func agentNames() throws -> [String] {
        try guarded("read") { try db.read { db in try Row.fetchAll(db, sql: "SELECT name FROM agents ORDER BY name").map { try $0.checked("name") } } }
    }

    package func listSchedules() throws -> [StoredSchedule] {
        try guarded("read") {
            try db.read { db in try Row.fetchAll(db, sql: "SELECT * FROM schedules ORDER BY agent, name").map(SQLiteStore.schedule) }
        }
    }

    package func request(_ r: ScheduleRequest) throws -> RequestOutcome {
        try guarded("write to") {
            let exists = try db.read { db in
                try Bool.fetchOne(db, sql: "SELECT 1 FROM schedules WHERE agent = ? AND name = ?", arguments: [r.agent, r.schedule]) != nil
            }
            guard exists else { return .notFound }
            // Take the lock for the time of the change, so no process starts on the store
            // between looking and writing.
            let fd = open(path, O_RDWR | O_CLOEXEC)
            guard fd >= 0 else { throw StoreError(String(cString: strerror(errno))) }
            defer { Foundation.close(fd) }
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                try db.write { db in
                    try db.execute(sql: "INSERT INTO requests (agent, schedule, action, made, kind, timing, next_due) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                   arguments: [r.agent, r.schedule, r.action.rawValue, SQLiteStore.now(), r.kind, r.timing, r.nextDue])
                }
                return .queued(pid: runningOwnerPid())
            }
            defer { flock(fd, LOCK_UN) }
            try db.write { db in
                switch r.action {
                case .pause:
                    try db.execute(sql: "UPDATE schedules SET paused = 1 WHERE agent = ? AND name = ? AND done = 0", arguments: [r.agent, r.schedule])
                case .resume:
                    // Occurrences while it was paused are not missed ones: the next process goes
                    // on from the next cadence point after its start, as a resume does.
                    try db.execute(sql: "UPDATE schedules SET paused = 0, resumed = 1 WHERE agent = ? AND name = ? AND paused = 1",
                                   arguments: [r.agent, r.schedule])
                case .cancel:
                    try db.execute(sql: "DELETE FROM schedules WHERE agent = ? AND name = ?", arguments: [r.agent, r.schedule])
                    try db.execute(sql: "DELETE FROM fires WHERE agent = ? AND schedule = ?", arguments: [r.agent, r.schedule])
                case .reschedule:
                    // The next process takes it from `next_due` (no occurrence before it is missed).
                    try db.execute(sql: """
                        UPDATE schedules SET kind = ?, timing = ?, next_due = ?, last_due = NULL, resumed = 0,
                          options = json_set(options, '$.rescheduled', json('true'))
                        WHERE agent = ? AND name = ? AND done = 0
                        """, arguments: [r.kind, r.timing, r.nextDue, r.agent, r.schedule])
                }
                // When the instance is needed next, now that this schedule changed.
                try db.execute(sql: """
                    UPDATE agents SET wake = (SELECT min(coalesce(retry_due, next_due), coalesce(next_due, retry_due)) AS w FROM schedules
                      WHERE agent = ?1 AND done = 0 AND paused = 0 AND (next_due IS NOT NULL OR retry_due IS NOT NULL) ORDER BY w LIMIT 1)
                    WHERE name = ?1
                    """, arguments: [r.agent])
            }
            return .applied
        }
    }

    private func runningOwnerPid() -> Int32 {
        let pid = try? db.read { db in try Int.fetchOne(db, sql: "SELECT pid FROM owner WHERE id = 1") }
        return Int32((pid ?? 0) ?? 0)
    }

    package func recall(scope: String, key: String) throws -> String? {
        try guarded("read") {
            try db.read { db in try Row.fetchOne(db, sql: "SELECT value FROM memory WHERE scope = ? AND key = ?", arguments: [scope, key]).map { try $0.checked("value") } }
        }
    }

    package func remember(scope: String, key: String, value: String) throws {
        try guarded("write to") {
            try db.write { db in
                try db.execute(sql: """
                    INSERT INTO memory (scope, key, value) VALUES (?, ?, ?)
                    ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value
                    """, arguments: [scope, key, value])
            }
        }
    }

    package func forget(scope: String, key: String) throws {
        try guarded("write to") {
            try db.write { db in try db.execute(sql: "DELETE FROM memory WHERE scope = ? AND key = ?", arguments: [scope, key]) }
        }
    }

    // MARK: rows

    static func write(_ s: StoredSchedule, _ db: Database) throws {
        // Cached: a turn's commit runs the same few statements every time (parsing them again
        // was a tenth of a durable turn's cost).
        try db.cachedStatement(sql: """
            INSERT INTO schedules (agent, name, kind, timing, task, args, options, due, fired, skipped, dropped, failures,
              missed, paused, resumed, done, last_due, next_due, retry_attempt, retry_due, history, last_outcome, last_run, uid)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (agent, name) DO UPDATE SET kind = excluded.kind, timing = excluded.timing, task = excluded.task,
              args = excluded.args, options = excluded.options, due = excluded.due, fired = excluded.fired,
              skipped = excluded.skipped, dropped = excluded.dropped, failures = excluded.failures, missed = excluded.missed,
              paused = excluded.paused, resumed = excluded.resumed, done = excluded.done, last_due = excluded.last_due, next_due = excluded.next_due,
              retry_attempt = excluded.retry_attempt, retry_due = excluded.retry_due, history = excluded.history,
              last_outcome = excluded.last_outcome, last_run = excluded.last_run, uid = excluded.uid
            """).execute(arguments: [s.agent, s.name, s.kind, s.timing, s.task, s.args, s.options, s.due, s.fired, s.skipped, s.dropped,
                             s.failures, s.missed, s.paused, s.resumed, s.done, s.lastDue, s.nextDue, s.retryAttempt, s.retryDue, s.history,
                             s.lastOutcome, s.lastRun, s.uid])
    }

    static func schedule(_ row: Row) throws -> StoredSchedule {
        StoredSchedule(agent: try row.checked("agent"), name: try row.checked("name"), kind: try row.checked("kind"), timing: try row.checked("timing"),
                       task: try row.checked("task"), args: try row.checked("args"), options: try row.checked("options"),
                       due: try row.checked("due"), fired: try row.checked("fired"), skipped: try row.checked("skipped"),
                       dropped: try row.checked("dropped"), failures: try row.checked("failures"), missed: try row.checked("missed"),
                       paused: try row.checked("paused"), resumed: try row.checked("resumed"), done: try row.checked("done"),
                       lastDue: try row.checkedOptional("last_due"), nextDue: try row.checkedOptional("next_due"),
                       retryAttempt: try row.checkedOptional("retry_attempt"), retryDue: try row.checkedOptional("retry_due"),
                       history: try row.checked("history"), lastOutcome: try row.checkedOptional("last_outcome"),
                       lastRun: try row.checkedOptional("last_run"), uid: try row.checkedOptional("uid"))
    }

    // MARK: helpers

    /// Runs `body`, turning SQLite's errors into a `StoreError` that names the file.
    private func guarded<T>(_ verb: String, _ body: () throws -> T) throws -> T {
        do { return try body() } catch let e as StoreError { throw e } catch {
            throw StoreError("cannot \(verb) the store \(path): \(SQLiteStore.describe(error))")
        }
    }

    static func describe(_ error: Error) -> String {
        if let e = error as? DatabaseError { return e.message ?? "\(e.resultCode)" }
        return "\(error)"
    }

    static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }

    static func timeText(_ wallNs: Int64) -> String {
        let f = ISO8601DateFormatter()
        return f.string(from: Date(timeIntervalSince1970: Double(wallNs) / 1e9))
    }
}

/// Reading a store that may have been tampered with (a flipped byte, a BLOB where text belongs):
/// a value of the wrong kind is a `StoreError` naming the column, never GRDB's trap.
extension Row {
    func checked<T: DatabaseValueConvertible>(_ column: String) throws -> T {
        let v: DatabaseValue = self[column] ?? .null
        guard let t = T.fromDatabaseValue(v) else {
            throw StoreError("the store is damaged: column `\(column)` holds \(v.isNull ? "nothing" : "a value of the wrong kind") (\(String(describing: v).prefix(60)))")
        }
        return t
    }

    func checkedOptional<T: DatabaseValueConvertible>(_ column: String) throws -> T? {
        let v: DatabaseValue = self[column] ?? .null
        if v.isNull { return nil }
        guard let t = T.fromDatabaseValue(v) else {
            throw StoreError("the store is damaged: column `\(column)` holds a value of the wrong kind (\(String(describing: v).prefix(60)))")
        }
        return t
    }
}
