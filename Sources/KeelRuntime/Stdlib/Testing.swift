/// `testing.mock(module.function)`: while a test runs, calls to that function return the queued
/// values (the last one repeats) instead of running it, and are recorded.
final class Mock: NativeStandIn {
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

/// `std/testing`: mocks for tests (`keel test` removes them after each test).
enum TestingModule {
    final class State: ModuleState {
        /// Functions with a mock installed, so the test runner can take them off.
        var mocked: [NativeFunction] = []
        init(_ interpreter: Interpreter) {}
    }

    static func members(_ interpreter: Interpreter) -> [String: Value] {
        let state = interpreter.state(State.self)
        var m = ModuleMembers("testing")
        m.fn("mock", args: 1) { call in
            let v = try call.arg(0)
            guard case .native(let target) = v else {
                throw call.typeError(0, "a std or host function such as io.ask", v)
            }
            let mock = Mock(target: target)
            target.mock = mock
            state.mocked.append(target)
            return .object(mock)
        }
        return m.values
    }

    /// Takes every mock off (after a test).
    static func removeMocks(_ interpreter: Interpreter) {
        let state = interpreter.state(State.self)
        for f in state.mocked { f.mock = nil }
        state.mocked.removeAll()
    }
}
