import Foundation
import KeelRuntime
import KeelSyntax
// Each store is a package trait (both on by default): a host that wants neither builds no
// SQLite store and no postgres-nio (nor the TLS library under it).
#if PostgreSQLStore
import KeelPostgres
#endif
#if SQLiteStore
import KeelSQLite
#endif

/// A Keel interpreter inside a Swift program: load Keel code, give it host functions, start its
/// agents, feed them messages, and run its event loop in steps you control.
///
/// ```swift
/// let keel = KeelInterpreter(options: .init(clock: .virtual()))
/// keel.register(module: "metrics", functions: ["record": { args in try args.int(0) * 2 }])
/// try keel.load(file: "bot.keel")          // declarations and top-level statements
/// try keel.start(agent: "Bot")
/// try keel.send(to: "Bot", "hello")
/// keel.advance(by: .seconds(60))           // a minute of virtual time, in microseconds
/// keel.stop()
/// ```
///
/// One interpreter is used from one thread at a time; its loop runs only inside the calls that
/// say so (`runUntilIdle`, `advance(by:)`, `runUntilNoAgents`, and the evaluation calls while
/// their code runs). Interpreters share nothing, so several can live side by side.
public final class KeelInterpreter {
    /// How the interpreter is set up.
    public struct Options {
        /// The clock schedules and `time.now()` read.
        public enum Clock {
            /// The real clock: `advance(by:)` waits that long.
            case real
            /// A clock that moves only when the loop runs out of ready work and jumps to the next
            /// deadline, starting at `start`. Every run is the same.
            case virtual(start: Date = Date(timeIntervalSince1970: 1_767_225_600))   // 2026-01-01 UTC
        }

        /// What a program may reach outside the interpreter.
        public struct Capabilities: OptionSet, Sendable {
            /// The option set's bits.
            public let rawValue: Int
            /// Makes a set from its bits.
            public init(rawValue: Int) { self.rawValue = rawValue }
            /// `std/file`: reading and writing files.
            public static let fileSystem = Capabilities(rawValue: 1)
            /// `std/env`: the environment variables in `environment`.
            public static let environment = Capabilities(rawValue: 2)
            /// `io.ask` and `io.confirm` read lines from `input` (without it they read nothing).
            public static let input = Capabilities(rawValue: 4)
            /// Everything above.
            public static let all: Capabilities = [.fileSystem, .environment, .input]
        }

        /// The clock (real by default).
        public var clock: Clock = .real
        /// How many events may wait in all agents' mailboxes together (a positive number); beyond
        /// it `send` raises `RuntimeBusy`, recurring ticks are dropped and one-shots wait.
        public var queueCapacity = Options.defaultQueueCapacity
        /// Where `io.show`, `io.notify` and friends write, a line at a time (default: standard output).
        public var output: (String) -> Void = { print($0) }
        /// Where errors from agents' turns and `std/log` write (default: standard error).
        public var errorOutput: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        /// What programs may reach; `.all` by default, `[]` for a sandbox.
        public var capabilities: Capabilities = .all
        /// The variables `std/env` sees (with `.environment`); the process's own by default.
        public var environment: [String: String] = ProcessInfo.processInfo.environment
        /// Where `io.ask` reads a line (with `.input`): nil at the end of input. Standard input by default.
        public var input: @Sendable () -> String? = { readLine(strippingNewline: true) }
        /// End a loop run at the first uncaught error in a handler or scheduled closure.
        public var failFast = false
        /// The source of `use "path"` modules, supplied by the host (as Wren's `loadModuleFn`): given
        /// the path as the program wrote it, the module's Keel source, or nil if there is none. When
        /// set, every module comes from here. When nil, modules are read from `.keel` files if
        /// `capabilities` has `.fileSystem`, and refused otherwise.
        public var loadModule: ((_ path: String) -> String?)?
        /// Where `@durable` agents keep their state and named schedules across runs (as `keel run
        /// --store`): an SQLite file (one process at a time), or a `postgresql://` URL that several
        /// nodes share (real clock only; the default 10 s lease); nil: everything lives in memory.
        public var storePath: String?
        /// Where `@memory persistent` keeps memory without a store: `~/.keel/memory/NAME.db`, needing
        /// `.fileSystem`. By default NAME is the host executable's name and a hash of its path, so
        /// no two hosts (nor a host and a script) read each other's memory.
        public var memoryNamespace: String?
        /// How deeply Keel calls may nest (counting evaluations a host function starts): past it a
        /// call raises `RecursionError` instead of exhausting the stack.
        public var maxCallDepth = InterpreterDefaults.maxCallDepth

        /// The queue capacity when none is given.
        public static let defaultQueueCapacity = InterpreterDefaults.queueCapacity

