import KeelSyntax

/// What compiling one source text adds: global slots and their declared values, types, `impl`
/// methods, test blocks, loaded file modules. Nothing reaches the interpreter until the whole
/// text has compiled without an error; then `commit` applies it all at once, so a failed compile
/// (a bad `:load` in the REPL) leaves no trace.
final class CompileUnit {
    unowned let interpreter: Interpreter
    /// The global table the text's top-level names live in (the interpreter's, or a module's own).
    let table: GlobalTable
    /// A module compiled while this unit compiles commits into it, not into the interpreter.
    let parent: CompileUnit?
    /// Names new to `table`, in the order their slots were handed out.
    private var newNames: [String] = []
    private var newSlots: [String: Int] = [:]
    /// Values the declarations give to global slots.
    private var values: [Int: Value] = [:]
    private var types: [String: TypeInfo] = [:]
    private var impls: [(type: String, name: String, function: Function)] = []
    private(set) var tests: [TestCase] = []
    private var fileModules: [String: ModuleValue] = [:]

    init(interpreter: Interpreter, table: GlobalTable, parent: CompileUnit? = nil) {
        self.interpreter = interpreter
        self.table = table
        self.parent = parent
    }

    /// The slot of a top-level name: its existing one, or one handed out now (made at commit).
    func slot(_ name: String) -> Int {
        if let i = table.names[name] { return i }
        if let i = newSlots[name] { return i }
        let i = table.count + newNames.count
        newNames.append(name)
        newSlots[name] = i
        return i
    }

    /// Gives a declared name its value.
    func define(_ name: String, _ value: Value) { values[slot(name)] = value }

    /// A global's value as this unit will leave it.
    func global(_ name: String) -> Value? {
        if let i = newSlots[name] ?? table.names[name], let v = values[i] { return v }
        return table[name]
    }

    func type(_ name: String) -> TypeInfo? { types[name] ?? parent?.type(name) ?? interpreter.types[name] }
    func declareType(_ name: String, _ info: TypeInfo) { types[name] = info }
    func addImpl(type: String, name: String, _ f: Function) { impls.append((type, name, f)) }
    func addTest(_ t: TestCase) { tests.append(t) }
    func fileModule(_ key: String) -> ModuleValue? { fileModules[key] ?? parent?.fileModule(key) ?? interpreter.fileModules[key] }
    func addFileModule(_ key: String, _ m: ModuleValue) { fileModules[key] = m }

    /// Applies everything: the table gets its new slots and values; types, methods and modules go
    /// to the parent unit, or to the interpreter. (Test blocks stay here, for `keel test`.)
    func commit() {
        for name in newNames { _ = table.index(of: name) }   // appended in order: the slots handed out
        for (i, v) in values { table[slot: i] = v }
        if let parent {
            parent.types.merge(types) { _, new in new }
            parent.impls += impls
            parent.fileModules.merge(fileModules) { _, new in new }
            return
        }
        interpreter.types.merge(types) { _, new in new }
        for (type, name, f) in impls { interpreter.impls[type, default: [:]][name] = f }
        interpreter.fileModules.merge(fileModules) { _, new in new }
    }
}
