import ArgumentParser
import Foundation
import KeelCLI
import KeelRuntime

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the `test` blocks of .keel files (a file, or every .keel file under a folder).",
        discussion: "Prints PASS or FAIL per test and a summary line `N passed, M failed`; exits 1 if any test failed.")

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
            if runOptions.failFast && failed > 0 { break }
        }
        if !list { print("\(passed) passed, \(failed) failed") }
        if broken > 0 { throw ExitCode(2) }
        if failed > 0 { throw ExitCode(1) }
    }
}
