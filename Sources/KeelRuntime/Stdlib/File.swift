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
        m.fn("read", args: 1) { call in
            let path = try path(call, 0)
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else { throw failure("cannot read", path) }
            defer { close(fd) }
            // At most the string size limit is read (a device such as /dev/zero never ends).
            guard let bytes = FileAccess.readAll(fd, limit: Limits.maxSize) else { throw failure("cannot read", path) }
            if bytes.count > Limits.maxSize {
                throw KeelError(ErrorKind.resource, "file.read: \(path) holds more than \(Limits.formatCount(Limits.maxSize)) bytes (the string size limit)")
            }
            return .str(String(decoding: bytes, as: UTF8.self))
        }
        m.fn("write", args: 2) { call in
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
        m.fn("exists", args: 1) { call in .bool(fm.fileExists(atPath: try path(call, 0))) }
        m.fn("list", args: 1) { call in
            let path = try path(call, 0)
            do { return .list(try fm.contentsOfDirectory(atPath: path).sorted().map { .str($0) }) } catch {
                throw failure("cannot list", path, error)
            }
        }
        m.fn("mkdir", args: 1) { call in
            let path = try path(call, 0)
            do { try fm.createDirectory(atPath: path, withIntermediateDirectories: true) } catch { throw failure("cannot create", path, error) }
            return .none
        }
        m.fn("remove", args: 1) { call in
            let path = try path(call, 0)
            do { try fm.removeItem(atPath: path) } catch { throw failure("cannot remove", path, error) }
            return .none
        }
        m.fn("copy", args: 2) { call in
            let from = try path(call, 0), to = try path(call, 1)
            do { try fm.copyItem(atPath: from, toPath: to) } catch { throw failure("cannot copy", from, error) }
            return .none
        }
        m.fn("move", args: 2) { call in
            let from = try path(call, 0), to = try path(call, 1)
            do { try fm.moveItem(atPath: from, toPath: to) } catch { throw failure("cannot move", from, error) }
            return .none
        }
        m.fn("glob", args: 1) { call in
            let pattern = try call.string(0)
            var found = try FileGlob.matches(pattern, roots: roots, call.interpreter)
            if let roots {
                // With --allow-file, only what lies inside an allowed folder.
                found = found.filter { FileAccess.isInside(FileAccess.resolved($0), roots) }
            }
            return .list(found.map { .str($0) })
        }
        m.fn("mktemp", args: 1, labels: ["dir"]) { call in
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
/// come back as the pattern spells them, sorted. `**` does not follow symbolic links to folders
/// (so a link loop such as `/proc/self/root` is walked once), with `--allow-file` the walk goes
/// only into allowed folders and the folders above them, and it looks at interrupts and stops
/// with `ResourceError` past a million entries.
enum FileGlob {
    struct Walk {
        let interp: Interpreter?
        /// With `--allow-file`: the allowed folders (resolved).
        let roots: [String]?
        var entries = 0
        var out = Set<String>()

        mutating func visit(_ n: Int) throws {
            entries += n
            if entries > 1_000_000 { throw KeelError(ErrorKind.resource, "file.glob: the pattern walks more than 1,000,000 entries") }
            try interp?.poll()
        }

        /// Whether the walk may go into `folder`: inside an allowed folder, or above one.
        func mayEnter(_ folder: String) -> Bool {
            guard let roots else { return true }
            let real = FileAccess.resolved(folder)
            return FileAccess.isInside(real, roots) || roots.contains { $0.hasPrefix(real.hasSuffix("/") ? real : real + "/") }
        }
    }

    static func matches(_ pattern: String, roots: [String]? = nil, _ interp: Interpreter? = nil) throws -> [String] {
        let absolute = pattern.hasPrefix("/")
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: true).map(String.init)
        var w = Walk(interp: interp, roots: roots)
        try walk(absolute ? "/" : "", segments[...], &w)
        return w.out.sorted()
    }

    /// Matches `rest` below the folder `base` ("" for the current folder).
    private static func walk(_ base: String, _ rest: ArraySlice<String>, _ w: inout Walk) throws {
        guard let segment = rest.first else {
            if !base.isEmpty { w.out.insert(base) }
            return
        }
        let folder = base.isEmpty ? "." : base
        guard w.mayEnter(folder) else { return }
        func join(_ name: String) -> String { base.isEmpty ? name : (base.hasSuffix("/") ? base + name : base + "/" + name) }
        if segment == "**" {
            try walk(base, rest.dropFirst(), &w)   // no folder
            let names = entries(folder)
            try w.visit(names.count)
            for name in names where !name.hasPrefix(".") && isRealFolder(join(name)) {
                try walk(join(name), rest, &w)   // one more folder, still under ** (never through a link)
            }
            return
        }
        if !segment.contains(where: { "*?[".contains($0) }) {
            let path = join(segment)
            try w.visit(1)
            if FileManager.default.fileExists(atPath: path) { try walk(path, rest.dropFirst(), &w) }
            return
        }
        let names = entries(folder)
        try w.visit(names.count)
        for name in names where fnmatch(segment, name, FNM_PERIOD) == 0 {
            if rest.count > 1 && !isFolder(join(name)) { continue }
            try walk(join(name), rest.dropFirst(), &w)
        }
    }

    private static func entries(_ folder: String) -> [String] {
        (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
    }

    private static func isFolder(_ path: String) -> Bool {
        var isDir: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDir) && isDir.boolValue
    }

    /// A folder that is not a symbolic link (`**` does not follow links).
    private static func isRealFolder(_ path: String) -> Bool {
        var st = stat()
        return lstat(path, &st) == 0 && (st.st_mode & S_IFMT) == S_IFDIR
    }
}

/// Paths as the operating system will follow them.
package enum FileAccess {
    /// Whether the resolved path `real` is one of `roots` or lies below one.
    static func isInside(_ real: String, _ roots: [String]) -> Bool {
        roots.contains { real == $0 || real.hasPrefix($0.hasSuffix("/") ? $0 : $0 + "/") }
    }

    /// Everything left to read from `fd`, or nil if reading fails.
    /// Everything `fd` gives until its end; past `limit` bytes the rest is read and dropped (a
    /// writer at the other end must not block), and the result holds `limit + 1` bytes.
    static func readAll(_ fd: Int32, limit: Int = .max) -> [UInt8]? {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            if n < 0 { return nil }
            if n == 0 { return out }
            if out.count <= limit { out += buffer[0..<min(n, limit + 1 - out.count)] }
            if out.count > limit && !isPipe(fd) { return out }   // only a pipe has a writer to drain
        }
    }

    private static func isPipe(_ fd: Int32) -> Bool {
        var st = stat()
        return fstat(fd, &st) == 0 && ((st.st_mode & S_IFMT) == S_IFIFO || (st.st_mode & S_IFMT) == S_IFSOCK)
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
