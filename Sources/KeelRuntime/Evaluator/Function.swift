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

/// A type check that needs no allocation or retain for the common scalar types; `full` defers to
/// the parameter's `RType`.
enum QuickCheck: UInt8 {
    case any, int, float, str, bool, duration, full

    init(_ type: RType?) {
        switch type {
        case nil, .any?: self = .any
        case .int?: self = .int
        case .float?: self = .float
        case .str?: self = .str
        case .bool?: self = .bool
        case .duration?: self = .duration
        default: self = .full
        }
    }

    /// The value, converted where a typed boundary converts (int → float), or nil if it does not fit.
    @inline(__always)
    func check(_ v: Value, _ full: RType?) -> Value? {
        switch self {
        case .any: return v
        case .int: if case .int = v { return v }; return nil
        case .str: if case .str = v { return v }; return nil
        case .bool: if case .bool = v { return v }; return nil
        case .duration: if case .duration = v { return v }; return nil
        case .float:
            if case .float = v { return v }
            if case .int(let i) = v { return .float(Double(i)) }
            return nil
        case .full: return full!.coerce(v)
        }
    }
}

/// Where a parameter lives in the frame, in a form that copies without reference counting.
struct SlotParam {
    let slot: Int
    let boxed: Bool
    let check: QuickCheck
}

/// The compiled form of a task or lambda, shared by every closure made from it.
package final class FunctionProto {
    let name: String
    let isLambda: Bool
    var params: [ParamInfo] = []
    var returnType: RType?
    var body: Node = ConstNode(.none, .none) { didSet { bodyRef = Unmanaged.passUnretained(body) } }
    /// `body` without a retain and release around every call (`body` keeps it alive).
    private(set) var bodyRef: Unmanaged<Node>
    var localCount = 0
    /// Slots of captured variables declared at the function's top level: boxed when a frame starts.
    var frameBoxes: [Int] = []
    /// Whether any local (at any block depth) is captured, so frames need a box array.
    var hasBoxes = false
    var captures: [CaptureSource] = []
    /// Parameters without defaults, `...` or unpacking: a plain call puts arguments straight into slots.
    var isSimple = true
    /// Per parameter: slot, boxing and type check (filled when the body is compiled).
    var slotParams: ContiguousArray<SlotParam> = []
    var returnCheck: QuickCheck = .any
    let file: SourceFile
    let span: Span

    init(name: String, isLambda: Bool, file: SourceFile, span: Span) {
        self.name = name
        self.isLambda = isLambda
        self.file = file
        self.span = span
        bodyRef = Unmanaged.passUnretained(body)
    }
}

/// A task or lambda value: code plus the boxes it captured and the agent `self` it runs for.
package final class Function {
    let proto: FunctionProto
    let upvalues: [Box]
    let selfValue: Value
    init(proto: FunctionProto, upvalues: [Box], selfValue: Value) {
        self.proto = proto
        self.upvalues = upvalues
        self.selfValue = selfValue
    }
    package var name: String { proto.name }
}

/// One activation of a function: its local slots (and boxes for captured locals).
/// Frames are recycled through the interpreter's pool: closures capture boxes, never frames, so a
/// frame is free again as soon as its call returns.
final class Frame {
    @exclusivity(unchecked) private(set) var slots: UnsafeMutablePointer<Value>
    @exclusivity(unchecked) private(set) var capacity: Int
    /// How many slots the current activation uses (all are `.undefined` when the frame is idle).
    @exclusivity(unchecked) private(set) var used: Int
    @exclusivity(unchecked) var boxes: ContiguousArray<Box> = []
    /// Unowned: whoever makes the call holds the function until it returns (the frame is only
    /// used meanwhile), so holding it here as well would only add a retain and release per call.
    private(set) unowned(unsafe) var function: Function?
    /// Frames live on the evaluating stack or in their interpreter's pool, never longer than the
    /// interpreter: no ownership here (a strong reference would be a cycle through the pool).
    unowned(unsafe) let interpreter: Interpreter
    @exclusivity(unchecked) var returnValue: Value = .none
    /// Set by a statement-level `return`; blocks and loops stop when they see it.
    @exclusivity(unchecked) var returning = false
    @exclusivity(unchecked) private(set) var selfValue: Value

    static let unusedBox = Box()

    init(interpreter: Interpreter, function: Function?, localCount: Int, selfValue: Value) {
        self.interpreter = interpreter
        capacity = max(8, localCount)
        slots = UnsafeMutablePointer<Value>.allocate(capacity: capacity)
        slots.initialize(repeating: .undefined, count: capacity)
        used = localCount
        self.function = function
        self.selfValue = selfValue
        setUpBoxes(localCount)
    }

    /// Prepares an idle pooled frame for a new call.
    @inline(__always)
    func reuse(function: Function, localCount: Int, selfValue: Value) {
        self.function = function
        // Most calls have no agent `self`: skip the enum's outlined copy (and `clear`'s destroy).
        if case .undefined = selfValue {} else { self.selfValue = selfValue }
        used = localCount
        returning = false
        setUpBoxes(localCount)
    }

    @inline(__always)
    private func setUpBoxes(_ localCount: Int) {
        if let proto = function?.proto, proto.hasBoxes {
            boxes = ContiguousArray(repeating: Frame.unusedBox, count: localCount)
            for s in proto.frameBoxes { boxes[s] = Box() }
        }
    }

    /// Drops this activation's values so the frame can go back to the pool.
    @inline(__always)
    func clear() {
        for i in 0..<used { slots[i] = .undefined }
        if !boxes.isEmpty { boxes.removeAll(keepingCapacity: true) }
        if case .none = returnValue {} else { returnValue = .none }
        function = nil
        if case .undefined = selfValue {} else { selfValue = .undefined }
    }

    /// The value a `return` left, moved out (no copy to retain and no later release).
    @inline(__always)
    func takeReturnValue() -> Value {
        var v = Value.none
        swap(&v, &returnValue)
        return v
    }

    deinit {
        slots.deinitialize(count: capacity)
        slots.deallocate()
    }

    /// Grows the frame (the REPL's top-level frame gains locals as input arrives).
    func ensureCapacity(_ count: Int) {
        if count > capacity {
            let grown = UnsafeMutablePointer<Value>.allocate(capacity: count)
            grown.moveInitialize(from: slots, count: capacity)
            (grown + capacity).initialize(repeating: .undefined, count: count - capacity)
            slots.deallocate()
            slots = grown
            capacity = count
        }
        used = max(used, count)
        while boxes.count < count { boxes.append(Box()) }
    }
}
