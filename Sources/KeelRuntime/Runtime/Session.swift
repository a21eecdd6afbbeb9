import Foundation
import KeelSyntax

/// An interactive session (the REPL's engine): inputs are compiled one after another against the
/// same interpreter, so bindings and declarations persist, and an input that is a single
/// expression yields its value. Every std module is bound without `use`.
///
/// The event loop runs all the time on a thread of its own ("serving"), so agents started in the
/// session keep ticking between inputs. Each input runs on the loop as a host job; the caller's
/// thread waits for it and may `interrupt()` it from another thread.
public final class Session {
    public let interpreter: Interpreter
    private var inputCount = 0
    private let loopThreadDone = DispatchSemaphore(value: 0)
    private var closed = false

    public init(options: Interpreter.Options = .init()) {
        interpreter = Interpreter(options: options)
        for name in Interpreter.stdModuleNames {
            if case .success(let m) = interpreter.stdModule(name) {
                interpreter.globals.values[interpreter.globals.index(of: name)] = .module(m)
            }
        }
        let runtime = interpreter.runtime
        let done = loopThreadDone
        let thread = Thread {
            _ = runtime.drive(.serving)
            runtime.shutdown()
            done.signal()
        }
        thread.name = "keel-session-loop"
        thread.start()
    }

    deinit { close() }

    public enum Outcome {
        /// The input was an expression: its value.
        case value(Value)
        /// Statements or declarations ran.
        case done
        case compileError([Diagnostic])
        case runtimeError(KeelError)
    }

