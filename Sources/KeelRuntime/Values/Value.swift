import Collections

/// A Keel value. Collections are Swift value types, so Keel's "mutation returns a new value" is free.
package enum Value {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case str(String)
    /// Nanoseconds. Integer, so schedule arithmetic (`start + k·d`) is exact.
    case duration(Int64)
    /// Tuples are lists at run time, as in the reference.
    case list([Value])
    case map([MapKey: Value])
    case set(OrderedSet<Value>)
    case range(Int, Int)
    case structure(StructValue)
    case variant(VariantValue)
    case function(Function)
    case native(NativeFunction)
    case module(ModuleValue)
    case type(TypeInfo)
    /// An agent, by declaration: as an address (`send(A, x)`), its singleton instance.
    case agent(AgentInfo)
    /// `self` inside an agent's code: the instance itself (its state is read without a lookup).
    case instance(AgentInstance)
    /// `A["alice"]`: the instance of `A` with that key, whether or not it is live yet.
    case address(AgentAddress)
    /// A handle owned by the runtime or a std module (a schedule, ...), read through its fields.
    case object(HostObject)
    /// Marks a slot that was never assigned; never visible to programs.
    case undefined

    package static let emptyString = Value.str("")
}

/// Map keys: the reference allows str, int and bool.
package enum MapKey: Hashable, Comparable {
    case str(String)
    case int(Int)
    case bool(Bool)

    package var value: Value {
        switch self {
        case .str(let s): return .str(s)
        case .int(let i): return .int(i)
        case .bool(let b): return .bool(b)
        }
    }

    package static func < (a: MapKey, b: MapKey) -> Bool {
        switch (a, b) {
        case (.bool(let x), .bool(let y)): return !x && y
        case (.int(let x), .int(let y)): return x < y
        case (.str(let x), .str(let y)): return x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars)
        default: return a.rank < b.rank
        }
    }

    private var rank: Int {
        switch self {
        case .bool: return 0
        case .int: return 1
        case .str: return 2
        }
    }
}

/// A struct value tagged with its declared type (`p: Point = {x: 1, y: 2}`).
package final class StructValue {
    package let typeName: String
    package let fields: [String: Value]
    /// How deep it nests (see `Nesting`).
    let depth: Int
    package init(typeName: String, fields: [String: Value]) {
        self.typeName = typeName
        self.fields = fields
        depth = (try? Nesting.check(fields.values, "")) ?? Nesting.limit + 1
    }
}

/// An enum value: `Urgency.high`, or a rich one `Action.reply { to: "x" }`.
package final class VariantValue {
    package let typeName: String
    package let name: String
    /// Field names in declaration (or construction) order, and their values.
    package let fields: [(String, Value)]?
    /// How deep it nests (see `Nesting`).
    let depth: Int
    package init(typeName: String, name: String, fields: [(String, Value)]?) {
        self.typeName = typeName
        self.name = name
        self.fields = fields
        depth = fields.map { (try? Nesting.check($0.lazy.map(\.1), "")) ?? Nesting.limit + 1 } ?? 0
    }
    package func field(_ n: String) -> Value? { fields?.first { $0.0 == n }?.1 }
}

/// A mutable cell for a local variable that a closure captures.
package final class Box {
    package var value: Value
    package init(_ value: Value = .undefined) { self.value = value }
}

/// A namespace: a std module, a host module, or a local file module.
extension Value {
    /// The declared type of a struct or enum value (what `impl` blocks attach to); nil for others.
    var userTypeName: String? {
        switch self {
        case .structure(let s): return s.typeName
        case .variant(let v): return v.typeName
        default: return nil
        }
    }
}

package final class ModuleValue {
    package let name: String
    package var members: [String: Value]
    /// A file module's own top-level table, kept alive here: its code refers to it unowned.
    var table: GlobalTable?
    /// Effectful modules (io, file, ...) are gated by an agent's `@tools`.
    package let effectful: Bool
    /// A std module this interpreter does not provide yet (`std/http`): `use` compiles, and every
    /// member is a function that raises `NotImplementedError` when called (or can be mocked).
    let unprovided: Bool
    package init(name: String, members: [String: Value], effectful: Bool = false, unprovided: Bool = false) {
        self.name = name
        self.members = members
        self.effectful = effectful
        self.unprovided = unprovided
        if effectful { for case .native(let n) in members.values { n.gated = true } }
    }

    /// The member `name`: for an unprovided module, made on first use (and kept, so a mock of it
    /// holds).
    package func member(_ name: String) -> Value? {
        if let v = members[name] { return v }
        guard unprovided else { return nil }
        let module = self.name
        let stub = NativeFunction(name, module: module, args: nil, labels: nil) { call in
            throw KeelError("NotImplementedError", "\(call.name): std/\(module) is not implemented in this interpreter yet")
        }
        stub.gated = effectful
        members[name] = .native(stub)
        return members[name]
    }
}

