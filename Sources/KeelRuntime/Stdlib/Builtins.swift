import Collections
import KeelSyntax

/// The names every program has without `use`: `typeof`, `min`, `max`, and the agent verbs
/// `run`, `stop`, `send`, `delegate`, `broadcast`.
extension Interpreter {
    static let builtinNames: Set<String> = ["typeof", "min", "max", "run", "stop", "send", "delegate", "broadcast"]

    func isBuiltinName(_ name: String) -> Bool { Interpreter.builtinNames.contains(name) }

    func define(_ name: String, args: Int?, labels: [String]? = [], _ body: @escaping (inout NativeCall) throws -> Value) {
        globals[slot: globals.index(of: name)] = .native(NativeFunction(name, args: args, labels: labels, body))
    }

    func installBuiltins() {
        types["Message"] = TypeInfo(name: "Message", shape: .structure([
            ("from", .str), ("body", .str), ("channel", .nullable(.str)), ("timestamp", .nullable(.datetime)),
        ]))
        globals[slot: globals.index(of: "Message")] = .type(types["Message"]!)
        define("typeof", args: 1) { call in
            let v = try call.arg(0)
            return .str(v.typeName)
        }
        define("min", args: nil, labels: ["by"]) { call in try Interpreter.extreme(&call, wantMax: false) }
        define("max", args: nil, labels: ["by"]) { call in try Interpreter.extreme(&call, wantMax: true) }
        installAgentVerbs()
    }

    /// `min(...)`/`max(...)`: variadic, a single list is spread, `by:` picks a key, none if empty.
    static func extreme(_ call: inout NativeCall, wantMax: Bool) throws -> Value {
        var items = call.args
        if items.count == 1 {
            switch items[0] {
            case .list(let l): items = l
            case .set(let s): items = Array(s)
            case .range(let lo, let hi): items = try Limits.rangeElements(lo, hi, call.name)
            default: break
            }
        }
        guard var best = items.first else { return .none }
        let key = call.named["by"]
        var bestKey = try key.map { try call.interpreter.call($0, one: best) } ?? best
        for item in items.dropFirst() {
            let k = try key.map { try call.interpreter.call($0, one: item) } ?? item
            let better = wantMax ? try Operators.less(bestKey, k) : try Operators.less(k, bestKey)
            if better { best = item; bestKey = k }
        }
        return best
    }

    /// The agent verbs: `run`, `stop`, `send`, `delegate`, `broadcast`. Each takes an agent value:
    /// `A` (the singleton), `A["k"]` (a keyed instance) or `self`.
    func installAgentVerbs() {
        func target(_ call: NativeCall, _ i: Int) throws -> (AgentInfo, MapKey?) {
            let v = try call.arg(i)
            guard let t = Value.agentAddress(v) else { throw call.typeError(i, "an agent", v) }
            return t
        }
        define("run", args: 1) { call in
            let (agent, key) = try target(call, 0)
            try call.interpreter.startAgent(agent, key: key)
            return .none
        }
        define("stop", args: 1) { call in
            let (agent, key) = try target(call, 0)
            if let instance = agent.instance(key) { try call.interpreter.stopAgent(instance) }
            return .none
        }
        define("send", args: 2, labels: ["event"]) { call in
            let (agent, key) = try target(call, 0)
            let event = try call.optionalString(2, "event") ?? "message"
            try call.interpreter.loop.send(agent, key: key, event: event, payload: call.optional(1) ?? .none)
            return .none
        }
        define("delegate", args: 3) { call in
            let first = try call.arg(0)
            // `delegate(A.handler, data)`, or the older `delegate(A, "handler", data)`.
            if case .structure(let ref) = first, ref.typeName == "HandlerRef",
               let agentValue = ref.fields["agent"], let (agent, key) = Value.agentAddress(agentValue), case .str(let handler)? = ref.fields["handler"] {
                try call.interpreter.loop.send(agent, key: key, event: handler, payload: call.optional(1) ?? .none)
                return .none
            }
            let (agent, key) = try target(call, 0)
            let handler = try call.string(1)
            try call.interpreter.loop.send(agent, key: key, event: handler, payload: call.optional(2) ?? .none)
            return .none
        }
        define("broadcast", args: 2, labels: ["event"]) { call in
            let team = try call.string(0)
            let payload = call.optional(1) ?? .none
            let event = try call.optionalString(2, "event") ?? "message"
            let loop = call.interpreter.loop
            var reached = 0
            for instance in loop.liveAgentList {
                guard instance.accepting, case .list(let teams)? = instance.attributeValues["team"],
                      teams.contains(.str(team)) else { continue }
                try loop.send(instance.info, key: instance.key, event: event, payload: payload)
                reached += 1
            }
            return .int(reached)
        }
    }
}
