import KeelSyntax

/// Arithmetic and comparison on values. Ints are 64-bit and overflow is an error, never a wrap.
enum Operators {
    static func fail(_ op: BinaryOp, _ a: Value, _ b: Value) -> KeelError {
        KeelError(ErrorKind.type, "cannot apply `\(op.rawValue)` to \(a.typeName) and \(b.typeName)")
    }

    static func overflow(_ op: BinaryOp) -> KeelError {
        KeelError(ErrorKind.arithmetic, "integer overflow in `\(op.rawValue)`")
    }

    static func arithmetic(_ op: BinaryOp, _ a: Value, _ b: Value) throws -> Value {
        switch (a, b) {
        case (.int(let x), .int(let y)): return try intOp(op, x, y)
        case (.float(let x), .float(let y)): return try floatOp(op, x, y)
        case (.int(let x), .float(let y)): return try floatOp(op, Double(x), y)
        case (.float(let x), .int(let y)): return try floatOp(op, x, Double(y))
        case (.str(let x), .str(let y)) where op == .add: return try concatenate(x, y)
        case (.str(let x), .str(let y)) where op == .sub:
            guard let tx = DateTime.parse(x), let ty = DateTime.parse(y) else { throw fail(op, a, b) }
            let (d, o) = tx.subtractingReportingOverflow(ty)
            if o { throw KeelError(ErrorKind.value, "the time between \(x) and \(y) is more than a duration holds (about 292 years)") }
            return .duration(d)
        case (.list(let x), .list(let y)) where op == .add: return try concatenate(x, y)
        case (.str(let dt), .duration(let d)) where op == .add || op == .sub:
            return try DateTime.add(dt, op == .add ? d : -d)
        case (.duration, _), (_, .duration): return try durationOp(op, a, b)
        default: throw fail(op, a, b)
        }
    }

    /// `+` on strings and lists, within the size limit (kept out of line: the arithmetic above
    /// is inlined into hot nodes).
    @inline(never)
    static func concatenate(_ x: String, _ y: String) throws -> Value {
        try Limits.checkString(x.utf8.count + y.utf8.count, "`+`")
        return .str(x + y)
    }

    @inline(never)
    static func concatenate(_ x: [Value], _ y: [Value]) throws -> Value {
        try Limits.checkCount(x.count + y.count, "`+`")
        return .list(x + y)
    }

    @inline(__always)
    static func intOp(_ op: BinaryOp, _ x: Int, _ y: Int) throws -> Value {
        switch op {
        case .add:
            let (r, o) = x.addingReportingOverflow(y)
            if o { throw overflow(op) }
            return .int(r)
        case .sub:
            let (r, o) = x.subtractingReportingOverflow(y)
            if o { throw overflow(op) }
            return .int(r)
        case .mul:
            let (r, o) = x.multipliedReportingOverflow(by: y)
            if o { throw overflow(op) }
            return .int(r)
        case .div:
            if y == 0 { throw KeelError(ErrorKind.arithmetic, "division by zero") }
            let (r, o) = x.dividedReportingOverflow(by: y)
            if o { throw overflow(op) }
            return .int(r)
        case .mod:
            if y == 0 { throw KeelError(ErrorKind.arithmetic, "modulo by zero") }
            let (r, o) = x.remainderReportingOverflow(dividingBy: y)
            if o { throw overflow(op) }
            return .int(r)
        default: throw fail(op, .int(x), .int(y))
        }
    }

    static func floatOp(_ op: BinaryOp, _ x: Double, _ y: Double) throws -> Value {
        switch op {
        case .add: return .float(x + y)
        case .sub: return .float(x - y)
        case .mul: return .float(x * y)
        case .div:
            if y == 0 { throw KeelError(ErrorKind.arithmetic, "division by zero") }
            return .float(x / y)
        case .mod:
            if y == 0 { throw KeelError(ErrorKind.arithmetic, "modulo by zero") }
            return .float(x.truncatingRemainder(dividingBy: y))
        default: throw fail(op, .float(x), .float(y))
        }
    }

    /// `d ± d`, `d * n`, `n * d`, `d / n`, `d / d` (a float), `d % d`.
    static func durationOp(_ op: BinaryOp, _ a: Value, _ b: Value) throws -> Value {
        func ns(_ d: Double) throws -> Value {
            guard d.isFinite, abs(d) < 9.2e18 else { throw KeelError(ErrorKind.arithmetic, "duration out of range") }
            return .duration(Int64(d.rounded()))
        }
        switch (op, a, b) {
        case (.add, .duration(let x), .duration(let y)):
            let (r, o) = x.addingReportingOverflow(y); if o { throw overflow(op) }; return .duration(r)
        case (.sub, .duration(let x), .duration(let y)):
            let (r, o) = x.subtractingReportingOverflow(y); if o { throw overflow(op) }; return .duration(r)
        case (.mul, .duration(let x), .int(let n)), (.mul, .int(let n), .duration(let x)):
            let (r, o) = x.multipliedReportingOverflow(by: Int64(n)); if o { throw overflow(op) }; return .duration(r)
        case (.mul, .duration(let x), .float(let n)), (.mul, .float(let n), .duration(let x)):
            return try ns(Double(x) * n)
        case (.div, .duration(let x), .int(let n)):
            if n == 0 { throw KeelError(ErrorKind.arithmetic, "division by zero") }
            return try ns(Double(x) / Double(n))
        case (.div, .duration(let x), .float(let n)):
            if n == 0 { throw KeelError(ErrorKind.arithmetic, "division by zero") }
            return try ns(Double(x) / n)
        case (.div, .duration(let x), .duration(let y)):
            if y == 0 { throw KeelError(ErrorKind.arithmetic, "division by zero") }
            return .float(Double(x) / Double(y))
        case (.mod, .duration(let x), .duration(let y)):
            if y == 0 { throw KeelError(ErrorKind.arithmetic, "modulo by zero") }
            return .duration(x % y)
        default: throw fail(op, a, b)
        }
    }

