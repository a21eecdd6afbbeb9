import ArgumentParser
import Foundation
import KeelRuntime

struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "repl",
        abstract: "An interactive session, with line editing and history on a terminal.",
        discussion: """
        Bindings and declarations persist between inputs; an input that is an expression prints its \
        value; every std module is available without `use`. An input continues over several lines \
        while a bracket, brace, parenthesis or string is open. Agents started in the session keep \
        running between inputs; their output appears above the prompt.

        Commands: :help, :quit, :load FILE, :reset, :env, :agents.
        Keys: Tab completes keywords, names, `module.` members and `self.` fields; Ctrl-C drops the \
        line being typed or interrupts a running input; Ctrl-D leaves.

        History is kept in ~/.keel_history (KEEL_HISTORY names another file; an empty value keeps \
        no history), at most 1000 lines. When standard input is not a terminal, lines are read \
        without editing and no prompts are printed.
        """)

    func run() throws {
        let console = ReplConsole()
        let onTerminal = isatty(0) != 0 && isatty(1) != 0
        let editor = onTerminal ? LineEditor(console: console, historyPath: Repl.historyPath()) : nil
        let status = ReplDriver(console: console, editor: editor).run()
        if status != 0 { throw ExitCode(status) }
    }

    static func historyPath() -> String? {
        let env = ProcessInfo.processInfo.environment
        if let path = env["KEEL_HISTORY"] { return path.isEmpty ? nil : path }
        guard let home = env["HOME"], !home.isEmpty else { return nil }
        return home + "/.keel_history"
    }
}
