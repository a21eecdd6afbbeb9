import ArgumentParser
import Foundation
import KeelCLI
import KeelRuntime
import KeelSQLite

/// The store a tool command reads: `--store` or `KEEL_STORE`.
struct StoreOption: ParsableArguments {
    @Option(help: ArgumentHelp("The store: an SQLite file or a postgresql:// URL (default: KEEL_STORE).", valueName: "path|url"))
    var store: String?

    func validate() throws {
        guard path != nil else { throw ValidationError("name the store with --store PATH (or KEEL_STORE)") }
    }

    var path: String? {
        if let store, !store.isEmpty { return store }
        if let env = ProcessInfo.processInfo.environment["KEEL_STORE"], !env.isEmpty { return env }
        return nil
    }

    /// Opens the store for a tool (no lock: a running process may hold it). It must exist: a tool
    /// never creates one.
    func open() throws -> DurableStore {
        let path = self.path!
        if !StoreOpener.isShared(path) && !FileManager.default.fileExists(atPath: path) { throw StoreCommandError("no store at \(path)") }
        do { return try StoreOpener.open(path, owner: false) } catch let e as StoreError { throw StoreCommandError(e.description) }
    }
}

/// A tool command's failure: printed as `error: ...`, exit 1.
struct StoreCommandError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Runs a tool command's body; a store error is printed and exits 1 (not a usage error).
func runStoreCommand(_ body: () throws -> Void) throws {
    do { try body() } catch let e as StoreCommandError {
        FileHandle.standardError.write("error: \(e.description)\n".data(using: .utf8)!)
        throw ExitCode(1)
    } catch let e as StoreError {
        FileHandle.standardError.write("error: \(e.description)\n".data(using: .utf8)!)
        throw ExitCode(1)
    }
}

struct Schedules: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedules",
        abstract: "List the durable schedules in a store, or pause, resume or cancel one.",
        discussion: """
        A request to a store a process is running on is applied by that process within a second; \
        otherwise the store is changed at once and the next run starts from it.
        """,
        subcommands: [List.self, Pause.self, Resume.self, Cancel.self, Reschedule.self],
        defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "list", abstract: "List the durable schedules, one per line.")
        @OptionGroup var store: StoreOption
        @Flag(help: "Print JSON (one object per schedule) instead of a table.")
        var json = false

        func run() throws {
            try runStoreCommand {
                let s = try store.open()
                let schedules = try s.listSchedules()
                let owners = try (s as? SharedStore)?.owners()
                print(json ? ScheduleTable.json(schedules, owners: owners) : ScheduleTable.text(schedules, owners: owners), terminator: "")
            }
        }
    }

    struct Pause: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pause", abstract: "Pause a durable schedule: no tick comes due until it is resumed.")
        @OptionGroup var target: RequestTarget
        func run() throws { try target.send(.pause) }
    }

    struct Resume: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "resume", abstract: "Resume a paused schedule at its next cadence point (no burst).")
        @OptionGroup var target: RequestTarget
        func run() throws { try target.send(.resume) }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "cancel", abstract: "Cancel a durable schedule and remove it from the store.")
        @OptionGroup var target: RequestTarget
        func run() throws { try target.send(.cancel) }
    }

    struct Reschedule: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reschedule",
            abstract: "Give a durable schedule a new timing, keeping its counters and history.",
            discussion: """
            TIMING is a duration (30.minutes: every that long, the first one interval from now), a cron \
            expression ("0 9 * * 1-5", five or six fields, with --tz), or a time (2026-05-01T09:00:00Z, \
            for a one-shot).
            """)
        @OptionGroup var target: RequestTarget
        @ArgumentParser.Argument(help: "The new timing: 30.minutes, \"0 9 * * *\" or 2026-05-01T09:00:00Z.")
        var timing: String
        @Option(help: "The time zone of a cron expression (an IANA name).")
        var tz: String?

        func run() throws {
            switch Rescheduling.parse(timing, zone: tz, now: RealTime().wallNow) {
            case .success(let r): try target.send(.reschedule, kind: r.kind, timing: r.timing, next: r.next)
            case .failure(let e):
                FileHandle.standardError.write("error: \(e.description)\n".data(using: .utf8)!)
                throw ExitCode(2)
            }
        }
    }
}