    /// Ordering: numbers (ints and floats mix), durations, and strings by Unicode scalar values.
    static func compare(_ op: BinaryOp, _ a: Value, _ b: Value) throws -> Bool {
        let order: Int
        switch (a, b) {
        case (.int(let x), .int(let y)): order = x < y ? -1 : (x == y ? 0 : 1)
        case (.float(let x), .float(let y)): order = try floatOrder(x, y, op, a, b)
        case (.int(let x), .float(let y)): order = try floatOrder(Double(x), y, op, a, b)
        case (.float(let x), .int(let y)): order = try floatOrder(x, Double(y), op, a, b)
        case (.duration(let x), .duration(let y)): order = x < y ? -1 : (x == y ? 0 : 1)
        case (.str(let x), .str(let y)):
            order = x == y ? 0 : (x.unicodeScalars.lexicographicallyPrecedes(y.unicodeScalars) ? -1 : 1)
        default: throw fail(op, a, b)
        }
        switch op {
        case .lt: return order < 0
        case .le: return order <= 0
        case .gt: return order > 0
        case .ge: return order >= 0
        default: throw fail(op, a, b)
        }
    }

    static func floatOrder(_ x: Double, _ y: Double, _ op: BinaryOp, _ a: Value, _ b: Value) throws -> Int {
        if x.isNaN || y.isNaN { return 2 }  // every ordering with NaN is false, except none
        return x < y ? -1 : (x == y ? 0 : 1)
    }

    /// Sort order for `sort()`, `min`, `max`: like `<`, with a clear error for mixed kinds.
    static func less(_ a: Value, _ b: Value) throws -> Bool {
        try compare(.lt, a, b)
    }
}

final class BinaryNode: Node {
    let op: BinaryOp
    let left: Node, right: Node
    init(_ op: BinaryOp, _ left: Node, _ right: Node, _ span: Span) {
        self.op = op; self.left = left; self.right = right; super.init(span)
    }
    override func eval(_ f: Frame) throws -> Value {
        let a = try left.eval(f)
        let b = try right.eval(f)
        // Fast paths for the common int cases; everything else goes through `Operators`.
        if case .int(let x) = a, case .int(let y) = b {
            switch op {
            case .add:
                let (r, o) = x.addingReportingOverflow(y)
                if !o { return .int(r) }
            case .sub:
                let (r, o) = x.subtractingReportingOverflow(y)
                if !o { return .int(r) }
            case .mul:
                let (r, o) = x.multipliedReportingOverflow(by: y)
                if !o { return .int(r) }
            case .mod where y != 0:
                let (r, o) = x.remainderReportingOverflow(dividingBy: y)
                if !o { return .int(r) }
            case .lt: return .bool(x < y)
            case .le: return .bool(x <= y)
            case .gt: return .bool(x > y)
            case .ge: return .bool(x >= y)
            case .eq: return .bool(x == y)
            case .neq: return .bool(x != y)
            default: break
            }
        }
        return try locate(self, f) {
            switch op {
            case .eq: return .bool(a == b)
            case .neq: return .bool(a != b)
            case .lt, .le, .gt, .ge: return .bool(try Operators.compare(op, a, b))
            default: return try Operators.arithmetic(op, a, b)
            }
        }
    }
}

final class AndNode: Node {
    let left: Node, right: Node
    init(_ left: Node, _ right: Node, _ span: Span) { self.left = left; self.right = right; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        guard try left.eval(f).isTruthy else { return .bool(false) }
        return .bool(try right.eval(f).isTruthy)
    }
}

final class OrNode: Node {
    let left: Node, right: Node
    init(_ left: Node, _ right: Node, _ span: Span) { self.left = left; self.right = right; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        if try left.eval(f).isTruthy { return .bool(true) }
        return .bool(try right.eval(f).isTruthy)
    }
}

final class CoalesceNode: Node {
    let left: Node, right: Node
    init(_ left: Node, _ right: Node, _ span: Span) { self.left = left; self.right = right; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        let v = try left.eval(f)
        if case .none = v { return try right.eval(f) }
        return v
    }
}

final class UnaryNode: Node {
    let op: UnaryOp
    let operand: Node
    init(_ op: UnaryOp, _ operand: Node, _ span: Span) { self.op = op; self.operand = operand; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        let v = try operand.eval(f)
        if case .not = op { return .bool(!v.isTruthy) }
        switch v {
        case .int(let i):
            if i == Int.min { throw f.error(ErrorKind.arithmetic, "integer overflow in `-`", span) }
            return .int(-i)
        case .float(let d): return .float(-d)
        // Negating a duration is allowed: a negative duration is meaningful as an offset
        // (`dt + -5.minutes`) and in arithmetic; schedule functions reject it where it is not.
        case .duration(let d): return .duration(-d)
        default: throw f.error(ErrorKind.type, "cannot negate \(v.typeName)", span)
        }
    }
}

final class RangeNode: Node {
    let lo: Node, hi: Node
    init(_ lo: Node, _ hi: Node, _ span: Span) { self.lo = lo; self.hi = hi; super.init(span) }
    override func eval(_ f: Frame) throws -> Value {
        let a = try lo.eval(f), b = try hi.eval(f)
        guard case .int(let x) = a, case .int(let y) = b else {
            throw f.error(ErrorKind.type, "a range needs int bounds, got \(a.typeName)..\(b.typeName)", span)
        }
        return .range(x, y)
    }
}
