/// Turns source bytes into tokens, then drops the newlines that do not end a statement.
package struct Lexer {
    let file: SourceFile
    let bytes: [UInt8]
    var pos: Int
    let end: Int
    var tokens: [Token] = []
    package private(set) var diagnostics: [Diagnostic] = []

    /// Lexes `file`, or only the byte range `range` of it (used for `{expr}` slots in strings).
    package init(file: SourceFile, range: Range<Int>? = nil) {
        self.file = file
        self.bytes = file.bytes
        self.pos = range?.lowerBound ?? 0
        self.end = range?.upperBound ?? file.bytes.count
        // A UTF-8 byte order mark at the start of a file is not source (editors on Windows write one).
        if range == nil, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { pos = 3 }
    }

    package mutating func tokenize() -> [Token] {
        while pos < end { scanToken() }
        tokens.append(Token(.eof, Span(end, end), ""))
        return Lexer.dropSoftNewlines(tokens)
    }

    private func peek(_ ahead: Int = 0) -> UInt8 { pos + ahead < end ? bytes[pos + ahead] : 0 }

    private mutating func error(_ message: String, _ span: Span, incomplete: Bool = false) {
        diagnostics.append(Diagnostic(message, at: span, in: file, incomplete: incomplete))
    }

    private mutating func add(_ kind: TokenKind, _ start: Int) {
        let span = Span(start, pos)
        tokens.append(Token(kind, span, file.slice(span)))
    }

    private mutating func scanToken() {
        let start = pos
        let c = bytes[pos]
        pos += 1
        switch c {
        case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"): return
        case UInt8(ascii: "\n"): add(.newline, start)
        case UInt8(ascii: "#"):
            while pos < end, bytes[pos] != UInt8(ascii: "\n") { pos += 1 }
        case UInt8(ascii: "\""): scanString(start)
        case UInt8(ascii: "0")...UInt8(ascii: "9"): scanNumber(start)
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "_"):
            while pos < end, isIdentByte(bytes[pos]) { pos += 1 }
            let text = file.slice(Span(start, pos))
            add(TokenKind.keywords[text] ?? .identifier, start)
        default:
            if let kind = scanPunctuation(c) { add(kind, start); return }
            // Consume a whole UTF-8 scalar so the caret covers one character.
            while pos < end, bytes[pos] & 0xC0 == 0x80 { pos += 1 }
            error("unexpected character '\(file.slice(Span(start, pos)))' in source", Span(start, pos))
        }
    }

    private func isIdentByte(_ b: UInt8) -> Bool {
        (b >= 97 && b <= 122) || (b >= 65 && b <= 90) || (b >= 48 && b <= 57) || b == 95
    }

    private mutating func match(_ ch: Character) -> Bool {
        if pos < end, bytes[pos] == ch.asciiValue! { pos += 1; return true }
        return false
    }

    private mutating func scanPunctuation(_ c: UInt8) -> TokenKind? {
        switch Character(UnicodeScalar(c)) {
        case "{": return .lbrace
        case "}": return .rbrace
        case "[": return .lbracket
        case "]": return .rbracket
        case "(": return .lparen
        case ")": return .rparen
        case ",": return .comma
        case ":": return .colon
        case "@": return .at
        case ".":
            if match(".") { return match(".") ? .ellipsis : .dotDot }
            return .dot
        case "=": return match("=") ? .eq : match(">") ? .fatArrow : .assign
        case "!": return match("=") ? .neq : .bang
        case "<": return match("=") ? .le : .lt
        case ">": return match("=") ? .ge : .gt
        case "+": return match("=") ? .plusAssign : .plus
        case "-": return match("=") ? .minusAssign : match(">") ? .arrow : .minus
        case "*": return match("=") ? .starAssign : .star
        case "/": return match("=") ? .slashAssign : .slash
        case "%": return match("=") ? .percentAssign : .percent
        case "|": return match(">") ? .pipe : .bar
        case "?": return match("?") ? .questionQuestion : match(".") ? .questionDot : .question
        default: return nil
        }
    }

    private mutating func scanNumber(_ start: Int) {
        while pos < end, bytes[pos] >= 48, bytes[pos] <= 57 { pos += 1 }
        // A float needs digits on both sides of the point; `1..5` and `5.minutes` stay ints.
        if peek() == UInt8(ascii: "."), peek(1) >= 48, peek(1) <= 57 {
            pos += 1
            while pos < end, bytes[pos] >= 48, bytes[pos] <= 57 { pos += 1 }
            add(.float, start)
        } else {
            add(.int, start)
        }
    }

    // MARK: strings

    private mutating func scanString(_ start: Int) {
        let triple = peek() == UInt8(ascii: "\"") && peek(1) == UInt8(ascii: "\"")
        if triple { pos += 2 }
        var pieces: [StringPiece] = []
        var text: [UInt8] = []
        func flush() {
            if !text.isEmpty { pieces.append(.text(String(decoding: text, as: UTF8.self))); text.removeAll() }
        }
        while true {
            guard pos < end else {
                // A plain string may span lines (as in Keel), so the error points at where it opened.
                error("unterminated string: no closing quote for the string that opens here", Span(start, min(start + 1, end)), incomplete: true)
                // The string still ends here, so the parser reports nothing more about it.
                flush()
                tokens.append(Token(.string, Span(start, pos), file.slice(Span(start, pos)), pieces: pieces))
                return
            }
            let c = bytes[pos]
            if c == UInt8(ascii: "\"") {
                if !triple { pos += 1; break }
                if peek(1) == UInt8(ascii: "\""), peek(2) == UInt8(ascii: "\"") { pos += 3; break }
                text.append(c); pos += 1
            } else if c == UInt8(ascii: "\\") {
                let escStart = pos
                pos += 1
                guard pos < end else { continue }
                let e = bytes[pos]
                pos += 1
                switch e {
                case UInt8(ascii: "n"): text.append(10)
                case UInt8(ascii: "t"): text.append(9)
                case UInt8(ascii: "r"): text.append(13)
                case UInt8(ascii: "\\"), UInt8(ascii: "\""), UInt8(ascii: "{"), UInt8(ascii: "}"): text.append(e)
                default:
                    while pos < end, bytes[pos] & 0xC0 == 0x80 { pos += 1 }
                    error("unknown escape '\(file.slice(Span(escStart, pos)))' (known: \\n \\t \\r \\\\ \\\" \\{ \\})", Span(escStart, pos))
                }
            } else if c == UInt8(ascii: "{") {
                flush()
                let slotStart = pos + 1
                guard let (close, colon) = scanSlot(from: slotStart) else {
                    error("unclosed '{' in string interpolation", Span(pos, pos + 1), incomplete: true)
                    pos = end
                    return
                }
                if let colon {
                    let spec = file.slice(Span(colon + 1, close))
                    pieces.append(.slot(Span(slotStart, colon), format: spec))
                } else {
                    pieces.append(.slot(Span(slotStart, close), format: nil))
                }
                if (colon ?? close) == slotStart { error("empty interpolation slot", Span(pos, close + 1)) }
                pos = close + 1
            } else {
                text.append(c); pos += 1
            }
        }
        flush()
        let span = Span(start, pos)
        tokens.append(Token(.string, span, file.slice(span), pieces: pieces))
    }

    /// Finds the `}` closing a slot that starts at `from`, skipping nested braces and strings.
    /// Also returns the first `:` at nesting depth 0 (the start of a format spec).
    private func scanSlot(from: Int) -> (close: Int, colon: Int?)? {
        var i = from, depth = 0
        var colon: Int?
        while i < end {
            switch bytes[i] {
            case UInt8(ascii: "{"), UInt8(ascii: "("), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: ")"), UInt8(ascii: "]"): depth -= 1
            case UInt8(ascii: "}"):
                if depth == 0 { return (i, colon) }
                depth -= 1
            case UInt8(ascii: ":") where depth == 0 && colon == nil: colon = i
            case UInt8(ascii: "\n"): return nil
            case UInt8(ascii: "\""):
                guard let after = skipNestedString(from: i + 1) else { return nil }
                i = after
                continue
            default: break
            }
            i += 1
        }
        return nil
    }

    /// Skips a one-line string that starts after its opening quote; returns the index after its close.
    private func skipNestedString(from: Int) -> Int? {
        var i = from
        while i < end {
            switch bytes[i] {
            case UInt8(ascii: "\""): return i + 1
            case UInt8(ascii: "\\"): i += 2; continue
            case UInt8(ascii: "\n"): return nil
            case UInt8(ascii: "{"):
                guard let (close, _) = scanSlot(from: i + 1) else { return nil }
                i = close + 1; continue
            default: i += 1
            }
        }
        return nil
    }

    // MARK: newline normalisation

    /// Newlines after these tokens do not end a statement (the line continues).
    package static let continuesAfter: Set<TokenKind> = [
        .lbrace, .lbracket, .lparen, .comma, .assign, .plusAssign, .minusAssign, .starAssign,
        .slashAssign, .percentAssign, .fatArrow, .arrow, .pipe, .plus, .minus, .star, .slash, .percent,
        .eq, .neq, .lt, .gt, .le, .ge, .questionQuestion, .kwAnd, .kwOr, .bar, .colon, .dot,
        .questionDot, .dotDot, .kwIn, .kwAs, .kwWhere, .kwFrom, .at, .newline,
    ]
    /// Newlines before these tokens do not end a statement.
    static let continuesBefore: Set<TokenKind> = [
        .rbrace, .rbracket, .rparen, .kwElse, .kwCatch, .fatArrow, .pipe, .questionQuestion, .bar,
        .dot, .questionDot, .eof,
    ]

    static func dropSoftNewlines(_ tokens: [Token]) -> [Token] {
        var out: [Token] = []
        out.reserveCapacity(tokens.count)
        for (i, token) in tokens.enumerated() {
            if token.kind == .newline {
                if out.isEmpty { continue }
                if continuesAfter.contains(out[out.count - 1].kind) { continue }
                // Look past further newlines for the next real token.
                var j = i + 1
                while j < tokens.count, tokens[j].kind == .newline { j += 1 }
                if j < tokens.count, continuesBefore.contains(tokens[j].kind) { continue }
            }
            out.append(token)
        }
        return out
    }
}
