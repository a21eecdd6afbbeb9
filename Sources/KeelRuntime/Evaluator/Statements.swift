import KeelSyntax

/// How a loop variable, `catch` name, or destructuring pattern binds a value.
enum Binder {
    case name(Storage)
    case fields([(field: String, storage: Storage)])
    case tuple([Storage])

    func bind(_ v: Value, _ f: Frame, _ span: Span) throws {
        switch self {
        case .name(let s): s.store(v, f)
        case .fields(let fields):
            let have: [String: Value]
            if case .variant(let variant) = v {
                have = Dictionary((variant.fields ?? []).map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
            } else {
                guard let h = fieldsOf(v) else { throw f.error(ErrorKind.type, "cannot unpack fields from \(v.typeName)", span) }
                have = h
            }
            for (field, storage) in fields { storage.store(have[field] ?? .none, f) }
        case .tuple(let storages):
            guard case .list(let items) = v else { throw f.error(ErrorKind.type, "cannot unpack \(v.typeName) as a tuple", span) }
            guard items.count == storages.count else {
                throw f.error(ErrorKind.value, "cannot unpack \(items.count) value(s) into \(storages.count) names", span)
            }
            for (s, item) in zip(storages, items) { s.store(item, f) }
        }
    }
}

final class DestructureNode: Node {
    let binder: Binder
    let value: Node
    init(_ binder: Binder, _ value: Node, _ span: Span) { self.binder = binder; self.value = value; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        try binder.bind(try value.eval(f), f, span)
        return .none
    }
}

final class ForNode: Node {
    let binder: Binder
    let iterable: Node
    let filter: Node?
    let body: BlockNode
    init(_ binder: Binder, _ iterable: Node, _ filter: Node?, _ body: BlockNode, _ span: Span) {
        self.binder = binder; self.iterable = iterable; self.filter = filter; self.body = body; super.init(span)
    }

    override func eval(_ f: Frame) throws -> Value {
        var seq = try iterable.eval(f)
        // A value whose type implements `Iterable` is walked through the list its `items()` gives.
        if let typeName = seq.userTypeName, let items = f.interpreter.impls[typeName]?["items"] {
            seq = try f.interpreter.call(.function(items), [seq])
            guard case .list = seq else {
                throw f.error(ErrorKind.type, "`for`: \(typeName).items() must return a list, got \(seq.typeName)", iterable.span)
            }
        }
        switch seq {
        case .list(let items): for item in items { if try !step(item, f) { break } }
        case .set(let items): for item in items { if try !step(item, f) { break } }
        case .range(let lo, let hi):
            if lo <= hi { for i in lo...hi { if try !step(.int(i), f) { break } } }
        default:
            throw f.error(ErrorKind.type, "`for` expects a list, set or range, got \(seq.typeName)", iterable.span)
        }
        return .none
    }

