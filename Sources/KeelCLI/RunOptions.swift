import ArgumentParser
import Foundation
import KeelRuntime
import KeelSyntax

/// How a program is run: the flags `keel run` and `keel test` share, and the environment variables
/// they read. The golden tests parse their `# run:` lines with the same type, so a test can say
/// `# run: --virtual-time --until 1.day`. Every bad value (a flag or an environment variable)
/// fails `validate()` with what was given and what is accepted.
package struct RunOptions: ParsableArguments {
    @Flag(help: "Run on a virtual clock that jumps straight to the next deadline.")
    package var virtualTime = false

    @Option(help: ArgumentHelp("With --virtual-time: the start time (default: now).", valueName: "time"))
    package var start: String?

    @Option(help: ArgumentHelp("With --virtual-time: stop, running @on_stop, when this much time has passed.", valueName: "duration"))
    package var until: String?

    @Option(help: ArgumentHelp("The event queue's capacity, a positive integer (default \(InterpreterDefaults.queueCapacity); overrides KEEL_EVENT_QUEUE_CAPACITY).",
                               valueName: "n"))
    package var queueCapacity: String?

    @Flag(help: "End the run with exit status 1 at the first uncaught error in a handler or scheduled closure.")
    package var failFast = false

    @Option(help: ArgumentHelp("The std/log threshold: debug, info, warn or error (overrides KEEL_LOG_LEVEL).", valueName: "level"))
    package var logLevel: String?

    @Flag(help: "At exit, print how many events ran, ticks were dropped, and how late scheduled closures started.")
    package var stats = false

    package init() {}

    package mutating func validate() throws {
        _ = try interpreterOptions(environment: ProcessInfo.processInfo.environment)
    }

    /// A bad value: what was given and what is accepted.
    static func invalid(_ what: String, _ given: String, _ accepted: String) -> ValidationError {
        ValidationError("\(what): expected \(accepted), got `\(given)`")
    }

    /// The interpreter options these flags and `environment` give (on top of `base`'s sinks).
    package func interpreterOptions(environment: [String: String], base: Interpreter.Options = .init()) throws -> Interpreter.Options {
        var o = base
        o.environment = environment
        if let text = environment["KEEL_EVENT_QUEUE_CAPACITY"] {
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), n > 0 else {
                throw RunOptions.invalid("KEEL_EVENT_QUEUE_CAPACITY", text, "a positive integer")
            }
            o.queueCapacity = n
        }
        if let text = queueCapacity {
            guard let n = Int(text), n > 0 else { throw RunOptions.invalid("--queue-capacity", text, "a positive integer") }
            o.queueCapacity = n
        }
        if let text = environment["KEEL_LOG_LEVEL"], LogLevel(name: text) == nil {
            throw RunOptions.invalid("KEEL_LOG_LEVEL", text, "debug, info, warn or error")
        }
        if let logLevel {
            guard LogLevel(name: logLevel) != nil else { throw RunOptions.invalid("--log-level", logLevel, "debug, info, warn or error") }
            o.environment["KEEL_LOG_LEVEL"] = logLevel
        }
        if let text = environment["KEEL_SEED"], Int64(text) == nil {
            throw RunOptions.invalid("KEEL_SEED", text, "an integer")
        }
        var startTime: Int64?
        if let start {
            guard let t = DateTime.parse(start) else {
                throw RunOptions.invalid("--start", start, "a time such as 2026-01-01T00:00:00Z")
            }
            startTime = t
        }
        var untilDuration: Int64?
        if let until {
            guard let d = RunOptions.parseDuration(until) else {
                throw RunOptions.invalid("--until", until, "a duration such as 30.days or 90.minutes")
            }
            untilDuration = d
        }
        if virtualTime {
            o.time = VirtualTime(start: startTime ?? RealTime().wallNow)
        } else if start != nil || until != nil {
            throw ValidationError("--start and --until need --virtual-time")
        }
        o.until = untilDuration
        o.failFast = failFast
        o.stats = stats
        if let oneshot = environment["KEEL_ONESHOT"], !oneshot.isEmpty, oneshot != "0", !virtualTime {
            o.idleExit = 250_000_000
        }
        return o
    }

    /// `30.days`, `500.ms`, `2.hours` (a Keel duration literal) in nanoseconds.
    package static func parseDuration(_ text: String) -> Int64? {
        let parts = text.split(separator: ".", maxSplits: 1)
        guard parts.count == 2, let n = Int64(parts[0]), n >= 0,
              let unit = DurationUnit.spellings[String(parts[1])]?.nanoseconds else { return nil }
        let (r, o) = n.multipliedReportingOverflow(by: unit)
        return o ? nil : r
    }

    /// Parses flags given as words, with `validate()` against `environment` (for tests and the
    /// golden harness). The error is the message `keel run` would print.
    package static func parse(_ words: [String], environment: [String: String], base: Interpreter.Options = .init()) throws -> Interpreter.Options {
        let parsed: RunOptions
        do { parsed = try RunOptions.parse(words) } catch {
            throw ValidationError(RunOptions.message(for: error))
        }
        return try parsed.interpreterOptions(environment: environment, base: base)
    }
}
