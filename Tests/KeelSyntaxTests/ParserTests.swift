import KeelSyntax
import XCTest

final class ParserTests: XCTestCase {
    /// Renders an expression with explicit parentheses, to check precedence.
    func shape(_ e: Expr) -> String {
        switch e.kind {
        case .int(let i): return String(i)
        case .name(let n): return n
        case .bool(let b): return String(b)
        case .none: return "none"
        case .binary(let op, let l, let r): return "(\(shape(l)) \(op.rawValue) \(shape(r)))"
        case .unary(let op, let x): return "(\(op.rawValue) \(shape(x)))"
        case .range(let a, let b): return "(\(shape(a))..\(shape(b)))"
        case .call(let c, let args): return "\(shape(c))(\(args.map { shape($0.value) }.joined(separator: ", ")))"
        case .field(let o, let n, let opt): return "\(shape(o))\(opt ? "?." : ".")\(n)"
        case .methodCall(let o, let n, let args, _): return "\(shape(o)).\(n)(\(args.map { shape($0.value) }.joined(separator: ", ")))"
        case .unwrap(let x): return "\(shape(x))!"
        case .cast(let x, _): return "(\(shape(x)) as T)"
        case .index(let o, let i): return "\(shape(o))[\(shape(i))]"
        default: return "?"
        }
    }

    func expr(_ text: String) throws -> String {
        let program = try Parser.parse(SourceFile(path: "t.keel", text: text))
        guard case .expr(let e) = program.statements[0].kind else { throw XCTSkip("not an expression") }
        return shape(e)
    }

    func testPrecedenceTable() throws {
        XCTAssertEqual(try expr("a ?? b |> c"), "(a ?? (b |> c))")
        XCTAssertEqual(try expr("a |> b or c"), "(a |> (b or c))")
        XCTAssertEqual(try expr("a or b and c"), "(a or (b and c))")
        XCTAssertEqual(try expr("a and b == c"), "(a and (b == c))")
        XCTAssertEqual(try expr("a == 1..2"), "(a == (1..2))")
        XCTAssertEqual(try expr("1..a + b"), "(1..(a + b))")
        XCTAssertEqual(try expr("a + b * c"), "(a + (b * c))")
        XCTAssertEqual(try expr("a - b - c"), "((a - b) - c)")
        XCTAssertEqual(try expr("-a * b"), "((- a) * b)")
        XCTAssertEqual(try expr("not a == b"), "((not a) == b)")
        XCTAssertEqual(try expr("-a.abs()"), "(- a.abs())")
        XCTAssertEqual(try expr("a + b as T"), "(a + (b as T))")
        XCTAssertEqual(try expr("a!.b?.c"), "a!.b?.c")
        XCTAssertEqual(try expr("f(a)[b].c"), "f(a)[b].c")
    }

    func testChainedComparisonIsAnError() {
        XCTAssertThrowsError(try Parser.parse(SourceFile(path: "t.keel", text: "a < b < c")))
    }

    func testStatementForms() throws {
        let text = """
        x = 1
        y: int = 2
        x += 3
        {a, b: c} = m
        (p, q) = pair
        for i in 1..3 if i > 1 { }
        while x > 0 { break }
        task f(a: int, b: str = "x", ...rest: int) -> int { return a }
        type U = low | high
        type S { a: int, b: str }
        type R =
          | one { v: int }
          | two
        use std/io
        use std/io as out
        use f, S as T from "./m.keel"
        try { raise "x" } catch e: Error { }
        agent A {
          @role "r"
          @tools [io, http.get if self.ok]
          state {
            n: int = 0
          }
          @on_start { }
          on message(m: Message) { }
          task t() { }
        }
        interface I { task p(self) -> str }
        impl I for S { task p(self) -> str { "s" } }
        """
        let program = try Parser.parse(SourceFile(path: "t.keel", text: text))
        let kinds = program.statements.map { s -> String in
            switch s.kind {
            case .assign(.name, nil, _): return "assign"
            case .assign(.name, _?, _): return "typed-assign"
            case .augAssign: return "aug"
            case .assign(.structure, _, _): return "destructure"
            case .assign(.tuple, _, _): return "tuple"
            case .forLoop(_, _, let filter, _): return filter == nil ? "for" : "for-if"
            case .whileLoop: return "while"
            case .task(let t): return "task/\(t.params.count)/\(t.params.last!.variadic)"
            case .type(let t):
                switch t.body {
                case .enumeration(let v): return "enum/\(v.count)"
                case .structure(let f): return "struct/\(f.count)"
                case .alias: return "alias"
                }
            case .use(let u): return "use/\(u.alias ?? "")/\(u.symbols.count)"
            case .expr(let e):
                if case .tryCatch(_, let c) = e.kind { return "try/\(c.count)" }
                return "expr"
            case .agent(let a): return "agent/\(a.attributes.count)/\(a.state.count)/\(a.handlers.count)/\(a.tasks.count)"
            case .interface(_, let t): return "interface/\(t.count)"
            case .impl(let i): return "impl/\(i.tasks.count)"
            default: return "other"
            }
        }
        XCTAssertEqual(kinds, ["assign", "typed-assign", "aug", "destructure", "tuple", "for-if", "while", "task/3/true",
                               "enum/2", "struct/2", "enum/2", "use//0", "use/out/0", "use//2", "try/1", "agent/3/1/1/1",
                               "interface/1", "impl/1"])
    }

    func testErrorsAreCollectedWithLocations() {
        do {
            _ = try Parser.parse(SourceFile(path: "t.keel", text: "x = )\ny = 1\nz = ]"))
            XCTFail("expected errors")
        } catch let list as DiagnosticList {
            XCTAssertEqual(list.diagnostics.count, 2)
            XCTAssertTrue(list.diagnostics[0].render(color: false).hasPrefix("t.keel:1:5: error: expected an expression"))
            XCTAssertTrue(list.diagnostics[1].render(color: false).hasPrefix("t.keel:3:5: error:"))
        } catch { XCTFail("\(error)") }
    }

    func testDeepNestingIsADiagnosticNotACrash() {
        let deep = String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000)
        XCTAssertThrowsError(try Parser.parse(SourceFile(path: "t.keel", text: "x = " + deep))) { error in
            let message = (error as? DiagnosticList)?.diagnostics.first?.message ?? ""
            XCTAssertTrue(message.contains("nests too deeply"), message)
        }
    }
}
