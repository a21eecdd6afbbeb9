import KeelSyntax

/// A type annotation, resolved for run-time checks at task boundaries and annotated bindings.
package indirect enum RType {
    case any                       // dynamic, generic parameters, unknown names
    case int, float, str, bool, none, duration, datetime
    case list(RType)
    case map(RType, RType)
    case set(RType)
    case tuple([RType])
    case nullable(RType)
    case function
    case structure([(String, RType)])  // inline struct type
    case named(TypeInfo)

    package var description: String {
        switch self {
        case .any: return "dynamic"
        case .int: return "int"
        case .float: return "float"
        case .str: return "str"
        case .bool: return "bool"
        case .none: return "none"
        case .duration: return "duration"
        case .datetime: return "datetime"
        case .list(let t): return "list[\(t.description)]"
        case .map(let k, let v): return "map[\(k.description), \(v.description)]"
        case .set(let t): return "set[\(t.description)]"
        case .tuple(let ts): return "(" + ts.map(\.description).joined(separator: ", ") + ")"
        case .nullable(let t): return t.description + "?"
        case .function: return "task"
        case .structure(let fs): return "{" + fs.map { "\($0.0): \($0.1.description)" }.joined(separator: ", ") + "}"
        case .named(let info): return info.name
        }
    }
}

extension RType {
    /// Checks `value` against this type and returns it, converted where the language converts at a
    /// typed boundary: an int widens to float, and a map literal becomes a tagged struct.
    /// Returns nil when the value does not fit.
    func coerce(_ value: Value) -> Value? {
        switch (self, value) {
        case (.any, _): return value
        case (.int, .int), (.float, .float), (.str, .str), (.bool, .bool), (.duration, .duration): return value
        case (.float, .int(let i)): return .float(Double(i))
        case (.none, .none): return value
        case (.datetime, .str): return value
        case (.nullable, .none): return value
        case (.nullable(let inner), _): return inner.coerce(value)
        case (.function, .function), (.function, .native): return value
        case (.list(let t), .list(let items)):
            if case .any = t { return value }
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for item in items { guard let c = t.coerce(item) else { return nil }; out.append(c) }
            return .list(out)
        case (.list, .range), (.list, .set): return value
        case (.tuple(let ts), .list(let items)):
            guard ts.count == items.count else { return nil }
            var out: [Value] = []
            for (t, item) in zip(ts, items) { guard let c = t.coerce(item) else { return nil }; out.append(c) }
            return .list(out)
        case (.set, .set): return value
        case (.map(_, let vt), .map(let m)):
            if case .any = vt { return value }
            var out: [MapKey: Value] = [:]
            for (k, v) in m { guard let c = vt.coerce(v) else { return nil }; out[k] = c }
            return .map(out)
        case (.structure(let fields), _):
            guard let have = fieldsOf(value) else { return nil }
            for (name, t) in fields {
                guard let v = have[name] ?? (t.acceptsNone ? Value.none : nil), t.coerce(v) != nil else { return nil }
            }
            return value
        case (.named(let info), _):
            return info.coerce(value)
        default: return nil
        }
    }

    var acceptsNone: Bool {
        switch self {
        case .none, .nullable, .any: return true
        default: return false
        }
    }
}

extension TypeInfo {
    func coerce(_ value: Value) -> Value? {
        switch shape {
        case .builtin: return value
        case .alias(let t): return t.coerce(value)
        case .enumeration:
            if case .variant(let v) = value, v.typeName == name { return value }
            return nil
        case .structure(let fields):
            if case .structure(let s) = value, s.typeName == name { return value }
            // Structural rule: a literal (or another struct) with the right fields satisfies the type;
            // extra fields are kept.
            guard let have = fieldsOf(value) else { return nil }
            var out = have
            for (fname, t) in fields {
                let v = have[fname] ?? .none
                guard let c = t.coerce(v) else { return nil }
                out[fname] = c
            }
            return .structure(StructValue(typeName: name, fields: out))
        }
    }
}

/// The fields of a map with string keys, or of a struct.
func fieldsOf(_ value: Value) -> [String: Value]? {
    switch value {
    case .structure(let s): return s.fields
    case .map(let m):
        var out: [String: Value] = [:]
        for (k, v) in m {
            guard case .str(let key) = k else { return nil }
            out[key] = v
        }
        return out
    default: return nil
    }
}
