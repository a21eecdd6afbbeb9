/// Recursive-descent parser: tokens → `Program`. Reports every error it can recover from.
package struct Parser {
    struct Failure: Error {}

    let file: SourceFile
    var tokens: [Token]
    var current = 0
    var depth = 0
    package internal(set) var diagnostics: [Diagnostic] = []
    /// In `if`/`while`/`for`/`when` heads a `{` opens the body, never a literal.
    var noBraceLiteral = false
    /// In a `when` guard, `name =>` ends the guard instead of starting a lambda.
    var noBareLambda = false

    /// Deepest nesting of expressions and blocks before the parser gives up with a diagnostic.
    package static let maxNesting = 200

    package init(file: SourceFile, tokens: [Token]) {
        self.file = file
        self.tokens = tokens
    }

    /// Lexes and parses a whole file. Throws `DiagnosticList` if anything is wrong.
    package static func parse(_ file: SourceFile) throws -> Program {
        var lexer = Lexer(file: file)
        let tokens = lexer.tokenize()
        var parser = Parser(file: file, tokens: tokens)
        let statements = parser.parseProgram()
        let all = lexer.diagnostics + parser.diagnostics
        if !all.isEmpty { throw DiagnosticList(all.sorted { $0.span.start < $1.span.start }) }
        return Program(file: file, statements: statements)
    }

    package mutating func parseProgram() -> [Stmt] {
        var statements: [Stmt] = []
        skipNewlines()
        while !check(.eof) {
            let before = current
            do {
                statements.append(try parseStatement())
                try endStatement()
            } catch {
                synchronize()
            }
            if current == before { advance() }   // always make progress
            skipNewlines()
            if diagnostics.count >= 50 { break }
        }
        return statements
    }

    // MARK: token helpers

    var peek: Token { tokens[current] }
    func peekKind(_ ahead: Int = 0) -> TokenKind {
        let i = current + ahead
        return i < tokens.count ? tokens[i].kind : .eof
    }
    var previous: Token { tokens[max(0, current - 1)] }
    func check(_ kind: TokenKind) -> Bool { peek.kind == kind }

    @discardableResult
    mutating func advance() -> Token {
        let t = tokens[current]
        if current < tokens.count - 1 { current += 1 }
        return t
    }

    mutating func match(_ kinds: TokenKind...) -> Bool {
        if kinds.contains(peek.kind) { advance(); return true }
        return false
    }

    @discardableResult
    mutating func expect(_ kind: TokenKind, _ what: String) throws -> Token {
        if check(kind) { return advance() }
        throw error("expected \(what), found \(describe(peek))")
    }

    func describe(_ t: Token) -> String {
        switch t.kind {
        case .newline: return "end of line"
        case .eof: return "end of file"
        case .string: return "a string"
        case .identifier: return "'\(t.lexeme)'"
        default: return "'\(t.lexeme)'"
        }
    }

    mutating func error(_ message: String, at span: Span? = nil) -> Failure {
        diagnostics.append(Diagnostic(message, at: span ?? peek.span, in: file, incomplete: peek.kind == .eof))
        return Failure()
    }

    mutating func skipNewlines() { while check(.newline) { advance() } }

    /// A statement ends at a newline, before a `}`, or at the end of the file.
    mutating func endStatement() throws {
        if match(.newline) || check(.rbrace) || check(.eof) { return }
        throw error("expected end of line after statement, found \(describe(peek))")
    }

    /// Skips to the start of the next statement after an error.
    mutating func synchronize() {
        var braces = 0
        while !check(.eof) {
            switch peek.kind {
            case .lbrace: braces += 1
            case .rbrace:
                if braces == 0 { return }
                braces -= 1
            case .newline where braces == 0:
                advance(); return
            default: break
            }
            advance()
        }
    }

    mutating func nest() throws {
        depth += 1
        if depth > Parser.maxNesting {
            throw error("program nests too deeply (more than \(Parser.maxNesting) levels)")
        }
    }

    /// An identifier, or a keyword that may stand as a field/argument/key name.
    mutating func expectName(_ what: String) throws -> Token {
        if check(.identifier) { return advance() }
        if Parser.softKeywords.contains(peek.kind) { return advance() }
        throw error("expected \(what), found \(describe(peek))")
    }

    static let softKeywords: Set<TokenKind> = [
        .kwFrom, .kwAs, .kwIn, .kwWhere, .kwType, .kwOn, .kwState, .kwFor, .kwReturn, .kwSet, .kwAgent, .kwTask,
    ]

    // MARK: blocks

    mutating func parseBlock() throws -> Block {
        try nest(); defer { depth -= 1 }
        let open = try expect(.lbrace, "'{'")
        let saved = noBraceLiteral
        noBraceLiteral = false
        defer { noBraceLiteral = saved }
        var statements: [Stmt] = []
        skipNewlines()
        while !check(.rbrace) && !check(.eof) {
            let before = current
            do {
                statements.append(try parseStatement())
                try endStatement()
            } catch {
                synchronize()
                if current == before { advance() }
            }
            skipNewlines()
        }
        let close = try expect(.rbrace, "'}' to close the block opened at line \(file.location(of: open.span.start).line)")
        return Block(statements, open.span.to(close.span))
    }
}
