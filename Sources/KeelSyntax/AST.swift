/// The syntax tree. Pure data: the runtime's resolver lowers it into executable nodes.

package final class Expr: @unchecked Sendable {
    package let kind: ExprKind
    package let span: Span
    /// How deep the expression tree is below this node through operators, calls, fields and
    /// indexes (the parser refuses one deeper than `Parser.maxExpressionHeight`, so later passes,
    /// which recurse, never run out of stack).
    package let height: Int
    package init(_ kind: ExprKind, _ span: Span) {
        self.kind = kind
        self.span = span
        switch kind {
        case .binary(_, let l, let r), .range(let l, let r), .index(let l, let r): height = 1 + max(l.height, r.height)
        case .unary(_, let x), .field(let x, _, _), .tupleIndex(let x, _), .unwrap(let x), .cast(let x, _): height = 1 + x.height
        case .call(let callee, let args): height = 1 + max(callee.height, args.map(\.value.height).max() ?? 0)
        case .methodCall(let r, _, let args, _): height = 1 + max(r.height, args.map(\.value.height).max() ?? 0)
        default: height = 1
        }
    }
}

package enum UnaryOp: String, Sendable { case negate = "-", not = "not" }

package enum BinaryOp: String, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%"
    case eq = "==", neq = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case and = "and", or = "or", coalesce = "??", pipe = "|>"
}

package enum DurationUnit: String, Sendable, CaseIterable {
    case milliseconds, seconds, minutes, hours, days, weeks

    /// Every accepted spelling, singular and plural.
    package static let spellings: [String: DurationUnit] = [
        "ms": .milliseconds, "millis": .milliseconds, "millisecond": .milliseconds, "milliseconds": .milliseconds,
        "s": .seconds, "sec": .seconds, "second": .seconds, "seconds": .seconds,
        "m": .minutes, "min": .minutes, "minute": .minutes, "minutes": .minutes,
        "h": .hours, "hr": .hours, "hour": .hours, "hours": .hours,
        "d": .days, "day": .days, "days": .days,
        "w": .weeks, "week": .weeks, "weeks": .weeks,
    ]

    package var nanoseconds: Int64 {
        switch self {
        case .milliseconds: return 1_000_000
        case .seconds: return 1_000_000_000
        case .minutes: return 60_000_000_000
        case .hours: return 3_600_000_000_000
        case .days: return 86_400_000_000_000
        case .weeks: return 604_800_000_000_000
        }
    }
}

package enum MapKeyLiteral: Sendable {
    case name(String)   // `{body: 1}`: an identifier key is the string "body"
    case string(Expr)   // a string literal key (may interpolate)
    case int(Int)
    case bool(Bool)
}

package struct Argument: Sendable {
    package var label: String?
    package var value: Expr
    package var spread: Bool
    package init(label: String?, value: Expr, spread: Bool) { self.label = label; self.value = value; self.spread = spread }
}

package enum StringPart: Sendable {
    case text(String)
    case expr(Expr, format: String?, span: Span)
}

package indirect enum ExprKind: Sendable {
    case int(Int)
    case float(Double)
    case string([StringPart])
    case bool(Bool)
    case none
    case duration(count: Int, unit: DurationUnit)
    case name(String)
    case selfRef
    case list([Expr])
    case map(entries: [(MapKeyLiteral, Expr)], spread: Expr?)
    case set([Expr])
    case tuple([Expr])
    case lambda(params: [Param], body: Block)
    case unary(UnaryOp, Expr)
    case binary(BinaryOp, Expr, Expr)
    case range(Expr, Expr)
    case field(Expr, name: String, optional: Bool)
    case tupleIndex(Expr, Int)
    case call(Expr, [Argument])
    case methodCall(Expr, name: String, args: [Argument], optional: Bool)
    case index(Expr, Expr)
    case unwrap(Expr)
    case cast(Expr, TypeExpr)
    case ifElse(cond: Expr, then: Block, else: Block?)
    case when(subject: Expr, arms: [WhenArm])
    case tryCatch(body: Block, catches: [CatchClause])
    /// `Action.reply { to: "x" }`: a rich enum value.
    case variant(type: String, name: String, fields: [(String, Expr)])
}

package struct Block: Sendable {
    package var statements: [Stmt]
    package var span: Span
    package init(_ statements: [Stmt], _ span: Span) { self.statements = statements; self.span = span }
}

package struct WhenArm: Sendable {
    package var patterns: [Pattern]
    package var guardExpr: Expr?
    package var body: Block
}

package struct CatchClause: Sendable {
    package var name: String
    package var typeName: String?
    package var body: Block
    package var span: Span
}

package final class Pattern: @unchecked Sendable {
    package enum Kind: Sendable {
        case wildcard
        /// A bare name: an enum variant matched by name (optionally qualified `Type.name`).
        case variant(type: String?, name: String)
        /// `name { f1, f2: alias }`: a rich variant whose fields are bound.
        case variantFields(type: String?, name: String, fields: [FieldBinding])
        /// `{ f1, f2 }`: a struct (or map) with these fields.
        case structure([FieldBinding])
        case literal(Expr)
    }
    package let kind: Kind
    package let span: Span
    package init(_ kind: Kind, _ span: Span) { self.kind = kind; self.span = span }
}

