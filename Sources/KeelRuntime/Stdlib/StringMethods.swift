import Foundation

enum StringMethods {
    /// Every method `call` answers (for the arity check, which must not mask "no method").
    static let names: Set<String> = ["chars", "contains", "count", "ends_with", "extract", "find_all", "format", "index_of",
        "is_empty", "len", "length", "lines", "lower", "matches", "pad", "parts", "repeat", "replace", "reverse", "slice",
        "split", "starts_with", "strip", "sub", "to_float", "to_int", "to_str", "trim", "trim_end", "trim_start", "truncate",
        "upper"]

    static func regex(_ pattern: String) throws -> NSRegularExpression {
        do { return try NSRegularExpression(pattern: pattern) } catch {
            throw KeelError(ErrorKind.value, "invalid regular expression `\(pattern)`")
        }
    }

    /// Every match of `re` in `s` (only the first with `first`). A long match is checked on while it
    /// runs (the engine reports progress), so an interrupt or a `control` time limit cuts even a
    /// catastrophically backtracking pattern.
    static func matches(_ re: NSRegularExpression, in s: String, first: Bool = false, _ interp: Interpreter) throws -> [NSTextCheckingResult] {
        var found: [NSTextCheckingResult] = []
        var failure: Error?
        re.enumerateMatches(in: s, options: [.reportProgress], range: NSRange(s.startIndex..., in: s)) { m, _, stop in
            do { try interp.attend() } catch {
                failure = error
                stop.pointee = true
                return
            }
            guard let m else { return }
            found.append(m)
            if first { stop.pointee = true }
        }
        if let failure { throw failure }
        return found
    }

    /// A string's characters, looking at interrupts as it goes (a 100 MB string is a long list).
    static func chars(_ s: String, _ interp: Interpreter) throws -> [Value] {
        var out: [Value] = []
        for ch in s {
            out.append(.str(String(ch)))
            if out.count & 0xFFFF == 0 { try interp.poll(); try Limits.checkCount(out.count, "str.chars") }
        }
        return out
    }

    /// Where `needle` occurs in `hay`, left to right without overlaps (byte offsets in UTF-8, found
    /// by Knuth-Morris-Pratt, so the work is the two lengths, never their product), looking at
    /// interrupts every 64 KiB.
    static func occurrences(_ hay: [UInt8], _ needle: [UInt8], _ interp: Interpreter) throws -> [Int] {
        let m = needle.count
        guard m > 0, hay.count >= m else { return [] }
        var fail = [Int](repeating: 0, count: m)
        var k = 0
        for i in 1..<m {
            while k > 0 && needle[i] != needle[k] { k = fail[k - 1] }
            if needle[i] == needle[k] { k += 1 }
            fail[i] = k
        }
        var found: [Int] = []
        k = 0
        for i in 0..<hay.count {
            if i & 0xFFFF == 0 { try interp.poll() }
            while k > 0 && hay[i] != needle[k] { k = fail[k - 1] }
            if hay[i] == needle[k] { k += 1 }
            if k == m {
                found.append(i - m + 1)
                k = 0
            }
        }
        return found
    }

    /// `str.replace`: the result's size is checked against the limit before it is made.
    static func replace(_ s: String, _ old: String, _ new: String, _ interp: Interpreter) throws -> String {
        let hay = Array(s.utf8), needle = Array(old.utf8), with = Array(new.utf8)
        let at = try occurrences(hay, needle, interp)
        if at.isEmpty { return s }
        let (grow, o1) = at.count.multipliedReportingOverflow(by: with.count - needle.count)
        let (size, o2) = hay.count.addingReportingOverflow(grow)
        try Limits.checkString(o1 || o2 ? nil : size, "str.replace")
        var out: [UInt8] = []
        out.reserveCapacity(size)
        var from = 0
        for (n, i) in at.enumerated() {
            if n & 0xFFF == 0 { try interp.poll() }
            out += hay[from..<i]
            out += with
            from = i + needle.count
        }
        out += hay[from...]
        return String(decoding: out, as: UTF8.self)
    }

    /// `s` cut at each `sep`.
    static func pieces(_ s: String, _ sep: String, _ interp: Interpreter) throws -> [String] {
        let hay = Array(s.utf8), needle = Array(sep.utf8)
        var out: [String] = []
        var from = 0
        for i in try occurrences(hay, needle, interp) {
            out.append(String(decoding: hay[from..<i], as: UTF8.self))
            from = i + needle.count
        }
        out.append(String(decoding: hay[from...], as: UTF8.self))
        return out
    }

