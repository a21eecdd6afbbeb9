import Foundation
import KeelSyntax

public enum KeelVersion {
    public static let string = "0.1.0"
}

/// Runs whole programs the way the `keel` command does: diagnostics to standard error, an exit
/// status back. Tests call it in-process with their own output sinks.
public enum Runner {
    /// Runs the source; returns 0, 1 (run-time error) or 2 (compile error).
    public static func run(source: String, path: String, options: Interpreter.Options = .init(), color: Bool = false) -> Int32 {
        onLargeStack {
            let interpreter = Interpreter(options: options)
            let main: Function
            do {
                main = try interpreter.compile(SourceFile(path: path, text: source))
            } catch let list as DiagnosticList {
                for d in list.diagnostics { options.errorOutput(d.render(color: color)) }
                let n = list.diagnostics.count
                options.errorOutput("\(n) error\(n == 1 ? "" : "s") in \(path)")
                return 2
            } catch {
                options.errorOutput("error: \(error)")
                return 2
            }
            do {
                try interpreter.execute(main)
                return 0
            } catch let e as KeelError {
                options.errorOutput(e.render(color: color))
                return 1
            } catch {
                options.errorOutput("error: \(error)")
                return 1
            }
        }
    }

    public static func runFile(path: String, options: Interpreter.Options = .init()) -> Int32 {
        let source: String
        if path == "-" {
            source = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        } else {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                options.errorOutput("error: cannot read file `\(path)`")
                return 2
            }
            source = text
        }
        return run(source: source, path: path == "-" ? "<stdin>" : path, options: options, color: useColor())
    }

    /// Colour only on a terminal, and never when NO_COLOR is set.
    public static func useColor() -> Bool {
        ProcessInfo.processInfo.environment["NO_COLOR"] == nil && isatty(2) != 0
    }
}
