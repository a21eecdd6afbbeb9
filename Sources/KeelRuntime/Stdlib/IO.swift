import Foundation

/// `std/io` (effectful): printing for people, and reading a line of input. Input is read on
/// another thread while the turn is parked, so other agents go on.
enum IOModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        let out = interpreter.options.output
        var m = ModuleMembers("io")
        m.fn("show", args: 1) { call in
            for line in try IOFormat.show(try call.arg(0), call.interpreter) { out(line) }
            return .none
        }
        let inputRefusal = interpreter.options.inputRefusal
        m.fn("ask", args: 1) { call in
            if let why = inputRefusal { throw KeelError(ErrorKind.capability, "io.ask: \(why)") }
            if let prompt = call.optional(0) { out(try call.interpreter.interpolationText(prompt)) }
            let read = call.interpreter.options.readLine
            let line = try call.interpreter.loop.awaitOutside { read() }
            return line.map { .str($0) } ?? .none
        }
        m.fn("confirm", args: 1) { call in
            if let why = inputRefusal { throw KeelError(ErrorKind.capability, "io.confirm: \(why)") }
            if let prompt = call.optional(0) { out(try call.interpreter.interpolationText(prompt) + " [y/N]") }
            let read = call.interpreter.options.readLine
            let line = try call.interpreter.loop.awaitOutside { read() }
            let answer = line?.trimmingCharacters(in: .whitespaces).lowercased()
            return .bool(answer == "y" || answer == "yes")
        }
        m.fn("notify", args: 1) { call in
            out("  ▸ " + (try call.interpreter.interpolationText(try call.arg(0))))
            return .none
        }
        return m.values
    }
}

/// How `io.show` lays values out.
enum IOFormat {
    /// Text past the string size limit in all is a `ResourceError`; long work looks at interrupts.
    static func show(_ v: Value, _ interp: Interpreter) throws -> [String] {
        var budget = Limits.maxSize
        func text(_ x: Value) throws -> String {
            let t = try x.displayChecked(interp, "io.show")
            budget -= t.utf8.count
            if budget < 0 { throw KeelError(ErrorKind.resource, "io.show: the text would hold more than \(Limits.formatCount(Limits.maxSize)) bytes (the string size limit)") }
            return t
        }
        switch v {
        case .list(let items):
            if items.isEmpty { return ["  (empty list)"] }
            // A table only when it stays readable: a few columns (rows with many different keys
            // would make rows × keys cells); otherwise one line per item.
            if items.allSatisfy({ fieldsOf($0) != nil }), case .map = items[0] {
                let rows = items.map { fieldsOf($0)! }
                if Set(rows.lazy.flatMap { $0.keys }.prefix(1_000)).count <= 20 { return try table(rows, text) }
            }
            var out: [String] = []
            for (i, x) in items.enumerated() {
                try interp.poll()
                out.append("  \(i + 1). \(try text(x))")
            }
            return out
        case .map(let m):
            if m.isEmpty { return ["  (empty map)"] }
            let keys = m.keys.sorted()
            return box(try keys.map { (Value.keyText($0), try text(m[$0]!)) })
        default:
            return ["  " + (try text(v))]
        }
    }

    /// A boxed two-column key/value list.
    static func box(_ rows: [(String, String)]) -> [String] {
        let kw = rows.map { $0.0.count }.max() ?? 0
        let vw = rows.map { $0.1.count }.max() ?? 0
        var out = ["  ┌" + String(repeating: "─", count: kw + 2) + "┬" + String(repeating: "─", count: vw + 2) + "┐"]
        for (k, v) in rows { out.append("  │ \(pad(k, kw)) │ \(pad(v, vw)) │") }
        out.append("  └" + String(repeating: "─", count: kw + 2) + "┴" + String(repeating: "─", count: vw + 2) + "┘")
        return out
    }

    /// A list of maps as a table: one column per key (sorted), one row per map.
    static func table(_ rows: [[String: Value]], _ text: (Value) throws -> String) rethrows -> [String] {
        let columns = Array(Set(rows.flatMap { $0.keys })).sorted(by: scalarLess)
        let cells = try rows.map { row in try columns.map { c in try row[c].map(text) ?? "" } }
        let widths = columns.indices.map { i in max(columns[i].count, cells.map { $0[i].count }.max() ?? 0) }
        func line(_ items: [String]) -> String {
            "  " + zip(items, widths).map { pad($0.0, $0.1) }.joined(separator: "  ").trimmingTrailingSpaces()
        }
        return [line(columns), "  " + widths.map { String(repeating: "─", count: $0) }.joined(separator: "  ")] + cells.map(line)
    }

    static func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
