import Foundation
import XCTest

/// The REPL on a real (pseudo-)terminal: line editing through libedit, history across runs,
/// multi-line input, completion, Ctrl-C, and agents printing while a line is being typed.
final class ReplTests: XCTestCase {
    var historyFile = ""

    override func setUp() {
        historyFile = NSTemporaryDirectory() + "keel-history-\(UUID().uuidString)"
    }

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: historyFile)
    }

    /// libedit draws the prompt a moment before it puts the terminal in raw mode; a control key
    /// typed in that instant would be taken by the kernel's line discipline (a person cannot type
    /// that fast). So before a control key, give the editor a moment.
    func settle() { usleep(100_000) }

    func startRepl() throws -> PseudoTerminal {
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("keel")
        try XCTSkipUnless(FileManager.default.isExecutableFile(atPath: binary.path), "keel binary not built")
        let env = ["TERM": "xterm", "NO_COLOR": "1", "HOME": NSTemporaryDirectory(), "KEEL_HISTORY": historyFile,
                   "PATH": "/usr/bin:/bin"]
        let repl = try PseudoTerminal(binary.path, ["repl"], environment: env)
        XCTAssertTrue(repl.waitFor("keel> "), "no prompt: \(repl.text)")
        return repl
    }

    /// Types a line and waits for the next prompt after it.
    func enter(_ repl: PseudoTerminal, _ line: String, expect: String? = nil) {
        let mark = repl.text.endIndex
        repl.type(line + "\r")
        if let expect { XCTAssertTrue(repl.waitFor(expect, after: mark), "expected \(expect) after \(line): \(repl.text)") }
        XCTAssertTrue(repl.waitFor("keel> ", after: mark), "no prompt after \(line): \(repl.text)")
    }

    /// Ctrl-D on an empty line leaves with status 0.
    func quit(_ repl: PseudoTerminal) {
        settle()
        repl.type("\u{04}")
        XCTAssertEqual(repl.exitStatus(), 0, repl.text)
    }

    func testHistoryIsRecalledInTheNextRun() throws {
        let first = try startRepl()
        enter(first, "6 * 7", expect: "42")
        enter(first, "marker = 1")
        quit(first)
        let saved = try String(contentsOfFile: historyFile, encoding: .utf8)
        XCTAssertTrue(saved.contains("marker"), saved)

        let second = try startRepl()
        settle()
        let mark = second.text.endIndex
        second.type("\u{1B}[A\u{1B}[A\r")   // Up twice: `6 * 7`, typed in the first run only
        XCTAssertTrue(second.waitFor("42", after: mark), second.text)
        quit(second)
    }

    func testMultiLineTaskDefinition() throws {
        let repl = try startRepl()
        repl.type("task add(a: int, b: int) -> int {\r")
        XCTAssertTrue(repl.waitFor("  ... "), repl.text)
        repl.type("  a + b\r")
        repl.type("}\r")
        enter(repl, "add(40, 2)", expect: "42")
        repl.type(":quit\r")
        XCTAssertEqual(repl.exitStatus(), 0, repl.text)
    }

    func testNonASCIIInputSurvivesTheLineEditor() throws {
        let repl = try startRepl()
        enter(repl, "word = \"café ☕\"")
        enter(repl, "word.count()", expect: "6")
        enter(repl, "word", expect: "café ☕")
        quit(repl)
    }

    func testTabCompletesNamesAndModuleMembers() throws {
        let repl = try startRepl()
        enter(repl, "velocity = 12")
        // `velo` + Tab completes the binding; `math.sq` + Tab completes the member.
        let mark = repl.text.endIndex
        repl.type("velo\t")
        XCTAssertTrue(repl.waitFor("velocity", after: mark), repl.text)
        repl.type(" + math.sq\t")
        XCTAssertTrue(repl.waitFor("math.sqrt", after: mark), repl.text)
        enter(repl, "(16.0)", expect: "16")   // velocity + math.sqrt(16.0) = 16
        // REPL commands complete too.
        let mark2 = repl.text.endIndex
        repl.type(":ag\t")
        XCTAssertTrue(repl.waitFor(":agents", after: mark2), repl.text)
        enter(repl, "", expect: "no live agents")
        // `:load` completes file paths.
        let folder = NSTemporaryDirectory() + "keel-load-\(getpid())/"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try "loaded_value = 99\n".write(toFile: folder + "settings_file.keel", atomically: true, encoding: .utf8)
        let mark3 = repl.text.endIndex
        repl.type(":load \(folder)sett\t")
        XCTAssertTrue(repl.waitFor("settings_file.keel", after: mark3), repl.text)
        enter(repl, "")
        enter(repl, "loaded_value", expect: "99")
        quit(repl)
    }

    func testSelfFieldsCompleteInsideAnAgentBeingTyped() throws {
        let repl = try startRepl()
        repl.type("agent Counter {\r  state { total_count: int = 0 }\r  on message(m: int) {\r")
        XCTAssertTrue(repl.waitFor("  ... "), repl.text)
        let mark = repl.text.endIndex
        repl.type("    self.tot\t")
        XCTAssertTrue(repl.waitFor("self.total_count", after: mark), repl.text)
        repl.type(" += m\r  }\r}\r")
        enter(repl, "typeof(Counter)", expect: "agent")
        quit(repl)
    }

    func testCtrlCInterruptsAnEndlessLoopAndKeepsTheSession() throws {
        let repl = try startRepl()
        enter(repl, "kept = 5")
        let mark = repl.text.endIndex
        repl.type("while true { kept = kept }\r")
        usleep(300_000)
        repl.type("\u{03}")
        XCTAssertTrue(repl.waitFor("Interrupted", after: mark), repl.text)
        XCTAssertTrue(repl.waitFor("keel> ", after: mark), repl.text)
        enter(repl, "kept * 2", expect: "10")
        // Ctrl-C while typing drops the line.
        let mark2 = repl.text.endIndex
        repl.type("undefined_thing")
        XCTAssertTrue(repl.waitFor("undefined_thing", after: mark2))
        settle()
        repl.type("\u{03}")
        XCTAssertTrue(repl.waitFor("keel> ", after: mark2), repl.text)
        enter(repl, "kept + 1", expect: "6")
        XCTAssertFalse(repl.text[mark2...].contains("undefined name"), repl.text)
        quit(repl)
    }

    func testTickingAgentPrintsAboveTheLineBeingTyped() throws {
        let repl = try startRepl()
        repl.type("""
        agent Ticker {\r  @tools [io]\r  state { n: int = 0 }\r  @on_start {\r    schedule.every(150.ms, () => {\r\
              self.n += 1\r      io.show("tick {self.n}")\r    })\r  }\r}\r
        """)
        enter(repl, "run(Ticker)", expect: "tick 1")
        // Type half a line and leave it while the agent ticks.
        let mark = repl.text.endIndex
        repl.type("typed = 4")
        XCTAssertTrue(repl.waitFor("tick 4", after: mark), repl.text)
        // The half-typed line is drawn again after the ticks, and finishing it works.
        let afterTicks = repl.text.endIndex
        XCTAssertTrue(repl.waitFor("keel> typed = 4", after: mark), repl.text)
        repl.type("2\r")
        enter(repl, "typed + 0", expect: "42")
        XCTAssertTrue(repl.text[afterTicks...].contains("42"))
        let agents = repl.text.endIndex
        enter(repl, ":agents", expect: "every 0.15 seconds")
        XCTAssertTrue(repl.text[agents...].contains("Ticker"), repl.text)
        quit(repl)
    }
}
