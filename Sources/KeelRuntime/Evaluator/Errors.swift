import KeelSyntax

/// A Keel run-time error: raised by the runtime or by `raise`, caught by `try`/`catch`.
package final class KeelError: Error, CustomStringConvertible {
    /// The error's type name: `Error` kinds such as `TypeError`, std kinds such as `FileError`,
    /// `UserRaised`, or the name of a user type whose value was raised.
    package let kind: String
    package let message: String
    /// The value that was raised (its fields are readable in `catch`), if any.
    package let payload: Value?
    package var span: Span?
    package var file: SourceFile?
    /// Task frames the error passed through, innermost first: (task name, call site).
    package var trace: [(name: String, span: Span, file: SourceFile?)] = []
    /// More frames were passed through than `trace` keeps.
    package var traceTruncated = false

    package init(_ kind: String, _ message: String, payload: Value? = nil, span: Span? = nil, file: SourceFile? = nil) {
        self.kind = kind
        self.message = message
        self.payload = payload
        self.span = span
        self.file = file
    }

    package var description: String { "\(kind): \(message)" }

    /// `file:line:col: error: Kind: message`, the line with a caret, then the call stack.
    package func render(color: Bool) -> String {
        let text = kind == "Error" ? message : "\(kind): \(message)"
        var out: String
        if let span, let file {
            out = Diagnostic(text, at: span, in: file).render(color: color)
        } else {
            out = "error: \(text)"
        }
        // Consecutive identical frames (deep recursion) are folded into one line with a count.
        var i = 0
        while i < trace.count {
            let frame = trace[i]
            var j = i + 1
            while j < trace.count, trace[j].name == frame.name, trace[j].span == frame.span { j += 1 }
            if let f = frame.file {
                let (l, c) = f.location(of: frame.span.start)
                out += "\n  in \(frame.name) called at \(f.path):\(l):\(c)"
            } else {
                out += "\n  in \(frame.name)"
            }
            if j - i > 1 { out += " (\(j - i) times)" }
            i = j
        }
        if traceTruncated { out += "\n  ..." }
        return out
    }

    /// The value a `catch e` clause binds: a struct of the error's kind with `message` (and the
    /// raised value's fields).
    package var caughtValue: Value {
        var fields: [String: Value] = ["message": .str(message), "kind": .str(kind)]
        switch payload {
        case .structure(let s)?: for (k, v) in s.fields { fields[k] = v }
        case .map(let m)?: for (k, v) in m { if case .str(let key) = k { fields[key] = v } }
        case .variant(let v)?: for (k, val) in v.fields ?? [] { fields[k] = val }
        case let p?: fields["value"] = p
        case nil: break
        }
        return .structure(StructValue(typeName: kind, fields: fields))
    }
}

/// The built-in error kinds. `Error` matches every error in a `catch`.
package enum ErrorKind {
    package static let base = "Error"
    package static let type = "TypeError"
    package static let null = "NullError"
    package static let index = "IndexError"
    package static let value = "ValueError"
    package static let arithmetic = "ArithmeticError"
    package static let undefined = "UndefinedError"
    package static let call = "CallError"
    package static let recursion = "RecursionError"
    package static let capability = "CapabilityError"
    package static let userRaised = "UserRaised"
    package static let notImplemented = "NotImplementedError"
    /// A limit on the interpreter's resources: a string or list over the size limit, the fuel
    /// budget spent, too many suspended turns.
    package static let resource = "ResourceError"
    /// Ctrl-C in the REPL (or a host's interrupt): unwinds through `try`, never caught.
    package static let interrupted = "Interrupted"
    /// The fuel budget (`Options.fuel`) is spent: like `Interrupted`, never caught.
    package static let outOfFuel = "OutOfFuel"
    /// Kinds that unwind through `try`/`catch`: the program cannot swallow them.
    package static let uncatchable: Set<String> = [interrupted, outOfFuel]

    /// Every kind a `catch` clause may name without declaring it: the one table of the errors
    /// the runtime raises (`HardeningTests` checks that every kind raised in the sources is here,
    /// and `spec/language.md` lists them).
    package static let builtins: Set<String> = [
        base, type, null, index, value, arithmetic, undefined, call, recursion, capability, userRaised,
        notImplemented, resource, "FileError", "CsvError", "DbError", "CacheError", "MathError", "MemoryError",
        "EmailError", "HttpError", "ShellError", "JsonError", "EnvError", "AiError", "AiSchemaError",
        "TimeoutError", "DeadlineError", "RuntimeBusy", "IoError", "ScheduleError", "AssertionError", "HostError",
        "StoreError",
    ]
}

/// Control flow travels as Swift errors; each is a preallocated singleton, so throwing is cheap.
final class BreakSignal: Error { static let shared = BreakSignal() }
final class ContinueSignal: Error { static let shared = ContinueSignal() }
final class ReturnSignal: Error { static let shared = ReturnSignal() }
