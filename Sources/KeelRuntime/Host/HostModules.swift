/// Functions and modules written by the program that embeds the interpreter.
extension Interpreter {
    /// A host function: reads its arguments from the call and returns a Keel value. Throwing
    /// `KeelError` raises that error at the Keel call site; any other Swift error becomes a
    /// `HostError` with its description.
    package typealias HostFunction = (inout NativeCall) throws -> Value

    /// Registers `use host/<name>`: a module of host functions. Registering a name again replaces
    /// it for programs compiled afterwards. `effectful` modules are gated by agents' `@tools`
    /// (an agent must list `name`).
    package func registerModule(_ name: String, effectful: Bool = false, functions: [String: HostFunction]) {
        var members: [String: Value] = [:]
        for (fname, body) in functions {
            members[fname] = .native(NativeFunction(fname, module: name, args: nil, labels: nil, Interpreter.hostErrors(body)))
        }
        hostModules[name] = ModuleValue(name: name, members: members, effectful: effectful)
    }

    /// Registers a global function, callable from Keel by `name` without any `use`.
    package func registerFunction(_ name: String, _ body: @escaping HostFunction) {
        define(name, args: nil, labels: nil, Interpreter.hostErrors(body))
    }

    /// A host function whose Swift errors become `HostError`s naming it.
    private static func hostErrors(_ body: @escaping HostFunction) -> HostFunction {
        { call in
            do { return try body(&call) } catch let e as KeelError { throw e } catch let e as ShutdownSignal { throw e } catch {
                throw KeelError("HostError", "\(call.name): \(error)")
            }
        }
    }
}
