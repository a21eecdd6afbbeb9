import Foundation
import KeelRuntime
import KeelSyntax


/// Runs whole programs the way the `keel` command does: diagnostics to standard error, an exit
/// status back. Tests call it in-process with their own output sinks.
package enum Runner {
    /// Runs the source; returns 0, 1 (run-time error), 2 (compile error) or 128+signal.
    /// With `handleSignals`, SIGINT and SIGTERM stop the agents (running `@on_stop`) and end the run.
    package static func run(source: String, path: String, options: Interpreter.Options = .init(), color: Bool = false,
                           handleSignals: Bool = false) -> Int32 {
        run(file: SourceFile(path: path, text: source), options: options, color: color, handleSignals: handleSignals)
    }

    /// Prints compile problems as `keel run` does: each diagnostic, then how many in the file.
    static func report(_ list: DiagnosticList, path: String, options: Interpreter.Options, color: Bool) {
        for d in list.diagnostics { options.errorOutput(d.render(color: color)) }
        let n = list.diagnostics.count
        options.errorOutput("\(n) error\(n == 1 ? "" : "s") in \(path)")
    }

    package static func run(file: SourceFile, options: Interpreter.Options = .init(), color: Bool = false,
                            handleSignals: Bool = false) -> Int32 {
        onLargeStack {
            let interpreter = Interpreter(options: options)
            interpreter.color = color
            let main: Function
            do {
                main = try interpreter.compile(file)
            } catch let list as DiagnosticList {
                report(list, path: file.path, options: options, color: color)
                return 2
            } catch {
                options.errorOutput("error: \(error)")
                return 2
            }
            if handleSignals {
                let loop = interpreter.loop.signals
                let received = SignalCount()
                // The first signal interrupts busy Keel code and asks the loop to run every
                // `@on_stop` and end. A second signal, or a loop that has not taken the first
                // within two seconds (stuck outside Keel code), ends the process at once.
                Signals.onSignal { sig in
                    if received.increment() > 1 { _exit(128 + sig) }
                    loop.requestStop(signal: sig)
                    DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                        if !loop.stopUnderWay { _exit(128 + sig) }
                    }
                }
            }
            defer { if handleSignals { Signals.onSignal(nil) } }
            return interpreter.runProgram(main)
        }
    }

    /// Reads a file (or standard input for `-`) and runs it with the given options.
    package static func runFile(path: String, options: Interpreter.Options) -> Int32 {
        let file: SourceFile
        do { file = try SourceFile.read(path: path) } catch let list as DiagnosticList {
            report(list, path: path, options: options, color: useColor())
            return 2
        } catch {
            options.errorOutput("\(error)")
            return 2
        }
        var options = options
        options.programPath = path == "-" ? nil : FileAccess.resolved(path)
        // A program read from standard input keeps its memory apart from every other's.
        if path == "-" && options.memoryNamespace == nil { options.memoryNamespace = "stdin_" + PersistentMemory.hashText(file.text) }
        return run(file: file, options: options, color: useColor(), handleSignals: true)
    }

    /// `keel check`: every compile problem in the source (none means it would run).
    package static func check(source: String, path: String) -> [Diagnostic] {
        check(file: SourceFile(path: path, text: source))
    }

    package static func check(file: SourceFile) -> [Diagnostic] {
        onLargeStack {
            do {
                _ = try Interpreter().compile(file)
                return []
            } catch let list as DiagnosticList {
                return list.diagnostics
            } catch {
                return [Diagnostic("\(error)", at: .none, in: nil)]
            }
        }
    }

    /// Colour only on a terminal, and never when NO_COLOR is set.
    package static func useColor() -> Bool {
        ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(2) != 0
    }
}

/// Counts signals across the dispatch threads that deliver them.
private final class SignalCount: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() -> Int {
        lock.lock()
        defer { lock.unlock() }
        count += 1
        return count
    }
}
