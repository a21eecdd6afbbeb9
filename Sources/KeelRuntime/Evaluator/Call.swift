import KeelSyntax

extension Interpreter {
    /// Calls any callable value. Used by natives (map, filter, ...) and by the general call path.
    /// `file` (the caller's, for the error trace) is only read when an error passes through.
    package func call(_ callee: Value, _ args: [Value], named: [String: Value] = Dictionary(), span: Span? = nil,
                      file: @autoclosure () -> SourceFile? = nil) throws -> Value {
        switch callee {
        case .function(let fn):
            let proto = fn.proto
            if named.isEmpty, proto.isSimple, args.count == proto.slotParams.count {
                let frame = acquireFrame(fn)
                do {
                    for i in 0..<args.count { try bindSimple(proto, i, args[i], frame) }
                } catch { releaseFrame(frame); throw error }
                return try invoke(fn, frame, span: span, callerFile: file())
            }
            let frame = try bindArguments(fn, args, named)
            return try invoke(fn, frame, span: span, callerFile: file())
        case .native(let n):
            if let mock = n.mock { return mock.answer(args) }
            if !named.isEmpty, let accepted = n.labels { try NativeFunction.checkLabels(n.qualifiedName, named, accepted: accepted) }
            if let most = n.maxPositional, args.count > most {
                throw KeelError(ErrorKind.call, NativeFunction.tooManyMessage(n.qualifiedName, most, args.count))
            }
            if n.gated, let module = n.module, turn.agent != nil {
                try checkCapability(module: module, member: n.name, qualified: n.qualifiedName)
            }
            var call = NativeCall(name: n.qualifiedName, args: args, named: named, interpreter: self)
            return try n.body(&call)
        case .type(let info):
            return try construct(info, args, named)
        default:
            throw KeelError(ErrorKind.type, "\(callee.typeName) is not callable")
        }
    }

    /// `call(callee, [argument])` without making the one-element array: natives that call a
    /// closure per element (`map`, `filter`, ...) spend a quarter of their time on it otherwise.
    func call(_ callee: Value, one argument: Value) throws -> Value {
        if case .function(let fn) = callee {
            let proto = fn.proto
            if proto.isSimple, proto.slotParams.count == 1 {
                let frame = acquireFrame(fn)
                do { try bindSimple(proto, 0, argument, frame) } catch { releaseFrame(frame); throw error }
                return try invoke(fn, frame, span: nil, callerFile: nil)
            }
        }
        return try call(callee, [argument])
    }

    /// Stores positional argument `i` of a simple function (see `FunctionProto.isSimple`).
    @inline(__always)
    func bindSimple(_ proto: FunctionProto, _ i: Int, _ v: Value, _ frame: Frame) throws {
        let p = proto.slotParams[i]
        if p.check != .full, let c = p.check.check(v, nil) {
            if p.boxed { frame.boxes[p.slot].value = c } else { frame.slots[p.slot] = c }
        } else {
            try bindParameter(proto, i, v, frame)
        }
    }

    /// Runs a function body in a prepared frame, with the call-depth limit and return handling.
    /// `callerFile` is read only when an error passes through (reading it costs three retains).
    @inline(__always)
    func invoke(_ fn: Function, _ frame: Frame, span: Span?, callerFile: @autoclosure () -> SourceFile?) throws -> Value {
        turn.callDepth += 1
        defer { turn.callDepth -= 1; releaseFrame(frame) }
        if turn.callDepth > maxCallDepth {
            throw KeelError(ErrorKind.recursion, "maximum call depth (\(maxCallDepth)) exceeded in `\(fn.proto.name)`")
        }
        attentionCountdown &-= 1
        if attentionCountdown <= 0 { try attend() }
        var result: Value
        do {
            result = try fn.proto.bodyRef._withUnsafeGuaranteedRef { try $0.eval(frame) }
            if frame.returning { result = frame.takeReturnValue() }
        } catch is ReturnSignal {
            result = frame.takeReturnValue()
        } catch let e as KeelError {
            if e.trace.count < 64 { e.trace.append((fn.proto.name, span ?? fn.proto.span, span == nil ? nil : callerFile())) } else { e.traceTruncated = true }
            throw e
        }
        let proto = fn.proto
        if proto.returnCheck != .any {
            guard let c = proto.returnCheck.check(result, proto.returnType) else {
                throw KeelError(ErrorKind.type, "`\(proto.name)` must return \(proto.returnType!.description), got \(result.typeName)",
                                span: proto.span, file: proto.file)
            }
            result = c
        }
        return result
    }

    /// Binds positional, named, default and variadic arguments into a new frame, checking types.
    func bindArguments(_ fn: Function, _ args: [Value], _ named: [String: Value]) throws -> Frame {
        let proto = fn.proto
        let frame = Frame(interpreter: self, function: fn, localCount: proto.localCount, selfValue: fn.selfValue)
        var consumed = 0
        var named = named
        for p in proto.params {
            var v: Value
            if p.variadic {
                v = .list(consumed < args.count ? Array(args[consumed...]) : [])
                consumed = args.count
                if let t = p.type {
                    guard case .list(let items) = v else { break }
                    var out: [Value] = []
                    for item in items {
                        guard let c = t.coerce(item) else {
                            throw KeelError(ErrorKind.type, "`\(proto.name)`: argument `\(p.name)` expects \(t.description), got \(item.typeName)")
                        }
                        out.append(c)
                    }
                    v = .list(out)
                }
            } else {
                if let nv = named.removeValue(forKey: p.name) {
                    v = nv
                } else if consumed < args.count {
                    v = args[consumed]; consumed += 1
                } else if let d = p.defaultValue {
                    let defaults = Frame(interpreter: self, function: fn, localCount: proto.localCount, selfValue: fn.selfValue)
                    v = try d.eval(defaults)
                } else {
                    v = .none   // as in the reference: a missing argument is none
                }
                if let t = p.type {
                    guard let c = t.coerce(v) else {
                        throw KeelError(ErrorKind.type, "`\(proto.name)`: argument `\(p.name)` expects \(t.description), got \(v.typeName)")
                    }
                    v = c
                }
            }
            store(p.variable, v, frame)
            if !p.destructure.isEmpty {
                guard let fields = fieldsOf(v) else {
                    throw KeelError(ErrorKind.type, "`\(proto.name)`: cannot unpack fields from \(v.typeName)")
                }
                for (field, variable) in p.destructure { store(variable, fields[field] ?? .none, frame) }
            }
        }
        if consumed < args.count {
            throw KeelError(ErrorKind.call, "`\(proto.name)` takes \(proto.params.count) argument(s), got \(args.count)")
        }
        if let extra = named.keys.sorted().first {
            throw KeelError(ErrorKind.call, "`\(proto.name)` has no parameter named `\(extra)`")
        }
        return frame
    }

