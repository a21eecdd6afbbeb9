import Foundation

/// `std/math`: float functions; a domain error raises `MathError`.
enum MathModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        var m = ModuleMembers("math")
        func unary(_ name: String, domain: @escaping (Double) -> Bool = { _ in true }, _ f: @escaping (Double) -> Double) {
            m.fn(name, args: 1) { call in
                let x = try call.number(0)
                guard domain(x) else { throw KeelError("MathError", "math.\(name): \(formatFloat(x)) is outside the domain") }
                return .float(f(x))
            }
        }
        m.fn("PI", args: 0) { _ in .float(Double.pi) }
        m.fn("E", args: 0) { _ in .float(M_E) }
        unary("sqrt", domain: { $0 >= 0 }, Foundation.sqrt)
        unary("exp", Foundation.exp)
        unary("log", domain: { $0 > 0 }, Foundation.log)
        unary("log2", domain: { $0 > 0 }, Foundation.log2)
        unary("log10", domain: { $0 > 0 }, Foundation.log10)
        unary("sin", Foundation.sin)
        unary("cos", Foundation.cos)
        unary("tan", Foundation.tan)
        unary("asin", domain: { abs($0) <= 1 }, Foundation.asin)
        unary("acos", domain: { abs($0) <= 1 }, Foundation.acos)
        unary("atan", Foundation.atan)
        m.fn("atan2", args: 2) { call in .float(Foundation.atan2(try call.number(0), try call.number(1))) }
        m.fn("pow", args: 2) { call in
            let r = Foundation.pow(try call.number(0), try call.number(1))
            guard !r.isNaN else { throw KeelError("MathError", "math.pow: no real result") }
            return .float(r)
        }
        return m.values
    }
}
