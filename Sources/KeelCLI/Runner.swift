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
        onLargeStack {
            let interpreter = Interpreter(options: options)
            interpreter.color = color
            let main: Function
            do {
                main = try interpreter.compile(SourceFile(path: path, text: source))
            } catch let list as DiagnosticList {
                for d in list.diagnostics { options.errorOutput(d.render(color: color)) }
                let n = list.diagnostics.count
                options.errorOutput("\(n) error\(n == 1 ? "" : "s") in \(path)")
                return 2
            } catch {
                options.errorOutput("error: \(error)")
                return 2
            }
            var sources: [DispatchSourceSignal] = []
            if handleSignals {
                let loop = interpreter.loop
                let received = SignalCount()
                for sig in [SIGINT, SIGTERM] {
                    signal(sig, SIG_IGN)
                    let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
                    source.setEventHandler {
                        // The first signal asks the loop to run `@on_stop` and end. If Keel code is
                        // busy and the loop cannot answer within two seconds, or a second signal
                        // comes, the process ends at once (as the reference's hard-exit watcher).
                        if received.increment() > 1 { exit(128 + sig) }
                        loop.requestStop(signal: sig)
                        DispatchQueue.global().asyncAfter(deadline: .now() + 2) { exit(128 + sig) }
                    }
                    source.resume()
                    sources.append(source)
                }
            }
            defer { sources.forEach { $0.cancel() } }
            return interpreter.runProgram(main)
        }
    }

    /// Reads a file (or standard input for `-`) and runs it with the given options.
    package static func runFile(path: String, options: Interpreter.Options) -> Int32 {
        let source: String
        if path == "-" {
            source = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                options.errorOutput("error: cannot read file `\(path)`")
                return 2
            }
            source = text
        }
        return run(source: source, path: path == "-" ? "<stdin>" : path, options: options, color: useColor(),
                   handleSignals: true)
    }

    /// `keel check`: every compile problem in the source (none means it would run).
    package static func check(source: String, path: String) -> [Diagnostic] {
        onLargeStack {
            do {
                _ = try Interpreter().compile(SourceFile(path: path, text: source))
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
