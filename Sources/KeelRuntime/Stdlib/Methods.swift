import Collections

/// Built-in methods by receiver kind. Methods never mutate: they return new values.
enum Methods {
    /// The labels built-in methods accept; a method not listed takes none.
    static let labels: [String: [String]] = [
        "pad": ["char"], "format": ["as"], "round": ["places"], "get": ["default"], "sort": ["by"], "min": ["by"], "max": ["by"],
    ]

    /// The built-in methods that take no argument, which a field access also reads
    /// (`xs.count` as `xs.count()`), by receiver kind.
    static let properties = (
        str: Set(["length", "len", "count", "is_empty", "to_str", "upper", "lower", "trim", "strip", "trim_start", "trim_end",
                  "lines", "chars", "to_int", "to_float", "reverse"]),
        list: Set(["count", "len", "length", "size", "is_empty", "first", "last", "sum", "min", "max", "sort", "reverse",
                   "flatten", "enumerate", "unique", "to_set", "to_list", "to_str"]),
        set: Set(["count", "len", "size", "is_empty", "to_list", "to_str"]),
        map: Set(["keys", "values", "entries", "items", "count", "len", "size", "length", "is_empty", "to_str"]),
        structure: Set(["keys", "values", "entries", "items", "to_str"]),
        number: Set(["abs", "to_str", "to_int", "to_float", "floor", "ceil", "round"]),
        duration: Set(["to_seconds", "to_ms", "to_millis", "to_milliseconds", "to_minutes", "to_hours", "to_days", "abs", "to_str"])
    )

    /// How many positional arguments each built-in method takes at most (the most any receiver
    /// kind's method of that name takes); a method not listed takes none. More is a `CallError`:
    /// an extra argument is never silently ignored.
    static let maxPositional: [String: Int] = {
        var table: [String: Int] = [:]
        for name in ["contains", "starts_with", "ends_with", "split", "repeat", "index_of", "truncate", "matches", "extract",
                     "find_all", "push", "append", "concat", "map", "filter", "find", "any", "all", "take", "skip", "drop",
                     "zip", "remove_at", "join", "sort", "round", "format", "add", "remove", "delete", "has", "union",
                     "intersection", "difference", "merge"] { table[name] = 1 }
        for name in ["replace", "slice", "pad", "sub", "reduce", "insert", "set", "get"] { table[name] = 2 }
        return table
    }()

    static func call(_ r: Value, _ name: String, _ c: inout NativeCall) throws -> Value {
        if !c.named.isEmpty { try NativeFunction.checkLabels(c.name, c.named, accepted: labels[name] ?? []) }
        if c.args.count > (maxPositional[name] ?? 0) { try checkArity(r, name, c) }
        switch r {
        case .str(let s): return try StringMethods.call(s, name, &c)
        case .list(let items): return try ListMethods.call(items, name, &c, kind: "list")
        case .range(let lo, let hi):
            if let v = try rangeMethod(lo, hi, name, &c) { return v }
            guard let count = Limits.rangeCount(lo, hi) else { throw tooManyToCount(lo, hi) }
            if !ListMethods.streaming.contains(name) { try Limits.checkCount(count, "range.\(name)") }
            return try ListMethods.call(RangeElements(lo: lo, count: count), name, &c, kind: "range")
        case .set(let items): return try setMethod(items, name, &c)
        case .map(let m): return try mapMethod(m, name, &c)
        case .structure(let s):
            var m: [MapKey: Value] = [:]
            for (k, v) in s.fields { m[.str(k)] = v }
            if name == "to_str" { return .str(try r.displayChecked(c.interpreter, "\(r.typeName).to_str")) }
            return try mapMethod(m, name, &c)
        case .int, .float: return try numberMethod(r, name, &c)
        case .duration(let ns): return try durationMethod(ns, name, &c)
        case .variant(let v):
            if name == "to_str" { return .str(v.name) }
        case .bool:
            if name == "to_str" { return .str(r.display) }
        case .none:
            throw KeelError(ErrorKind.null, "cannot call `.\(name)()` on none (use `?.` for optional values)")
        default: break
        }
        if name == "to_str" { return .str(try r.displayChecked(c.interpreter, "\(r.typeName).to_str")) }
        throw KeelError(ErrorKind.type, "\(r.typeName) has no method `\(name)`")
    }