    /// Checks and stores positional argument `i` on the fast path.
    @inline(__always)
    func bindParameter(_ proto: FunctionProto, _ i: Int, _ v: Value, _ frame: Frame) throws {
        let p = proto.slotParams[i]
        guard let c = p.check.check(v, p.check == .full ? proto.params[i].type : nil) else {
            let t = proto.params[i].type!
            throw KeelError(ErrorKind.type, "`\(proto.name)`: argument `\(proto.params[i].name)` expects \(t.description), got \(v.typeName)")
        }
        if p.boxed { frame.boxes[p.slot].value = c } else { frame.slots[p.slot] = c }
    }

    @inline(__always)
    func store(_ v: VarInfo, _ value: Value, _ frame: Frame) {
        if v.captured { frame.boxes[v.slot].value = value } else { frame.slots[v.slot] = value }
    }

    /// `Point(x: 1, y: 2)` is not Keel syntax, but a type called with one map converts it.
    func construct(_ info: TypeInfo, _ args: [Value], _ named: [String: Value]) throws -> Value {
        let value: Value = args.count == 1 && named.isEmpty ? args[0] : .map(Dictionary(uniqueKeysWithValues: named.map { (MapKey.str($0.key), $0.value) }))
        guard let c = info.coerce(value) else { throw KeelError(ErrorKind.type, "cannot convert \(value.typeName) to \(info.name)") }
        return c
    }
}

/// A call expression. The fast path puts positional arguments straight into the callee's slots.
final class CallNode: Node {
    let callee: Node
    let args: [Node]
    let labels: [String?]
    let spreads: [Bool]
    let isPlain: Bool
    /// `args` without reference counting on each visit (`args` keeps them alive).
    private let argRefs: [Unmanaged<Node>]
    init(_ callee: Node, _ args: [Node], labels: [String?], spreads: [Bool], _ span: Span) {
        self.callee = callee; self.args = args; self.labels = labels; self.spreads = spreads
        isPlain = labels.allSatisfy { $0 == nil } && !spreads.contains(true)
        argRefs = args.map { Unmanaged.passUnretained($0) }
        super.init(span)
    }

    override func eval(_ f: Frame) throws -> Value {
        let target = try callee.eval(f)
        let interp = f.interpreter
        if isPlain, case .function(let fn) = target {
            let proto = fn.proto
            if proto.isSimple, argRefs.count == proto.slotParams.count {
                let frame = interp.acquireFrame(fn)
                do {
                    for i in 0..<argRefs.count {
                        let v = try argRefs[i]._withUnsafeGuaranteedRef { try $0.eval(f) }
                        let p = proto.slotParams[i]
                        if p.check != .full, let c = p.check.check(v, nil) {
                            if p.boxed { frame.boxes[p.slot].value = c } else { frame.slots[p.slot] = c }
                        } else {
                            try bindChecked(i, v, proto, frame, f)
                        }
                    }
                } catch { interp.releaseFrame(frame); throw error }
                return try locate(self, f) { try interp.invoke(fn, frame, span: span, callerFile: f.file) }
            }
        }
        let (positional, named) = try evalArguments(argRefs, labels, spreads, f)
        return try locate(self, f) { try interp.call(target, positional, named: named, span: span, file: f.file) }
    }

    /// Argument `i` with a full type check, out of line: inlined, its error location made the hot
    /// path retain the argument's node on every call.
    @inline(never)
    private func bindChecked(_ i: Int, _ v: Value, _ proto: FunctionProto, _ frame: Frame, _ f: Frame) throws {
        try locate(args[i], f) { try f.interpreter.bindParameter(proto, i, v, frame) }
    }
}

/// Evaluates call arguments (`args` are the argument nodes, held alive by their call node).
func evalArguments(_ args: [Unmanaged<Node>], _ labels: [String?], _ spreads: [Bool], _ f: Frame) throws -> ([Value], [String: Value]) {
    var positional: [Value] = []
    positional.reserveCapacity(args.count)
    var named: [String: Value] = [:]
    for i in 0..<args.count {
        let v = try args[i]._withUnsafeGuaranteedRef { try $0.eval(f) }
        if let label = labels[i] {
            named[label] = v
        } else if spreads[i] {
            switch v {
            case .list(let items): positional += items
            case .set(let items): positional += items
            case .range(let lo, let hi): positional += try locateSpan(args[i].takeUnretainedValue().span, f) { try Limits.rangeElements(lo, hi, "`...`") }
            default: throw f.error(ErrorKind.type, "`...` spreads a list or set, got \(v.typeName)", args[i].takeUnretainedValue().span)
            }
        } else {
            positional.append(v)
        }
    }
    return (positional, named)
}
