/// Functions and modules written by the program that embeds the interpreter.
extension Interpreter {
    /// A host function: receives the call's arguments (positional, and labelled ones in `named`)
    /// and returns a Keel value. Throwing `KeelError` raises that error at the Keel call site;
    /// any other Swift error becomes a `HostError` with its description.
    public typealias HostFunction = (_ arguments: [Value], _ named: [String: Value]) throws -> Value

    /// Registers `use host/<name>`: a module of host functions. Registering a name again replaces
    /// it for programs compiled afterwards. `effectful` modules are gated by agents' `@tools`
    /// (an agent must list `name`).
    public func registerModule(_ name: String, effectful: Bool = false, functions: [String: HostFunction]) {
        var members: [String: Value] = [:]
        for (fname, body) in functions {
            members[fname] = .native(NativeFunction(fname, module: name) { call in
                do {
                    return try body(call.args, call.named)
                } catch let e as KeelError {
                    throw e
                } catch {
                    throw KeelError("HostError", "\(name).\(fname): \(error)")
                }
            })
        }
        hostModules[name] = ModuleValue(name: name, members: members, effectful: effectful)
    }

    /// Registers a global function, callable from Keel by `name` without any `use`.
    public func registerFunction(_ name: String, _ body: @escaping HostFunction) {
        define(name) { call in
            do { return try body(call.args, call.named) } catch let e as KeelError { throw e } catch {
                throw KeelError("HostError", "\(name): \(error)")
            }
        }
    }
}
