import Foundation
import XCTest

/// Every public symbol of the embedding API carries a doc comment.
final class DocCommentTests: XCTestCase {
    func testEveryPublicSymbolIsDocumented() throws {
        let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/KeelKit").standardizedFileURL
        let files = try FileManager.default.contentsOfDirectory(atPath: sources.path).filter { $0.hasSuffix(".swift") }
        XCTAssertFalse(files.isEmpty)
        var undocumented: [String] = []
        var checked = 0
        for name in files {
            let lines = try String(contentsOf: sources.appendingPathComponent(name), encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            for (i, line) in lines.enumerated() where line.hasPrefix("public ") || line.hasPrefix("@discardableResult public") {
                checked += 1
                var j = i - 1
                while j >= 0 && lines[j].hasPrefix("@") { j -= 1 }
                if j < 0 || !lines[j].hasPrefix("///") { undocumented.append("\(name):\(i + 1): \(line)") }
            }
        }
        XCTAssertGreaterThan(checked, 30)
        XCTAssertEqual(undocumented, [])
    }
}
