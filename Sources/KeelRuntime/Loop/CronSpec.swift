import Foundation

struct CronError: Error { let message: String }

/// A five-field cron expression (minute hour day-of-month month day-of-week), with the meaning
/// Debian's cron gives it (the same as the `cronsim` package, which generated our test table):
///
/// - `*`, numbers, lists `a,b`, ranges `a-b`, steps `*/s`, `a-b/s`, and `a/s` (from a to the end;
///   so is `a-a/s`);
///   month names `JAN`–`DEC`, weekday names `SUN`–`SAT`, 0 or 7 for Sunday; `@hourly`, `@daily`
///   (`@midnight`), `@weekly`, `@monthly`, `@yearly` (`@annually`).
/// - If the day-of-month or the day-of-week field starts with `*`, a day must match both;
///   otherwise a day matches if EITHER matches.
/// - In a time zone with daylight saving time: an expression with a fixed minute and hour (neither
///   field starts with `*`) runs at that wall-clock time; if that time does not exist (spring
///   forward) it runs at the first minute that does, and if it exists twice (fall back) it runs at
///   the first. Other expressions follow real time: a repeated hour runs twice, a skipped one never.
///
/// Next fire times are computed field by field (month, day, hour, minute), never by scanning every
/// minute.
package struct CronSpec {
    /// Seconds of the minute (only `0` unless a sixth field, seconds first, was given).
    let seconds: [Bool]   // 60
    let minutes: [Bool]   // 60
    let hours: [Bool]     // 24
    let days: [Bool]      // 32, index 1...31
    let months: [Bool]    // 13, index 1...12
    let weekdays: [Bool]  // 7, 0 = Sunday
    /// Day-of-month terms that depend on the month: `L`, `LW`, `15W`.
    let daySpecials: [DayRule]
    /// Day-of-week terms that depend on the month: `5#2`, `FRI#2`, `5L`.
    let weekdaySpecials: [WeekdayRule]
    let dayAnd: Bool
    let zone: TimeZone?
    /// Fixed minute and hour in a zone: computed on the wall clock (see above).
    let wallClockMode: Bool

    static let macros = [
        "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
        "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
    ]
    static let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
    static let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]

    /// The expression as written.
    let expression: String

    /// Parsed rules, shared: a million stored schedules often have a handful of expressions.
    @exclusivity(unchecked) nonisolated(unsafe) private static var parsed: [String: CronSpec] = [:]
    private static let parsedLock = NSLock()

    /// The rule for `expression` in zone `zone` (an IANA name; nil for UTC), parsed once.
    static func cached(_ expression: String, zone: String?) throws -> CronSpec {
        let key = expression + "\u{0}" + (zone ?? "")
        parsedLock.lock()
        defer { parsedLock.unlock() }
        if let spec = parsed[key] { return spec }
        let spec = try CronSpec(expression, zone: zone.flatMap(TimeZone.init(identifier:)))
        if parsed.count < 10_000 { parsed[key] = spec }
        return spec
    }

    package init(_ expression: String, zone: TimeZone? = nil) throws {
        self.expression = expression
        var text = expression.trimmingCharacters(in: .whitespaces).uppercased()
        if text.hasPrefix("@") {
            guard let m = CronSpec.macros[text.lowercased()] else { throw CronError(message: "unknown macro \(text.lowercased())") }
            text = m
        }
        var parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard parts.count == 5 || parts.count == 6 else {
            throw CronError(message: "expected 5 fields (minute hour day-of-month month day-of-week), or 6 with seconds first, got \(parts.count)")
        }
        if parts.count == 6 {
            seconds = try CronSpec.field(parts.removeFirst(), 0, 59, "second", names: [])
        } else {
            var zero = [Bool](repeating: false, count: 60)
            zero[0] = true
            seconds = zero
        }
        minutes = try CronSpec.field(parts[0], 0, 59, "minute", names: [])
        hours = try CronSpec.field(parts[1], 0, 23, "hour", names: [])
        let (dayText, daySpecials) = try CronSpec.dayRules(parts[2])
        days = dayText.isEmpty ? [Bool](repeating: false, count: 32) : try CronSpec.field(dayText, 1, 31, "day-of-month", names: [])
        self.daySpecials = daySpecials
        months = try CronSpec.field(parts[3], 1, 12, "month", names: CronSpec.monthNames)
        let (weekdayText, weekdaySpecials) = try CronSpec.weekdayRules(parts[4])
        var dow = weekdayText.isEmpty ? [Bool](repeating: false, count: 8) : try CronSpec.field(weekdayText, 0, 7, "day-of-week", names: CronSpec.dayNames)
        self.weekdaySpecials = weekdaySpecials
        if dow[7] { dow[0] = true }
        weekdays = Array(dow[0..<7])
        dayAnd = parts[2].hasPrefix("*") || parts[4].hasPrefix("*")
        let utc = zone == nil || zone!.identifier == "UTC" || zone!.identifier == "GMT"
        self.zone = utc ? nil : zone
        wallClockMode = !utc && !parts[0].hasPrefix("*") && !parts[1].hasPrefix("*")
        if dayAnd && daySpecials.isEmpty {
            let lengths = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            let longest = (1...12).filter { months[$0] }.map { lengths[$0] }.max() ?? 0
            if let first = (1...31).first(where: { days[$0] }), first > longest {
                throw CronError(message: "day-of-month \(first) never occurs in the selected months")
            }
        }
    }

    /// `L` (the month's last day), `LW` (its last weekday), `15W` (the weekday nearest the 15th,
    /// within the month).
    enum DayRule: Equatable {
        case last, lastWeekday
        case nearestWeekday(Int)

        func matches(_ y: Int, _ m: Int, _ d: Int) -> Bool {
            let last = DateTime.daysIn(month: m, year: y)
            switch self {
            case .last: return d == last
            case .lastWeekday:
                var day = last
                while CronSpec.weekday(y, m, day) == 0 || CronSpec.weekday(y, m, day) == 6 { day -= 1 }
                return d == day
            case .nearestWeekday(let n):
                guard n <= last else { return false }
                var day = n
                switch CronSpec.weekday(y, m, n) {
                case 6: day = n == 1 ? n + 2 : n - 1   // Saturday: the Friday before, or Monday if that leaves the month
                case 0: day = n == last ? n - 2 : n + 1   // Sunday: the Monday after, or Friday if that leaves the month
                default: break
                }
                return d == day
            }
        }
    }

    /// `5#2` (the month's second Friday), `5L` (its last Friday).
    enum WeekdayRule: Equatable {
        case nth(weekday: Int, n: Int)
        case last(weekday: Int)

        func matches(_ y: Int, _ m: Int, _ d: Int) -> Bool {
            switch self {
            case .nth(let w, let n): return CronSpec.weekday(y, m, d) == w && (d - 1) / 7 + 1 == n
            case .last(let w): return CronSpec.weekday(y, m, d) == w && d + 7 > DateTime.daysIn(month: m, year: y)
            }
        }
    }

    /// 0 = Sunday.
    static func weekday(_ y: Int, _ m: Int, _ d: Int) -> Int {
        ((DateTime.days(year: y, month: m, day: d) % 7) + 11) % 7   // 1970-01-01 was a Thursday
    }

    /// The day-of-month field's month-dependent terms, and what is left for `field`.
    static func dayRules(_ text: String) throws -> (String, [DayRule]) {
        var rest: [String] = []
        var rules: [DayRule] = []
        for term in text.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            if term == "L" { rules.append(.last); continue }
            if term == "LW" { rules.append(.lastWeekday); continue }
            if term.hasSuffix("W") {
                let n = term.dropLast()
                guard !n.isEmpty, n.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(n), (1...31).contains(v) else {
                    throw CronError(message: "bad day-of-month `\(text)` (`W` follows a day, as in 15W)")
                }
                rules.append(.nearestWeekday(v))
                continue
            }
            if term.contains("L") || term.contains("W") || term.contains("#") { throw CronError(message: "bad day-of-month `\(text)`") }
            rest.append(term)
        }
        return (rest.joined(separator: ","), rules)
    }

    /// The day-of-week field's month-dependent terms, and what is left for `field`.
    static func weekdayRules(_ text: String) throws -> (String, [WeekdayRule]) {
        var rest: [String] = []
        var rules: [WeekdayRule] = []
        func day(_ s: Substring) throws -> Int {
            if let i = CronSpec.dayNames.firstIndex(of: String(s)) { return i }
            guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(s), (0...7).contains(v) else {
                throw CronError(message: "bad day-of-week `\(text)`")
            }
            return v % 7
        }
        for term in text.split(separator: ",", omittingEmptySubsequences: false) {
            if let hash = term.firstIndex(of: "#") {
                let n = term[term.index(after: hash)...]
                guard let k = Int(n), (1...5).contains(k) else { throw CronError(message: "bad day-of-week `\(text)` (`#` takes 1 to 5, as in FRI#2)") }
                rules.append(.nth(weekday: try day(term[..<hash]), n: k))
                continue
            }
            if term.count > 1, term.hasSuffix("L") {
                rules.append(.last(weekday: try day(term.dropLast())))
                continue
            }
            rest.append(String(term))
        }
        return (rest.joined(separator: ","), rules)
    }

    /// Parses one field into a membership table indexed by value.
    static func field(_ text: String, _ lo: Int, _ hi: Int, _ what: String, names: [String]) throws -> [Bool] {
        var set = [Bool](repeating: false, count: hi + 1)
        func bad() -> CronError { CronError(message: "bad \(what) `\(text)`") }
        func number(_ s: Substring) throws -> Int {
            if let i = names.firstIndex(of: String(s)) { return i + (lo == 1 ? 1 : 0) }
            guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(s), v >= lo, v <= hi else { throw bad() }
            return v
        }
        for term in text.split(separator: ",", omittingEmptySubsequences: false) {
            var range = term
            var step = 1
            if let slash = term.firstIndex(of: "/") {
                range = term[..<slash]
                let s = term[term.index(after: slash)...]
                guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isNumber }), let v = Int(s), v > 0 else { throw bad() }
                step = v
            }
            var from: Int, to: Int
            if range == "*" {
                from = lo; to = hi
            } else if let dash = range.firstIndex(of: "-") {
                from = try number(range[..<dash])
                to = try number(range[range.index(after: dash)...])
                guard from <= to else { throw bad() }
            } else {
                from = try number(range)
                to = term.contains("/") ? hi : from
            }
            // A step after a single value runs to the end of the field (`8/4`, above); after a range
            // it stays inside the range, also a one-element one (`8-8/4` is just 8, as in cron and
            // cronsim 2.9).
            var v = from
            while v <= to { set[v] = true; v += step }
        }
        return set
    }

    // MARK: next fire

    /// The first fire time strictly after `after` (ns since the epoch), or nil if none within
    /// thirty years.
    package func next(after: Int64) -> Int64? {
        let seconds = after / 1_000_000_000 - (after % 1_000_000_000 < 0 ? 1 : 0)   // floor, without overflow
        guard let zone else { return nextNaive(after: seconds).flatMap(DateTime.nanoseconds) }
        if wallClockMode {
            let local = seconds + Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
            guard var n = nextNaive(after: local) else { return nil }
            // A wall time that does not exist runs at the first minute that does.
            for _ in 0..<(48 * 60) {
                if let instant = instants(ofLocal: n, in: zone).first { return DateTime.nanoseconds(seconds: instant) }
                n += 60
            }
            return nil
        }
        // Real-time mode: within each stretch of constant UTC offset, local time is a plain shift.
        var from = seconds     // search strictly after this instant
        var segmentStart = seconds
        for _ in 0..<512 {
            let date = Date(timeIntervalSince1970: Double(segmentStart))
            let offset = Int64(zone.secondsFromGMT(for: date))
            let segmentEnd = zone.nextDaylightSavingTimeTransition(after: date).map { Int64($0.timeIntervalSince1970) }
            guard let n = nextNaive(after: from + offset) else { return nil }
            let candidate = n - offset
            if segmentEnd == nil || candidate < segmentEnd! { return DateTime.nanoseconds(seconds: candidate) }
            from = segmentEnd! - 1
            segmentStart = segmentEnd!
        }
        return nil
    }

    /// The instants (seconds) whose wall time in `zone` is the naive local time `local`: none in a
    /// spring-forward gap, two in a fall-back overlap. Earliest first.
    func instants(ofLocal local: Int64, in zone: TimeZone) -> [Int64] {
        var offsets = Set<Int64>()
        for probe in [local - 86_400, local, local + 86_400] {
            offsets.insert(Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(probe)))))
        }
        return offsets.map { local - $0 }
            .filter { Int64(zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double($0)))) == local - $0 }
            .sorted()
    }

    func dayMatches(_ y: Int, _ m: Int, _ d: Int) -> Bool {
        let dow = CronSpec.weekday(y, m, d)
        let day = days[d] || daySpecials.contains { $0.matches(y, m, d) }
        let weekday = weekdays[dow] || weekdaySpecials.contains { $0.matches(y, m, d) }
        return dayAnd ? (day && weekday) : (day || weekday)
    }

    /// The first second strictly after `after` (seconds on a naive, zone-less clock) that matches.
    func nextNaive(after: Int64) -> Int64? {
        let start = after + 1
        var dayNumber = Int(start >= 0 ? start / 86_400 : (start - 86_399) / 86_400)
        let secondOfDay = Int(start - Int64(dayNumber) * 86_400)
        var (y, m, d) = DateTime.civil(days: dayNumber)
        var h = secondOfDay / 3600
        var mi = secondOfDay % 3600 / 60
        var se = secondOfDay % 60
        let lastYear = y + 30
        func nextDay() {
            dayNumber += 1
            (y, m, d) = DateTime.civil(days: dayNumber)
            h = 0; mi = 0; se = 0
        }
        while y <= lastYear {
            if !months[m] {
                // Jump to the first day of the next month.
                let (ny, nm) = m == 12 ? (y + 1, 1) : (y, m + 1)
                dayNumber = DateTime.days(year: ny, month: nm, day: 1)
                (y, m, d) = (ny, nm, 1)
                h = 0; mi = 0; se = 0
                continue
            }
            if !dayMatches(y, m, d) { nextDay(); continue }
            guard let hour = (h..<24).first(where: { hours[$0] }) else { nextDay(); continue }
            if hour != h { h = hour; mi = 0; se = 0 }
            guard let minute = (mi..<60).first(where: { minutes[$0] }) else {
                if h == 23 { nextDay() } else { h += 1; mi = 0; se = 0 }
                continue
            }
            if minute != mi { mi = minute; se = 0 }
            guard let second = (se..<60).first(where: { seconds[$0] }) else {
                if mi == 59 {
                    if h == 23 { nextDay() } else { h += 1; mi = 0; se = 0 }
                } else {
                    mi += 1; se = 0
                }
                continue
            }
            return Int64(dayNumber) * 86_400 + Int64(h * 3600 + minute * 60 + second)
        }
        return nil
    }
}

extension CronError: CustomStringConvertible {
    var description: String { message }
}

/// How `keel cron` prints a fire time: UTC, and the wall time in the zone if one is given.
package enum CronText {
    package static func line(_ ns: Int64, zone: TimeZone?) -> String {
        let utc = String(DateTime.format(ns).prefix(19)) + "Z"
        guard let zone else { return utc }
        let seconds = ns / 1_000_000_000
        let offset = zone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds)))
        let local = String(DateTime.format(ns.saturatingAdd(Int64(offset) * 1_000_000_000)).prefix(19))
        let sign = offset < 0 ? "-" : "+"
        let h = abs(offset) / 3600, m = abs(offset) % 3600 / 60
        return "\(local)\(sign)\(h < 10 ? "0" : "")\(h):\(m < 10 ? "0" : "")\(m)  (\(utc))"
    }
}
