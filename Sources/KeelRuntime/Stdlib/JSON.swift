extension JSON {
    /// Compact JSON with object keys sorted, so output is stable. `depth`: the arrays and objects
    /// (and `to_json` calls) around this value; a value nesting deeper than `maxDepth` (a list
    /// containing itself through `to_json`, say) is a `JsonError`, not a stack overflow.
    static func stringify(_ v: Value, _ interp: Interpreter, depth: Int = 0) throws -> String {
        if depth > maxDepth { throw KeelError("JsonError", "cannot write a value nested deeper than \(maxDepth) levels as JSON") }
        try interp.poll()
        let d = depth + 1
        switch v {
        case .none, .undefined: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let n): return String(n)
        case .float(let d):
            guard d.isFinite else { throw KeelError("JsonError", "cannot write \(formatFloat(d)) as JSON") }
            return formatFloat(d)
        case .str(let s): return quote(s)
        case .duration(let ns): return formatFloat(Double(ns) / 1e9)
        case .list(let items): return "[" + (try items.map { try stringify($0, interp, depth: d) }).joined(separator: ",") + "]"
        case .set(let items): return "[" + (try items.map { try stringify($0, interp, depth: d) }).joined(separator: ",") + "]"
        case .range(let lo, let hi): return try stringify(.list(try Limits.rangeElements(lo, hi, "json.stringify")), interp, depth: depth)
        case .map(let m):
            return "{" + (try m.keys.sorted().map { "\(quote($0.value.display)):\(try stringify(m[$0]!, interp, depth: d))" }).joined(separator: ",") + "}"
        case .structure(let s):
            if let custom = interp.impls[s.typeName]?["to_json"] { return try serialized(v, custom, interp, depth: d) }
            return "{" + (try s.fields.keys.sorted(by: scalarLess).map { "\(quote($0)):\(try stringify(s.fields[$0]!, interp, depth: d))" }).joined(separator: ",") + "}"
        case .variant(let variant):
            if let custom = interp.impls[variant.typeName]?["to_json"] { return try serialized(v, custom, interp, depth: d) }
            guard let fields = variant.fields else { return quote(variant.name) }
            var m: [MapKey: Value] = [.str("variant"): .str(variant.name)]
            for (k, val) in fields { m[.str(k)] = val }
            return try stringify(.map(m), interp, depth: depth)
        default: throw KeelError("JsonError", "cannot write \(v.typeName) as JSON")
        }
    }

    /// `impl Serializable`: a `to_json` that returns a string gives the JSON text itself (it must
    /// parse); one that returns another value gives that value's JSON.
    static func serialized(_ v: Value, _ toJSON: Function, _ interp: Interpreter, depth: Int) throws -> String {
        let result = try interp.call(.function(toJSON), [v])
        guard case .str(let text) = result else { return try stringify(result, interp, depth: depth) }
        do { _ = try parse(text) } catch {
            throw KeelError("JsonError", "\(v.typeName).to_json() returned text that is not JSON: \(error)")
        }
        return text
    }

}

/// `std/json`: `parse` (ints stay ints; errors are `JsonError` with line and column) and
/// `stringify` (compact, keys sorted).
enum JSONModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        var m = ModuleMembers("json")
        m.fn("parse", args: 1) { call in try JSON.parse(try call.string(0)) }
        m.fn("stringify", args: 1) { call in .str(try JSON.stringify(try call.arg(0), call.interpreter)) }
        return m.values
    }
}
