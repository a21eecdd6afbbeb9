import Foundation
import KeelCLI
import KeelRuntime
import KeelSyntax

/// The REPL's read–evaluate–print cycle, the same with a line editor (a terminal) or without
/// (standard input is a pipe or a file: no prompts, no escape codes).
final class ReplDriver {
    private let console: ReplConsole
    private let editor: LineEditor?
    private var session: Session
    private var pending = ""
    private let state = NSLock()
    private var evaluating = false
    private var signalSources: [DispatchSourceSignal] = []
    private let color: Bool

    init(console: ReplConsole, editor: LineEditor?) {
        self.console = console
        self.editor = editor
        color = Runner.useColor()
        session = ReplDriver.makeSession(console)
        editor?.complete = { [unowned self] word, pending in
            if pending.isEmpty, word.hasPrefix(":") {
                return ReplDriver.commands.map { String($0.name.prefix { $0 != " " }) }.filter { $0.hasPrefix(word) }
            }
            return self.session.completions(of: word, pending: pending)
        }
        editor?.completePath = ReplDriver.paths(completing:)
    }

    static func makeSession(_ console: ReplConsole) -> Session {
        var options = Interpreter.Options()
        options.output = { console.write($0, to: 1) }
        options.errorOutput = { console.write($0, to: 2) }
        let session = Session(options: options)
        session.interpreter.color = Runner.useColor()
        return session
    }

    /// Files and folders whose path starts with `prefix` (folders end in `/`), for `:load`.
    static func paths(completing prefix: String) -> [String] {
        let slash = prefix.lastIndex(of: "/")
        let folder = slash.map { String(prefix[...$0]) } ?? ""
        let start = slash.map { String(prefix[prefix.index(after: $0)...]) } ?? prefix
        let fm = FileManager.default
        guard let names = try? fm.contentsOfDirectory(atPath: folder.isEmpty ? "." : folder) else { return [] }
        return names.filter { $0.hasPrefix(start) && (!$0.hasPrefix(".") || start.hasPrefix(".")) }.sorted().map { name in
            var isFolder: ObjCBool = false
            _ = fm.fileExists(atPath: folder + name, isDirectory: &isFolder)
            return folder + name + (isFolder.boolValue ? "/" : "")
        }
    }

    static let commands: [(name: String, help: String)] = [
        (":help", "this list"),
        (":quit", "leave (also Ctrl-D); live agents are stopped first"),
        (":load FILE", "run a file in this session"),
        (":reset", "stop the agents and start a fresh session"),
        (":env", "the session's bindings and their values"),
        (":agents", "live agents, their schedules and next fire times"),
    ]

    /// Reads and evaluates until the end of input or `:quit`; returns the exit status.
    func run() -> Int32 {
        installSignalHandlers()
        defer {
            Signals.onSignal(nil)
            signalSources.forEach { $0.cancel() }
        }
        while true {
            let line: ReplLine
            if let editor {
                editor.pending = pending
                line = editor.readLine(prompt: pending.isEmpty ? "keel> " : "  ... ")
            } else {
                line = Swift.readLine(strippingNewline: true).map(ReplLine.line) ?? .end
            }
            switch line {
            case .end:
                if editor != nil { console.write("") }
                // An input left open at the end (a brace never closed) gets its diagnostic.
                if !pending.isEmpty { evaluate(pending) }
                session.close()
                return 0
            case .cancelled:
                pending = ""
                if editor != nil { console.write("") }
            case .line(let text):
                editor?.remember(text)
                if pending.isEmpty, text.trimmingCharacters(in: .whitespaces).hasPrefix(":") {
                    if !command(text.trimmingCharacters(in: .whitespaces)) {
                        session.close()
                        return 0
                    }
                    continue
                }
                pending += (pending.isEmpty ? "" : "\n") + text
                if Session.needsMoreInput(pending) { continue }
                let input = pending
                pending = ""
                if input.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { continue }
                evaluate(input)
            }
        }
    }

    private func evaluate(_ input: String, path: String? = nil) {
        setEvaluating(true)
        let outcome = session.evaluate(input, path: path)
        setEvaluating(false)
        report(outcome)
    }

    private func setEvaluating(_ on: Bool) {
        state.lock()
        evaluating = on
        state.unlock()
    }

