import Foundation

/// Datetimes are RFC 3339 strings at run time (as in the reference); this converts them to and
/// from nanoseconds since the Unix epoch, in UTC, with the proleptic Gregorian calendar.
package enum DateTime {
    package static let acceptedForms =
        "RFC 3339 (2026-04-20T10:00:00Z, 2026-04-20T12:00:00+02:00) or naive UTC (2026-04-20T10:00:00, 2026-04-20 10:00:00, 2026-04-20T10:00, 2026-04-20)"

    /// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
    package static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    package static func civil(days z0: Int) -> (year: Int, month: Int, day: Int) {
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    package static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    package static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// The range of times a 64-bit count of nanoseconds since 1970 holds.
    /// (A 64-bit count of nanoseconds reaches back to 1677-09-21T00:12:43.145224192Z: the first whole
    /// second it holds is 00:12:44.)
    package static let range = "1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z"

    static func outOfRange(_ text: String) -> KeelError {
        KeelError(ErrorKind.value, "\(text) is outside the times this interpreter can hold (\(range))")
    }

    /// Seconds since the epoch as nanoseconds, or nil past the range.
    package static func nanoseconds(seconds: Int64) -> Int64? {
        let (ns, o) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        return o ? nil : ns
    }

    /// Parses the accepted forms: nil if the text is not a datetime; a `ValueError` if it is one
    /// but outside `range`.
    package static func parseChecked(_ text: String) throws -> Int64? {
        switch scan(text) {
        case .none: return nil
        case .some(nil): throw outOfRange(text)
        case .some(let ns?): return ns
        }
    }

    /// Parses the accepted forms; nil if the text is not a datetime (or one outside `range`).
    package static func parse(_ text: String) -> Int64? { scan(text) ?? nil }

    /// nil: not a datetime; .some(nil): a datetime outside `range`.
    private static func scan(_ text: String) -> Int64?? {
        let b = Array(text.utf8)
        var i = 0
        func num(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 48, c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            i += n
            return v
        }
        func lit(_ c: Character) -> Bool {
            if i < b.count, b[i] == c.asciiValue! { i += 1; return true }
            return false
        }
        guard let y = num(4), lit("-"), let mo = num(2), lit("-"), let d = num(2) else { return nil }
        guard (1...12).contains(mo), d >= 1, d <= daysIn(month: mo, year: y) else { return nil }
        var h = 0, mi = 0, s = 0
        var nanos: Int64 = 0
        var offsetSeconds = 0
        if i < b.count {
            guard lit("T") || lit("t") || lit(" ") else { return nil }
            guard let hh = num(2), lit(":"), let mm = num(2) else { return nil }
            h = hh; mi = mm
            if lit(":") {
                guard let ss = num(2) else { return nil }
                s = ss
                if lit(".") {
                    var digits = 0
                    var frac: Int64 = 0
                    while i < b.count, b[i] >= 48, b[i] <= 57 {
                        if digits < 9 { frac = frac * 10 + Int64(b[i] - 48); digits += 1 }
                        i += 1
                    }
                    guard digits > 0 else { return nil }
                    for _ in digits..<9 { frac *= 10 }
                    nanos = frac
                }
            }
            guard h < 24, mi < 60, s < 61 else { return nil }
            if lit("Z") || lit("z") {
            } else if i < b.count {
                let sign: Int
                if lit("+") { sign = 1 } else if lit("-") { sign = -1 } else { return nil }
                guard let oh = num(2), lit(":") || true, let om = num(2), oh < 24, om < 60 else { return nil }
                offsetSeconds = sign * (oh * 3600 + om * 60)
            }
        }
        guard i == b.count else { return nil }
        let secs = days(year: y, month: mo, day: d) * 86_400 + h * 3600 + mi * 60 + s - offsetSeconds
        guard let whole = nanoseconds(seconds: Int64(secs)) else { return .some(nil) }
        let (ns, o) = whole.addingReportingOverflow(nanos)
        return o ? .some(nil) : .some(ns)
    }

    /// Whether the text ends with `Z` or a `±HH:MM` offset.
    package static func hasOffset(_ text: String) -> Bool {
        if text.hasSuffix("Z") || text.hasSuffix("z") { return true }
        let b = Array(text.utf8)
        guard b.count > 16 else { return false }
        let sign = b[b.count - 6]
        return (sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-")) && b[b.count - 3] == UInt8(ascii: ":")
    }

    /// Parses a time; a naive one is read as wall time in `zone` (the earlier instant if it occurs
    /// twice; nil if it does not exist).
    package static func parse(_ text: String, naiveZone zone: TimeZone) throws -> Int64? {
        guard let t = try parseChecked(text) else { return nil }
        if hasOffset(text) { return t }
        let local = t / 1_000_000_000
        let nanos = t - local * 1_000_000_000
        var candidates: [Int64] = []
        for probe in [local - 86_400, local, local + 86_400] {
            let offset = Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(probe))))
            let instant = local - offset
            if Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(instant)))) == offset { candidates.append(instant) }
        }
        guard let instant = candidates.min() else { return nil }
        guard let whole = nanoseconds(seconds: instant) else { throw outOfRange(text) }
        let (ns, o) = whole.addingReportingOverflow(nanos)
        if o { throw outOfRange(text) }
        return ns
    }

    /// strftime-style formatting in UTC: %Y %m %d %H %M %S %L (milliseconds) %y %b %B %a %A %j
    /// %I %p %e %Z %z %%.
    package static func format(_ ns: Int64, as pattern: String) throws -> String {
        let text = format(ns)
        let b = Array(text.utf8)
        func n(_ a: Int, _ z: Int) -> Int { Int(String(decoding: b[a..<z], as: UTF8.self))! }
        let (year, month, day) = (n(0, 4), n(5, 7), n(8, 10))
        let (hour, minute, second, millis) = (n(11, 13), n(14, 16), n(17, 19), n(20, 23))
        let dayNumber = days(year: year, month: month, day: day)
        let weekday = ((dayNumber % 7) + 11) % 7
        let months = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
                      "October", "November", "December"]
        let weekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
        func pad(_ v: Int, _ w: Int, _ fill: Character = "0") -> String {
            let s = String(v)
            return String(repeating: fill, count: max(0, w - s.count)) + s
        }
        var out = ""
        var chars = pattern.makeIterator()
        while let c = chars.next() {
            guard c == "%" else { out.append(c); continue }
            guard let d = chars.next() else { throw KeelError(ErrorKind.value, "format: a lone % at the end of `\(pattern)`") }
            switch d {
            case "Y": out += pad(year, 4)
            case "y": out += pad(year % 100, 2)
            case "m": out += pad(month, 2)
            case "d": out += pad(day, 2)
            case "e": out += pad(day, 2, " ")
            case "H": out += pad(hour, 2)
            case "I": out += pad(hour % 12 == 0 ? 12 : hour % 12, 2)
            case "p": out += hour < 12 ? "AM" : "PM"
            case "M": out += pad(minute, 2)
            case "S": out += pad(second, 2)
            case "L": out += pad(millis, 3)
            case "j": out += pad(dayNumber - days(year: year, month: 1, day: 1) + 1, 3)
            case "b": out += String(months[month - 1].prefix(3))
            case "B": out += months[month - 1]
            case "a": out += String(weekdays[weekday].prefix(3))
            case "A": out += weekdays[weekday]
            case "Z": out += "UTC"
            case "z": out += "+0000"
            case "%": out += "%"
            default: throw KeelError(ErrorKind.value, "format: unknown directive %\(d) in `\(pattern)`")
            }
        }
        return out
    }

    /// `2026-04-20T10:00:00.000Z`: UTC with millisecond precision, like the reference's `time.now()`.
    package static func format(_ ns: Int64) -> String {
        let ms = floorDivide(ns, 1_000_000)
        let secs = floorDivide(ms, 1000)
        let millis = Int(ms - secs * 1000)
        let dayNumber = Int(secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400)
        let rem = Int(secs) - dayNumber * 86_400
        let (y, m, d) = civil(days: dayNumber)
        func p(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        return "\(p(y, 4))-\(p(m, 2))-\(p(d, 2))T\(p(rem / 3600, 2)):\(p(rem % 3600 / 60, 2)):\(p(rem % 60, 2)).\(p(millis, 3))Z"
    }

    static func add(_ dt: String, _ d: Int64) throws -> Value {
        guard let t = try parseChecked(dt) else {
            throw KeelError(ErrorKind.type, "cannot add a duration to str \"\(dt)\" (not a datetime: \(acceptedForms))")
        }
        let (r, o) = t.addingReportingOverflow(d)
        if o { throw KeelError(ErrorKind.value, "\(dt) \(d < 0 ? "-" : "+") \(formatDuration(d.magnitude > Int64.max.magnitude ? Int64.max : abs(d))) is outside the times this interpreter can hold (\(range))") }
        return .str(format(r))
    }

    /// Division rounding towards minus infinity (times before 1970 format correctly), without
    /// overflow at the ends of the range.
    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
