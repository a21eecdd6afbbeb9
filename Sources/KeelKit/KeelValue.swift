import KeelRuntime
import KeelSyntax

/// A Keel value as a host sees it: `.none`, `.bool`, `.int`, `.float`, `.str`, `.duration`
/// (nanoseconds), `.list`, `.map`, and the run time's own kinds (records, enum variants,
/// functions, agents) that a host passes back unchanged.
public typealias KeelValue = KeelRuntime.Value

/// A Keel run-time error: its `kind` (`TypeError`, `HostError`, a user type, ...), `message`,
/// and `render(color:)` for the `file:line:col` form with the source line, a caret and the call
/// stack. Throw one from a host function to raise exactly that error at the Keel call site.
public typealias KeelError = KeelRuntime.KeelError

/// Compile errors: every problem in a source text, each with `file:line:col`, the line and a
/// caret (its `description` renders them all).
public typealias KeelCompileErrors = KeelSyntax.DiagnosticList

/// A Swift value that converts to a Keel value: host functions return these, and `call` takes them.
public protocol KeelConvertible {
    /// The value as Keel sees it.
    var keelValue: KeelValue { get }
}

extension KeelRuntime.Value: KeelConvertible {
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
        var m: [MapKey: KeelRuntime.Value] = [:]
        for (k, v) in self { m[.str(k)] = v.keelValue }
        return .map(m)
    }
}

extension Optional: KeelConvertible where Wrapped: KeelConvertible {
    /// The wrapped value, or `.none`.
    public var keelValue: KeelValue { self?.keelValue ?? .none }
}

/// Whole nanoseconds in a Swift `Duration` (sub-nanosecond parts are dropped).
func wholeNanoseconds(_ d: Duration) -> Int64 {
    let (seconds, attoseconds) = d.components
    return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
}
