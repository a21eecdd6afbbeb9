/// A problem found in a program, tied to the place where it happened.
package struct Diagnostic: Error, CustomStringConvertible, Sendable {
    package enum Severity: String, Sendable { case error, warning, note }
    package var severity: Severity
    package var message: String
    package var span: Span
    package var file: SourceFile?
    /// The text ended where more was needed (an open bracket or string, a dangling operator): a
    /// REPL asks for another line instead of reporting it.
    package var incomplete = false

    package init(_ message: String, at span: Span, in file: SourceFile?, severity: Severity = .error, incomplete: Bool = false) {
        self.message = message
        self.span = span
        self.file = file
        self.severity = severity
        self.incomplete = incomplete
    }

    package var description: String { render(color: false) }

    /// The longest line a diagnostic quotes whole.
    static let maxShown = 200

    /// `file:line:col: error: message`, the source line, and a caret under the span.
    package func render(color: Bool) -> String {
        guard let file else { return "\(severity.rawValue): \(message)" }
        let (line, col) = file.location(of: span.start)
        let red = color ? "\u{1B}[1;31m" : "", bold = color ? "\u{1B}[1m" : "", reset = color ? "\u{1B}[0m" : ""
        var out = "\(bold)\(file.path):\(line):\(col):\(reset) \(red)\(severity.rawValue):\(reset) \(bold)\(message)\(reset)\n"
        let full = file.lineText(line)
        let gutter = String(line)
        // Underline to the end of the span, but never past the end of this line.
        let endLoc = file.location(of: max(span.start, span.end))
        let endCol = endLoc.line == line ? endLoc.column : full.count + 1
        var width = max(1, min(endCol, full.count + 1) - col)
        // A very long line (minified data, a generated file) is shown as a window around the caret.
        var text = full, caret = col
        if full.count > Diagnostic.maxShown {
            let from = max(0, col - 1 - Diagnostic.maxShown / 2), to = min(full.count, from + Diagnostic.maxShown)
            let chars = Array(full)
            text = (from > 0 ? "…" : "") + String(chars[from..<to]) + (to < full.count ? "…" : "")
            caret = col - from + (from > 0 ? 1 : 0)
            width = min(width, to - (col - 1) + 1)
        }
        out += " \(gutter) | \(text)\n"
        let pad = String(repeating: " ", count: gutter.count)
        let lead = String(text.prefix(caret - 1).map { $0 == "\t" ? "\t" : " " })
        out += " \(pad) | \(lead)\(red)^\(String(repeating: "~", count: width - 1))\(reset)"
        return out
    }
}

/// Several diagnostics, reported together (a parse reports every error it recovers from).
package struct DiagnosticList: Error, Sendable, CustomStringConvertible {
    package var diagnostics: [Diagnostic]
    package init(_ diagnostics: [Diagnostic]) { self.diagnostics = diagnostics }
    package var description: String { diagnostics.map { $0.render(color: false) }.joined(separator: "\n") }
}
