import ArgumentParser
import Foundation
import KeelRuntime

struct Keel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "Run Keel agent scripts.",
        discussion: """
        Exit codes:
          0    success
          1    run-time error (with --fail-fast: also an error in a handler)
          2    usage or compile error
          130  stopped by SIGINT (Ctrl-C); 143 stopped by SIGTERM

        Environment:
          KEEL_EVENT_QUEUE_CAPACITY  size of the event queue (default 1024; a positive integer)
          KEEL_ONESHOT=1             exit after 250 ms without events (real clock only)
          KEEL_LOG_LEVEL             std/log threshold: debug, info (default), warn, error
          KEEL_SEED                  seed for std/random, for reproducible runs
          KEEL_HISTORY               the REPL's history file (default ~/.keel_history; empty: none)
          NO_COLOR                   no colour in diagnostics (colour is only used on a terminal)
        """,
        version: KeelVersion.string,
        subcommands: [Run.self, Check.self, Test.self, Cron.self, Repl.self],
        defaultSubcommand: Run.self
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a .keel program: its top-level statements, then its agents until none is live.")

    @ArgumentParser.Argument(help: "The program to run, or - for standard input.")
    var file: String

    @Flag(help: "Run on a virtual clock that jumps straight to the next deadline.")
    var virtualTime = false

    @Option(help: "With --virtual-time: the start time (default: now), e.g. 2026-01-01T00:00:00Z.")
    var start: String?

    @Option(help: "With --virtual-time: stop (running @on_stop) when this much time has passed, e.g. 30.days.")
    var until: String?

    @Option(help: "The event queue's capacity (overrides KEEL_EVENT_QUEUE_CAPACITY).")
    var queueCapacity: Int?

    @Flag(help: "End the run with exit status 1 at the first uncaught error in a handler or scheduled closure.")
    var failFast = false

    @Option(help: "std/log threshold: debug, info, warn or error (overrides KEEL_LOG_LEVEL).")
    var logLevel: String?

    @Flag(help: "At exit, print to standard error how many events ran, ticks dropped, and how late scheduled closures started.")
    var stats = false

    func run() throws {
        var words: [String] = []
        if virtualTime { words.append("--virtual-time") }
        if let start { words += ["--start", start] }
        if let until { words += ["--until", until] }
        if let queueCapacity { words += ["--queue-capacity", String(queueCapacity)] }
        if failFast { words.append("--fail-fast") }
        if stats { words.append("--stats") }
        if let logLevel { words += ["--log-level", logLevel] }
        let settings: RunSettings
        do { settings = try RunSettings.parse(words) } catch {
            throw ValidationError("\(error)")
        }
        let status = Runner.runFile(path: file, settings: settings)
        if status != 0 { throw ExitCode(status) }
    }
}

// Agents print while they run: line-buffer standard output even into a pipe or a file.
setvbuf(stdout, nil, _IOLBF, 0)

// Usage errors exit 2, as documented (swift-argument-parser's own default is 64).
do {
    // Bare `keel` on a terminal starts the REPL.
    let arguments = CommandLine.arguments.count == 1 && isatty(0) != 0 ? ["repl"] : Array(CommandLine.arguments.dropFirst())
    var command = try Keel.parseAsRoot(arguments)
    try command.run()
} catch {
    if Keel.exitCode(for: error) == .validationFailure {
        FileHandle.standardError.write((Keel.fullMessage(for: error) + "\n").data(using: .utf8)!)
        exit(2)
    }
    Keel.exit(withError: error)
}
