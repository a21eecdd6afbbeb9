import KeelSyntax

/// Binds every name to a slot, a capture or a global, and lowers the syntax tree into nodes.
/// Reports every problem it finds (undefined names, misplaced `break`, unknown types, ...).
final class Resolver {
    let interpreter: Interpreter
    let file: SourceFile
    /// Where top-level names, types and methods go until the compile succeeds.
    let unit: CompileUnit
    var globals: GlobalTable { unit.table }
    /// Top-level names this text declares (names already in the table are globals too).
    var globalNames: Set<String> = []
    var fs: FunctionScope
    var diagnostics: [Diagnostic] = []
    var loopDepth = 0
    var inTask = false
    /// True while compiling statements reached only through blocks, `if`, `when` and `try`
    /// statements and loops: a `return` there can use the cheap flag instead of a thrown signal.
    var statementPosition = true
    /// Generic parameters in scope (they check as `dynamic`).
    var generics: Set<String> = []
    /// Top-level tasks whose names are never rebound: calls to them are checked for arity.
    var knownTasks: [String: TaskDecl] = [:]
    /// The agent whose body is being compiled: direct calls into effectful modules are checked
    /// against its `@tools`.
    var agentTools: (name: String, all: Bool, entries: [AgentDecl.ToolEntry])?
    /// While an agent is compiled: its state fields' slot numbers.
    var agentSlots: [String: Int]?

    init(unit: CompileUnit, file: SourceFile, main: FunctionProto) {
        self.interpreter = unit.interpreter
        self.file = file
        self.unit = unit
        self.fs = FunctionScope(parent: nil, proto: main, isMain: true, inAgent: false)
    }

    func error(_ message: String, _ span: Span) {
        diagnostics.append(Diagnostic(message, at: span, in: file))
    }

    // MARK: names

    func isGlobal(_ name: String) -> Bool { globalNames.contains(name) || unit.table.names[name] != nil }

    func localGet(_ v: VarInfo, _ span: Span) -> LocalGet {
        let node = LocalGet(v, span)
        fs.localAccesses.append(node)
        return node
    }

    func resolveName(_ name: String, _ span: Span) -> Node {
        if let v = fs.lookupLocal(name) { return localGet(v, span) }
        if let i = fs.upvalue(name) { return UpvalueGet(i, name, span) }
        if isGlobal(name) { return GlobalGet(globals, unit.slot(name), name, span) }
        error(undefinedMessage(name), span)
        return ConstNode(.none, span)
    }

    /// Keel's old ambient namespaces (`Io.show`, `Schedule.every`, `Agent.broadcast`) when the name
    /// is not bound: what to write instead.
    func pascalCaseHint(_ namespace: String, _ member: String) -> String? {
        guard namespace.first?.isUppercase == true, fs.lookupLocal(namespace) == nil, fs.upvalue(namespace) == nil,
              !isGlobal(namespace) else { return nil }
        if namespace == "Agent", Interpreter.builtinNames.contains(member) {
            return "`Agent.\(member)` is built into the language now: write `\(member)(...)` (no namespace, no `use`)"
        }
        let lower = namespace.lowercased()
        guard StdModule.byName[lower] != nil else { return nil }
        return "`\(namespace)` is not ambient — add `use std/\(lower)` and write `\(lower).\(member)(...)`"
    }

    func undefinedMessage(_ name: String) -> String {
        let lower = name.lowercased()
        if name != lower, name.first?.isUppercase == true, StdModule.byName[lower] != nil {
            return "`\(name)` is not ambient — add `use std/\(lower)` and write `\(lower).…(...)`"
        }
        if StdModule.available.contains(name) {
            return "undefined name `\(name)` — add `use std/\(name)`"
        }
        return "undefined name `\(name)`"
    }

    /// Where `name = value` stores: an existing binding of this task/closure, a top-level global,
    /// or a new local in the innermost block.
    func storageForAssignment(_ name: String, _ span: Span) -> Storage {
        if let v = fs.lookupLocal(name) { return .local(localGet(v, span)) }
        if fs.isMain && (fs.blocks.count == 1 || isGlobal(name)) {
            globalNames.insert(name)
            return .global(Unmanaged.passUnretained(globals), unit.slot(name))
        }
        let v = fs.declare(name)
        if isGlobal(name) { v.shadowsGlobal = true }
        return .local(localGet(v, span))
    }

    /// Where `name += value` stores: the nearest existing binding anywhere.
    func storageForUpdate(_ name: String, _ span: Span) -> Storage? {
        if let v = fs.lookupLocal(name) { return .local(localGet(v, span)) }
        if let i = fs.upvalue(name) { return .upvalue(i) }
        if isGlobal(name) { return .global(Unmanaged.passUnretained(globals), unit.slot(name)) }
        return nil
    }

