import Foundation

/// The right to run Keel code. Exactly one thread holds it at a time: the event loop (turn 0) or
/// one fiber. Handing it over is explicit, so evaluation stays synchronous and deterministic while
/// a suspended handler keeps its own thread and stack.
final class Baton: @unchecked Sendable {
    let condition = NSCondition()
    private var turn = 0

    /// Gives the turn to `next` and blocks until the turn comes back to `me`.
    func hand(to next: Int, thenWaitAs me: Int) {
        condition.lock()
        turn = next
        condition.broadcast()
        while turn != me { condition.wait() }
        condition.unlock()
    }

    /// Gives the turn away without waiting (a fiber that finished its work).
    func release(to next: Int) {
        condition.lock()
        turn = next
        condition.broadcast()
        condition.unlock()
    }

    func wait(as me: Int) {
        condition.lock()
        while turn != me { condition.wait() }
        condition.unlock()
    }

    /// For the loop while idle: waits for the turn-independent `wake` flag or the deadline.
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

    func wake(_ body: () -> Void) {
        condition.lock()
        body()
        condition.broadcast()
        condition.unlock()
    }
}

/// A thread that runs Keel code (the main program, or one agent's event at a time) and can be
/// parked mid-evaluation when that code suspends. Fibers are pooled and reused.
final class Fiber: @unchecked Sendable {
    let id: Int
    private let baton: Baton
    private var work: (() -> Void)?
    /// The agent whose turn this fiber is running (for `self`, capabilities and schedules).
    var agent: AgentInfo?
    /// Interpreter state saved while the fiber is parked.
    var savedCallDepth = 0
    var finished = true
    private var thread: Thread?

    /// Stack size for evaluation: deep enough for the call-depth limit in a debug build.
    static let stackSize = 1 << 30

    init(id: Int, baton: Baton) {
        self.id = id
        self.baton = baton
    }

    /// Starts `body` on this fiber; the caller (the loop) blocks until the fiber yields or ends.
    func start(_ body: @escaping () -> Void) {
        work = body
        finished = false
        if thread == nil {
            let t = Thread { [unowned self] in self.main() }
            t.stackSize = Fiber.stackSize
            t.name = "keel-fiber-\(id)"
            thread = t
            t.start()
        }
        baton.hand(to: id, thenWaitAs: 0)
    }

    /// Continues a parked fiber; blocks until it yields again or ends.
    func resume() {
        baton.hand(to: id, thenWaitAs: 0)
    }

    /// Called on the fiber's own thread: parks it and gives the turn back to the loop.
    func park() {
        baton.hand(to: 0, thenWaitAs: id)
    }

    private func main() {
        while true {
            baton.wait(as: id)
            guard let body = work else {            // no work: the fiber is retired
                baton.release(to: 0)
                return
            }
            work = nil
            body()
            finished = true
            baton.release(to: 0)
        }
    }

    /// Ends an idle fiber's thread.
    func retire() {
        guard thread != nil else { return }
        work = nil
        baton.hand(to: id, thenWaitAs: 0)   // the thread wakes, finds no work, hands back and exits
        thread = nil
    }
}
