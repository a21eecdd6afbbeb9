import Foundation

/// `std/file` (effectful): reading and writing files; errors raise `FileError` naming the path.
enum FileModule {
    static func members(_ interpreter: Interpreter) -> [String: Value] {
        let fm = FileManager.default
        func failure(_ what: String, _ path: String, _ error: Error? = nil) -> KeelError {
            KeelError("FileError", "\(what) `\(path)`" + (error.map { ": \(($0 as NSError).localizedDescription)" } ?? ""))
        }
        let roots = interpreter.options.fileRoots
        /// Argument `i` as a path std/file may touch: with `--allow-file`, inside an allowed folder
        /// once links and `..` are resolved (that resolved path is the one used).
        func path(_ call: NativeCall, _ i: Int, _ label: String? = nil) throws -> String {
            let given = try call.string(i, label)
            guard let roots else { return given }
            let real = FileAccess.resolved(given)
            guard FileAccess.isInside(real, roots) else {
                throw KeelError(ErrorKind.capability,
                                "\(call.name): `\(given)` is outside the folders --allow-file allows (\(roots.joined(separator: ", ")))")
            }
            return real
        }
        var m = ModuleMembers("file")
        m.fn("read") { call in
            let path = try path(call, 0)
            guard let data = fm.contents(atPath: path) else { throw failure("cannot read", path) }
            return .str(String(decoding: data, as: UTF8.self))
        }
        m.fn("write") { call in
            let path = try path(call, 0)
            let text = try call.interpreter.interpolationText(try call.arg(1))
            // Missing parent folders are made (as Keel does).
            let parent = (path as NSString).deletingLastPathComponent
            if !parent.isEmpty, !fm.fileExists(atPath: parent) {
                do { try fm.createDirectory(atPath: parent, withIntermediateDirectories: true) } catch { throw failure("cannot create", parent, error) }
            }
            do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch { throw failure("cannot write", path, error) }
            return .none
        }
        m.fn("exists") { call in .bool(fm.fileExists(atPath: try path(call, 0))) }
        m.fn("list") { call in
            let path = try path(call, 0)
            do { return .list(try fm.contentsOfDirectory(atPath: path).sorted().map { .str($0) }) } catch {
                throw failure("cannot list", path, error)
            }
        }
        m.fn("mkdir") { call in
            let path = try path(call, 0)
            do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch { throw failure("cannot create", path, error) }
            return .none
        }
        m.fn("remove") { call in
            let path = try path(call, 0)
            do { try fm.removeItem(atPath: path) } catch { throw failure("cannot remove", path, error) }
            return .none
        }
        m.fn("copy") { call in
            let from = try path(call, 0), to = try path(call, 1)
            do { try fm.copyItem(atPath: from, toPath: to) } catch { throw failure("cannot copy", from, error) }
            return .none
        }
        m.fn("move") { call in
            let from = try path(call, 0), to = try path(call, 1)
            do { try fm.moveItem(atPath: from, toPath: to) } catch { throw failure("cannot move", from, error) }
            return .none
        }
        m.fn("glob") { call in
            let pattern = try call.string(0)
            var found = FileGlob.matches(pattern)
            if let roots {
                // With --allow-file, only what lies inside an allowed folder.
                found = found.filter { FileAccess.isInside(FileAccess.resolved($0), roots) }
            }
            return .list(found.map { .str($0) })
        }
        m.fn("mktemp", labels: ["dir"]) { call in
            let dir = call.optional(0, "dir") == nil ? NSTemporaryDirectory() : try path(call, 0, "dir")
            if let roots, call.optional(0, "dir") == nil {
                throw KeelError(ErrorKind.capability, "file.mktemp: give `dir:` inside a folder --allow-file allows (\(roots.joined(separator: ", ")))")
            }
            let path = (dir as NSString).appendingPathComponent("keel-\(UUID().uuidString.lowercased())")
            guard fm.createFile(atPath: path, contents: Data()) else { throw failure("cannot create", path) }
            return .str(path)
        }
        return m.values
    }
}

/// `file.glob`: shell-style patterns, one path segment at a time (`*`, `?`, `[...]` through
/// fnmatch; a leading dot is matched only explicitly), plus `**` for any number of folders. Paths
/// come back as the pattern spells them, sorted.
enum FileGlob {
    static func matches(_ pattern: String) -> [String] {
        let absolute = pattern.hasPrefix("/")
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var out = Set<String>()
        walk(absolute ? "/" : "", segments[...], &out)
        return out.sorted()
    }

    /// Matches `rest` below the folder `base` ("" for the current folder).
    private static func walk(_ base: String, _ rest: ArraySlice<String>, _ out: inout Set<String>) {
        guard let segment = rest.first else {
            if !base.isEmpty { out.insert(base) }
            return
        }
        let folder = base.isEmpty ? "." : base
        func join(_ name: String) -> String { base.isEmpty ? name : (base.hasSuffix("/") ? base + name : base + "/" + name) }
        if segment == "**" {
            walk(base, rest.dropFirst(), &out)   // no folder
            for name in entries(folder) where !name.hasPrefix(".") && isFolder(join(name)) {
                walk(join(name), rest, &out)   // one more folder, still under **
            }
            return
        }
        if !segment.contains(where: { "*?[".contains($0) }) {
            let path = join(segment)
            if FileManager.default.fileExists(atPath: path) { walk(path, rest.dropFirst(), &out) }
            return
        }
        for name in entries(folder) where fnmatch(segment, name, FNM_PERIOD) == 0 {
            if rest.count > 1 && !isFolder(join(name)) { continue }
            walk(join(name), rest.dropFirst(), &out)
        }
    }

    private static func entries(_ folder: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    }

    private static func isFolder(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }
}

/// Paths as the operating system will follow them.
package enum FileAccess {
    /// Whether the resolved path `real` is one of `roots` or lies below one.
    static func isInside(_ real: String, _ roots: [String]) -> Bool {
        roots.contains { real == $0 || real.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    /// Everything left to read from `fd`, or nil if reading fails.
    static func readAll(_ fd: Int32) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return out }
            out += buffer[0..<n]
        }
    }

    /// `path` made absolute, with `..` and every symbolic link resolved as far as the path exists
    /// (the rest, not yet created, is appended as written).
    package static func resolved(_ path: String) -> String {
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        var existing = absolute
        var rest: [String] = []
        while existing != "/", !FileManager.default.fileExists(atPath: existing) {
            rest.insert((existing as NSString).lastPathComponent, at: 0)
            existing = (existing as NSString).deletingLastPathComponent
        }
        var real = existing
        if let p = realpath(existing, nil) {
            real = String(cString: p)
            free(p)
        }
        return rest.reduce(real) { ($0 as NSString).appendingPathComponent($1) }
    }
}
