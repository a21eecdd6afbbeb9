import Foundation
import KeelRuntime
import KeelSyntax

extension Runner {
    package struct TestOptions {
        package var filter: String?
        package var listOnly = false
        package var failFast = false
        package init() {}
    }

    /// Runs the `test` blocks of one file (not those of modules it imports; its top-level
    /// statements do not run). Prints a line per test and returns the counts and the names of the
    /// tests that failed, or nil if the file does not compile.
    package static func runTests(path: String, options: Interpreter.Options, testOptions: TestOptions,
                                color: Bool = false) -> (passed: Int, failed: Int, failures: [String])? {
        let file: SourceFile
        do { file = try SourceFile.read(path: path) } catch let list as DiagnosticList {
            for d in list.diagnostics { options.errorOutput(d.render(color: color)) }
            return nil
        } catch {
            options.errorOutput("\(error)")
            return nil
        }
        return onLargeStack {
            let interpreter = Interpreter(options: options)
            interpreter.color = color
            let suite: TestSuite
            do {
                suite = try interpreter.compileForTests(file)
            } catch let list as DiagnosticList {
                for d in list.diagnostics { options.errorOutput(d.render(color: color)) }
                return nil
            } catch {
                options.errorOutput("error: \(error)")
                return nil
            }
            var passed = 0, failed = 0
            var failures: [String] = []
            let status = interpreter.runOnLoop {
                var cases = try interpreter.expandTests(suite)
                if let filter = testOptions.filter { cases = cases.filter { $0.name.contains(filter) } }
                for c in cases {
                    // A name is one line of output: a newline or another control character in it
                    // is written escaped (it could forge a PASS line or the summary).
                    let name = Runner.printable(c.name)
                    if testOptions.listOnly { options.output(name); continue }
                    let start = DispatchTime.now().uptimeNanoseconds
                    do {
                        try interpreter.run(c)
                        let ms = (DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
                        options.output("PASS \(name) (\(ms)ms)")
                        passed += 1
                    } catch let e as KeelError {
                        options.output("FAIL \(name)")
                        options.errorOutput(e.render(color: color))
                        failed += 1
                        failures.append(name)
                    }
                    if failed > 0 && testOptions.failFast { break }
                }
            }
            if status != 0 && failed == 0 {
                failed = 1
                failures.append("(the test run itself: exit status \(status))")
            }
            return (passed, failed, failures)
        }
    }

    /// `name` with control characters written as escapes (`\n`, `\r`, `\t`, `\u{1B}`).
    package static func printable(_ name: String) -> String {
        var out = ""
        for scalar in name.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            default:
                if scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format {
                    out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
