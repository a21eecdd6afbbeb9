import KeelRuntime

/// A Keel value as a host sees it. Scalars, lists, maps and records convert both ways; anything
/// else the interpreter makes (functions, agents, enum variants, ranges, handles) arrives as
/// `.opaque`, which a host can pass back unchanged.
public enum KeelValue: Equatable, CustomStringConvertible {
    case none
    case bool(Bool)
    case int(Int)
    case float(Double)
    case str(String)
    /// A duration, in nanoseconds.
    case duration(Int64)
    case list([KeelValue])
    /// A set, in insertion order.
    case set([KeelValue])
    /// A map; Keel allows str, int and bool keys.
    case map([KeelMapKey: KeelValue])
    /// A record (a struct value) with its declared type's name.
    case record(type: String, fields: [String: KeelValue])
    /// A value only Keel code can use: pass it back to Keel as it is.
    case opaque(KeelOpaqueValue)

    /// The value as `io.show` and string interpolation print it.
    public var description: String { runtimeValue.display }

    /// The Keel type name (`int`, `list`, `Point`, `task`, ...).
    public var typeName: String { runtimeValue.typeName }

    init(_ v: KeelRuntime.Value) {
        switch v {
        case .none, .undefined: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .float(let d): self = .float(d)
        case .str(let s): self = .str(s)
        case .duration(let d): self = .duration(d)
        case .list(let items): self = .list(items.map(KeelValue.init))
        case .set(let items): self = .set(items.map(KeelValue.init))
        case .map(let m):
            var out: [KeelMapKey: KeelValue] = [:]
            for (k, val) in m { out[KeelMapKey(k)] = KeelValue(val) }
            self = .map(out)
        case .structure(let s): self = .record(type: s.typeName, fields: s.fields.mapValues(KeelValue.init))
        default: self = .opaque(KeelOpaqueValue(value: v))
        }
    }

    var runtimeValue: KeelRuntime.Value {
        switch self {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let i): return .int(i)
        case .float(let d): return .float(d)
        case .str(let s): return .str(s)
        case .duration(let d): return .duration(d)
        case .list(let items): return .list(items.map(\.runtimeValue))
        case .set(let items): return .makeSet(items.map(\.runtimeValue))
        case .map(let m):
            var out: [MapKey: KeelRuntime.Value] = [:]
            for (k, v) in m { out[k.runtimeKey] = v.runtimeValue }
            return .map(out)
        case .record(let type, let fields): return .structure(StructValue(typeName: type, fields: fields.mapValues(\.runtimeValue)))
        case .opaque(let o): return o.value
        }
    }
}

/// A map key: Keel maps are keyed by strings, ints or bools.
public enum KeelMapKey: Hashable, CustomStringConvertible {
    case str(String)
    case int(Int)
    case bool(Bool)

    /// The key as Keel prints it.
    public var description: String {
        switch self {
        case .str(let s): return s
        case .int(let i): return String(i)
        case .bool(let b): return String(b)
        }
    }

    init(_ k: MapKey) {
        switch k {
        case .str(let s): self = .str(s)
        case .int(let i): self = .int(i)
        case .bool(let b): self = .bool(b)
        }
    }

    var runtimeKey: MapKey {
        switch self {
        case .str(let s): return .str(s)
        case .int(let i): return .int(i)
        case .bool(let b): return .bool(b)
        }
    }
}

/// A value of a kind only Keel code uses (a function, an agent, an enum variant, a range, a
/// schedule handle, ...). Two are equal when Keel's `==` says so.
public struct KeelOpaqueValue: Equatable, CustomStringConvertible {
    let value: KeelRuntime.Value
    /// The Keel type name.
    public var typeName: String { value.typeName }
    /// How Keel prints it.
    public var description: String { value.display }
    /// Keel's `==`.
    public static func == (a: KeelOpaqueValue, b: KeelOpaqueValue) -> Bool { a.value == b.value }
}

/// A Swift value that converts to a Keel value: host functions return these, and `call` takes them.
public protocol KeelConvertible {
    /// The value as Keel sees it.
    var keelValue: KeelValue { get }
}

extension KeelValue: KeelConvertible {
    /// Itself.
    public var keelValue: KeelValue { self }
}

extension Int: KeelConvertible {
    /// `.int`.
    public var keelValue: KeelValue { .int(self) }
}

extension Double: KeelConvertible {
    /// `.float`.
    public var keelValue: KeelValue { .float(self) }
}

extension Bool: KeelConvertible {
    /// `.bool`.
    public var keelValue: KeelValue { .bool(self) }
}

extension String: KeelConvertible {
    /// `.str`.
    public var keelValue: KeelValue { .str(self) }
}

extension Duration: KeelConvertible {
    /// `.duration`, in whole nanoseconds.
    public var keelValue: KeelValue { .duration(wholeNanoseconds(self)) }
}

extension Array: KeelConvertible where Element: KeelConvertible {
    /// `.list` of the converted elements.
    public var keelValue: KeelValue { .list(map(\.keelValue)) }
}

extension Dictionary: KeelConvertible where Key == String, Value: KeelConvertible {
    /// `.map` with string keys.
    public var keelValue: KeelValue {
        var m: [KeelMapKey: KeelValue] = [:]
        for (k, v) in self { m[.str(k)] = v.keelValue }
        return .map(m)
    }
}

extension Optional: KeelConvertible where Wrapped: KeelConvertible {
    /// The wrapped value, or `.none`.
    public var keelValue: KeelValue { self?.keelValue ?? .none }
}

/// Whole nanoseconds in a Swift `Duration` (sub-nanosecond parts are dropped), held at the ends of
/// the 64-bit range for durations beyond it.
func wholeNanoseconds(_ d: Duration) -> Int64 {
    let (seconds, attoseconds) = d.components
    let (ns, o) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
    if o { return seconds < 0 ? .min : .max }
    return ns.saturatingAddition(attoseconds / 1_000_000_000)
}

extension Int64 {
    func saturatingAddition(_ other: Int64) -> Int64 {
        let (r, o) = addingReportingOverflow(other)
        return o ? (other > 0 ? .max : .min) : r
    }
}
