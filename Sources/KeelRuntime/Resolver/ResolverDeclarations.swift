import KeelSyntax

extension Resolver {
    /// Compiles a file: declarations are bound first (so order does not matter between them),
    /// then the top-level statements become the body of the implicit main.
    func compile(_ program: Program, runStatements: Bool) -> BlockNode {
        collectGlobals(program.statements)
        collectKnownTasks(program.statements)
        for s in program.statements {
            if case .use(let u) = s.kind { use(u) }
        }
        declareTypes(program.statements)
        for s in program.statements {
            switch s.kind {
            case .task(let decl):
                let proto = function(name: decl.name, isLambda: false, params: decl.params, returnType: decl.returnType,
                                     body: decl.body ?? Block([], decl.span), span: decl.nameSpan, parent: nil,
                                     generics: decl.generics)
                unit.define(decl.name, .function(Function(proto: proto, upvalues: [], selfValue: .undefined)))
            case .impl(let decl): impl(decl)
            case .interface(let name, _):
                unit.define(name, .type(TypeInfo(name: name, shape: .builtin)))
            case .agent(let decl):
                unit.define(decl.name, .agent(compileAgent(decl)))
            default: break
            }
        }
        compileTests(program.statements)
        let statements = runStatements ? program.statements : []
        let body = BlockNode(statements.map(statement), lastIsValue: isValueStatement(statements.last), .none)
        return body
    }

    /// `test "name" [for x in values] { body }`: each becomes a task the test runner calls.
    func compileTests(_ statements: [Stmt]) {
        for s in statements {
            guard case .test(let name, let loop, let body) = s.kind else { continue }
            let params = loop.map { [Param(binding: .name($0.variable), type: nil, defaultValue: nil, variadic: false, span: s.span)] } ?? []
            let proto = function(name: "test " + JSON.quote(name), isLambda: false, params: params, returnType: nil,
                                 body: body, span: s.span, parent: nil)
            var values: FunctionProto?
            if let loop {
                values = function(name: "test " + JSON.quote(name) + " values", isLambda: false, params: [], returnType: nil,
                                  body: Block([Stmt(.expr(loop.values), loop.values.span)], loop.values.span), span: s.span, parent: nil)
            }
            unit.addTest(TestCase(name: name, body: proto, values: values))
        }
    }

    /// Tasks declared once at the top level and never assigned: their calls can be checked.
    func collectKnownTasks(_ statements: [Stmt]) {
        var declared: [String: TaskDecl] = [:]
        var rebound = Set<String>()
        for s in statements {
            switch s.kind {
            case .task(let d):
                if declared[d.name] != nil { rebound.insert(d.name) }
                declared[d.name] = d
            case .assign(.name(let n, _), _, _): rebound.insert(n)
            default: break
            }
        }
        knownTasks = declared.filter { !rebound.contains($0.key) }
    }

    /// Names a file binds at its top level: declarations, and assignments outside any block
    /// (inside top-level `if` and `try` bodies too, which open no block).
    func collectGlobals(_ statements: [Stmt]) {
        func visit(_ s: Stmt) {
            switch s.kind {
            case .task(let d): globalNames.insert(d.name)
            case .type(let d): globalNames.insert(d.name)
            case .agent(let d): globalNames.insert(d.name)
            case .interface(let name, _): globalNames.insert(name)
            case .use(let u):
                if u.symbols.isEmpty {
                    globalNames.insert(u.alias ?? useName(u.source))
                } else {
                    for sym in u.symbols { globalNames.insert(sym.alias ?? sym.name) }
                }
            case .assign(.name(let n, _), _, _): globalNames.insert(n)
            case .assign(.structure(let fields), _, _): for f in fields { globalNames.insert(f.binding) }
            case .assign(.tuple(let names), _, _): for n in names { globalNames.insert(n.0) }
            case .expr(let e):
                switch e.kind {
                case .ifElse(_, let then, let otherwise):
                    then.statements.forEach(visit)
                    otherwise?.statements.forEach(visit)
                case .tryCatch(let body, _): body.statements.forEach(visit)
                default: break
                }
            default: break
            }
        }
        statements.forEach(visit)
    }

    func useName(_ source: UseDecl.Source) -> String {
        switch source {
        case .std(let n), .host(let n): return n
        case .file(let path):
            let base = path.split(separator: "/").last.map(String.init) ?? path
            return base.hasSuffix(".keel") ? String(base.dropLast(5)) : base
        }
    }

