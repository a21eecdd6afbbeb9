import Foundation
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
        let options = try RunSettings.parse(flags).options(environment: env, base: base)
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

    func testQueueCapacityMustBeAPositiveInteger() {
        XCTAssertThrowsError(try RunSettings().options(environment: ["KEEL_EVENT_QUEUE_CAPACITY": "zero"])) { error in
            XCTAssertTrue("\(error)".contains("KEEL_EVENT_QUEUE_CAPACITY"))
        }
        XCTAssertThrowsError(try RunSettings.parse(["--queue-capacity", "0"]).options(environment: [:]))
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
