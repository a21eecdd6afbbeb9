import KeelSyntax

/// `receiver.name(args)`: a module function, an `impl` method, a callable map field, or a
/// built-in method of the receiver's kind.
final class MethodCallNode: Node {
    let receiver: Node
    let name: String
    let args: [Node]
    let labels: [String?]
    let spreads: [Bool]
    let optional: Bool
    private let argRefs: [Unmanaged<Node>]
    init(_ receiver: Node, _ name: String, _ args: [Node], labels: [String?], spreads: [Bool], optional: Bool, _ span: Span) {
        self.receiver = receiver; self.name = name; self.args = args; self.labels = labels; self.spreads = spreads
        self.optional = optional
        argRefs = args.map { Unmanaged.passUnretained($0) }
        super.init(span)
    }

    override func eval(_ f: Frame) throws -> Value {
        let r = try receiver.eval(f)
        if optional, case .none = r { return .none }
        let (positional, named) = try evalArguments(argRefs, labels, spreads, f)
        let interp = f.interpreter
        return try locate(self, f) {
            switch r {
            case .module(let m):
                guard let member = m.member(name) else { throw KeelError(ErrorKind.undefined, "\(m.name) has no member `\(name)`") }
                return try interp.call(member, positional, named: named, span: span, file: f.file)
            case .structure(let s):
                if let m = interp.impls[s.typeName]?[name] {
                    return try interp.call(.function(m), [r] + positional, named: named, span: span, file: f.file)
                }
                if let field = s.fields[name], field.isCallable {
                    return try interp.call(field, positional, named: named, span: span, file: f.file)
                }
            case .variant(let v):
                if let m = interp.impls[v.typeName]?[name] {
                    return try interp.call(.function(m), [r] + positional, named: named, span: span, file: f.file)
                }
            case .object(let o):
                if !named.isEmpty { try NativeFunction.checkLabels("\(o.typeName).\(name)", named, accepted: o.labels(of: name)) }
                // Named arguments follow the positional ones, in label order (`format(as: "simple")`).
                if let v = try o.method(name, positional + named.keys.sorted().map { named[$0]! }, interp) { return v }
                throw KeelError(ErrorKind.type, "\(o.typeName) has no method `\(name)`")
            case .agent, .instance, .address:
                let (agent, key) = Value.agentAddress(r)!
                if name == "instances", agent.tasks[name] == nil, case .agent = r {
                    // `A.instances()`: the keys of A's live keyed instances, in key order.
                    guard positional.isEmpty, named.isEmpty else { throw KeelError(ErrorKind.call, "\(agent.name).instances takes no arguments") }
                    return .list(agent.keyed.values.filter(\.accepting).compactMap(\.key).sorted().map(\.value))
                }
                if let t = agent.tasks[name] {
                    // A task runs as the instance addressed: `self` is that instance.
                    guard let instance = interp.liveInstance(r), instance.phase != .stopped else {
                        throw KeelError(ErrorKind.base, "agent \(agent.label(key)) is not running")
                    }
                    let fn = Function(proto: t, upvalues: [], selfValue: instance.selfValue)
                    return try interp.call(.function(fn), positional, named: named, span: span, file: f.file)
                }
                throw KeelError(ErrorKind.type, "agent \(agent.name) has no task `\(name)`")
            case .map(let m):
                if let field = m[.str(name)], field.isCallable {
                    return try interp.call(field, positional, named: named, span: span, file: f.file)
                }
            default: break
            }
            var call = NativeCall(name: "\(r.typeName).\(name)", args: positional, named: named, interpreter: interp)
            return try Methods.call(r, name, &call)
        }
    }
}

extension Value {
    var isCallable: Bool {
        switch self {
        case .function, .native, .type: return true
        default: return false
        }
    }
}
