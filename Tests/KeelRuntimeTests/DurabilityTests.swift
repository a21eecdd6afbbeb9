import Foundation
import GRDB
import KeelRuntime
import KeelSQLite
import XCTest

/// `keel run --store`: durable agents and schedules across restarts (virtual clock), crashes
/// (kill -9 on the real clock), a full or read-only disk, and the store's schema and lock.
final class DurabilityTests: XCTestCase {
    /// An hourly durable report whose missed-fire policy is `missed`.
    func hourly(_ missed: String) -> String {
        """
        use std/io
        use std/schedule
        use std/time

        agent Reporter {
          @durable
          @tools [io]
          state {
            runs: int = 0
          }
          task report() {
            self.runs += 1
            io.show("#{self.runs} {time.now().format(as: "%H:%M")}")
          }
          @on_start {
            schedule.every(1.hour, self.report, name: "hourly", missed: "\(missed)")
          }
        }

        run(Reporter)
        """
    }

    func write(_ program: String, _ name: String = "main.keel") throws -> (dir: URL, file: String) {
        let dir = try temporaryFolder(self, "durable")
        let file = dir.appendingPathComponent(name)
        try program.write(to: file, atomically: true, encoding: .utf8)
        return (dir, file.path)
    }

    /// Runs twice on the virtual clock: from 00:00 for 150 minutes, then from 06:30 for 90.
    func restart(_ missed: String) throws -> (first: String, second: String, store: SQLiteStore) {
        let (dir, file) = try write(hourly(missed))
        let db = dir.appendingPathComponent("s.db").path
        let a = try keel(["run", "--virtual-time", "--start", "2026-01-01T00:00:00Z", "--until", "150.minutes", "--store", db, file])
        XCTAssertEqual(a.status, 0, a.err)
        let b = try keel(["run", "--virtual-time", "--start", "2026-01-01T06:30:00Z", "--until", "90.minutes", "--store", db, file])
        XCTAssertEqual(b.status, 0, b.err)
        return (a.out, b.out, try SQLiteStore(path: db, owner: false))
    }

    func testMissedLatestRunsOnceAtStartThenTheCadence() throws {
        let r = try restart("latest")
        XCTAssertEqual(r.first, "  #1 00:00\n  #2 01:00\n  #3 02:00\n")
        XCTAssertEqual(r.second, "  #4 06:30\n  #5 07:00\n  #6 08:00\n")
        let s = try XCTUnwrap(try r.store.listSchedules().first)
        XCTAssertEqual([s.fired, s.missed], [6, 4])   // 03:00, 04:00, 05:00 and 06:00 were missed
        XCTAssertEqual(try r.store.loadAgent("Reporter")?.state["runs"], "6")
    }

    func testMissedSkipGoesOnAtTheNextCadencePoint() throws {
        let r = try restart("skip")
        XCTAssertEqual(r.second, "  #4 07:00\n  #5 08:00\n")
    }

    func testMissedAllRunsEveryMissedOccurrenceOldestFirst() throws {
        // Four catch-up runs (03:00 to 06:00) at start-up, then the cadence.
        let r = try restart("all")
        XCTAssertEqual(r.second, "  #4 06:30\n  #5 06:30\n  #6 06:30\n  #7 06:30\n  #8 07:00\n  #9 08:00\n")
        let history = try XCTUnwrap(try r.store.listSchedules().first).history
        // The catch-up runs are the missed occurrences themselves, oldest first.
        let three = "2026-01-01T03:00:00Z", six = "2026-01-01T06:00:00Z"
        let d3 = String(DateTime.parse(three)!), d6 = String(DateTime.parse(six)!)
        let i3 = try XCTUnwrap(history.range(of: "\"due\":\(d3)")), i6 = try XCTUnwrap(history.range(of: "\"due\":\(d6)"))
        XCTAssertLessThan(i3.lowerBound, i6.lowerBound)
    }

