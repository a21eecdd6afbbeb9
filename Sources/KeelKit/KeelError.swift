import KeelRuntime
import KeelSyntax

/// A Keel run-time error: its `kind` (`TypeError`, `HostError`, a user type, ...), `message`,
/// and `render(color:)` for the `file:line:col` form with the source line, a caret and the call
/// stack. Throw one from a host function to raise exactly that error at the Keel call site.
public struct KeelError: Error, CustomStringConvertible {
    /// The error's type name, as a Keel `catch` clause names it.
    public let kind: String
    /// What went wrong.
    public let message: String
    /// The interpreter's own error, with its location and call stack, when Keel code raised it.
    let underlying: KeelRuntime.KeelError?

    /// An error to throw from a host function: Keel code sees `kind` and `message`.
    public init(_ kind: String, _ message: String) {
        self.kind = kind
        self.message = message
        underlying = nil
    }

    init(_ e: KeelRuntime.KeelError) {
        kind = e.kind
        message = e.message
        underlying = e
    }

    /// `Kind: message`.
    public var description: String { "\(kind): \(message)" }

    /// `file:line:col: error: Kind: message`, the source line with a caret under the place, then
    /// the chain of task calls (with `color`, ANSI colours as on a terminal).
    public func render(color: Bool) -> String {
        underlying?.render(color: color) ?? "error: \(kind == "Error" ? message : description)"
    }

    /// The same error as the interpreter raises it.
    var runtimeError: KeelRuntime.KeelError { underlying ?? KeelRuntime.KeelError(kind, message) }
}

/// Compile errors: every problem in a source text, each rendered with `file:line:col`, the line
/// and a caret (`description` shows them all).
public struct KeelCompileErrors: Error, CustomStringConvertible {
    /// Each problem, rendered.
    public let problems: [String]
    /// Every problem, a block each.
    public var description: String { problems.joined(separator: "\n") }

    init(_ list: DiagnosticList) {
        problems = list.diagnostics.map { $0.render(color: false) }
    }
}

/// Runs interpreter work and gives its errors the public types.
func translatingErrors<T>(_ body: () throws -> T) throws -> T {
    do { return try body() } catch let e as KeelRuntime.KeelError {
        throw KeelError(e)
    } catch let list as DiagnosticList {
        throw KeelCompileErrors(list)
    }
}
