import Collections

/// How much text a value's display form may still take, and what stops it: past the string size
/// limit the text is cut (`display`) or the call fails (`displayChecked`); every 64 Ki characters
/// the running code's interrupts and time limits are looked at, so showing a huge value (a list
/// that shares its parts, 2^40 leaves) ends with `ResourceError`, an interrupt or `TimeoutError`.
struct DisplayBudget {
    var remaining: Int
    var sincePoll = 0
    let poll: (() throws -> Void)?
    var failure: Error?
    /// Lists of containers already written, by storage: where their text is in the output, so a
    /// list that shares its parts is copied, not walked again (and one too large is known at once).
    var written: [UInt: (start: Int, length: Int)] = [:]

    var exhausted: Bool { remaining < 0 }

    @inline(__always)
    mutating func spend(_ n: Int) {
        remaining -= n
        sincePoll += n
        if sincePoll >= 65_536 {
            sincePoll = 0
            if let poll {
                do { try poll() } catch {
                    failure = error
                    remaining = -1
                }
            }
        }
    }
}

extension Value {
    /// The display form used by `io.show`, printing and interpolation of nested values. Written
    /// into one buffer, so a deeply nested value costs time in proportion to its size; a value
    /// whose text would pass the string size limit is cut there (with `…`).
    package var display: String {
        switch self {
        case .str(let s): return s
        case .int(let i): return String(i)
        default:
            var out = ""
            var budget = DisplayBudget(remaining: Limits.maxSize, poll: nil)
            write(to: &out, &budget)
            if budget.exhausted { out += "…" }
            return out
        }
    }

    /// The display form cut to about 200 characters, for error messages.
    package var brief: String {
        var out = ""
        var budget = DisplayBudget(remaining: 200, poll: nil)
        write(to: &out, &budget)
        if budget.exhausted { out += "…" }
        return out
    }

    /// The display form, for code a program runs (`io.show`, interpolation, `to_str`): text past
    /// the string size limit is a `ResourceError`, and long work looks at interrupts and time
    /// limits (`Interpreter.poll`).
    func displayChecked(_ interpreter: Interpreter, _ what: @autoclosure () -> String = "showing a value") throws -> String {
        switch self {
        case .str(let s): return s
        case .int(let i): return String(i)
        default:
            var out = ""
            var budget = DisplayBudget(remaining: Limits.maxSize, poll: { [unowned interpreter] in try interpreter.poll() })
            write(to: &out, &budget)
            if let failure = budget.failure { throw failure }
            if budget.exhausted {
                throw KeelError(ErrorKind.resource, "\(what()): the text would hold more than \(Limits.formatCount(Limits.maxSize)) bytes (the string size limit)")
            }
            return out
        }
    }

    func write(to out: inout String) {
        var budget = DisplayBudget(remaining: Limits.maxSize, poll: nil)
        write(to: &out, &budget)
    }

