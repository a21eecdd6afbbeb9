import Foundation
import KeelRuntime
import KeelSyntax
import XCTest

/// Random mixes of schedules, options, sleeping and failing closures, queue capacities 1 to 8,
/// pauses and cancels, run on the virtual clock. After every run: each schedule accounts for every
/// tick that came due (`due == fired + skipped + dropped`, nothing left waiting), no agent ever ran
/// two turns at once (the program checks it, and so do the loop's invariants in this debug build),
/// and every one-shot that was neither cancelled nor paused ran exactly once.
final class SchedulePropertyTests: XCTestCase {
    /// The runtime's seeded generator (SplitMix64), so a failing case can be rerun from its number.
    struct Dice {
        var random: SeededRandom
        init(state: UInt64) { random = SeededRandom(seed: state) }
        mutating func next() -> UInt64 { random.next() }
        mutating func int(_ range: ClosedRange<Int>) -> Int { range.lowerBound + Int(next() % UInt64(range.count)) }
        mutating func chance(_ percent: Int) -> Bool { int(1...100) <= percent }
        mutating func pick<T>(_ items: [T]) -> T { items[int(0...items.count - 1)] }
    }

    /// A random program; the names of the one-shots that must run exactly once, and of the `every`
    /// schedules never paused or cancelled, with their period and jitter (seconds).
    static func program(_ dice: inout Dice) -> (source: String, mustRunOnce: [String], cadence: [String: (Int, Int)]) {
        var out = "use std/io\nuse std/schedule\n\n"
        var mustRunOnce: [String] = []
        var cadence: [String: (Int, Int)] = [:]
        for a in 0..<dice.int(1...3) {
            var start: [String] = []
            for k in 0..<dice.int(1...4) {
                let name = "a\(a)s\(k)"
                let sleep = dice.chance(50) ? "schedule.sleep(\(dice.int(1...150)).seconds)" : ""
                let failEvery = dice.int(2...5)
                let body = """
                () => {
                      self.running += 1
                      if self.running > 1 { self.overlaps += 1 }
                      self.runs += 1
                      \(sleep)
                      self.running -= 1
                      if self.runs % \(failEvery) == 0 { raise "run {self.runs} fails" }
                    }
                """
                var options = ["name: \"\(name)\"", "priority: \(dice.int(-1...2))"]
                // Backoffs up to twice the longest period, so retries fall after later ticks.
                if dice.chance(40) { options.append("retry: {attempts: \(dice.int(1...4)), backoff: \(dice.int(0...600)).seconds}") }
                let kind = dice.int(0...3)
                var jitter = 0
                if kind <= 1 {
                    options.append("overlap: \"\(dice.pick(["buffer_one", "skip", "buffer_all"]))\"")
                    // Jitter up to longer than the period.
                    if dice.chance(40) { jitter = dice.int(1...400); options.append("jitter: \(jitter).seconds") }
                }
                let period = dice.pick([30, 60, 90, 300])
                let call: String
                switch kind {
                case 0: call = "schedule.every(\(period).seconds, \(body), \(options.joined(separator: ", ")))"
                case 1: call = "schedule.cron(\"\(dice.pick(["* * * * *", "*/5 * * * *", "0 * * * *"]))\", \(body), \(options.joined(separator: ", ")))"
                case 2: call = "schedule.after(\(dice.int(0...600)).seconds, \(body), \(options.joined(separator: ", ")))"
                default: call = "schedule.at(\"2026-01-01T00:0\(dice.int(0...9)):00Z\", \(body), \(options.joined(separator: ", ")))"
                }
                start.append("h\(k) = \(call)")
                let fate = dice.int(1...10)
                if fate == 1 {
                    start.append("schedule.after(\(dice.int(0...3600)).seconds, () => { h\(k).cancel() })")
                } else if fate == 2 {
                    let pauseAt = dice.int(0...3600)
                    start.append("schedule.after(\(pauseAt).seconds, () => { h\(k).pause() })")
                    start.append("schedule.after(\(pauseAt + dice.int(0...1800)).seconds, () => { h\(k).resume() })")
                } else if kind >= 2 {
                    mustRunOnce.append(name)
                } else if kind == 0 {
                    cadence[name] = (period, jitter)
                }
            }
            out += """
            agent A\(a) {
              @tools [io]
              state {
                running: int = 0
                overlaps: int = 0
                runs: int = 0
              }
              @on_start {
                \(start.joined(separator: "\n    "))
              }
              @on_stop { io.show("A\(a) overlaps {self.overlaps}") }
            }
            run(A\(a))

            """
        }
        return (out, mustRunOnce, cadence)
    }

