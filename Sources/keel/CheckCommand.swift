import ArgumentParser
import Foundation
import KeelCLI
import KeelRuntime
import KeelSyntax

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Parse and resolve programs without running them, and print every problem.",
        discussion: """
        Finds syntax errors, undefined names, wrong arity in calls to known tasks, `self` outside \
        agents, unknown std modules and types, and direct calls into effectful modules that an \
        agent's @tools does not allow. `keel run` makes the same checks before it runs anything. \
        Exit status 2 if any file has a problem.
        """)

    @ArgumentParser.Argument(help: "The .keel files to check.")
    var files: [String]

    func run() throws {
        var failed = false
        for path in files {
            let problems: [Diagnostic]
            do { problems = Runner.check(file: try SourceFile.read(path: path)) } catch let list as DiagnosticList {
                problems = list.diagnostics
            } catch {
                FileHandle.standardError.write("\(error)\n".data(using: .utf8)!)
                failed = true
                continue
            }
            if problems.isEmpty {
                print("✓ \(path) is valid")
            } else {
                failed = true
                for d in problems {
                    FileHandle.standardError.write((d.render(color: Runner.useColor()) + "\n").data(using: .utf8)!)
                }
                let n = problems.count
                FileHandle.standardError.write("\(n) problem\(n == 1 ? "" : "s") in \(path)\n".data(using: .utf8)!)
            }
        }
        if failed { throw ExitCode(2) }
    }
}
