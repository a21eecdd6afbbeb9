import Foundation
import KeelSyntax
import Collections

final class ListNode: Node {
    let items: [Node]
    init(_ items: [Node], _ span: Span) { self.items = items; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        var out: [Value] = []
        out.reserveCapacity(items.count)
        for item in items { out.append(try item.eval(f)) }
        return try locate(self, f) { try Nesting.list(out, "a list") }
    }
}

final class SetNode: Node {
    let items: [Node]
    init(_ items: [Node], _ span: Span) { self.items = items; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        var out = OrderedSet<Value>()
        for item in items { out.append(try item.eval(f)) }
        _ = try locate(self, f) { try Nesting.check(out, "a set") }
        return .set(out)
    }
}

func mapKey(_ v: Value) throws -> MapKey {
    switch v {
    case .str(let s): return .str(s)
    case .int(let i): return .int(i)
    case .bool(let b): return .bool(b)
    default: throw KeelError(ErrorKind.type, "map keys must be str, int or bool, got \(v.typeName)")
    }
}

final class MapNode: Node {
    let keys: [Node], values: [Node]
    let spread: Node?
    init(keys: [Node], values: [Node], spread: Node?, _ span: Span) {
        self.keys = keys; self.values = values; self.spread = spread; super.init(span)
    }
    override func eval(_ f: Frame) throws -> Value {
        var out: [MapKey: Value] = [:]
        if let spread {
            let base = try spread.eval(f)
            switch base {
            case .map(let m): out = m
            case .structure(let s):
                for (k, v) in s.fields { out[.str(k)] = v }
                // Updating a tagged struct keeps its type.
                for i in 0..<keys.count {
                    guard case .str(let k) = try locate(self, f, { try mapKey(try keys[i].eval(f)) }) else { continue }
                    out[.str(k)] = try values[i].eval(f)
                }
                var fields: [String: Value] = [:]
                for (k, v) in out { if case .str(let s) = k { fields[s] = v } }
                _ = try locate(self, f) { try Nesting.check(fields.values, "a struct") }
                return .structure(StructValue(typeName: s.typeName, fields: fields))
            default: throw f.error(ErrorKind.type, "`...` in a map needs a map or struct, got \(base.typeName)", spread.span)
            }
        }
        for i in 0..<keys.count {
            let k = try keys[i].eval(f)
            out[try locate(keys[i], f) { try mapKey(k) }] = try values[i].eval(f)
        }
        _ = try locate(self, f) { try Nesting.check(out.values, "a map") }
        return .map(out)
    }
}

final class VariantNode: Node {
    let info: TypeInfo
    let name: String
    let fields: [(String, Node)]
    init(_ info: TypeInfo, _ name: String, _ fields: [(String, Node)], _ span: Span) {
        self.info = info; self.name = name; self.fields = fields; super.init(span)
    }
    override func eval(_ f: Frame) throws -> Value {
        var values: [(String, Value)] = []
        let declared = info.variant(name)?.1 ?? []
        for (fname, t) in declared {
            guard let node = fields.first(where: { $0.0 == fname })?.1 else {
                values.append((fname, .none)); continue
            }
            let v = try node.eval(f)
            guard let c = t.coerce(v) else {
                throw f.error(ErrorKind.type, "\(info.name).\(name): field `\(fname)` expects \(t.description), got \(v.typeName)", node.span)
            }
            values.append((fname, c))
        }
        _ = try locate(self, f) { try Nesting.check(values.lazy.map(\.1), "\(info.name).\(name)") }
        return .variant(VariantValue(typeName: info.name, name: name, fields: values))
    }
}

final class LambdaNode: Node {
    let proto: FunctionProto
    init(_ proto: FunctionProto, _ span: Span) { self.proto = proto; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        var boxes: [Box] = []
        boxes.reserveCapacity(proto.captures.count)
        for c in proto.captures {
            switch c {
            case .local(let v): boxes.append(f.boxes[v.slot])
            case .upvalue(let i): boxes.append(f.function!.upvalues[i])
            }
        }
        return .function(Function(proto: proto, upvalues: boxes, selfValue: f.selfValue))
    }
}

final class StringNode: Node {
    enum Part { case text(String), value(Node, format: FormatSpec?) }
    let parts: [Part]
    init(_ parts: [Part], _ span: Span) { self.parts = parts; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        var out = ""
        for part in parts {
            switch part {
            case .text(let s): out += s
            case .value(let node, let format):
                let v = try node.eval(f)
                if let format {
                    out += try locate(node, f) { try format.apply(v, f.interpreter) }
                } else if case .int(let n) = v {
                    StringNode.appendDecimal(n, to: &out)
                } else {
                    out += try locate(node, f) { try f.interpreter.interpolationText(v) }
                }
            }
        }
        return .str(out)
    }

    /// `out += String(n)` without the intermediate string (the standard library's conversion is
    /// generic over every integer type and radix: about 200 instructions for a short number).
    static func appendDecimal(_ n: Int, to out: inout String) {
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)   // 24 bytes: "-9223372036854775808" fits
        withUnsafeMutableBytes(of: &digits) { buffer in
            var i = buffer.count
            var magnitude = n.magnitude
            repeat {
                i -= 1
                buffer[i] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 48
                magnitude /= 10
            } while magnitude != 0
            if n < 0 { i -= 1; buffer[i] = 45 }   // "-"
            out += String(decoding: UnsafeRawBufferPointer(rebasing: buffer[i...]), as: UTF8.self)
        }
    }
}

