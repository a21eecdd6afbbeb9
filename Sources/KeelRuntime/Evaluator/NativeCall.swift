import KeelSyntax

/// The arguments of a call to a native (std or host) function, with conversions whose errors name
/// the function and the argument: `random.int: argument `min` must be int, got str` for a
/// labelled argument, `schedule.sleep: argument 1 must be duration, got int` for a positional one.
/// The std modules and KeelKit's host functions read their arguments through this one type.
package struct NativeCall {
    package let name: String
    package var args: [Value]
    package var named: [String: Value]
    package let interpreter: Interpreter

    package init(name: String, args: [Value], named: [String: Value], interpreter: Interpreter) {
        self.name = name
        self.args = args
        self.named = named
        self.interpreter = interpreter
    }

    /// Positional argument `i`, or the argument labelled `label`; a `CallError` when neither is there.
    package func arg(_ i: Int, _ label: String? = nil) throws -> Value {
        if let label, !named.isEmpty, let v = named[label] { return v }   // most calls have no labels: skip hashing
        guard i < args.count else { throw missing(i, label) }
        return args[i]
    }

    /// Like `arg`, but nil when the argument is not given.
    package func optional(_ i: Int, _ label: String? = nil) -> Value? {
        if let label, !named.isEmpty, let v = named[label] { return v }
        return i < args.count ? args[i] : nil
    }

    /// Argument `i` (or `label`) converted by `extract`; a `TypeError` naming `expected` when it does not fit.
    @inline(__always)
    func typed<T>(_ i: Int, _ label: String?, _ expected: String, _ extract: (Value) -> T?) throws -> T {
        let v = try arg(i, label)
        guard let t = extract(v) else { throw typeError(i, expected, v, label: label) }
        return t
    }

    package func int(_ i: Int, _ label: String? = nil) throws -> Int {
        try typed(i, label, "int") { if case .int(let n) = $0 { n } else { nil } }
    }

    /// An int or float, as a Double.
    package func number(_ i: Int, _ label: String? = nil) throws -> Double {
        try typed(i, label, "float") {
            switch $0 {
            case .int(let n): Double(n)
            case .float(let d): d
            default: nil
            }
        }
    }

    package func string(_ i: Int, _ label: String? = nil) throws -> String {
        try typed(i, label, "str") { if case .str(let s) = $0 { s } else { nil } }
    }

    package func bool(_ i: Int, _ label: String? = nil) throws -> Bool {
        try typed(i, label, "bool") { if case .bool(let b) = $0 { b } else { nil } }
    }

    package func list(_ i: Int, _ label: String? = nil) throws -> [Value] {
        try typed(i, label, "list") { if case .list(let l) = $0 { l } else { nil } }
    }

    /// A duration argument, in nanoseconds.
    package func duration(_ i: Int, _ label: String? = nil) throws -> Int64 {
        try typed(i, label, "duration") { if case .duration(let d) = $0 { d } else { nil } }
    }

    /// A task, lambda or native function.
    package func callable(_ i: Int, _ label: String? = nil) throws -> Value {
        try typed(i, label, "a task or lambda") {
            switch $0 {
            case .function, .native: $0
            default: nil
            }
        }
    }

    /// An optional string option (`tz: "Europe/Paris"`): nil when not given.
    package func optionalString(_ i: Int, _ label: String? = nil) throws -> String? {
        guard let v = optional(i, label) else { return nil }
        guard case .str(let s) = v else { throw typeError(i, "str", v, label: label) }
        return s
    }

    package func typeError(_ i: Int, _ expected: String, _ got: Value, label: String? = nil) -> KeelError {
        let which = label.map { "`\($0)`" } ?? String(i + 1)
        return KeelError(ErrorKind.type, "\(name): argument \(which) must be \(expected), got \(got.typeName)")
    }

    func missing(_ i: Int, _ label: String?) -> KeelError {
        if let label, i >= args.count, !named.isEmpty || args.isEmpty {
            return KeelError(ErrorKind.call, "\(name): missing argument `\(label)`")
        }
        return KeelError(ErrorKind.call, "\(name) expects at least \(i + 1) argument\(i == 0 ? "" : "s"), got \(args.count)")
    }
}

extension NativeFunction {
    /// Raises when a call labels an argument this function does not accept (a misspelt option must
    /// never be ignored): `str.pad: unknown argument `bogus:` (accepted: char)`.
    static func checkLabels(_ name: String, _ named: [String: Value], accepted: [String]) throws {
        for label in named.keys.sorted() where !accepted.contains(label) {
            throw KeelError(ErrorKind.call, unknownLabelMessage(name, label, accepted: accepted))
        }
    }

    /// `math.sqrt takes 1 argument, got 2`: an extra argument is never silently ignored.
    static func tooManyMessage(_ name: String, _ most: Int, _ got: Int) -> String {
        let takes = most == 0 ? "takes no arguments" : "takes at most \(most) argument\(most == 1 ? "" : "s")"
        return "\(name) \(takes), got \(got)"
    }

    static func unknownLabelMessage(_ name: String, _ label: String, accepted: [String]) -> String {
        let list = accepted.isEmpty ? "it takes no labelled arguments" : "accepted: \(accepted.joined(separator: ", "))"
        return "\(name): unknown argument `\(label):` (\(list))"
    }
}
