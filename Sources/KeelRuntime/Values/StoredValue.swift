import Collections

/// Values as a durable store keeps them: JSON text that reads back as the same value. JSON's own
/// kinds hold none, bools, ints (no fraction or exponent), floats (always written with a fraction
/// or an exponent), strings and lists; the rest are tagged objects: `{"$duration": ns}`,
/// `{"$map": [[key, value], ...]}`, `{"$set": [...]}`, `{"$range": [lo, hi]}`,
/// `{"$struct": "Type", "fields": {...}}`, `{"$variant": "Type", "name": "x", "fields": [[k, v], ...]}`,
/// `{"$float": "nan"}` (and "inf", "-inf"), `{"$uuid": "..."}`. Functions, agents, modules, types
/// and host handles cannot be stored.
package enum StoredValue {
    /// Why a value cannot be stored: its kind (the caller names the field).
    package struct Unstorable: Error {
        package let kind: String
    }

    package static func encode(_ v: Value) throws -> String {
        var out = ""
        try write(v, to: &out, depth: 0)
        return out
    }

    static func write(_ v: Value, to out: inout String, depth: Int) throws {
        guard depth <= JSON.maxDepth else { throw Unstorable(kind: "a value nested deeper than \(JSON.maxDepth) levels") }
        func list<S: Sequence>(_ xs: S) throws where S.Element == Value {
            out += "["
            var first = true
            for x in xs {
                if !first { out += "," }
                first = false
                try write(x, to: &out, depth: depth + 1)
            }
            out += "]"
        }
        switch v {
        case .none, .undefined: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .float(let d):
            if d.isNaN { out += #"{"$float":"nan"}"# } else if d.isInfinite { out += d < 0 ? #"{"$float":"-inf"}"# : #"{"$float":"inf"}"# } else {
                let text = "\(d)"   // Swift's shortest round-trip form: always has "." or "e"
                out += text.contains(".") || text.contains("e") ? text : text + ".0"
            }
        case .str(let s): out += JSON.quote(s)
        case .duration(let ns): out += #"{"$duration":\#(ns)}"#
        case .list(let xs): try list(xs)
        case .set(let xs):
            out += #"{"$set":"#
            try list(xs)
            out += "}"
        case .range(let lo, let hi): out += #"{"$range":[\#(lo),\#(hi)]}"#
        case .map(let m):
            out += #"{"$map":["#
            for (i, k) in m.keys.sorted().enumerated() {
                if i > 0 { out += "," }
                out += "["
                try write(k.value, to: &out, depth: depth + 1)
                out += ","
                try write(m[k]!, to: &out, depth: depth + 1)
                out += "]"
            }
            out += "]}"
        case .structure(let s):
            out += #"{"$struct":"# + JSON.quote(s.typeName) + #","fields":{"#
            for (i, k) in s.fields.keys.sorted(by: scalarLess).enumerated() {
                if i > 0 { out += "," }
                out += JSON.quote(k) + ":"
                try write(s.fields[k]!, to: &out, depth: depth + 1)
            }
            out += "}}"
        case .variant(let variant):
            out += #"{"$variant":"# + JSON.quote(variant.typeName) + #","name":"# + JSON.quote(variant.name) + #","fields":"#
            if let fields = variant.fields {
                out += "["
                for (i, (k, x)) in fields.enumerated() {
                    if i > 0 { out += "," }
                    out += "[" + JSON.quote(k) + ","
                    try write(x, to: &out, depth: depth + 1)
                    out += "]"
                }
                out += "]"
            } else {
                out += "null"
            }
            out += "}"
        case .object(let o):
            guard o.typeName == "Uuid", let text = o.displayText else { throw Unstorable(kind: o.typeName) }
            out += #"{"$uuid":"# + JSON.quote(text) + "}"
        case .function, .native: throw Unstorable(kind: "a task or lambda")
        case .agent, .instance, .address: throw Unstorable(kind: "an agent")
        case .module: throw Unstorable(kind: "a module")
        case .type: throw Unstorable(kind: "a type")
        }
    }

    /// Reads back what `encode` wrote; `uuid` makes a `Uuid` from its text.
    package static func decode(_ text: String, uuid: (String) -> Value) throws -> Value {
        try read(try JSON.parse(text), uuid: uuid)
    }

    static func read(_ v: Value, uuid: (String) -> Value) throws -> Value {
        func bad() -> KeelError { KeelError(ErrorKind.value, "the store holds a value this interpreter cannot read: \(v.brief)") }
        switch v {
        case .list(let xs): return .list(try xs.map { try read($0, uuid: uuid) })
        case .map(let m):
            guard m.count <= 3, let tag = m.keys.compactMap({ k -> String? in if case .str(let s) = k, s.hasPrefix("$") { return s }; return nil }).first
            else { throw bad() }
            let body = m[.str(tag)]!
            switch tag {
            case "$duration":
                guard case .int(let ns) = body else { throw bad() }
                return .duration(Int64(ns))
            case "$float":
                guard case .str(let s) = body else { throw bad() }
                switch s {
                case "nan": return .float(.nan)
                case "inf": return .float(.infinity)
                case "-inf": return .float(-.infinity)
                default: throw bad()
                }
            case "$set":
                guard case .list(let xs) = body else { throw bad() }
                return .set(OrderedSet(try xs.map { try read($0, uuid: uuid) }))
            case "$range":
                guard case .list(let xs) = body, xs.count == 2, case .int(let lo) = xs[0], case .int(let hi) = xs[1] else { throw bad() }
                return .range(lo, hi)
            case "$map":
                guard case .list(let pairs) = body else { throw bad() }
                var out: [MapKey: Value] = [:]
                for pair in pairs {
                    guard case .list(let kv) = pair, kv.count == 2 else { throw bad() }
                    out[try mapKey(try read(kv[0], uuid: uuid))] = try read(kv[1], uuid: uuid)
                }
                return .map(out)
            case "$struct":
                guard case .str(let type) = body, case .map(let fields)? = m[.str("fields")] else { throw bad() }
                var out: [String: Value] = [:]
                for (k, x) in fields { if case .str(let name) = k { out[name] = try read(x, uuid: uuid) } }
                return .structure(StructValue(typeName: type, fields: out))
            case "$variant":
                guard case .str(let type) = body, case .str(let name)? = m[.str("name")] else { throw bad() }
                var fields: [(String, Value)]?
                if case .list(let pairs)? = m[.str("fields")] {
                    fields = try pairs.map { pair in
                        guard case .list(let kv) = pair, kv.count == 2, case .str(let k) = kv[0] else { throw bad() }
                        return (k, try read(kv[1], uuid: uuid))
                    }
                }
                return .variant(VariantValue(typeName: type, name: name, fields: fields))
            case "$uuid":
                guard case .str(let text) = body else { throw bad() }
                return uuid(text)
            default: throw bad()
            }
        default: return v
        }
    }
}
