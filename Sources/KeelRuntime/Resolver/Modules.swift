import Foundation
import KeelSyntax

extension Interpreter {
    /// Compiles a program; its top-level statements become the body of the returned function.
    /// Nothing it declares reaches the interpreter unless the whole program compiles (see
    /// `CompileUnit`). Throws `DiagnosticList` listing every problem.
    func compile(_ program: Program, runStatements: Bool = true) throws -> Function {
        try compileUnit(program, runStatements: runStatements).main
    }

    /// Compiles a program and commits it; returns its main function and its test blocks.
    func compileUnit(_ program: Program, runStatements: Bool) throws -> (main: Function, tests: [TestCase]) {
        let file = program.file
        let main = FunctionProto(name: "<main>", isLambda: false, file: file, span: .none)
        let unit = CompileUnit(interpreter: self, table: globals)
        let resolver = Resolver(unit: unit, file: file, main: main)
        main.body = resolver.compile(program, runStatements: runStatements)
        resolver.fs.finish()
        if !resolver.diagnostics.isEmpty {
            throw DiagnosticList(resolver.diagnostics.sorted { $0.span.start < $1.span.start })
        }
        unit.commit()
        return (Function(proto: main, upvalues: [], selfValue: .undefined), unit.tests)
    }

    /// `use "./x.keel"`: the module, through the interpreter's module loader. Its top-level
    /// statements do not run.
    func loadFileModule(_ path: String, from importer: SourceFile, into unit: CompileUnit) -> Result<ModuleValue, ModuleError> {
        let key: String, text: String
        switch options.modules.load(path, importer: importer.path) {
        case .refused(let why): return .failure(ModuleError(why))
        case .found(let k, let t): (key, text) = (k, t)
        }
        if let m = unit.fileModule(key) { return .success(m) }
        if loadingModules.contains(key) {
            let chain = (loadingModules + [key]).map { URL(fileURLWithPath: $0).lastPathComponent }
            return .failure(ModuleError("circular import: \(chain.joined(separator: " → "))"))
        }
        loadingModules.append(key)
        defer { loadingModules.removeLast() }
        let file = SourceFile(path: key.hasPrefix("host:") ? path : key, text: text)
        let result = compileModule(file, name: file.path.split(separator: "/").last.map(String.init) ?? path, into: unit)
        if case .success(let m) = result { unit.addFileModule(key, m) }
        return result
    }

    /// Compiles a module's source: its declarations are bound, its top-level statements never run.
    /// Exports every top-level task, type, agent and interface. Its types and methods join
    /// `parent`'s unit (or the interpreter, for a std module's Keel part).
    func compileModule(_ file: SourceFile, name: String, into parent: CompileUnit? = nil) -> Result<ModuleValue, ModuleError> {
        do {
            let program = try Parser.parse(file)
            let table = GlobalTable()
            for (builtin, i) in globals.names where isBuiltinName(builtin) { table[slot: table.index(of: builtin)] = globals[slot: i] }
            let main = FunctionProto(name: "<module>", isLambda: false, file: file, span: .none)
            let unit = CompileUnit(interpreter: self, table: table, parent: parent)
            let resolver = Resolver(unit: unit, file: file, main: main)
            _ = resolver.compile(program, runStatements: false)
            if !resolver.diagnostics.isEmpty {
                return .failure(ModuleError(resolver.diagnostics.map { $0.render(color: false) }.joined(separator: "\n")))
            }
            unit.commit()
            var members: [String: Value] = [:]
            for s in program.statements {
                let exported: String?
                switch s.kind {
                case .task(let d): exported = d.name
                case .type(let d): exported = d.name
                case .agent(let d): exported = d.name
                case .interface(let n, _): exported = n
                default: exported = nil
                }
                if let exported, let v = table[exported] { members[exported] = v }
            }
            let module = ModuleValue(name: name, members: members)
            module.table = table
            return .success(module)
        } catch let list as DiagnosticList {
            return .failure(ModuleError(list.diagnostics.map { $0.render(color: false) }.joined(separator: "\n")))
        } catch {
            return .failure(ModuleError("cannot load module `\(name)`: \(error)"))
        }
    }
}