    func write(to out: inout String, _ budget: inout DisplayBudget) {
        guard !budget.exhausted else { return }
        func put(_ text: String) {
            budget.spend(text.utf8.count)
            if !budget.exhausted { out += text }
        }
        func items<S: Sequence>(_ xs: S, _ open: String, _ close: String) where S.Element == Value {
            put(open)
            var first = true
            for x in xs {
                if budget.exhausted { return }
                if !first { put(", ") }
                first = false
                x.write(to: &out, &budget)
            }
            put(close)
        }
        switch self {
        case .none, .undefined: put("none")
        case .bool(let b): put(b ? "true" : "false")
        case .int(let i): put(String(i))
        case .float(let d): put(formatFloat(d))
        case .str(let s): put(s)
        case .duration(let ns): put(formatDuration(ns))
        case .list(let xs):
            guard xs.count > 1, xs.contains(where: \.isContainer) else { items(xs, "[", "]"); return }
            let key = withUnsafeBytes(of: xs) { $0.load(as: UInt.self) }
            if let (start, length) = budget.written[key] {
                budget.spend(length)
                guard !budget.exhausted else { return }
                let utf8 = out.utf8
                let from = utf8.index(utf8.startIndex, offsetBy: start)
                out += String(Substring(utf8[from..<utf8.index(from, offsetBy: length)]))
                return
            }
            let start = out.utf8.count
            items(xs, "[", "]")
            if !budget.exhausted { budget.written[key] = (start, out.utf8.count - start) }
        case .set(let xs): items(xs, "set[", "]")
        case .map(let m):
            put("{")
            for (i, k) in m.keys.sorted().enumerated() {
                if budget.exhausted { return }
                if i > 0 { put(", ") }
                put(Value.keyText(k))
                put(": ")
                m[k]!.write(to: &out, &budget)
            }
            put("}")
        case .range(let lo, let hi): put("\(lo)..\(hi)")
        case .structure(let s):
            put("{")
            for (i, k) in s.fields.keys.sorted(by: scalarLess).enumerated() {
                if budget.exhausted { return }
                if i > 0 { put(", ") }
                put(k + ": ")
                s.fields[k]!.write(to: &out, &budget)
            }
            put("}")
        case .variant(let v):
            put("\(v.typeName).\(v.name)")
            guard let fields = v.fields else { return }
            put(" {")
            for (i, (k, x)) in fields.enumerated() {
                if budget.exhausted { return }
                if i > 0 { put(", ") }
                put(k + ": ")
                x.write(to: &out, &budget)
            }
            put("}")
        case .function(let f): put(f.proto.isLambda ? "<lambda>" : "<task \(f.proto.name)>")
        case .native(let n): put("<task \(n.qualifiedName)>")
        case .module(let m): put("<module \(m.name)>")
        case .type(let t): put("<type \(t.name)>")
        case .agent(let a): put("<agent \(a.name)>")
        case .instance(let i): put("<agent \(i.label)>")
        case .address(let a): put("<agent \(a.info.label(a.key))>")
        case .object(let o):
            if let text = o.displayText { put(text); return }
            put("\(o.typeName) {" + o.fieldNames.map { "\($0): \(o.field($0)?.display ?? "none")" }.joined(separator: ", ") + "}")
        }
    }

    /// A map key as a map shows it: a string key that would read as another key (`"1"` beside `1`,
    /// `"true"`, the empty string) is quoted; others are shown bare.
    static func keyText(_ k: MapKey) -> String {
        switch k {
        case .str(let s):
            if s.isEmpty || Int(s) != nil || s == "true" || s == "false" { return "\"\(s)\"" }
            return s
        case .int(let i): return String(i)
        case .bool(let b): return b ? "true" : "false"
        }
    }
}

func scalarLess(_ a: String, _ b: String) -> Bool {
    a.unicodeScalars.lexicographicallyPrecedes(b.unicodeScalars)
}

/// Shortest round-trip digits, never in exponent form, without a trailing `.0` (`3.0` prints `3`).
package func formatFloat(_ d: Double) -> String {
    if d.isNaN { return "NaN" }
    if d.isInfinite { return d < 0 ? "-inf" : "inf" }
    if d == 0 { return d.sign == .minus ? "-0" : "0" }
    let text = "\(d)"
    var mantissa = text
    var exponent = 0
    if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
        mantissa = String(text[..<e])
        exponent = Int(text[text.index(after: e)...]) ?? 0
    }
    let negative = mantissa.hasPrefix("-")
    if negative { mantissa.removeFirst() }
    var intPart = mantissa, fracPart = ""
    if let dot = mantissa.firstIndex(of: ".") {
        intPart = String(mantissa[..<dot])
        fracPart = String(mantissa[mantissa.index(after: dot)...])
    }
    var digits = intPart + fracPart
    var pointPos = intPart.count + exponent
    // Normalise leading zeros so the point position stays meaningful.
    while digits.count > 1, digits.first == "0" { digits.removeFirst(); pointPos -= 1 }
    while digits.hasSuffix("0"), digits.count > 1 { digits.removeLast() }
    var result: String
    if pointPos <= 0 {
        result = "0." + String(repeating: "0", count: -pointPos) + digits
    } else if pointPos >= digits.count {
        result = digits + String(repeating: "0", count: pointPos - digits.count)
    } else {
        let idx = digits.index(digits.startIndex, offsetBy: pointPos)
        result = digits[..<idx] + "." + digits[idx...]
    }
    return negative ? "-" + result : result
}

