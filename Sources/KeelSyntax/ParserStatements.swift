/// Statements and declarations.
extension Parser {
    mutating func parseStatement() throws -> Stmt {
        let start = peek.span
        switch peek.kind {
        case .kwTask:
            return Stmt(.task(try parseTask(requireBody: true)), start.to(previous.span))
        case .kwType: return try parseTypeDecl()
        case .kwUse: return try parseUse()
        case .kwAgent: return try parseAgent()
        case .kwInterface: return try parseInterface()
        case .kwImpl: return try parseImpl()
        case .kwExtern:
            throw error("`extern` tasks (native plugins) are not supported by this interpreter")
        case .kwFor: return try parseFor()
        case .kwWhile:
            advance()
            let cond = try parseHead()
            let body = try parseBlock()
            return Stmt(.whileLoop(cond: cond, body: body), start.to(body.span))
        case .kwBreak: advance(); return Stmt(.breakLoop, start)
        case .kwContinue: advance(); return Stmt(.continueLoop, start)
        case .kwReturn:
            advance()
            if check(.newline) || check(.rbrace) || check(.eof) { return Stmt(.returnValue(nil), start) }
            let value = try parseExpression()
            return Stmt(.returnValue(value), start.to(value.span))
        case .kwRaise:
            advance()
            let value = try parseExpression()
            return Stmt(.raise(value), start.to(value.span))
        case .lbrace where isDestructuringAssignment():
            let target = AssignTarget.structure(try parseFieldBindings())
            try expect(.assign, "'=' after a destructuring pattern")
            let value = try parseExpression()
            return Stmt(.assign(target, type: nil, value: value), start.to(value.span))
        case .lparen where isDestructuringAssignment():
            let target = try parseTuplePattern()
            try expect(.assign, "'=' after a tuple pattern")
            let value = try parseExpression()
            return Stmt(.assign(target, type: nil, value: value), start.to(value.span))
        case .identifier where peek.lexeme == "test" && peekKind(1) == .string:
            return try parseTest()
        case .identifier where peek.lexeme == "setup" && peekKind(1) == .lbrace:
            advance()
            let block = try parseBlock()
            return Stmt(.setup(block), start.to(block.span))
        case .identifier where peek.lexeme == "assert" && Parser.startsAssertion.contains(peekKind(1)):
            advance()
            let cond = try parseExpression()
            var message: Expr?
            if match(.comma) { message = try parseExpression() }
            return Stmt(.assert(cond, message: message), start.to(previous.span))
        default:
            return try parseExpressionStatement()
        }
    }

    /// After `assert`, these begin its condition (so a variable named `assert` can still be assigned).
    static let startsAssertion: Set<TokenKind> = [
        .identifier, .int, .float, .string, .kwTrue, .kwFalse, .kwNone, .kwNot, .minus, .lparen, .lbracket,
        .kwSelf, .kwSet, .kwIf, .kwWhen,
    ]

    mutating func parseTest() throws -> Stmt {
        let start = advance().span
        let nameToken = advance()
        var name = ""
        for piece in nameToken.pieces {
            guard case .text(let t) = piece else { throw error("a test name cannot interpolate", at: nameToken.span) }
            name += t
        }
        var loop: (variable: String, values: Expr)?
        if match(.kwFor) {
            let v = try expect(.identifier, "a loop variable").lexeme
            try expect(.kwIn, "'in'")
            loop = (v, try parseHead())
        }
        let body = try parseBlock()
        return Stmt(.test(name: name, loop: loop, body: body), start.to(body.span))
    }

    /// `{a, b} = x` or `(a, b) = x`: look past the balanced group for `=`.
    func isDestructuringAssignment() -> Bool {
        var i = current, depth = 0
        while i < tokens.count {
            switch tokens[i].kind {
            case .lbrace, .lparen, .lbracket: depth += 1
            case .rbrace, .rparen, .rbracket:
                depth -= 1
                if depth == 0 { return i + 1 < tokens.count && tokens[i + 1].kind == .assign }
            case .eof, .newline: return false
            default: break
            }
            i += 1
        }
        return false
    }

    mutating func parseExpressionStatement() throws -> Stmt {
        let expr = try parseExpression()
        var type: TypeExpr?
        if check(.colon), case .name = expr.kind {
            advance()
            type = try parseType()
            guard check(.assign) else { throw error("expected '=' after the type annotation") }
        }
        if match(.assign) {
            let target = try assignTarget(expr)
            let value = try parseExpression()
            return Stmt(.assign(target, type: type, value: value), expr.span.to(value.span))
        }
        let augmented: [TokenKind: BinaryOp] = [
            .plusAssign: .add, .minusAssign: .sub, .starAssign: .mul, .slashAssign: .div, .percentAssign: .mod,
        ]
        if let op = augmented[peek.kind] {
            advance()
            let target = try assignTarget(expr)
            if case .structure = target { throw error("augmented assignment needs a name or field", at: expr.span) }
            let value = try parseExpression()
            return Stmt(.augAssign(target, op, value), expr.span.to(value.span))
        }
        return Stmt(.expr(expr), expr.span)
    }

