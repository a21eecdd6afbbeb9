import ArgumentParser
import Foundation
import KeelRuntime
import KeelSQLite
import KeelSyntax

/// How a program is run: the flags `keel run` and `keel test` share, and the environment variables
/// they read. The golden tests parse their `# run:` lines with the same type, so a test can say
/// `# run: --virtual-time --until 1.day`. Every bad value (a flag or an environment variable)
/// fails `validate()` with what was given and what is accepted.
package struct RunOptions: ParsableArguments {
    @Flag(help: "Run on a virtual clock that jumps straight to the next deadline.")
    package var virtualTime = false

    @Option(help: ArgumentHelp("With --virtual-time: the start time (default: now).", valueName: "time"))
    package var start: String?

    @Option(help: ArgumentHelp("With --virtual-time: stop, running @on_stop, when this much time has passed.", valueName: "duration"))
    package var until: String?

    @Option(help: ArgumentHelp("The event queue's capacity, a positive integer (default \(InterpreterDefaults.queueCapacity); overrides KEEL_EVENT_QUEUE_CAPACITY).",
                               valueName: "n"))
    package var queueCapacity: String?

    @Flag(help: "End the run with exit status 1 at the first uncaught error in a handler or scheduled closure.")
    package var failFast = false

    @Option(help: ArgumentHelp("The std/log threshold: debug, info, warn or error (overrides KEEL_LOG_LEVEL).", valueName: "level"))
    package var logLevel: String?

    @Flag(help: "At exit, print how many events ran, ticks were dropped, and how late scheduled closures started.")
    package var stats = false

    @Flag(help: "Run without file, environment, shell or network modules and without standard input, whatever @tools says; local modules only from the program's folder and below.")
    package var sandbox = false

    @Option(help: ArgumentHelp("With --sandbox: allow std/file inside this folder (repeatable).", valueName: "dir"))
    package var allowFile: [String] = []

    @Option(help: ArgumentHelp("Keep @durable agents' state and named schedules in this SQLite file, or in the PostgreSQL database several nodes share (postgresql://USER@HOST:PORT/DB), across runs (overrides KEEL_STORE).", valueName: "path|url"))
    package var store: String?

    @Option(help: ArgumentHelp("With a PostgreSQL store: how long a node's lease on a durable agent lasts without renewal (default 10.seconds; renewed every third of it).", valueName: "duration"))
    package var lease: String?

    @Option(help: ArgumentHelp("With a store: how long a durable one-shot that finished stays in it (default 30.days); its row then goes, counted in its instance's pruned one-shots.", valueName: "duration"))
    package var retention: String?

    package init() {}

    /// Opens the store a run names (`--store`): location, whether this process runs on it, the
    /// lease. SQLite here; the `keel` command sets the opener that also knows PostgreSQL.
    nonisolated(unsafe) package static var openStore: (String, Bool, Int64?) throws -> DurableStore = { location, owner, _ in
        if isSharedStoreLocation(location) { throw StoreError("this build has no PostgreSQL store: \(location)") }
        return try SQLiteStore(path: location, owner: owner)
    }

    package mutating func validate() throws {
        _ = try interpreterOptions(environment: ProcessInfo.processInfo.environment, program: nil)
    }

    /// The flags' values.
    package var settings: RunSettings {
        var s = RunSettings()
        s.virtualTime = virtualTime
        s.start = start
        s.until = until
        s.queueCapacity = queueCapacity
        s.failFast = failFast
        s.logLevel = logLevel
        s.stats = stats
        s.sandbox = sandbox
        s.allowFile = allowFile
        s.store = store
        s.lease = lease
        s.retention = retention
        return s
    }

    /// The interpreter options these flags and `environment` give (see `RunSettings`).
    package func interpreterOptions(environment: [String: String], program: String?, base: Interpreter.Options = .init()) throws -> Interpreter.Options {
        try settings.interpreterOptions(environment: environment, program: program, base: base)
    }

    /// A bad value: what was given and what is accepted.
    static func invalid(_ what: String, _ given: String, _ accepted: String) -> ValidationError {
        ValidationError("\(what): expected \(accepted), got `\(given)`")
    }

    /// `30.days`, `500.ms`, `2.hours` (a Keel duration literal) in nanoseconds.
    package static func parseDuration(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let n = Int64(parts[0]), n >= 0,
              let unit = DurationUnit.spellings[String(parts[1])]?.nanoseconds else { return nil }
        let (r, o) = n.multipliedReportingOverflow(by: unit)
        return o ? nil : r
    }

    /// Parses flags given as words, with `validate()` against `environment` (for tests and the
    /// golden harness). The error is the message `keel run` would print.
    package static func parse(_ words: [String], environment: [String: String], program: String? = nil,
                              base: Interpreter.Options = .init()) throws -> Interpreter.Options {
        let parsed: RunOptions
        do { parsed = try RunOptions.parse(words) } catch {
            throw ValidationError(RunOptions.message(for: error))
        }
        return try parsed.interpreterOptions(environment: environment, program: program, base: base)
    }
}