    /// Runs `body` on the loop and waits for it (at most `timeout` seconds, if given).
    private func onLoop<T>(timeout: Double? = nil, _ body: @escaping () throws -> T) -> Result<T, Error>? {
        let box = ResultBox<T>()
        let job = HostJob {
            box.result = try body()
            return .none
        }
        interpreter.runtime.submit(job)
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
    public func evaluate(_ text: String) -> Outcome {
        inputCount += 1
        let file = SourceFile(path: "<input \(inputCount)>", text: text)
        let result = onLoop { [interpreter] () -> Outcome in
            let main: Function
            do {
                main = try interpreter.compile(file)
            } catch let list as DiagnosticList {
                return .compileError(list.diagnostics)
            }
            var isExpression = false
            if let program = try? Parser.parse(file), program.statements.count == 1, case .expr = program.statements[0].kind {
                isExpression = true
            }
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
    public func interrupt() { interpreter.runtime.interrupt() }

    /// Stops every live agent (each `@on_stop` runs), then ends the loop and its thread.
    public func close() {
        guard !closed else { return }
        closed = true
        _ = onLoop { [interpreter] in interpreter.runtime.stopAllAgents() }
        interpreter.runtime.endServing()
        loopThreadDone.wait()
    }

    /// The live agents with their schedules (read on the loop, waiting at most half a second).
    public var agents: [AgentStatus] {
        guard case .success(let list)? = onLoop(timeout: 0.5, { [interpreter] in interpreter.liveAgents }) else { return [] }
        return list
    }

    /// Whether `text` is incomplete: an open bracket, brace, parenthesis or string, or a line
    /// that ends where the statement must go on (an operator, `=`, a comma).
    public static func needsMoreInput(_ text: String) -> Bool {
        var lexer = Lexer(file: SourceFile(path: "<repl>", text: text))
        let tokens = lexer.tokenize()
        if lexer.diagnostics.contains(where: { $0.message.hasPrefix("unterminated string") || $0.message.hasPrefix("unclosed") }) {
            return true
        }
        var depth = 0
        for t in tokens {
            switch t.kind {
            case .lbrace, .lbracket, .lparen: depth += 1
            case .rbrace, .rbracket, .rparen: depth -= 1
            default: break
            }
        }
        if depth > 0 { return true }
        let significant = tokens.filter { $0.kind != .eof && $0.kind != .newline }
        if let last = significant.last, Lexer.continuesAfter.contains(last.kind) && last.kind != .newline { return true }
        return false
    }

    /// The session's own bindings (not built-ins or std modules), with their values, by name.
    public var bindings: [(name: String, value: Value)] {
        let result = onLoop(timeout: 0.5) { [interpreter] () -> [(name: String, value: Value)] in
            let table = interpreter.globals
            return table.nameList.compactMap { name in
                guard let v = table[name] else { return nil }
                if Interpreter.builtinNames.contains(name) || name == "Message" { return nil }
                if case .module(let m) = v, Interpreter.stdModuleNames.contains(m.name), m.name == name { return nil }
                return (name, v)
            }.sorted { $0.name < $1.name }
        }
        guard case .success(let list)? = result else { return [] }
        return list
    }

    /// Tab completion: the words that can replace `word` (the text before the cursor back to a
    /// space or bracket), given the lines of a multi-line input typed so far. `module.` lists the
    /// module's members, `self.` the fields of the agent being declared, `name.` a record's fields
    /// or an agent's state; otherwise keywords and names in scope.
    public func completions(of word: String, pending: String = "") -> [String] {
        let result = onLoop(timeout: 0.5) { [interpreter] () -> [String] in
            Session.candidates(word, pending: pending, interpreter: interpreter)
        }
        guard case .success(let list)? = result else { return [] }
        return list
    }

    static func candidates(_ word: String, pending: String, interpreter: Interpreter) -> [String] {
        let table = interpreter.globals
        if let dot = word.lastIndex(of: ".") {
            let base = String(word[..<dot]), partial = String(word[word.index(after: dot)...])
            var names: [String] = []
            if base == "self" {
                names = selfFields(pending: pending, interpreter: interpreter)
            } else if let v = table[base] {
                switch v {
                case .module(let m): names = Array(m.members.keys)
                case .structure(let s): names = Array(s.fields.keys)
                case .agent(let a):
                    names = a.stateFields.map(\.name) + Array(a.handlers.keys) + Array(a.tasks.keys)
                case .type(let info):
                    if case .enumeration(let variants) = info.shape { names = variants.map(\.0) }
                case .map(let m):
                    names = m.keys.compactMap { if case .str(let s) = $0 { return s } else { return nil } }
                default: break
                }
            }
            return Set(names).filter { $0.hasPrefix(partial) }.sorted().map { base + "." + $0 }
        }
        var names = Set(TokenKind.keywordSpellings)
        for name in table.nameList where table[name] != nil { names.insert(name) }
        for name in Session.declaredNames(in: pending) { names.insert(name) }
        return names.filter { $0.hasPrefix(word) && $0 != word || $0 == word }.sorted()
    }

    /// State fields and tasks of the agent whose declaration is being typed (and, when an agent
    /// of that name is already declared, its fields too).
    static func selfFields(pending: String, interpreter: Interpreter) -> [String] {
        var lexer = Lexer(file: SourceFile(path: "<repl>", text: pending))
        let tokens = lexer.tokenize().filter { $0.kind != .newline }
        guard let at = tokens.lastIndex(where: { $0.kind == .kwAgent }), at + 1 < tokens.count else { return [] }
        var names = Set<String>()
        if case .agent(let a)? = interpreter.globals[tokens[at + 1].lexeme] {
            names.formUnion(a.stateFields.map(\.name))
            names.formUnion(a.tasks.keys)
        }
        // In the text so far: `name:` directly inside `state { }`, and `task name`.
        var depth = 0, stateDepth: Int?
        for (k, t) in tokens.enumerated().dropFirst(at + 2) {
            switch t.kind {
            case .lbrace, .lparen, .lbracket:
                depth += 1
                if t.kind == .lbrace, k > 0, tokens[k - 1].kind == .kwState { stateDepth = depth }
            case .rbrace, .rparen, .rbracket:
                if depth == stateDepth { stateDepth = nil }
                depth -= 1
            case .identifier:
                if depth == stateDepth, k + 1 < tokens.count, tokens[k + 1].kind == .colon { names.insert(t.lexeme) }
                if k > 0, tokens[k - 1].kind == .kwTask { names.insert(t.lexeme) }
            default: break
            }
        }
        return Array(names)
    }

    /// Names a multi-line input declares before it is complete (`task f`, `x = `, `agent A`).
    static func declaredNames(in pending: String) -> [String] {
        var names: [String] = []
        for line in pending.split(separator: "\n") {
            let words = line.split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).map(String.init)
            if words.count >= 2, ["task", "agent", "type"].contains(words[0]) { names.append(words[1]) }
            if line.range(of: #"^\s*[A-Za-z_][A-Za-z0-9_]*\s*=[^=]"#, options: .regularExpression) != nil, let first = words.first {
                names.append(first)
            }
        }
        return names
    }
}