    /// One iteration; false when the loop should stop.
    @inline(__always)
    private func step(_ item: Value, _ f: Frame) throws -> Bool {
        try f.interpreter.attention(span, f)
        body.refresh(f)
        try binder.bind(item, f, span)
        if let filter, try !filter.eval(f).isTruthy { return true }
        do { _ = try body.run(f) } catch is BreakSignal { return false } catch is ContinueSignal { return true }
        return !f.returning
    }
}

/// A compiled `when` pattern.
indirect enum PatternNode {
    case wildcard
    case variant(type: String?, name: String)
    case variantFields(type: String?, name: String, Binder)
    case structure([String], Binder)
    case literal(Value)

    func matches(_ v: Value, _ f: Frame, _ span: Span) throws -> Bool {
        switch self {
        case .wildcard: return true
        case .variant(let type, let name):
            guard case .variant(let variant) = v, variant.name == name else { return false }
            return type == nil || type == variant.typeName
        case .variantFields(let type, let name, let binder):
            guard case .variant(let variant) = v, variant.name == name, type == nil || type == variant.typeName else { return false }
            try binder.bind(v, f, span)
            return true
        case .structure(let required, let binder):
            guard let fields = fieldsOf(v) else { return false }
            if case .map = v, !required.allSatisfy({ fields[$0] != nil }) { return false }
            try binder.bind(v, f, span)
            return true
        case .literal(let lit): return lit == v
        }
    }
}

final class WhenNode: Node {
    struct Arm { let patterns: [PatternNode]; let guardNode: Node?; let body: BlockNode }
    let subject: Node
    let arms: [Arm]
    init(_ subject: Node, _ arms: [Arm], _ span: Span) { self.subject = subject; self.arms = arms; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        let v = try subject.eval(f)
        for arm in arms {
            arm.body.refresh(f)
            for p in arm.patterns where try p.matches(v, f, span) {
                if let g = arm.guardNode, try !g.eval(f).isTruthy { continue }
                return try arm.body.run(f)
            }
        }
        return .none
    }
}

/// An assignable place: a variable, or a field or element inside one. Keel collections are values,
/// so `p.x = 1` builds an updated copy of `p` and stores it back.
indirect enum Place {
    case variable(Storage, name: String)
    case field(Place, String)
    case index(Place, Node)
    case selfField(String)
    /// `self.name` inside the agent that declares the field: its slot.
    case stateSlot(Int, String)

    func load(_ f: Frame, _ span: Span) throws -> Value {
        switch self {
        case .variable(let s, let name):
            let v = s.load(f)
            if case .undefined = v { throw f.error(ErrorKind.undefined, "`\(name)` is used before it is assigned", span) }
            return v
        case .field(let base, let name):
            let b = try base.load(f, span)
            return try locateSpan(span, f) { try f.interpreter.field(of: b, name) }
        case .index(let base, let node):
            let b = try base.load(f, span)
            let i = try node.eval(f)
            return try locateSpan(span, f) { try subscriptValue(b, i) }
        case .selfField(let name):
            return try locateSpan(span, f) { try f.interpreter.selfField(f.selfValue, name) }
        case .stateSlot(let slot, let name):
            return try locateSpan(span, f) { try f.interpreter.stateSlot(f.selfValue, slot, name) }
        }
    }

    func store(_ v: Value, _ f: Frame, _ span: Span) throws {
        switch self {
        case .variable(let s, _): s.store(v, f)
        case .field(let base, let name):
            let b = try base.load(f, span)
            try base.store(try locateSpan(span, f) { try withField(b, name, v) }, f, span)
        case .index(let base, let node):
            let b = try base.load(f, span)
            let i = try node.eval(f)
            try base.store(try locateSpan(span, f) { try withElement(b, i, v) }, f, span)
        case .selfField(let name):
            try locateSpan(span, f) { try f.interpreter.setSelfField(f.selfValue, name, v) }
        case .stateSlot(let slot, let name):
            try locateSpan(span, f) {
                guard case .instance(let instance) = f.selfValue else { return try f.interpreter.setSelfField(f.selfValue, name, v) }
                try f.interpreter.setStateSlot(instance, slot, v)
            }
        }
    }
}

func withField(_ base: Value, _ name: String, _ v: Value) throws -> Value {
    _ = try Nesting.check(CollectionOfOne(v), "setting field `\(name)`")
    switch base {
    case .map(var m): m[.str(name)] = v; return .map(m)
    case .structure(let s):
        var fields = s.fields
        fields[name] = v
        return .structure(StructValue(typeName: s.typeName, fields: fields))
    default: throw KeelError(ErrorKind.type, "cannot set field `\(name)` on \(base.typeName)")
    }
}

func withElement(_ base: Value, _ i: Value, _ v: Value) throws -> Value {
    _ = try Nesting.check(CollectionOfOne(v), "setting an element")
    switch (base, i) {
    case (.list(var items), .int(let n)):
        guard n >= 0, n < items.count else { throw KeelError(ErrorKind.index, "index \(n) out of bounds (length \(items.count))") }
        items[n] = v
        return .list(items)
    case (.map(var m), _): m[try mapKey(i)] = v; return .map(m)
    case (.structure, .str(let name)): return try withField(base, name, v)
    default: throw KeelError(ErrorKind.type, "cannot set an element of \(base.typeName) with \(i.typeName)")
    }
}

/// `self.field = v` and `self.field += v` inside the agent that declares the field.
final class StateSlotAssignNode: Node {
    let slot: Int
    let name: String
    let value: Node
    let op: BinaryOp?
    init(_ slot: Int, _ name: String, _ value: Node, op: BinaryOp?, _ span: Span) {
        self.slot = slot; self.name = name; self.value = value; self.op = op; super.init(span)
    }
    override func eval(_ f: Frame) throws -> Value {
        guard case .instance(let instance) = f.selfValue, slot < instance.state.count, instance.phase != .stopped else {
            return try PlaceAssignNode(.stateSlot(slot, name), value, op: op, span).eval(f)   // reports the error
        }
        let new: Value
        if let op {
            // The old value is read before the right-hand side runs, as for any other place.
            let old = instance.state[slot]
            new = try augmented(op, old, try value.eval(f), self, f)
        } else {
            new = try value.eval(f)
        }
        try locate(self, f) { try f.interpreter.setStateSlot(instance, slot, new) }
        return .none
    }
}

final class PlaceAssignNode: Node {
    let place: Place
    let value: Node
    /// For augmented assignment (`+=`): the operator applied to the old and new values.
    let op: BinaryOp?
    init(_ place: Place, _ value: Node, op: BinaryOp?, _ span: Span) {
        self.place = place; self.value = value; self.op = op; super.init(span)
    }
    override func eval(_ f: Frame) throws -> Value {
        if let op {
            let old = try place.load(f, span)
            try place.store(try augmented(op, old, try value.eval(f), self, f), f, span)
        } else {
            try place.store(try value.eval(f), f, span)
        }
        return .none
    }
}

/// `old op rhs` for an augmented assignment (`+=`, ...): int `+` inline, the rest by `Operators`.
@inline(__always)
func augmented(_ op: BinaryOp, _ old: Value, _ rhs: Value, _ node: Node, _ f: Frame) throws -> Value {
    if case .int(let x) = old, case .int(let y) = rhs, case .add = op {
        let (r, o) = x.addingReportingOverflow(y)
        if o { throw f.error(ErrorKind.arithmetic, "integer overflow in `+=`", node.span) }
        return .int(r)
    }
    return try locate(node, f) { try Operators.arithmetic(op, old, rhs) }
}
