import KeelSyntax

/// An executable node: the resolver lowers the syntax tree into these, with every name already
/// bound to a slot. Statements are nodes too; their value is `none` unless they are expressions.
class Node {
    let span: Span
    init(_ span: Span) { self.span = span }
    func eval(_ f: Frame) throws -> Value { fatalError("eval not overridden") }
}

extension Frame {
    var file: SourceFile { function!.proto.file }

    func error(_ kind: String, _ message: String, _ span: Span) -> KeelError {
        KeelError(kind, message, span: span, file: file)
    }
}

/// Gives an error raised by a helper (which knows no location) the location of `node`.
@inline(__always)
func locate<T>(_ node: Node, _ f: Frame, _ body: () throws -> T) throws -> T {
    try locateSpan(node.span, f, body)
}

@inline(__always)
func locateSpan<T>(_ span: Span, _ f: Frame, _ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as KeelError where e.span == nil {
        e.span = span
        e.file = f.file
        throw e
    }
}

final class ConstNode: Node {
    let value: Value
    init(_ value: Value, _ span: Span) { self.value = value; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        // An int is rebuilt from its payload: copying the enum goes through an outlined copy that
        // switches over every case (a third of this node's cost in a loop).
        if case .int(let n) = value { return .int(n) }
        return value
    }
}

// MARK: variables

/// A local in the current frame. `boxed` is set when the resolver finds a closure capturing it.
final class LocalGet: Node {
    let variable: VarInfo
    var slot: Int
    var boxed = false
    init(_ v: VarInfo, _ span: Span) { variable = v; slot = v.slot; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        if !boxed, case .int(let n) = f.slots[slot] { return .int(n) }   // see ConstNode
        let v = boxed ? f.boxes[slot].value : f.slots[slot]
        if case .undefined = v {
            if variable.shadowsGlobal {
                throw f.error(ErrorKind.undefined, "`\(variable.name)` is local to this task or handler because it assigns it, and is read here before that; use `\(variable.name) += ...` or a state field to update the global", span)
            }
            throw f.error(ErrorKind.undefined, "`\(variable.name)` is used before it is assigned", span)
        }
        return v
    }
}

final class UpvalueGet: Node {
    let index: Int
    let name: String
    init(_ index: Int, _ name: String, _ span: Span) { self.index = index; self.name = name; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        let v = f.function!.upvalues[index].value
        if case .undefined = v { throw f.error(ErrorKind.undefined, "`\(name)` is used before it is assigned", span) }
        return v
    }
}

/// Module-level names: one table per interpreter (and per module), indexed by the resolver. The
/// values live in a buffer of the table's own, so that reading a global in the evaluator is a load
/// (an array would have its buffer retained and released around every read).
package final class GlobalTable {
    var names: [String: Int] = [:]
    var nameList: [String] = []
    /// The values, `count` of them initialised (`undefined` until assigned).
    private(set) var slots: UnsafeMutablePointer<Value>
    private(set) var count = 0
    private var capacity = 64

    init() { slots = .allocate(capacity: capacity) }

    deinit {
        slots.deinitialize(count: count)
        slots.deallocate()
    }

    func index(of name: String) -> Int {
        if let i = names[name] { return i }
        if count == capacity {
            let grown = UnsafeMutablePointer<Value>.allocate(capacity: capacity * 2)
            grown.moveInitialize(from: slots, count: count)
            slots.deallocate()
            slots = grown
            capacity *= 2
        }
        (slots + count).initialize(to: .undefined)
        names[name] = count
        nameList.append(name)
        count += 1
        return count - 1
    }

    /// The value in slot `i` (which `index(of:)` handed out).
    subscript(slot i: Int) -> Value {
        get { slots[i] }
        set { slots[i] = newValue }
    }

    /// Every value, in slot order.
    var allValues: [Value] { Array(UnsafeBufferPointer(start: slots, count: count)) }

    package subscript(name: String) -> Value? {
        guard let i = names[name] else { return nil }
        if case .undefined = slots[i] { return nil }
        return slots[i]
    }
}

final class GlobalGet: Node {
    /// Its owner (the interpreter, or the module) outlives the code compiled against it; a strong
    /// reference would be a cycle (table → function → node → table).
    unowned(unsafe) let table: GlobalTable
    let index: Int
    let name: String
    init(_ table: GlobalTable, _ index: Int, _ name: String, _ span: Span) {
        self.table = table; self.index = index; self.name = name; super.init(span)
    }
    override func eval(_ f: Frame) throws -> Value {
        if case .int(let n) = table.slots[index] { return .int(n) }   // see ConstNode
        let v = table.slots[index]
        if case .undefined = v { throw f.error(ErrorKind.undefined, "`\(name)` is used before it is assigned", span) }
        return v
    }
}

/// Where an assignment stores: a local slot, a captured box, or a global.
enum Storage {
    case local(LocalGet)      // reuses the access node so the boxed flag is patched once
    case upvalue(Int)
    case global(Unmanaged<GlobalTable>, Int)   // unowned: see GlobalGet.table

    @inline(__always)
    func store(_ value: Value, _ f: Frame) {
        switch self {
        case .local(let l):
            if l.boxed { f.boxes[l.slot].value = value } else { f.slots[l.slot] = value }
        case .upvalue(let i): f.function!.upvalues[i].value = value
        case .global(let t, let i): t.takeUnretainedValue().slots[i] = value
        }
    }

    func load(_ f: Frame) -> Value {
        switch self {
        case .local(let l): return l.boxed ? f.boxes[l.slot].value : f.slots[l.slot]
        case .upvalue(let i): return f.function!.upvalues[i].value
        case .global(let t, let i): return t.takeUnretainedValue().slots[i]
        }
    }
}

