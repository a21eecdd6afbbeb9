/// `std/csv`: RFC 4180 text (quoted fields may hold commas, quotes and newlines).
enum CSV {
    static func parse(_ text: String) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text)
        if chars.first == "\u{FEFF}" { chars.removeFirst() }   // a UTF-8 byte-order mark is not data
        if chars.last != "\n" && chars.last != "\r\n" && chars.last != "\r" { chars.append("\n") }
        var i = 0
        var line = 1
        var atFieldStart = true
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" { field.append("\""); i += 2; continue }
                    quoted = false
                } else {
                    if c == "\n" { line += 1 }
                    field.append(c)
                }
            } else if c == "\"" && atFieldStart {
                quoted = true
            } else if c == "\"" {
                throw KeelError("CsvError", "unexpected quote in an unquoted field on line \(line)")
            } else if c == "," {
                row.append(field); field = ""
                atFieldStart = true; i += 1; continue
            } else if c == "\n" || c == "\r\n" || c == "\r" {   // a lone \r ends a line too (old Mac files)
                row.append(field); field = ""
                if !(row.count == 1 && row[0].isEmpty) { rows.append(row) }
                row = []
                line += 1
                atFieldStart = true; i += 1; continue
            } else {
                field.append(c)
            }
            atFieldStart = false
            i += 1
        }
        if quoted { throw KeelError("CsvError", "unterminated quoted field") }
        return rows
    }

    static func quote(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return s }
        return "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// `std/csv`: RFC 4180 rows, records keyed by the header, and writing rows back.
enum CSVModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        var m = ModuleMembers("csv")
        m.fn("parse", args: 1) { call in
            .list(try CSV.parse(try call.string(0)).map { .list($0.map { .str($0) }) })
        }
        m.fn("parse_records", args: 1) { call in
            let rows = try CSV.parse(try call.string(0))
            guard let header = rows.first else { return .list([]) }
            return .list(try rows.dropFirst().enumerated().map { n, row in
                guard row.count == header.count else {
                    throw KeelError("CsvError", "record \(n + 1) has \(row.count) fields, the header has \(header.count)")
                }
                var m: [MapKey: Value] = [:]
                for (k, v) in zip(header, row) { m[.str(k)] = .str(v) }
                return .map(m)
            })
        }
        m.fn("stringify", args: 1) { call in
            guard case .list(let rows) = try call.arg(0) else { throw call.typeError(0, "a list of rows", try call.arg(0)) }
            var lines: [String] = []
            for row in rows {
                guard case .list(let cells) = row else { throw KeelError("CsvError", "each row must be a list, got \(row.typeName)") }
                lines.append(try cells.map { CSV.quote(try call.interpreter.interpolationText($0)) }.joined(separator: ","))
            }
            return .str(lines.map { $0 + "\n" }.joined())
        }
        return m.values
    }
}
