import ArgumentParser
import Foundation
import KeelRuntime


/// Exit codes: 0 success, 1 run-time error, 2 usage or compile error.
enum ExitStatus {
    static let runtimeError: Int32 = 1
    static let compileError: Int32 = 2
}

struct Keel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keel",
        abstract: "Run Keel agent scripts.",
        discussion: """
        Exit codes: 0 success, 1 run-time error, 2 usage or compile error.
        Environment: NO_COLOR disables colour in diagnostics (colour is only used on a terminal).
        """,
        version: KeelVersion.string,
        subcommands: [Run.self],
        defaultSubcommand: Run.self
    )
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run a .keel program (`-` reads it from standard input).")

    @ArgumentParser.Argument(help: "The program to run, or - for standard input.")
    var file: String

    func run() throws {
        let status = Runner.runFile(path: file)
        if status != 0 { throw ExitCode(status) }
    }
}

Keel.main()
