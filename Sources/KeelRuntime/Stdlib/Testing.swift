/// `testing.mock(module.function)`: while a test runs, calls to that function return the queued
/// values (the last one repeats) instead of running it, and are recorded.
final class Mock: HostObject {
    let target: NativeFunction
    var returns: [Value] = []
    var calls: [[Value]] = []
    init(target: NativeFunction) { self.target = target }

    var typeName: String { "Mock" }
    var fieldNames: [String] { ["called", "call_count"] }
    func field(_ name: String) -> Value? {
        switch name {
        case "called": return .bool(!calls.isEmpty)
        case "call_count": return .int(calls.count)
        default: return nil
        }
    }
    func method(_ name: String, _ args: [Value], _ interpreter: Interpreter) throws -> Value? {
        switch name {
        case "returns":
            guard let v = args.first else { throw KeelError(ErrorKind.call, "Mock.returns: missing value") }
            returns.append(v)
            return .object(self)
        case "called_with": return .bool(calls.contains(args))
        default: return nil
        }
    }

    /// The value a mocked call gives.
    func answer(_ args: [Value]) -> Value {
        calls.append(args)
        if returns.count > 1 { return returns.removeFirst() }
        return returns.first ?? .none
    }
}

extension Interpreter {
    func testingModule() -> ModuleValue {
        ModuleValue(name: "testing", members: [
            "mock": .native(NativeFunction("mock", module: "testing") { call in
                let v = try call.arg(0)
                guard case .native(let target) = v else {
                    throw call.typeError(0, "a std or host function such as io.ask", v)
                }
                let mock = Mock(target: target)
                call.interpreter.mocks[ObjectIdentifier(target)] = mock
                return .object(mock)
            }),
        ])
    }
}
