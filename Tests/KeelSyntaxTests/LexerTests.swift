import KeelSyntax
import XCTest

final class LexerTests: XCTestCase {
    func kinds(_ text: String) -> [TokenKind] {
        var lexer = Lexer(file: SourceFile(path: "t.keel", text: text))
        return lexer.tokenize().map(\.kind)
    }

    func diagnostics(_ text: String) -> [String] {
        var lexer = Lexer(file: SourceFile(path: "t.keel", text: text))
        _ = lexer.tokenize()
        return lexer.diagnostics.map(\.message)
    }

    func testEveryKeywordLexesAsItsKind() {
        let words = ["agent", "task", "interface", "impl", "type", "extern", "use", "from", "state", "on", "self", "if",
                     "else", "when", "where", "for", "while", "in", "break", "continue", "try", "catch", "return",
                     "raise", "as", "and", "or", "not", "true", "false", "none", "set"]
        XCTAssertEqual(words.count, 32)
        for w in words {
            let k = kinds(w)
            XCTAssertEqual(k.count, 2, w)
            XCTAssertTrue(k[0].isKeyword, "\(w) should be a keyword")
            XCTAssertEqual(k[0].rawValue, w)
        }
        // Keyword prefixes are identifiers.
        XCTAssertEqual(kinds("agents selfish"), [.identifier, .identifier, .eof])
    }

    func testEveryPunctuationToken() {
        let table: [(String, TokenKind)] = [
            ("{", .lbrace), ("}", .rbrace), ("[", .lbracket), ("]", .rbracket), ("(", .lparen), (")", .rparen),
            (",", .comma), (".", .dot), ("..", .dotDot), ("...", .ellipsis), (":", .colon), ("=", .assign),
            ("+=", .plusAssign), ("-=", .minusAssign), ("*=", .starAssign), ("/=", .slashAssign), ("%=", .percentAssign),
            ("==", .eq), ("!=", .neq), ("<", .lt), ("<=", .le), (">", .gt), (">=", .ge), ("+", .plus), ("-", .minus),
            ("*", .star), ("/", .slash), ("%", .percent), ("=>", .fatArrow), ("->", .arrow), ("|>", .pipe), ("|", .bar),
            ("?", .question), ("??", .questionQuestion), ("?.", .questionDot), ("!", .bang), ("@", .at),
        ]
        for (text, kind) in table {
            XCTAssertEqual(kinds("a \(text) b")[1], kind, text)
        }
    }

    func testNumbers() {
        XCTAssertEqual(kinds("42 3.14"), [.int, .float, .eof])
        XCTAssertEqual(kinds("1..5"), [.int, .dotDot, .int, .eof])
        XCTAssertEqual(kinds("5.minutes"), [.int, .dot, .identifier, .eof])
        XCTAssertEqual(kinds("1.5.hours"), [.float, .dot, .identifier, .eof])
    }

    func testEveryDurationUnitParses() throws {
        let units: [(String, Int64)] = [
            ("ms", 1_000_000), ("millis", 1_000_000), ("millisecond", 1_000_000), ("milliseconds", 1_000_000),
            ("s", 1_000_000_000), ("sec", 1_000_000_000), ("second", 1_000_000_000), ("seconds", 1_000_000_000),
            ("m", 60_000_000_000), ("min", 60_000_000_000), ("minute", 60_000_000_000), ("minutes", 60_000_000_000),
            ("h", 3_600_000_000_000), ("hr", 3_600_000_000_000), ("hour", 3_600_000_000_000), ("hours", 3_600_000_000_000),
            ("d", 86_400_000_000_000), ("day", 86_400_000_000_000), ("days", 86_400_000_000_000),
            ("w", 604_800_000_000_000), ("week", 604_800_000_000_000), ("weeks", 604_800_000_000_000),
        ]
        for (unit, ns) in units {
            let program = try Parser.parse(SourceFile(path: "t.keel", text: "x = 3.\(unit)"))
            guard case .assign(_, _, let value) = program.statements[0].kind,
                  case .duration(let count, let parsedUnit) = value.kind else {
                return XCTFail("3.\(unit) is not a duration")
            }
            XCTAssertEqual(count, 3)
            XCTAssertEqual(parsedUnit.nanoseconds, ns, unit)
        }
        for rejected in ["secs", "mins", "hrs", "wk"] {
            let program = try Parser.parse(SourceFile(path: "t.keel", text: "x = 3.\(rejected)"))
            guard case .assign(_, _, let value) = program.statements[0].kind else { return XCTFail() }
            if case .duration = value.kind { XCTFail("\(rejected) must not be a duration unit") }
        }
    }

    func testStringsAndInterpolation() {
        var lexer = Lexer(file: SourceFile(path: "t.keel", text: #""a {x + 1} b {y:>4}""#))
        let t = lexer.tokenize()[0]
        XCTAssertEqual(t.kind, .string)
        XCTAssertEqual(t.pieces.count, 4)
        if case .slot(_, let format) = t.pieces[3] { XCTAssertEqual(format, ">4") } else { XCTFail() }
        XCTAssertEqual(diagnostics(#""\q""#).first?.contains("unknown escape"), true)
        XCTAssertEqual(diagnostics("\"open").first, "unterminated string: no closing quote for the string that opens here")
        // A plain string may span lines; its newlines are kept.
        var multi = Lexer(file: SourceFile(path: "t.keel", text: "\"one\ntwo\" x"))
        let tokens = multi.tokenize()
        XCTAssertEqual(tokens.map(\.kind), [.string, .identifier, .eof])
        if case .text(let text) = tokens[0].pieces[0] { XCTAssertEqual(text, "one\ntwo") } else { XCTFail() }
        XCTAssertEqual(kinds("\"\"\"multi\nline\"\"\""), [.string, .eof])
    }

    func testNewlineRules() {
        // A newline after an operator continues the line; a leading `.` continues a chain.
        XCTAssertEqual(kinds("a +\nb"), [.identifier, .plus, .identifier, .eof])
        XCTAssertEqual(kinds("a\n.b"), [.identifier, .dot, .identifier, .eof])
        XCTAssertEqual(kinds("a\nb"), [.identifier, .newline, .identifier, .eof])
        XCTAssertEqual(kinds("}\n\nelse"), [.rbrace, .kwElse, .eof])
        XCTAssertEqual(kinds("# comment\nx"), [.identifier, .eof])
    }

    func testUnexpectedCharacters() {
        for c in ["$", ";", "`", "&"] {
            XCTAssertEqual(diagnostics("a \(c) b").first, "unexpected character '\(c)' in source")
        }
    }
}
