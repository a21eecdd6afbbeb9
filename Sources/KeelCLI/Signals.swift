import Foundation

/// SIGINT, SIGTERM and SIGQUIT for the command. They are blocked in every thread from the first
/// line of `main` and taken by one thread with `sigwait`, so a signal is never lost (a signal
/// arriving before a handler is ready waits, pending) and never lands on an arbitrary thread.
/// Without a handler set, a signal ends the process at once with 128 + the signal.
package enum Signals {
    package static let handled: [Int32] = [SIGINT, SIGTERM, SIGQUIT]

    private final class Slot: @unchecked Sendable {
        let lock = NSLock()
        var handler: (@Sendable (Int32) -> Void)?
    }
    private static let slot = Slot()

    /// Blocks the signals in this thread (every thread made afterwards inherits that) and starts
    /// the thread that waits for them. Call it first in `main`, before any other thread exists.
    package static func install() {
        var set = sigset_t()
        sigemptyset(&set)
        for s in handled { sigaddset(&set, s) }
        pthread_sigmask(SIG_BLOCK, &set, nil)
        let waitedFor = set
        let watcher = Thread {
            var set = waitedFor
            while true {
                var sig: Int32 = 0
                guard sigwait(&set, &sig) == 0 else { continue }
                slot.lock.lock()
                let handler = slot.handler
                slot.lock.unlock()
                if let handler { handler(sig) } else { _exit(128 + sig) }
            }
        }
        watcher.name = "keel-signals"
        watcher.start()
    }

    /// What the next signals do (nil: end the process with 128 + the signal).
    package static func onSignal(_ handler: (@Sendable (Int32) -> Void)?) {
        slot.lock.lock()
        slot.handler = handler
        slot.lock.unlock()
    }
}
