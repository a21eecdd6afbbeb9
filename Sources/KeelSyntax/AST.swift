/// The syntax tree. Pure data: the runtime's resolver lowers it into executable nodes.

public final class Expr: @unchecked Sendable {
    public let kind: ExprKind
    public let span: Span
    public init(_ kind: ExprKind, _ span: Span) { self.kind = kind; self.span = span }
}

public enum UnaryOp: String, Sendable { case negate = "-", not = "not" }

public enum BinaryOp: String, Sendable {
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%"
    case eq = "==", neq = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case and = "and", or = "or", coalesce = "??", pipe = "|>"
}

public enum DurationUnit: String, Sendable, CaseIterable {
    case milliseconds, seconds, minutes, hours, days, weeks

    /// Every accepted spelling, singular and plural.
    public static let spellings: [String: DurationUnit] = [
        "ms": .milliseconds, "millis": .milliseconds, "millisecond": .milliseconds, "milliseconds": .milliseconds,
        "s": .seconds, "sec": .seconds, "second": .seconds, "seconds": .seconds,
        "m": .minutes, "min": .minutes, "minute": .minutes, "minutes": .minutes,
        "h": .hours, "hr": .hours, "hour": .hours, "hours": .hours,
        "d": .days, "day": .days, "days": .days,
        "w": .weeks, "week": .weeks, "weeks": .weeks,
    ]

    public var nanoseconds: Int64 {
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

public enum MapKeyLiteral: Sendable {
    case name(String)   // `{body: 1}`: an identifier key is the string "body"
    case string(Expr)   // a string literal key (may interpolate)
    case int(Int)
    case bool(Bool)
}

public struct Argument: Sendable {
    public var label: String?
    public var value: Expr
    public var spread: Bool
    public init(label: String?, value: Expr, spread: Bool) { self.label = label; self.value = value; self.spread = spread }
}

public enum StringPart: Sendable {
    case text(String)
    case expr(Expr, format: String?, span: Span)
}

public indirect enum ExprKind: Sendable {
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

public struct Block: Sendable {
    public var statements: [Stmt]
    public var span: Span
    public init(_ statements: [Stmt], _ span: Span) { self.statements = statements; self.span = span }
}

public struct WhenArm: Sendable {
    public var patterns: [Pattern]
    public var guardExpr: Expr?
    public var body: Block
}

public struct CatchClause: Sendable {
    public var name: String
    public var typeName: String?
    public var body: Block
    public var span: Span
}

public final class Pattern: @unchecked Sendable {
    public enum Kind: Sendable {
        case wildcard
        /// A bare name: an enum variant matched by name (optionally qualified `Type.name`).
        case variant(type: String?, name: String)
        /// `name { f1, f2: alias }`: a rich variant whose fields are bound.
        case variantFields(type: String?, name: String, fields: [FieldBinding])
        /// `{ f1, f2 }`: a struct (or map) with these fields.
        case structure([FieldBinding])
        case literal(Expr)
    }
    public let kind: Kind
    public let span: Span
    public init(_ kind: Kind, _ span: Span) { self.kind = kind; self.span = span }
}

/// `field` or `field: name` in a destructuring pattern; `_` skips.
public struct FieldBinding: Sendable {
    public var field: String
    public var binding: String
    public var span: Span
}

public final class TypeExpr: @unchecked Sendable {
    public indirect enum Kind: Sendable {
        case named(String, args: [TypeExpr])
        case nullable(TypeExpr)
        case tuple([TypeExpr])
        case function(params: [TypeExpr], result: TypeExpr)
        case structure([(String, TypeExpr)])
    }
    public let kind: Kind
    public let span: Span
    public init(_ kind: Kind, _ span: Span) { self.kind = kind; self.span = span }
}

/// A task, lambda or handler parameter.
public struct Param: Sendable {
    public enum Binding: Sendable {
        case name(String)
        case structure([FieldBinding])
    }
    public var binding: Binding
    public var type: TypeExpr?
    public var defaultValue: Expr?
    public var variadic: Bool
    public var span: Span

    public var name: String {
        if case .name(let n) = binding { return n }
        return "_destructured"
    }

    public init(binding: Binding, type: TypeExpr?, defaultValue: Expr?, variadic: Bool, span: Span) {
        self.binding = binding
        self.type = type
        self.defaultValue = defaultValue
        self.variadic = variadic
        self.span = span
    }
}

public struct TaskDecl: Sendable {
    public var name: String
    public var generics: [String]
    public var params: [Param]
    public var returnType: TypeExpr?
    public var body: Block?      // nil for interface signatures
    public var span: Span
    public var nameSpan: Span
}

public struct TypeDecl: Sendable {
    public enum Body: Sendable {
        case structure([(String, TypeExpr)])
        case enumeration([(String, [(String, TypeExpr)]?)])
        case alias(TypeExpr)
    }
    public var name: String
    public var generics: [String]
    public var body: Body
    public var span: Span
}

public struct UseDecl: Sendable {
    public enum Source: Sendable {
        case std(String)
        /// `use host/<name>`: a module the embedding program registered.
        case host(String)
        case file(String)
    }
    public var source: Source
    public var alias: String?
    /// `use a, b as c from ...`: the imported symbols and their local names.
    public var symbols: [(name: String, alias: String?, span: Span)]
    public var span: Span
}

public struct AgentDecl: Sendable {
    public enum Attribute: Sendable {
        case tools(all: Bool, entries: [ToolEntry])
        case block(name: String, Block)       // @on_start / @on_stop
        case value(name: String, Expr)        // @role "x", @model "y", custom attributes
    }
    public struct ToolEntry: Sendable {
        public var module: String
        public var member: String?
        public var condition: Expr?
        public var span: Span
    }
    public struct StateField: Sendable {
        public var name: String
        public var type: TypeExpr?
        public var readonly: Bool
        public var defaultValue: Expr
        public var span: Span
    }
    public struct Handler: Sendable {
        public var event: String
        public var param: Param?
        public var body: Block
        public var span: Span
    }
    public var name: String
    public var attributes: [(Attribute, Span)]
    public var state: [StateField]
    public var tasks: [TaskDecl]
    public var handlers: [Handler]
    public var span: Span
}

public struct ImplDecl: Sendable {
    public var interface: String
    public var typeName: String
    public var tasks: [TaskDecl]
    public var span: Span
}

public enum AssignTarget: Sendable {
    case name(String, Span)
    case field(Expr, String)
    case index(Expr, Expr)
    case structure([FieldBinding])
    case tuple([(String, Span)])
}

public final class Stmt: @unchecked Sendable {
    public enum Kind: Sendable {
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
    public let kind: Kind
    public let span: Span
    public init(_ kind: Kind, _ span: Span) { self.kind = kind; self.span = span }
}

/// A parsed file.
public struct Program: Sendable {
    public var file: SourceFile
    public var statements: [Stmt]
}