    private func report(_ outcome: Session.Outcome) {
        switch outcome {
        case .value(let v):
            if !v.isNone { console.write(v.display) }
        case .done: break
        case .compileError(let diagnostics):
            for d in diagnostics { console.write(d.render(color: color), to: 2) }
        case .runtimeError(let e):
            console.write(e.render(color: color), to: 2)
        }
    }

    /// Runs a `:command`; false means leave.
    private func command(_ text: String) -> Bool {
        let word = text.split(separator: " ", maxSplits: 1).first.map(String.init) ?? text
        let argument = text.dropFirst(word.count).trimmingCharacters(in: .whitespaces)
        switch word {
        case ":quit", ":q", ":exit":
            return false
        case ":help", ":h":
            console.write("Type Keel statements or expressions; every std module is bound without `use`.")
            console.write("An input goes on over several lines while a bracket, brace or string is open.")
            for (name, help) in ReplDriver.commands {
                console.write(name.padding(toLength: 12, withPad: " ", startingAt: 0) + help)
            }
            console.write("Keys: Tab completes, Ctrl-C drops the line or interrupts a running input, Ctrl-D leaves.")
        case ":reset":
            session.close()
            session = ReplDriver.makeSession(console)
        case ":env":
            for (name, value) in session.bindings { console.write("\(name) = \(value.display)") }
        case ":agents":
            showAgents()
        case ":load":
            guard !argument.isEmpty else { console.write("usage: :load FILE", to: 2); break }
            do {
                let file = try SourceFile.read(path: argument)
                evaluate(file.text, path: argument)
            } catch let list as DiagnosticList {
                for d in list.diagnostics { console.write(d.render(color: color), to: 2) }
            } catch {
                console.write("\(error)", to: 2)
            }
        default:
            console.write("unknown command `\(word)` (:help lists them)", to: 2)
        }
        return true
    }

    private func showAgents() {
        let agents = session.agents
        if agents.isEmpty {
            console.write("no live agents")
            return
        }
        let now = session.interpreter.loop.time.wallNow
        for agent in agents {
            let waiting = agent.pendingEvents == 1 ? "1 event waiting" : "\(agent.pendingEvents) events waiting"
            console.write("\(agent.name)  (\(waiting))")
            for s in agent.schedules {
                var line = "  #\(s.id) \(s.kind)" + (s.detail.isEmpty ? "" : " \(s.detail)")
                if let next = s.nextFire {
                    let seconds = Double(max(0, next - now)) / 1e9
                    line += ", next at \(DateTime.format(next)) (in \(String(format: "%.1f", seconds))s)"
                }
                console.write(line)
            }
        }
    }

    /// Ctrl-C: while an input runs, interrupt it; while typing, drop the line; with no terminal,
    /// leave (as an interrupted program does). SIGTERM and SIGQUIT end the session as they end
    /// `keel run`: the running input is interrupted, every agent's @on_stop runs, the terminal is
    /// put back, exit 128 + signal. SIGWINCH: let the editor re-measure the terminal.
    private func installSignalHandlers() {
        var terminal = termios()
        let onTerminal = editor != nil && tcgetattr(0, &terminal) == 0
        let saved = terminal
        let driver = Unretained(self)
        Signals.onSignal { sig in
            let me = driver.value
            guard sig == SIGINT else {
                me.session.interrupt()
                me.session.close()
                if onTerminal {
                    var restore = saved
                    tcsetattr(0, TCSANOW, &restore)
                    me.console.write("")
                }
                _exit(128 + sig)
            }
            me.state.lock()
            let busy = me.evaluating
            me.state.unlock()
            if busy {
                if me.editor != nil { me.console.write("") }   // after the terminal's ^C
                me.session.interrupt()
            } else if let editor = me.editor {
                editor.requestCancel()
            } else {
                _exit(130)
            }
        }
        if let editor {
            signal(SIGWINCH, SIG_IGN)
            let resize = DispatchSource.makeSignalSource(signal: SIGWINCH, queue: .global())
            resize.setEventHandler { editor.requestResize() }
            resize.resume()
            signalSources.append(resize)
        }
    }
}

/// A reference handed to the signal thread; the driver outlives every signal it handles (the
/// handler is taken away before `run` returns).
private struct Unretained<T: AnyObject>: @unchecked Sendable {
    unowned(unsafe) let value: T
    init(_ value: T) { self.value = value }
}
