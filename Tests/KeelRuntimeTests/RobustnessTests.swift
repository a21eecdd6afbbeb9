import Foundation
@testable import KeelRuntime
import KeelSyntax
import XCTest

/// Bad input must end in a diagnostic or success: never a crash or a hang of the lexer, parser or
/// resolver. Every example and golden program is truncated at every byte, and randomly mutated.
final class RobustnessTests: XCTestCase {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func sources() throws -> [String] {
        var out: [String] = []
        for dir in ["examples", "Tests/golden"] {
            let e = FileManager.default.enumerator(at: Self.root.appendingPathComponent(dir), includingPropertiesForKeys: nil)
            for case let url as URL in e! where url.pathExtension == "keel" {
                out.append(try String(contentsOf: url, encoding: .utf8))
            }
        }
        return out
    }

    /// Compiles (lex, parse, resolve) without running; returns false only on an unexpected error type.
    func compiles(_ text: String) -> Bool {
        do {
            _ = try Interpreter().compile(SourceFile(path: "/tmp/fuzz.keel", text: text))
            return true
        } catch is DiagnosticList {
            return true
        } catch {
            return false
        }
    }

    func testTruncatedAtEveryByte() throws {
        let all = try sources()
        XCTAssertGreaterThan(all.count, 40)
        onLargeStack {
            for text in all.prefix(25) {
                let bytes = Array(text.utf8)
                for cut in 0...bytes.count {
                    let truncated = String(decoding: bytes[0..<cut], as: UTF8.self)
                    XCTAssertTrue(self.compiles(truncated), "unexpected failure on a truncated program")
                }
            }
        }
    }

    func testRandomMutations() throws {
        let all = try sources()
        var rng = SeededRandom(seed: 0x5EED)
        let alphabet = Array("{}[]()\"'.,:;=+-*/%<>!?|@#\\ \n\tabcxyz019_".utf8)
        onLargeStack {
            for _ in 0..<3000 {
                var bytes = Array(all[Int(rng.next() % UInt64(all.count))].utf8)
                for _ in 0..<(1 + Int(rng.next() % 4)) where !bytes.isEmpty {
                    let i = Int(rng.next() % UInt64(bytes.count))
                    switch rng.next() % 3 {
                    case 0: bytes[i] = alphabet[Int(rng.next() % UInt64(alphabet.count))]
                    case 1: bytes.remove(at: i)
                    default: bytes.insert(alphabet[Int(rng.next() % UInt64(alphabet.count))], at: i)
                    }
                }
                XCTAssertTrue(self.compiles(String(decoding: bytes, as: UTF8.self)))
            }
        }
    }
    /// Twenty thousand turns suspended at once (copying fibers: each is its saved frames), on the
    /// virtual clock: all resume, each with its own value, and the parked count returns to zero.
    func testTwentyThousandSuspendedTasksAllResume() throws {
        let n = 20_000
        let source = """
        use std/async
        tasks = []
        for i in 1..\(n) {
          tasks = tasks.push(async.spawn(() => {
            async.sleep((i % 7 + 1) * 1.second)
            i * 3
          }))
        }
        async.join_all(tasks).sum()
        """
        var options = Interpreter.Options()
        options.time = VirtualTime(start: 1_767_225_600_000_000_000)
        let interpreter = Interpreter(options: options)
        let value = try interpreter.evaluate(source, path: "many.keel")
        XCTAssertEqual(value, .int(3 * n * (n + 1) / 2))
        XCTAssertEqual(interpreter.loop.parkedTurns, 0)
    }
}

