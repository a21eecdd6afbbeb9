import Foundation
import KeelRuntime
import XCTest

/// The embedding API, used only through public symbols: host modules and functions, host errors
/// surfacing as Keel errors, calling Keel tasks from Swift.
final class EmbeddingTests: XCTestCase {
    struct Broken: Error, CustomStringConvertible { var description: String { "the sensor is unplugged" } }

    func makeInterpreter(_ lines: NSMutableArray) -> Interpreter {
        var options = Interpreter.Options()
        options.output = { lines.add($0) }
        let interp = Interpreter(options: options)
        var total = 0
        interp.registerModule("metrics", functions: [
            "record": { call in
                guard case .int(let n)? = call.args.first else { throw KeelError("TypeError", "metrics.record needs an int") }
                total += n
                return .int(total)
            },
            "read_sensor": { _ in throw Broken() },
        ])
        interp.registerFunction("host_name") { call in .str("test-host" + (call.named["suffix"].map { "-\($0.display)" } ?? "")) }
        return interp
    }

    func testHostModuleAndErrors() throws {
        let lines = NSMutableArray()
        let interp = makeInterpreter(lines)
        try interp.evaluate( """
        use std/io
        use host/metrics
        metrics.record(2)
        io.show(metrics.record(40))
        io.show(host_name(suffix: 1))
        try {
          metrics.read_sensor()
        } catch e: HostError {
          io.show(e.message)
        }
        task double(n: int) -> int { n * 2 }
        """)
        XCTAssertEqual(lines as? [String], ["  42", "  test-host-1", "  metrics.read_sensor: the sensor is unplugged"])
        // Calling a Keel task from Swift.
        let double = try XCTUnwrap(interp.global("double"))
        XCTAssertEqual(try interp.call(double, [.int(21)]), .int(42))
        XCTAssertThrowsError(try interp.call(double, [.str("x")])) { e in
            XCTAssertEqual((e as? KeelError)?.kind, "TypeError")
        }
    }

    /// An interpreter that ran agents leaves nothing behind when it goes (no reference cycles
    /// through agents' cached handlers).
    func testAgentsAreReleasedWithTheirInterpreter() throws {
        weak var agent: AgentInfo?
        weak var interpreter: Interpreter?
        do {
            var options = Interpreter.Options()
            options.time = VirtualTime(start: 0)
            options.output = { _ in }
            let interp = Interpreter(options: options)
            try interp.evaluate("""
            agent Echo {
              state { n: int = 0 }
              on message(m: int) { self.n += m }
            }
            run(Echo)
            send(Echo, 1)
            """)
            interp.runUntilIdle()
            interp.stopAllAgents()
            interp.shutdown()
            guard case .agent(let info)? = interp.global("Echo") else { return XCTFail("no agent") }
            agent = info
            interpreter = interp
        }
        XCTAssertNil(interpreter)
        XCTAssertNil(agent)
    }

    func testUnknownHostModuleIsACompileError() {
        let interp = Interpreter()
        XCTAssertThrowsError(try interp.evaluate( "use host/nothing\n")) { e in
            let message = "\(e)"
            XCTAssertTrue(message.contains("unknown host module `host/nothing`"), message)
        }
    }

    func testEffectfulHostModulesAreGated() {
        var options = Interpreter.Options()
        let errors = NSMutableArray()
        options.errorOutput = { errors.add($0) }
        options.time = VirtualTime(start: 0)
        let interp = Interpreter(options: options)
        interp.registerModule("door", effectful: true, functions: ["open": { _ in .bool(true) }])
        let main = try? interp.compile(source: """
        use host/door
        task open_it() { door.open() }
        agent Guard {
          on message(m: str) { open_it() }
        }
        run(Guard)
        send(Guard, "x")
        """)
        XCTAssertNotNil(main)
        if let main { XCTAssertEqual(interp.runProgram(main), 0) }
        XCTAssertTrue((errors.componentsJoined(by: "\n")).contains("`door.open` is not allowed by @tools on Guard"))
    }
}