/// The values of the run flags, apart from how they are parsed: `RunOptions` fills it from the
/// command line, and `keel run FILE` without flags uses the defaults without building the parser
/// (reflecting over every option is most of the command's start-up).
package struct RunSettings {
    package var virtualTime = false
    package var start: String?
    package var until: String?
    package var queueCapacity: String?
    package var failFast = false
    package var logLevel: String?
    package var stats = false
    package var sandbox = false
    package var allowFile: [String] = []
    package var store: String?
    package var lease: String?
    package var retention: String?

    package init() {}

    /// The interpreter options these flags and `environment` give (on top of `base`'s sinks), for
    /// the program at `program` (a path, or `-` for standard input).
    package func interpreterOptions(environment: [String: String], program: String?, base: Interpreter.Options = .init()) throws -> Interpreter.Options {
        var o = base
        o.environment = environment
        if sandbox { try confine(&o, program: program) } else if !allowFile.isEmpty {
            throw ValidationError("--allow-file needs --sandbox")
        }
        if let text = environment["KEEL_EVENT_QUEUE_CAPACITY"] {
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw RunOptions.invalid("KEEL_EVENT_QUEUE_CAPACITY", text, "a positive integer")
            }
            o.queueCapacity = n
        }
        if let text = queueCapacity {
            guard let n = Int(text), n > 0 else { throw RunOptions.invalid("--queue-capacity", text, "a positive integer") }
            o.queueCapacity = n
        }
        if let text = environment["KEEL_LOG_LEVEL"], LogLevel(name: text) == nil {
            throw RunOptions.invalid("KEEL_LOG_LEVEL", text, "debug, info, warn or error")
        }
        if let logLevel {
            guard LogLevel(name: logLevel) != nil else { throw RunOptions.invalid("--log-level", logLevel, "debug, info, warn or error") }
            o.environment["KEEL_LOG_LEVEL"] = logLevel
        }
        if let text = environment["KEEL_SEED"], Int64(text) == nil {
            throw RunOptions.invalid("KEEL_SEED", text, "an integer")
        }
        var startTime: Int64?
        if let start {
            guard let t = DateTime.parse(start) else {
                throw RunOptions.invalid("--start", start, "a time such as 2026-01-01T00:00:00Z, within \(DateTime.range)")
            }
            startTime = t
        }
        var untilDuration: Int64?
        if let until {
            guard let d = RunOptions.parseDuration(until) else {
                throw RunOptions.invalid("--until", until, "a duration such as 30.days or 90.minutes")
            }
            untilDuration = d
        }
        if virtualTime {
            o.time = VirtualTime(start: startTime ?? RealTime().wallNow)
        } else if start != nil || until != nil {
            throw ValidationError("--start and --until need --virtual-time")
        }
        o.until = untilDuration
        o.failFast = failFast
        o.stats = stats
        let storePath = store ?? environment["KEEL_STORE"].flatMap { $0.isEmpty ? nil : $0 }
        var leaseDuration: Int64?
        if let lease {
            guard let d = RunOptions.parseDuration(lease), d >= 300_000_000, d <= 86_400_000_000_000 else {
                throw RunOptions.invalid("--lease", lease, "a duration from 300.ms to 1.day, such as 10.seconds")
            }
            guard let storePath, isSharedStoreLocation(storePath) else { throw ValidationError("--lease needs a PostgreSQL store (--store postgresql://...)") }
            leaseDuration = d
        }
        if let retention {
            guard let d = RunOptions.parseDuration(retention), d >= 60_000_000_000 else {
                throw RunOptions.invalid("--retention", retention, "a duration of at least a minute, such as 30.days")
            }
            guard storePath != nil else { throw ValidationError("--retention needs a store (--store)") }
            o.retention = d
        }
        if let storePath {
            guard !storePath.isEmpty else { throw RunOptions.invalid("--store", storePath, "a file name") }
            if isSharedStoreLocation(storePath) && virtualTime {
                throw ValidationError("--virtual-time cannot be used with a PostgreSQL store: nodes share leases on the real clock")
            }
            // Opened (and locked) only for a run: `validate()` has no program.
            if program != nil { o.store = try RunOptions.openStore(storePath, true, leaseDuration) }
        }
        if let oneshot = environment["KEEL_ONESHOT"], !oneshot.isEmpty, oneshot != "0", !virtualTime {
            o.idleExit = 250_000_000
        }
        return o
    }

    /// `--sandbox`: the KeelKit sandbox from the command line. Every refusal is a `CapabilityError`
    /// naming what was refused and the flag that would allow it.
    private func confine(_ o: inout Interpreter.Options, program: String?) throws {
        let refused = "is refused by --sandbox"
        for name in ["env", "shell", "http", "email", "search", "ai", "db"] {
            o.refusedStdModules[name] = "CapabilityError: std/\(name) \(refused) (run without --sandbox to use it)"
        }
        if allowFile.isEmpty {
            o.refusedStdModules["file"] = "CapabilityError: std/file \(refused) (allow a folder with --allow-file DIR)"
        } else {
            var roots: [String] = []
            for dir in allowFile {
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                    throw RunOptions.invalid("--allow-file", dir, "an existing folder")
                }
                roots.append(FileAccess.resolved(dir))
            }
            o.fileRoots = roots
        }
        o.inputRefusal = "standard input \(refused) (run without --sandbox to read it)"
        let folder: String
        if let program, program != "-", !program.hasPrefix("<") {
            folder = URL(fileURLWithPath: program).deletingLastPathComponent().path
        } else {
            folder = FileManager.default.currentDirectoryPath
        }
        o.modules = FileSystemModules(root: folder, confinedBy: " (--sandbox loads modules from there only; run without --sandbox to load it)")
    }

}
