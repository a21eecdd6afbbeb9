import Foundation

/// `std/shell` (effectful; refused under `--sandbox`): `shell.run(cmd, stdin:, cwd:)` runs `cmd`
/// with `/bin/sh -c` and returns `{stdout, stderr, exit_code}`. A non-zero exit is not an error
/// (exit_code says it); a command killed by a signal has exit_code 128 + the signal. The child
/// sees a reduced environment (PATH, HOME, SHELL, TMPDIR, USER, LANG from the program's) and runs
/// in its own process group, so a `control.with_timeout` that ends first kills it and everything
/// it started. The turn waits while the command runs; other agents go on.
enum ShellModule {
    static let keptEnvironment = ["PATH", "HOME", "SHELL", "TMPDIR", "USER", "LANG"]

    static func members(_ interpreter: Interpreter) -> [String: Value] {
        var m = ModuleMembers("shell")
        m.fn("run", args: 1, labels: ["stdin", "cwd"]) { call in
            let command = try call.string(0)
            var input: [UInt8] = []
            if let v = call.named["stdin"], v != .none {
                guard case .str(let text) = v else { throw KeelError(ErrorKind.type, "shell.run: stdin must be a str, got \(v.typeName)") }
                input = Array(text.utf8)
            }
            var cwd: String?
            if let v = call.named["cwd"], v != .none {
                guard case .str(let dir) = v else { throw KeelError(ErrorKind.type, "shell.run: cwd must be a str, got \(v.typeName)") }
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: dir, isDirectory: &isDir), isDir.boolValue else {
                    throw KeelError("ShellError", "shell.run: cwd `\(dir)` is not a folder")
                }
                cwd = dir
            }
            let environment = call.interpreter.options.environment.isEmpty ? ProcessInfo.processInfo.environment : call.interpreter.options.environment
            let env = keptEnvironment.compactMap { k in environment[k].map { "\(k)=\($0)" } }
            let child = try ChildProcess(command: command, environment: env, cwd: cwd)
            let result = try call.interpreter.loop.awaitOutside(cancel: { child.kill() }) { child.finish(input: input) }
            for (stream, text) in [("output", result.stdout), ("error output", result.stderr)] where text.utf8.count > Limits.maxSize {
                throw KeelError(ErrorKind.resource, "shell.run: the command's \(stream) is more than \(Limits.formatCount(Limits.maxSize)) bytes (the string size limit)")
            }
            return .map([
                .str("stdout"): .str(result.stdout),
                .str("stderr"): .str(result.stderr),
                .str("exit_code"): .int(Int(result.status)),
            ])
        }
        return m.values
    }
}

/// A child process in its own process group, with pipes for its three standard streams.
final class ChildProcess: @unchecked Sendable {
    let pid: pid_t
    private let stdinFD: Int32, stdoutFD: Int32, stderrFD: Int32

    init(command: String, environment: [String], cwd: String?) throws {
        var inPipe: [Int32] = [0, 0], outPipe: [Int32] = [0, 0], errPipe: [Int32] = [0, 0]
        guard pipe(&inPipe) == 0, pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw KeelError("ShellError", "shell.run: cannot make pipes: \(String(cString: strerror(errno)))")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, inPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        for fd in inPipe + outPipe + errPipe { posix_spawn_file_actions_addclose(&actions, fd) }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        // Its own process group (so a kill reaches what it starts), and default signal handling
        // (the interpreter blocks SIGINT/SIGTERM in every thread; a child must not inherit that).
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        // With a cwd, a first shell changes folder and then runs the command (glibc's
        // posix_spawn_file_actions_addchdir_np is not in Swift's Glibc module).
        let words: [String] = cwd.map { ["/bin/sh", "-c", "cd -- \"$0\" || exit 127; exec /bin/sh -c \"$1\"", $0, command] }
            ?? ["/bin/sh", "-c", command]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/bin/sh", &actions, &attributes, argv, envp)
        Foundation.close(inPipe[0]); Foundation.close(outPipe[1]); Foundation.close(errPipe[1])
        guard rc == 0 else {
            Foundation.close(inPipe[1]); Foundation.close(outPipe[0]); Foundation.close(errPipe[0])
            throw KeelError("ShellError", "shell.run: cannot start /bin/sh: \(String(cString: strerror(rc)))")
        }
        pid = child
        stdinFD = inPipe[1]; stdoutFD = outPipe[0]; stderrFD = errPipe[0]
    }

    /// Writes `input`, reads both outputs to their end, and waits for the child (on a thread apart
    /// from the loop's).
    func finish(input: [UInt8]) -> (stdout: String, stderr: String, status: Int32) {
        // The streams are read and written on threads of their own, so the child is reaped as soon
        // as it ends (even if something it started still holds a pipe), and `kill` can wait for that.
        let group = DispatchGroup()
        let out = ResultBox<[UInt8]>(), err = ResultBox<[UInt8]>()
        // At most the string size limit of each is kept (the rest is read and dropped).
        DispatchQueue.global().async(group: group) { out.result = FileAccess.readAll(self.stdoutFD, limit: Limits.maxSize) ?? [] }
        DispatchQueue.global().async(group: group) { err.result = FileAccess.readAll(self.stderrFD, limit: Limits.maxSize) ?? [] }
        DispatchQueue.global().async(group: group) {
            var offset = 0
            while offset < input.count {
                let n = input[offset...].withUnsafeBufferPointer { write(self.stdinFD, $0.baseAddress, $0.count) }
                if n <= 0 { break }   // the child closed its input
                offset += n
            }
            Foundation.close(self.stdinFD)
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped.signal()
        group.wait()
        Foundation.close(stdoutFD); Foundation.close(stderrFD)
        let code: Int32 = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return (String(decoding: out.result ?? [], as: UTF8.self), String(decoding: err.result ?? [], as: UTF8.self), code)
    }

    /// Signalled once the child has ended and been reaped.
    private let reaped = DispatchSemaphore(value: 0)

    /// Kills the child's whole process group and waits (a little) until the child is gone, so
    /// the caller's next step never sees it still there.
    func kill() {
        _ = Foundation.kill(-pid, SIGKILL)
        if reaped.wait(timeout: .now() + 2) == .success { reaped.signal() }
    }
}