    /// Declares every type first (so types may refer to each other), then resolves their fields.
    func declareTypes(_ statements: [Stmt]) {
        var pending: [(TypeInfo, TypeDecl)] = []
        for s in statements {
            guard case .type(let decl) = s.kind else { continue }
            if let existing = unit.type(decl.name), case .builtin = existing.shape {
                error("`\(decl.name)` is a built-in type and cannot be redeclared", decl.span)
                continue
            }
            let info = TypeInfo(name: decl.name, shape: .builtin)
            unit.declareType(decl.name, info)
            unit.define(decl.name, .type(info))
            pending.append((info, decl))
        }
        for (info, decl) in pending {
            let saved = generics
            generics.formUnion(decl.generics)
            defer { generics = saved }
            switch decl.body {
            case .structure(let fields): info.shape = .structure(fields.map { ($0.0, rtype($0.1)) })
            case .alias(let t): info.shape = .alias(rtype(t))
            case .enumeration(let variants):
                var seen = Set<String>()
                for v in variants where !seen.insert(v.0).inserted { error("duplicate variant `\(v.0)` in \(decl.name)", decl.span) }
                info.shape = .enumeration(variants.map { ($0.0, $0.1.map { fs in fs.map { ($0.0, rtype($0.1)) } }) })
            }
        }
        // An alias that comes back to itself without going through a collection or a struct
        // (`type A = B`, `type B = A?`) names no type: checking a value against it would never end.
        for (info, decl) in pending {
            guard case .alias(let t) = info.shape else { continue }
            var chain = [decl.name]
            if let cycle = aliasCycle(t, back: info, chain: &chain) {
                error("type alias `\(decl.name)` refers to itself (\(cycle.joined(separator: " = "))): an alias must name another type", decl.span)
                info.shape = .alias(.any)
            }
        }
    }

    /// The names on the way when `t` leads back to `target` through aliases and `?` only.
    private func aliasCycle(_ t: RType, back target: TypeInfo, chain: inout [String]) -> [String]? {
        switch t {
        case .nullable(let inner): return aliasCycle(inner, back: target, chain: &chain)
        case .named(let info):
            if info === target { return chain + [info.name] }
            guard case .alias(let next) = info.shape, !chain.contains(info.name) else { return nil }
            chain.append(info.name)
            defer { chain.removeLast() }
            return aliasCycle(next, back: target, chain: &chain)
        default: return nil
        }
    }

    func impl(_ decl: ImplDecl) {
        guard unit.type(decl.typeName) != nil else {
            error("unknown type `\(decl.typeName)` in impl", decl.span)
            return
        }
        for t in decl.tasks {
            let proto = function(name: "\(decl.typeName).\(t.name)", isLambda: false, params: t.params, returnType: t.returnType,
                                 body: t.body ?? Block([], t.span), span: t.nameSpan, parent: nil, generics: t.generics)
            unit.addImpl(type: decl.typeName, name: t.name, Function(proto: proto, upvalues: [], selfValue: .undefined))
        }
    }

    func use(_ u: UseDecl) {
        let module: Value
        switch u.source {
        case .std(let name):
            switch interpreter.stdModule(name) {
            case .success(let m): module = .module(m)
            case .failure(let message):
                error(message.description, u.span)
                return
            }
        case .host(let name):
            guard let m = interpreter.hostModules[name] else {
                let known = interpreter.hostModules.keys.sorted()
                error("unknown host module `host/\(name)`" + (known.isEmpty ? " (this program's host registered none)" : " (registered: \(known.joined(separator: ", ")))"), u.span)
                return
            }
            module = .module(m)
        case .file(let path):
            switch interpreter.loadFileModule(path, from: file, into: unit) {
            case .success(let m): module = .module(m)
            case .failure(let message):
                error(message.description, u.span)
                return
            }
        }
        if u.symbols.isEmpty {
            unit.define(u.alias ?? useName(u.source), module)
            return
        }
        guard case .module(let m) = module else { return }
        for sym in u.symbols {
            guard let v = m.member(sym.name) else {
                error("`\(sym.name)` is not exported by \(m.name)", sym.span)
                continue
            }
            unit.define(sym.alias ?? sym.name, v)
            if case .type(let info) = v { unit.declareType(sym.alias ?? sym.name, info) }
        }
    }
}
