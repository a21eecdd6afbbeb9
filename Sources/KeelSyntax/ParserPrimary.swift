/// Primary expressions: literals, names, groups, collections, lambdas, `if`, `when`, `try`.
extension Parser {
    mutating func parsePrimary() throws -> Expr {
        let t = peek
        switch t.kind {
        case .int:
            advance()
            guard let v = Int(t.lexeme) else { throw error("integer literal `\(t.lexeme)` overflows 64 bits", at: t.span) }
            return Expr(.int(v), t.span)
        case .float:
            advance()
            guard let v = Double(t.lexeme), v.isFinite else {
                throw error("float literal `\(t.lexeme.count > 40 ? t.lexeme.prefix(40) + "…" : Substring(t.lexeme))` is too large for a 64-bit float", at: t.span)
            }
            return Expr(.float(v), t.span)
        case .string:
            advance()
            return try parseString(t)
        case .kwTrue: advance(); return Expr(.bool(true), t.span)
        case .kwFalse: advance(); return Expr(.bool(false), t.span)
        case .kwNone: advance(); return Expr(.none, t.span)
        case .kwSelf: advance(); return Expr(.selfRef, t.span)
        case .identifier:
            advance()
            if check(.fatArrow) && !noBareLambda {
                let param = Param(binding: .name(t.lexeme), type: nil, defaultValue: nil, variadic: false, span: t.span)
                return try parseLambdaBody(params: [param], start: t.span)
            }
            return Expr(.name(t.lexeme), t.span)
        case .lparen:
            if isLambdaHead() {
                advance()
                let params = try parseParams(closing: .rparen)
                return try parseLambdaBody(params: params, start: t.span)
            }
            return try parseGroupOrTuple()
        case .lbracket:
            advance()
            let items = try parseList(closing: .rbracket)
            return Expr(.list(items), t.span.to(previous.span))
        case .kwSet:
            advance()
            try expect(.lbracket, "'[' after set")
            let items = try parseList(closing: .rbracket)
            return Expr(.set(items), t.span.to(previous.span))
        case .lbrace where !noBraceLiteral:
            return try parseMapLiteral()
        case .kwIf: return try parseIf()
        case .kwWhen: return try parseWhen()
        case .kwTry: return try parseTry()
        default:
            throw error("expected an expression, found \(describe(t))")
        }
    }

    /// `( ... ) =>` starts a lambda.
    func isLambdaHead() -> Bool {
        var i = current, depth = 0
        while i < tokens.count {
            switch tokens[i].kind {
            case .lparen: depth += 1
            case .rparen:
                depth -= 1
                if depth == 0 { return i + 1 < tokens.count && tokens[i + 1].kind == .fatArrow }
            case .eof: return false
            default: break
            }
            i += 1
        }
        return false
    }

    mutating func parseLambdaBody(params: [Param], start: Span) throws -> Expr {
        try expect(.fatArrow, "'=>'")
        let body: Block
        if check(.lbrace) {
            body = try parseBlock()
        } else {
            let e = try parseExpression()
            body = Block([Stmt(.expr(e), e.span)], e.span)
        }
        return Expr(.lambda(params: params, body: body), start.to(previous.span))
    }

    mutating func parseGroupOrTuple() throws -> Expr {
        let open = advance().span
        let saved = noBraceLiteral
        noBraceLiteral = false
        defer { noBraceLiteral = saved }
        skipNewlines()
        if match(.rparen) { return Expr(.none, open.to(previous.span)) }
        let first = try parseExpression()
        skipNewlines()
        if match(.rparen) { return first }
        var items = [first]
        while match(.comma) {
            skipNewlines()
            if check(.rparen) { break }
            items.append(try parseExpression())
            skipNewlines()
        }
        try expect(.rparen, "')' to close the tuple")
        return Expr(.tuple(items), open.to(previous.span))
    }

    mutating func parseList(closing: TokenKind) throws -> [Expr] {
        let saved = noBraceLiteral
        noBraceLiteral = false
        defer { noBraceLiteral = saved }
        var items: [Expr] = []
        skipNewlines()
        while !check(closing) {
            items.append(try parseExpression())
            let separated = match(.comma)
            skipNewlines()
            if !separated && previous.kind != .newline && !check(closing) {
                throw error("expected ',' or '\(closing.rawValue)' in the list, found \(describe(peek))")
            }
        }
        try expect(closing, "'\(closing.rawValue)'")
        return items
    }

