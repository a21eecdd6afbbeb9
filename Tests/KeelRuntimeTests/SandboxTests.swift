import Foundation
import XCTest

/// `keel run --sandbox` and `--allow-file`: what a sandboxed program cannot reach, through the
/// built binary, with real files, folders and symbolic links.
final class SandboxTests: XCTestCase {
    /// A program folder with a module inside it, a secret outside it, and a link that leads out.
    func layout() throws -> (app: URL, outside: URL) {
        let root = try temporaryFolder(self, "sandbox")
        let app = root.appendingPathComponent("app"), outside = root.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: app.appendingPathComponent("lib"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try "task area(w: int, h: int) -> int { w * h }\n".write(to: app.appendingPathComponent("lib/geometry.keel"), atomically: true, encoding: .utf8)
        try "task secret() -> str { \"the secret\" }\n".write(to: outside.appendingPathComponent("secret.keel"), atomically: true, encoding: .utf8)
        try "password=hunter2\n".write(to: outside.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(at: app.appendingPathComponent("escape"), withDestinationURL: outside)
        return (app, outside)
    }

    func run(_ program: String, in app: URL, _ flags: [String] = ["--sandbox"]) throws -> (status: Int32, out: String, err: String) {
        let file = app.appendingPathComponent("main.keel")
        try program.write(to: file, atomically: true, encoding: .utf8)
        return try keel(["run", file.path] + flags)
    }

    func testModulesInsideTheFolderLoad() throws {
        let (app, _) = try layout()
        let r = try run("use std/io\nuse \"./lib/geometry.keel\"\nio.show(geometry.area(3, 4))\n", in: app)
        XCTAssertEqual(r.status, 0, r.err)
        XCTAssertEqual(r.out, "  12\n")
    }

    func testAModuleOutsideTheFolderIsRefused() throws {
        let (app, outside) = try layout()
        for path in ["../outside/secret.keel", outside.appendingPathComponent("secret.keel").path, "./lib/../../outside/secret.keel"] {
            let r = try run("use \"\(path)\"\n", in: app)
            XCTAssertEqual(r.status, 2, path)
            XCTAssertTrue(r.err.contains("CapabilityError: module `\(path)` is outside the program's folder"), r.err)
            XCTAssertTrue(r.err.contains("--sandbox"), r.err)
            XCTAssertFalse(r.err.contains("the secret"), r.err)
        }
        // Without --sandbox the same module loads.
        let free = try run("use std/io\nuse \"../outside/secret.keel\"\nio.show(secret.secret())\n", in: app, [])
        XCTAssertEqual(free.out, "  the secret\n", free.err)
    }

    func testASymbolicLinkCannotLeadOut() throws {
        let (app, _) = try layout()
        let r = try run("use \"./escape/secret.keel\"\n", in: app)
        XCTAssertEqual(r.status, 2)
        XCTAssertTrue(r.err.contains("is outside the program's folder"), r.err)
    }

    func testAFileThatIsNotKeelSourceIsNeverQuoted() throws {
        let (app, outside) = try layout()
        for flags in [["--sandbox"], []] {
            let r = try run("use \"\(outside.appendingPathComponent("notes.txt").path)\" as n\n", in: app, flags)
            XCTAssertEqual(r.status, 2)
            XCTAssertTrue(r.err.contains("a module is a .keel file"), r.err)
            XCTAssertFalse(r.err.contains("hunter2"), r.err)
        }
        let environ = try run("use \"/proc/self/environ\"\n", in: app, [])
        XCTAssertEqual(environ.status, 2)
        XCTAssertFalse(environ.err.contains("PATH="), environ.err)
    }

    func testEffectfulModulesAndInputAreRefused() throws {
        let (app, _) = try layout()
        for (module, flag) in [("file", "--allow-file DIR"), ("env", "run without --sandbox")] {
            let r = try run("use std/\(module)\n", in: app)
            XCTAssertEqual(r.status, 2)
            XCTAssertTrue(r.err.contains("CapabilityError: std/\(module) is refused by --sandbox"), r.err)
            XCTAssertTrue(r.err.contains(flag), r.err)
        }
        let program = """
        use std/io
        agent Asker {
          @tools all
          @on_start {
            try { io.ask("name?") } catch e: CapabilityError { io.show(e.message) }
            stop(self)
          }
        }
        run(Asker)
        """
        let r = try run(program, in: app)
        XCTAssertEqual(r.out, "  io.ask: standard input is refused by --sandbox (run without --sandbox to read it)\n", r.err)
    }

    func testAllowFileConfinesStdFile() throws {
        let (app, outside) = try layout()
        let data = app.appendingPathComponent("data")
        try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
        let program = """
        use std/io
        use std/file
        file.write("\(data.path)/out.txt", "kept")
        io.show(file.read("\(data.path)/out.txt"))
        for path in ["\(outside.path)/notes.txt", "\(data.path)/../../outside/notes.txt", "\(app.path)/escape/notes.txt"] {
          try { file.read(path) } catch e: CapabilityError { io.show(e.message) }
        }
        """
        let r = try run(program, in: app, ["--sandbox", "--allow-file", data.path])
        XCTAssertEqual(r.status, 0, r.err)
        let lines = r.out.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "  kept")
        XCTAssertEqual(lines.count, 4, r.out)
        for line in lines.dropFirst() {
            XCTAssertTrue(line.contains("is outside the folders --allow-file allows (\(data.path))"), line)
        }
        XCTAssertFalse(r.out.contains("hunter2"))
        let bad = try run("x = 1\n", in: app, ["--allow-file", data.path])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.err.contains("--allow-file needs --sandbox"), bad.err)
        let missing = try run("x = 1\n", in: app, ["--sandbox", "--allow-file", app.appendingPathComponent("nope").path])
        XCTAssertTrue(missing.err.contains("--allow-file: expected an existing folder"), missing.err)
    }
}