        /// Options with the defaults above, changed by the arguments given.
        public init(clock: Clock = .real, queueCapacity: Int = Options.defaultQueueCapacity, capabilities: Capabilities = .all) {
            self.clock = clock
            self.queueCapacity = queueCapacity
            self.capabilities = capabilities
        }
    }

    /// Options that cannot work (a queue capacity that is not positive, ...), found when the
    /// interpreter is made.
    public struct InvalidOptions: Error, CustomStringConvertible {
        /// What is wrong and what is accepted.
        public let description: String
    }

    /// A Swift function that Keel code can call. Return any `KeelConvertible` (`Int`, `String`,
    /// `[Double]`, `KeelValue.none`, ...). Throw a `KeelError` to raise it as is; any other error
    /// becomes a `HostError` carrying its description.
    public typealias HostFunction = (HostArguments) throws -> any KeelConvertible

    private let interpreter: Interpreter

    /// A new interpreter, with nothing loaded. Throws `InvalidOptions` for options that cannot work.
    public init(options: Options = Options()) throws {
        guard options.queueCapacity > 0 else {
            throw InvalidOptions(description: "queueCapacity must be a positive integer, got \(options.queueCapacity)")
        }
        guard (1...InterpreterDefaults.maxCallDepth).contains(options.maxCallDepth) else {
            throw InvalidOptions(description: "maxCallDepth must be from 1 to \(InterpreterDefaults.maxCallDepth), got \(options.maxCallDepth)")
        }
        var o = Interpreter.Options()
        o.output = options.output
        o.errorOutput = options.errorOutput
        o.queueCapacity = options.queueCapacity
        o.failFast = options.failFast
        o.maxCallDepth = options.maxCallDepth
        if case .virtual(let start) = options.clock {
            o.time = VirtualTime(start: Int64((start.timeIntervalSince1970 * 1e9).rounded()))
        }
        var allowed = Set(InterpreterDefaults.sandboxStdModules)
        if options.capabilities.contains(.fileSystem) { allowed.insert("file") }
        if options.capabilities.contains(.environment) { allowed.insert("env") }
        for name in InterpreterDefaults.stdModules where !allowed.contains(name) {
            o.refusedStdModules[name] = "std/\(name) is not available: the host running this program did not grant it"
        }
        if let loadModule = options.loadModule {
            o.modules = HostSuppliedModules(loadModule)
        } else if !options.capabilities.contains(.fileSystem) {
            o.modules = HostSuppliedModules { _ in nil }
        }
        o.environment = options.capabilities.contains(.environment) ? options.environment : [:]
        let executable = CommandLine.arguments.first ?? "host"
        o.memoryNamespace = options.memoryNamespace
            ?? "host_\(URL(fileURLWithPath: executable).lastPathComponent)_\(PersistentMemory.hashText(URL(fileURLWithPath: executable).standardizedFileURL.path))"
        let noInput: @Sendable () -> String? = { nil }
        o.readLine = options.capabilities.contains(.input) ? options.input : noInput
        if let path = options.storePath {
            do {
                if isSharedStoreLocation(path) {
                    #if PostgreSQLStore
                    if case .virtual = options.clock {
                        throw StoreError("a PostgreSQL store needs the real clock (nodes share leases on it)")
                    }
                    o.store = try PostgresStore(url: path, owner: true)
                    #else
                    throw StoreError("this KeelKit was built without the PostgreSQLStore trait, so it has no PostgreSQL store")
                    #endif
                } else {
                    #if SQLiteStore
                    o.store = try SQLiteStore(path: path, owner: true)
                    #else
                    throw StoreError("this KeelKit was built without the SQLiteStore trait, so it has no SQLite store")
                    #endif
                }
            } catch let e as StoreError {
                throw InvalidOptions(description: e.description)
            }
        }
        interpreter = Interpreter(options: o)
        _ = interpreter.loop   // made now, so `interrupt()` from another thread finds it
    }

    deinit {
        interpreter.shutdown()
        interpreter.options.store?.close()
    }

    // MARK: host functions

    /// Registers `use host/<name>`: a module of Swift functions. `effectful` modules are gated by
    /// agents' `@tools` like `std/file` (an agent must list `name`). Registering a name again
    /// replaces it for code loaded afterwards.
    public func register(module name: String, effectful: Bool = false, functions: [String: HostFunction]) {
        interpreter.registerModule(name, effectful: effectful, functions: functions.mapValues(KeelInterpreter.native))
    }

    /// Registers a global function that Keel code calls by `name`, without any `use`.
    public func register(function name: String, _ body: @escaping HostFunction) {
        interpreter.registerFunction(name, KeelInterpreter.native(body))
    }

    /// A host function as the interpreter calls it: public values in, public errors translated.
    private static func native(_ body: @escaping HostFunction) -> Interpreter.HostFunction {
        { call in
            do { return try body(HostArguments(call: call)).keelValue.runtimeValue } catch let e as KeelError {
                throw e.runtimeError
            }
        }
    }

