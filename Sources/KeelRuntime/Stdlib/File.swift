import Foundation

/// `std/file` (effectful): reading and writing files; errors raise `FileError` naming the path.
enum FileModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        let fm = FileManager.default
        func failure(_ what: String, _ path: String, _ error: Error? = nil) -> KeelError {
            KeelError("FileError", "\(what) `\(path)`" + (error.map { ": \(($0 as NSError).localizedDescription)" } ?? ""))
        }
        var m = ModuleMembers("file")
        m.fn("read") { call in
            let path = try call.string(0)
            guard let data = fm.contents(atPath: path) else { throw failure("cannot read", path) }
            return .str(String(decoding: data, as: UTF8.self))
        }
        m.fn("write") { call in
            let path = try call.string(0)
            let text = try call.interpreter.interpolationText(try call.arg(1))
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch { throw failure("cannot write", path, error) }
            return .none
        }
        m.fn("exists") { call in .bool(fm.fileExists(atPath: try call.string(0))) }
        m.fn("list") { call in
            let path = try call.string(0)
            do { return .list(try fm.contentsOfDirectory(atPath: path).sorted().map { .str($0) }) } catch {
                throw failure("cannot list", path, error)
            }
        }
        m.fn("mkdir") { call in
            let path = try call.string(0)
            do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch { throw failure("cannot create", path, error) }
            return .none
        }
        m.fn("remove") { call in
            let path = try call.string(0)
            do { try fm.removeItem(atPath: path) } catch { throw failure("cannot remove", path, error) }
            return .none
        }
        m.fn("copy") { call in
            let from = try call.string(0), to = try call.string(1)
            do { try fm.copyItem(atPath: from, toPath: to) } catch { throw failure("cannot copy", from, error) }
            return .none
        }
        m.fn("move") { call in
            let from = try call.string(0), to = try call.string(1)
            do { try fm.moveItem(atPath: from, toPath: to) } catch { throw failure("cannot move", from, error) }
            return .none
        }
        m.fn("mktemp", labels: ["dir"]) { call in
            let dir = try call.optionalString(0, "dir") ?? NSTemporaryDirectory()
            let path = (dir as NSString).appendingPathComponent("keel-\(UUID().uuidString.lowercased())")
            guard fm.createFile(atPath: path, contents: Data()) else { throw failure("cannot create", path) }
            return .str(path)
        }
        return m.values
    }
}
