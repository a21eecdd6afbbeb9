import Foundation

/// `std/uuid`: `Uuid` values (printing as lowercase hyphenated text). Random bits come from
/// `std/random`'s generator, so `KEEL_SEED` makes them reproducible; v7 reads the interpreter's clock.
enum UUIDModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        let random = interpreter.state(RandomModule.State.self)
        func format(_ bytes: [UInt8]) -> String {
            let h = Array(CryptoModule.hex(bytes))
            return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(h[$0]) }.joined(separator: "-")
        }
        func randomBytes() -> [UInt8] {
            var out: [UInt8] = []
            for _ in 0..<2 { let r = random.generator.next(); for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: r >> (8 * k))) } }
            return out
        }
        var m = ModuleMembers("uuid")
        m.fn("v4", args: 0) { _ in
            var b = randomBytes()
            b[6] = (b[6] & 0x0F) | 0x40
            b[8] = (b[8] & 0x3F) | 0x80
            return .object(UuidValue(format(b)))
        }
        m.fn("v7", args: 0) { call in
            var b = randomBytes()
            let ms = UInt64(max(0, call.interpreter.loop.time.wallNow / 1_000_000))
            for k in 0..<6 { b[k] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - k))) }
            b[6] = (b[6] & 0x0F) | 0x70
            b[8] = (b[8] & 0x3F) | 0x80
            return .object(UuidValue(format(b)))
        }
        // RFC 9562: a name-based UUID, SHA-1 of the namespace's 16 bytes and the name's UTF-8.
        m.fn("v5", args: 2, labels: ["ns", "name"]) { call in
            guard let nsValue = call.named["ns"] ?? call.args.first else { throw KeelError(ErrorKind.call, "uuid.v5: missing ns: (a Uuid such as uuid.DNS)") }
            guard let nameValue = call.named["name"] ?? (call.args.count > 1 ? call.args[1] : nil) else {
                throw KeelError(ErrorKind.call, "uuid.v5: missing name:")
            }
            var nsText: String?
            if case .str(let t) = nsValue { nsText = t } else if case .object(let o) = nsValue, let u = o as? UuidValue { nsText = u.text }
            guard let text = nsText, let ns = UUID(uuidString: text) else {
                throw KeelError(ErrorKind.value, "uuid.v5: ns must be a Uuid (such as uuid.DNS), got \(nsValue.brief)")
            }
            guard case .str(let name) = nameValue else { throw KeelError(ErrorKind.type, "uuid.v5: name must be a str, got \(nameValue.typeName)") }
            let nsBytes = withUnsafeBytes(of: ns.uuid) { Array($0) }
            var b = Array(SHA1.hash(nsBytes + Array(name.utf8)).prefix(16))
            b[6] = (b[6] & 0x0F) | 0x50
            b[8] = (b[8] & 0x3F) | 0x80
            return .object(UuidValue(format(b)))
        }
        // The namespaces of RFC 9562, appendix C.
        m.value("DNS", .object(UuidValue("6ba7b810-9dad-11d1-80b4-00c04fd430c8")))
        m.value("URL", .object(UuidValue("6ba7b811-9dad-11d1-80b4-00c04fd430c8")))
        m.value("OID", .object(UuidValue("6ba7b812-9dad-11d1-80b4-00c04fd430c8")))
        m.value("X500", .object(UuidValue("6ba7b814-9dad-11d1-80b4-00c04fd430c8")))
        m.fn("parse", args: 1) { call in
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
