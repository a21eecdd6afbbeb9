import Foundation

/// How deep containers (lists, maps, sets, structs, rich variants) nest inside one another. Every
/// walk over a value (showing it, comparing, hashing, storing, and releasing it when it is no
/// longer used) goes as deep as the value nests, on the stack; so a container that would nest
/// deeper than `limit` is never made (`ResourceError` at the producer that would make it: a
/// literal, an element or field assignment, `push`, `insert`, `enumerate`, `zip` ...).
///
/// Knowing a value's depth must be cheap where values are built in loops (`l = [l]` a million
/// times): a struct or variant keeps its depth; for lists, maps and sets the depths of the last
/// containers made are remembered (with the container held, so its storage cannot be reused by
/// another while it is remembered), and anything else is measured by one walk that shares no
/// subtree twice.
enum Nesting {
    /// The deepest nesting allowed (ample for real programs; safe for every walk on the 1 GiB
    /// evaluation stack, with a sanitizer's larger frames too).
    static let limit = 100_000

    /// Depths of recently made lists, maps and sets, by their storage's address.
    private struct Remembered {
        var address: UInt
        var value: Value
        var depth: Int
    }
    @exclusivity(unchecked) nonisolated(unsafe) private static var remembered: [Remembered] = []
    @exclusivity(unchecked) nonisolated(unsafe) private static var next = 0
    private static let size = 32
    /// Interpreters may run on several threads of one process (KeelKit).
    private static let lock = NSLock()

    /// The address of a list's, map's or set's storage (nil for other values and empty ones).
    private static func address(_ v: Value) -> UInt? {
        switch v {
        case .list(let items):
            guard !items.isEmpty else { return nil }
            return withUnsafeBytes(of: items) { $0.load(as: UInt.self) }
        case .map(let m):
            guard !m.isEmpty else { return nil }
            return withUnsafeBytes(of: m) { $0.load(as: UInt.self) }
        case .set(let s):
            guard !s.isEmpty else { return nil }
            return s.elements.withUnsafeBufferPointer { $0.baseAddress.map { UInt(bitPattern: $0) } }
        default: return nil
        }
    }

    /// 0 for a value that holds no other; 1 for a container of such values; and so on.
    static func depth(_ v: Value) -> Int {
        switch v {
        case .structure(let s): return s.depth
        case .variant(let x): return x.depth
        case .list(let items) where items.isEmpty: return 1
        case .map(let m) where m.isEmpty: return 1
        case .set(let s) where s.isEmpty: return 1
        case .list, .map, .set:
            lock.lock()
            defer { lock.unlock() }
            if let a = address(v), let hit = remembered.first(where: { $0.address == a }) { return hit.depth }
            var seen = Set<UInt>()
            let d = measure(v, &seen, 0)
            remember(v, d)
            return d
        default: return 0
        }
    }

    /// One walk, each shared subtree once; stops counting past the limit.
    private static func measure(_ v: Value, _ seen: inout Set<UInt>, _ level: Int) -> Int {
        if level > limit { return limit + 1 }
        switch v {
        case .structure(let s): return s.depth
        case .variant(let x): return x.depth
        case .list, .map, .set:
            if let a = address(v) {
                if let hit = remembered.first(where: { $0.address == a }) { return hit.depth }
                guard seen.insert(a).inserted else { return 0 }   // counted where first met
            }
            var deepest = 0
            func visit(_ x: Value) {
                switch x {
                case .list, .map, .set, .structure, .variant: deepest = max(deepest, measure(x, &seen, level + 1))
                default: break
                }
            }
            switch v {
            case .list(let items): for x in items { visit(x) }
            case .map(let m): for x in m.values { visit(x) }
            case .set(let s): for x in s { visit(x) }
            default: break
            }
            return deepest + 1
        default: return 0
        }
    }

    private static func remember(_ v: Value, _ depth: Int) {
        guard depth > 2, let a = address(v) else { return }   // shallow ones are quick to measure again
        let entry = Remembered(address: a, value: v, depth: depth)
        if remembered.count < size { remembered.append(entry) } else {
            remembered[next] = entry
            next = (next + 1) % size
        }
    }

    /// The depth of a new container holding `children`; `ResourceError` when it would nest too
    /// deep. `what` names the producer for the message.
    @inline(__always)
    static func check<S: Sequence>(_ children: S, _ what: @autoclosure () -> String) throws -> Int where S.Element == Value {
        var deepest = 0
        for x in children {
            switch x {
            case .list, .map, .set, .structure, .variant: deepest = max(deepest, depth(x))
            default: continue
            }
        }
        if deepest >= limit {
            throw KeelError(ErrorKind.resource, "\(what()): the value would nest \(Limits.formatCount(deepest + 1)) levels deep; the limit is \(Limits.formatCount(limit))")
        }
        return deepest + 1
    }

    /// `check` for a new list (a literal, `push`, ...) that will be remembered: building the same
    /// shape again and again stays quick.
    static func list(_ items: [Value], _ what: @autoclosure () -> String) throws -> Value {
        let d = try check(items, what())
        let v = Value.list(items)
        if d > 2 {
            lock.lock()
            remember(v, d)
            lock.unlock()
        }
        return v
    }
}
