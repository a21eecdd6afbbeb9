import Foundation

/// Finds the source of `use "path"` modules. The host can supply its own (as Wren's
/// `loadModuleFn`); the command line reads the file system, confined to the program's folder
/// under `--sandbox`. A refusal never quotes the file it refused.
package protocol ModuleLoader: AnyObject {
    /// The module `path` names, imported by the source at `importer` (a path, or `<input 3>`).
    func load(_ path: String, importer: String) -> ModuleSource
}

package enum ModuleSource {
    /// Its text, and a name that is the same for every spelling of the same module (a cache key).
    case found(key: String, text: String)
    /// Why it cannot be loaded, in words a diagnostic can show.
    case refused(String)
}

/// Modules read from `.keel` files, relative to the importing file (or the current folder for a
/// program read from standard input or typed in the REPL). With `root`, only files inside that
/// folder load, judged after symbolic links and `..` are resolved.
package final class FileSystemModules: ModuleLoader {
    let root: String?
    /// What to tell the user when a module is outside `root`.
    let confinedBy: String

    package init(root: String? = nil, confinedBy: String = "") {
        self.root = root.map(FileAccess.resolved)
        self.confinedBy = confinedBy
    }

    package func load(_ path: String, importer: String) -> ModuleSource {
        guard path.hasSuffix(".keel") else { return .refused("cannot load module `\(path)`: a module is a .keel file") }
        let base = importer.hasPrefix("<") ? FileManager.default.currentDirectoryPath
                                           : URL(fileURLWithPath: importer).deletingLastPathComponent().path
        let full = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base, isDirectory: true)).standardizedFileURL.path
        let real = FileAccess.resolved(full)
        // Judged where a link leads: a `.keel` link to a file that is not one is not a module.
        guard real.hasSuffix(".keel") else {
            return .refused("cannot load module `\(path)`: it is a link to a file that is not a .keel file")
        }
        if let root, real != root, !real.hasPrefix(root.hasSuffix("/") ? root : root + "/") {
            return .refused("CapabilityError: module `\(path)` is outside the program's folder \(root)\(confinedBy)")
        }
        guard let data = FileManager.default.contents(atPath: real) else {
            return .refused("cannot read module `\(path)` (looked for \(full))")
        }
        guard let text = String(validating: data, as: UTF8.self), !data.contains(0) else {
            return .refused("cannot load module `\(path)`: it is not UTF-8 text")
        }
        return .found(key: real, text: text)
    }
}

/// Modules only the host supplies, by the path as written (`use "./geometry.keel"` asks for
/// `./geometry.keel`); the file system is never read.
package final class HostSuppliedModules: ModuleLoader {
    let source: (String) -> String?
    package init(_ source: @escaping (String) -> String?) { self.source = source }

    package func load(_ path: String, importer: String) -> ModuleSource {
        guard let text = source(path) else {
            return .refused("CapabilityError: module `\(path)` is not available: the host running this program does not supply it")
        }
        return .found(key: "host:" + path, text: text)
    }
}
