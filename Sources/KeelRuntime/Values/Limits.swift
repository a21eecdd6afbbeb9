/// The interpreter's size limit, checked before anything is allocated (spec/runtime.md, "Limits"):
/// no single string may hold more than `maxSize` bytes, and no list, set or map more than
/// `maxSize` elements. Going over is a `ResourceError`, which a program can catch.
package enum Limits {
    /// Lowered only by the fuzzer (which runs one program at a time): a smaller cap on memory.
    @exclusivity(unchecked) nonisolated(unsafe) package static var maxSize = 100_000_000

    static func tooLarge(_ what: String, _ size: String, _ unit: String) -> KeelError {
        KeelError(ErrorKind.resource, "\(what): the result would hold \(size) \(unit); the limit is \(formatCount(maxSize)) \(unit)")
    }

    /// A string of `bytes` bytes (an overflowed size is given as nil).
    static func checkString(_ bytes: Int?, _ what: String) throws {
        guard let bytes else { throw tooLarge(what, "more than \(formatCount(Int.max))", "bytes") }
        if bytes > maxSize { throw tooLarge(what, formatCount(bytes), "bytes") }
    }

    /// A collection of `count` elements (an overflowed count is given as nil).
    static func checkCount(_ count: Int?, _ what: String) throws {
        guard let count else { throw tooLarge(what, "more than \(formatCount(Int.max))", "elements") }
        if count > maxSize { throw tooLarge(what, formatCount(count), "elements") }
    }

    /// How many ints `lo..hi` holds, or nil when that is more than an Int can count.
    static func rangeCount(_ lo: Int, _ hi: Int) -> Int? {
        guard lo <= hi else { return 0 }
        let (d, o) = hi.subtractingReportingOverflow(lo)
        if o || d == Int.max { return nil }
        return d + 1
    }

    /// The ints of `lo..hi` as a list, when the range is small enough to make one.
    static func rangeElements(_ lo: Int, _ hi: Int, _ what: String) throws -> [Value] {
        try checkCount(rangeCount(lo, hi), what)
        return lo <= hi ? (lo...hi).map { .int($0) } : []
    }

    /// `12,345,678`.
    static func formatCount(_ n: Int) -> String {
        let digits = Array(String(n.magnitude))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0 && (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return (n < 0 ? "-" : "") + out
    }
}
