import Foundation
import KeelCLI
import KeelRuntime
import XCTest

/// Runs every program under `Tests/golden/` and `examples/` and compares what it prints.
///
/// A golden program states its expectations in comments:
///   `# expect: text`          the next line of standard output
///   `# expect error: text`    standard error contains this text
///   `# expect exit: N`        the exit status (default 0)
/// An example `examples/NAME.keel` is compared with `examples/NAME.expected` (exact stdout).
/// Adding a case needs no Swift code.
final class GoldenTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    struct Outcome { var stdout: [String]; var stderr: String; var status: Int32 }

    /// Runs a program in-process. `# run: FLAGS` and `# env: NAME=VALUE` lines in it set what
    /// `keel run FLAGS` and the environment would.
    static func run(_ path: String) -> Outcome {
        let source = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        final class Sink: @unchecked Sendable { var out: [String] = []; var err: [String] = [] }
        let sink = Sink()
        var base = Interpreter.Options()
        base.output = { sink.out.append($0) }
        base.errorOutput = { sink.err.append($0) }
        var words: [String] = []
        var env: [String: String] = [:]
        final class Input: @unchecked Sendable {
            let lock = NSLock()
            var lines: [String] = []
            func next() -> String? { lock.lock(); defer { lock.unlock() }; return lines.isEmpty ? nil : lines.removeFirst() }
        }
        let input = Input()
        base.readLine = { input.next() }
        for line in source.split(separator: "\n") {
            if let r = line.range(of: "# run: ") { words += line[r.upperBound...].split(separator: " ").map(String.init) }
            if let r = line.range(of: "# stdin: ") { input.lines.append(String(line[r.upperBound...])) }
            if let r = line.range(of: "# env: ") {
                let kv = line[r.upperBound...].split(separator: "=", maxSplits: 1).map(String.init)
                env[kv[0]] = kv.count > 1 ? kv[1] : ""
            }
        }
        let options: Interpreter.Options
        do {
            options = try RunOptions.parse(words, environment: env, program: path, base: base)
        } catch {
            return Outcome(stdout: [], stderr: "error: \(error)", status: 2)
        }
        let status = Runner.run(source: source, path: path, options: options)
        return Outcome(stdout: sink.out.joined(separator: "\n").split(separator: "\n", omittingEmptySubsequences: false).map(String.init),
                       stderr: sink.err.joined(separator: "\n"), status: status)
    }

    static func files(in dir: URL, ext: String) -> [URL] {
        guard let e = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        return e.compactMap { $0 as? URL }.filter { $0.pathExtension == ext && !$0.path.contains("/lib/") }
            .sorted { $0.path < $1.path }
    }

    func testGoldenPrograms() throws {
        let cases = Self.files(in: Self.root.appendingPathComponent("Tests/golden"), ext: "keel")
        XCTAssertGreaterThan(cases.count, 40, "golden programs not found")
        for file in cases {
            let text = try String(contentsOf: file, encoding: .utf8)
            var expectedOut: [String] = []
            var expectedErrors: [String] = []
            var expectedStatus: Int32 = 0
            for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
                guard let r = line.range(of: "# expect") else { continue }
                let rest = line[r.upperBound...]
                if rest.hasPrefix(": ") { expectedOut.append(String(rest.dropFirst(2))) }
                else if rest.hasPrefix(":") { expectedOut.append("") }
                else if rest.hasPrefix(" error: ") { expectedErrors.append(String(rest.dropFirst(8))) }
                else if rest.hasPrefix(" exit: ") { expectedStatus = Int32(rest.dropFirst(7)) ?? -1 }
            }
            let outcome = Self.run(file.path)
            let name = file.path.replacingOccurrences(of: Self.root.path + "/", with: "")
            var actual = outcome.stdout
            if actual.last == "" { actual.removeLast() }
            XCTAssertEqual(actual, expectedOut, "\(name): stdout differs\nstderr: \(outcome.stderr)")
            XCTAssertEqual(outcome.status, expectedStatus, "\(name): exit status\nstderr: \(outcome.stderr)")
            for e in expectedErrors {
                XCTAssertTrue(outcome.stderr.contains(e), "\(name): stderr lacks \"\(e)\"\nstderr: \(outcome.stderr)")
            }
        }
    }

    func testExamples() throws {
        // examples/embedding holds a host program's script; CommandTests checks that program.
        let cases = Self.files(in: Self.root.appendingPathComponent("examples"), ext: "keel")
            .filter { !$0.path.contains("/embedding/") }
        XCTAssertGreaterThan(cases.count, 5, "examples not found")
        for file in cases {
            let expectedURL = file.deletingPathExtension().appendingPathExtension("expected")
            guard let expected = try? String(contentsOf: expectedURL, encoding: .utf8) else {
                XCTFail("\(file.lastPathComponent) has no .expected file"); continue
            }
            let outcome = Self.run(file.path)
            var actual = outcome.stdout.joined(separator: "\n")
            if !actual.hasSuffix("\n") && !actual.isEmpty { actual += "\n" }
            XCTAssertEqual(actual, expected, "\(file.lastPathComponent): output differs\nstderr: \(outcome.stderr)")
            XCTAssertEqual(outcome.status, 0, "\(file.lastPathComponent): \(outcome.stderr)")
        }
    }
}
