import KeelSyntax

extension Resolver {
    /// Compiles an agent: every piece of code in it (state defaults, attributes, `@tools` guards,
    /// hooks, handlers, tasks) becomes a function whose `self` is the agent.
    func compileAgent(_ decl: AgentDecl) -> AgentInfo {
        let info = AgentInfo(name: decl.name, file: file, span: decl.span)
        let savedFs = fs
        var tools: (all: Bool, entries: [AgentDecl.ToolEntry]) = (false, [])
        for (attribute, _) in decl.attributes {
            if case .tools(let all, let entries) = attribute { tools = (all, entries) }
        }
        agentTools = (decl.name, tools.all, tools.entries)
        defer { agentTools = nil }
        // `self.field` compiles to a slot index: code in an agent always runs with that agent as `self`.
        var slots: [String: Int] = [:]
        for field in decl.state where slots[field.name] == nil { slots[field.name] = slots.count }
        agentSlots = slots
        defer { agentSlots = nil }
        fs = FunctionScope(parent: nil, proto: FunctionProto(name: decl.name, isLambda: false, file: file, span: decl.span),
                           isMain: false, inAgent: true)
        defer { fs = savedFs }

        func thunk(_ name: String, _ e: Expr) -> FunctionProto {
            function(name: name, isLambda: false, params: [], returnType: nil,
                     body: Block([Stmt(.expr(e), e.span)], e.span), span: e.span, parent: nil)
        }

        var seenState = Set<String>()
        for field in decl.state {
            if !seenState.insert(field.name).inserted {
                error("duplicate state field `\(field.name)`", field.span)
                continue
            }
            info.stateFields.append(.init(name: field.name, readonly: field.readonly, type: field.type.map(rtype),
                                          initial: thunk("\(decl.name).state.\(field.name)", field.defaultValue)))
        }
        for (attribute, span) in decl.attributes {
            switch attribute {
            case .tools(let all, let entries):
                info.allowAll = all
                for entry in entries {
                    if !StdModule.names.contains(entry.module) && interpreter.hostModules[entry.module] == nil {
                        error("unknown module `\(entry.module)` in @tools", entry.span)
                    }
                    info.tools.append(.init(module: entry.module, member: entry.member,
                                            condition: entry.condition.map { thunk("\(decl.name).@tools", $0) }))
                }
            case .block(let name, let block):
                let proto = function(name: "\(decl.name).@\(name)", isLambda: false, params: [], returnType: nil,
                                     body: block, span: span, parent: nil)
                if name == "on_start" { info.onStart = proto } else { info.onStop = proto }
            case .value("durable", let expr):
                guard case .bool(true) = expr.kind else {
                    error("@durable takes no value: write `@durable` on a line of its own", span)
                    continue
                }
                info.durable = true
            case .value("memory", let expr):
                var word: String?
                switch expr.kind {
                case .name(let n): word = n
                case .none: word = "none"
                case .string(let parts) where parts.count == 1: if case .text(let t) = parts[0] { word = t }
                default: break
                }
                guard let scope = word.flatMap(MemoryScope.init(rawValue:)) else {
                    error("@memory takes session, persistent or none", expr.span)
                    continue
                }
                info.memory = scope
            case .value(let name, let expr):
                info.attributes.append((name, thunk("\(decl.name).@\(name)", expr)))
            }
        }
        for handler in decl.handlers {
            if info.handlers[handler.event] != nil { error("duplicate handler `on \(handler.event)`", handler.span) }
            info.handlers[handler.event] = function(name: "\(decl.name).on \(handler.event)", isLambda: false,
                                                    params: handler.param.map { [$0] } ?? [], returnType: nil,
                                                    body: handler.body, span: handler.span, parent: nil)
        }
        for task in decl.tasks {
            if info.tasks[task.name] != nil { error("duplicate task `\(task.name)` in agent \(decl.name)", task.nameSpan) }
            info.tasks[task.name] = function(name: "\(decl.name).\(task.name)", isLambda: false, params: task.params,
                                             returnType: task.returnType, body: task.body ?? Block([], task.span),
                                             span: task.nameSpan, parent: nil, generics: task.generics)
        }
        return info
    }
}
