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
    let minutes: [Bool]   // 60
    let hours: [Bool]     // 24
    let days: [Bool]      // 32, index 1...31
    let months: [Bool]    // 13, index 1...12
    let weekdays: [Bool]  // 7, 0 = Sunday
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

    package init(_ expression: String, zone: TimeZone? = nil) throws {
        self.expression = expression
        var text = expression.trimmingCharacters(in: .whitespaces).uppercased()
        if text.hasPrefix("@") {
            guard let m = CronSpec.macros[text.lowercased()] else { throw CronError(message: "unknown macro \(text.lowercased())") }
            text = m
        }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard parts.count == 5 else { throw CronError(message: "expected 5 fields (minute hour day-of-month month day-of-week), got \(parts.count)") }
        minutes = try CronSpec.field(parts[0], 0, 59, "minute", names: [])
        hours = try CronSpec.field(parts[1], 0, 23, "hour", names: [])
        days = try CronSpec.field(parts[2], 1, 31, "day-of-month", names: [])
        months = try CronSpec.field(parts[3], 1, 12, "month", names: CronSpec.monthNames)
        var dow = try CronSpec.field(parts[4], 0, 7, "day-of-week", names: CronSpec.dayNames)
        if dow[7] { dow[0] = true }
        weekdays = Array(dow[0..<7])
        dayAnd = parts[2].hasPrefix("*") || parts[4].hasPrefix("*")
        let utc = zone == nil || zone!.identifier == "UTC" || zone!.identifier == "GMT"
        self.zone = utc ? nil : zone
        wallClockMode = !utc && !parts[0].hasPrefix("*") && !parts[1].hasPrefix("*")
        if dayAnd {
            let lengths = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
            let longest = (1...12).filter { months[$0] }.map { lengths[$0] }.max() ?? 0
            if let first = (1...31).first(where: { days[$0] }), first > longest {
                throw CronError(message: "day-of-month \(first) never occurs in the selected months")
            }
        }
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
        let dow = ((DateTime.days(year: y, month: m, day: d) % 7) + 11) % 7   // 1970-01-01 was a Thursday
        return dayAnd ? (days[d] && weekdays[dow]) : (days[d] || weekdays[dow])
    }

    /// The first minute strictly after `after` (seconds on a naive, zone-less clock) that matches.
    func nextNaive(after: Int64) -> Int64? {
        let start = (after >= 0 ? after / 60 : (after - 59) / 60) * 60 + 60
        var dayNumber = Int(start >= 0 ? start / 86_400 : (start - 86_399) / 86_400)
        let secondOfDay = Int(start - Int64(dayNumber) * 86_400)
        var (y, m, d) = DateTime.civil(days: dayNumber)
        var h = secondOfDay / 3600
        var mi = secondOfDay % 3600 / 60
        let lastYear = y + 30
        func nextDay() {
            dayNumber += 1
            (y, m, d) = DateTime.civil(days: dayNumber)
            h = 0; mi = 0
        }
        while y <= lastYear {
            if !months[m] {
                // Jump to the first day of the next month.
                let (ny, nm) = m == 12 ? (y + 1, 1) : (y, m + 1)
                dayNumber = DateTime.days(year: ny, month: nm, day: 1)
                (y, m, d) = (ny, nm, 1)
                h = 0; mi = 0
                continue
            }
            if !dayMatches(y, m, d) { nextDay(); continue }
            guard let hour = (h..<24).first(where: { hours[$0] }) else { nextDay(); continue }
            if hour != h { h = hour; mi = 0 }
            guard let minute = (mi..<60).first(where: { minutes[$0] }) else {
                if h == 23 { nextDay() } else { h += 1; mi = 0 }
                continue
            }
            return Int64(dayNumber) * 86_400 + Int64(h * 3600 + minute * 60)
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
