import KeelSyntax

extension Resolver {
    func expression(_ e: Expr) -> Node {
        switch e.kind {
        case .int(let i): return ConstNode(.int(i), e.span)
        case .float(let d): return ConstNode(.float(d), e.span)
        case .bool(let b): return ConstNode(.bool(b), e.span)
        case .none: return ConstNode(.none, e.span)
        case .duration(let count, let unit):
            let (ns, overflow) = Int64(count).multipliedReportingOverflow(by: unit.nanoseconds)
            if overflow { error("duration literal is too large", e.span) }
            return ConstNode(.duration(ns), e.span)
        case .string(let parts): return string(parts, e.span)
        case .name(let n): return resolveName(n, e.span)
        case .selfRef:
            if let v = fs.lookupLocal("self") { return localGet(v, e.span) }
            if let i = fs.upvalue("self") { return UpvalueGet(i, "self", e.span) }
            if !fs.inAgent { error("`self` is only available inside an agent", e.span) }
            return SelfNode(e.span)
        case .list(let items): return ListNode(items.map(expression), e.span)
        case .tuple(let items): return ListNode(items.map(expression), e.span)
        case .set(let items): return SetNode(items.map(expression), e.span)
        case .map(let entries, let spread):
            let spreadNode = spread.map(expression)
            var keys: [Node] = [], values: [Node] = []
            for (k, v) in entries {
                switch k {
                case .name(let n): keys.append(ConstNode(.str(n), e.span))
                case .string(let s): keys.append(expression(s))
                case .int(let i): keys.append(ConstNode(.int(i), e.span))
                case .bool(let b): keys.append(ConstNode(.bool(b), e.span))
                }
                values.append(expression(v))
            }
            return MapNode(keys: keys, values: values, spread: spreadNode, e.span)
        case .lambda(let params, let body):
            let proto = function(name: "<lambda>", isLambda: true, params: params, returnType: nil, body: body,
                                 span: e.span, parent: fs)
            return LambdaNode(proto, e.span)
        case .unary(let op, let operand):
            return UnaryNode(op, expression(operand), e.span)
        case .binary(let op, let l, let r):
            switch op {
            case .and: return AndNode(expression(l), expression(r), e.span)
            case .or: return OrNode(expression(l), expression(r), e.span)
            case .coalesce: return CoalesceNode(expression(l), expression(r), e.span)
            case .pipe: return pipe(l, r, e.span)
            default: return BinaryNode(op, expression(l), expression(r), e.span)
            }
        case .range(let lo, let hi): return RangeNode(expression(lo), expression(hi), e.span)
        case .field(let obj, let name, let optional):
            checkVariant(obj, name, e.span)
            let object = expression(obj)
            if object is SelfNode, !optional, let slot = agentSlots?[name] { return StateSlotNode(slot, name, e.span) }
            return FieldNode(object, name, optional: optional, e.span)
        case .tupleIndex(let obj, let i): return TupleIndexNode(expression(obj), i, e.span)
        case .call(let callee, let args):
            checkArity(callee, args, e.span)
            if case .name(let n) = callee.kind, fs.lookupLocal(n) == nil, fs.upvalueNames.firstIndex(of: n) == nil,
               case .native(let native)? = unit.global(n) {
                checkLabels(native, args)
                // `use read from std/file`, then `read(...)`: gated like `file.read(...)`.
                if native.gated, let module = native.module { checkTools(module: module, native.name, e.span) }
            }
            return CallNode(expression(callee), args.map { expression($0.value) }, labels: args.map(\.label),
                            spreads: args.map(\.spread), e.span)
        case .methodCall(let receiver, let name, let args, let optional):
            if case .name(let m) = receiver.kind, let hint = pascalCaseHint(m, name) {
                error(hint, receiver.span)
                return ConstNode(.none, e.span)
            }
            checkTools(receiver, name, e.span)
            if case .name(let m) = receiver.kind, fs.lookupLocal(m) == nil, fs.upvalueNames.firstIndex(of: m) == nil,
               case .module(let module)? = unit.global(m), case .native(let native)? = module.members[name] {
                checkLabels(native, args)
            }
            return MethodCallNode(expression(receiver), name, args.map { expression($0.value) }, labels: args.map(\.label),
                                  spreads: args.map(\.spread), optional: optional, e.span)
        case .index(let obj, let key): return IndexNode(expression(obj), expression(key), e.span)
        case .unwrap(let operand): return UnwrapNode(expression(operand), e.span)
        case .cast(let operand, let t): return CastNode(expression(operand), rtype(t), e.span)
        case .ifElse(let cond, let then, let otherwise):
            let saved = statementPosition
            statementPosition = false
            let c = expression(cond)
            statementPosition = saved
            return IfNode(c, block(then), otherwise.map(block), e.span)
        case .when(let subject, let arms): return when(subject, arms, e.span)
        case .tryCatch(let body, let catches):
            let bodyNode = block(body)
            let clauses = catches.map { c -> TryNode.Clause in
                if let t = c.typeName, !ErrorKind.builtins.contains(t), unit.type(t) == nil {
                    error("unknown error type `\(t)` (built-in kinds include Error, TypeError, ValueError, FileError, ...)", c.span)
                }
                var storage: Storage = .upvalue(0)
                let node = scopedBlock(c.body) { storage = self.declareLocal(c.name, c.span) }
                return TryNode.Clause(typeName: c.typeName, storage: storage, body: node)
            }
            return TryNode(bodyNode, clauses, e.span)
        case .variant(let typeName, let name, let fields):
            guard let info = unit.type(typeName), let variant = info.variant(name) else {
                error("`\(typeName).\(name)` is not a variant of a declared enum", e.span)
                return ConstNode(.none, e.span)
            }
            for (f, _) in fields where !(variant.1 ?? []).contains(where: { $0.0 == f }) {
                error("variant `\(typeName).\(name)` has no field `\(f)`", e.span)
            }
            return VariantNode(info, name, fields.map { ($0.0, expression($0.1)) }, e.span)
        }
    }