    // MARK: loading and calling

    /// Compiles `source` and runs its top-level statements (on the event loop, so it may start
    /// agents or sleep). Returns the value of the last statement. Declarations stay for later.
    /// Throws `KeelCompileErrors` or `KeelError`.
    @discardableResult
    public func evaluate(_ source: String, path: String = "<host>") throws -> KeelValue {
        try translatingErrors { KeelValue(try interpreter.evaluate(source, path: path)) }
    }

    /// Reads and evaluates a `.keel` file (see `evaluate`); `use "./x.keel"` resolves beside it.
    @discardableResult
    public func load(file path: String) throws -> KeelValue {
        let file: SourceFile
        do { file = try SourceFile.read(path: path) } catch let list as DiagnosticList {
            throw KeelCompileErrors(list)
        } catch {
            throw KeelError("FileError", "cannot read `\(path)`")
        }
        return try evaluate(file.text, path: path)
    }

    /// Calls the top-level task `name` with Swift arguments; returns its result.
    public func call(_ name: String, _ arguments: any KeelConvertible...) throws -> KeelValue {
        guard let task = interpreter.global(name) else {
            throw KeelError("UndefinedError", "no task named `\(name)` is defined")
        }
        return try translatingErrors { KeelValue(try interpreter.invoke(task, arguments.map(\.keelValue.runtimeValue))) }
    }

    /// A top-level binding's current value, if the name is bound.
    public func global(_ name: String) -> KeelValue? { interpreter.global(name).map(KeelValue.init) }

    // MARK: agents

    /// `run(A)`: starts the agent declared as `name`; its `@on_start` runs now.
    public func start(agent name: String) throws { try translatingErrors { try interpreter.startAgent(named: name) } }

    /// `send(A, message)`: the message waits in the agent's mailbox until the loop runs. Give
    /// `handler` to reach `on <handler>(...)` instead of `on message`.
    public func send(to agent: String, _ message: any KeelConvertible, handler: String = "message") throws {
        try translatingErrors { try interpreter.send(to: agent, message.keelValue.runtimeValue, handler: handler) }
    }

    /// The live agents, with their schedules and when each fires next.
    public var liveAgents: [AgentStatus] { interpreter.liveAgents.map(AgentStatus.init) }

    // MARK: running the loop

    /// Runs everything ready now (messages, due schedules, woken turns) without moving the clock.
    /// Returns 0, or 1 after a fatal error (with `failFast`).
    @discardableResult
    public func runUntilIdle() -> Int32 { interpreter.runUntilIdle() }

    /// Runs the loop for `duration` of clock time: a virtual clock jumps from deadline to deadline,
    /// the real clock is waited on. Returns as `runUntilIdle`.
    @discardableResult
    public func advance(by duration: Duration) -> Int32 { interpreter.advance(by: wholeNanoseconds(duration)) }

    /// Runs until no agent is live (on a virtual clock, also when nothing is left to happen).
    @discardableResult
    public func runUntilNoAgents() -> Int32 { interpreter.runUntilNoAgents() }

    /// Stops every live agent (each `@on_stop` runs) and ends the loop: parked turns unwind and
    /// the loop's threads are released. The interpreter cannot run again afterwards.
    public func stop() {
        interpreter.stopAllAgents()
        interpreter.shutdown()
    }

    /// From any thread: stops the Keel code running now (an endless loop, a long sleep) with an
    /// `Interrupted` error, which `try`/`catch` in Keel cannot catch. The call that ran it throws
    /// that error; the interpreter stays usable.
    public func interrupt() { interpreter.loop.interrupt() }

    /// The interpreter's clock now, as wall time (virtual or real).
    public var now: Date { Date(timeIntervalSince1970: Double(interpreter.loop.time.wallNow) / 1e9) }
}

/// A live agent, as `KeelInterpreter.liveAgents` shows it.
public struct AgentStatus: Equatable {
    /// One live schedule of the agent.
    public struct Schedule: Equatable {
        /// The schedule's id (as `schedule.every` returned it).
        public let id: Int
        /// `every`, `after`, `at` or `cron`.
        public let kind: String
        /// The interval or cron expression.
        public let detail: String
        /// When it fires next (wall-clock ns since 1970, on the interpreter's clock), if it will.
        public let nextFire: Int64?
    }
    /// The agent's declared name.
    public let name: String
    /// Events waiting in its mailbox.
    public let pendingEvents: Int
    /// Its live schedules, in the order they were made.
    public let schedules: [Schedule]

    init(_ s: KeelRuntime.AgentStatus) {
        name = s.name
        pendingEvents = s.pendingEvents
        schedules = s.schedules.map { Schedule(id: $0.id, kind: $0.kind, detail: $0.detail, nextFire: $0.nextFire) }
    }
}
