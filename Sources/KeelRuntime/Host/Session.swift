import Foundation
import KeelSyntax

/// An interactive session (the REPL's engine): inputs are compiled one after another against the
/// same interpreter, so bindings and declarations persist, and an input that is a single
/// expression yields its value. Every std module is bound without `use`.
///
/// The event loop runs all the time on a thread of its own ("serving"), so agents started in the
/// session keep ticking between inputs. Each input runs on the loop as a host job; the caller's
/// thread waits for it and may `interrupt()` it from another thread.
package final class Session {
    package let interpreter: Interpreter
    private var inputCount = 0
    private let loopThreadDone = DispatchSemaphore(value: 0)
    private var closed = false
    /// `close` may come from the main thread and from a signal handler's thread at once.
    private let closing = NSLock()

    package init(options: Interpreter.Options = .init()) {
        interpreter = Interpreter(options: options)
        for name in StdModule.names {
            if case .success(let m) = interpreter.stdModule(name) {
                interpreter.globals[slot: interpreter.globals.index(of: name)] = .module(m)
            }
        }
        let loop = interpreter.loop
        let done = loopThreadDone
        let thread = Thread {
            _ = loop.drive(.serving)
            loop.shutdown()
            done.signal()
        }
        thread.name = "keel-session-loop"
        thread.start()
    }

    deinit { close() }

    package enum Outcome {
        /// The input was an expression: its value.
        case value(Value)
        /// Statements or declarations ran.
        case done
        case compileError([Diagnostic])
        case runtimeError(KeelError)
    }

    /// Runs `body` on the loop and waits for it (at most `timeout` seconds, if given).
    func onLoop<T>(timeout: Double? = nil, _ body: @escaping () throws -> T) -> Result<T, Error>? {
        let box = ResultBox<T>()
        let job = HostJob {
            box.result = try body()
            return .none
        }
        interpreter.loop.submit(job)
        if let timeout {
            guard job.finished.wait(timeout: .now() + timeout) == .success else { return nil }
        } else {
            job.finished.wait()
        }
        switch job.result! {
        case .success: return .success(box.result!)
        case .failure(let e): return .failure(e)
        }
    }

    /// Compiles and runs one input, on the loop; returns when it has finished.
    /// `path`: the file the text came from (`:load`), so its `use "./x.keel"` resolves beside it.
    package func evaluate(_ text: String, path: String? = nil) -> Outcome {
        inputCount += 1
        let file = SourceFile(path: path ?? "<input \(inputCount)>", text: text)
        let result = onLoop { [interpreter] () -> Outcome in
            let program: Program, main: Function
            do {
                program = try Parser.parse(file)
                main = try interpreter.compile(program)
            } catch let list as DiagnosticList {
                return .compileError(list.diagnostics)
            }
            var isExpression = false
            if program.statements.count == 1, case .expr = program.statements[0].kind { isExpression = true }
            let v = try interpreter.execute(main)
            return isExpression ? .value(v) : .done
        }!
        switch result {
        case .success(let outcome): return outcome
        case .failure(let e as KeelError): return .runtimeError(e)
        case .failure(let e): return .runtimeError(KeelError(ErrorKind.base, "\(e)"))
        }
    }

    /// From another thread: interrupts the running input (an endless loop, a long sleep).
    package func interrupt() { interpreter.loop.interrupt() }

    /// Stops every live agent (each `@on_stop` runs), then ends the loop and its thread.
    package func close() {
        closing.lock()
        defer { closing.unlock() }
        guard !closed else { return }
        closed = true
        _ = onLoop { [interpreter] in interpreter.loop.stopAllAgents() }
        interpreter.loop.endServing()
        loopThreadDone.wait()
    }

    /// The live agents with their schedules (read on the loop, waiting at most half a second).
    package var agents: [AgentStatus] {
        guard case .success(let list)? = onLoop(timeout: 0.5, { [interpreter] in interpreter.liveAgents }) else { return [] }
        return list
    }

    /// Whether `text` is incomplete: every problem the parser finds is that the text ended too
    /// soon (an open bracket, brace, parenthesis or string, a line ending in an operator), as Lua's
    /// REPL asks for more only when the error is at `<eof>`.
    package static func needsMoreInput(_ text: String) -> Bool {
        do {
            _ = try Parser.parse(SourceFile(path: "<repl>", text: text))
            return false
        } catch let list as DiagnosticList {
            return !list.diagnostics.isEmpty && list.diagnostics.allSatisfy(\.incomplete)
        } catch {
            return false
        }
    }

    /// The session's own bindings (not built-ins or std modules), with their values, by name.
    package var bindings: [(name: String, value: Value)] {
        let result = onLoop(timeout: 0.5) { [interpreter] () -> [(name: String, value: Value)] in
            let table = interpreter.globals
            return table.nameList.compactMap { name in
                guard let v = table[name] else { return nil }
                if Interpreter.builtinNames.contains(name) || name == "Message" { return nil }
                if case .module(let m) = v, StdModule.names.contains(m.name), m.name == name { return nil }
                return (name, v)
            }.sorted { $0.name < $1.name }
        }
        guard case .success(let list)? = result else { return [] }
        return list
    }
}