/// How the tools name an agent instance: `Reporter` (a singleton), `Reminders/alice` or
/// `Reminders["alice"]` (a keyed instance; `Reminders/42` is the key 42 or "42", whichever the
/// store holds).
enum InstanceName {
    /// Whether `text` names an instance: `A`, `A/KEY`, `A["k"]`, `A[42]`.
    static func isValid(_ text: String) -> Bool {
        guard let first = text.first, first.isLetter || first == "_" else { return false }
        if text.contains("[") { return InstanceId.parse(text) != nil }
        if let slash = text.firstIndex(of: "/") { return text.index(after: slash) != text.endIndex }
        return text.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    }

    /// The store id of the instance `text` names.
    static func resolve(_ text: String, in store: DurableStore) throws -> String {
        guard let slash = text.firstIndex(of: "/"), !text.contains("[") else { return text }
        let base = String(text[..<slash]), key = String(text[text.index(after: slash)...])
        let asString = "\(base)[\(JSON.quote(key))]"
        guard let n = Int(key) else { return asString }
        let asInt = "\(base)[\(n)]"
        let known = Set(try store.agentNames())
        if known.contains(asString) { return asString }
        return known.contains(asInt) ? asInt : asString
    }
}

/// `AGENT.NAME` (or `AGENT/KEY.NAME`) and the store, for pause, resume and cancel.
struct RequestTarget: ParsableArguments {
    @ArgumentParser.Argument(help: "The schedule, as AGENT.NAME or AGENT/KEY.NAME (e.g. Reporter.hourly, Reminders/alice.remind).")
    var schedule: String
    @OptionGroup var store: StoreOption

    func validate() throws {
        guard let parts, InstanceName.isValid(parts.agent) else {
            throw ValidationError("expected AGENT.NAME or AGENT/KEY.NAME, got `\(schedule)`")
        }
    }

    /// The instance and the schedule's name: the schedule's name follows the last dot (a key may
    /// hold dots), the agent's name has none.
    var parts: (agent: String, name: String)? {
        let agentEnd = schedule.firstIndex(where: { $0 == "/" || $0 == "[" }) ?? schedule.endIndex
        let searchFrom = agentEnd == schedule.endIndex ? schedule.startIndex : agentEnd
        guard let dot = schedule[searchFrom...].lastIndex(of: ".") ?? (agentEnd == schedule.endIndex ? schedule.firstIndex(of: ".") : nil),
              dot != schedule.startIndex, schedule.index(after: dot) != schedule.endIndex else { return nil }
        return (String(schedule[..<dot]), String(schedule[schedule.index(after: dot)...]))
    }

    func send(_ action: ScheduleRequest.Action, kind: String? = nil, timing: String? = nil, next: Int64? = nil) throws {
        try runStoreCommand {
            let s = try store.open()
            let agent = try InstanceName.resolve(parts!.agent, in: s)
            let name = parts!.name
            if action == .reschedule, let kind, let existing = try s.listSchedules().first(where: { $0.agent == agent && $0.name == name }) {
                let oneShot = ["after", "at"]
                if oneShot.contains(existing.kind) != oneShot.contains(kind) {
                    throw StoreCommandError("\(schedule) is \(oneShot.contains(existing.kind) ? "a one-shot: give it a time" : "recurring: give it a duration or a cron expression")")
                }
            }
            switch try s.request(ScheduleRequest(agent: agent, schedule: name, action: action, kind: kind, timing: timing, nextDue: next)) {
            case .applied: print("\(schedule): \(action.past)")
            case .queued(let pid): print("\(schedule): \(action.rawValue) requested; the running process (pid \(pid)) applies it within a second")
            case .notFound: throw StoreCommandError("the store has no durable schedule \(schedule)")
            }
        }
    }
}

extension ScheduleRequest.Action {
    var past: String {
        switch self {
        case .pause: return "paused"
        case .resume: return "resumed"
        case .cancel: return "cancelled"
        case .reschedule: return "rescheduled"
        }
    }
}

