import Collections

/// The ints of a range, read as a list without making one (`(1..1000000000).any(...)` allocates
/// nothing).
struct RangeElements: RandomAccessCollection {
    let lo: Int
    let count: Int
    var startIndex: Int { 0 }
    var endIndex: Int { count }
    subscript(i: Int) -> Value { .int(lo + i) }
}

enum ListMethods {
    /// Every method `call` answers (for the arity check, which must not mask "no method").
    static let names: Set<String> = ["all", "any", "append", "concat", "contains", "count", "drop", "enumerate", "filter", "find",
        "first", "flatten", "get", "index_of", "is_empty", "join", "last", "len", "length", "map", "max", "min", "push", "reduce",
        "remove_at", "reverse", "size", "skip", "slice", "sort", "sum", "take", "to_list", "to_set", "to_str", "unique", "zip"]

    /// Methods that read a range's elements one by one and build nothing as large as it: they work
    /// on ranges of any size. The others make a list at least as long as the range, so the range
    /// must be within the size limit.
    static let streaming: Set<String> = [
        "count", "len", "length", "size", "is_empty", "contains", "index_of", "first", "last", "get",
        "filter", "find", "any", "all", "reduce", "sum", "join", "take",
    ]

    /// The items without repeats, in order, looking at interrupts as it goes.
    static func distinct<C: Collection>(_ items: C, _ interp: Interpreter) throws -> OrderedSet<Value> where C.Element == Value {
        var out = OrderedSet<Value>()
        var n = 0
        for x in items {
            out.append(x)
            n += 1
            if n & 0x3FFF == 0 { try interp.poll() }
        }
        return out
    }

