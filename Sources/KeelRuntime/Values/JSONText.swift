/// JSON text: a small hand-written parser, because a program must see exact ints (not floats
/// that happen to be whole) and errors must give the line and column of the problem.
package enum JSON {
    static func error(_ message: String, _ bytes: [UInt8], _ at: Int) -> KeelError {
        var line = 1, column = 1
        for b in bytes[0..<min(at, bytes.count)] {
            if b == 10 { line += 1; column = 1 } else if b & 0xC0 != 0x80 { column += 1 }
        }
        return KeelError("JsonError", "\(message) at line \(line), column \(column)")
    }

    package static func parse(_ text: String) throws -> Value {
        let bytes = Array(text.utf8)
        var i = 0
        let value = try parseValue(bytes, &i, depth: 0)
        skipSpace(bytes, &i)
        if i != bytes.count { throw error("unexpected text after the JSON value", bytes, i) }
        return value
    }

    static func skipSpace(_ b: [UInt8], _ i: inout Int) {
        while i < b.count, b[i] == 32 || b[i] == 9 || b[i] == 10 || b[i] == 13 { i += 1 }
    }

    /// The deepest nesting of arrays and objects `parse` and `stringify` accept.
    static let maxDepth = 512

    /// `depth`: the arrays and objects around this value.
    static func parseValue(_ b: [UInt8], _ i: inout Int, depth: Int) throws -> Value {
        skipSpace(b, &i)
        guard i < b.count else { throw error("unexpected end of input", b, i) }
        if (b[i] == UInt8(ascii: "{") || b[i] == UInt8(ascii: "[")) && depth >= maxDepth {
            throw error("JSON nests deeper than \(maxDepth) levels", b, i)
        }
        switch b[i] {
        case UInt8(ascii: "{"):
            i += 1
            var out: [MapKey: Value] = [:]
            skipSpace(b, &i)
            if i < b.count, b[i] == UInt8(ascii: "}") { i += 1; return .map(out) }
            while true {
                skipSpace(b, &i)
                guard i < b.count, b[i] == UInt8(ascii: "\"") else { throw error("expected a string key", b, i) }
                let key = try parseString(b, &i)
                skipSpace(b, &i)
                guard i < b.count, b[i] == UInt8(ascii: ":") else { throw error("expected ':'", b, i) }
                i += 1
                out[.str(key)] = try parseValue(b, &i, depth: depth + 1)
                skipSpace(b, &i)
                guard i < b.count else { throw error("unexpected end of input in an object", b, i) }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "}") { i += 1; return .map(out) }
                throw error("expected ',' or '}'", b, i)
            }
        case UInt8(ascii: "["):
            i += 1
            var out: [Value] = []
            skipSpace(b, &i)
            if i < b.count, b[i] == UInt8(ascii: "]") { i += 1; return .list(out) }
            while true {
                out.append(try parseValue(b, &i, depth: depth + 1))
                skipSpace(b, &i)
                guard i < b.count else { throw error("unexpected end of input in an array", b, i) }
                if b[i] == UInt8(ascii: ",") { i += 1; continue }
                if b[i] == UInt8(ascii: "]") { i += 1; return .list(out) }
                throw error("expected ',' or ']'", b, i)
            }
        case UInt8(ascii: "\""): return .str(try parseString(b, &i))
        case UInt8(ascii: "t"): return try literal("true", .bool(true), b, &i)
        case UInt8(ascii: "f"): return try literal("false", .bool(false), b, &i)
        case UInt8(ascii: "n"): return try literal("null", .none, b, &i)
        default: return try parseNumber(b, &i)
        }
    }

    static func literal(_ word: String, _ v: Value, _ b: [UInt8], _ i: inout Int) throws -> Value {
        let w = Array(word.utf8)
        guard i + w.count <= b.count, Array(b[i..<i + w.count]) == w else { throw error("unexpected character", b, i) }
        i += w.count
        return v
    }

    static func parseNumber(_ b: [UInt8], _ i: inout Int) throws -> Value {
        let start = i
        func digits() -> Int {
            let s = i
            while i < b.count, b[i] >= 48, b[i] <= 57 { i += 1 }
            return i - s
        }
        if i < b.count, b[i] == UInt8(ascii: "-") { i += 1 }
        let intDigits = digits()
        guard intDigits > 0 else { throw error("unexpected character", b, start) }
        if intDigits > 1, b[i - intDigits] == UInt8(ascii: "0") { throw error("leading zeros are not allowed", b, start) }
        var isFloat = false
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            guard digits() > 0 else { throw error("expected digits after '.'", b, i) }
            isFloat = true
        }
        if i < b.count, b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E") {
            i += 1
            if i < b.count, b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") { i += 1 }
            guard digits() > 0 else { throw error("expected an exponent", b, i) }
            isFloat = true
        }
        let text = String(decoding: b[start..<i], as: UTF8.self)
        if !isFloat, let n = Int(text) { return .int(n) }
        guard let d = Double(text) else { throw error("bad number", b, start) }
        return .float(d)
    }

    static func parseString(_ b: [UInt8], _ i: inout Int) throws -> String {
        let start = i
        i += 1
        var out: [UInt8] = []
        while true {
            guard i < b.count else { throw error("unterminated string", b, start) }
            let c = b[i]
            if c == UInt8(ascii: "\"") { i += 1; break }
            if c < 0x20 { throw error("control character in a string", b, i) }
            if c != UInt8(ascii: "\\") { out.append(c); i += 1; continue }
            i += 1
            guard i < b.count else { throw error("unterminated string", b, start) }
            let e = b[i]
            i += 1
            switch e {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
            case UInt8(ascii: "b"): out.append(8)
            case UInt8(ascii: "f"): out.append(12)
            case UInt8(ascii: "n"): out.append(10)
            case UInt8(ascii: "r"): out.append(13)
            case UInt8(ascii: "t"): out.append(9)
            case UInt8(ascii: "u"):
                var scalar = try hex4(b, &i)
                if (0xD800...0xDBFF).contains(scalar), i + 1 < b.count, b[i] == UInt8(ascii: "\\"), b[i + 1] == UInt8(ascii: "u") {
                    i += 2
                    let low = try hex4(b, &i)
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                }
                guard let u = Unicode.Scalar(scalar) else { throw error("invalid \\u escape", b, i - 6) }
                out += Array(String(Character(u)).utf8)
            default: throw error("unknown escape", b, i - 2)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func hex4(_ b: [UInt8], _ i: inout Int) throws -> UInt32 {
        guard i + 4 <= b.count, let v = UInt32(String(decoding: b[i..<i + 4], as: UTF8.self), radix: 16) else {
            throw error("invalid \\u escape", b, i)
        }
        i += 4
        return v
    }

    package static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 {
                    let h = String(u.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - h.count) + h
                } else {
                    out.unicodeScalars.append(u)
                }
            }
        }
        return out + "\""
    }
}

/// `std/json`: `parse` (ints stay ints; errors are `JsonError` with line and column) and
/// `stringify` (compact, keys sorted).
