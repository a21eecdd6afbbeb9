/// Datetimes are RFC 3339 strings at run time (as in the reference); this converts them to and
/// from nanoseconds since the Unix epoch, in UTC, with the proleptic Gregorian calendar.
public enum DateTime {
    public static let acceptedForms =
        "RFC 3339 (2026-04-20T10:00:00Z, 2026-04-20T12:00:00+02:00) or naive UTC (2026-04-20T10:00:00, 2026-04-20 10:00:00, 2026-04-20T10:00, 2026-04-20)"

    /// Days since 1970-01-01 for a civil date (Howard Hinnant's algorithm).
    public static func days(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civil(days z0: Int) -> (year: Int, month: Int, day: Int) {
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

    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Parses the accepted forms; nil if the text is not a datetime.
    public static func parse(_ text: String) -> Int64? {
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
        return Int64(secs) * 1_000_000_000 + nanos
    }

    /// `2026-04-20T10:00:00.000Z`: UTC with millisecond precision, like the reference's `time.now()`.
    public static func format(_ ns: Int64) -> String {
        let ms = ns >= 0 ? ns / 1_000_000 : (ns - 999_999) / 1_000_000
        let secs = ms >= 0 ? ms / 1000 : (ms - 999) / 1000
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
        guard let t = parse(dt) else {
            throw KeelError(ErrorKind.type, "cannot add a duration to str \"\(dt)\" (not a datetime: \(acceptedForms))")
        }
        return .str(format(t + d))
    }
}