    func testCountersAndTurnsOverRandomSchedules() throws {
        let cases = 200
        var schedulesChecked = 0
        for n in 0..<cases {
            var dice = Dice(state: UInt64(n) &* 7919 &+ 17)
            let (source, mustRunOnce, cadence) = SchedulePropertyTests.program(&dice)
            let capacity = dice.int(1...8)
            final class Sink: @unchecked Sendable { var lines: [String] = [] }
            let out = Sink(), errors = Sink()
            var options = Interpreter.Options()
            options.output = { out.lines.append($0) }
            options.errorOutput = { errors.lines.append($0) }
            options.time = VirtualTime(start: 1_767_225_600_000_000_000)   // 2026-01-01T00:00:00Z
            options.until = 3 * 3_600_000_000_000
            options.queueCapacity = capacity
            options.environment = ["KEEL_SEED": String(n)]
            let interpreter = Interpreter(options: options)
            let main = try interpreter.compile(SourceFile(path: "case\(n).keel", text: source))
            let status = onLargeStack { interpreter.runProgram(main) }
            let context = "case \(n), capacity \(capacity):\n\(source)"
            XCTAssertEqual(status, 0, context + errors.lines.joined(separator: "\n"))
            for line in out.lines where line.contains("overlaps") {
                XCTAssertTrue(line.hasSuffix("overlaps 0"), "\(line)\n\(context)")
            }
            let counters = interpreter.scheduleCounters
            XCTAssertFalse(counters.isEmpty, context)
            for c in counters where c.name != nil {
                schedulesChecked += 1
                XCTAssertEqual(c.waiting, 0, "\(c)\n\(context)")
                XCTAssertEqual(c.due, c.fired + c.skipped + c.dropped, "\(c)\n\(context)")
                // A retry that came due ran: none was still pending, overdue, when its agent stopped.
                XCTAssertFalse(c.overdueRetryAtStop, "a retry never ran: \(c)\n\(context)")
                // Every cadence point whose tick was due by the end came due (jitter longer than
                // the period included): none vanished uncounted.
                if let (period, jitter) = cadence[c.name!] {
                    let hours3 = 3 * 3600
                    XCTAssertGreaterThanOrEqual(c.due, (hours3 - jitter) / period + 1, "cadence points vanished: \(c)\n\(context)")
                    XCTAssertLessThanOrEqual(c.due, hours3 / period + 1, "\(c)\n\(context)")
                }
                if mustRunOnce.contains(c.name!) {
                    XCTAssertEqual(c.fired, 1, "\(c)\n\(context)")
                    XCTAssertEqual(c.due, 1, "\(c)\n\(context)")
                }
            }
        }
        print("schedule property test: \(cases) cases, \(schedulesChecked) schedules checked")
    }

