import Foundation
import KeelCLI
import KeelRuntime
import XCTest

/// The event loop: determinism under the virtual clock, and suspension that holds up only the
/// suspended agent (also on the real clock).
final class RuntimeTests: XCTestCase {
    final class Sink: @unchecked Sendable {
        let lock = NSLock()
        var lines: [String] = []
        func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
    }

    func run(_ source: String, flags: [String], env: [String: String] = [:]) throws -> (status: Int32, out: [String], err: [String]) {
        let out = Sink(), err = Sink()
        var base = Interpreter.Options()
        base.output = { out.add($0) }
        base.errorOutput = { err.add($0) }
        let options = try RunOptions.parse(flags, environment: env, base: base)
        let status = Runner.run(source: source, path: "t.keel", options: options)
        return (status, out.lines, err.lines)
    }

    static let busyProgram = """
    use std/io
    use std/schedule
    agent Fast {
      @tools [io]
      state {
        n: int = 0
      }
      @on_start {
        schedule.every(7.minutes, () => {
          self.n += 1
          io.show("fast {self.n}")
          send(Slow, self.n)
        })
      }
      on message(x: int) { io.show("fast message {x}") }
    }
    agent Slow {
      @tools [io]
      on message(x: int) {
        schedule.sleep(11.minutes)
        io.show("slow handled {x}")
        send(Fast, x * 100)
        if x >= 20 {
          stop(Fast)
          stop(self)
        }
      }
    }
    run(Fast)
    run(Slow)
    """

    /// Turns that suspend inside native callbacks (a `sort` key, a `map` closure) while other turns
    /// do the same: each resumes inside its own call with its own values (with copying fibers, the
    /// frames of the native call are swapped out and back at every suspension).
    func testTurnsSuspendInsideNativeCallbacks() throws {
        let program = """
        use std/async
        use std/io
        tasks = []
        for i in 1..50 {
          tasks = tasks.push(async.spawn(() => {
            xs = [i, i + 1, i + 2].sort(by: x => {
              async.sleep((x % 3 + 1) * 1.second)
              -x
            })
            ys = xs.map(x => {
              async.sleep(1.second)
              x * 2
            })
            io.show("{i}: {ys}")
            ys.sum()
          }))
        }
        io.show(async.join_all(tasks).sum())
        """
        let r = try run(program, flags: ["--virtual-time"])
        XCTAssertEqual(r.status, 0, r.err.joined(separator: "\n"))
        XCTAssertEqual(r.out.last, "  \((1...50).map { 6 * $0 + 6 }.reduce(0, +))")
        for i in 1...50 {
            XCTAssertTrue(r.out.contains("  \(i): [\(2 * i + 4), \(2 * i + 2), \(2 * i)]"), "task \(i): \(r.out)")
        }
    }

    func testVirtualRunsAreByteIdentical() throws {
        let flags = ["--virtual-time", "--start", "2026-03-01T00:00:00Z"]
        let first = try run(Self.busyProgram, flags: flags)
        let second = try run(Self.busyProgram, flags: flags)
        XCTAssertEqual(first.status, 0, first.err.joined(separator: "\n"))
        XCTAssertGreaterThan(first.out.count, 40)
        XCTAssertEqual(first.out, second.out)
        XCTAssertEqual(first.err, second.err)
        // Slow handles its messages one at a time, in order, while Fast keeps ticking.
        let slow = first.out.filter { $0.hasPrefix("  slow handled") }
        XCTAssertEqual(slow, (1...20).map { "  slow handled \($0)" })
    }

    func testSleepingAgentDoesNotDelayOthersOnRealClock() throws {
        let source = """
        use std/io
        use std/schedule
        agent Sleeper {
          @tools [io]
          on message(m: str) {
            io.show("sleeping")
            schedule.sleep(300.ms)
            io.show("awake")
            stop(self)
          }
        }
        agent Chatty {
          @tools [io]
          state {
            n: int = 0
          }
          on message(m: str) {
            self.n += 1
            io.show("chatty {self.n}")
            if self.n < 50 { send(self, "again") } else { stop(self) }
          }
        }
        run(Sleeper)
        run(Chatty)
        send(Sleeper, "go")
        send(Chatty, "go")
        """
        let start = Date()
        let result = try run(source, flags: [])
        let elapsed = Date().timeIntervalSince(start)
        XCTAssertEqual(result.status, 0)
        XCTAssertEqual(result.out.first, "  sleeping")
        XCTAssertEqual(result.out.last, "  awake")
        XCTAssertEqual(result.out.filter { $0.hasPrefix("  chatty") }.count, 50)
        XCTAssertGreaterThanOrEqual(elapsed, 0.3)
    }