/// `>= 1 day` → days, `>= 1 h` → hours, `>= 1 min` → minutes, else seconds; the count prints as a float.
package func formatDuration(_ ns: Int64) -> String {
    let magnitude = ns.magnitude
    let seconds = Double(ns) / 1e9
    if magnitude >= 86_400_000_000_000 { return "\(formatFloat(seconds / 86_400)) days" }
    if magnitude >= 3_600_000_000_000 { return "\(formatFloat(seconds / 3_600)) hours" }
    if magnitude >= 60_000_000_000 { return "\(formatFloat(seconds / 60)) minutes" }
    return "\(formatFloat(seconds)) seconds"
}

// MARK: equality and hashing

extension Value: Equatable, Hashable {
    /// Structural equality. `1 == 1.0` is false; enums compare their payloads; a map equals a struct
    /// with the same fields.
    package static func == (a: Value, b: Value) -> Bool {
        var same: Set<SharedPair>?
        return equal(a, b, &same)
    }

    /// Two lists, maps or structs already found equal in this comparison, by their storage: a
    /// value that shares its parts (`l = [l, l]` forty times: 2^40 leaves) is compared in time
    /// proportional to its distinct parts, not its leaves.
    struct SharedPair: Hashable {
        let a: UInt
        let b: UInt
    }

    private static func storage(_ items: [Value]) -> UInt { withUnsafeBytes(of: items) { $0.load(as: UInt.self) } }
    private static func storage(_ m: [MapKey: Value]) -> UInt { withUnsafeBytes(of: m) { $0.load(as: UInt.self) } }

    static func equal(_ a: Value, _ b: Value, _ same: inout Set<SharedPair>?) -> Bool {
        switch (a, b) {
        case (.list(let x), .list(let y)):
            guard x.count == y.count else { return false }
            let pair = SharedPair(a: storage(x), b: storage(y))
            if pair.a == pair.b || same?.contains(pair) == true { return true }
            for i in x.indices where !equal(x[i], y[i], &same) { return false }
            if x.count > 0, x.contains(where: \.isContainer) {
                if same == nil { same = [] }
                same!.insert(pair)
            }
            return true
        case (.map(let x), .map(let y)):
            guard x.count == y.count else { return false }
            let pair = SharedPair(a: storage(x), b: storage(y))
            if pair.a == pair.b || same?.contains(pair) == true { return true }
            for (k, v) in x {
                guard let w = y[k], equal(v, w, &same) else { return false }
            }
            if x.values.contains(where: \.isContainer) {
                if same == nil { same = [] }
                same!.insert(pair)
            }
            return true
        case (.structure(let x), .structure(let y)):
            if x === y { return true }
            guard x.typeName == y.typeName, x.fields.count == y.fields.count else { return false }
            let pair = SharedPair(a: UInt(bitPattern: ObjectIdentifier(x).hashValue), b: UInt(bitPattern: ObjectIdentifier(y).hashValue))
            if same?.contains(pair) == true { return true }
            for (k, v) in x.fields {
                guard let w = y.fields[k], equal(v, w, &same) else { return false }
            }
            if x.depth > 1 {
                if same == nil { same = [] }
                same!.insert(pair)
            }
            return true
        default: return shallowEqual(a, b)
        }
    }

    /// Containers that may share parts.
    var isContainer: Bool {
        switch self {
        case .list, .map, .set, .structure, .variant: return true
        default: return false
        }
    }