    mutating func parseMapLiteral() throws -> Expr {
        let open = advance().span
        var entries: [(MapKeyLiteral, Expr)] = []
        var spread: Expr?
        skipNewlines()
        while !check(.rbrace) {
            if match(.ellipsis) {
                if spread != nil || !entries.isEmpty { throw error("a spread `...base` must come first, and only once", at: previous.span) }
                spread = try parseExpression()
            } else {
                let key: MapKeyLiteral
                let k = peek
                switch k.kind {
                case .string: advance(); key = .string(try parseString(k))
                case .int:
                    advance()
                    guard let v = Int(k.lexeme) else { throw error("integer key overflows 64 bits", at: k.span) }
                    key = .int(v)
                case .kwTrue: advance(); key = .bool(true)
                case .kwFalse: advance(); key = .bool(false)
                default: key = .name(try expectName("a key (a name, string, int or bool)").lexeme)
                }
                try expect(.colon, "':' after the key")
                skipNewlines()
                entries.append((key, try parseExpression()))
            }
            let separated = match(.comma)
            skipNewlines()
            if !separated && previous.kind != .newline && !check(.rbrace) {
                throw error("expected ',' or '}' in the map, found \(describe(peek))")
            }
        }
        try expect(.rbrace, "'}' to close the map")
        return Expr(.map(entries: entries, spread: spread), open.to(previous.span))
    }

    mutating func parseIf() throws -> Expr {
        let start = advance().span
        let cond = try parseHead()
        let then = try parseBlock()
        var elseBlock: Block?
        if match(.kwElse) {
            if check(.kwIf) {
                let nested = try parseIf()
                elseBlock = Block([Stmt(.expr(nested), nested.span)], nested.span)
            } else {
                elseBlock = try parseBlock()
            }
        }
        return Expr(.ifElse(cond: cond, then: then, else: elseBlock), start.to(previous.span))
    }

    mutating func parseTry() throws -> Expr {
        let start = advance().span
        let body = try parseBlock()
        var catches: [CatchClause] = []
        while match(.kwCatch) {
            let cstart = previous.span
            let name = try expect(.identifier, "a name for the caught error").lexeme
            var typeName: String?
            if match(.colon) { typeName = try expect(.identifier, "an error type").lexeme }
            let block = try parseBlock()
            catches.append(CatchClause(name: name, typeName: typeName, body: block, span: cstart.to(block.span)))
        }
        if catches.isEmpty { throw error("`try` needs at least one `catch name: Type { ... }` clause") }
        return Expr(.tryCatch(body: body, catches: catches), start.to(previous.span))
    }

    // MARK: when

    mutating func parseWhen() throws -> Expr {
        let start = advance().span
        let subject = try parseHead()
        try expect(.lbrace, "'{' after the `when` subject")
        var arms: [WhenArm] = []
        skipNewlines()
        while !check(.rbrace) && !check(.eof) {
            var patterns: [Pattern] = []
            repeat {
                skipNewlines()
                patterns.append(try parsePattern())
            } while match(.comma)
            var guardExpr: Expr?
            if match(.kwWhere) {
                // In a guard, `x => ...` is the arm's arrow, not a lambda.
                let saved = noBareLambda
                noBareLambda = true
                defer { noBareLambda = saved }
                guardExpr = try parseExpression()
            }
            try expect(.fatArrow, "'=>' after the pattern")
            let body: Block
            if check(.lbrace) {
                body = try parseBlock()
            } else {
                let e = try parseExpression()
                body = Block([Stmt(.expr(e), e.span)], e.span)
            }
            arms.append(WhenArm(patterns: patterns, guardExpr: guardExpr, body: body))
            if !match(.newline) && !check(.rbrace) {
                throw error("expected a new line between `when` arms, found \(describe(peek))")
            }
            skipNewlines()
        }
        try expect(.rbrace, "'}' to close `when`")
        return Expr(.when(subject: subject, arms: arms), start.to(previous.span))
    }

    // An arm body that starts with `{` is a block; a map literal there needs parentheses.