    /// The REPL's engine: the loop serves on its own thread, agents tick between inputs, an input
    /// stuck in an endless loop or a long sleep is interrupted from another thread, and the
    /// session goes on.
    func testSessionServesInputsWhileAgentsTick() throws {
        let out = Sink()
        var options = Interpreter.Options()
        options.output = { out.add($0) }
        options.errorOutput = { out.add("error: " + $0) }
        let session = Session(options: options)
        guard case .done = session.evaluate("""
        agent Beat {
          @tools [io]
          state { n: int = 0 }
          @on_start { schedule.every(5.ms, () => { self.n += 1 }) }
          @on_stop { io.show("beats > 3: {self.n > 3}") }
        }
        run(Beat)
        """) else { return XCTFail("agent declaration failed: \(out.lines)") }
        // Real time passes between inputs; the agent ticks meanwhile.
        usleep(60_000)
        guard case .value(.bool(true)) = session.evaluate("Beat.n > 3") else { return XCTFail("agent did not tick") }
        for input in ["while true { }", "schedule.sleep(1.hour)"] {
            DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { session.interrupt() }
            guard case .runtimeError(let e) = session.evaluate(input) else { return XCTFail("\(input) was not interrupted") }
            XCTAssertEqual(e.kind, "Interrupted")
        }
        // `try` does not catch an interrupt.
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.05) { session.interrupt() }
        guard case .runtimeError = session.evaluate("try { while true { } } catch e: Error { 1 }") else { return XCTFail() }
        guard case .done = session.evaluate("x = 40"), case .value(.int(42)) = session.evaluate("x + 2") else {
            return XCTFail("session lost")
        }
        XCTAssertEqual(session.agents.map(\.name), ["Beat"])
        session.close()
        XCTAssertEqual(out.lines, ["  beats > 3: true"])
    }

    /// A compile that fails leaves nothing behind: not its tasks, types or names (a bad `:load`).
    func testAFailedCompileLeavesNoTrace() throws {
        let session = Session()
        defer { session.close() }
        guard case .compileError = session.evaluate("task g() { 7 }\ntype P = { x: int }\nq = 1\nx = nope") else {
            return XCTFail("expected a compile error")
        }
        for input in ["g()", "q", "p: P = {x: 1}"] {
            guard case .compileError(let problems) = session.evaluate(input) else { return XCTFail("\(input) compiled") }
            XCTAssertTrue(problems.contains { $0.message.contains("undefined name") || $0.message.contains("unknown type") },
                          "\(input): \(problems)")
        }
        guard case .done = session.evaluate("task g() { 8 }"), case .value(.int(8)) = session.evaluate("g()") else {
            return XCTFail("the session does not compile after a failed input")
        }
    }

    /// The REPL asks for more input only when every problem is that the text ended too soon.
    func testNeedsMoreInputComesFromTheParser() {
        for text in ["task f() {", "x = [1, 2,", "y = 1 +", "s = \"abc", "agent A {\n  state {", "io.show(\"{x"] {
            XCTAssertTrue(Session.needsMoreInput(text), text)
        }
        for text in ["x = 1", "x = )", "x = )\ny = [", "task f() { 1 }", "}"] {
            XCTAssertFalse(Session.needsMoreInput(text), text)
        }
    }

    func testQueueCapacityMustBeAPositiveInteger() {
        XCTAssertThrowsError(try RunOptions.parse([], environment: ["KEEL_EVENT_QUEUE_CAPACITY": "zero"])) { error in
            XCTAssertEqual("\(error)", "KEEL_EVENT_QUEUE_CAPACITY: expected a positive integer, got `zero`")
        }
        XCTAssertThrowsError(try RunOptions.parse(["--queue-capacity", "0"], environment: [:])) { error in
            XCTAssertEqual("\(error)", "--queue-capacity: expected a positive integer, got `0`")
        }
    }

    func testTwoRuntimesSideBySide() throws {
        let program = """
        use std/io
        use std/schedule
        agent T {
          @tools [io]
          state {
            n: int = 0
          }
          @on_start {
            schedule.every(1.second, () => {
              self.n += 1
              if self.n == 3 {
                io.show("done")
                stop(self)
              }
            })
          }
        }
        run(T)
        """
        let results = [Sink(), Sink()]
        let group = DispatchGroup()
        for sink in results {
            group.enter()
            Thread {
                var options = Interpreter.Options()
                options.output = { sink.add($0) }
                options.time = VirtualTime(start: 0)
                _ = Runner.run(source: program, path: "t.keel", options: options)
                group.leave()
            }.start()
        }
        group.wait()
        XCTAssertEqual(results[0].lines, ["  done"])
        XCTAssertEqual(results[1].lines, ["  done"])
    }
}

/// Runs the built `keel` binary, to check signal handling end to end.
final class SignalTests: XCTestCase {
    /// The `keel` built next to this test bundle.
    func keelBinary() -> URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("keel")
    }

    func testSigintRunsOnStopAndExits130() throws {
        let binary = keelBinary()
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path), "keel binary not built")
        let program = FileManager.default.temporaryDirectory.appendingPathComponent("sigint-\(getpid()).keel")
        try """
        use std/io
        agent Forever {
          @tools [io]
          @on_start { io.show("ready") }
          @on_stop { io.show("cleaning up") }
        }
        run(Forever)
        """.write(to: program, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = binary
        process.arguments = ["run", program.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        // A watchdog, so a failure here cannot hang the suite.
        DispatchQueue.global().asyncAfter(deadline: .now() + 20) { if process.isRunning { process.terminate() } }
        // Wait for the program to be ready, then interrupt it.
        let handle = pipe.fileHandleForReading
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("ready") {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        process.interrupt()
        process.waitUntilExit()
        seen += handle.readDataToEndOfFile()
        XCTAssertEqual(process.terminationStatus, 130)
        XCTAssertEqual(String(decoding: seen, as: UTF8.self), "  ready\n  cleaning up\n")
    }
}
