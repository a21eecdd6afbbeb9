import KeelSyntax

/// An interactive session: inputs are compiled one after another against the same interpreter,
/// so bindings and declarations persist, and an input that is a single expression yields its
/// value. Every std module is bound without `use`.
public final class Session {
    public let interpreter: Interpreter
    private var inputCount = 0

    public init(options: Interpreter.Options = .init()) {
        interpreter = Interpreter(options: options)
        for name in Interpreter.stdModuleNames {
            if case .success(let m) = interpreter.stdModule(name) {
                interpreter.globals.values[interpreter.globals.index(of: name)] = .module(m)
            }
        }
    }

    public enum Outcome {
        /// The input was an expression: its value.
        case value(Value)
        /// Statements or declarations ran.
        case done
        case compileError([Diagnostic])
        case runtimeError(KeelError)
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
        let table = interpreter.globals
        return table.nameList.compactMap { name in
            guard let v = table[name] else { return nil }
            if Interpreter.builtinNames.contains(name) || name == "Message" { return nil }
            if case .module(let m) = v, Interpreter.stdModuleNames.contains(m.name), m.name == name { return nil }
            return (name, v)
        }.sorted { $0.name < $1.name }
    }

    /// Compiles and runs one input.
    public func evaluate(_ text: String) -> Outcome {
        inputCount += 1
        let file = SourceFile(path: "<input \(inputCount)>", text: text)
        let main: Function
        do {
            main = try interpreter.compile(file)
        } catch let list as DiagnosticList {
            return .compileError(list.diagnostics)
        } catch {
            return .compileError([Diagnostic("\(error)", at: .none, in: nil)])
        }
        var isExpression = false
        if let program = try? Parser.parse(file), program.statements.count == 1, case .expr = program.statements[0].kind {
            isExpression = true
        }
        do {
            let v = try interpreter.execute(main)
            return isExpression ? .value(v) : .done
        } catch let e as KeelError {
            return .runtimeError(e)
        } catch {
            return .runtimeError(KeelError(ErrorKind.base, "\(error)"))
        }
    }
}