    mutating func parsePattern() throws -> Pattern {
        let t = peek
        switch t.kind {
        case .identifier:
            advance()
            if t.lexeme == "_" { return Pattern(.wildcard, t.span) }
            var type: String?
            var name = t.lexeme
            if match(.dot) {
                type = name
                name = try expectName("a variant name").lexeme
            }
            if check(.lbrace) {
                let fields = try parseFieldBindings()
                return Pattern(.variantFields(type: type, name: name, fields: fields), t.span.to(previous.span))
            }
            return Pattern(.variant(type: type, name: name), t.span.to(previous.span))
        case .lbrace:
            return Pattern(.structure(try parseFieldBindings()), t.span.to(previous.span))
        case .string, .int, .float, .kwTrue, .kwFalse, .kwNone:
            return Pattern(.literal(try parsePrimary()), t.span)
        case .minus:
            advance()
            let lit = try parsePrimary()
            switch lit.kind {
            case .int, .float: return Pattern(.literal(Expr(.unary(.negate, lit), t.span.to(lit.span))), t.span.to(lit.span))
            default: throw error("expected a number after '-' in a pattern", at: lit.span)
            }
        default:
            throw error("expected a pattern (a variant name, `_`, `{ fields }`, or a literal), found \(describe(t))")
        }
    }

    // MARK: strings

    static let namesInSlots: Set<TokenKind> = [.kwFrom, .kwType, .kwState, .kwOn, .kwUse]

    mutating func parseString(_ t: Token) throws -> Expr {
        var parts: [StringPart] = []
        for piece in t.pieces {
            switch piece {
            case .text(let s): parts.append(.text(s))
            case .slot(let span, let format):
                var lexer = Lexer(file: file, range: span.start..<span.end)
                // Words that are keywords only where a declaration starts read as names inside a
                // slot (as in Keel: `{ body, from } = msg` then "{from}: {body}").
                let toks = lexer.tokenize().filter { $0.kind != .newline }.map { tok -> Token in
                    var tok = tok
                    if Parser.namesInSlots.contains(tok.kind) { tok.kind = .identifier }
                    return tok
                }
                diagnostics += lexer.diagnostics
                if !lexer.diagnostics.isEmpty { throw Failure() }
                var sub = Parser(file: file, tokens: toks)
                sub.depth = depth
                let e: Expr
                do {
                    e = try sub.parseExpression()
                    if !sub.check(.eof) { throw sub.error("unexpected \(sub.describe(sub.peek)) in interpolation") }
                } catch {
                    diagnostics += sub.diagnostics
                    throw Failure()
                }
                diagnostics += sub.diagnostics
                parts.append(.expr(e, format: format, span: span))
            }
        }
        return Expr(.string(parts), t.span)
    }

    // MARK: types

    package mutating func parseType() throws -> TypeExpr {
        try nest(); defer { depth -= 1 }
        var type = try parseTypeAtom()
        while check(.question) {
            type = TypeExpr(.nullable(type), type.span.to(advance().span))
        }
        return type
    }

    mutating func parseTypeAtom() throws -> TypeExpr {
        let t = peek
        switch t.kind {
        case .lparen:
            advance()
            var items: [TypeExpr] = []
            while !check(.rparen) {
                items.append(try parseType())
                if !match(.comma) { break }
            }
            try expect(.rparen, "')' in the type")
            if match(.arrow) {
                let result = try parseType()
                return TypeExpr(.function(params: items, result: result), t.span.to(result.span))
            }
            if items.count == 1 { return items[0] }
            if items.isEmpty { return TypeExpr(.named("none", args: []), t.span.to(previous.span)) }
            return TypeExpr(.tuple(items), t.span.to(previous.span))
        case .lbrace:
            let fields = try parseStructFields()
            return TypeExpr(.structure(fields), t.span.to(previous.span))
        case .identifier, .kwNone, .kwSet:
            advance()
            var args: [TypeExpr] = []
            if match(.lbracket) {
                repeat { args.append(try parseType()) } while match(.comma)
                try expect(.rbracket, "']' to close the type arguments")
            }
            return TypeExpr(.named(t.lexeme, args: args), t.span.to(previous.span))
        default:
            throw error("expected a type, found \(describe(t))")
        }
    }
}