    func testCatchUpWindowBoundsMissedAll() throws {
        // Down for ten hours with a two-hour window: only the last two occurrences run.
        let program = hourly("all").replacingOccurrences(of: "missed: \"all\"", with: "missed: \"all\", catch_up: 2.hours")
        let (dir, file) = try write(program)
        let db = dir.appendingPathComponent("s.db").path
        _ = try keel(["run", "--virtual-time", "--start", "2026-01-01T00:00:00Z", "--until", "30.minutes", "--store", db, file])
        let b = try keel(["run", "--virtual-time", "--start", "2026-01-01T10:30:00Z", "--until", "40.minutes", "--store", db, file])
        XCTAssertEqual(b.status, 0, b.err)
        XCTAssertEqual(b.out, "  #2 10:30\n  #3 10:30\n  #4 11:00\n")
    }

    func testRegisteringAgainDoesNotResetTheCadence() throws {
        // The second run starts at 00:30: the hourly schedule goes on at 01:00, with no first
        // tick at registration.
        let (dir, file) = try write(hourly("latest"))
        let db = dir.appendingPathComponent("s.db").path
        _ = try keel(["run", "--virtual-time", "--start", "2026-01-01T00:00:00Z", "--until", "10.minutes", "--store", db, file])
        let b = try keel(["run", "--virtual-time", "--start", "2026-01-01T00:30:00Z", "--until", "40.minutes", "--store", db, file])
        XCTAssertEqual(b.out, "  #2 01:00\n")
    }

    func testAOneShotWhoseTimePassedFiresOnceAtStartUp() throws {
        let program = """
        use std/io
        use std/schedule
        use std/time

        agent Reminder {
          @durable
          @tools [io]
          state {
            sent: int = 0
          }
          task remind(who: str) {
            self.sent += 1
            io.show("remind {who} at {time.now().format(as: "%H:%M")} ({self.sent})")
          }
          @on_start {
            schedule.after(2.hours, self.remind, name: "dentist", args: ["ana"])
          }
        }

        run(Reminder)
        """
        let (dir, file) = try write(program)
        let db = dir.appendingPathComponent("s.db").path
        let a = try keel(["run", "--virtual-time", "--start", "2026-01-01T00:00:00Z", "--until", "1.hour", "--store", db, file])
        XCTAssertEqual(a.out, "")
        let b = try keel(["run", "--virtual-time", "--start", "2026-01-01T05:00:00Z", "--until", "1.hour", "--store", db, file])
        XCTAssertEqual(b.out, "  remind ana at 05:00 (1)\n")
        let c = try keel(["run", "--virtual-time", "--start", "2026-01-01T09:00:00Z", "--until", "5.hours", "--store", db, file])
        XCTAssertEqual(c.status, 0, c.err)
        XCTAssertEqual(c.out, "")   // it ran: registering it again keeps it done
    }

    func testAFailedTurnCommitsNoStateAndAFailureIsCounted() throws {
        let program = """
        use std/schedule

        agent Flaky {
          @durable
          state {
            n: int = 0
          }
          task work() {
            self.n += 1
            if self.n == 2 { raise "boom" }
          }
          @on_start {
            schedule.every(1.minute, self.work, name: "work")
          }
        }

        run(Flaky)
        """
        let (dir, file) = try write(program)
        let db = dir.appendingPathComponent("s.db").path
        let a = try keel(["run", "--virtual-time", "--start", "2026-01-01T00:00:00Z", "--until", "150.seconds", "--store", db, file])
        XCTAssertTrue(a.err.contains("boom"), a.err)
        // Runs at 0:00 (n = 1), 1:00 (n = 2, raises: back to 1), 2:00 (n = 2, raises again).
        let store = try SQLiteStore(path: db, owner: false)
        XCTAssertEqual(try store.loadAgent("Flaky")?.state["n"], "1")
        let s = try XCTUnwrap(try store.listSchedules().first)
        XCTAssertEqual([s.fired, s.failures], [3, 2])
    }

    func testALambdaCannotBeADurableSchedule() throws {
        let program = """
        use std/schedule
        agent A {
          @durable
          @on_start {
            schedule.every(1.hour, () => 1, name: "job")
          }
        }
        run(A)
        """
        let (dir, file) = try write(program)
        let r = try keel(["run", "--virtual-time", "--until", "1.hour", "--store", dir.appendingPathComponent("s.db").path, file])
        XCTAssertTrue(r.err.contains("a durable schedule needs a task: a lambda cannot be stored"), r.err)
        XCTAssertTrue(r.err.contains("main.keel:5:"), r.err)
    }

