// Coverage-guided fuzzing of the interpreter with libFuzzer (see fuzz/run). Two targets, chosen by
// KEEL_FUZZ_TARGET: `compile` lexes, parses and resolves the input; `run` also runs it, on the
// virtual clock, with a fuel budget (so endless loops end), a small size limit and a sandbox.
// Built with the address sanitizer, libFuzzer's coverage and -D KEEL_LIBFUZZER, libFuzzer drives
// it; built plainly, it replays the files named on its command line.
import Foundation
import KeelCLI
import KeelRuntime
import KeelSyntax

enum FuzzTarget: String {
    case compile, run

    static let chosen = FuzzTarget(rawValue: ProcessInfo.processInfo.environment["KEEL_FUZZ_TARGET"] ?? "run") ?? .run

    /// One input. Anything the interpreter reports (a diagnostic, a Keel error, a non-zero
    /// status) is a correct outcome; only a crash, a hang or a sanitizer report is a finding.
    func test(_ bytes: [UInt8]) {
        guard let file = try? SourceFile.decode(path: "fuzz.keel", bytes: bytes) else { return }
        switch self {
        case .compile:
            onLargeStack {
                let interpreter = Interpreter(options: FuzzTarget.options())
                do { _ = try interpreter.compile(file) } catch let list as DiagnosticList {
                    for d in list.diagnostics { _ = d.render(color: true) }
                } catch {}
            }
        case .run:
            _ = Runner.run(file: file, options: FuzzTarget.options())
        }
    }

    /// A sandbox on a virtual clock with small limits, writing nowhere.
    static func options() -> Interpreter.Options {
        var o = Interpreter.Options()
        o.output = { _ in }
        o.errorOutput = { _ in }
        o.time = VirtualTime(start: 1_767_225_600_000_000_000)
        o.until = 3_600_000_000_000   // an hour of virtual time
        o.queueCapacity = 64
        o.maxCallDepth = 1_000
        o.fuel = 200_000
        o.environment = ["KEEL_SEED": "1"]
        for name in InterpreterDefaults.stdModules where !InterpreterDefaults.sandboxStdModules.contains(name) {
            o.refusedStdModules[name] = "refused while fuzzing"
        }
        o.modules = HostSuppliedModules { _ in nil }
        o.inputRefusal = "refused while fuzzing"
        return o
    }
}

#if KEEL_LIBFUZZER
/// libFuzzer's entry point for a program with its own `main` (libclang_rt.fuzzer_no_main).
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                         _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
                         _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32
#endif

@main
struct KeelFuzz {
    static func main() {
        Limits.maxSize = 1_000_000
        #if KEEL_LIBFUZZER
        var argc = CommandLine.argc
        var argv = CommandLine.unsafeArgv
        exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
            FuzzTarget.chosen.test(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
            return 0
        })
        #else
        // Replays inputs: `keel-fuzz FILE...` (each through the target KEEL_FUZZ_TARGET names).
        for path in CommandLine.arguments.dropFirst() {
            guard let data = FileManager.default.contents(atPath: path) else {
                print("cannot read \(path)")
                exit(2)
            }
            FuzzTarget.chosen.test(Array(data))
            print("ok \(path)")
        }
        #endif
    }
}
