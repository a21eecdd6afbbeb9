import CKeelSystem
import Foundation

/// The right to run Keel code. Exactly one participant holds it at a time (0 is the host that
/// drives the loop, others are fibers). Handing it over is explicit, so evaluation stays
/// synchronous and deterministic while a suspended turn keeps its frames.
///
/// Two ways to be a fiber, with the same hand-over:
/// - *Copying* (the default): all fibers run on one execution stack on the host's thread; a fiber
///   that hands over has its frames copied to the heap and back (`Sources/CKeelSystem/fibers.c`).
///   A parked turn costs the bytes of its frames.
///   The sanitizers are told of every switch, so they check this path too (the one that ships).
/// - *Threads* (with `KEEL_FIBERS=threads`): each fiber is a pooled thread with its own stack,
///   waiting at a gate of its own, so a hand-over wakes exactly the thread whose turn it is.
final class Baton: @unchecked Sendable {
    /// For what other threads post to the loop (signals, host jobs, completed outside work).
    let condition = NSCondition()

    /// Whether fibers are copied stacks (else threads), decided once per process.
    static let copyingFibers: Bool = {
        if let choice = ProcessInfo.processInfo.environment["KEEL_FIBERS"] {
            if choice == "threads" { return false }
            if choice != "copying" {
                FileHandle.standardError.write(Data("keel: KEEL_FIBERS must be `copying` or `threads`, not `\(choice)`; using copying\n".utf8))
            }
        }
        return keel_fibers_supported() != 0
    }()
    let copying = Baton.copyingFibers

    /// The copying fibers' execution stack (made at the first fiber) and the fibers by id.
    private var executionStack: OpaquePointer?
    private var copied: [Int: OpaquePointer] = [:]

    deinit {
        for f in copied.values { keel_fiber_destroy(f) }
        keel_fiber_stack_destroy(executionStack)
    }

    /// Registers a copying fiber that runs `body` when first handed the baton. False when its
    /// stack or record cannot be made.
    func addCopyingFiber(_ id: Int, _ body: @escaping () -> Void) -> Bool {
        if executionStack == nil {
            executionStack = keel_fiber_stack_create(UInt(Fiber.stackSize))
            if executionStack == nil { return false }
        }
        let entry = Unmanaged.passRetained(FiberEntry(body)).toOpaque()
        guard let f = keel_fiber_create({ argument in
            let entry = Unmanaged<FiberEntry>.fromOpaque(argument!).takeRetainedValue()
            entry.body()
        }, entry) else {
            Unmanaged<FiberEntry>.fromOpaque(entry).release()
            return false
        }
        copied[id] = f
        return true
    }

    private final class FiberEntry {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    private let gatesLock = NSLock()
    private var gates: [Int: Gate] = [:]

    /// A participant's gate: a condition and whether it has been opened.
    final class Gate: @unchecked Sendable {
        private let condition = NSCondition()
        private var open = false
        func pass() {
            condition.lock()
            open = true
            condition.unlock()
            condition.signal()   // after unlocking: the woken thread does not block on the lock
        }
        func wait() {
            condition.lock()
            while !open { condition.wait() }
            open = false
            condition.unlock()
        }
    }

    private func gate(_ id: Int) -> Gate {
        gatesLock.lock()
        defer { gatesLock.unlock() }
        if let g = gates[id] { return g }
        let g = Gate()
        gates[id] = g
        return g
    }

    /// Gives the turn to `next` and blocks until the turn comes back to `me`.
    func hand(to next: Int, thenWaitAs me: Int) {
        if copying {
            let target = next == 0 ? nil : copied[next]
            if me == 0 { keel_fiber_run(executionStack, target) } else { keel_fiber_switch(executionStack, copied[me], target) }
            return
        }
        let mine = gate(me)
        gate(next).pass()
        mine.wait()
    }

    /// Gives the turn away without waiting (a fiber that is about to end: with copying fibers,
    /// the hand-over happens when its body has returned).
    func release(to next: Int) {
        if copying {
            keel_fiber_exit_to(executionStack, next == 0 ? nil : copied[next])
            return
        }
        gate(next).pass()
    }

    func wait(as me: Int) {
        gate(me).wait()
    }

    /// For the loop while idle: waits until `wakeRequested` or the deadline.
    func sleepLoop(until deadline: Date?, wakeRequested: () -> Bool) {
        condition.lock()
        while !wakeRequested() {
            if let deadline {
                if !condition.wait(until: deadline) { break }
            } else {
                condition.wait()
            }
        }
        condition.unlock()
    }

    /// Runs `body` under the lock and wakes waiters (for other threads: signals, hosts).
    func wake(_ body: () -> Void) {
        condition.lock()
        body()
        condition.broadcast()
        condition.unlock()
    }

    func locked<T>(_ body: () -> T) -> T {
        condition.lock()
        defer { condition.unlock() }
        return body()
    }
}

/// A fiber runs the event loop, and the turns it dispatches, inline. Whichever fiber holds the
/// baton runs the loop. A turn that suspends parks its fiber (its frames and all) and hands the
/// loop to an idle fiber; when the turn is resumed, the fiber that resumes it goes idle, and the
/// resumed fiber finishes its turn and carries on running the loop. So a turn that never
/// suspends costs no switch at all.
final class Fiber: @unchecked Sendable {
    let id: Int
    /// The turn parked on this fiber.
    var turn = TurnContext.idle
    /// Counts park episodes, so that a wake-up meant for an earlier one is recognised as stale.
    var parkGeneration = 0
    var isParked = false
    /// Set by the loop when the host interrupts the parked job on this fiber.
    var interrupted = false

