import ArgumentParser
import Foundation
import KeelRuntime

struct Cron: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cron",
        abstract: "Print the next fire times of a cron expression, to check it before deploying it.",
        discussion: """
        Five fields: minute hour day-of-month month day-of-week, with *, lists, ranges, steps, month and \
        weekday names, 7 for Sunday, or @hourly @daily @weekly @monthly @yearly. When both day fields \
        are restricted, a day matches if either matches. Times are UTC unless --tz names a zone.
        """)

    @ArgumentParser.Argument(help: "The cron expression, quoted, e.g. \"0 9 * * MON-FRI\".")
    var expression: String

    @Option(help: "How many fire times to print.")
    var next = 5

    @Option(help: "Start after this time (RFC 3339 or naive UTC); default: now.")
    var from: String?

    @Option(help: "An IANA time zone, e.g. Europe/Paris.")
    var tz: String?

    func run() throws {
        guard next > 0, next <= 10_000 else { throw ValidationError("--next must be between 1 and 10000") }
        var zone: TimeZone?
        if let tz {
            guard let z = TimeZone(identifier: tz) else { throw ValidationError("unknown time zone \(tz)") }
            zone = z
        }
        var start = RealTime().wallNow
        if let from {
            guard let t = DateTime.parse(from) else {
                throw ValidationError("--from: expected a time such as 2026-01-01T00:00:00Z, within \(DateTime.range), got `\(from)`")
            }
            start = t
        }
        let spec: CronSpec
        do { spec = try CronSpec(expression, zone: zone) } catch {
            throw ValidationError("invalid cron expression `\(expression)`: \(error)")
        }
        var t = start
        for _ in 0..<next {
            guard let n = spec.next(after: t) else {
                print("(no more fire times)")
                break
            }
            print(CronText.line(n, zone: zone))
            t = n
        }
    }
}