    mutating func assignTarget(_ expr: Expr) throws -> AssignTarget {
        switch expr.kind {
        case .name(let n): return .name(n, expr.span)
        case .field(let obj, let name, optional: false): return .field(obj, name)
        case .index(let obj, let key): return .index(obj, key)
        default: throw error("cannot assign to this expression", at: expr.span)
        }
    }

    mutating func parseFieldBindings() throws -> [FieldBinding] {
        try expect(.lbrace, "'{'")
        var fields: [FieldBinding] = []
        skipNewlines()
        while !check(.rbrace) {
            let name = try expectName("a field name")
            var binding = name.lexeme
            if match(.colon) { binding = try expect(.identifier, "a name to bind the field to").lexeme }
            fields.append(FieldBinding(field: name.lexeme, binding: binding, span: name.span))
            if !match(.comma) { break }
            skipNewlines()
        }
        skipNewlines()
        try expect(.rbrace, "'}' to close the pattern")
        return fields
    }

    mutating func parseTuplePattern() throws -> AssignTarget {
        try expect(.lparen, "'('")
        var names: [(String, Span)] = []
        repeat {
            let t = try expect(.identifier, "a name in the tuple pattern")
            names.append((t.lexeme, t.span))
        } while match(.comma)
        try expect(.rparen, "')' to close the tuple pattern")
        if names.count < 2 { throw error("a tuple pattern needs at least two names", at: names.first?.1) }
        return .tuple(names)
    }

    mutating func parseFor() throws -> Stmt {
        let start = advance().span
        let pattern: AssignTarget
        if check(.lbrace) { pattern = .structure(try parseFieldBindings()) }
        else if check(.lparen) { pattern = try parseTuplePattern() }
        else {
            let t = try expect(.identifier, "a loop variable")
            pattern = .name(t.lexeme, t.span)
        }
        try expect(.kwIn, "'in' after the loop variable")
        let iterable = try parseHead()
        var filter: Expr?
        if match(.kwIf) { filter = try parseHead() }
        let body = try parseBlock()
        return Stmt(.forLoop(pattern: pattern, iterable: iterable, filter: filter, body: body), start.to(body.span))
    }

    /// An expression before a block (`if c {`): braces there open the block.
    mutating func parseHead() throws -> Expr {
        let saved = noBraceLiteral
        noBraceLiteral = true
        defer { noBraceLiteral = saved }
        return try parseExpression()
    }

    // MARK: declarations

    mutating func parseTask(requireBody: Bool) throws -> TaskDecl {
        let start = try expect(.kwTask, "'task'").span
        let nameTok = try expectName("a task name")
        var generics: [String] = []
        if match(.lbracket) {
            repeat { generics.append(try expect(.identifier, "a type parameter").lexeme) } while match(.comma)
            try expect(.rbracket, "']'")
        }
        try expect(.lparen, "'(' after the task name")
        let params = try parseParams(closing: .rparen)
        var returnType: TypeExpr?
        if match(.arrow) { returnType = try parseType() }
        var body: Block?
        if check(.lbrace) { body = try parseBlock() }
        else if requireBody { throw error("expected '{' to start the body of task `\(nameTok.lexeme)`") }
        return TaskDecl(name: nameTok.lexeme, generics: generics, params: params, returnType: returnType,
                        body: body, span: start.to(previous.span), nameSpan: nameTok.span)
    }

    /// Parameters up to (and including) `closing`.
    mutating func parseParams(closing: TokenKind) throws -> [Param] {
        var params: [Param] = []
        skipNewlines()
        while !check(closing) {
            let start = peek.span
            let variadic = match(.ellipsis)
            var binding: Param.Binding
            if check(.lbrace) { binding = .structure(try parseFieldBindings()) }
            else if match(.kwSelf) { binding = .name("self") }
            else { binding = .name(try expectName("a parameter name").lexeme) }
            var type: TypeExpr?
            if match(.colon) { type = try parseType() }
            var def: Expr?
            if match(.assign) { def = try parseExpression() }
            if let last = params.last, last.variadic {
                throw error("variadic parameter `...\(last.name)` must be the last parameter", at: last.span)
            }
            params.append(Param(binding: binding, type: type, defaultValue: def, variadic: variadic, span: start.to(previous.span)))
            if !match(.comma) { break }
            skipNewlines()
        }
        try expect(closing, "'\(closing.rawValue)' to close the parameter list")
        return params
    }

