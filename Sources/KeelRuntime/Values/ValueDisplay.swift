import Collections

extension Value {
    /// The display form used by `io.show`, printing and interpolation of nested values. Written
    /// into one buffer, so a deeply nested value costs time in proportion to its size.
    package var display: String {
        switch self {
        case .str(let s): return s
        case .int(let i): return String(i)
        default:
            var out = ""
            write(to: &out)
            return out
        }
    }

    func write(to out: inout String) {
        func items<S: Sequence>(_ xs: S, _ open: String, _ close: String) where S.Element == Value {
            out += open
            var first = true
            for x in xs {
                if !first { out += ", " }
                first = false
                x.write(to: &out)
            }
            out += close
        }
        switch self {
        case .none, .undefined: out += "none"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .float(let d): out += formatFloat(d)
        case .str(let s): out += s
        case .duration(let ns): out += formatDuration(ns)
        case .list(let xs): items(xs, "[", "]")
        case .set(let xs): items(xs, "set[", "]")
        case .map(let m):
            out += "{"
            for (i, k) in m.keys.sorted().enumerated() {
                if i > 0 { out += ", " }
                out += Value.keyText(k)
                out += ": "
                m[k]!.write(to: &out)
            }
            out += "}"
        case .range(let lo, let hi): out += "\(lo)..\(hi)"
        case .structure(let s):
            out += "{"
            for (i, k) in s.fields.keys.sorted(by: scalarLess).enumerated() {
                if i > 0 { out += ", " }
                out += k + ": "
                s.fields[k]!.write(to: &out)
            }
            out += "}"
        case .variant(let v):
            out += "\(v.typeName).\(v.name)"
            guard let fields = v.fields else { return }
            out += " {"
            for (i, (k, x)) in fields.enumerated() {
                if i > 0 { out += ", " }
                out += k + ": "
                x.write(to: &out)
            }
            out += "}"
        case .function(let f): out += f.proto.isLambda ? "<lambda>" : "<task \(f.proto.name)>"
        case .native(let n): out += "<task \(n.qualifiedName)>"
        case .module(let m): out += "<module \(m.name)>"
        case .type(let t): out += "<type \(t.name)>"
        case .agent(let a): out += "<agent \(a.name)>"
        case .instance(let i): out += "<agent \(i.label)>"
        case .address(let a): out += "<agent \(a.info.label(a.key))>"
        case .object(let o):
            if let text = o.displayText { out += text; return }
            out += "\(o.typeName) {" + o.fieldNames.map { "\($0): \(o.field($0)?.display ?? "none")" }.joined(separator: ", ") + "}"
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

    package func hash(into h: inout Hasher) {
        switch self {
        case .none, .undefined: h.combine(0)
        case .bool(let b): h.combine(b)
        case .int(let i): h.combine(i)
        case .float(let d): h.combine(d)
        case .str(let s): h.combine(s)
        case .duration(let d): h.combine(d)
        case .list(let l): h.combine(l)
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
