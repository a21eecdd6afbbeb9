/// The kinds of token the lexer produces.
package enum TokenKind: String, Sendable, CaseIterable {
    // Literals and names
    case identifier, int, float, string
    // Keywords
    case kwAgent = "agent", kwTask = "task", kwInterface = "interface", kwImpl = "impl"
    case kwType = "type", kwExtern = "extern", kwUse = "use", kwFrom = "from", kwState = "state"
    case kwOn = "on", kwSelf = "self", kwIf = "if", kwElse = "else", kwWhen = "when"
    case kwWhere = "where", kwFor = "for", kwWhile = "while", kwIn = "in", kwBreak = "break"
    case kwContinue = "continue", kwTry = "try", kwCatch = "catch", kwReturn = "return"
    case kwRaise = "raise", kwAs = "as", kwAnd = "and", kwOr = "or", kwNot = "not"
    case kwTrue = "true", kwFalse = "false", kwNone = "none", kwSet = "set"
    // Punctuation
    case lbrace = "{", rbrace = "}", lbracket = "[", rbracket = "]", lparen = "(", rparen = ")"
    case comma = ",", dot = ".", dotDot = "..", ellipsis = "...", colon = ":"
    case assign = "=", plusAssign = "+=", minusAssign = "-=", starAssign = "*=", slashAssign = "/="
    case percentAssign = "%="
    case eq = "==", neq = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case plus = "+", minus = "-", star = "*", slash = "/", percent = "%"
    case fatArrow = "=>", arrow = "->", pipe = "|>", bar = "|", question = "?"
    case questionQuestion = "??", questionDot = "?.", bang = "!", at = "@"
    case newline = "newline", eof = "end of file"

    static let keywords: [String: TokenKind] = {
        var map: [String: TokenKind] = [:]
        for kind in TokenKind.allCases where String(describing: kind).hasPrefix("kw") {
            map[kind.rawValue] = kind
        }
        return map
    }()

    /// Every keyword as written (for completion).
    package static var keywordSpellings: [String] { Array(keywords.keys) }

    package var isKeyword: Bool { String(describing: self).hasPrefix("kw") }
}

/// One piece of a string literal: literal text, or an interpolated `{expr}` slot.
package enum StringPiece: Equatable, Sendable {
    case text(String)
    /// The expression's source span, and the format spec after a top-level `:` if any.
    case slot(Span, format: String?)
}

package struct Token: Sendable {
    package var kind: TokenKind
    package var span: Span
    /// The source text of the token.
    package var lexeme: String
    /// For string tokens: the decoded pieces.
    package var pieces: [StringPiece] = []

    package init(_ kind: TokenKind, _ span: Span, _ lexeme: String, pieces: [StringPiece] = []) {
        self.kind = kind
        self.span = span
        self.lexeme = lexeme
        self.pieces = pieces
    }
}
