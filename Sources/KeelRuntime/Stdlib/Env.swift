/// `std/env` (effectful): the environment the interpreter was given.
enum EnvModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        let environment = interpreter.options.environment
        var m = ModuleMembers("env")
        m.fn("get", args: 1) { call in environment[try call.string(0)].map { .str($0) } ?? .none }
        m.fn("require", args: 1) { call in
            let name = try call.string(0)
            guard let v = environment[name] else { throw KeelError("EnvError", "environment variable \(name) is not set") }
            return .str(v)
        }
        return m.values
    }
}
