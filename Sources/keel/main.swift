import CLibEdit
import ArgumentParser
import Foundation
import KeelCLI
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
          KEEL_EVENT_QUEUE_CAPACITY  size of the event queue (default \(InterpreterDefaults.queueCapacity); a positive integer)
          KEEL_ONESHOT=1             exit after 250 ms without events (real clock only)
          KEEL_LOG_LEVEL             std/log threshold: debug, info (default), warn, error
          KEEL_SEED                  seed for std/random, for reproducible runs
          KEEL_STORE                 the SQLite store of @durable agents (as --store)
          KEEL_HISTORY               the REPL's history file (default ~/.keel_history; empty: none)
          NO_COLOR                   no colour in diagnostics (colour is only used on a terminal)
        """,
        version: KeelVersion.string,
        subcommands: [Run.self, Check.self, Test.self, Cron.self, Schedules.self, State.self, Send.self, Nodes.self, Repl.self],
        defaultSubcommand: Run.self
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a .keel program: its top-level statements, then its agents until none is live.")

    @ArgumentParser.Argument(help: "The program to run, or - for standard input.")
    var file: String

    @OptionGroup var options: RunOptions

    func run() throws {
        try Run.run(file, options.settings)
    }

    static func run(_ file: String, _ settings: RunSettings) throws {
        let configured: Interpreter.Options
        do {
            configured = try settings.interpreterOptions(environment: ProcessInfo.processInfo.environment, program: file)
        } catch let e as StoreError {
            FileHandle.standardError.write("error: \(e.description)\n".data(using: .utf8)!)
            throw ExitCode(1)
        }
        let status = Runner.runFile(path: file, options: configured)
        configured.store?.close()
        if status != 0 { throw ExitCode(status) }
    }
}

// SIGINT, SIGTERM and SIGQUIT are taken by one thread from here on (see `Signals`): they end a
// command at once with 128 + the signal, except where `keel run` and the REPL stop agents first.
// (Swift's crash backtracer never sees SIGQUIT, so it cannot hang on it.)
Signals.install()

// `--store` takes an SQLite file or a PostgreSQL URL.
RunOptions.openStore = { location, owner, lease in try StoreOpener.open(location, owner: owner, lease: lease) }

// Agents print while they run: line-buffer standard output even into a pipe or a file.
setvbuf(keel_stdout(), nil, _IOLBF, 0)

// Usage errors exit 2, as documented (swift-argument-parser's own default is 64).
do {
    // Bare `keel` on a terminal starts the REPL; with input piped in, it runs what is piped, as a
    // program (`keel run -`, as `python3 -` does).
    var arguments = Array(CommandLine.arguments.dropFirst())
    if arguments.isEmpty { arguments = isatty(0) != 0 ? ["repl"] : ["run", "-"] }
    if arguments.count == 2, arguments[0] == "run", !arguments[1].hasPrefix("-"),
       (try? RunSettings().interpreterOptions(environment: ProcessInfo.processInfo.environment, program: nil)) != nil {
        // The commonest command, `keel run FILE` without flags, skips the argument parser:
        // building its command tree (every option, found by reflection) is most of start-up.
        // (Bad settings from the environment take the parser's path, for its usual message.)
        try Run.run(arguments[1], RunSettings())
    } else {
        var command = try Keel.parseAsRoot(arguments)
        try command.run()
    }
} catch {
    if Keel.exitCode(for: error) == .validationFailure {
        FileHandle.standardError.write((Keel.fullMessage(for: error) + "\n").data(using: .utf8)!)
        exit(2)
    }
    Keel.exit(withError: error)
}
