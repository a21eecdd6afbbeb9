import KeelSyntax

/// A local variable found by the resolver. `captured` is set when a closure refers to it, which
/// makes it live in a box so the closure shares it.
final class VarInfo {
    let name: String
    let slot: Int
    var captured = false
    /// A local made by assigning a name a global has (`hs = ...` inside a task): reading it before
    /// the assignment gets a message saying why it is not the global.
    var shadowsGlobal = false
    init(name: String, slot: Int) { self.name = name; self.slot = slot }
}

/// The resolver's view of one task or lambda being compiled.
final class FunctionScope {
    let parent: FunctionScope?
    let proto: FunctionProto
    /// Innermost last. For the top-level program, names in the outermost block are globals.
    var blocks: [[String: VarInfo]] = [[:]]
    var blockDeclared: [[VarInfo]] = [[]]
    var upvalueNames: [String] = []
    var localAccesses: [LocalGet] = []
    var blockNodes: [(BlockNode, [VarInfo])] = []
    var allDeclared: [VarInfo] = []
    let isMain: Bool
    /// Inside an agent body, `self` is the agent; elsewhere a parameter may be named `self`.
    let inAgent: Bool

    init(parent: FunctionScope?, proto: FunctionProto, isMain: Bool, inAgent: Bool) {
        self.parent = parent
        self.proto = proto
        self.isMain = isMain
        self.inAgent = inAgent
    }

    func lookupLocal(_ name: String) -> VarInfo? {
        for block in blocks.reversed() { if let v = block[name] { return v } }
        return nil
    }

    func declare(_ name: String) -> VarInfo {
        let v = VarInfo(name: name, slot: proto.localCount)
        proto.localCount += 1
        blocks[blocks.count - 1][name] = v
        blockDeclared[blockDeclared.count - 1].append(v)
        allDeclared.append(v)
        return v
    }

    /// Resolves `name` to a capture of an enclosing function's local, adding it to this function's
    /// capture list (and, transitively, to every function in between).
    func upvalue(_ name: String) -> Int? {
        if let i = upvalueNames.firstIndex(of: name) { return i }
        guard let parent else { return nil }
        if let v = parent.lookupLocal(name) {
            v.captured = true
            proto.captures.append(.local(v))
        } else if let i = parent.upvalue(name) {
            proto.captures.append(.upvalue(i))
        } else {
            return nil
        }
        upvalueNames.append(name)
        return upvalueNames.count - 1
    }

    /// After the body is compiled: mark boxed accesses and tell blocks which boxes to renew.
    func finish() {
        for access in localAccesses { access.boxed = access.variable.captured; access.slot = access.variable.slot }
        for (node, declared) in blockNodes {
            node.declared = declared
            node.freshBoxes = declared.filter(\.captured).map(\.slot)
        }
        proto.frameBoxes = (blockDeclared.first ?? []).filter(\.captured).map(\.slot)
        proto.hasBoxes = proto.hasBoxes || allDeclared.contains(where: \.captured)
        proto.slotParams = ContiguousArray(proto.params.map {
            SlotParam(slot: $0.variable.slot, boxed: $0.variable.captured, check: QuickCheck($0.type))
        })
        proto.returnCheck = QuickCheck(proto.returnType)
    }
}
