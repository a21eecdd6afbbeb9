/// Expressions, by precedence from loosest to tightest:
/// `??` · `|>` · `or` · `and` · comparisons · `..` · `+ -` · `* / %` · prefix `- not` · postfix.
extension Parser {
    /// The deepest expression tree the parser builds (operators, calls, fields and indexes inside
    /// one another); the passes after it recurse on the tree, so this bounds their stack.
    static let maxExpressionHeight = 5_000

    /// `e`, unless it is deeper than `maxExpressionHeight`.
    mutating func made(_ e: Expr) throws -> Expr {
        if e.height > Parser.maxExpressionHeight {
            throw error("expression is too deep (more than \(Parser.maxExpressionHeight) operators, calls or fields inside one another); split it into steps",
                        at: e.span)
        }
        return e
    }

    package mutating func parseExpression() throws -> Expr {
        try nest(); defer { depth -= 1 }
        return try parseBinaryLevel(0)
    }

    static let levels: [[TokenKind: BinaryOp]] = [
        [.questionQuestion: .coalesce],
        [.pipe: .pipe],
        [.kwOr: .or],
        [.kwAnd: .and],
    ]

    mutating func parseBinaryLevel(_ level: Int) throws -> Expr {
        if level == Parser.levels.count { return try parseComparison() }
        var left = try parseBinaryLevel(level + 1)
        while let op = Parser.levels[level][peek.kind] {
            advance()
            skipNewlines()
            let right = try parseBinaryLevel(level + 1)
            left = try made(Expr(.binary(op, left, right), left.span.to(right.span)))
        }
        return left
    }

    static let comparisons: [TokenKind: BinaryOp] = [.eq: .eq, .neq: .neq, .lt: .lt, .le: .le, .gt: .gt, .ge: .ge]

    mutating func parseComparison() throws -> Expr {
        let left = try parseRange()
        guard let op = Parser.comparisons[peek.kind] else { return left }
        advance()
        let right = try parseRange()
        if Parser.comparisons[peek.kind] != nil {
            throw error("comparisons do not chain: write `a < b and b < c`")
        }
        return try made(Expr(.binary(op, left, right), left.span.to(right.span)))
    }

    mutating func parseRange() throws -> Expr {
        let left = try parseAdditive()
        guard match(.dotDot) else { return left }
        let right = try parseAdditive()
        if check(.dotDot) { throw error("ranges do not chain") }
        return try made(Expr(.range(left, right), left.span.to(right.span)))
    }

    mutating func parseAdditive() throws -> Expr {
        var left = try parseMultiplicative()
        while check(.plus) || check(.minus) {
            let op: BinaryOp = advance().kind == .plus ? .add : .sub
            let right = try parseMultiplicative()
            left = try made(Expr(.binary(op, left, right), left.span.to(right.span)))
        }
        return left
    }

    mutating func parseMultiplicative() throws -> Expr {
        var left = try parseUnary()
        while check(.star) || check(.slash) || check(.percent) {
            let kind = advance().kind
            let op: BinaryOp = kind == .star ? .mul : kind == .slash ? .div : .mod
            let right = try parseUnary()
            left = try made(Expr(.binary(op, left, right), left.span.to(right.span)))
        }
        return left
    }

    mutating func parseUnary() throws -> Expr {
        if check(.minus) || check(.kwNot) {
            try nest(); defer { depth -= 1 }
            let t = advance()
            let operand = try parseUnary()
            return Expr(.unary(t.kind == .minus ? .negate : .not, operand), t.span.to(operand.span))
        }
        return try parsePostfix()
    }

    // MARK: postfix

    mutating func parsePostfix() throws -> Expr {
        var expr = try parsePrimary()
        while true {
            switch peek.kind {
            case .dot, .questionDot:
                let optional = advance().kind == .questionDot
                expr = try parseMember(of: expr, optional: optional)
            case .lparen:
                advance()
                let args = try parseArguments()
                expr = try made(Expr(.call(expr, args), expr.span.to(previous.span)))
            case .lbracket:
                advance()
                skipNewlines()
                let index = try parseExpression()
                skipNewlines()
                try expect(.rbracket, "']' to close the index")
                expr = try made(Expr(.index(expr, index), expr.span.to(previous.span)))
            case .bang:
                expr = try made(Expr(.unwrap(expr), expr.span.to(advance().span)))
            case .kwAs:
                advance()
                let type = try parseType()
                expr = try made(Expr(.cast(expr, type), expr.span.to(type.span)))
            default:
                return expr
            }
        }
    }

    mutating func parseMember(of expr: Expr, optional: Bool) throws -> Expr {
        if !optional, check(.int) {
            let t = advance()
            guard let i = Int(t.lexeme) else { throw error("tuple index is too large", at: t.span) }
            return try made(Expr(.tupleIndex(expr, i), expr.span.to(t.span)))
        }
        if check(.float) {
            throw error("`t.0.1` reads as a float; write `(t.0).1`", at: peek.span)
        }
        // Any word may follow a dot: `data.none`, `ticket.type`.
        let name = peek.kind.isKeyword ? advance() : try expectName("a field or method name after '.'")
        // `5.minutes`: a duration literal.
        if !optional, case .int(let count) = expr.kind, let unit = DurationUnit.spellings[name.lexeme], !check(.lparen) {
            return Expr(.duration(count: count, unit: unit), expr.span.to(name.span))
        }
        if !optional, case .float = expr.kind, DurationUnit.spellings[name.lexeme] != nil {
            throw error("a duration needs a whole number: write `90.minutes`, not `1.5.hours`", at: expr.span.to(name.span))
        }
        if match(.lparen) {
            let args = try parseArguments()
            return try made(Expr(.methodCall(expr, name: name.lexeme, args: args, optional: optional), expr.span.to(previous.span)))
        }
        // `Action.reply { to: "x" }`: a rich enum value.
        if !optional, !noBraceLiteral, check(.lbrace), case .name(let typeName) = expr.kind,
           typeName.first?.isUppercase == true {
            advance()
            var fields: [(String, Expr)] = []
            skipNewlines()
            while !check(.rbrace) {
                let f = try expectName("a field name")
                try expect(.colon, "':' after the field name")
                fields.append((f.lexeme, try parseExpression()))
                if !match(.comma) && !match(.newline) { break }
                skipNewlines()
            }
            try expect(.rbrace, "'}' to close the variant fields")
            return Expr(.variant(type: typeName, name: name.lexeme, fields: fields), expr.span.to(previous.span))
        }
        return try made(Expr(.field(expr, name: name.lexeme, optional: optional), expr.span.to(name.span)))
    }

    /// Arguments after `(`, up to and including `)`: positional, `label: value`, `...spread`.
    mutating func parseArguments() throws -> [Argument] {
        let saved = noBraceLiteral
        noBraceLiteral = false
        defer { noBraceLiteral = saved }
        var args: [Argument] = []
        skipNewlines()
        while !check(.rparen) {
            if match(.ellipsis) {
                args.append(Argument(label: nil, value: try parseExpression(), spread: true))
            } else if (check(.identifier) || Parser.softKeywords.contains(peek.kind)) && peekKind(1) == .colon {
                let label = advance().lexeme
                advance()
                skipNewlines()
                args.append(Argument(label: label, value: try parseExpression(), spread: false))
            } else {
                args.append(Argument(label: nil, value: try parseExpression(), spread: false))
            }
            skipNewlines()
            if !match(.comma) { break }
            skipNewlines()
        }
        try expect(.rparen, "')' to close the argument list")
        return args
    }
}
