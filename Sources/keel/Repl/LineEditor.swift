import CLibEdit
import Foundation

/// What reading one input line gave.
enum ReplLine {
    case line(String)
    /// Ctrl-C while typing: the line (and any unfinished multi-line input) is dropped.
    case cancelled
    /// Ctrl-D on an empty line, or the end of standard input.
    case end
}

/// Line editing on a terminal through libedit: emacs keys, history kept in a file across runs,
/// Tab completion, Ctrl-C to drop the line. Characters come through our own reader, which also
/// watches a wake-up pipe: output from agents is printed above the prompt and the line redrawn.
final class LineEditor {
    /// The editor the C callbacks reach (libedit's callbacks carry no context of ours).
    nonisolated(unsafe) static var current: LineEditor?

    private let el: OpaquePointer
    private let history: OpaquePointer
    private let historyPath: String?
    private let console: ReplConsole
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private var promptText: UnsafeMutablePointer<CChar>?
    private var lineCancelled = false
    private let flags = NSLock()
    private var cancelRequested = false
    private var resized = false
    /// Candidates for the word before the cursor, given the unfinished input so far.
    var complete: (_ word: String, _ pending: String) -> [String] = { _, _ in [] }
    /// Candidates for a file path (after `:load `).
    var completePath: (_ prefix: String) -> [String] = { _ in [] }
    /// The lines of an unfinished multi-line input (for completion).
    var pending = ""

    /// How many entries the history file keeps.
    static let historySize: Int32 = 1000

    init(console: ReplConsole, historyPath: String?) {
        self.console = console
        self.historyPath = historyPath
        var fds: [Int32] = [0, 0]
        _ = pipe(&fds)
        wakeRead = fds[0]
        wakeWrite = fds[1]
        _ = fcntl(wakeRead, F_SETFL, fcntl(wakeRead, F_GETFL) | O_NONBLOCK)
        console.wakeFD = wakeWrite
        LineEditor.useUTF8Locale()
        el = el_init("keel", keel_stdin(), keel_stdout(), keel_stderr())
        history = history_init()
        keel_history_set_size(history, LineEditor.historySize)
        keel_history_set_unique(history, 1)
        if let historyPath { keel_history_load(history, historyPath) }
        keel_el_set_editor(el, "emacs")
        keel_el_set_history(el, history)
        keel_el_set_prompt(el) { _ in LineEditor.current?.promptText }
        keel_el_set_getc(el) { _, out in LineEditor.current?.readCharacter(out!) ?? 0 }
        keel_el_add_command(el, "keel-complete", "complete the word before the cursor") { _, _ in
            LineEditor.current?.completeWord() ?? UInt8(CC_ERROR)
        }
        keel_el_add_command(el, "keel-cancel", "drop the line being typed") { _, _ in
            LineEditor.current?.cancelLine() ?? UInt8(CC_ERROR)
        }
        keel_el_bind(el, "^I", "keel-complete")
        keel_el_bind(el, "^C", "keel-cancel")
        keel_el_keys_not_signals(el)
        keel_el_source_defaults(el)   // the user's ~/.editrc, if any
        LineEditor.current = self
    }

    deinit {
        el_end(el)
        history_end(history)
        close(wakeRead)
        close(wakeWrite)
        free(promptText)
    }

    /// libedit turns characters into bytes (and measures them on screen) by the C locale, which a
    /// Swift program leaves at "C": non-ASCII input would be lost. Use the user's locale if it is
    /// UTF-8, else C.UTF-8 (our reader decodes UTF-8 whatever the locale says).
    private static func useUTF8Locale() {
        let chosen = setlocale(LC_CTYPE, "").map { String(cString: $0) } ?? ""
        if !chosen.lowercased().replacingOccurrences(of: "-", with: "").contains("utf8") {
            _ = setlocale(LC_CTYPE, "C.UTF-8")
        }
    }

    /// Reads one line (without its newline), showing `prompt`.
    func readLine(prompt: String) -> ReplLine {
        free(promptText)
        promptText = strdup(prompt)
        lineCancelled = false
        console.beginEditing()
        var count: Int32 = 0
        let text = el_gets(el, &count)
        console.endEditing()
        if lineCancelled { return .cancelled }
        guard let text, count > 0 else { return .end }
        var line = String(cString: text)
        if line.hasSuffix("\n") { line.removeLast() }
        return .line(line)
    }

    /// Adds a line to the history and saves the file (so a crash loses nothing).
    func remember(_ line: String) {
        guard !line.trimmingCharacters(in: .whitespaces).isEmpty else { return }
        keel_history_enter(history, line)
        if let historyPath { keel_history_save(history, historyPath) }
    }