    /// The error for too many positional arguments, once the method is known to exist for this
    /// receiver (an unknown method keeps its own message).
    static func checkArity(_ r: Value, _ name: String, _ c: NativeCall) throws {
        let error = KeelError(ErrorKind.call, NativeFunction.tooManyMessage(c.name, maxPositional[name] ?? 0, c.args.count))
        // Only a method that exists for this receiver gets the arity error.
        if methodExists(r, name) { throw error }
    }

    /// Whether a built-in method `name` exists for the receiver's kind.
    static func methodExists(_ r: Value, _ name: String) -> Bool {
        switch r {
        case .str: return StringMethods.names.contains(name)
        case .list, .range: return ListMethods.names.contains(name)
        case .set: return setNames.contains(name) || ListMethods.names.contains(name)
        case .map, .structure: return mapNames.contains(name)
        case .int, .float: return properties.number.contains(name)
        case .duration: return properties.duration.contains(name)
        case .variant, .bool: return name == "to_str"
        default: return false
        }
    }

    static let setNames: Set<String> = ["count", "len", "size", "is_empty", "contains", "add", "remove", "union", "intersection",
                                        "difference", "to_list"]
    static let mapNames: Set<String> = ["get", "keys", "values", "entries", "items", "count", "len", "size", "length", "is_empty",
                                        "contains", "has", "insert", "set", "remove", "delete", "merge", "to_str"]

    static func tooManyToCount(_ lo: Int, _ hi: Int) -> KeelError {
        KeelError(ErrorKind.value, "the range \(lo)..\(hi) has more elements than an int can count")
    }

    /// What a range answers without making a list (at any size).
    static func rangeMethod(_ lo: Int, _ hi: Int, _ name: String, _ c: inout NativeCall) throws -> Value? {
        let empty = lo > hi
        switch name {
        case "count", "len", "length", "size":
            guard let n = Limits.rangeCount(lo, hi) else { throw tooManyToCount(lo, hi) }
            return .int(n)
        case "is_empty": return .bool(empty)
        case "contains":
            guard case .int(let x) = try c.arg(0) else { return .bool(false) }
            return .bool(x >= lo && x <= hi)
        case "first": return empty ? .none : .int(lo)
        case "last": return empty ? .none : .int(hi)
        case "min" where c.named.isEmpty: return empty ? .none : .int(lo)
        case "max" where c.named.isEmpty: return empty ? .none : .int(hi)
        case "get":
            let i = try c.int(0)
            guard !empty, i >= 0 else { return .none }
            let (x, o) = lo.addingReportingOverflow(i)
            return !o && x <= hi ? .int(x) : .none
        case "index_of":
            guard case .int(let x) = try c.arg(0), !empty, x >= lo, x <= hi else { return .none }
            let (index, o) = x.subtractingReportingOverflow(lo)
            if o { throw KeelError(ErrorKind.value, "range.index_of: the index of \(x) in \(lo)..\(hi) does not fit in an int") }
            return .int(index)
        case "sum":
            if empty { return .int(0) }
            if lo == hi { return .int(lo) }
            // count · (lo + hi) / 2, halving whichever factor is even; any overflow is an error.
            guard let count = Limits.rangeCount(lo, hi) else { throw KeelError(ErrorKind.arithmetic, "integer overflow in sum") }
            let (pair, o1) = lo.addingReportingOverflow(hi)
            let (product, o2) = count % 2 == 0 ? (count / 2).multipliedReportingOverflow(by: pair)
                                                : count.multipliedReportingOverflow(by: pair / 2)
            if o1 || o2 { throw KeelError(ErrorKind.arithmetic, "integer overflow in sum") }
            return .int(product)
        case "take":
            let n = max(0, try c.int(0))
            let m = Limits.rangeCount(lo, hi).map { min($0, n) } ?? n
            try Limits.checkCount(m, "range.take")
            return .list((0..<m).map { .int(lo + $0) })
        default: return nil
        }
    }