final class AssignNode: Node {
    let storage: Storage
    let value: Node
    let type: RType?
    let name: String
    init(_ storage: Storage, _ value: Node, type: RType?, name: String, _ span: Span) {
        self.storage = storage; self.value = value; self.type = type; self.name = name; super.init(span)
    }
    override func eval(_ f: Frame) throws -> Value {
        var v = try value.eval(f)
        if let type {
            guard let c = type.coerce(v) else {
                throw f.error(ErrorKind.type, "`\(name)`: expected \(type.description), got \(v.typeName)", span)
            }
            v = c
        }
        storage.store(v, f)
        return .none
    }
}

final class SelfNode: Node {
    override func eval(_ f: Frame) throws -> Value {
        if case .undefined = f.selfValue { throw f.error(ErrorKind.base, "`self` is only available inside an agent", span) }
        return f.selfValue
    }
}

// MARK: blocks and control flow

final class BlockNode: Node {
    let body: [Node]
    /// Whether the last statement is an expression whose value is the block's value.
    let lastIsValue: Bool
    /// Variables declared directly in this block; captured ones get a fresh box on every entry,
    /// so a closure made in one loop iteration keeps that iteration's variable.
    var declared: [VarInfo] = []
    var freshBoxes: [Int] = []
    /// The same statements without reference counting on each visit (`body` keeps them alive).
    private let statements: [Unmanaged<Node>]
    init(_ body: [Node], lastIsValue: Bool, _ span: Span) {
        self.body = body; self.lastIsValue = lastIsValue
        statements = body.map { Unmanaged.passUnretained($0) }
        super.init(span)
    }
    override func eval(_ f: Frame) throws -> Value {
        refresh(f)
        return try run(f)
    }

    /// Gives the block's captured variables new boxes (a new scope entry).
    @inline(__always)
    func refresh(_ f: Frame) {
        for s in freshBoxes { f.boxes[s] = Box() }
    }

    /// Runs the statements without opening a new scope (the caller already bound names in it).
    func run(_ f: Frame) throws -> Value {
        let n = statements.count
        if n == 0 { return .none }
        for i in 0..<(n - 1) {
            _ = try statements[i]._withUnsafeGuaranteedRef { try $0.eval(f) }
            if f.returning { return .none }
        }
        let last = try statements[n - 1]._withUnsafeGuaranteedRef { try $0.eval(f) }
        return lastIsValue ? last : .none
    }
}

final class IfNode: Node {
    let cond: Node, then: Node, otherwise: Node?
    init(_ cond: Node, _ then: Node, _ otherwise: Node?, _ span: Span) {
        self.cond = cond; self.then = then; self.otherwise = otherwise; super.init(span)
    }
    override func eval(_ f: Frame) throws -> Value {
        if try cond.eval(f).isTruthy { return try then.eval(f) }
        return try otherwise?.eval(f) ?? .none
    }
}

final class WhileNode: Node {
    let cond: Node, body: Node
    init(_ cond: Node, _ body: Node, _ span: Span) { self.cond = cond; self.body = body; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        let interp = f.interpreter
        while try cond.eval(f).isTruthy {
            try interp.attention(span, f)
            do { _ = try body.eval(f) } catch is BreakSignal { break } catch is ContinueSignal { continue }
            if f.returning { break }
        }
        return .none
    }
}

final class BreakNode: Node {
    override func eval(_ f: Frame) throws -> Value { throw BreakSignal.shared }
}

final class ContinueNode: Node {
    override func eval(_ f: Frame) throws -> Value { throw ContinueSignal.shared }
}

final class ReturnNode: Node {
    let value: Node?
    init(_ value: Node?, _ span: Span) { self.value = value; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        f.returnValue = try value?.eval(f) ?? .none
        throw ReturnSignal.shared
    }
}

/// A `return` reached only through statements (not inside an expression): it sets a flag that
/// blocks and loops check, which is much cheaper than unwinding with a thrown signal.
final class StatementReturnNode: Node {
    let value: Node?
    init(_ value: Node?, _ span: Span) { self.value = value; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        f.returnValue = try value?.eval(f) ?? .none
        f.returning = true
        return .none
    }
}

final class RaiseNode: Node {
    let value: Node
    init(_ value: Node, _ span: Span) { self.value = value; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        let v = try value.eval(f)
        switch v {
        case .str(let s): throw f.error(ErrorKind.userRaised, s, span)
        case .structure(let s):
            let message = s.fields["message"].map { $0.display } ?? v.display
            throw KeelError(s.typeName, message, payload: v, span: span, file: f.file)
        case .variant(let variant):
            throw KeelError(variant.typeName, variant.field("message")?.display ?? variant.name, payload: v, span: span, file: f.file)
        default: throw KeelError(ErrorKind.userRaised, v.display, payload: v, span: span, file: f.file)
        }
    }
}

final class TryNode: Node {
    struct Clause { let typeName: String?; let storage: Storage; let body: BlockNode }
    let body: Node
    let clauses: [Clause]
    init(_ body: Node, _ clauses: [Clause], _ span: Span) { self.body = body; self.clauses = clauses; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        do {
            return try body.eval(f)
        } catch let e as KeelError {
            if ErrorKind.uncatchable.contains(e.kind) { throw e }   // Ctrl-C is not for programs to catch
            for c in clauses where c.typeName == nil || c.typeName == ErrorKind.base || c.typeName == e.kind {
                c.body.refresh(f)
                c.storage.store(e.caughtValue, f)
                return try c.body.run(f)
            }
            throw e
        }
    }
}
