/// `agent Name { ... }`: attributes, state, tasks and event handlers.
extension Parser {
    mutating func parseAgent() throws -> Stmt {
        let start = advance().span
        let name = try expect(.identifier, "an agent name").lexeme
        try expect(.lbrace, "'{' after the agent name")
        var agent = AgentDecl(name: name, attributes: [], state: [], tasks: [], handlers: [], span: start)
        skipNewlines()
        while !check(.rbrace) && !check(.eof) {
            let before = current
            do {
                try parseAgentItem(&agent)
                try endStatement()
            } catch {
                synchronize()
                if current == before { advance() }
            }
            skipNewlines()
        }
        try expect(.rbrace, "'}' to close agent \(name)")
        agent.span = start.to(previous.span)
        return Stmt(.agent(agent), agent.span)
    }

    mutating func parseAgentItem(_ agent: inout AgentDecl) throws {
        let start = peek.span
        switch peek.kind {
        case .at:
            advance()
            let attr = try expectName("an attribute name")
            switch attr.lexeme {
            case "on_start", "on_stop":
                agent.attributes.append((.block(name: attr.lexeme, try parseBlock()), start.to(previous.span)))
            case "tools":
                agent.attributes.append((try parseTools(), start.to(previous.span)))
            default:
                // A bare attribute (`@durable` alone on its line) is a flag: its value is true.
                if check(.newline) || check(.rbrace) || check(.eof) {
                    agent.attributes.append((.value(name: attr.lexeme, Expr(.bool(true), attr.span)), start.to(attr.span)))
                    break
                }
                let value = try parseExpression()
                agent.attributes.append((.value(name: attr.lexeme, value), start.to(previous.span)))
            }
        case .kwState:
            advance()
            try expect(.lbrace, "'{' after state")
            skipNewlines()
            while !check(.rbrace) {
                let fstart = peek.span
                let fname = try expectName("a state field name")
                try expect(.colon, "':' and a type after the state field name")
                var readonly = false
                if check(.identifier), peek.lexeme == "readonly" { advance(); readonly = true }
                let type = try parseType()
                try expect(.assign, "'=' and a default value for state field `\(fname.lexeme)`")
                let value = try parseExpression()
                agent.state.append(.init(name: fname.lexeme, type: type, readonly: readonly, defaultValue: value, span: fstart.to(previous.span)))
                if !match(.newline) && !match(.comma) { break }
                skipNewlines()
            }
            try expect(.rbrace, "'}' to close state")
        case .kwTask:
            agent.tasks.append(try parseTask(requireBody: true))
        case .kwOn:
            advance()
            let event = try expectName("an event name")
            var param: Param?
            if match(.lparen) {
                let params = try parseParams(closing: .rparen)
                if params.count > 1 { throw error("an event handler takes at most one parameter", at: params[1].span) }
                param = params.first
            }
            let body = try parseBlock()
            agent.handlers.append(.init(event: event.lexeme, param: param, body: body, span: start.to(body.span)))
        default:
            throw error("expected an attribute (@name), state, task or `on` handler in agent body, found \(describe(peek))")
        }
    }

    mutating func parseTools() throws -> AgentDecl.Attribute {
        if check(.identifier), peek.lexeme == "all" { advance(); return .tools(all: true, entries: []) }
        try expect(.lbracket, "'[' or `all` after @tools")
        var entries: [AgentDecl.ToolEntry] = []
        skipNewlines()
        while !check(.rbracket) {
            let m = try expectName("a module name")
            var member: String?
            if match(.dot) { member = try expectName("a function name").lexeme }
            var cond: Expr?
            if match(.kwIf) { cond = try parseExpression() }
            entries.append(.init(module: m.lexeme, member: member, condition: cond, span: m.span.to(previous.span)))
            if !match(.comma) { break }
            skipNewlines()
        }
        skipNewlines()
        try expect(.rbracket, "']' to close @tools")
        return .tools(all: false, entries: entries)
    }
}