/// A declared type (struct, enum or alias), available at run time for variants and tagging.
package final class TypeInfo {
    package enum Shape {
        case structure([(String, RType)])
        case enumeration([(String, [(String, RType)]?)])
        case alias(RType)
        case builtin
    }
    package let name: String
    package var shape: Shape
    package init(name: String, shape: Shape) {
        self.name = name
        self.shape = shape
    }

    package func variant(_ n: String) -> (String, [(String, RType)]?)? {
        if case .enumeration(let vs) = shape { return vs.first { $0.0 == n } }
        return nil
    }
}

/// A function written in Swift (a std or host function).
package final class NativeFunction {
    package let name: String
    package let module: String?
    package let body: (inout NativeCall) throws -> Value
    /// `module.name`, or `name`: made once, since every call's error messages use it.
    package let qualifiedName: String
    /// The labels a call may use (`random.int(min:, max:)`); any other label is an error. Nil for
    /// host functions, which read their labelled arguments themselves.
    let labels: [String]?
    /// The most positional arguments a call may pass (more is a `CallError`, at check time where
    /// the callee is known); nil: any number (variadic, or a host function that reads its own).
    let maxPositional: Int?
    /// Whether agents' `@tools` gate this function: it belongs to an effectful module.
    @exclusivity(unchecked) var gated = false
    /// A stand-in installed by `testing.mock` while a test runs.
    @exclusivity(unchecked) var mock: NativeStandIn?
    package init(_ name: String, module: String? = nil, args maxPositional: Int?, labels: [String]? = [],
                 _ body: @escaping (inout NativeCall) throws -> Value) {
        self.name = name
        self.module = module
        self.maxPositional = maxPositional
        self.labels = labels
        self.body = body
        qualifiedName = module.map { "\($0).\(name)" } ?? name
    }
}

/// What `testing.mock` puts in place of a native function: it answers calls and shows fields
/// (`call_count`, ...) through the function value.
protocol NativeStandIn: HostObject {
    func answer(_ args: [Value]) -> Value
}

extension Value {
    package var typeName: String {
        switch self {
        case .none, .undefined: return "none"
        case .bool: return "bool"
        case .int: return "int"
        case .float: return "float"
        case .str: return "str"
        case .duration: return "duration"
        case .list: return "list"
        case .map: return "map"
        case .set: return "set"
        case .range: return "range"
        case .structure(let s): return s.typeName
        case .variant(let v): return v.typeName
        case .function, .native: return "task"
        case .module: return "module"
        case .type: return "type"
        case .agent, .instance, .address: return "agent"
        case .object(let o): return o.typeName
        }
    }

    /// Truthiness: false, none, 0, 0.0, "", empty collections and empty ranges are false.
    @inline(__always)
    package var isTruthy: Bool {
        switch self {
        case .bool(let b): return b
        case .none, .undefined: return false
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        case .str(let s): return !s.isEmpty
        case .list(let l): return !l.isEmpty
        case .map(let m): return !m.isEmpty
        case .set(let s): return !s.isEmpty
        case .range(let lo, let hi): return lo <= hi
        case .duration(let d): return d != 0
        default: return true
        }
    }

    package var isNone: Bool {
        if case .none = self { return true }
        return false
    }
}

/// A value whose fields and methods are answered by Swift code at the moment they are read,
/// so a handle such as a `Schedule` shows live counts.
package protocol HostObject: AnyObject {
    var typeName: String { get }
    /// The field names shown when the value is displayed.
    var fieldNames: [String] { get }
    func field(_ name: String) -> Value?
    func method(_ name: String, _ args: [Value], _ interpreter: Interpreter) throws -> Value?
    /// The argument labels `method` accepts (they arrive after the positional arguments, in
    /// label order); any other label is an error.
    func labels(of method: String) -> [String]
    /// How the value prints and interpolates, when it is not a list of fields (a `Uuid` prints
    /// as its text). Objects with the same type and text are equal.
    var displayText: String? { get }
}

extension HostObject {
    package func labels(of method: String) -> [String] { [] }
    package var displayText: String? { nil }
}

extension Value {
    /// The agent and key an agent value addresses (`A`: the singleton, key nil).
    static func agentAddress(_ v: Value) -> (AgentInfo, MapKey?)? {
        switch v {
        case .instance(let i): return (i.info, i.key)
        case .agent(let a): return (a, nil)
        case .address(let a): return (a.info, a.key)
        default: return nil
        }
    }

    /// A set of these values, in order, without repeats.
    package static func makeSet(_ items: [Value]) -> Value { .set(OrderedSet(items)) }
}
