import Foundation
import KeelRuntime
import XCTest

final class ProcessReport: @unchecked Sendable {
    private let lock = NSLock()
    private var value = ""
    func set(_ s: String) { lock.lock(); value = s; lock.unlock() }
    var text: String { lock.lock(); defer { lock.unlock() }; return value }
}

/// The `keel` command end to end: subcommands, exit codes, and `keel cron`.
final class CommandTests: XCTestCase {
    /// examples/embedding: the host program's whole output is what its expected.txt says.
    func testEmbeddingExample() throws {
        let dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let binary = dir.appendingPathComponent("embedding-example")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path), "embedding-example not built")
        let process = Process()
        process.executableURL = binary
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let expected = try String(contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../examples/embedding/expected.txt").standardizedFileURL, encoding: .utf8)
        XCTAssertEqual(process.terminationStatus, 0)
        XCTAssertEqual(output, expected)
    }

    /// Fire times past the clock's range (2262) end the list instead of crashing.
    /// The two kinds of fiber (copied frames, the default; threads, under sanitizers) run the
    /// same program to the same bytes, and a misspelt KEEL_FIBERS is reported, not ignored.
    func testThreadFibersAndCopyingFibersRunAlike() throws {
        let path = "/tmp/keel-fibers-\(getpid()).keel"
        try RuntimeTests.busyProgram.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let flags = ["run", "--virtual-time", "--start", "2026-03-01T00:00:00Z", path]
        let copying = try keel(flags, environment: ["KEEL_FIBERS": "copying"])
        let threads = try keel(flags, environment: ["KEEL_FIBERS": "threads"])
        XCTAssertEqual(copying.status, 0, copying.err)
        XCTAssertEqual(threads.status, 0, threads.err)
        XCTAssertTrue(copying.out.contains("slow handled 20"), copying.out)
        XCTAssertEqual(copying.out, threads.out)
        XCTAssertEqual(copying.err, threads.err)
        let misspelt = try keel(flags, environment: ["KEEL_FIBERS": "thread"])
        XCTAssertEqual(misspelt.out, copying.out)
        XCTAssertTrue(misspelt.err.contains("KEEL_FIBERS must be `copying` or `threads`, not `thread`"), misspelt.err)
    }

    func testCronNearTheEndOfTime() throws {
        let r = try keel(["cron", "0 0 1 1 *", "--next", "300", "--from", "2261-12-31T23:59:00Z"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "2262-01-01T00:00:00Z\n(no more fire times)\n")
    }

    /// Issue 29: the first minutes of the time range crashed (floor division of a negative
    /// instant overflowed).
    func testCronAtTheStartOfTime() throws {
        let r = try keel(["cron", "30 2 * * *", "--next", "2", "--from", "1677-09-21T00:12:44Z"])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "1677-09-21T02:30:00Z\n1677-09-22T02:30:00Z\n")
    }

    /// A source file that is not UTF-8 gets a diagnostic at the bad byte; a diagnostic on a line of
    /// ten million characters quotes a window around the caret, not the whole line.
    func testBadSourceBytesAndLongLines() throws {
        let dir = try temporaryFolder(self, "sources")
        let bad = dir.appendingPathComponent("bad.keel")
        try Data("x = 1\ny = \"".utf8 + [0xFF, 0xFE] + Data("\"\n".utf8)).write(to: bad)
        let r = try keel(["run", bad.path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("bad.keel:2:6: error: invalid UTF-8 (0xFF): a source file must be UTF-8 text"), r.err)
        let check = try keel(["check", bad.path])
        XCTAssertEqual(check.status, 2)
        XCTAssertTrue(check.err.contains("bad.keel:2:6: error: invalid UTF-8"), check.err)

        let long = dir.appendingPathComponent("long.keel")
        try ("x = \"" + String(repeating: "ab", count: 5_000_000) + "\" + nope\n").write(to: long, atomically: true, encoding: .utf8)
        let l = try keel(["run", long.path])
        XCTAssertEqual(l.status, 2)
        XCTAssertTrue(l.err.contains("long.keel:1:10000010: error: undefined name `nope`"), String(l.err.prefix(300)))
        XCTAssertLessThan(l.err.count, 1_000, "the whole line was quoted")
        XCTAssertTrue(l.err.contains("…ababab"), String(l.err.prefix(600)))
        XCTAssertTrue(l.err.contains("^~~~"), String(l.err.prefix(600)))
    }

    /// An expression chain too deep for the passes after the parser is refused by the parser.
    func testTooDeepExpressionIsADiagnostic() throws {
        let dir = try temporaryFolder(self, "deep")
        let file = dir.appendingPathComponent("chain.keel")
        try ("x = " + String(repeating: "1 + ", count: 1_000_000) + "1\n").write(to: file, atomically: true, encoding: .utf8)
        let r = try keel(["check", file.path])
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("chain.keel:1:5: error: expression is too deep (more than 5000 operators"), String(r.err.prefix(300)))
    }

    /// A signal while a handler is busy (deep recursion, no loop to check) stops it at once; every
    /// agent's @on_stop runs; the exit status is 128 + the signal.
    func testSignalsStopABusyHandlerAndRunOnStop() throws {
        let dir = try temporaryFolder(self, "signals")
        let file = dir.appendingPathComponent("busy.keel")
        try """
        use std/io
        task fib(n: int) -> int {
          if n < 2 { return n }
          fib(n - 1) + fib(n - 2)
        }
        agent Busy {
          @tools [io]
          on message(m: str) {
            io.show("busy")
            fib(60)
          }
          @on_stop { io.show("Busy stopped") }
        }
        agent Other {
          @tools [io]
          @on_stop { io.show("Other stopped") }
        }
        run(Busy)
        run(Other)
        send(Busy, "go")
        """.write(to: file, atomically: true, encoding: .utf8)
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("keel")
        for (sig, status) in [(SIGTERM, Int32(143)), (SIGINT, 130), (SIGQUIT, 131)] {
            let process = Process()
            process.executableURL = binary
            process.arguments = ["run", file.path]
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Wait until the handler is busy, then signal.
            var seen = Data()
            while !String(decoding: seen, as: UTF8.self).contains("busy") {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                seen += chunk
            }
            let started = Date()
            kill(process.processIdentifier, sig)
            // A watchdog, so a failure cannot hang the suite: it records the child's signal masks.
            let pid = process.processIdentifier
            let report = ProcessReport()
            DispatchQueue.global().asyncAfter(deadline: .now() + 10) {
                if process.isRunning {
                    report.set((try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? "")
                    kill(pid, SIGKILL)
                }
            }
            seen += out.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .exit, "signal \(sig)")
            XCTAssertEqual(process.terminationStatus, status, "signal \(sig)")
            XCTAssertEqual(String(decoding: seen, as: UTF8.self), "  busy\n  Busy stopped\n  Other stopped\n", "signal \(sig)")
            XCTAssertLessThan(Date().timeIntervalSince(started), 1.5, "signal \(sig): the busy turn was not interrupted")
            XCTAssertEqual(report.text, "", "signal \(sig): the watchdog killed keel")
        }
    }

    func testCronPrintsNextFireTimes() throws {
        let r = try keel(["cron", "0 9 * * MON-FRI", "--from", "2026-01-01T00:00:00Z", "--next", "3"])
        XCTAssertEqual(r.status, 0)
        XCTAssertEqual(r.out, "2026-01-01T09:00:00Z\n2026-01-02T09:00:00Z\n2026-01-05T09:00:00Z\n")
        let paris = try keel(["cron", "30 2 * * *", "--tz", "Europe/Paris", "--from", "2026-03-28T12:00:00Z", "--next", "1"])
        XCTAssertEqual(paris.out, "2026-03-29T03:00:00+02:00  (2026-03-29T01:00:00Z)\n")
    }

    func testExitCodes() throws {
        XCTAssertEqual(try keel(["cron", "61 * * * *"]).status, 2)
        XCTAssertEqual(try keel(["run", "--no-such-flag", "x.keel"]).status, 2)
        XCTAssertEqual(try keel(["run", "/no/such/file.keel"]).status, 2)
        let compileError = try keel(["run", "-"], stdin: "x = (\n")
        XCTAssertEqual(compileError.status, 2)
        XCTAssertTrue(compileError.err.contains("<stdin>:2:1: error: expected an expression"), compileError.err)
        let runtimeError = try keel(["run", "-"], stdin: "x = 1 / 0\n")
        XCTAssertEqual(runtimeError.status, 1)
        XCTAssertTrue(runtimeError.err.contains("<stdin>:1:5: error: ArithmeticError: division by zero"), runtimeError.err)
        XCTAssertEqual(try keel(["run", "-"], stdin: "use std/io\nio.show(1)\n").out, "  1\n")
    }

    func testShorthandAndEnvironmentValidation() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("short-\(getpid()).keel")
        try "use std/io\nio.show(\"short\")\n".write(to: file, atomically: true, encoding: .utf8)
        XCTAssertEqual(try keel([file.path]).out, "  short\n")
        setenv("KEEL_EVENT_QUEUE_CAPACITY", "-3", 1)
        defer { unsetenv("KEEL_EVENT_QUEUE_CAPACITY") }
        let bad = try keel(["run", file.path])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.err.contains("KEEL_EVENT_QUEUE_CAPACITY: expected a positive integer, got `-3`"), bad.err)
    }

    /// Every bad flag or variable fails the same way: what was given, what is accepted, `keel run`'s
    /// usage, exit 2; through `keel run FILE` and the shorthand `keel FILE` alike.
    func testBadFlagsAndVariablesFailTheSameWay() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("flags-\(getpid()).keel")
        try "x = 1\n".write(to: file, atomically: true, encoding: .utf8)
        let cases: [([String], [String: String], String)] = [
            (["--queue-capacity", "abc"], [:], "--queue-capacity: expected a positive integer, got `abc`"),
            (["--queue-capacity", "0"], [:], "--queue-capacity: expected a positive integer, got `0`"),
            (["--virtual-time", "--until", "foo"], [:], "--until: expected a duration such as 30.days or 90.minutes, got `foo`"),
            (["--log-level", "loud"], [:], "--log-level: expected debug, info, warn or error, got `loud`"),
            (["--virtual-time", "--start", "noon"], [:],
             "--start: expected a time such as 2026-01-01T00:00:00Z, within 1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z, got `noon`"),
            (["--virtual-time", "--start", "9999-01-01T00:00:00Z"], [:],
             "--start: expected a time such as 2026-01-01T00:00:00Z, within 1677-09-21T00:12:44Z to 2262-04-11T23:47:16Z, got `9999-01-01T00:00:00Z`"),
            ([], ["KEEL_EVENT_QUEUE_CAPACITY": "lots"], "KEEL_EVENT_QUEUE_CAPACITY: expected a positive integer, got `lots`"),
            ([], ["KEEL_LOG_LEVEL": "chatty"], "KEEL_LOG_LEVEL: expected debug, info, warn or error, got `chatty`"),
            ([], ["KEEL_SEED": "x1"], "KEEL_SEED: expected an integer, got `x1`"),
            (["--qeue-capacity", "3"], [:], "Unknown option '--qeue-capacity'. Did you mean '--queue-capacity'?"),
        ]
        for (flags, env, message) in cases {
            for prefix in [["run"], []] {
                for (k, v) in env { setenv(k, v, 1) }
                let result = try keel(prefix + [file.path] + flags)
                for (k, _) in env { unsetenv(k) }
                XCTAssertEqual(result.status, 2, "\(flags) \(env)")
                XCTAssertTrue(result.err.hasPrefix("Error: \(message)\n"), "\(flags) \(env): \(result.err)")
                XCTAssertTrue(result.err.contains("Usage: keel run ") && result.err.contains("<file>"), "\(flags) \(env): \(result.err)")
            }
        }
    }

    func testKeelTestRunsTestBlocks() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("keeltests-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
        use std/io
        task double(x: int) -> int { x * 2 }
        io.show("top-level code does not run")
        test "doubling" {
          setup { base = 21 }
          assert double(base) == 42, "21 doubled is 42"
        }
        test "cases" for n in [1, 2, 3] {
          assert double(n) > n
        }
        test "fails" {
          assert double(2) == 5
        }
        """.write(to: dir.appendingPathComponent("a.keel"), atomically: true, encoding: .utf8)
        let all = try keel(["test", dir.appendingPathComponent("a.keel").path])
        XCTAssertEqual(all.status, 1)
        let lines = all.out.split(separator: "\n").map { String($0.split(separator: " (").first!) }
        XCTAssertEqual(lines, ["PASS doubling", "PASS cases [1]", "PASS cases [2]", "PASS cases [3]", "FAIL fails", "4 passed, 1 failed"])
        XCTAssertTrue(all.err.contains("a.keel:12:3: error: AssertionError: assertion failed: double(2) == 5"), all.err)
        let filtered = try keel(["test", dir.path, "--filter", "cases"])
        XCTAssertEqual(filtered.status, 0)
        XCTAssertTrue(filtered.out.hasSuffix("3 passed, 0 failed\n"), filtered.out)
        let listed = try keel(["test", dir.path, "--list"])
        XCTAssertTrue(listed.out.contains("cases [2]\n"), listed.out)
        let failFast = try keel(["test", dir.path, "--fail-fast", "--filter", "fail"])
        XCTAssertEqual(failFast.status, 1)
        // Keel's summary on standard error, failures listed.
        XCTAssertTrue(all.err.contains("4 tests passed, 1 test failed in "), all.err)
        XCTAssertTrue(all.err.hasSuffix("ms\nfailed:\n  fails\n"), all.err)
        XCTAssertTrue(filtered.err.hasPrefix("3 tests passed in "), filtered.err)
        let one = try keel(["test", dir.path, "--filter", "doubling"])
        XCTAssertTrue(one.err.hasPrefix("1 test passed in "), one.err)
        let none = try keel(["test", dir.path, "--filter", "no such test"])
        XCTAssertEqual(none.err, "0 tests found\n")
    }

    func testKeelTestRunsOnlyTheNamedFilesTests() throws {
        let dir = try temporaryFolder(self, "keeltests-import")
        try "task double(n: int) -> int { n * 2 }\ntest \"in the library\" { assert double(2) == 4 }\n"
            .write(to: dir.appendingPathComponent("lib.keel"), atomically: true, encoding: .utf8)
        try "use \"./lib.keel\"\ntest \"in main\" { assert lib.double(3) == 6 }\n"
            .write(to: dir.appendingPathComponent("main.keel"), atomically: true, encoding: .utf8)
        let r = try keel(["test", dir.appendingPathComponent("main.keel").path])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertFalse(r.out.contains("in the library"), r.out)
        XCTAssertTrue(r.out.hasSuffix("1 passed, 0 failed\n"), r.out)
    }

    func testMocksInTests() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("mocks-\(getpid()).keel")
        try """
        use std/io
        use std/testing
        task greet() -> str { "hello {io.ask("name?")}" }
        test "mocked input" {
          testing.mock(io.ask).returns("Ada").returns("Bob")
          assert greet() == "hello Ada"
          assert greet() == "hello Bob"
          assert greet() == "hello Bob", "the last value repeats"
          assert io.ask.called
          assert io.ask.call_count == 3
          assert testing.mock(io.ask).called == false, "a new mock starts fresh"
        }
        test "mocks do not outlive their test" {
          assert typeof(io.ask) == "task"
        }
        """.write(to: file, atomically: true, encoding: .utf8)
        let r = try keel(["test", file.path], stdin: "")
        XCTAssertEqual(r.status, 0, r.out + r.err)
        XCTAssertTrue(r.out.hasSuffix("2 passed, 0 failed\n"), r.out + r.err)
    }

    func testLogLevelFlag() throws {
        let r = try keel(["run", "--log-level", "debug", "-"], stdin: "use std/log\nlog.debug(\"deep detail\")\n")
        XCTAssertEqual(r.status, 0)
        XCTAssertTrue(r.err.contains("[debug] deep detail"), r.err)
        let quiet = try keel(["run", "--log-level", "error", "-"], stdin: "use std/log\nlog.warn(\"hidden\")\n")
        XCTAssertEqual(quiet.err, "")
        XCTAssertEqual(try keel(["run", "--log-level", "loud", "-"], stdin: "").status, 2)
    }

    func testPipedReplPrintsOnlyValues() throws {
        XCTAssertEqual(try keel(["repl"], stdin: "x = 2\nx * 21\n").out, "42\n")
        let multi = try keel(["repl"], stdin: "task sq(n: int) -> int {\n  n * n\n}\nsq(12)\nmath.sqrt(16.0)\nnope\n\"after an error\"\n")
        XCTAssertEqual(multi.out, "144\n4\nafter an error\n")
        XCTAssertTrue(multi.err.contains("error: undefined name `nope`"), multi.err)
    }

    func testPipedReplRunsAgentsUntilTheEndOfInput() throws {
        // An agent started from piped input runs while input lasts; at the end it is stopped.
        let r = try keel(["repl"], stdin: """
        agent Greeter {
          @tools [io]
          on message(m: str) { io.show("hi {m}") }
          @on_stop { io.show("bye") }
        }
        run(Greeter)
        send(Greeter, "ada")
        schedule.sleep(20.ms)
        :agents
        "typed after"

        """)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "  hi ada\nGreeter  (0 events waiting)\ntyped after\n  bye\n")
        // A compile error in the REPL points into the input, as a file's would.
        let bad = try keel(["repl"], stdin: "x = 1\nx +* 2\n")
        XCTAssertTrue(bad.err.contains("<input 2>:1:4: error:"), bad.err)
        XCTAssertTrue(bad.err.contains(" 1 | x +* 2"), bad.err)
        XCTAssertFalse(bad.err.contains("\u{1B}["), "no colour off a terminal")
        let unfinished = try keel(["repl"], stdin: "1 + 1\ntask f() {\n  1\n")
        XCTAssertEqual(unfinished.out, "2\n")
        XCTAssertTrue(unfinished.err.contains("<input 2>:"), unfinished.err)
    }

    func testVersionAndHelpForEveryCommand() throws {
        let version = try keel(["--version"])
        XCTAssertEqual(version.status, 0)
        XCTAssertEqual(version.out.trimmingCharacters(in: .whitespacesAndNewlines), KeelVersion.string)
        let top = try keel(["--help"])
        XCTAssertEqual(top.status, 0)
        for word in ["run", "check", "test", "cron", "repl", "KEEL_EVENT_QUEUE_CAPACITY", "KEEL_ONESHOT", "KEEL_HISTORY", "NO_COLOR", "130"] {
            XCTAssertTrue(top.out.contains(word), "keel --help lacks \(word)")
        }
        for (command, phrase) in [("run", "--virtual-time"), ("check", "FILE"), ("test", "--filter"), ("cron", "--next"), ("repl", "KEEL_HISTORY")] {
            let help = try keel([command, "--help"])
            XCTAssertEqual(help.status, 0, command)
            XCTAssertTrue(help.out.contains(phrase) || help.out.uppercased().contains(phrase), "keel \(command) --help lacks \(phrase): \(help.out)")
        }
        let unknown = try keel(["frobnicate", "--now"])
        XCTAssertEqual(unknown.status, 2)
    }

    /// Diagnostics are coloured on a terminal, and not when NO_COLOR is set.
    func testColourOnlyOnATerminalWithoutNoColor() throws {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("keel")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path), "keel binary not built")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("colour-\(getpid()).keel")
        try "x = (\n".write(to: file, atomically: true, encoding: .utf8)
        var env = ["TERM": "xterm", "PATH": "/usr/bin:/bin"]
        let coloured = try PseudoTerminal(binary.path, ["run", file.path], environment: env)
        XCTAssertEqual(coloured.exitStatus(), 2)
        XCTAssertTrue(String(decoding: coloured.raw, as: UTF8.self).contains("\u{1B}["), coloured.text)
        env["NO_COLOR"] = "1"
        let plain = try PseudoTerminal(binary.path, ["run", file.path], environment: env)
        XCTAssertEqual(plain.exitStatus(), 2)
        XCTAssertTrue(plain.text.contains("error: expected an expression"), plain.text)
        XCTAssertFalse(String(decoding: plain.raw, as: UTF8.self).contains("\u{1B}["), plain.text)
    }

    func testCheckReportsEveryProblem() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("check-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let good = dir.appendingPathComponent("good.keel"), bad = dir.appendingPathComponent("bad.keel")
        try "use std/io\nio.show(1)\n".write(to: good, atomically: true, encoding: .utf8)
        try """
        use std/nope
        task one(a: int) { a }
        one(1, 2)
        x = self.count
        agent A {
          on message(m: str) { io.show(m) }
        }
        print(undefined_name)
        """.write(to: bad, atomically: true, encoding: .utf8)
        let ok = try keel(["check", good.path])
        XCTAssertEqual(ok.status, 0)
        XCTAssertEqual(ok.out, "✓ \(good.path) is valid\n")
        let r = try keel(["check", good.path, bad.path])
        XCTAssertEqual(r.status, 2)
        for expected in ["bad.keel:1:1: error: unknown std module `std/nope`",
                         "bad.keel:3:1: error: task `one` takes 1 argument(s), got 2",
                         "bad.keel:4:5: error: `self` is only available inside an agent",
                         "bad.keel:6:24: error: undefined name `io`",
                         "bad.keel:8:1: error: undefined name `print`"] {
            XCTAssertTrue(r.err.contains(expected), "missing: \(expected)\n\(r.err)")
        }
        // `keel run` refuses the same program.
        XCTAssertEqual(try keel(["run", bad.path]).status, 2)
    }

    func testReplCommands() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("load-\(getpid()).keel")
        try "task triple(n: int) -> int { n * 3 }\nloaded = true\n".write(to: file, atomically: true, encoding: .utf8)
        let r = try keel(["repl"], stdin: "x = 2\n:load \(file.path)\ntriple(x)\n:env\n:reset\n:env\nz = 1\n:env\n:quit\nnever = 1\n")
        XCTAssertEqual(r.out, "6\nloaded = true\ntriple = <task triple>\nx = 2\nz = 1\n", r.err)
    }
}
