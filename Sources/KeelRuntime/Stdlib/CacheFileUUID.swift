import Foundation

extension Interpreter {
    /// `std/cache`: one cache per interpreter; `ttl:` counts on the interpreter's clock.
    func cacheModule() -> ModuleValue {
        ModuleValue(name: "cache", members: [
            "set": .native(NativeFunction("set", module: "cache") { call in
                let key = try call.string(0)
                let value = try call.arg(1)
                var expiry: Int64?
                if let ttl = call.named["ttl"] {
                    guard case .duration(let d) = ttl, d > 0 else { throw KeelError("CacheError", "cache.set: ttl must be a positive duration") }
                    expiry = call.interpreter.runtime.time.monotonicNow + d
                }
                call.interpreter.cacheEntries[key] = (value, expiry)
                return .none
            }),
            "get": .native(NativeFunction("get", module: "cache") { call in
                let interp = call.interpreter
                let key = try call.string(0)
                guard let (value, expiry) = interp.cacheEntries[key] else { return .none }
                if let expiry, interp.runtime.time.monotonicNow >= expiry {
                    interp.cacheEntries[key] = nil
                    return .none
                }
                return value
            }),
            "delete": .native(NativeFunction("delete", module: "cache") { call in
                .bool(call.interpreter.cacheEntries.removeValue(forKey: try call.string(0)) != nil)
            }),
            "clear": .native(NativeFunction("clear", module: "cache") { call in
                call.interpreter.cacheEntries.removeAll()
                return .none
            }),
        ])
    }

    /// `std/file` (effectful): errors raise `FileError` naming the path.
    func fileModule() -> ModuleValue {
        let fm = FileManager.default
        func failure(_ what: String, _ path: String, _ error: Error? = nil) -> KeelError {
            KeelError("FileError", "\(what) `\(path)`" + (error.map { ": \(($0 as NSError).localizedDescription)" } ?? ""))
        }
        func fn(_ name: String, _ body: @escaping (inout NativeCall) throws -> Value) -> Value {
            .native(NativeFunction(name, module: "file", body))
        }
        return ModuleValue(name: "file", members: [
            "read": fn("read") { call in
                let path = try call.string(0)
                guard let data = fm.contents(atPath: path) else { throw failure("cannot read", path) }
                return .str(String(decoding: data, as: UTF8.self))
            },
            "write": fn("write") { call in
                let path = try call.string(0)
                let text = try call.interpreter.interpolationText(try call.arg(1))
                do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch { throw failure("cannot write", path, error) }
                return .none
            },
            "exists": fn("exists") { call in .bool(fm.fileExists(atPath: try call.string(0))) },
            "list": fn("list") { call in
                let path = try call.string(0)
                do { return .list(try fm.contentsOfDirectory(atPath: path).sorted().map { .str($0) }) } catch {
                    throw failure("cannot list", path, error)
                }
            },
            "mkdir": fn("mkdir") { call in
                let path = try call.string(0)
                do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch { throw failure("cannot create", path, error) }
                return .none
            },
            "remove": fn("remove") { call in
                let path = try call.string(0)
                do { try fm.removeItem(atPath: path) } catch { throw failure("cannot remove", path, error) }
                return .none
            },
            "copy": fn("copy") { call in
                let from = try call.string(0), to = try call.string(1)
                do { try fm.copyItem(atPath: from, toPath: to) } catch { throw failure("cannot copy", from, error) }
                return .none
            },
            "move": fn("move") { call in
                let from = try call.string(0), to = try call.string(1)
                do { try fm.moveItem(atPath: from, toPath: to) } catch { throw failure("cannot move", from, error) }
                return .none
            },
            "mktemp": fn("mktemp") { call in
                let dir = try call.optional(0, "dir").map { v -> String in
                    guard case .str(let s) = v else { throw call.typeError(0, "str", v) }
                    return s
                } ?? NSTemporaryDirectory()
                let path = (dir as NSString).appendingPathComponent("keel-\(UUID().uuidString.lowercased())")
                guard fm.createFile(atPath: path, contents: Data()) else { throw failure("cannot create", path) }
                return .str(path)
            },
        ], effectful: true)
    }

    /// `std/uuid`: `Uuid` values (printing as lowercase hyphenated text). Random bits come from the
    /// interpreter's generator, so `KEEL_SEED` makes them reproducible; v7 reads its clock.
    func uuidModule() -> ModuleValue {
        func format(_ bytes: [UInt8]) -> String {
            let hex = bytes.map { String($0, radix: 16) }.map { $0.count == 1 ? "0" + $0 : $0 }.joined()
            let h = Array(hex)
            return [0..<8, 8..<12, 12..<16, 16..<20, 20..<32].map { String(h[$0]) }.joined(separator: "-")
        }
        func randomBytes(_ interp: Interpreter) -> [UInt8] {
            var out: [UInt8] = []
            for _ in 0..<2 { let r = interp.rng.next(); for k in 0..<8 { out.append(UInt8(truncatingIfNeeded: r >> (8 * k))) } }
            return out
        }
        return ModuleValue(name: "uuid", members: [
            "v4": .native(NativeFunction("v4", module: "uuid") { call in
                var b = randomBytes(call.interpreter)
                b[6] = (b[6] & 0x0F) | 0x40
                b[8] = (b[8] & 0x3F) | 0x80
                return .object(UuidValue(format(b)))
            }),
            "v7": .native(NativeFunction("v7", module: "uuid") { call in
                var b = randomBytes(call.interpreter)
                let ms = UInt64(max(0, call.interpreter.runtime.time.wallNow / 1_000_000))
                for k in 0..<6 { b[k] = UInt8(truncatingIfNeeded: ms >> (8 * (5 - k))) }
                b[6] = (b[6] & 0x0F) | 0x70
                b[8] = (b[8] & 0x3F) | 0x80
                return .object(UuidValue(format(b)))
            }),
            "parse": .native(NativeFunction("parse", module: "uuid") { call in
                let text = try call.string(0)
                guard let u = UUID(uuidString: text) else { return .none }
                return .object(UuidValue(u.uuidString.lowercased()))
            }),
        ])
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
