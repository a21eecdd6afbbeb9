import Foundation

/// `std/io` (effectful): printing for people, and reading a line of input. Input is read on
/// another thread while the turn is parked, so other agents go on.
enum IOModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        let out = interpreter.options.output
        var m = ModuleMembers("io")
        m.fn("show") { call in
            for line in IOFormat.show(try call.arg(0)) { out(line) }
            return .none
        }
        let inputRefusal = interpreter.options.inputRefusal
        m.fn("ask") { call in
            if let why = inputRefusal { throw KeelError(ErrorKind.capability, "io.ask: \(why)") }
            if let prompt = call.optional(0) { out(try call.interpreter.interpolationText(prompt)) }
            let read = call.interpreter.options.readLine
            let line = try call.interpreter.loop.awaitOutside { read() }
            return line.map { .str($0) } ?? .none
        }
        m.fn("confirm") { call in
            if let why = inputRefusal { throw KeelError(ErrorKind.capability, "io.confirm: \(why)") }
            if let prompt = call.optional(0) { out(try call.interpreter.interpolationText(prompt) + " [y/N]") }
            let read = call.interpreter.options.readLine
            let line = try call.interpreter.loop.awaitOutside { read() }
            let answer = line?.trimmingCharacters(in: .whitespaces).lowercased()
            return .bool(answer == "y" || answer == "yes")
        }
        m.fn("notify") { call in
            out("  ▸ " + (try call.interpreter.interpolationText(try call.arg(0))))
            return .none
        }
        return m.values
    }
}

/// How `io.show` lays values out.
enum IOFormat {
    static func show(_ v: Value) -> [String] {
        switch v {
        case .list(let items):
            if items.isEmpty { return ["  (empty list)"] }
            if items.allSatisfy({ fieldsOf($0) != nil }), case .map = items[0] { return table(items.map { fieldsOf($0)! }) }
            return items.enumerated().map { "  \($0.offset + 1). \($0.element.display)" }
        case .map(let m):
            if m.isEmpty { return ["  (empty map)"] }
            let keys = m.keys.sorted()
            return box(keys.map { (Value.keyText($0), m[$0]!.display) })
        default:
            return ["  " + v.display]
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
    static func table(_ rows: [[String: Value]]) -> [String] {
        let columns = Array(Set(rows.flatMap { $0.keys })).sorted(by: scalarLess)
        let cells = rows.map { row in columns.map { row[$0]?.display ?? "" } }
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
