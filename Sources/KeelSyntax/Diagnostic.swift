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

    /// `file:line:col: error: message`, the source line, and a caret under the span.
    package func render(color: Bool) -> String {
        guard let file else { return "\(severity.rawValue): \(message)" }
        let (line, col) = file.location(of: span.start)
        let red = color ? "\u{1B}[1;31m" : "", bold = color ? "\u{1B}[1m" : "", reset = color ? "\u{1B}[0m" : ""
        var out = "\(bold)\(file.path):\(line):\(col):\(reset) \(red)\(severity.rawValue):\(reset) \(bold)\(message)\(reset)\n"
        let text = file.lineText(line)
        let gutter = String(line)
        out += " \(gutter) | \(text)\n"
        // Underline to the end of the span, but never past the end of this line.
        let endLoc = file.location(of: max(span.start, span.end))
        let lineLen = text.count
        let endCol = endLoc.line == line ? endLoc.column : lineLen + 1
        let width = max(1, min(endCol, lineLen + 1) - col)
        let pad = String(repeating: " ", count: gutter.count)
        let lead = String(text.prefix(col - 1).map { $0 == "\t" ? "\t" : " " })
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
