import Foundation

/// A source text and its name, with byte offsets mapped to 1-based line and column.
package final class SourceFile: @unchecked Sendable {
    package let path: String
    package let text: String
    /// The UTF-8 bytes of `text`; every span is an offset range into these.
    package let bytes: [UInt8]
    private let lineStarts: [Int]

    package init(path: String, text: String) {
        self.path = path
        self.text = text
        self.bytes = Array(text.utf8)
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    /// 1-based line and column (columns count characters, not bytes) of a byte offset.
    package func location(of offset: Int) -> (line: Int, column: Int) {
        let off = max(0, min(offset, bytes.count))
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= off { lo = mid } else { hi = mid - 1 }
        }
        let start = lineStarts[lo]
        let column = String(decoding: bytes[start..<off], as: UTF8.self).count + 1
        return (lo + 1, column)
    }

    /// The text of a 1-based line, without its newline.
    package func lineText(_ line: Int) -> String {
        guard line >= 1, line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    /// A source file from bytes read from disk or standard input. Bytes that are not UTF-8 are a
    /// diagnostic at the first bad one (`file:line:col`, the line and a caret), not "cannot read".
    package static func decode(path: String, bytes: [UInt8]) throws -> SourceFile {
        var parser = Unicode.UTF8.ForwardParser()
        var iterator = bytes.makeIterator()
        var offset = 0
        while true {
            switch parser.parseScalar(from: &iterator) {
            case .valid(let scalar): offset += scalar.count
            case .emptyInput: return SourceFile(path: path, text: String(decoding: bytes, as: UTF8.self))
            case .error(let length):
                let bad = bytes[offset..<min(bytes.count, offset + max(1, length))]
                    .map { "0x" + String($0, radix: 16, uppercase: true) }.joined(separator: " ")
                let file = SourceFile(path: path, text: String(decoding: bytes, as: UTF8.self))
                throw DiagnosticList([Diagnostic("invalid UTF-8 (\(bad)): a source file must be UTF-8 text",
                                                 at: Span(offset, offset + 1), in: file)])
            }
        }
    }

    /// Reads a source file (`-`: standard input, named `<stdin>`). Throws `DiagnosticList` for text
    /// that is not UTF-8, `SourceReadError` when the file cannot be read.
    package static func read(path: String) throws -> SourceFile {
        if path == "-" {
            return try decode(path: "<stdin>", bytes: Array(FileHandle.standardInput.readDataToEndOfFile()))
        }
        guard let data = FileManager.default.contents(atPath: path) else { throw SourceReadError(path: path) }
        // What is read is the file a link points to: a `.keel` link to `/etc/passwd`, or a file
        // that is not Keel at all, is refused before it can be quoted in a diagnostic. A script
        // without the extension is Keel by its `#!` line.
        let target = realpath(path, nil).map { p in defer { free(p) }; return String(cString: p) } ?? path
        if !target.hasSuffix(".keel") && !data.starts(with: Array("#!".utf8)) {
            throw SourceNotKeelError(path: path, target: target)
        }
        return try decode(path: path, bytes: Array(data))
    }

    package func slice(_ span: Span) -> String {
        let lo = max(0, min(span.start, bytes.count)), hi = max(lo, min(span.end, bytes.count))
        return String(decoding: bytes[lo..<hi], as: UTF8.self)
    }
}

/// A source file that could not be read at all (missing, a folder, no permission).
package struct SourceReadError: Error, CustomStringConvertible {
    package let path: String
    package var description: String { "error: cannot read file `\(path)`" }
}

/// A file that is not Keel source: neither a `.keel` file (after links are followed) nor a script
/// starting with `#!`. Its contents are never shown.
package struct SourceNotKeelError: Error, CustomStringConvertible {
    package let path: String
    package let target: String
    package var description: String {
        let what = target == path ? "`\(path)`" : "`\(path)` (a link to `\(target)`)"
        return "error: \(what) is not Keel source: a program is a .keel file or a script whose first line starts with #!"
    }
}

/// A half-open byte range `start..<end` in one source file.
package struct Span: Equatable, Hashable, Sendable {
    package var start: Int
    package var end: Int
    package init(_ start: Int, _ end: Int) { self.start = start; self.end = max(start, end) }
    package static let none = Span(0, 0)
    package func to(_ other: Span) -> Span { Span(min(start, other.start), max(end, other.end)) }
}
