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

/// The test blocks of a file, in order.
package struct TestSuite {
    let tests: [TestCase]
}

/// One test to run: a test block, with its argument for a parameterised test.
package struct PreparedTest {
    /// The name `keel test` prints (with the argument for a parameterised test).
    package let name: String
    let test: TestCase
    let argument: Value?
}

extension Interpreter {
    /// Compiles a file for `keel test`: its declarations are bound and its test blocks returned; its
    /// top-level statements never run. Throws `DiagnosticList`.
    package func compileForTests(_ file: SourceFile) throws -> TestSuite {
        TestSuite(tests: try compileUnit(try Parser.parse(file), runStatements: false).tests)
    }

    /// Runs one test (on the loop, from `runOnLoop`); a failure is the `KeelError` it raised. The
    /// agents it started and its mocks do not outlive it.
    package func run(_ test: PreparedTest) throws {
        defer {
            loop.stopAllAgents()
            TestingModule.removeMocks(self)
        }
        let fn = Function(proto: test.test.body, upvalues: [], selfValue: .undefined)
        _ = try call(.function(fn), test.argument.map { [$0] } ?? [])
    }

    /// Test names (with their parameter for parameterised tests), as `keel test --list` shows them.
    package func expandTests(_ suite: TestSuite) throws -> [PreparedTest] {
        var out: [PreparedTest] = []
        for t in suite.tests {
            guard let values = t.values else { out.append(PreparedTest(name: t.name, test: t, argument: nil)); continue }
            let v = try call(.function(Function(proto: values, upvalues: [], selfValue: .undefined)), [])
            let items: [Value]
            switch v {
            case .list(let l): items = l
            case .set(let s): items = Array(s)
            case .range(let lo, let hi): items = try Limits.rangeElements(lo, hi, "test \"\(t.name)\"")
            default: throw KeelError(ErrorKind.type, "test \"\(t.name)\": `for` needs a list, set or range, got \(v.typeName)")
            }
            for item in items { out.append(PreparedTest(name: "\(t.name) [\(item.display)]", test: t, argument: item)) }
        }
        return out
    }
}