struct State: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "state", abstract: "Print a durable agent's stored state (every agent's, without AGENT).")
    @ArgumentParser.Argument(help: "The agent: A, or A/KEY for a keyed instance.")
    var agent: String?
    @OptionGroup var store: StoreOption

    func validate() throws {
        if let agent, !InstanceName.isValid(agent) { throw ValidationError("expected AGENT or AGENT/KEY, got `\(agent)`") }
    }

    func run() throws {
        try runStoreCommand {
            let s = try store.open()
            let names = try agent.map { [try InstanceName.resolve($0, in: s)] } ?? s.agentNames()
            let owners = try (s as? SharedStore)?.owners()
            for name in names {
                guard let stored = try s.loadAgent(name) else { throw StoreCommandError("the store has no durable agent \(name)") }
                if let owners { print("\(name): \(ScheduleTable.owner(owners[name]))") } else { print("\(name):") }
                for field in stored.state.keys.sorted() { print("  \(field) = \(stored.state[field]!)") }
            }
        }
    }
}

/// `keel send A/alice EVENT [JSON]`: a message to a durable instance, through the store.
struct Send: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "send",
        abstract: "Send a message to a durable agent instance through the store (a keyed instance is made for it).",
        discussion: """
        The process running on the store delivers it within a second; with none running, it waits \
        in the store for the next `keel run`. It leaves the store with the turn that handles it.
        """)
    @ArgumentParser.Argument(help: "The instance: A, or A/KEY (A[\"k\"] also works).")
    var target: String
    @ArgumentParser.Argument(help: "The event (the handler's name, `message` for on message).")
    var event: String
    @ArgumentParser.Argument(help: "The payload, as JSON (default: none).")
    var payload: String?
    @OptionGroup var store: StoreOption

    func validate() throws {
        guard InstanceName.isValid(target) else { throw ValidationError("expected AGENT or AGENT/KEY, got `\(target)`") }
        guard let first = event.first, first.isLetter || first == "_", event.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else {
            throw ValidationError("an event is a handler's name, got `\(event)`")
        }
        if let payload, (try? JSON.parse(payload)) == nil { throw ValidationError("the payload is not JSON: \(payload)") }
    }

    func run() throws {
        try runStoreCommand {
            let s = try store.open()
            let id = try InstanceName.resolve(target, in: s)
            let value = try payload.map { try JSON.parse($0) } ?? .none
            let text = try StoredValue.encode(value)
            switch try s.sendMessage(to: id, event: event, payload: text) {
            case .queued(let pid): print("sent to \(id): the running process (pid \(pid)) delivers it within a second")
            case .applied, .notFound: print("sent to \(id): no process runs on the store; the next keel run on it delivers it")
            }
        }
    }
}

struct Nodes: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "nodes", abstract: "List the live nodes of a PostgreSQL store, with the agents each owns.")
    @OptionGroup var store: StoreOption

    func run() throws {
        try runStoreCommand {
            guard let s = try store.open() as? SharedStore else {
                throw StoreCommandError("an SQLite store has one process, not nodes (keel nodes needs --store postgresql://...)")
            }
            let nodes = try s.nodes()
            if nodes.isEmpty {
                print("no live nodes")
                return
            }
            var rows = [["NODE", "HOST", "PID", "STARTED", "HEARTBEAT", "AGENTS"]]
            for n in nodes {
                rows.append([n.id, n.host, "\(n.pid)", DateTime.format(n.started), DateTime.format(n.heartbeat), "\(n.agents)"])
            }
            print(ScheduleTable.columns(rows), terminator: "")
        }
    }
}

/// How `keel schedules` shows stored schedules.
enum ScheduleTable {
    /// `owned by NODE until T`, `lease released`, or `never run`.
    static func owner(_ o: AgentOwner?) -> String {
        guard let o else { return "never owned" }
        guard let node = o.node, let until = o.leaseExpires else { return "no owner (lease released)" }
        let live = until > RealTime().wallNow
        return "owned by \(node), lease \(live ? "until" : "expired at") \(DateTime.format(until))"
    }