    /// Stack size for evaluation: deep enough for the call-depth limit in a debug build.
    static let stackSize = 1 << 30

    init(id: Int) { self.id = id }

    /// Starts the fiber on a pooled thread; it waits for the baton, then runs `body`.
    /// False when no thread could be made for it.
    func launch(baton: Baton, _ body: @escaping (Fiber) -> Void) -> Bool {
        if baton.copying { return baton.addCopyingFiber(id) { [self] in body(self) } }
        return WorkerThread.run { [self] in
            baton.wait(as: self.id)
            body(self)
        }
    }
}

/// Threads with large stacks, kept for reuse across fibers, runs and interpreters: making and
/// ending threads is slow, and ending thousands of them races inside the thread sanitizer.
///
/// Two kernel settings keep hand-overs cheap with thousands of parked fibers (measured in
/// `bench/schedule/run`, row "10,000 sleeping tasks"): the process's private futex hash is sized
/// for the threads (Linux gives a 2-CPU process 16 buckets, so every wake-up walked hundreds of
/// waiters), and every pooled thread is pinned to one CPU. Only the baton's holder runs, so the
/// fibers lose no parallelism; a wake-up then stays on the waker's CPU instead of costing an
/// inter-processor interrupt, which on a virtual machine is most of a hand-over.
package final class WorkerThread: @unchecked Sendable {
    private static let poolLock = NSLock()
    private static var idle: [WorkerThread] = []
    private static var threadCount = 0
    private static var futexHashSlots = 0
    /// The CPU every pooled thread runs on: the one the first thread was made from.
    private static var fiberCPU: Int32 = -1

    private let condition = NSCondition()
    private var job: (() -> Void)?
    private var whenIdle: (() -> Void)?

    /// Runs `job` on an idle pooled thread, or on a new one; false when no thread can be made
    /// (the system's limit on threads or memory maps is reached). `whenIdle` runs on that thread
    /// once it is back in the pool: a caller that waits for it and then runs another job finds
    /// the same thread idle instead of making a new one.
    @discardableResult
    static func run(_ job: @escaping () -> Void, whenIdle: (() -> Void)? = nil) -> Bool {
        poolLock.lock()
        let worker = idle.popLast()
        poolLock.unlock()
        if let worker {
            worker.condition.lock()
            worker.job = job
            worker.whenIdle = whenIdle
            worker.condition.signal()
            worker.condition.unlock()
            return true
        }
        let fresh = WorkerThread()
        fresh.job = job
        fresh.whenIdle = whenIdle
        poolLock.lock()
        threadCount += 1
        if fiberCPU < 0 { fiberCPU = keel_current_cpu() }
        if threadCount >= 256 && threadCount * 2 > futexHashSlots {
            // 16,384 buckets (a few hundred KiB of kernel memory) once there are many threads
            // (thread fibers), so that no rehash happens under load below 8,192 threads (ignored
            // where unsupported). Not before: the call takes tens of milliseconds, which a
            // process with a few threads (every `keel run`) should not pay at start-up.
            let slots = max(16384, 1 << (Int.bitWidth - (threadCount * 4 - 1).leadingZeroBitCount))
            futexHashSlots = keel_set_futex_hash_slots(UInt(slots)) == 0 ? slots : Int.max
        }
        poolLock.unlock()
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, Fiber.stackSize)
        pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
        var thread = pthread_t()
        let context = Unmanaged.passRetained(fresh).toOpaque()
        let made = pthread_create(&thread, &attributes, { context in
            Unmanaged<WorkerThread>.fromOpaque(context!).takeRetainedValue().main()
        }, context)
        if made != 0 {
            Unmanaged<WorkerThread>.fromOpaque(context).release()
            return false
        }
        return true
    }

    /// Pins the calling thread to the fibers' CPU (chosen now, from this thread's, when no fiber
    /// was made yet). For a thread that hands work to and from the fibers all the time, such as
    /// the PostgreSQL client's event loop: a wake-up on the same CPU costs no interrupt.
    package static func pinToFiberCPU() {
        poolLock.lock()
        if fiberCPU < 0 { fiberCPU = keel_current_cpu() }
        let cpu = fiberCPU
        poolLock.unlock()
        if cpu >= 0 { _ = keel_pin_thread_to_cpu(cpu) }
    }

    private func main() -> UnsafeMutableRawPointer? {
        WorkerThread.poolLock.lock()
        let cpu = WorkerThread.fiberCPU
        WorkerThread.poolLock.unlock()
        if cpu >= 0 { _ = keel_pin_thread_to_cpu(cpu) }
        while true {
            condition.lock()
            while job == nil { condition.wait() }
            let work = job!
            let then = whenIdle
            job = nil
            whenIdle = nil
            condition.unlock()
            work()
            WorkerThread.poolLock.lock()
            WorkerThread.idle.append(self)
            WorkerThread.poolLock.unlock()
            then?()
        }
    }
}

/// Unwinds a parked turn when the run ends. Not a Keel error: `try`/`catch` cannot catch it.
struct ShutdownSignal: Error {}