    static func call<C: RandomAccessCollection>(_ items: C, _ name: String, _ c: inout NativeCall, kind: String) throws -> Value
    where C.Element == Value, C.Index == Int {
        let interp = c.interpreter
        func fn(_ i: Int) throws -> Value { try c.callable(i) }
        /// A result list of `n` elements, within the size limit.
        func sized(_ n: Int) throws { try Limits.checkCount(n, "\(kind).\(name)") }
        switch name {
        case "count", "len", "length", "size": return .int(items.count)
        case "is_empty": return .bool(items.isEmpty)
        case "contains":
            let v = try c.arg(0)
            for x in items {
                try interp.poll()
                if x == v { return .bool(true) }
            }
            return .bool(false)
        case "index_of":
            let v = try c.arg(0)
            for (i, x) in items.enumerated() {
                try interp.poll()
                if x == v { return .int(i) }
            }
            return .none
        case "first": return items.first ?? .none
        case "last": return items.last ?? .none
        case "get":
            let i = try c.int(0)
            return i >= 0 && i < items.count ? items[i] : .none
        case "push", "append":
            try sized(items.count + 1)
            _ = try Nesting.check(CollectionOfOne(try c.arg(0)), "\(kind).\(name)")
            return .list(Array(items) + [try c.arg(0)])
        case "concat":
            guard case .list(let other) = try c.arg(0) else { throw c.typeError(0, "list", try c.arg(0)) }
            try sized(items.count + other.count)
            return .list(Array(items) + other)
        case "map":
            let f = try fn(0)
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for x in items { out.append(try interp.call(f, one: x)) }
            return .list(out)
        case "filter":
            let f = try fn(0)
            var out: [Value] = []
            for x in items where try interp.call(f, one: x).isTruthy {
                out.append(x)
                if out.count > Limits.maxSize { try sized(out.count) }
            }
            return .list(out)
        case "find":
            let f = try fn(0)
            for x in items where try interp.call(f, one: x).isTruthy { return x }
            return .none
        case "any":
            let f = try fn(0)
            for x in items where try interp.call(f, one: x).isTruthy { return .bool(true) }
            return .bool(false)
        case "all":
            let f = try fn(0)
            for x in items where try !interp.call(f, one: x).isTruthy { return .bool(false) }
            return .bool(true)
        case "reduce":
            let f = try fn(0)
            var acc = try c.arg(1)
            for x in items { acc = try interp.call(f, [acc, x]) }
            return acc
        case "sum":
            var acc: Value = .int(0)
            for x in items {
                try interp.poll()
                acc = try Operators.arithmetic(.add, acc, x)
            }
            return acc
        case "min", "max":
            var call = NativeCall(name: name, args: [.list(Array(items))], named: c.named, interpreter: interp)
            return try Interpreter.extreme(&call, wantMax: name == "max")
        case "join":
            let sep = c.args.isEmpty ? "" : try c.string(0)
            var out = ""
            for (i, x) in items.enumerated() {
                try interp.poll()
                if i > 0 { out += sep }
                out += try interp.interpolationText(x)
                if out.utf8.count > Limits.maxSize { try Limits.checkString(out.utf8.count, "\(kind).join") }
            }
            return .str(out)
        case "sort":
            let key = c.named["by"] ?? c.optional(0)
            return .list(try sorted(Array(items), key: key, interp))
        case "reverse":
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for x in items.reversed() {
                out.append(x)
                if out.count & 0xFFFF == 0 { try interp.poll() }
            }
            return .list(out)
        case "flatten":
            var out: [Value] = []
            for x in items {
                try interp.poll()
                if case .list(let inner) = x { out += inner } else { out.append(x) }
                if out.count > Limits.maxSize { try sized(out.count) }
            }
            return .list(out)
        case "take": return .list(Array(items.prefix(max(0, try c.int(0)))))
        case "skip", "drop": return .list(Array(items.dropFirst(max(0, try c.int(0)))))
        case "slice":
            let n = items.count
            let start = min(max(0, try c.int(0)), n)
            let end = c.args.count > 1 ? min(max(start, try c.int(1)), n) : n
            return .list(Array(items[start..<end]))
        case "zip":
            let other = try c.arg(0)
            guard case .list(let o) = other else { throw c.typeError(0, "list", other) }
            _ = try Nesting.check(items, "\(kind).zip")
            _ = try Nesting.check(o, "\(kind).zip")
            var out: [Value] = []
            for (a, b) in zip(items, o) {
                out.append(.list([a, b]))
                if out.count & 0xFFFF == 0 { try interp.poll() }
            }
            return .list(out)
        case "enumerate":
            _ = try Nesting.check(items, "\(kind).enumerate")
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for (i, x) in items.enumerated() {
                out.append(.list([.int(i), x]))
                if i & 0xFFFF == 0 { try interp.poll() }
            }
            return .list(out)
        case "unique": return .list(Array(try distinct(items, interp)))
        case "to_set": return .set(try distinct(items, interp))
        case "to_list": return .list(Array(items))
        case "remove_at":
            let i = try c.int(0)
            guard i >= 0, i < items.count else { throw KeelError(ErrorKind.index, "index \(i) out of bounds (length \(items.count))") }
            var out = Array(items)
            out.remove(at: i)
            return .list(out)
        case "to_str": return .str(try Value.list(Array(items)).displayChecked(interp, "\(kind).to_str"))
        default: throw KeelError(ErrorKind.type, "\(kind) has no method `\(name)`")
        }
    }

    /// Stable ascending sort, by the values or by `key(x)`.
    static func sorted(_ items: [Value], key: Value?, _ interp: Interpreter) throws -> [Value] {
        let keys: [Value] = try key.map { k in try items.map { try interp.call(k, one: $0) } } ?? items
        var indices = Array(items.indices)
        var failure: Error?
        // Merge sort via the standard library's stable `sort` (Swift's sort is stable since 5).
        indices.sort { a, b in
            if failure != nil { return false }
            do {
                try interp.poll()
                return try compareForSort(keys[a], keys[b], interp)
            } catch {
                failure = error
                return false
            }
        }
        if let failure { throw failure }
        return indices.map { items[$0] }
    }

    static func compareForSort(_ a: Value, _ b: Value, _ interp: Interpreter) throws -> Bool {
        if case .structure(let s) = a, let cmp = interp.impls[s.typeName]?["compare"] {
            guard case .int(let r) = try interp.call(.function(cmp), [a, b]) else {
                throw KeelError(ErrorKind.type, "`compare` must return an int")
            }
            return r < 0
        }
        return try Operators.less(a, b)
    }
}