    static func columns(_ rows: [[String]]) -> String {
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max()! }
        return rows.map { row in
            row.enumerated().map { c, cell in cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }
                .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
        }.joined(separator: "\n") + "\n"
    }

    static func text(_ schedules: [StoredSchedule], owners: [String: AgentOwner]? = nil) -> String {
        if schedules.isEmpty { return "no durable schedules\n" }
        var rows = [["SCHEDULE", "TIMING", "STATUS", "NEXT", "LAST RUN", "DUE", "FIRED", "SKIPPED", "DROPPED", "FAILED", "MISSED"]]
        if owners != nil { rows[0] += ["OWNER", "LEASE UNTIL"] }
        for s in schedules {
            rows.append(["\(s.agent).\(s.name)", timing(s), status(s), s.done ? "-" : (s.nextDue.map(DateTime.format) ?? "-"),
                         s.lastRun.map { "\(s.lastOutcome ?? "?") \(DateTime.format($0))" } ?? "-",
                         "\(s.due)", "\(s.fired)", "\(s.skipped)", "\(s.dropped)", "\(s.failures)", "\(s.missed)"])
            if let owners {
                let o = owners[s.agent]
                rows[rows.count - 1] += [o?.node ?? "-", o?.leaseExpires.map(DateTime.format) ?? "-"]
            }
        }
        return columns(rows)
    }

    static func status(_ s: StoredSchedule) -> String {
        if s.done { return "done" }
        if s.paused { return "paused" }
        if s.retryAttempt != nil { return "retrying" }
        return "active"
    }

    /// `every 1h`, `cron "0 9 * * *"`, `after 5m`, `at T`.
    static func timing(_ s: StoredSchedule) -> String {
        guard case .map(let m)? = try? JSON.parse(s.timing) else { return s.kind }
        func int(_ k: String) -> Int64? { if case .int(let i)? = m[.str(k)] { return Int64(i) }; return nil }
        if let every = int("every") { return "every \(formatDuration(every))" }
        if case .str(let expr)? = m[.str("cron")] {
            if case .str(let tz)? = m[.str("tz")] { return "cron \"\(expr)\" \(tz)" }
            return "cron \"\(expr)\""
        }
        if let after = int("after") { return "after \(formatDuration(after))" }
        if let at = int("at") { return "at \(DateTime.format(at))" }
        return s.kind
    }

    static func json(_ schedules: [StoredSchedule], owners: [String: AgentOwner]? = nil) -> String {
        schedules.map { s -> String in
            var fields: [String] = [
                "\"agent\":\(JSON.quote(s.agent))", "\"name\":\(JSON.quote(s.name))", "\"kind\":\(JSON.quote(s.kind))",
                "\"timing\":\(s.timing)", "\"task\":\(JSON.quote(s.task))", "\"args\":\(JSON.quote(s.args))", "\"options\":\(s.options)",
                "\"status\":\(JSON.quote(status(s)))",
                "\"due\":\(s.due)", "\"fired\":\(s.fired)", "\"skipped\":\(s.skipped)", "\"dropped\":\(s.dropped)",
                "\"failures\":\(s.failures)", "\"missed\":\(s.missed)",
            ]
            fields.append("\"next\":\(s.done ? "null" : s.nextDue.map { JSON.quote(DateTime.format($0)) } ?? "null")")
            fields.append("\"last_run\":\(s.lastRun.map { JSON.quote(DateTime.format($0)) } ?? "null")")
            fields.append("\"last_outcome\":\(s.lastOutcome.map(JSON.quote) ?? "null")")
            fields.append("\"history\":\(s.history)")
            if let owners {
                let o = owners[s.agent]
                fields.append("\"owner\":\(o?.node.map(JSON.quote) ?? "null")")
                fields.append("\"lease_until\":\(o?.leaseExpires.map { JSON.quote(DateTime.format($0)) } ?? "null")")
            }
            return "{" + fields.joined(separator: ",") + "}\n"
        }.joined()
    }
}