    /// `Urgency.hgh`: a misspelt variant of a declared enum is caught before the program runs.
    func checkVariant(_ obj: Expr, _ name: String, _ span: Span) {
        guard case .name(let t) = obj.kind, fs.lookupLocal(t) == nil, let info = unit.type(t),
              case .enumeration(let variants) = info.shape else { return }
        if !variants.contains(where: { $0.0 == name }) {
            error("`\(name)` is not a variant of \(t) (variants: \(variants.map(\.0).joined(separator: ", ")))", span)
        }
    }

    /// A std (or built-in) function called with a label it does not accept: caught before the
    /// program runs, with the message the call itself would raise.
    func checkLabels(_ native: NativeFunction, _ args: [Argument]) {
        let positional = args.filter { $0.label == nil }
        if let most = native.maxPositional, !args.contains(where: \.spread), positional.count > most {
            error(NativeFunction.tooManyMessage(native.qualifiedName, most, positional.count), positional[most].value.span)
        }
        guard let accepted = native.labels else { return }
        for a in args { if let l = a.label, !accepted.contains(l) {
            error(NativeFunction.unknownLabelMessage(native.qualifiedName, l, accepted: accepted), a.value.span)
        } }
    }

    /// A direct call of a known top-level task with too many or too few arguments.
    func checkArity(_ callee: Expr, _ args: [Argument], _ span: Span) {
        guard case .name(let n) = callee.kind, fs.lookupLocal(n) == nil, fs.upvalueNames.firstIndex(of: n) == nil,
              let task = knownTasks[n], !args.contains(where: \.spread) else { return }
        let params = task.params
        if params.contains(where: \.variadic) { return }
        let positional = args.filter { $0.label == nil }.count
        let names = Set(params.map(\.name))
        for a in args { if let l = a.label, !names.contains(l) { error("task `\(n)` has no parameter named `\(l)`", a.value.span) } }
        let labelled = Set(args.compactMap(\.label))
        let required = params.enumerated().filter { i, p in
            p.defaultValue == nil && i >= positional && !labelled.contains(p.name) && !isNullable(p.type)
        }.map(\.1.name)
        if positional > params.count || !required.isEmpty {
            let expected = required.isEmpty ? "" : " — missing: \(required.joined(separator: ", "))"
            error("task `\(n)` takes \(params.count) argument(s), got \(args.count)\(expected)", span)
        }
    }

    func isNullable(_ t: TypeExpr?) -> Bool {
        guard let t else { return false }
        if case .nullable = t.kind { return true }
        return false
    }

    /// In an agent, a direct call into an effectful module that its `@tools` does not allow.
    func checkTools(_ receiver: Expr, _ member: String, _ span: Span) {
        guard let agent = agentTools, !agent.all, case .name(let m) = receiver.kind, fs.lookupLocal(m) == nil,
              case .module(let module)? = unit.global(m), module.effectful else { return }
        checkTools(module: module.name, member, span)
    }

