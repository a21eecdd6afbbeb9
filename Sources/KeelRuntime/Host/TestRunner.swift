import Foundation
import KeelSyntax

/// A `test` block, compiled.
struct TestCase {
    let name: String
    let body: FunctionProto
    /// For `test "x" for v in values`: computes the values.
    let values: FunctionProto?
}

/// `assert condition, "message"`: raises `AssertionError` when the condition is false.
final class AssertNode: Node {
    let condition: Node
    let message: Node?
    let text: String
    init(_ condition: Node, _ message: Node?, text: String, _ span: Span) {
        self.condition = condition; self.message = message; self.text = text; super.init(span)
    }
    override func eval(_ f: Frame) throws -> Value {
        if try condition.eval(f).isTruthy { return .none }
        let m = try message.map { try f.interpreter.interpolationText(try $0.eval(f)) } ?? "assertion failed: \(text)"
        throw f.error("AssertionError", m, span)
    }
}

extension Interpreter {
    /// Test names (with their parameter for parameterised tests), as `keel test --list` shows them.
    func expandTests() throws -> [(name: String, test: TestCase, argument: Value?)] {
        var out: [(String, TestCase, Value?)] = []
        for t in tests {
            guard let values = t.values else { out.append((t.name, t, nil)); continue }
            let v = try call(.function(Function(proto: values, upvalues: [], selfValue: .undefined)), [])
            let items: [Value]
            switch v {
            case .list(let l): items = l
            case .set(let s): items = Array(s)
            case .range(let lo, let hi): items = lo <= hi ? (lo...hi).map { .int($0) } : []
            default: throw KeelError(ErrorKind.type, "test \"\(t.name)\": `for` needs a list, set or range, got \(v.typeName)")
            }
            for item in items { out.append(("\(t.name) [\(item.display)]", t, item)) }
        }
        return out
    }
}

extension Runner {
    package struct TestOptions {
        package var filter: String?
        package var listOnly = false
        package var failFast = false
        package init() {}
    }

    /// Runs the `test` blocks of one file (its top-level statements do not run). Prints a line
    /// per test and returns (passed, failed), or nil if the file does not compile.
    package static func runTests(source: String, path: String, options: Interpreter.Options, testOptions: TestOptions,
                                color: Bool = false) -> (passed: Int, failed: Int)? {
        onLargeStack {
            let interpreter = Interpreter(options: options)
            interpreter.color = color
            do {
                let program = try Parser.parse(SourceFile(path: path, text: source))
                let main = FunctionProto(name: "<tests>", isLambda: false, file: program.file, span: .none)
                let resolver = Resolver(interpreter: interpreter, file: program.file, globals: interpreter.globals, main: main)
                _ = resolver.compile(program, runStatements: false)
                if !resolver.diagnostics.isEmpty { throw DiagnosticList(resolver.diagnostics) }
            } catch let list as DiagnosticList {
                for d in list.diagnostics { options.errorOutput(d.render(color: color)) }
                return nil
            } catch {
                options.errorOutput("error: \(error)")
                return nil
            }
            var passed = 0, failed = 0
            let status = interpreter.loop.run {
                var cases = try interpreter.expandTests()
                if let filter = testOptions.filter { cases = cases.filter { $0.name.contains(filter) } }
                for c in cases {
                    if testOptions.listOnly { options.output(c.name); continue }
                    let start = DispatchTime.now().uptimeNanoseconds
                    do {
                        let fn = Function(proto: c.test.body, upvalues: [], selfValue: .undefined)
                        _ = try interpreter.call(.function(fn), c.argument.map { [$0] } ?? [])
                        let ms = (DispatchTime.now().uptimeNanoseconds - start) / 1_000_000
                        options.output("PASS \(c.name) (\(ms)ms)")
                        passed += 1
                    } catch let e as KeelError {
                        options.output("FAIL \(c.name)")
                        options.errorOutput(e.render(color: color))
                        failed += 1
                    }
                    // Agents a test started, and its mocks, do not outlive it.
                    interpreter.loop.stopAllAgents()
                    TestingModule.removeMocks(interpreter)
                    if failed > 0 && testOptions.failFast { break }
                }
            }
            if status != 0 && failed == 0 { failed = 1 }
            return (passed, failed)
        }
    }
}