    private static func shallowEqual(_ a: Value, _ b: Value) -> Bool {
        switch (a, b) {
        case (.none, .none), (.undefined, .undefined): return true
        case (.bool(let x), .bool(let y)): return x == y
        case (.int(let x), .int(let y)): return x == y
        case (.float(let x), .float(let y)): return x == y
        case (.str(let x), .str(let y)): return x == y
        case (.duration(let x), .duration(let y)): return x == y
        case (.list(let x), .list(let y)): return x == y
        case (.set(let x), .set(let y)): return x.count == y.count && x.allSatisfy { y.contains($0) }
        case (.map(let x), .map(let y)): return x == y
        case (.range(let a1, let b1), .range(let a2, let b2)): return a1 == a2 && b1 == b2
        case (.structure(let x), .structure(let y)): return x === y || (x.typeName == y.typeName && x.fields == y.fields)
        case (.structure(let s), .map(let m)), (.map(let m), .structure(let s)): return structEqualsMap(s, m)
        case (.variant(let x), .variant(let y)):
            guard x.typeName == y.typeName, x.name == y.name else { return false }
            switch (x.fields, y.fields) {
            case (nil, nil): return true
            case (let f?, let g?):
                return f.count == g.count && f.allSatisfy { pair in g.contains { $0.0 == pair.0 && $0.1 == pair.1 } }
            default: return false
            }
        case (.function(let x), .function(let y)): return x === y
        case (.native(let x), .native(let y)): return x === y
        case (.module(let x), .module(let y)): return x === y
        case (.type(let x), .type(let y)): return x === y
        case (.agent, .agent), (.agent, .instance), (.agent, .address), (.instance, .agent), (.instance, .instance),
             (.instance, .address), (.address, .agent), (.address, .instance), (.address, .address):
            // Agent values are equal when they address the same instance: `self == A["k"]`.
            let (x, k) = Value.agentAddress(a)!, (y, l) = Value.agentAddress(b)!
            return x === y && k == l
        case (.object(let x), .object(let y)):
            return x === y || (x.typeName == y.typeName && x.displayText != nil && x.displayText == y.displayText)
        default: return false
        }
    }

    package func hash(into h: inout Hasher) { hash(into: &h, budget: 64) }

    /// Equal values hash alike; a list, map or struct hashes its size and at most `budget` of its
    /// leaves (a value with 2^40 leaves hashes in constant time; equal ones still hash alike).
    private func hash(into h: inout Hasher, budget: Int) {
        switch self {
        case .list(let l):
            h.combine(l.count)
            var left = budget
            for x in l.prefix(8) where left > 0 {
                left -= 1
                x.hash(into: &h, budget: left / 2)
            }
            return
        default: break
        }
        switch self {
        case .none, .undefined: h.combine(0)
        case .bool(let b): h.combine(b)
        case .int(let i): h.combine(i)
        case .float(let d): h.combine(d)
        case .str(let s): h.combine(s)
        case .duration(let d): h.combine(d)
        case .list: break
        case .set(let s): h.combine(s.count)
        case .map(let m): h.combine(m.count)
        case .range(let a, let b): h.combine(a); h.combine(b)
        case .structure(let s): h.combine(s.fields.count)
        case .variant(let v): h.combine(v.typeName); h.combine(v.name)
        case .function(let f): h.combine(ObjectIdentifier(f))
        case .native(let n): h.combine(ObjectIdentifier(n))
        case .module(let m): h.combine(ObjectIdentifier(m))
        case .type(let t): h.combine(ObjectIdentifier(t))
        case .agent, .instance, .address:
            let (agent, key) = Value.agentAddress(self)!
            h.combine(ObjectIdentifier(agent))
            h.combine(key)
        case .object(let o):
            if let text = o.displayText { h.combine(text) } else { h.combine(ObjectIdentifier(o)) }
        }
    }
}

private func structEqualsMap(_ s: StructValue, _ m: [MapKey: Value]) -> Bool {
    guard s.fields.count == m.count else { return false }
    for (k, v) in s.fields where m[.str(k)] != v { return false }
    return true
}
