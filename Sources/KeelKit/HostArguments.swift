import KeelRuntime

/// The arguments of a call from Keel to a host function, with conversions to Swift types. A
/// conversion that fails throws a `TypeError` (a missing argument, a `CallError`) that names the
/// function and the argument, raised at the Keel call site.
public struct HostArguments {
    /// The function's name as Keel calls it (`metrics.record`).
    public let function: String
    /// Positional arguments, in order.
    public let positional: [KeelValue]
    /// Labelled arguments (`f(x, unit: "ms")`), by label.
    public let named: [String: KeelValue]

    /// How many positional arguments were passed.
    public var count: Int { positional.count }

    /// The positional argument at `index`, or nil when there are fewer.
    public subscript(index: Int) -> KeelValue? { index < positional.count ? positional[index] : nil }

    /// The positional argument at `index`; a `CallError` when it is missing.
    public func value(_ index: Int) throws -> KeelValue {
        guard let v = self[index] else {
            throw KeelError("CallError", "\(function) expects at least \(index + 1) argument\(index == 0 ? "" : "s"), got \(count)")
        }
        return v
    }

    /// An `int` argument.
    public func int(_ index: Int) throws -> Int {
        let v = try value(index)
        if case .int(let n) = v { return n }
        throw mismatch(index, "int", v)
    }

    /// A number argument (`int` or `float`) as a `Double`.
    public func double(_ index: Int) throws -> Double {
        let v = try value(index)
        switch v {
        case .int(let n): return Double(n)
        case .float(let d): return d
        default: throw mismatch(index, "float", v)
        }
    }

    /// A `str` argument.
    public func string(_ index: Int) throws -> String {
        let v = try value(index)
        if case .str(let s) = v { return s }
        throw mismatch(index, "str", v)
    }

    /// A `bool` argument.
    public func bool(_ index: Int) throws -> Bool {
        let v = try value(index)
        if case .bool(let b) = v { return b }
        throw mismatch(index, "bool", v)
    }

    /// A `list` argument.
    public func list(_ index: Int) throws -> [KeelValue] {
        let v = try value(index)
        if case .list(let l) = v { return l }
        throw mismatch(index, "list", v)
    }

    /// A `duration` argument (`5.seconds`).
    public func duration(_ index: Int) throws -> Duration {
        let v = try value(index)
        if case .duration(let ns) = v { return .nanoseconds(ns) }
        throw mismatch(index, "duration", v)
    }

    private func mismatch(_ index: Int, _ expected: String, _ got: KeelValue) -> KeelError {
        KeelError("TypeError", "\(function): argument \(index + 1) must be \(expected), got \(got.typeName)")
    }
}