    static func call(_ s: String, _ name: String, _ c: inout NativeCall) throws -> Value {
        switch name {
        case "length", "len", "count": return .int(s.count)
        case "is_empty": return .bool(s.isEmpty)
        case "to_str": return .str(s)
        case "upper": return .str(s.uppercased())
        case "lower": return .str(s.lowercased())
        case "trim", "strip": return .str(s.trimmingCharacters(in: .whitespacesAndNewlines))
        case "trim_start":
            return .str(String(s.drop(while: { $0.isWhitespace })))
        case "trim_end":
            var t = Substring(s)
            while let l = t.last, l.isWhitespace { t.removeLast() }
            return .str(String(t))
        case "contains": return .bool(s.contains(try c.string(0)))
        case "starts_with": return .bool(s.hasPrefix(try c.string(0)))
        case "ends_with": return .bool(s.hasSuffix(try c.string(0)))
        case "replace":
            let old = try c.string(0)
            if old.isEmpty { return .str(s) }
            return .str(try replace(s, old, try c.string(1), c.interpreter))
        case "split":
            let sep = c.args.isEmpty ? " " : try c.string(0)
            if sep.isEmpty { return .list(try chars(s, c.interpreter)) }
            var parts: [Value] = []
            for piece in try pieces(s, sep, c.interpreter) {
                parts.append(.str(piece))
                if parts.count & 0xFFFF == 0 { try c.interpreter.poll(); try Limits.checkCount(parts.count, "str.split") }
            }
            return .list(parts)
        case "lines":
            // Lines end at \n, \r\n or a lone \r (a Swift Character is a whole "\r\n").
            return .list(s.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
                .map { .str(String($0)) })
        case "chars": return .list(try chars(s, c.interpreter))
        case "to_int": return Int(s.trimmingCharacters(in: .whitespaces)).map { .int($0) } ?? .none
        case "to_float": return Double(s.trimmingCharacters(in: .whitespaces)).map { .float($0) } ?? .none
        case "repeat":
            let n = try c.int(0)
            guard n >= 0 else { throw KeelError(ErrorKind.value, "str.repeat: the count must not be negative, got \(n)") }
            let (bytes, o) = n.multipliedReportingOverflow(by: s.utf8.count)
            try Limits.checkString(o ? nil : bytes, "str.repeat")
            return .str(String(repeating: s, count: n))
        case "slice":
            let chars = Array(s)
            let n = chars.count
            let start = min(max(0, try c.int(0)), n)
            let end = c.args.count > 1 ? min(max(start, try c.int(1)), n) : n
            return .str(String(chars[start..<end]))
        case "index_of":
            let needle = try c.string(0)
            guard let r = s.range(of: needle) else { return .none }
            return .int(s.distance(from: s.startIndex, to: r.lowerBound))
        case "truncate":
            let n = try c.int(0)
            return .str(s.count <= n ? s : String(s.prefix(max(0, n))) + "…")
        case "pad":
            let width = try c.int(0)
            let fill = try c.optionalString(1, "char") ?? " "
            guard s.count < width, !fill.isEmpty else { return .str(s) }
            let (fillBytes, o) = (width - s.count).multipliedReportingOverflow(by: fill.utf8.count)
            try Limits.checkString(o ? nil : fillBytes.addingReportingOverflow(s.utf8.count).partialValue, "str.pad")
            return .str(String(repeating: fill, count: width - s.count) + s)
        case "reverse": return .str(String(s.reversed()))
        case "matches":
            let re = try regex(try c.string(0))
            return .bool(!(try matches(re, in: s, first: true, c.interpreter)).isEmpty)
        case "extract":
            let re = try regex(try c.string(0))
            guard let m = try matches(re, in: s, first: true, c.interpreter).first else { return .none }
            let group = m.numberOfRanges > 1 ? 1 : 0
            guard let r = Range(m.range(at: group), in: s) else { return .none }
            return .str(String(s[r]))
        case "find_all":
            let re = try regex(try c.string(0))
            return .list(try matches(re, in: s, c.interpreter).compactMap { m in
                Range(m.range, in: s).map { .str(String(s[$0])) }
            })
        case "sub":
            let re = try regex(try c.string(0))
            let repl = try c.string(1)
            let text = s as NSString
            var out = "", at = 0
            for m in try matches(re, in: s, c.interpreter) {
                out += text.substring(with: NSRange(location: at, length: m.range.location - at))
                out += re.replacementString(for: m, in: s, offset: 0, template: repl)
                at = m.range.location + m.range.length
                try Limits.checkString(out.utf8.count, "str.sub")
            }
            return .str(out + text.substring(from: at))
        case "format":
            guard let ns = DateTime.parse(s) else { return .none }
            let pattern = try c.string(0, "as")
            return .str(try DateTime.format(ns, as: pattern))
        case "parts":
            guard let ns = DateTime.parse(s) else { return .none }
            let t = DateTime.format(ns)
            let n = Array(t.utf8)
            func field(_ a: Int, _ b: Int) -> Value { .int(Int(String(decoding: n[a..<b], as: UTF8.self))!) }
            return .map([.str("year"): field(0, 4), .str("month"): field(5, 7), .str("day"): field(8, 10),
                         .str("hour"): field(11, 13), .str("minute"): field(14, 16), .str("second"): field(17, 19),
                         .str("millisecond"): field(20, 23), .str("tz"): .str("UTC")])
        default:
            throw KeelError(ErrorKind.type, "str has no method `\(name)`")
        }
    }
}