    func checkTools(module: String, _ member: String, _ span: Span) {
        guard let agent = agentTools, !agent.all else { return }
        let allowed = agent.entries.contains { $0.module == module && ($0.member == nil || $0.member == member) }
        if !allowed {
            error("agent `\(agent.name)` calls `\(module).\(member)` but @tools does not allow it — declare `@tools [\(module)]` on the agent, or use `@tools all`", span)
        }
    }

    /// `x |> f` calls `f(x)`; `x |> f(a, k: v)` calls `f(x, a, k: v)`.
    func pipe(_ l: Expr, _ r: Expr, _ span: Span) -> Node {
        let left = expression(l)
        if case .call(let callee, let args) = r.kind {
            return CallNode(expression(callee), [left] + args.map { expression($0.value) }, labels: [nil] + args.map(\.label),
                            spreads: [false] + args.map(\.spread), span)
        }
        if case .methodCall(let recv, let name, let args, let optional) = r.kind {
            return MethodCallNode(expression(recv), name, [left] + args.map { expression($0.value) }, labels: [nil] + args.map(\.label),
                                  spreads: [false] + args.map(\.spread), optional: optional, span)
        }
        return CallNode(expression(r), [left], labels: [nil], spreads: [false], span)
    }

    func string(_ parts: [StringPart], _ span: Span) -> Node {
        var out: [StringNode.Part] = []
        for p in parts {
            switch p {
            case .text(let s): out.append(.text(s))
            case .expr(let e, let format, let pspan):
                var spec: FormatSpec?
                if let format {
                    spec = FormatSpec.parse(format)
                    if spec == nil { error("unknown format spec `\(format)` (expected [<|>|^][width][.precision][f])", pspan) }
                }
                out.append(.value(expression(e), format: spec))
            }
        }
        if out.isEmpty { return ConstNode(.str(""), span) }
        if out.count == 1, case .text(let s) = out[0] { return ConstNode(.str(s), span) }
        return StringNode(out, span)
    }

    func when(_ subject: Expr, _ arms: [WhenArm], _ span: Span) -> Node {
        let savedPosition = statementPosition
        statementPosition = false
        let s = expression(subject)
        statementPosition = savedPosition
        var out: [WhenNode.Arm] = []
        for arm in arms {
            var patterns: [PatternNode] = []
            var guardNode: Node?
            let body = scopedBlock(arm.body) {
                patterns = arm.patterns.map(self.pattern)
                let pos = self.statementPosition
                self.statementPosition = false
                guardNode = arm.guardExpr.map(self.expression)
                self.statementPosition = pos
            }
            out.append(WhenNode.Arm(patterns: patterns, guardNode: guardNode, body: body))
        }
        return WhenNode(s, out, span)
    }

    func pattern(_ p: Pattern) -> PatternNode {
        switch p.kind {
        case .wildcard: return .wildcard
        case .variant(let type, let name):
            if let type { checkVariantName(type, name, p.span) }
            return .variant(type: type, name: name)
        case .variantFields(let type, let name, let fields):
            if let type { checkVariantName(type, name, p.span) }
            return .variantFields(type: type, name: name, .fields(fields.map { ($0.field, $0.binding == "_" ? discard() : declareLocal($0.binding, $0.span)) }))
        case .structure(let fields):
            return .structure(fields.map(\.field), .fields(fields.map { ($0.field, $0.binding == "_" ? discard() : declareLocal($0.binding, $0.span)) }))
        case .literal(let e):
            guard let v = constant(e) else {
                error("a pattern literal must be a constant", p.span)
                return .wildcard
            }
            return .literal(v)
        }
    }

    func checkVariantName(_ type: String, _ name: String, _ span: Span) {
        guard let info = unit.type(type) else { error("unknown type `\(type)`", span); return }
        if info.variant(name) == nil { error("`\(name)` is not a variant of \(type)", span) }
    }

    func constant(_ e: Expr) -> Value? {
        switch e.kind {
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .bool(let b): return .bool(b)
        case .none: return Value.none
        case .string(let parts):
            var s = ""
            for p in parts { guard case .text(let t) = p else { return nil }; s += t }
            return .str(s)
        case .unary(.negate, let inner):
            switch constant(inner) {
            case .int(let i)?: return .int(-i)
            case .float(let d)?: return .float(-d)
            default: return nil
            }
        default: return nil
        }
    }
}
