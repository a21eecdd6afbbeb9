import KeelSyntax

extension Resolver {
    func statement(_ s: Stmt) -> Node {
        let saved = statementPosition
        defer { statementPosition = saved }
        switch s.kind {
        case .expr(let e):
            switch e.kind {
            case .ifElse, .when, .tryCatch: break      // their blocks stay in statement position
            default: statementPosition = false
            }
            return expression(e)
        case .assign(let target, let typeExpr, let value):
            return assignment(target, typeExpr, value, s.span)
        case .augAssign(let target, let op, let value):
            statementPosition = false
            let rhs = expression(value)
            if case .name(let name, let span) = target {
                guard let storage = storageForUpdate(name, span) else {
                    error("cannot update `\(name)`: it is not defined (use `=` to create it)", span)
                    return ConstNode(.none, s.span)
                }
                return PlaceAssignNode(.variable(storage, name: name), rhs, op: op, s.span)
            }
            guard let place = place(target, s.span) else { return ConstNode(.none, s.span) }
            if case .stateSlot(let slot, let name) = place { return StateSlotAssignNode(slot, name, rhs, op: op, s.span) }
            return PlaceAssignNode(place, rhs, op: op, s.span)
        case .forLoop(let pattern, let iterable, let filter, let body):
            statementPosition = false
            let iter = expression(iterable)
            statementPosition = saved
            var binder: Binder = .tuple([])
            var filterNode: Node?
            loopDepth += 1
            let bodyNode = scopedBlock(body) {
                binder = self.binder(pattern, fresh: true)
                self.statementPosition = false
                filterNode = filter.map(self.expression)
                self.statementPosition = saved
            }
            loopDepth -= 1
            return ForNode(binder, iter, filterNode, bodyNode, s.span)
        case .whileLoop(let cond, let body):
            statementPosition = false
            let c = expression(cond)
            statementPosition = saved
            loopDepth += 1
            let b = scopedBlock(body)
            loopDepth -= 1
            return WhileNode(c, b, s.span)
        case .breakLoop:
            if loopDepth == 0 { error("`break` outside a loop", s.span) }
            return BreakNode(s.span)
        case .continueLoop:
            if loopDepth == 0 { error("`continue` outside a loop", s.span) }
            return ContinueNode(s.span)
        case .returnValue(let value):
            if !inTask { error("`return` outside a task or lambda", s.span) }
            if saved { return StatementReturnNode(value.map(expression), s.span) }
            return ReturnNode(value.map(expression), s.span)
        case .raise(let value):
            return RaiseNode(expression(value), s.span)
        case .task(let decl):
            if fs.isMain && fs.blocks.count == 1 { return ConstNode(.none, s.span) }  // hoisted
            error("tasks are declared at the top level of a file; use a lambda here", decl.nameSpan)
            return ConstNode(.none, s.span)
        case .assert(let cond, let message):
            statementPosition = false
            return AssertNode(expression(cond), message.map(expression), text: file.slice(cond.span), s.span)
        case .setup(let body):
            return block(body)
        case .test:
            if !(fs.isMain && fs.blocks.count == 1) { error("test blocks belong at the top level of a file", s.span) }
            return ConstNode(.none, s.span)   // compiled by `compileTests`; `keel run` ignores them
        case .type, .use, .agent, .interface, .impl:
            if !(fs.isMain && fs.blocks.count == 1) { error("declarations belong at the top level of a file", s.span) }
            return ConstNode(.none, s.span)   // handled by `declare`
        }
    }

    func assignment(_ target: AssignTarget, _ typeExpr: TypeExpr?, _ value: Expr, _ span: Span) -> Node {
        statementPosition = false
        switch target {
        case .name(let name, let nspan):
            if name == "_" { return expression(value) }
            if typeExpr == nil, case .methodCall(let recv, let method, let args, false) = value.kind,
               case .name(let rname) = recv.kind, rname == name, InPlaceUpdateNode.methods.contains(method),
               args.allSatisfy({ $0.label == nil && !$0.spread }),
               fs.lookupLocal(name) != nil || (fs.isMain && isGlobal(name)) {
                let storage = storageForAssignment(name, nspan)
                return InPlaceUpdateNode(storage, method: method, args: args.map { expression($0.value) },
                                         fallback: expression(value), span)
            }
            // Bind before compiling the value, so a lambda can call itself by this name.
            let storage = storageForAssignment(name, nspan)
            let v = expression(value)
            return AssignNode(storage, v, type: typeExpr.map(rtype), name: name, span)
        case .structure, .tuple:
            let v = expression(value)
            return DestructureNode(binder(target), v, span)
        case .field, .index:
            let v = expression(value)
            guard let place = place(target, span) else { return ConstNode(.none, span) }
            if case .stateSlot(let slot, let name) = place { return StateSlotAssignNode(slot, name, v, op: nil, span) }
            return PlaceAssignNode(place, v, op: nil, span)
        }
    }

    /// Binds the names of a loop variable or destructuring pattern.
    /// `fresh`: declare new names in the innermost block (loop variables) instead of updating.
    func binder(_ target: AssignTarget, fresh: Bool = false) -> Binder {
        let bind: (String, Span) -> Storage = { name, span in
            if name == "_" { return self.discard() }
            return fresh ? self.declareLocal(name, span) : self.storageForAssignment(name, span)
        }
        switch target {
        case .name(let name, let span): return .name(bind(name, span))
        case .structure(let fields): return .fields(fields.map { ($0.field, bind($0.binding, $0.span)) })
        case .tuple(let names): return .tuple(names.map { bind($0.0, $0.1) })
        case .field, .index:
            return .tuple([])
        }
    }

    func discard() -> Storage { .local(localGet(fs.declare("_"), .none)) }

    func place(_ target: AssignTarget, _ span: Span) -> Place? {
        switch target {
        case .name(let n, let s): return storageForUpdate(n, s).map { .variable($0, name: n) }
        case .field(let obj, let name):
            if case .selfRef = obj.kind, fs.lookupLocal("self") == nil {
                if !fs.inAgent { error("`self` is only available inside an agent", obj.span) }
                return selfPlace(name)
            }
            return placeOf(obj).map { .field($0, name) }
        case .index(let obj, let key): return placeOf(obj).map { .index($0, expression(key)) }
        default: return nil
        }
    }

    /// `self.name` as a place: a state slot when the agent declares that field.
    func selfPlace(_ name: String) -> Place {
        if let slot = agentSlots?[name] { return .stateSlot(slot, name) }
        return .selfField(name)
    }

    func placeOf(_ e: Expr) -> Place? {
        switch e.kind {
        case .name(let n):
            guard let s = storageForUpdate(n, e.span) else { error(undefinedMessage(n), e.span); return nil }
            return .variable(s, name: n)
        case .selfRef:
            if let v = fs.lookupLocal("self") { return .variable(.local(localGet(v, e.span)), name: "self") }
            error("assign to a field of `self`, such as `self.count = 1`", e.span)
            return nil
        case .field(let obj, let name, false):
            if case .selfRef = obj.kind, fs.lookupLocal("self") == nil { return selfPlace(name) }
            return placeOf(obj).map { .field($0, name) }
        case .index(let obj, let key): return placeOf(obj).map { .index($0, expression(key)) }
        default:
            error("cannot assign into this expression", e.span)
            return nil
        }
    }
}
