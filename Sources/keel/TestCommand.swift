import ArgumentParser
import Foundation
import KeelCLI
import KeelRuntime

struct Test: ParsableCommand {
    /// Keel's summary: `3 tests passed in 12ms`, `1 test passed, 2 tests failed in 5ms` followed by
    /// the failed tests, or `0 tests found`.
    static func summary(passed: Int, failed: Int, failures: [String], ms: UInt64) -> String {
        func tests(_ n: Int) -> String { n == 1 ? "1 test" : "\(n) tests" }
        if passed + failed == 0 { return "0 tests found\n" }
        if failed == 0 { return "\(tests(passed)) passed in \(ms)ms\n" }
        var text = "\(tests(passed)) passed, \(tests(failed)) failed in \(ms)ms\nfailed:\n"
        for name in failures { text += "  \(name)\n" }
        return text
    }

    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run the `test` blocks of .keel files (a file, or every .keel file under a folder).",
        discussion: """
        Prints PASS or FAIL per test on standard output; on standard error, Keel's summary (`3 tests \
        passed in 12ms`, or how many failed and which; `0 tests found` when there are none); then a \
        last line `N passed, M failed` on standard output for tools. Only the tests of the files \
        named (or found in the folder) run, not those of modules they import. Exits 1 if any test \
        failed, 2 if a file does not compile.
        """)

    @ArgumentParser.Argument(help: "A .keel file or a folder.")
    var path: String

    @Option(help: "Run only tests whose name contains this text.")
    var filter: String?

    @Flag(help: "List the tests instead of running them.")
    var list = false

    @OptionGroup(title: "Run options (--fail-fast also stops at the first failing test)") var runOptions: RunOptions

    func run() throws {
        var files: [String] = []
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            throw ValidationError("no such file or folder: \(path)")
        }
        if isDir.boolValue {
            let e = FileManager.default.enumerator(atPath: path)
            while let f = e?.nextObject() as? String {
                if f.hasSuffix(".keel") { files.append((path as NSString).appendingPathComponent(f)) }
            }
            files.sort()
        } else {
            files = [path]
        }
        var options = Runner.TestOptions()
        options.filter = filter
        options.listOnly = list
        options.failFast = runOptions.failFast
        var passed = 0, failed = 0, broken = 0
        var failures: [String] = []
        let started = DispatchTime.now().uptimeNanoseconds
        for file in files {
            if files.count > 1 { print("\(file):") }
            // Options per file: each file runs on a clock of its own.
            let interpreterOptions = try runOptions.interpreterOptions(environment: ProcessInfo.processInfo.environment, program: file)
            guard let result = Runner.runTests(path: file, options: interpreterOptions,
                                                testOptions: options, color: Runner.useColor()) else {
                broken += 1
                continue
            }
            passed += result.passed
            failed += result.failed
            failures += result.failures.map { files.count > 1 ? "\(file): \($0)" : $0 }
            if runOptions.failFast && failed > 0 { break }
        }
        if !list {
            let ms = (DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
            FileHandle.standardError.write(Test.summary(passed: passed, failed: failed, failures: failures, ms: ms).data(using: .utf8)!)
            print("\(passed) passed, \(failed) failed")
        }
        if broken > 0 { throw ExitCode(2) }
        if failed > 0 { throw ExitCode(1) }
    }
}
