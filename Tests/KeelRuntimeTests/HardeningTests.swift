import Foundation
import GRDB
import XCTest

/// Regression tests for issue 29's findings that need a real process, files or signals (the
/// others are golden programs under `Tests/golden/`, named in the issue's closing note).
final class HardeningTests: XCTestCase {
    func write(_ program: String, in dir: URL, _ name: String = "main.keel") throws -> String {
        let file = dir.appendingPathComponent(name)
        try program.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    /// `schedule.sleep(106751.days)` on the real clock: the loop waits at most an hour at a time
    /// (a deadline centuries away trapped in the condition variable); Ctrl-C still ends it.
    func testASleepOfCenturiesOnTheRealClockWaitsAndStops() throws {
        let dir = try temporaryFolder(self, "sleep")
        let file = try write("use std/schedule\nagent S {\n  @on_start { schedule.sleep(106751.days) }\n}\nrun(S)\n", in: dir)
        let process = try startKeel(["run", file])
        usleep(400_000)
        XCTAssertTrue(process.isRunning)
        process.interrupt()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationReason, .exit)
        XCTAssertEqual(process.terminationStatus, 130)
    }

    /// `file.read` and `shell.run` keep to the string size limit (they bypassed it), and a file
    /// that never ends (`/dev/zero`) is read only that far.
    func testFileReadAndShellOutputKeepToTheStringLimit() throws {
        let dir = try temporaryFolder(self, "limits")
        let file = try write("""
            use std/io
            use std/file
            use std/shell
            agent A {
              @tools [io, file, shell]
              @on_start {
                try { file.read("/dev/zero") } catch e: ResourceError { io.show(e.message) }
                try { shell.run("head -c 100000001 /dev/zero") } catch e: ResourceError { io.show(e.message) }
                io.show(shell.run("printf abc").stdout)
                stop(self)
              }
            }
            run(A)
            """, in: dir)
        let r = try keel(["run", file])
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, """
              file.read: /dev/zero holds more than 100,000,000 bytes (the string size limit)
              shell.run: the command's output is more than 100,000,000 bytes (the string size limit)
              abc

            """)
    }

    /// `file.glob` with `**` does not follow a symbolic link to a folder (a link loop ran for ever)
    /// and, with `--allow-file`, walks only into allowed folders.
    func testGlobDoesNotFollowLinkLoopsAndStaysInAllowedFolders() throws {
        let dir = try temporaryFolder(self, "glob")
        let fm = FileManager.default
        try fm.createDirectory(at: dir.appendingPathComponent("data/a/b"), withIntermediateDirectories: true)
        try "x".write(to: dir.appendingPathComponent("data/a/b/one.txt"), atomically: true, encoding: .utf8)
        try "x".write(to: dir.appendingPathComponent("data/two.txt"), atomically: true, encoding: .utf8)
        try fm.createSymbolicLink(atPath: dir.appendingPathComponent("data/a/loop").path, withDestinationPath: dir.appendingPathComponent("data").path)
        try fm.createDirectory(at: dir.appendingPathComponent("secret"), withIntermediateDirectories: true)
        try "x".write(to: dir.appendingPathComponent("secret/key.txt"), atomically: true, encoding: .utf8)
        let file = try write("""
            use std/io
            use std/file
            agent A {
              @tools [io, file]
              @on_start {
                io.show(file.glob("\(dir.path)/data/**/*.txt").map(p => p.slice(\(dir.path.count + 1))))
                io.show(file.glob("\(dir.path)/**/*.txt").count())
                stop(self)
              }
            }
            run(A)
            """, in: dir)
        let open = try keel(["run", file])
        XCTAssertEqual(open.status, 0, open.err)
        XCTAssertEqual(open.out, "  1. data/a/b/one.txt\n  2. data/two.txt\n  3\n")
        let boxed = try keel(["run", "--sandbox", "--allow-file", dir.appendingPathComponent("data").path, file])
        XCTAssertEqual(boxed.status, 0, boxed.err)
        XCTAssertEqual(boxed.out, "  1. data/a/b/one.txt\n  2. data/two.txt\n  2\n", "secret/ is not walked")
    }

    /// A file that is not Keel source is never quoted: a `.keel` link to a secret, the secret named
    /// directly, `:load` of it in the REPL and `use` of a `.keel` link to it are refused in one line
    /// (the link was read and quoted in 75 lines of diagnostics). A script starting with `#!`
    /// needs no extension.
    func testAFileThatIsNotKeelIsNeverQuoted() throws {
        let dir = try temporaryFolder(self, "notkeel")
        let secret = dir.appendingPathComponent("passwd")
        try "root:x:0:0:SECRET-LINE:/root:/bin/bash\nadmin:SECRET-TWO\n".write(to: secret, atomically: true, encoding: .utf8)
        let link = dir.appendingPathComponent("evil.keel").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: secret.path)
        for args in [["run", link], ["run", secret.path], ["check", link], ["test", link]] {
            let r = try keel(args)
            XCTAssertNotEqual(r.status, 0, "\(args)")
            XCTAssertFalse((r.out + r.err).contains("SECRET"), "\(args): \(r.out)\(r.err)")
            XCTAssertTrue(r.err.contains("is not Keel source"), "\(args): \(r.err)")
        }
        let repl = try keel(["repl"], stdin: ":load \(link)\n1 + 1\n:quit\n")
        XCTAssertFalse((repl.out + repl.err).contains("SECRET"), repl.out + repl.err)
        XCTAssertTrue(repl.err.contains("is not Keel source"), repl.err)
        XCTAssertTrue(repl.out.contains("2"), repl.out)
        let importer = try write("use \"./evil.keel\"\n", in: dir)
        let imported = try keel(["run", importer])
        XCTAssertNotEqual(imported.status, 0)
        XCTAssertFalse((imported.out + imported.err).contains("SECRET"), imported.err)
        XCTAssertTrue(imported.err.contains("not a .keel file"), imported.err)
        let script = dir.appendingPathComponent("tool")
        try "#!/usr/bin/env keel run\nuse std/io\nio.show(6 * 7)\n".write(to: script, atomically: true, encoding: .utf8)
        let ran = try keel(["run", script.path])
        XCTAssertEqual(ran.status, 0, ran.err)
        XCTAssertEqual(ran.out, "  42\n")
    }

    /// A test name cannot forge `keel test`'s lines: control characters in it are written escaped.
    func testTestNamesWithNewlinesCannotForgeLines() throws {
        let dir = try temporaryFolder(self, "forge")
        let file = try write("test \"ok\\nPASS forged (0ms)\\n10 passed, 0 failed\" {\n  assert 1 == 2\n}\n", in: dir)
        let r = try keel(["test", file])
        XCTAssertEqual(r.status, 1)
        XCTAssertEqual(r.out, "FAIL ok\\nPASS forged (0ms)\\n10 passed, 0 failed\n0 passed, 1 failed\n", r.out)
        XCTAssertFalse(r.err.contains("\nPASS forged"), r.err)
    }

    /// Bare `keel` with input piped in runs it, as `python3 -` does (it was a usage error).
    func testBareKeelRunsWhatIsPiped() throws {
        let r = try keel([], stdin: "use std/io\nio.show(6 * 7)\n")
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "  42\n")
    }

    /// One table of error kinds: every kind the runtime raises can be named in a `catch` (issue 29:
    /// `catch e: StoreError` did not compile, although the runtime raised it).
    func testEveryErrorKindRaisedCanBeCaught() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Sources").standardized
        var raised = Set<String>()
        let pattern = try NSRegularExpression(pattern: #"(?:KeelError\(|kind: )"([A-Z][A-Za-z]+)""#)
        for case let url as URL in FileManager.default.enumerator(at: sources, includingPropertiesForKeys: nil)! where url.pathExtension == "swift" {
            let text = try String(contentsOf: url, encoding: .utf8)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                raised.insert(String(text[Range(m.range(at: 1), in: text)!]))
            }
        }
        XCTAssertGreaterThan(raised.count, 10)
        let program = raised.sorted().map { "try { raise \"x\" } catch e: \($0) { }" }.joined(separator: "\n") + "\n"
        let dir = try temporaryFolder(self, "kinds")
        let r = try keel(["check", try write(program, in: dir)])
        XCTAssertEqual(r.status, 0, "kinds raised but not catchable: \(r.err)")
    }

    /// A damaged or tampered store is an error that names what is wrong, never a crash (issue 29:
    /// GRDB's trap on a BLOB where text belongs, in `keel run`, `keel state` and `keel schedules`);
    /// a stored schedule that cannot be read fails `run(A)` with exit 1 (it skipped `@on_start`
    /// silently); a schedule anchored in 1677 is caught up (the distance overflowed: a crash loop).
    func testADamagedStoreIsAnErrorNotACrash() throws {
        let dir = try temporaryFolder(self, "tamper")
        let file = try write("""
            use std/io
            use std/schedule
            agent A {
              @durable
              @tools [io]
              state { n: int = 0 }
              task tick() { self.n += 1 }
              @on_start {
                io.show("start n={self.n}")
                schedule.every(1.hour, self.tick, name: "tick")
              }
            }
            run(A)
            """, in: dir)
        let base = dir.appendingPathComponent("base.db").path
        XCTAssertEqual(try keel(["run", "--virtual-time", "--start", "2026-01-01T00:00:00Z", "--until", "2.hours", "--store", base, file]).status, 0)
        func damaged(_ sql: String) throws -> String {
            let db = dir.appendingPathComponent("s-\(UUID().uuidString.prefix(6)).db").path
            try FileManager.default.copyItem(atPath: base, toPath: db)
            try DatabaseQueue(path: db).write { try $0.execute(sql: sql) }
            return db
        }
        let blob = try damaged("UPDATE state SET value = x'00ff' WHERE field = 'n'")
        for args in [["run", "--virtual-time", "--until", "1.hour", "--store", blob, file], ["state", "--store", blob]] {
            let r = try keel(args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.err)")
            XCTAssertTrue(r.err.contains("the store is damaged: column `value` holds a value of the wrong kind"), r.err)
        }
        let garbage = try damaged("UPDATE schedules SET timing = 'garbage'")
        let g = try keel(["run", "--virtual-time", "--until", "1.hour", "--store", garbage, file])
        XCTAssertEqual(g.status, 1, g.err)
        XCTAssertTrue(g.err.contains("StoreError: cannot read the durable schedule A.tick from the store"), g.err)
        XCTAssertEqual(g.out, "", "@on_start does not run without its schedules")
        let old = try damaged(#"UPDATE schedules SET timing = '{"every":3600000000000,"anchor":-9223372036854000000}', last_due = NULL"#)
        for _ in 0..<2 {   // and again, as a restart after it
            let r = try keel(["run", "--virtual-time", "--until", "1.hour", "--store", old, file])
            XCTAssertEqual(r.status, 0, r.err)
        }
        XCTAssertEqual(try keel(["schedules", "--store", old]).status, 0)
        // One flipped byte in the schema.
        let flipped = dir.appendingPathComponent("flipped.db").path
        try FileManager.default.copyItem(atPath: base, toPath: flipped)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: flipped))
        let at = try XCTUnwrap(bytes.firstRange(of: Data("CREATE TABLE state".utf8))).lowerBound
        bytes[at + 7] = UInt8(ascii: "X")
        try bytes.write(to: URL(fileURLWithPath: flipped))
        for args in [["run", "--store", flipped, file], ["state", "--store", flipped], ["schedules", "--store", flipped]] {
            let r = try keel(args)
            XCTAssertEqual(r.status, 1, "\(args): \(r.err)")
            XCTAssertTrue(r.err.contains("malformed database schema"), r.err)
        }
    }
}
