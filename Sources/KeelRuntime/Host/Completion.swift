import Foundation
import KeelSyntax

/// Tab completion for the REPL, computed on the session's loop (it reads the globals the loop's
/// inputs change).
extension Session {
    /// Tab completion: the words that can replace `word` (the text before the cursor back to a
    /// space or bracket), given the lines of a multi-line input typed so far. `module.` lists the
    /// module's members, `self.` the fields of the agent being declared, `name.` a record's fields
    /// or an agent's state; otherwise keywords and names in scope.
    package func completions(of word: String, pending: String = "") -> [String] {
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
        return names.filter { $0.hasPrefix(word) }.sorted()
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