    mutating func parseTypeDecl() throws -> Stmt {
        let start = advance().span
        let name = try expect(.identifier, "a type name").lexeme
        var generics: [String] = []
        if match(.lbracket) {
            repeat { generics.append(try expect(.identifier, "a type parameter").lexeme) } while match(.comma)
            try expect(.rbracket, "']'")
        }
        let body: TypeDecl.Body
        if check(.lbrace) {
            body = .structure(try parseStructFields())
        } else {
            try expect(.assign, "'=' or '{' after the type name")
            body = try parseTypeBody()
        }
        return Stmt(.type(TypeDecl(name: name, generics: generics, body: body, span: start.to(previous.span))), start.to(previous.span))
    }

    mutating func parseStructFields() throws -> [(String, TypeExpr)] {
        try expect(.lbrace, "'{'")
        var fields: [(String, TypeExpr)] = []
        skipNewlines()
        while !check(.rbrace) {
            let name = try expectName("a field name").lexeme
            try expect(.colon, "':' after the field name")
            fields.append((name, try parseType()))
            if !match(.comma) && !match(.newline) { break }
            skipNewlines()
        }
        try expect(.rbrace, "'}' to close the fields")
        return fields
    }

    /// After `type X =`: an enum (`a | b`, `| a {..} | b`) or an alias.
    mutating func parseTypeBody() throws -> TypeDecl.Body {
        let leadingBar = match(.bar)
        // `a | b` where `a` is a plain name followed by `|`, `{`, or (with a leading bar) anything.
        let looksLikeEnum = leadingBar || (check(.identifier) && (peekKind(1) == .bar))
        guard looksLikeEnum else { return .alias(try parseType()) }
        var variants: [(String, [(String, TypeExpr)]?)] = []
        repeat {
            let name = try expectName("a variant name")
            var fields: [(String, TypeExpr)]?
            if check(.lbrace) { fields = try parseStructFields() }
            variants.append((name.lexeme, fields))
        } while match(.bar)
        if variants.count < 2 && !leadingBar { throw error("enum needs at least two variants") }
        return .enumeration(variants)
    }

    mutating func parseUse() throws -> Stmt {
        let start = advance().span
        var symbols: [(name: String, alias: String?, span: Span)] = []
        // Symbol import: `use a, b as c from <source>`.
        if check(.identifier), isSymbolImport() {
            repeat {
                let t = try expectName("a name to import")
                var alias: String?
                if match(.kwAs) { alias = try expect(.identifier, "an alias").lexeme }
                symbols.append((t.lexeme, alias, t.span))
            } while match(.comma)
            try expect(.kwFrom, "'from'")
        }
        let source = try parseUseSource()
        var alias: String?
        if symbols.isEmpty, match(.kwAs) { alias = try expect(.identifier, "an alias after 'as'").lexeme }
        let span = start.to(previous.span)
        return Stmt(.use(UseDecl(source: source, alias: alias, symbols: symbols, span: span)), span)
    }

    func isSymbolImport() -> Bool {
        var i = current
        while i < tokens.count, tokens[i].kind != .newline, tokens[i].kind != .eof {
            if tokens[i].kind == .kwFrom { return true }
            if tokens[i].kind == .slash { return false }
            i += 1
        }
        return false
    }

    mutating func parseUseSource() throws -> UseDecl.Source {
        if check(.string) {
            let t = advance()
            var text = ""
            for piece in t.pieces {
                guard case .text(let s) = piece else { throw error("a module path cannot interpolate", at: t.span) }
                text += s
            }
            return .file(text)
        }
        let root = try expect(.identifier, "a module path such as std/io or \"./file.keel\"")
        guard root.lexeme == "std" || root.lexeme == "host" else {
            throw error("unknown module root `\(root.lexeme)`: write `use std/<name>`, `use host/<name>` or `use \"./file.keel\"`", at: root.span)
        }
        try expect(.slash, "'/' after \(root.lexeme)")
        let name = try expectName("a module name")
        return root.lexeme == "std" ? .std(name.lexeme) : .host(name.lexeme)
    }

    mutating func parseInterface() throws -> Stmt {
        let start = advance().span
        let name = try expect(.identifier, "an interface name").lexeme
        try expect(.lbrace, "'{'")
        skipNewlines()
        var tasks: [TaskDecl] = []
        while check(.kwTask) {
            tasks.append(try parseTask(requireBody: false))
            skipNewlines()
        }
        try expect(.rbrace, "'}' to close the interface")
        return Stmt(.interface(name: name, tasks: tasks), start.to(previous.span))
    }

    mutating func parseImpl() throws -> Stmt {
        let start = advance().span
        let iface = try expect(.identifier, "an interface name").lexeme
        try expect(.kwFor, "'for' after the interface name")
        let typeName = try expect(.identifier, "a type name").lexeme
        try expect(.lbrace, "'{'")
        skipNewlines()
        var tasks: [TaskDecl] = []
        while check(.kwTask) {
            tasks.append(try parseTask(requireBody: true))
            skipNewlines()
        }
        try expect(.rbrace, "'}' to close the impl")
        let span = start.to(previous.span)
        return Stmt(.impl(ImplDecl(interface: iface, typeName: typeName, tasks: tasks, span: span)), span)
    }
}