    /// Keyed instances (issue 23): random keys made by random messages, instances that go idle
    /// and stop (`@idle`) and are made again by a later message, each with random schedules and
    /// handlers that sleep. After every run: no instance ever ran two turns at once, every
    /// schedule accounts for every tick, and every one-shot of an instance that cannot go idle
    /// ran exactly once.
    func testInstancesOverRandomMessagesAndIdleUnloads() throws {
        let cases = 120
        var instancesSeen = 0
        for n in 0..<cases {
            var dice = Dice(state: UInt64(n) &* 104_729 &+ 3)
            let idle = dice.chance(50) ? dice.int(30...900) : nil
            var start: [String] = []
            var mustRunOnce: [String] = []
            for k in 0..<dice.int(1...3) {
                let name = "s\(k)"
                let sleep = dice.chance(50) ? "schedule.sleep(\(dice.int(1...120)).seconds)" : ""
                let body = "() => { self.running += 1\n if self.running > 1 { self.overlaps += 1 }\n \(sleep)\n after_stop(self.ended, self.key)\n self.running -= 1 }"
                var options = ["name: \"\(name)\""]
                if dice.chance(30) { options.append("retry: {attempts: 2, backoff: \(dice.int(0...60)).seconds}") }
                if dice.chance(50) {
                    options.append("overlap: \"\(dice.pick(["buffer_one", "skip", "buffer_all"]))\"")
                    start.append("schedule.every(\(dice.pick([30, 60, 300])).seconds, \(body), \(options.joined(separator: ", ")))")
                } else {
                    start.append("schedule.after(\(dice.int(0...1200)).seconds, \(body), \(options.joined(separator: ", ")))")
                    if idle == nil { mustRunOnce.append(name) }
                }
            }
            var sends: [String] = []
            let keys = (0..<dice.int(1...6)).map { _ in dice.chance(50) ? "\"k\(dice.int(0...4))\"" : "\(dice.int(0...4))" }
            for _ in 0..<dice.int(3...30) {
                sends.append("schedule.after(\(dice.int(0...3600)).seconds, () => send(W[\(dice.pick(keys))], \(dice.int(0...90)), event: \"ping\"))")
            }
            // Stops and runs at random moments, also while an instance's @on_start or @on_stop sleeps.
            let verbs = dice.int(0...8)
            if verbs > 0 { mustRunOnce.removeAll() }   // a stopped instance's one-shots do not run
            for _ in 0..<verbs {
                let verb = dice.pick(["stop", "run"])
                sends.append("schedule.after(\(dice.int(0...3600)).seconds, () => \(verb)(W[\(dice.pick(keys))]))")
            }
            let startSleep = dice.chance(40) ? "schedule.sleep(\(dice.int(1...100)).seconds)" : ""
            let stopSleep = dice.chance(40) ? "schedule.sleep(\(dice.int(1...100)).seconds)" : ""
            let source = """
            use std/io
            use std/schedule

            task after_stop(ended: bool, key: dynamic) {
              if ended { io.show("W[{key}] ran after its @on_stop") }
            }

            agent W {
              \(idle.map { "@idle \($0).seconds" } ?? "")
              @tools [io]
              state {
                running: int = 0
                overlaps: int = 0
                ended: bool = false
              }
              @on_start {
                self.running += 1
                \(start.joined(separator: "\n    "))
                \(startSleep)
                after_stop(self.ended, self.key)
                self.running -= 1
              }
              on ping(s: int) {
                self.running += 1
                if self.running > 1 { self.overlaps += 1 }
                if s > 45 { schedule.sleep(s * 1.seconds) }
                after_stop(self.ended, self.key)
                self.running -= 1
              }
              @on_stop {
                # From here on, no other turn of this instance may run (a parked one unwinds).
                self.ended = true
                \(stopSleep)
                io.show("W[{self.key}] overlaps {self.overlaps}")
              }
            }

            agent Driver {
              @on_start {
                \(sends.joined(separator: "\n    "))
                schedule.after(3700.seconds, () => stop(self))
              }
            }
            run(Driver)
            """
            let capacity = dice.int(2...16)
            final class Sink: @unchecked Sendable { var lines: [String] = [] }
            let out = Sink(), errors = Sink()
            var options = Interpreter.Options()
            options.output = { out.lines.append($0) }
            options.errorOutput = { errors.lines.append($0) }
            options.time = VirtualTime(start: 1_767_225_600_000_000_000)
            options.until = 2 * 3_600_000_000_000
            options.queueCapacity = capacity
            options.environment = ["KEEL_SEED": String(n)]
            let interpreter = Interpreter(options: options)
            let main = try interpreter.compile(SourceFile(path: "instances\(n).keel", text: source))
            let status = onLargeStack { interpreter.runProgram(main) }
            let context = "case \(n), capacity \(capacity):\n\(source)"
            XCTAssertEqual(status, 0, context + errors.lines.joined(separator: "\n"))
            // A full queue refuses a send (RuntimeBusy): that is the policy, not a failure.
            XCTAssertFalse(errors.lines.contains { $0.contains("error") && !$0.contains("RuntimeBusy") }, context + errors.lines.joined(separator: "\n"))
            for line in out.lines where line.contains("overlaps") {
                instancesSeen += 1
                XCTAssertTrue(line.hasSuffix("overlaps 0"), "\(line)\n\(context)")
            }
            for line in out.lines where line.contains("ran after") { XCTFail("\(line)\n\(context)") }
            for c in interpreter.scheduleCounters where c.name != nil {
                XCTAssertEqual(c.waiting, 0, "\(c)\n\(context)")
                XCTAssertEqual(c.due, c.fired + c.skipped + c.dropped, "\(c)\n\(context)")
                XCTAssertFalse(c.overdueRetryAtStop, "a retry never ran: \(c)\n\(context)")
                if mustRunOnce.contains(c.name!) { XCTAssertEqual(c.fired, 1, "\(c)\n\(context)") }
            }
        }
        XCTAssertGreaterThan(instancesSeen, cases)
        print("instance property test: \(cases) cases, \(instancesSeen) instance lives checked")
    }

    /// Jitter repeats exactly under one KEEL_SEED and changes under another.
    func testJitterIsReproducibleUnderASeed() throws {
        let source = """
        use std/io
        use std/time
        use std/schedule
        agent J {
          @tools [io]
          @on_start { schedule.every(1.minute, () => io.show(time.now()), name: "j", jitter: 50.seconds) }
        }
        run(J)
        """
        func starts(_ seed: String) throws -> [String] {
            final class Sink: @unchecked Sendable { var lines: [String] = [] }
            let out = Sink()
            var options = Interpreter.Options()
            options.output = { out.lines.append($0) }
            options.time = VirtualTime(start: 1_767_225_600_000_000_000)
            options.until = 30 * 60_000_000_000
            options.environment = ["KEEL_SEED": seed]
            let interpreter = Interpreter(options: options)
            let main = try interpreter.compile(SourceFile(path: "j.keel", text: source))
            _ = onLargeStack { interpreter.runProgram(main) }
            return out.lines
        }
        let first = try starts("42"), again = try starts("42"), other = try starts("43")
        XCTAssertEqual(first.count, 30)
        XCTAssertEqual(first, again)
        XCTAssertNotEqual(first, other)
        for (k, line) in first.enumerated() {
            // Tick k is due within [k minutes, k minutes + 50 s).
            let t = DateTime.parse(line.trimmingCharacters(in: .whitespaces))!
            let offset = t - (1_767_225_600_000_000_000 + Int64(k) * 60_000_000_000)
            XCTAssertTrue(offset >= 0 && offset < 50_000_000_000, "tick \(k): \(line)")
        }
    }
}