    func testAValueThatCannotBeStoredIsAnErrorNamingTheField() throws {
        let program = """
        agent A {
          @durable
          state {
            f: dynamic = none
          }
          @on_start {
            self.f = (x) => x
          }
        }
        run(A)
        """
        let (dir, file) = try write(program)
        let r = try keel(["run", "--virtual-time", "--until", "1.hour", "--store", dir.appendingPathComponent("s.db").path, file])
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains("state field `f` of A holds"), r.err)
        XCTAssertTrue(r.err.contains("cannot be stored"), r.err)
    }

    func testTheRemindersExampleRunTwice() throws {
        let dir = try temporaryFolder(self, "reminders")
        let example = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../examples/durable_reminders.keel").standardized.path
        let db = dir.appendingPathComponent("reminders.db").path
        let a = try keel(["run", "--virtual-time", "--start", "2026-03-02T07:00:00Z", "--until", "3.hours", "--store", db, example])
        XCTAssertEqual(a.out, "  07:00 digest #1\n  09:00 digest #2\n  09:00 good morning\n", a.err)
        // Five hours later: the dentist (due 11:00) and the digest's latest missed occurrence
        // (15:00) run at start-up in due order; the morning check is not run late.
        let b = try keel(["run", "--virtual-time", "--start", "2026-03-02T15:00:00Z", "--until", "3.hours", "--store", db, example])
        XCTAssertEqual(b.out, "  15:00 reminder for ana: dentist at noon (reminder #1)\n  15:00 digest #3\n  17:00 digest #4\n", b.err)
        let list = try keel(["schedules", "--store", db]).out.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
        XCTAssertEqual(list.count, 4)
        XCTAssertEqual(list[1].prefix(6), ["Reminders.dentist", "after", "4", "hours", "done", "-"])
        XCTAssertEqual(list[2].prefix(5), ["Reminders.digest", "every", "2", "hours", "active"])
        XCTAssertEqual(list[2].suffix(6), ["4", "4", "0", "0", "0", "3"])   // missed: 11:00, 13:00, 15:00
        XCTAssertEqual(try keel(["state", "Reminders", "--store", db]).out, "Reminders:\n  digests = 4\n  sent = 1\n")
    }

    // MARK: crashes

    /// A ticker with a durable `every(20.ms)` and a durable one-shot, killed with SIGKILL at 20
    /// moments: every commit survives, none is made twice, and the one-shot runs exactly once.
    func testKillNineLosesNothingAndRunsNothingTwice() throws {
        let program = """
        use std/schedule

        agent Ticker {
          @durable
          state {
            count: int = 0
            once: int = 0
          }
          task tick() { self.count += 1 }
          task remind() { self.once += 1 }
          @on_start {
            schedule.every(20.ms, self.tick, name: "tick")
            schedule.after(300.ms, self.remind, name: "remind")
          }
        }

        run(Ticker)
        """
        let (dir, file) = try write(program)
        let db = dir.appendingPathComponent("s.db").path
        var random = SeededRandom(seed: 0x5eed_2026)
        var lastCount = 0
        for round in 0..<20 {
            let process = try startKeel(["run", "--store", db, file])
            let delay = 60_000 + Int(random.next() % 340_000)   // 60 to 400 ms
            usleep(UInt32(delay))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            XCTAssertEqual(process.terminationReason, .uncaughtSignal, "round \(round)")
            let store = try SQLiteStore(path: db, owner: false)
            guard let agent = try store.loadAgent("Ticker") else { continue }   // killed before its first commit
            let count = Int(agent.state["count"] ?? "0")!
            XCTAssertGreaterThanOrEqual(count, lastCount, "round \(round): a committed turn was lost")
            lastCount = count
            if let tick = agent.schedules.first(where: { $0.name == "tick" }) {
                XCTAssertEqual(count, tick.fired, "round \(round)")
            }
        }
        // One last run to the end of the one-shot's time, then look.
        let last = try keel(["run", "--virtual-time", "--until", "1.second", "--store", db, file])
        XCTAssertEqual(last.status, 0, last.err)
        let store = try SQLiteStore(path: db, owner: false)
        let agent = try XCTUnwrap(try store.loadAgent("Ticker"))
        let tick = try XCTUnwrap(agent.schedules.first(where: { $0.name == "tick" }))
        XCTAssertGreaterThan(tick.fired, 20)
        XCTAssertEqual(agent.state["count"], String(tick.fired))
        XCTAssertEqual(agent.state["once"], "1")
        // Each occurrence that ran is recorded once (the fires table's key is the occurrence).
        let fires = try DatabaseQueue(path: db).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM fires WHERE agent = 'Ticker' AND schedule = 'tick'")!
        }
        XCTAssertEqual(fires, min(tick.fired, 1_000))
    }

    /// Group commit (issue 28): commits of turns close together go to the store as one
    /// transaction, and a message a durable turn sends is released only once that turn's commit
    /// is durable. Killed at random moments: the receiver never holds more than the sender
    /// committed to sending, and the sender's counter equals the occurrences it ran.
    func testGroupCommitReleasesNoMessageBeforeItsSenderIsDurable() throws {
        let program = """
        use std/schedule
        use std/file
        use std/env
        # Not durable, and what it does is seen outside at once: it writes the number to a file.
        agent Receiver {
          @tools [file, env]
          on message(n: int) { file.write(env.get("SEEN"), "{n}") }
        }
        agent Sender {
          @durable
          state {
            sent: int = 0
          }
          task tick() {
            self.sent += 1
            send(Receiver, self.sent)
          }
          @on_start { schedule.every(2.ms, self.tick, name: "tick") }
        }
        run(Receiver)
        run(Sender)
        """
        let (dir, file) = try write(program)
        let db = dir.appendingPathComponent("s.db").path
        let seen = dir.appendingPathComponent("seen").path
        var random = SeededRandom(seed: 0x6c0_2026)
        var checked = 0
        for round in 0..<15 {
            try? FileManager.default.removeItem(atPath: seen)
            setenv("SEEN", seen, 1)
            let process = try startKeel(["run", "--store", db, file])
            unsetenv("SEEN")
            usleep(UInt32(100_000 + Int(random.next() % 300_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let store = try SQLiteStore(path: db, owner: false)
            guard let sender = try store.loadAgent("Sender"), let text = try? String(contentsOfFile: seen, encoding: .utf8) else { continue }
            let sent = Int(sender.state["sent"] ?? "0")!, got = Int(text) ?? 0
            XCTAssertLessThanOrEqual(got, sent, "round \(round): the receiver saw a message its sender never committed")
            if let tick = sender.schedules.first(where: { $0.name == "tick" }) { XCTAssertEqual(sent, tick.fired, "round \(round)") }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 10)
    }

    /// A tmpfs of `size` mounted for the test (root only: skipped elsewhere).
    func smallDisk(_ size: String) throws -> URL {
        let dir = try temporaryFolder(self, "smalldisk")
        let mounted = try system("/bin/mount", ["-t", "tmpfs", "-o", "size=\(size)", "tmpfs", dir.path])
        try XCTSkipUnless(mounted == 0, "cannot mount a tmpfs here (not root)")
        addTeardownBlock { _ = try? system("/bin/umount", [dir.path]) }
        return dir
    }

    func remount(_ dir: URL, _ options: String) throws {
        XCTAssertEqual(try system("/bin/mount", ["-o", "remount,\(options)", dir.path]), 0)
    }

    let hoarder = """
    use std/schedule

    agent Hoarder {
      @durable
      state {
        log: list[str] = []
      }
      task add() { self.log = self.log.push("x".repeat(1000)) }
      @on_start {
        schedule.every(1.second, self.add, name: "grow")
      }
    }

    run(Hoarder)
    """

    func testAFullDiskEndsTheRunWithAClearErrorAndKeepsWhatWasCommitted() throws {
        let disk = try smallDisk("384k")
        let (_, file) = try write(hoarder)
        let db = disk.appendingPathComponent("s.db").path
        let r = try keel(["run", "--virtual-time", "--until", "1.hour", "--store", db, file])
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.contains("cannot commit Hoarder's turn to the store"), r.err)
        XCTAssertTrue(r.err.contains("database or disk is full"), r.err)
        // The file is whole: what was committed before the disk filled is there.
        let agent = try XCTUnwrap(try SQLiteStore(path: db, owner: false).loadAgent("Hoarder"))
        let fired = try XCTUnwrap(agent.schedules.first).fired
        XCTAssertGreaterThan(fired, 3)
        let check = try DatabaseQueue(path: db).read { try String.fetchOne($0, sql: "PRAGMA integrity_check") }
        XCTAssertEqual(check, "ok")
    }

    func testAReadOnlyStoreIsAClearError() throws {
        let disk = try smallDisk("1m")
        let (_, file) = try write(hoarder)
        let db = disk.appendingPathComponent("s.db").path
        XCTAssertEqual(try keel(["run", "--virtual-time", "--until", "10.seconds", "--store", db, file]).status, 0)
        try remount(disk, "ro")
        let r = try keel(["run", "--virtual-time", "--until", "10.seconds", "--store", db, file])
        XCTAssertEqual(r.status, 1, r.err)
        XCTAssertTrue(r.err.hasPrefix("error: cannot open the store \(db)"), r.err)
        try remount(disk, "rw")
    }

    // MARK: @memory persistent

    let notes = """
    use std/io
    use std/memory

    agent Notes {
      @tools [io]
      @memory persistent
      @on_start {
        n = memory.recall("visits") ?? 0
        memory.remember("visits", n + 1)
        memory.remember("last", {every: 5.minutes, tags: ["a", "b"]})
        io.show("visit {n + 1}: {memory.recall("last")}")
        try { memory.remember("f", (x) => x) } catch e: MemoryError { io.show(e.message) }
        stop(self)
      }
    }
    run(Notes)
    """

    func testPersistentMemoryWithoutAStoreIsAFilePerAgent() throws {
        let (dir, file) = try write(notes, "notes.keel")
        let home = dir.appendingPathComponent("home").path
        let first = try keel(["run", file], environment: ["HOME": home])
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertEqual(first.out, "  visit 1: {every: 5 minutes, tags: [a, b]}\n  memory.remember: a task or lambda cannot be stored in persistent memory (it keeps data: numbers, strings, lists, maps, records...)\n")
        XCTAssertTrue(try keel(["run", file], environment: ["HOME": home]).out.hasPrefix("  visit 2: "))
        // ~/.keel/memory/<stem>_<sha256(path)[:12]>.db (with SQLite's write-ahead log beside it)
        let memory = URL(fileURLWithPath: home).appendingPathComponent(".keel/memory")
        let files = try FileManager.default.contentsOfDirectory(atPath: memory.path).filter { $0.hasSuffix(".db") }
        XCTAssertEqual(files.count, 1)
        XCTAssertTrue(files[0].hasPrefix("notes_"), files[0])
        XCTAssertEqual(files[0].count, "notes_".count + 12 + ".db".count)
        let rows = try DatabaseQueue(path: memory.appendingPathComponent(files[0]).path).read { db in
            try Row.fetchAll(db, sql: "SELECT agent, key FROM memory ORDER BY key").map { "\($0["agent"] as String).\($0["key"] as String)" }
        }
        XCTAssertFalse(rows.isEmpty)
        XCTAssertTrue(rows.allSatisfy { $0.hasPrefix("Notes.") }, "\(rows)")
    }

    /// Issue 29: persistent memory is refused where file access is (it wrote under ~/.keel for a
    /// sandboxed script), programs read from standard input do not share a namespace (a sandboxed
    /// one read what another stored), and a thousand keys are a thousand rows (each `remember`
    /// rewrote the whole file: quadratic).
    func testPersistentMemoryIsGatedNamespacedAndScales() throws {
        let (dir, _) = try write("")
        let home = dir.appendingPathComponent("home").path
        let writer = """
            use std/memory
            use std/io
            agent Spy {
              @memory persistent
              @tools [io]
              @on_start {
                io.show("seen: {memory.recall("secret")}")
                memory.remember("secret", "hunter2")
                stop(self)
              }
            }
            run(Spy)
            """
        let sandboxed = try keel(["run", "--sandbox", "-"], stdin: writer, environment: ["HOME": home])
        XCTAssertEqual(sandboxed.status, 1, sandboxed.out)
        XCTAssertTrue(sandboxed.err.contains("CapabilityError: @memory persistent keeps memory in a file under ~/.keel/memory, and file access is refused"), sandboxed.err)
        let first = try keel(["run", "-"], stdin: writer, environment: ["HOME": home])
        XCTAssertEqual(first.out, "  seen: none\n", first.err)
        XCTAssertEqual(try keel(["run", "-"], stdin: writer, environment: ["HOME": home]).out, "  seen: hunter2\n", "the same program remembers")
        let other = try keel(["run", "-"], stdin: writer.replacingOccurrences(of: "Spy", with: "Spy2"), environment: ["HOME": home])
        XCTAssertEqual(other.out, "  seen: none\n", "another program read from standard input does not see it")
        let many = """
            use std/memory
            use std/io
            agent Many {
              @memory persistent
              @tools [io]
              @on_start {
                for i in 1..2000 { memory.remember("k{i}", {i: i, text: "x".repeat(50)}) }
                io.show(memory.recall("k1999").i)
                stop(self)
              }
            }
            run(Many)
            """
        let start = Date()
        let r = try keel(["run", "-"], stdin: many, environment: ["HOME": home])
        XCTAssertEqual(r.out, "  1999\n", r.err)
        print("2,000 persistent remembers: \(String(format: "%.2f", Date().timeIntervalSince(start))) s (it was 98 s)")
    }

    func testPersistentMemoryWithAStoreIsInTheStore() throws {
        let (dir, file) = try write(notes, "notes.keel")
        let home = dir.appendingPathComponent("home").path
        let db = dir.appendingPathComponent("s.db").path
        XCTAssertTrue(try keel(["run", "--store", db, file], environment: ["HOME": home]).out.hasPrefix("  visit 1: "))
        XCTAssertTrue(try keel(["run", "--store", db, file], environment: ["HOME": home]).out.hasPrefix("  visit 2: "))
        XCTAssertFalse(FileManager.default.fileExists(atPath: home + "/.keel"))
        XCTAssertEqual(try SQLiteStore(path: db, owner: false).recall(scope: "Notes", key: "visits"), "2")
    }

    // MARK: the store itself

    func testASecondProcessOnTheSameStoreFailsNamingTheFirst() throws {
        let (dir, file) = try write(hourly("latest"))
        let db = dir.appendingPathComponent("s.db").path
        let first = try startKeel(["run", "--store", db, file])
        defer { first.terminate(); first.waitUntilExit() }
        // Wait (at most 10 s) until the first process has the store.
        var owned = false
        for _ in 0..<200 where !owned {
            usleep(50_000)
            owned = (try? DatabaseQueue(path: db).read { db in try Int.fetchOne(db, sql: "SELECT pid FROM owner") }) == Int(first.processIdentifier)
        }
        XCTAssertTrue(owned)
        let second = try keel(["run", "--store", db, file])
        XCTAssertEqual(second.status, 1)
        XCTAssertTrue(second.err.contains("is in use by another keel process (pid \(first.processIdentifier) on "), second.err)
        // A tool can still read it, and a request is queued for the running process.
        let list = try keel(["schedules", "--store", db])
        XCTAssertTrue(list.out.contains("Reporter.hourly"), list.out)
        let pause = try keel(["schedules", "pause", "Reporter.hourly", "--store", db])
        XCTAssertTrue(pause.out.contains("pause requested; the running process (pid \(first.processIdentifier))"), pause.out)
        var paused = false
        for _ in 0..<60 where !paused {   // applied within a second or so
            usleep(50_000)
            paused = (try SQLiteStore(path: db, owner: false).listSchedules().first?.paused) ?? false
        }
        XCTAssertTrue(paused)
    }

    func testRequestsWithNoProcessRunningChangeTheStore() throws {
        let (dir, file) = try write(hourly("latest"))
        let db = dir.appendingPathComponent("s.db").path
        _ = try keel(["run", "--virtual-time", "--start", "2026-01-01T00:00:00Z", "--until", "150.minutes", "--store", db, file])
        XCTAssertEqual(try keel(["schedules", "pause", "Reporter.hourly", "--store", db]).out, "Reporter.hourly: paused\n")
        let paused = try keel(["run", "--virtual-time", "--start", "2026-01-01T06:30:00Z", "--until", "90.minutes", "--store", db, file])
        XCTAssertEqual(paused.out, "")
        XCTAssertEqual(try keel(["schedules", "resume", "Reporter.hourly", "--store", db]).out, "Reporter.hourly: resumed\n")
        // Resumed: it goes on at the next cadence point, with no catch-up for the paused time.
        let resumed = try keel(["run", "--virtual-time", "--start", "2026-01-01T10:30:00Z", "--until", "90.minutes", "--store", db, file])
        XCTAssertEqual(resumed.out, "  #4 11:00\n  #5 12:00\n")
        XCTAssertEqual(try keel(["schedules", "cancel", "Reporter.hourly", "--store", db]).status, 0)
        XCTAssertEqual(try keel(["schedules", "--store", db]).out, "no durable schedules\n")
        let missing = try keel(["schedules", "pause", "Reporter.nope", "--store", db])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.err, "error: the store has no durable schedule Reporter.nope\n")
        let state = try keel(["state", "Reporter", "--store", db])
        XCTAssertEqual(state.out, "Reporter:\n  runs = 5\n")
    }

    func testAStoreFromTheFirstSchemaVersionOpens() throws {
        let dir = try temporaryFolder(self, "migrate")
        let path = dir.appendingPathComponent("v1.db").path
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator.migrate(queue, upTo: "v1")
            try queue.write { db in
                try db.execute(sql: "INSERT INTO agents (name, first_commit, last_commit) VALUES ('A', 1, 1)")
                try db.execute(sql: "INSERT INTO state (agent, field, value) VALUES ('A', 'n', '41')")
                try db.execute(sql: """
                    INSERT INTO schedules (agent, name, kind, timing, task, args, options, fired)
                    VALUES ('A', 'job', 'every', '{"every":60000000000,"anchor":0}', 'work', '[]', '{}', 7)
                    """)
            }
        }
        let store = try SQLiteStore(path: path, owner: true)
        let agent = try XCTUnwrap(try store.loadAgent("A"))
        XCTAssertEqual(agent.state, ["n": "41"])
        XCTAssertEqual(agent.schedules.map(\.fired), [7])
        XCTAssertEqual(agent.schedules.map(\.resumed), [false])
        try store.remember(scope: "A", key: "k", value: "\"v\"")   // a table version 2 added
        XCTAssertEqual(try store.recall(scope: "A", key: "k"), "\"v\"")
        store.close()
    }

    func testEveryCommitIsSyncedToDisk() throws {
        // WAL mode with synchronous=FULL: a commit that returned survives a power loss.
        let dir = try temporaryFolder(self, "sync")
        let store = try SQLiteStore(path: dir.appendingPathComponent("s.db").path, owner: true)
        XCTAssertEqual(store.synchronousMode, 2)
        let mode = try DatabaseQueue(path: dir.appendingPathComponent("s.db").path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(mode, "wal")
        store.close()
    }

    func testAStoreFromANewerKeelIsRefused() throws {
        let dir = try temporaryFolder(self, "newer")
        let path = dir.appendingPathComponent("s.db").path
        try SQLiteStore(path: path, owner: false).close()
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')")
        }
        XCTAssertThrowsError(try SQLiteStore(path: path, owner: true)) { error in
            XCTAssertTrue("\(error)".contains("was made by a newer keel"), "\(error)")
        }
    }
}