final class FieldNode: Node {
    let object: Node
    let name: String
    let optional: Bool
    init(_ object: Node, _ name: String, optional: Bool, _ span: Span) {
        self.object = object; self.name = name; self.optional = optional; super.init(span)
    }
    override func eval(_ f: Frame) throws -> Value {
        let v = try object.eval(f)
        if optional, case .none = v { return .none }
        return try locate(self, f) { try f.interpreter.field(of: v, name) }
    }
}

/// `self.name` for a state field of the agent whose code this is: read by slot.
final class StateSlotNode: Node {
    let slot: Int
    let name: String
    init(_ slot: Int, _ name: String, _ span: Span) { self.slot = slot; self.name = name; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        if case .instance(let instance) = f.selfValue, slot < instance.state.count, instance.phase != .stopped {
            return instance.state[slot]
        }
        return try locate(self, f) { try f.interpreter.stateSlot(f.selfValue, slot, name) }
    }
}

final class TupleIndexNode: Node {
    let object: Node
    let index: Int
    init(_ object: Node, _ index: Int, _ span: Span) { self.object = object; self.index = index; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        let v = try object.eval(f)
        guard case .list(let items) = v else { throw f.error(ErrorKind.type, "`.\(index)` needs a tuple, got \(v.typeName)", span) }
        guard index < items.count else { throw f.error(ErrorKind.index, "tuple index \(index) out of bounds (length \(items.count))", span) }
        return items[index]
    }
}

final class IndexNode: Node {
    let object: Node, index: Node
    init(_ object: Node, _ index: Node, _ span: Span) { self.object = object; self.index = index; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        let o = try object.eval(f), i = try index.eval(f)
        return try locate(self, f) { try subscriptValue(o, i) }
    }
}

func subscriptValue(_ o: Value, _ i: Value) throws -> Value {
    switch (o, i) {
    case (.list(let items), .int(let n)):
        guard n >= 0, n < items.count else { throw KeelError(ErrorKind.index, "index \(n) out of bounds (length \(items.count))") }
        return items[n]
    case (.str(let s), .int(let n)):
        let chars = Array(s)
        guard n >= 0, n < chars.count else { throw KeelError(ErrorKind.index, "index \(n) out of bounds (length \(chars.count))") }
        return .str(String(chars[n]))
    case (.range(let lo, let hi), .int(let n)):
        let (x, o) = lo.addingReportingOverflow(n)
        guard n >= 0, lo <= hi, !o, x <= hi else {
            throw KeelError(ErrorKind.index, "index \(n) out of bounds (length \(Limits.rangeCount(lo, hi).map(String.init) ?? "more than an int holds"))")
        }
        return .int(x)
    case (.map(let m), _): return m[try mapKey(i)] ?? .none
    case (.structure(let s), .str(let k)): return s.fields[k] ?? .none
    // `A["alice"]`, `A[42]`: the address of an instance of agent A.
    case (.agent(let a), .str(let k)): return .address(AgentAddress(info: a, key: .str(k)))
    case (.agent(let a), .int(let k)): return .address(AgentAddress(info: a, key: .int(k)))
    case (.agent(let a), _): throw KeelError(ErrorKind.type, "the key of an instance of \(a.name) must be a str or an int, got \(i.typeName)")
    default: throw KeelError(ErrorKind.type, "cannot index \(o.typeName) with \(i.typeName)")
    }
}

final class UnwrapNode: Node {
    let operand: Node
    init(_ operand: Node, _ span: Span) { self.operand = operand; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        let v = try operand.eval(f)
        if case .none = v { throw f.error(ErrorKind.null, "`!` on none", span) }
        return v
    }
}

final class CastNode: Node {
    let operand: Node
    let type: RType
    init(_ operand: Node, _ type: RType, _ span: Span) { self.operand = operand; self.type = type; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        let v = try operand.eval(f)
        return try locate(self, f) { try cast(v, to: type) }
    }
}

/// The float truncated towards zero as an int, or nil when it is not finite or outside the int
/// range (-2^63 ≤ d < 2^63: the bounds are exact doubles, unlike Int.max).
func exactInt(_ d: Double) -> Int? {
    guard d.isFinite, d >= -9_223_372_036_854_775_808.0, d < 9_223_372_036_854_775_808.0 else { return nil }
    return Int(d)
}

/// `as T`: conversions between scalars, and shape checks for containers and structs.
func cast(_ v: Value, to type: RType) throws -> Value {
    func bad() -> KeelError {
        let shown: String
        if case .str(let s) = v { shown = "\"\(s)\"" } else { shown = v.display }
        return KeelError(ErrorKind.value, "cannot cast \(shown) to \(type.description)")
    }
    switch (type, v) {
    case (.nullable, .none), (.any, _): return v
    case (_, .none): throw bad()
    case (.nullable(let inner), _): return try cast(v, to: inner)
    case (.int, .int): return v
    case (.int, .float(let d)):
        guard let i = exactInt(d) else { throw bad() }
        return .int(i)
    case (.int, .str(let s)):
        guard let i = Int(s.trimmingCharacters(in: .whitespaces)) else { throw bad() }
        return .int(i)
    case (.int, .bool(let b)): return .int(b ? 1 : 0)
    case (.float, .float): return v
    case (.float, .int(let i)): return .float(Double(i))
    case (.float, .str(let s)):
        guard let d = Double(s.trimmingCharacters(in: .whitespaces)) else { throw bad() }
        return .float(d)
    case (.str, _): return .str(v.display)
    case (.bool, .bool): return v
    case (.bool, .str(let s)):
        switch s { case "true": return .bool(true); case "false": return .bool(false); default: throw bad() }
    default:
        guard let c = type.coerce(v) else { throw bad() }
        return c
    }
}
