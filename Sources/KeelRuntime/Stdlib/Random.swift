/// `std/random`: reproducible with `KEEL_SEED` or `random.seed(n)`.
enum RandomModule {
    /// The interpreter's generator, seeded from `KEEL_SEED` when it is set. `std/uuid` draws from
    /// it too, so one seed makes a whole run reproducible.
    final class State: ModuleState {
        var generator: SeededRandom
        init(_ interpreter: Interpreter) {
            let seed = interpreter.options.environment["KEEL_SEED"].flatMap { Int64($0) }.map { UInt64(bitPattern: $0) }
            generator = SeededRandom(seed: seed ?? UInt64.random(in: 0...UInt64.max))
        }
    }

    static func members(_ interpreter: Interpreter) -> [String: Value] {
        let state = interpreter.state(State.self)
        var m = ModuleMembers("random")
        m.fn("float", args: 0) { _ in .float(Double(state.generator.next() >> 11) / Double(1 << 53)) }
        m.fn("int", args: 2, labels: ["min", "max"]) { call in
            let lo = try call.int(0, "min"), hi = try call.int(1, "max")
            guard lo <= hi else { throw KeelError(ErrorKind.value, "random.int: min \(lo) is greater than max \(hi)") }
            let span = UInt64(bitPattern: Int64(hi &- lo)) &+ 1
            let r = span == 0 ? state.generator.next() : state.generator.next(below: span)
            return .int(lo &+ Int(truncatingIfNeeded: r))
        }
        m.fn("bool", args: 0) { _ in .bool(state.generator.next() & 1 == 1) }
        m.fn("seed", args: 1) { call in
            state.generator = SeededRandom(seed: UInt64(bitPattern: Int64(try call.int(0))))
            return .none
        }
        return m.values
    }
}

/// SplitMix64: small, fast, and the same sequence for the same seed on every machine.
package struct SeededRandom {
    var state: UInt64
    package init(seed: UInt64) { state = seed }
    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in 0..<bound, without modulo bias.
    mutating func next(below bound: UInt64) -> UInt64 {
        let limit = UInt64.max - UInt64.max % bound
        while true {
            let r = next()
            if r < limit { return r % bound }
        }
    }
}
