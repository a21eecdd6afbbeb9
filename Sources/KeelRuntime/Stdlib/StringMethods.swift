import Foundation

enum StringMethods {
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
            return .str(s.replacingOccurrences(of: old, with: try c.string(1)))
        case "split":
            let sep = c.args.isEmpty ? " " : try c.string(0)
            if sep.isEmpty { return .list(s.map { .str(String($0)) }) }
            return .list(s.components(separatedBy: sep).map { .str($0) })
        case "lines":
            // Lines end at \n, \r\n or a lone \r (a Swift Character is a whole "\r\n").
            return .list(s.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "\r" })
                .map { .str(String($0)) })
        case "chars": return .list(s.map { .str(String($0)) })
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