/// `field` or `field: name` in a destructuring pattern; `_` skips.
package struct FieldBinding: Sendable {
    package var field: String
    package var binding: String
    package var span: Span
}

package final class TypeExpr: @unchecked Sendable {
    package indirect enum Kind: Sendable {
        case named(String, args: [TypeExpr])
        case nullable(TypeExpr)
        case tuple([TypeExpr])
        case function(params: [TypeExpr], result: TypeExpr)
        case structure([(String, TypeExpr)])
    }
    package let kind: Kind
    package let span: Span
    package init(_ kind: Kind, _ span: Span) { self.kind = kind; self.span = span }
}

/// A task, lambda or handler parameter.
package struct Param: Sendable {
    package enum Binding: Sendable {
        case name(String)
        case structure([FieldBinding])
    }
    package var binding: Binding
    package var type: TypeExpr?
    package var defaultValue: Expr?
    package var variadic: Bool
    package var span: Span

    package var name: String {
        if case .name(let n) = binding { return n }
        return "_destructured"
    }

    package init(binding: Binding, type: TypeExpr?, defaultValue: Expr?, variadic: Bool, span: Span) {
        self.binding = binding
        self.type = type
        self.defaultValue = defaultValue
        self.variadic = variadic
        self.span = span
    }
}

package struct TaskDecl: Sendable {
    package var name: String
    package var generics: [String]
    package var params: [Param]
    package var returnType: TypeExpr?
    package var body: Block?      // nil for interface signatures
    package var span: Span
    package var nameSpan: Span
}

package struct TypeDecl: Sendable {
    package enum Body: Sendable {
        case structure([(String, TypeExpr)])
        case enumeration([(String, [(String, TypeExpr)]?)])
        case alias(TypeExpr)
    }
    package var name: String
    package var generics: [String]
    package var body: Body
    package var span: Span
}

package struct UseDecl: Sendable {
    package enum Source: Sendable {
        case std(String)
        /// `use host/<name>`: a module the embedding program registered.
        case host(String)
        case file(String)
    }
    package var source: Source
    package var alias: String?
    /// `use a, b as c from ...`: the imported symbols and their local names.
    package var symbols: [(name: String, alias: String?, span: Span)]
    package var span: Span
}

package struct AgentDecl: Sendable {
    package enum Attribute: Sendable {
        case tools(all: Bool, entries: [ToolEntry])
        case block(name: String, Block)       // @on_start / @on_stop
        case value(name: String, Expr)        // @role "x", @model "y", custom attributes
    }
    package struct ToolEntry: Sendable {
        package var module: String
        package var member: String?
        package var condition: Expr?
        package var span: Span
    }
    package struct StateField: Sendable {
        package var name: String
        package var type: TypeExpr?
        package var readonly: Bool
        package var defaultValue: Expr
        package var span: Span
    }
    package struct Handler: Sendable {
        package var event: String
        package var param: Param?
        package var body: Block
        package var span: Span
    }
    package var name: String
    package var attributes: [(Attribute, Span)]
    package var state: [StateField]
    package var tasks: [TaskDecl]
    package var handlers: [Handler]
    package var span: Span
}

package struct ImplDecl: Sendable {
    package var interface: String
    package var typeName: String
    package var tasks: [TaskDecl]
    package var span: Span
}

package enum AssignTarget: Sendable {
    case name(String, Span)
    case field(Expr, String)
    case index(Expr, Expr)
    case structure([FieldBinding])
    case tuple([(String, Span)])
}

package final class Stmt: @unchecked Sendable {
    package enum Kind: Sendable {
        case expr(Expr)
        case assign(AssignTarget, type: TypeExpr?, value: Expr)
        case augAssign(AssignTarget, BinaryOp, Expr)
        case forLoop(pattern: AssignTarget, iterable: Expr, filter: Expr?, body: Block)
        case whileLoop(cond: Expr, body: Block)
        case breakLoop
        case continueLoop
        case returnValue(Expr?)
        case raise(Expr)
        case task(TaskDecl)
        case type(TypeDecl)
        case use(UseDecl)
        case agent(AgentDecl)
        case interface(name: String, tasks: [TaskDecl])
        case impl(ImplDecl)
        /// `test "name" { }` or `test "name" for x in [...] { }`: run by `keel test` only.
        case test(name: String, loop: (variable: String, values: Expr)?, body: Block)
        /// `assert condition, "message"`.
        case assert(Expr, message: Expr?)
        /// `setup { }` inside a test: runs first, in the test's scope.
        case setup(Block)
    }
    package let kind: Kind
    package let span: Span
    package init(_ kind: Kind, _ span: Span) { self.kind = kind; self.span = span }
}

/// A parsed file.
package struct Program: Sendable {
    package var file: SourceFile
    package var statements: [Stmt]
}
