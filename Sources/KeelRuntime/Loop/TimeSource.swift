import Foundation

/// Where the runtime reads time. Deadlines use `monotonicNow` (nanoseconds, never jumps back);
/// datetimes use `wallNow` (nanoseconds since the Unix epoch, UTC).
package protocol TimeSource: AnyObject {
    var monotonicNow: Int64 { get }
    var wallNow: Int64 { get }
    /// True for a clock that the event loop moves itself (it never waits for real time).
    var isVirtual: Bool { get }
    /// Moves a virtual clock forward to `monotonic` (never backwards). Real clocks ignore it.
    func advance(to monotonic: Int64)
    /// Work done costs a virtual clock time (see `VirtualTime.stepCost`). Real clocks ignore it.
    func charge(_ ns: Int64)
}

/// The machine's clocks: `CLOCK_MONOTONIC` for intervals, `CLOCK_REALTIME` for datetimes.
package final class RealTime: TimeSource {
    package init() {}
    package var monotonicNow: Int64 { RealTime.read(CLOCK_MONOTONIC) }
    package var wallNow: Int64 { RealTime.read(CLOCK_REALTIME) }
    package var isVirtual: Bool { false }
    package func advance(to monotonic: Int64) {}
    package func charge(_ ns: Int64) {}

    static func read(_ clock: clockid_t) -> Int64 {
        var ts = timespec()
        clock_gettime(clock, &ts)
        return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
    }
}

/// A clock that only moves when told to. Monotonic and wall time are the same line, starting at
/// `start` (nanoseconds since the epoch), so a run on it is the same every time.
package final class VirtualTime: TimeSource {
    private var now: Int64
    package init(start: Int64) { now = start }
    package var monotonicNow: Int64 { now }
    package var wallNow: Int64 { now }
    package var isVirtual: Bool { true }
    package func advance(to monotonic: Int64) {
        if monotonic > now {
            now = monotonic
            free = VirtualTime.freePerInstant
        }
    }
    package func charge(_ ns: Int64) {
        if free >= ns {
            free -= ns
        } else {
            now = now.saturatingAdd(ns - free)
            free = 0
        }
    }

    /// What work costs on the virtual clock, so that a busy loop or an endless exchange of
    /// messages at one instant still moves time (a time limit, `timeout:` or `--until` ends it):
    /// every 1,024 steps of Keel code (calls, loop iterations, elements of a long native
    /// operation) cost 10 µs, and every turn 1 µs. The first 10 ms of cost at each instant are
    /// free (about a million steps, or ten thousand turns), so an ordinary program's times stay
    /// exact. Fixed costs, not measured ones: a run is the same every time.
    package static let stepsCost: Int64 = 10_000
    package static let turnCost: Int64 = 1_000
    package static let freePerInstant: Int64 = 10_000_000
    /// Cost still free at this instant.
    private var free = VirtualTime.freePerInstant
    /// How far past `--until` busy work may take the clock before the run ends.
    package static let untilGrace: Int64 = 1_000_000
}
