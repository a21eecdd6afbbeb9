import Foundation
import KeelKit
import XCTest

/// The embedding API through public symbols only (this target imports KeelKit and nothing else).
final class KeelKitTests: XCTestCase {
    /// Collects output lines from whichever thread the loop writes on.
    final class Lines: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [String] = []
        func add(_ s: String) { lock.lock(); items.append(s); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
    }

    static let counter = """
    use std/io
    use std/schedule

    agent Counter {
      @tools [io]
      state { ticks: int = 0, heard: list = [] }
      @on_start { schedule.every(1.minute, () => { self.ticks += 1 }) }
      on message(m: str) { self.heard = self.heard + [m] }
      on report(label: str) { io.show("{label}: {self.ticks} ticks, heard {self.heard}") }
      @on_stop { io.show("stopped after {self.ticks}") }
    }
    task double(n: int) -> int { n * 2 }
    """

    func makeVirtual(_ lines: Lines) -> KeelInterpreter {
        var options = KeelInterpreter.Options(clock: .virtual())
        options.output = { lines.add($0) }
        options.errorOutput = { lines.add("error: " + $0) }
        return try! KeelInterpreter(options: options)
    }

    func testAgentsMessagesAndVirtualTime() throws {
        let lines = Lines()
        let keel = makeVirtual(lines)
        try keel.evaluate(KeelKitTests.counter, path: "counter.keel")
        XCTAssertEqual(try keel.call("double", 21), .int(42))
        try keel.start(agent: "Counter")
        try keel.send(to: "Counter", "a")
        try keel.send(to: "Counter", "b")
        keel.runUntilIdle()
        XCTAssertEqual(keel.liveAgents.map(\.name), ["Counter"])
        let start = keel.now
        keel.advance(by: .seconds(10 * 60))
        XCTAssertEqual(keel.now.timeIntervalSince(start), 600, accuracy: 1e-6)
        try keel.send(to: "Counter", "first", handler: "report")
        keel.runUntilIdle()
        // every(1.minute) fires at once, then at each minute: 0, 1, ..., 10 → 11 ticks.
        XCTAssertEqual(lines.all, ["  first: 11 ticks, heard [a, b]"])
        let schedule = try XCTUnwrap(keel.liveAgents.first?.schedules.first)
        XCTAssertEqual(schedule.kind, "every")
        XCTAssertEqual(schedule.nextFire.map { Double($0) / 1e9 }, start.timeIntervalSince1970 + 660)
        keel.stop()
        XCTAssertEqual(lines.all.last, "  stopped after 11")
        XCTAssertEqual(keel.liveAgents.count, 0)
        XCTAssertThrowsError(try keel.evaluate("1 + 1")) { error in
            XCTAssertEqual((error as? KeelError)?.message, "this interpreter has been stopped")
        }
    }

