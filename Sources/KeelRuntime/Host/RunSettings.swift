import Foundation
import KeelSyntax

/// How a program is run: what `keel run` reads from its flags and the environment. The golden
/// tests use the same parser, so a test can say `# run: --virtual-time --until 1.day`.
package struct RunSettings {
    package var virtualTime = false
    package var start: Int64?
    package var until: Int64?
    package var queueCapacity: Int?
    package var failFast = false
    /// Print event and lateness statistics to standard error at exit.
    package var stats = false
    /// `std/log`'s threshold (overrides KEEL_LOG_LEVEL).
    package var logLevel: String?

    package init() {}

    package struct Problem: Error, CustomStringConvertible {
        package let description: String
    }

    /// Parses `30.days`, `500.ms`, `2.hours` (a Keel duration literal) into nanoseconds.
    package static func parseDuration(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let n = Int64(parts[0]), n >= 0,
              let unit = DurationUnit.spellings[String(parts[1])]?.nanoseconds else { return nil }
        let (r, o) = n.multipliedReportingOverflow(by: unit)
        return o ? nil : r
    }

    /// The interpreter options these settings and the environment give.
    package func options(environment: [String: String], base: Interpreter.Options = .init()) throws -> Interpreter.Options {
        var o = base
        o.environment = environment
        if let logLevel {
            guard LogLevel(name: logLevel) != nil else {
                throw Problem(description: "--log-level must be debug, info, warn or error, got \(logLevel)")
            }
            o.environment["KEEL_LOG_LEVEL"] = logLevel
        }
        if let text = environment["KEEL_EVENT_QUEUE_CAPACITY"] {
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw Problem(description: "KEEL_EVENT_QUEUE_CAPACITY must be a positive integer, got \"\(text)\"")
            }
            o.queueCapacity = n
        }
        if let n = queueCapacity {
            guard n > 0 else { throw Problem(description: "--queue-capacity must be a positive integer, got \(n)") }
            o.queueCapacity = n
        }
        if virtualTime {
            o.time = VirtualTime(start: start ?? RealTime().wallNow)
        } else if start != nil || until != nil {
            throw Problem(description: "--start and --until need --virtual-time")
        }
        o.until = until
        o.failFast = failFast
        o.stats = stats
        if let oneshot = environment["KEEL_ONESHOT"], !oneshot.isEmpty, oneshot != "0", !virtualTime {
            o.idleExit = 250_000_000
        }
        return o
    }

    /// Parses flags given as words (for tests); the command line uses swift-argument-parser.
    package static func parse(_ words: [String]) throws -> RunSettings {
        var s = RunSettings()
        var i = 0
        func value() throws -> String {
            i += 1
            guard i < words.count else { throw Problem(description: "\(words[i - 1]) needs a value") }
            return words[i]
        }
        while i < words.count {
            switch words[i] {
            case "--virtual-time": s.virtualTime = true
            case "--fail-fast": s.failFast = true
            case "--stats": s.stats = true
            case "--log-level": s.logLevel = try value()
            case "--start":
                let v = try value()
                guard let t = DateTime.parse(v) else { throw Problem(description: "--start: not a time: \(v)") }
                s.start = t
            case "--until":
                let v = try value()
                guard let d = parseDuration(v) else { throw Problem(description: "--until: not a duration such as 30.days: \(v)") }
                s.until = d
            case "--queue-capacity":
                let v = try value()
                guard let n = Int(v) else { throw Problem(description: "--queue-capacity must be a positive integer, got \(v)") }
                s.queueCapacity = n
            default: throw Problem(description: "unknown option \(words[i])")
            }
            i += 1
        }
        return s
    }
}
