import Foundation

extension Interpreter {
    /// `std/math`: float functions; a domain error raises `MathError`.
    func mathModule() -> ModuleValue {
        func unary(_ name: String, domain: @escaping (Double) -> Bool = { _ in true }, _ f: @escaping (Double) -> Double) -> Value {
            .native(NativeFunction(name, module: "math") { call in
                let x = try call.number(0)
                guard domain(x) else { throw KeelError("MathError", "math.\(name): \(formatFloat(x)) is outside the domain") }
                return .float(f(x))
            })
        }
        return ModuleValue(name: "math", members: [
            "PI": .native(NativeFunction("PI", module: "math") { _ in .float(Double.pi) }),
            "E": .native(NativeFunction("E", module: "math") { _ in .float(M_E) }),
            "sqrt": unary("sqrt", domain: { $0 >= 0 }, Foundation.sqrt),
            "exp": unary("exp", Foundation.exp),
            "log": unary("log", domain: { $0 > 0 }, Foundation.log),
            "log2": unary("log2", domain: { $0 > 0 }, Foundation.log2),
            "log10": unary("log10", domain: { $0 > 0 }, Foundation.log10),
            "sin": unary("sin", Foundation.sin),
            "cos": unary("cos", Foundation.cos),
            "tan": unary("tan", Foundation.tan),
            "asin": unary("asin", domain: { abs($0) <= 1 }, Foundation.asin),
            "acos": unary("acos", domain: { abs($0) <= 1 }, Foundation.acos),
            "atan": unary("atan", Foundation.atan),
            "atan2": .native(NativeFunction("atan2", module: "math") { call in
                .float(Foundation.atan2(try call.number(0), try call.number(1)))
            }),
            "pow": .native(NativeFunction("pow", module: "math") { call in
                let r = Foundation.pow(try call.number(0), try call.number(1))
                guard !r.isNaN else { throw KeelError("MathError", "math.pow: no real result") }
                return .float(r)
            }),
        ])
    }

    /// `std/random`: reproducible with `KEEL_SEED` or `random.seed(n)`.
    func randomModule() -> ModuleValue {
        ModuleValue(name: "random", members: [
            "float": .native(NativeFunction("float", module: "random") { call in
                .float(Double(call.interpreter.rng.next() >> 11) / Double(1 << 53))
            }),
            "int": .native(NativeFunction("int", module: "random") { call in
                let lo = try call.int(0, "min"), hi = try call.int(1, "max")
                guard lo <= hi else { throw KeelError(ErrorKind.value, "random.int: min \(lo) is greater than max \(hi)") }
                let span = UInt64(bitPattern: Int64(hi &- lo)) &+ 1
                let r = span == 0 ? call.interpreter.rng.next() : call.interpreter.rng.next(below: span)
                return .int(lo &+ Int(truncatingIfNeeded: r))
            }),
            "bool": .native(NativeFunction("bool", module: "random") { call in .bool(call.interpreter.rng.next() & 1 == 1) }),
            "seed": .native(NativeFunction("seed", module: "random") { call in
                call.interpreter.rng = SeededRandom(seed: UInt64(bitPattern: Int64(try call.int(0))))
                return .none
            }),
        ])
    }
}

/// SplitMix64: small, fast, and the same sequence for the same seed on every machine.
struct SeededRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
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
