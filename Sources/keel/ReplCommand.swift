import ArgumentParser
import Foundation
import KeelRuntime

struct Repl: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "An interactive session (reads standard input; prints no prompts when it is not a terminal).",
        discussion: """
        Bindings and declarations persist between inputs; an input that is an expression prints its
        value; every std module is available without `use`. An input continues over several lines
        while a bracket, brace, parenthesis or string is open.
        Commands: :help, :quit, :load FILE, :reset, :env.
        """)

    func run() throws {
        let interactive = isatty(0) != 0
        let status: Int32 = onLargeStack {
            var session = Session()
            var pending = ""
            func report(_ outcome: Session.Outcome) {
                switch outcome {
                case .value(let v):
                    if !v.isNone { print(v.display) }
                case .done: break
                case .compileError(let diagnostics):
                    for d in diagnostics { FileHandle.standardError.write((d.render(color: Runner.useColor()) + "\n").data(using: .utf8)!) }
                case .runtimeError(let e):
                    FileHandle.standardError.write((e.render(color: Runner.useColor()) + "\n").data(using: .utf8)!)
                }
            }
            func prompt() {
                guard interactive else { return }
                print(pending.isEmpty ? "keel> " : "  ... ", terminator: "")
                fflush(stdout)
            }
            prompt()
            while let line = readLine(strippingNewline: true) {
                if pending.isEmpty {
                    let command = line.trimmingCharacters(in: .whitespaces)
                    if command == ":quit" || command == ":q" { break }
                    if command == ":help" || command == ":h" {
                        print("Type Keel statements or expressions.")
                        print(":load FILE  run a file in this session   :env  show bindings")
                        print(":reset      start a fresh session        :quit leave (also Ctrl-D)")
                        prompt()
                        continue
                    }
                    if command == ":reset" { session = Session(); prompt(); continue }
                    if command == ":env" {
                        for (name, value) in session.bindings { print("\(name) = \(value.display)") }
                        prompt()
                        continue
                    }
                    if command.hasPrefix(":load ") {
                        let path = String(command.dropFirst(6)).trimmingCharacters(in: .whitespaces)
                        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
                            report(session.evaluate(text))
                        } else {
                            FileHandle.standardError.write("error: cannot read file `\(path)`\n".data(using: .utf8)!)
                        }
                        prompt()
                        continue
                    }
                }
                pending += (pending.isEmpty ? "" : "\n") + line
                if Session.needsMoreInput(pending) { prompt(); continue }
                let input = pending
                pending = ""
                if input.trimmingCharacters(in: .whitespaces).isEmpty { prompt(); continue }
                report(session.evaluate(input))
                prompt()
            }
            if interactive { print("") }
            return 0
        }
        if status != 0 { throw ExitCode(status) }
    }
}
