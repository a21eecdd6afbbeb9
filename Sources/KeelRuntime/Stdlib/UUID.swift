import Foundation

/// `std/uuid`: `Uuid` values (printing as lowercase hyphenated text). Random bits come from
/// `std/random`'s generator, so `KEEL_SEED` makes them reproducible; v7 reads the interpreter's clock.
enum UUIDModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        let random = interpreter.state(RandomModule.State.self)
        func format(_ bytes: [UInt8]) -> String {
            let hex = bytes.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
            let h = Array(hex)
            return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(h[$0]) }.joined(separator: "-")
        }
        func randomBytes() -> [UInt8] {
            var out: [UInt8] = []
            for _ in 0..<2 { let r = random.generator.next(); for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: r >> (8 * k))) } }
            return out
        }
        var m = ModuleMembers("uuid")
        m.fn("v4") { _ in
            var b = randomBytes()
            b[6] = (b[6] & 0x0F) | 0x40
            b[8] = (b[8] & 0x3F) | 0x80
            return .object(UuidValue(format(b)))
        }
        m.fn("v7") { call in
            var b = randomBytes()
            let ms = UInt64(max(0, call.interpreter.loop.time.wallNow / 1_000_000))
            for k in 0..<6 { b[k] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - k))) }
            b[6] = (b[6] & 0x0F) | 0x70
            b[8] = (b[8] & 0x3F) | 0x80
            return .object(UuidValue(format(b)))
        }
        m.fn("parse") { call in
            let text = try call.string(0)
            guard let u = UUID(uuidString: text) else { return .none }
            return .object(UuidValue(u.uuidString.lowercased()))
        }
        return m.values
    }
}

/// A `Uuid`: prints as its hyphenated lowercase text; `to_str()`, `version()`, `format(as:)`.
final class UuidValue: HostObject {
    let text: String
    init(_ text: String) { self.text = text }
    var typeName: String { "Uuid" }
    var fieldNames: [String] { [] }
    var displayText: String? { text }
    func field(_ name: String) -> Value? { nil }
    func labels(of method: String) -> [String] { method == "format" ? ["as"] : [] }
    func method(_ name: String, _ args: [Value], _ interpreter: Interpreter) throws -> Value? {
        switch name {
        case "to_str": return .str(text)
        case "version": return .int(Int(String(Array(text)[14]), radix: 16) ?? 0)
        case "format":
            guard case .str(let style)? = args.first else { return .str(text) }
            switch style {
            case "hyphenated": return .str(text)
            case "simple": return .str(text.replacingOccurrences(of: "-", with: ""))
            case "urn": return .str("urn:uuid:" + text)
            default: throw KeelError(ErrorKind.value, "Uuid.format: unknown style `\(style)` (hyphenated, simple, urn)")
            }
        default: return nil
        }
    }
}