    /// A fresh binding in the innermost block (loop variables, `catch` names, pattern fields).
    func declareLocal(_ name: String, _ span: Span) -> Storage {
        if fs.isMain && fs.blocks.count == 1 {
            globalNames.insert(name)
            return .global(Unmanaged.passUnretained(globals), unit.slot(name))
        }
        return .local(localGet(fs.declare(name), span))
    }

    // MARK: blocks

    func pushScope() { fs.blocks.append([:]); fs.blockDeclared.append([]) }

    func popScope(_ node: BlockNode) {
        fs.blocks.removeLast()
        fs.blockNodes.append((node, fs.blockDeclared.removeLast()))
    }

    /// A block in the current scope (function bodies, `if` and `try` bodies).
    func block(_ b: Block) -> BlockNode {
        let nodes = b.statements.map(statement)
        return BlockNode(nodes, lastIsValue: isValueStatement(b.statements.last), b.span)
    }

    /// A block that opens its own scope; `bind` declares names in it before the statements.
    func scopedBlock(_ b: Block, bind: () -> Void = {}) -> BlockNode {
        pushScope()
        bind()
        let nodes = b.statements.map(statement)
        let node = BlockNode(nodes, lastIsValue: isValueStatement(b.statements.last), b.span)
        popScope(node)
        return node
    }

    func isValueStatement(_ s: Stmt?) -> Bool {
        if let s, case .expr = s.kind { return true }
        return false
    }

    // MARK: functions

    /// Compiles a task or lambda body with its parameters.
    func function(name: String, isLambda: Bool, params: [Param], returnType: TypeExpr?, body: Block,
                  span: Span, parent: FunctionScope?, generics extra: [String] = []) -> FunctionProto {
        let proto = FunctionProto(name: name, isLambda: isLambda, file: file, span: span)
        let savedFs = fs, savedLoop = loopDepth, savedInTask = inTask, savedGenerics = generics, savedPos = statementPosition
        statementPosition = true
        fs = FunctionScope(parent: parent, proto: proto, isMain: false, inAgent: savedFs.inAgent)
        loopDepth = 0
        inTask = true
        generics.formUnion(extra)
        defer { fs = savedFs; loopDepth = savedLoop; inTask = savedInTask; generics = savedGenerics; statementPosition = savedPos }

        var seen = Set<String>()
        for p in params {
            let pname = p.name
            if case .name(let n) = p.binding, n != "_", !seen.insert(n).inserted {
                error("duplicate parameter `\(n)`", p.span)
            }
            let v = fs.declare(pname)
            var destructure: [(String, VarInfo)] = []
            if case .structure(let fields) = p.binding {
                for fb in fields where fb.binding != "_" { destructure.append((fb.field, fs.declare(fb.binding))) }
            }
            let type = p.type.map(rtype)
            // Defaults are evaluated in an empty scope: they cannot see other parameters.
            let defaultNode = p.defaultValue.map { d -> Node in
                let saved = fs.blocks
                fs.blocks = [[:]]
                defer { fs.blocks = saved }
                return expression(d)
            }
            proto.params.append(ParamInfo(name: pname, variable: v, type: type, defaultValue: defaultNode,
                                          variadic: p.variadic, destructure: destructure, span: p.span))
        }
        proto.returnType = returnType.map(rtype)
        proto.isSimple = proto.params.allSatisfy { $0.defaultValue == nil && !$0.variadic && $0.destructure.isEmpty }
        proto.body = block(body)
        fs.finish()
        return proto
    }

    // MARK: types

    func rtype(_ t: TypeExpr) -> RType {
        switch t.kind {
        case .nullable(let inner): return .nullable(rtype(inner))
        case .tuple(let items): return .tuple(items.map(rtype))
        case .function: return .function
        case .structure(let fields): return .structure(fields.map { ($0.0, rtype($0.1)) })
        case .named(let name, let args):
            let a = args.map(rtype)
            switch name {
            case "int": return .int
            case "float": return .float
            case "str": return .str
            case "bool": return .bool
            case "none": return .none
            case "duration": return .duration
            case "datetime": return .datetime
            case "dynamic", "any", "Uuid", "Schedule", "Agent": return .any
            case "list": return .list(a.first ?? .any)
            case "set": return .set(a.first ?? .any)
            case "map": return .map(a.first ?? .any, a.count > 1 ? a[1] : .any)
            default:
                if generics.contains(name) { return .any }
                if let info = unit.type(name) { return .named(info) }
                error("unknown type `\(name)`", t.span)
                return .any
            }
        }
    }
}