    /// `storePath`: a durable agent's state and schedule outlive the interpreter; a second
    /// interpreter on the same file while the first lives is refused.
    func testAStoreKeepsDurableAgentsAcrossInterpreters() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keelkit-store-\(getpid())")
        try? FileManager.default.removeItem(at: dir)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let program = """
        use std/io
        use std/schedule
        agent Meter {
          @durable
          @tools [io]
          state { ticks: int = 0 }
          task tick() { self.ticks += 1 }
          on report(label: str) { io.show("{label}: {self.ticks}") }
          @on_start { schedule.every(1.minute, self.tick, name: "tick", missed: "skip") }
        }
        """
        let start = Date(timeIntervalSince1970: 1_767_225_600)
        let lines = Lines()
        func make(_ at: Date) throws -> KeelInterpreter {
            var options = KeelInterpreter.Options(clock: .virtual(start: at))
            options.storePath = dir.appendingPathComponent("s.db").path
            options.output = { lines.add($0) }
            options.errorOutput = { lines.add("error: " + $0) }
            return try KeelInterpreter(options: options)
        }
        do {
            let first = try make(start)
            try first.evaluate(program)
            try first.start(agent: "Meter")
            _ = first.advance(by: .seconds(150))   // ticks at 0, 1 and 2 minutes
            XCTAssertThrowsError(try make(start)) { error in
                XCTAssertTrue("\(error)".contains("is in use by another keel process"), "\(error)")
            }
            first.stop()
        }
        let second = try make(start.addingTimeInterval(3600))
        try second.evaluate(program)
        try second.start(agent: "Meter")
        _ = second.advance(by: .seconds(90))   // missed ones skipped; one tick at 61 minutes
        try second.send(to: "Meter", "after", handler: "report")
        second.runUntilIdle()
        XCTAssertEqual(lines.all, ["  after: 4"])
    }

    /// `storePath` with a PostgreSQL URL (`KEEL_TEST_POSTGRES`, which `.ci/run` sets; skipped
    /// without it): the state outlives the interpreter, and the lease is released at the end, so
    /// the next interpreter owns the agent at once. A virtual clock with it is refused.
    func testAPostgreSQLStoreKeepsDurableAgentsAcrossInterpreters() throws {
        guard let url = ProcessInfo.processInfo.environment["KEEL_TEST_POSTGRES"], !url.isEmpty else {
            throw XCTSkip("KEEL_TEST_POSTGRES is not set")
        }
        let name = "Meter\(UUID().uuidString.prefix(8).filter(\.isLetter))"
        let program = """
        use std/io
        agent \(name) {
          @durable
          @tools [io]
          state { seen: int = 0 }
          on message(n: int) { self.seen += n }
          on report(label: str) { io.show("{label}: {self.seen}") }
        }
        """
        let lines = Lines()
        func make() throws -> KeelInterpreter {
            var options = KeelInterpreter.Options()
            options.storePath = url
            options.output = { lines.add($0) }
            options.errorOutput = { lines.add("error: " + $0) }
            return try KeelInterpreter(options: options)
        }
        do {
            let first = try make()
            try first.evaluate(program)
            try first.start(agent: name)
            for n in [1, 2, 3] { try first.send(to: name, n) }
            first.runUntilIdle()
            first.stop()
        }
        let second = try make()
        try second.evaluate(program)
        try second.start(agent: name)
        try second.send(to: name, "after", handler: "report")
        second.runUntilIdle()
        XCTAssertEqual(lines.all, ["  after: 6"])
        var virtual = KeelInterpreter.Options(clock: .virtual(start: Date()))
        virtual.storePath = url
        XCTAssertThrowsError(try KeelInterpreter(options: virtual)) { error in
            XCTAssertTrue("\(error)".contains("needs the real clock"), "\(error)")
        }
    }

    func testTwoInterpretersSideBySide() throws {
        let linesA = Lines(), linesB = Lines()
        let a = makeVirtual(linesA), b = makeVirtual(linesB)
        try a.evaluate(KeelKitTests.counter)
        try b.evaluate(KeelKitTests.counter + "\ntask double(n: int) -> int { n * 3 }")
        XCTAssertEqual(try a.call("double", 5), .int(10))
        XCTAssertEqual(try b.call("double", 5), .int(15))
        try a.start(agent: "Counter")
        try b.start(agent: "Counter")
        a.advance(by: .seconds(59))
        b.advance(by: .seconds(3 * 60 * 60))
        try a.send(to: "Counter", "a", handler: "report")
        try b.send(to: "Counter", "b", handler: "report")
        a.runUntilIdle()
        b.runUntilIdle()
        XCTAssertEqual(linesA.all, ["  a: 1 ticks, heard []"])
        XCTAssertEqual(linesB.all, ["  b: 181 ticks, heard []"])
        a.stop()
        b.stop()
    }

    func testInterpretersOnTwoThreadsAtOnce() throws {
        let results = Lines()
        DispatchQueue.concurrentPerform(iterations: 2) { i in
            let lines = Lines()
            let keel = makeVirtual(lines)
            do {
                try keel.evaluate(KeelKitTests.counter)
                try keel.start(agent: "Counter")
                for _ in 0..<50 { keel.advance(by: .seconds(60 * (i + 1))) }
                try keel.send(to: "Counter", "t\(i)", handler: "report")
                keel.runUntilIdle()
                keel.stop()
                results.add(lines.all.joined(separator: "|"))
            } catch {
                results.add("failed: \(error)")
            }
        }
        XCTAssertEqual(results.all.sorted(), [
            "  t0: 51 ticks, heard []|  stopped after 51",
            "  t1: 101 ticks, heard []|  stopped after 101",
        ])
    }

    struct SensorUnplugged: Error, CustomStringConvertible { var description: String { "sensor 3 is unplugged" } }

    func testHostFunctionsConvertArgumentsAndTheirErrorsSurfaceInKeel() throws {
        let lines = Lines()
        let keel = makeVirtual(lines)
        var recorded: [Double] = []
        keel.register(module: "metrics", functions: [
            "record": { args in
                recorded.append(try args.double(0))
                return recorded.count
            },
            "read": { _ in throw SensorUnplugged() },
            "strict": { _ in throw KeelError("QuotaError", "over quota") },
        ])
        keel.register(function: "greet") { args in "hello, \(try args.string(0))" }
        try keel.evaluate("""
        use std/io
        use host/metrics
        io.show(metrics.record(1.5))
        io.show(metrics.record(2))
        io.show(greet("host"))
        try { metrics.read() } catch e: HostError { io.show("HostError: {e.message}") }
        try { metrics.strict() } catch e: Error { io.show("{e.kind}: {e.message}") }
        try { metrics.record("x") } catch e: TypeError { io.show("TypeError: {e.message}") }
        try { greet() } catch e: CallError { io.show("CallError: {e.message}") }
        """)
        XCTAssertEqual(recorded, [1.5, 2])
        XCTAssertEqual(lines.all, [
            "  1", "  2", "  hello, host",
            "  HostError: metrics.read: sensor 3 is unplugged",
            "  QuotaError: over quota",
            "  TypeError: metrics.record: argument 1 must be float, got str",
            "  CallError: greet expects at least 1 argument, got 0",
        ])
        // Uncaught, a host error reaches the host as a KeelError pointing at the Keel call site.
        XCTAssertThrowsError(try keel.evaluate("use host/metrics\nmetrics.read()\n", path: "probe.keel")) { error in
            let e = error as? KeelError
            XCTAssertEqual(e?.kind, "HostError")
            XCTAssertTrue(e?.render(color: false).contains("probe.keel:2:") ?? false, e?.render(color: false) ?? "")
        }
        keel.stop()
    }

    func testCompileErrorsAndCapabilities() throws {
        var options = KeelInterpreter.Options(clock: .virtual(), capabilities: [])
        options.output = { _ in }
        let sandbox = try KeelInterpreter(options: options)
        XCTAssertThrowsError(try sandbox.evaluate("use std/file\nfile.read(\"/etc/passwd\")\n", path: "s.keel")) { error in
            XCTAssertTrue(error is KeelCompileErrors, "\(error)")
            XCTAssertTrue("\(error)".contains("s.keel:1:"), "\(error)")
            XCTAssertTrue("\(error)".contains("did not grant"), "\(error)")
        }
        XCTAssertEqual(try sandbox.evaluate("use std/math\nmath.sqrt(16.0)"), .float(4))
        XCTAssertThrowsError(try sandbox.evaluate("x = ")) { error in
            XCTAssertTrue(error is KeelCompileErrors, "\(error)")
        }
        sandbox.stop()
    }

    /// Without the file-system capability no module file is read, whatever its path; a host may
    /// supply modules itself.
    func testModulesComeOnlyFromTheHostWithoutFileSystem() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kk-modules-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let module = dir.appendingPathComponent("lib.keel")
        try "task answer() -> int { 42 }\n".write(to: module, atomically: true, encoding: .utf8)

        var options = KeelInterpreter.Options(clock: .virtual(), capabilities: [])
        options.output = { _ in }
        let sandbox = try KeelInterpreter(options: options)
        for path in [module.path, "/etc/passwd", "/proc/self/environ"] {
            XCTAssertThrowsError(try sandbox.evaluate("use \"\(path)\" as m\n", path: "s.keel")) { error in
                XCTAssertTrue(error is KeelCompileErrors, "\(error)")
                XCTAssertTrue("\(error)".contains("CapabilityError: module `\(path)` is not available"), "\(error)")
                XCTAssertFalse("\(error)".contains("root:"), "\(error)")
            }
        }
        sandbox.stop()

        options.loadModule = { path in path == "./geometry.keel" ? "task area(w: int, h: int) -> int { w * h }" : nil }
        let hosted = try KeelInterpreter(options: options)
        XCTAssertEqual(try hosted.evaluate("use \"./geometry.keel\"\ngeometry.area(6, 7)"), .int(42))
        XCTAssertThrowsError(try hosted.evaluate("use \"\(module.path)\"\n"))
        hosted.stop()

        var free = KeelInterpreter.Options(clock: .virtual(), capabilities: .all)
        free.output = { _ in }
        let reader = try KeelInterpreter(options: free)
        XCTAssertEqual(try reader.evaluate("use \"\(module.path)\"\nlib.answer()"), .int(42))
        reader.stop()
    }

    /// Advancing a virtual clock by more than a 64-bit count of nanoseconds holds is held at the
    /// end of the clock's range: schedules due by then run, nothing crashes.
    func testAdvanceByAHugeDuration() throws {
        let lines = Lines()
        let keel = makeVirtual(lines)
        try keel.evaluate("""
        use std/io
        use std/schedule
        agent Later {
          @tools [io]
          @on_start { schedule.after(100.days, () => io.show("a hundred days later")) }
        }
        """)
        try keel.start(agent: "Later")
        XCTAssertEqual(keel.advance(by: .seconds(Int64.max)), 0)
        XCTAssertEqual(keel.advance(by: .seconds(3600)), 0)
        XCTAssertEqual(lines.all, ["  a hundred days later"])
        XCTAssertEqual(keel.liveAgents.map(\.name), ["Later"])
        keel.stop()
    }

    func testOptionsThatCannotWorkAreRefusedAtConstruction() {
        for capacity in [0, -1] {
            XCTAssertThrowsError(try KeelInterpreter(options: .init(queueCapacity: capacity))) { error in
                XCTAssertEqual("\(error)", "queueCapacity must be a positive integer, got \(capacity)")
            }
        }
        XCTAssertNoThrow(try KeelInterpreter(options: .init(queueCapacity: 1)).stop())
        for depth in [0, 10_001] {
            var options = KeelInterpreter.Options()
            options.maxCallDepth = depth
            XCTAssertThrowsError(try KeelInterpreter(options: options)) { error in
                XCTAssertEqual("\(error)", "maxCallDepth must be from 1 to 10000, got \(depth)")
            }
        }
    }

    func testEvaluationThatSleepsRunsTheLoopMeanwhile() throws {
        let lines = Lines()
        let keel = makeVirtual(lines)
        try keel.evaluate(KeelKitTests.counter)
        try keel.start(agent: "Counter")
        let before = keel.now
        // The host's own evaluation sleeps for an hour of virtual time; the agent ticks meanwhile.
        try keel.evaluate("use std/schedule\nschedule.sleep(1.hour)\nsend(Counter, \"after\", event: \"report\")")
        XCTAssertEqual(keel.now.timeIntervalSince(before), 3600, accuracy: 1e-6)
        keel.runUntilIdle()
        XCTAssertEqual(lines.all, ["  after: 61 ticks, heard []"])
        keel.stop()
    }

    func testInterruptFromAnotherThreadStopsRunawayCode() throws {
        // On the real clock: a virtual one would jump over the long sleep at once.
        let keel = try KeelInterpreter(options: .init(clock: .real))
        try keel.evaluate("spins = 0")
        for runaway in ["while true { spins = spins + 1 }", "use std/schedule\nschedule.sleep(1000.days)"] {
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { keel.interrupt() }
            XCTAssertThrowsError(try keel.evaluate(runaway)) { error in
                XCTAssertEqual((error as? KeelError)?.kind, "Interrupted", "\(error)")
            }
        }
        XCTAssertEqual(try keel.evaluate("spins > 0"), .bool(true))
        keel.stop()
    }

    func testHostFunctionMayCallBackIntoKeel() throws {
        let keel = makeVirtual(Lines())
        keel.register(function: "twice_via_keel") { [unowned keel] args in
            try keel.call("double", try args.int(0))
        }
        try keel.evaluate(KeelKitTests.counter)
        XCTAssertEqual(try keel.evaluate("twice_via_keel(4) + 1"), .int(9))
        keel.stop()
    }

    /// A host function that evaluates Keel code calling it again, and one that calls back a Keel
    /// task that calls it: both are bounded by the call-depth limit (a RecursionError), not by the
    /// host's stack (this ended the host by SIGSEGV).
    func testRecursionThroughTheHostIsBoundedByTheCallDepth() throws {
        // A lower limit than the default keeps the thread sanitizer's shadow stack (64K frames) whole.
        var options = KeelInterpreter.Options(clock: .virtual())
        options.maxCallDepth = 300
        let keel = try KeelInterpreter(options: options)
        keel.register(function: "again") { [unowned keel] _ in try keel.evaluate("again()") }
        keel.register(function: "bounce") { [unowned keel] args in try keel.call("down", try args.int(0) + 1) }
        try keel.evaluate("task down(n: int) -> int { bounce(n) }")
        for source in ["again()", "down(0)"] {
            XCTAssertThrowsError(try keel.evaluate(source)) { error in
                XCTAssertEqual((error as? KeelError)?.kind, "RecursionError", "\(source): \(error)")
            }
        }
        XCTAssertEqual(try keel.evaluate("1 + 1"), .int(2))   // still usable
        keel.stop()
    }

    func testRunUntilNoAgents() throws {
        let lines = Lines()
        let keel = makeVirtual(lines)
        try keel.evaluate("""
        use std/io
        use std/schedule
        agent Once {
          @tools [io]
          @on_start {
            schedule.after(5.seconds, () => {
              io.show("done")
              stop(self)
            })
          }
        }
        run(Once)
        """)
        XCTAssertEqual(keel.runUntilNoAgents(), 0)
        XCTAssertEqual(lines.all, ["  done"])
        XCTAssertTrue(keel.liveAgents.isEmpty)
        keel.stop()
    }
}
