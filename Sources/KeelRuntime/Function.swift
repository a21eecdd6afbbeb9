import KeelSyntax

/// Where a closure finds a captured variable when it is created: a boxed local of the enclosing
/// frame, or one of the enclosing closure's own captures.
enum CaptureSource {
    case local(VarInfo)
    case upvalue(Int)
}

/// A parameter after resolution.
struct ParamInfo {
    let name: String
    let variable: VarInfo
    let type: RType?
    let defaultValue: Node?
    let variadic: Bool
    /// For `{a, b}: T` parameters: the fields to unpack and where they go.
    let destructure: [(field: String, variable: VarInfo)]
    let span: Span
}

/// The compiled form of a task or lambda, shared by every closure made from it.
public final class FunctionProto {
    let name: String
    let isLambda: Bool
    var params: [ParamInfo] = []
    var returnType: RType?
    var body: Node = ConstNode(.none, .none)
    var localCount = 0
    /// Slots of captured variables declared at the function's top level: boxed when a frame starts.
    var frameBoxes: [Int] = []
    /// Whether any local (at any block depth) is captured, so frames need a box array.
    var hasBoxes = false
    var captures: [CaptureSource] = []
    /// Parameters without defaults, `...` or unpacking: a plain call puts arguments straight into slots.
    var isSimple = true
    let file: SourceFile
    let span: Span

    init(name: String, isLambda: Bool, file: SourceFile, span: Span) {
        self.name = name
        self.isLambda = isLambda
        self.file = file
        self.span = span
    }
}

/// A task or lambda value: code plus the boxes it captured and the agent `self` it runs for.
public final class Function {
    let proto: FunctionProto
    let upvalues: [Box]
    let selfValue: Value
    init(proto: FunctionProto, upvalues: [Box], selfValue: Value) {
        self.proto = proto
        self.upvalues = upvalues
        self.selfValue = selfValue
    }
    public var name: String { proto.name }
}

/// One activation of a function: its local slots (and boxes for captured locals).
final class Frame {
    /// Raw storage: cheaper than an array for the one allocation every call makes.
    private(set) var slots: UnsafeMutablePointer<Value>
    private(set) var slotCount: Int
    var boxes: ContiguousArray<Box>
    let function: Function?
    let interpreter: Interpreter
    var returnValue: Value = .none
    /// Set by a statement-level `return`; blocks and loops stop when they see it.
    var returning = false
    let selfValue: Value

    static let unusedBox = Box()

    init(interpreter: Interpreter, function: Function?, localCount: Int, selfValue: Value) {
        self.interpreter = interpreter
        self.function = function
        self.selfValue = selfValue
        slotCount = localCount
        slots = UnsafeMutablePointer<Value>.allocate(capacity: max(1, localCount))
        slots.initialize(repeating: .undefined, count: localCount)
        if let proto = function?.proto, proto.hasBoxes {
            boxes = ContiguousArray(repeating: Frame.unusedBox, count: localCount)
            for s in proto.frameBoxes { boxes[s] = Box() }
        } else {
            boxes = []
        }
    }

    deinit {
        slots.deinitialize(count: slotCount)
        slots.deallocate()
    }

    /// Grows the frame (the REPL's top-level frame gains locals as input arrives).
    func ensureCapacity(_ count: Int) {
        if count > slotCount {
            let grown = UnsafeMutablePointer<Value>.allocate(capacity: count)
            grown.moveInitialize(from: slots, count: slotCount)
            (grown + slotCount).initialize(repeating: .undefined, count: count - slotCount)
            slots.deallocate()
            slots = grown
            slotCount = count
        }
        while boxes.count < count { boxes.append(Box()) }
    }
}
