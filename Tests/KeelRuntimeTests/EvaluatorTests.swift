import KeelCLI
import KeelRuntime
import KeelSyntax
import XCTest

final class EvaluatorTests: XCTestCase {
    func eval(_ source: String) throws -> Value {
        let interp = Interpreter()
        return try interp.evaluate( source)
    }

    func testArithmeticAndOverflow() throws {
        XCTAssertEqual(try eval("1 + 2 * 3"), .int(7))
        XCTAssertEqual(try eval("7 / 2"), .int(3))
        XCTAssertEqual(try eval("7.0 / 2"), .float(3.5))
        XCTAssertThrowsError(try eval("9223372036854775807 + 1")) { e in
            XCTAssertEqual((e as? KeelError)?.kind, "ArithmeticError")
        }
        XCTAssertThrowsError(try eval("-9223372036854775807 - 2"))
        XCTAssertThrowsError(try eval("4611686018427387904 * 2"))
    }

    func testDurationsAreExactNanoseconds() throws {
        XCTAssertEqual(try eval("5.minutes + 30.seconds"), .duration(330_000_000_000))
        XCTAssertEqual(try eval("1.hour / 30.minutes"), .float(2))
        XCTAssertEqual(try eval("3 * 500.ms"), .duration(1_500_000_000))
    }

    func testFloatDisplayMatchesReference() {
        XCTAssertEqual(formatFloat(3.0), "3")
        XCTAssertEqual(formatFloat(0.1 + 0.2), "0.30000000000000004")
        XCTAssertEqual(formatFloat(1e21), "1000000000000000000000")
        XCTAssertEqual(formatFloat(1.5e-7), "0.00000015")
        XCTAssertEqual(formatFloat(-2.5), "-2.5")
        XCTAssertEqual(formatDuration(90_000_000_000), "1.5 minutes")
        XCTAssertEqual(formatDuration(86_400_000_000_000), "1 days")
    }

    func testClosuresShareCapturedVariables() throws {
        let v = try eval("""
        task pair() {
          n = 0
          inc = () => { n += 1 }
          get = () => n
          inc()
          inc()
          get()
        }
        pair()
        """)
        XCTAssertEqual(v, .int(2))
    }

    func testTwoInterpretersDoNotShareGlobals() throws {
        let a = Interpreter(), b = Interpreter()
        try a.evaluate( "x = 1")
        try b.evaluate( "x = 2")
        XCTAssertEqual(a.global("x"), .int(1))
        XCTAssertEqual(b.global("x"), .int(2))
    }

    func testRuntimeErrorCarriesLocation() {
        XCTAssertThrowsError(try Interpreter().evaluate( "x = 1\ny = x + \"s\"", path: "p.keel")) { e in
            guard let err = e as? KeelError else { return XCTFail() }
            XCTAssertEqual(err.kind, "TypeError")
            XCTAssertTrue(err.render(color: false).hasPrefix("p.keel:2:5: error: TypeError: cannot apply `+` to int and str"))
        }
    }

    func testRecursionLimitIsACleanError() {
        var options = Interpreter.Options()
        options.maxCallDepth = 500
        let status = Runner.run(source: "task f(n: int) -> int { f(n + 1) }\nf(0)", path: "r.keel", options: {
            var o = options
            o.errorOutput = { _ in }
            return o
        }())
        XCTAssertEqual(status, 1)
    }

    func testDateTimeRoundTrip() {
        let t = DateTime.parse("2024-02-29T23:59:59.123+01:00")
        XCTAssertEqual(t.map(DateTime.format), "2024-02-29T22:59:59.123Z")
        XCTAssertEqual(DateTime.parse("2026-04-20").map(DateTime.format), "2026-04-20T00:00:00.000Z")
        XCTAssertNil(DateTime.parse("2026-02-30"))
        XCTAssertNil(DateTime.parse("yesterday"))
    }
}
