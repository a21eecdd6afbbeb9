import Foundation

/// Where everything the REPL shows goes: values, diagnostics, and the output of agents that run
/// between inputs. While a line is being edited, text from the loop's threads is queued and the
/// editor is woken to print it above the prompt (then redraw the line); otherwise it is written
/// at once. Only raw `write(2)` calls are used, so the order on the terminal is the order of calls.
final class ReplConsole: @unchecked Sendable {
    private let lock = NSLock()
    private var editing = false
    private var queued: [(fd: Int32, text: String)] = []
    /// Written to (one byte) when text is queued, to wake the line editor's poll.
    var wakeFD: Int32 = -1

    /// One line of output (without its newline) for standard output (1) or standard error (2).
    func write(_ text: String, to fd: Int32 = 1) {
        lock.lock()
        defer { lock.unlock() }
        if editing {
            queued.append((fd, text))
            if wakeFD >= 0 {
                var byte: UInt8 = 1
                _ = Foundation.write(wakeFD, &byte, 1)
            }
        } else {
            ReplConsole.writeAll(fd, text + "\n")
        }
    }

    /// The editor owns the terminal from now on; output waits in the queue.
    func beginEditing() {
        lock.lock()
        editing = true
        lock.unlock()
    }

    /// The editor is done with the terminal: queued output is written now.
    func endEditing() {
        lock.lock()
        defer { lock.unlock() }
        editing = false
        for (fd, text) in queued { ReplConsole.writeAll(fd, text + "\n") }
        queued.removeAll()
    }

    /// For the editor: the output queued so far.
    func takeQueued() -> [(fd: Int32, text: String)] {
        lock.lock()
        defer { lock.unlock() }
        let q = queued
        queued.removeAll()
        return q
    }

    static func writeAll(_ fd: Int32, _ text: String) {
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n <= 0 {
                if errno == EINTR { continue }
                return
            }
            offset += n
        }
    }
}