    static func setMethod(_ items: OrderedSet<Value>, _ name: String, _ c: inout NativeCall) throws -> Value {
        switch name {
        case "count", "len", "size": return .int(items.count)
        case "is_empty": return .bool(items.isEmpty)
        case "contains": return .bool(items.contains(try c.arg(0)))
        case "add":
            var s = items
            s.append(try c.arg(0))
            return .set(s)
        case "remove":
            var s = items
            s.remove(try c.arg(0))
            return .set(s)
        case "union":
            guard case .set(let other) = try c.arg(0) else { throw c.typeError(0, "set", try c.arg(0)) }
            return .set(items.union(other))
        case "intersection":
            guard case .set(let other) = try c.arg(0) else { throw c.typeError(0, "set", try c.arg(0)) }
            return .set(items.intersection(other))
        case "difference":
            guard case .set(let other) = try c.arg(0) else { throw c.typeError(0, "set", try c.arg(0)) }
            return .set(items.subtracting(other))
        case "to_list": return .list(Array(items))
        case "push":
            throw KeelError(ErrorKind.type, "set has no method `push` (use `add`)")
        default:
            let result = try ListMethods.call(Array(items), name, &c, kind: "set")
            // Read-only list methods that build a collection keep it a set.
            if ["map", "filter", "sort", "reverse", "take", "skip"].contains(name), case .list(let l) = result {
                return .set(OrderedSet(l))
            }
            return result
        }
    }

    static func mapMethod(_ m: [MapKey: Value], _ name: String, _ c: inout NativeCall) throws -> Value {
        switch name {
        case "get": return m[try mapKey(try c.arg(0))] ?? c.optional(1, "default") ?? .none
        case "keys": return .list(m.keys.sorted().map(\.value))
        case "values": return .list(m.keys.sorted().map { m[$0]! })
        case "entries", "items":
            _ = try Nesting.check(m.values, "map.\(name)")
            return .list(m.keys.sorted().map { .list([$0.value, m[$0]!]) })
        case "count", "len", "size", "length": return .int(m.count)
        case "is_empty": return .bool(m.isEmpty)
        case "contains", "has": return .bool(m[try mapKey(try c.arg(0))] != nil)
        case "insert", "set":
            var out = m
            _ = try Nesting.check(CollectionOfOne(try c.arg(1)), "map.\(name)")
            out[try mapKey(try c.arg(0))] = try c.arg(1)
            return .map(out)
        case "remove", "delete":
            var out = m
            out[try mapKey(try c.arg(0))] = nil
            return .map(out)
        case "merge":
            guard case .map(let other) = try c.arg(0) else { throw c.typeError(0, "map", try c.arg(0)) }
            return .map(m.merging(other) { _, b in b })
        case "to_str": return .str(try Value.map(m).displayChecked(c.interpreter, "map.to_str"))
        default: throw KeelError(ErrorKind.type, "map has no method `\(name)`")
        }
    }

    static func numberMethod(_ r: Value, _ name: String, _ c: inout NativeCall) throws -> Value {
        switch (r, name) {
        case (.int(let i), "abs"):
            if i == Int.min { throw KeelError(ErrorKind.arithmetic, "integer overflow in abs") }
            return .int(abs(i))
        case (.int, "floor"), (.int, "ceil"), (.int, "round"), (.int, "to_int"): return r
        case (.int(let i), "to_float"): return .float(Double(i))
        case (.float(let d), "abs"): return .float(abs(d))
        case (.float(let d), "floor"): return .float(d.rounded(.down))
        case (.float(let d), "ceil"): return .float(d.rounded(.up))
        case (.float(let d), "round"):
            if c.optional(0, "places") != nil { return .float(rounded(d, places: try c.int(0, "places"))) }
            return .float(d.rounded(.toNearestOrAwayFromZero))
        case (.float, "to_float"): return r
        case (.float(let d), "to_int"):
            guard let i = exactInt(d) else { throw KeelError(ErrorKind.value, "cannot convert \(formatFloat(d)) to int") }
            return .int(i)
        case (_, "to_str"): return .str(r.display)
        case (.int(let i), "seconds"), (.int(let i), "minutes"):
            throw KeelError(ErrorKind.type, "write a duration literal like `\(i).\(name)` without parentheses")
        default: throw KeelError(ErrorKind.type, "\(r.typeName) has no method `\(name)`")
        }
    }

    static func durationMethod(_ ns: Int64, _ name: String, _ c: inout NativeCall) throws -> Value {
        let d = Double(ns)
        switch name {
        case "to_seconds": return .float(d / 1e9)
        case "to_ms", "to_millis", "to_milliseconds": return .float(d / 1e6)
        case "to_minutes": return .float(d / 6e10)
        case "to_hours": return .float(d / 3.6e12)
        case "to_days": return .float(d / 8.64e13)
        case "abs": return .duration(ns == Int64.min ? Int64.max : abs(ns))
        case "to_str": return .str(formatDuration(ns))
        default: throw KeelError(ErrorKind.type, "duration has no method `\(name)`")
        }
    }
}