    /// From the SIGINT handler's thread: drop the line being typed.
    func requestCancel() { post { $0.cancelRequested = true } }

    /// From the SIGWINCH handler's thread: the terminal changed size.
    func requestResize() { post { $0.resized = true } }

    /// Sets a flag for the editing thread and wakes its reader.
    private func post(_ set: (LineEditor) -> Void) {
        flags.lock()
        set(self)
        flags.unlock()
        var byte: UInt8 = 1
        _ = write(wakeWrite, &byte, 1)
    }

    // MARK: libedit callbacks

    /// libedit's character reader: the next character typed, decoded from UTF-8. Meanwhile,
    /// prints queued output above the prompt and honours Ctrl-C from the signal handler.
    private func readCharacter(_ out: UnsafeMutablePointer<wchar_t>) -> Int32 {
        while true {
            let (cancel, resize) = takeFlags()
            if resize { el_resize(el) }
            if cancel {
                out.pointee = 3   // ^C, bound to keel-cancel
                return 1
            }
            let output = console.takeQueued()
            if !output.isEmpty { printAbovePrompt(output) }
            var fds = [pollfd(fd: 0, events: Int16(POLLIN), revents: 0), pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0)]
            if poll(&fds, 2, -1) < 0 {
                if errno == EINTR { continue }
                return -1
            }
            if fds[1].revents != 0 {
                var sink = [UInt8](repeating: 0, count: 64)
                while read(wakeRead, &sink, sink.count) > 0 {}
                continue
            }
            guard fds[0].revents != 0 else { continue }
            var byte: UInt8 = 0
            let n = read(0, &byte, 1)
            if n == 0 { return 0 }
            if n < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return -1
            }
            out.pointee = wchar_t(bitPattern: decodeUTF8(startingWith: byte))
            return 1
        }
    }

    private func takeFlags() -> (Bool, Bool) {
        flags.lock()
        defer { cancelRequested = false; resized = false; flags.unlock() }
        return (cancelRequested, resized)
    }

    private func decodeUTF8(startingWith first: UInt8) -> UInt32 {
        let extra = first >= 0xF0 ? 3 : first >= 0xE0 ? 2 : first >= 0xC0 ? 1 : 0
        var scalar = UInt32(first) & (extra == 3 ? 0x07 : extra == 2 ? 0x0F : extra == 1 ? 0x1F : 0x7F)
        for _ in 0..<extra {
            var b: UInt8 = 0
            guard read(0, &b, 1) == 1 else { break }
            scalar = (scalar << 6) | UInt32(b & 0x3F)
        }
        return scalar
    }

    /// Clears the line being edited, prints the text, and lets libedit redraw prompt and line.
    private func printAbovePrompt(_ output: [(fd: Int32, text: String)]) {
        ReplConsole.writeAll(1, "\r\u{1B}[K")
        for (fd, text) in output {
            ReplConsole.writeAll(fd, text.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n")
        }
        keel_el_refresh(el)
    }

    /// Tab: completes the word before the cursor as far as it is unambiguous, or lists the choices.
    private func completeWord() -> UInt8 {
        guard let info = el_line(el)?.pointee else { return UInt8(CC_ERROR) }
        let before = String(decoding: UnsafeRawBufferPointer(start: info.buffer, count: info.cursor - info.buffer), as: UTF8.self)
        // A REPL command (`:lo`) at the start of the line, or else a name or dotted path.
        let command = before.trimmingCharacters(in: .whitespaces)
        let word: String
        let candidates: [String]
        if command.hasPrefix(":load ") {
            word = String(command.dropFirst(6)).trimmingCharacters(in: .whitespaces)
            candidates = completePath(word)
        } else {
            word = command.hasPrefix(":") && !command.contains(" ") ? command
                : String(before.reversed().prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }.reversed())
            candidates = complete(word, pending)
        }
        guard let first = candidates.first else { return UInt8(CC_REFRESH_BEEP) }
        let common = candidates.dropFirst().reduce(first) { prefix, c in String(zip(prefix, c).prefix { $0 == $1 }.map(\.0)) }
        if common.count > word.count {
            el_insertstr(el, String(common.dropFirst(word.count)))
            return UInt8(CC_REFRESH)
        }
        if candidates.count == 1 { return UInt8(CC_REFRESH) }
        let shown = candidates.prefix(60).joined(separator: "  ") + (candidates.count > 60 ? "  ..." : "")
        ReplConsole.writeAll(1, "\r\n" + shown + "\r\n")
        return UInt8(CC_REDISPLAY)
    }

    /// Ctrl-C: end editing with the line marked as dropped.
    private func cancelLine() -> UInt8 {
        lineCancelled = true
        ReplConsole.writeAll(1, "^C")
        return UInt8(CC_NEWLINE)
    }
}
