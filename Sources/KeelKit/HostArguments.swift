import KeelRuntime

/// The arguments of a call from Keel to a host function, with conversions to Swift types. A
/// conversion that fails throws a `TypeError` (a missing argument, a `CallError`) naming the
/// function and the argument, raised at the Keel call site: the same wording as the std modules'.
public struct HostArguments {
    var call: NativeCall

    /// The function's name as Keel calls it (`metrics.record`).
    public var function: String { call.name }
    /// Positional arguments, in order.
    public var positional: [KeelValue] { call.args.map(KeelValue.init) }
    /// Labelled arguments (`f(x, unit: "ms")`), by label.
    public var named: [String: KeelValue] { call.named.mapValues(KeelValue.init) }
    /// How many positional arguments were passed.
    public var count: Int { call.args.count }

    /// The positional argument at `index`, or nil when there are fewer.
    public subscript(index: Int) -> KeelValue? { index < call.args.count ? KeelValue(call.args[index]) : nil }

    /// The positional argument at `index`; a `CallError` when it is missing.
    public func value(_ index: Int) throws -> KeelValue { try translatingErrors { KeelValue(try call.arg(index)) } }

    /// An `int` argument.
    public func int(_ index: Int) throws -> Int { try translatingErrors { try call.int(index) } }

    /// A number argument (`int` or `float`) as a `Double`.
    public func double(_ index: Int) throws -> Double { try translatingErrors { try call.number(index) } }

    /// A `str` argument.
    public func string(_ index: Int) throws -> String { try translatingErrors { try call.string(index) } }

    /// A `bool` argument.
    public func bool(_ index: Int) throws -> Bool { try translatingErrors { try call.bool(index) } }

    /// A `list` argument.
    public func list(_ index: Int) throws -> [KeelValue] { try translatingErrors { try call.list(index).map(KeelValue.init) } }

    /// A `duration` argument (`5.seconds`).
    public func duration(_ index: Int) throws -> Duration { try translatingErrors { .nanoseconds(try call.duration(index)) } }
}
