import KeelSyntax
import Collections

/// `xs = xs.push(v)`, `m = m.insert(k, v)`, `s = s.add(v)`: the same result as the method call,
/// but the variable's collection is updated in place when nothing else shares it. Without this,
/// building a list in a loop copies it every time (quadratic).
final class InPlaceUpdateNode: Node {
    let storage: Storage
    let method: String
    let args: [Node]
    let fallback: Node
    init(_ storage: Storage, method: String, args: [Node], fallback: Node, _ span: Span) {
        self.storage = storage; self.method = method; self.args = args; self.fallback = fallback
        super.init(span)
    }

    static let methods: Set<String> = ["push", "append", "insert", "add"]

    override func eval(_ f: Frame) throws -> Value {
        var argValues: [Value] = []
        for a in args { argValues.append(try a.eval(f)) }
        var current = storage.load(f)
        switch (method, current, argValues.count) {
        case ("push", .list, 1), ("append", .list, 1):
            guard case .list(var items) = current else { break }
            current = .none
            storage.store(.none, f)         // drop the variable's reference so `items` is unique
            items.append(argValues[0])
            storage.store(.list(items), f)
            return .none
        case ("insert", .map, 2):
            guard case .map(var m) = current else { break }
            let key: MapKey
            do { key = try mapKey(argValues[0]) } catch { break }
            current = .none
            storage.store(.none, f)
            m[key] = argValues[1]
            storage.store(.map(m), f)
            return .none
        case ("add", .set, 1):
            guard case .set(var s) = current else { break }
            current = .none
            storage.store(.none, f)
            s.append(argValues[0])
            storage.store(.set(s), f)
            return .none
        default: break
        }
        // Anything else (another receiver kind, an error to report): the ordinary call.
        storage.store(try fallback.eval(f), f)
        return .none
    }
}
