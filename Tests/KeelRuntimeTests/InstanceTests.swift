import Foundation
import GRDB
import KeelRuntime
import KeelSQLite
import XCTest

/// Keyed instances with a store, and durable self-scheduling (issue 23): restarts on the virtual
/// clock, kill -9 on the real clock, idle instances leaving memory and coming back by a due
/// schedule or a message, and the tools that name instances (`keel state A/KEY`, `keel send`,
/// `keel schedules pause A/KEY.NAME`).
final class InstanceTests: XCTestCase {
    func write(_ program: String) throws -> (dir: URL, file: String, db: String) {
        let dir = try temporaryFolder(self, "instances")
        let file = dir.appendingPathComponent("main.keel")
        try program.write(to: file, atomically: true, encoding: .utf8)
        return (dir, file.path, dir.appendingPathComponent("s.db").path)
    }

    /// Seed 000's poller: each poll registers the next one under its own name, a minute later.
    static let poller = """
    use std/io
    use std/time
    use std/schedule

    agent Poller {
      @durable
      @tools [io]
      state {
        round: int = 0
        log: list[int] = []
      }
      task poll() {
        self.round += 1
        self.log = self.log.push(self.round)
        io.show("poll {self.round} at {time.now().slice(11, 19)}")
        if self.round < 10 { schedule.after(INTERVAL, self.poll, name: "poll-next") }
      }
      @on_start {
        if self.round >= 10 { stop(self) }
        if self.round == 0 and schedule.get("poll-next") == none { schedule.after(0.seconds, self.poll, name: "poll-next") }
      }
    }
    run(Poller)
    """

    func testDurableSelfSchedulingGoesOnAcrossARestart() throws {
        let (_, file, db) = try write(InstanceTests.poller.replacingOccurrences(of: "INTERVAL", with: "1.minute"))
        let a = try keel(["run", "--virtual-time", "--start", "2026-01-01T00:00:00Z", "--until", "270.seconds", "--store", db, file])
        XCTAssertEqual(a.status, 0, a.err)
        XCTAssertEqual(a.out, (1...5).map { "  poll \($0) at 00:0\($0 - 1):00\n" }.joined())
        // Ten minutes later: poll 6 was due at 00:05 while nothing ran; it runs once at the start,
        // and the chain goes on a minute apart.
        let b = try keel(["run", "--virtual-time", "--start", "2026-01-01T00:10:00Z", "--until", "30.minutes", "--store", db, file])
        XCTAssertEqual(b.status, 0, b.err)
        XCTAssertEqual(b.out, (6...10).map { "  poll \($0) at 00:1\($0 - 6):00\n" }.joined())
        let state = try keel(["state", "Poller", "--store", db])
        XCTAssertEqual(state.out, "Poller:\n  log = [1,2,3,4,5,6,7,8,9,10]\n  round = 10\n")
        let fires = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM fires WHERE schedule = 'poll-next'") }
        XCTAssertEqual(fires, 10)
    }

    /// Killed with SIGKILL at random moments while polling every 20 ms: after each kill the stored
    /// log is 1, 2, ..., n (each poll once, in order, none lost), and the chain runs to 60.
    func testDurableSelfSchedulingSurvivesKillNine() throws {
        let program = InstanceTests.poller.replacingOccurrences(of: "INTERVAL", with: "20.ms")
            .replacingOccurrences(of: "self.round < 10", with: "self.round < 60")
            .replacingOccurrences(of: "self.round >= 10", with: "self.round >= 60")
            .replacingOccurrences(of: "        io.show(\"poll {self.round} at {time.now().slice(11, 19)}\")\n", with: "")
        let (_, file, db) = try write(program)
        var random = SeededRandom(seed: 0x5e1f_2026)
        var last = 0
        for round in 0..<12 {
            let process = try startKeel(["run", "--store", db, file])
            usleep(UInt32(80_000 + Int(random.next() % 250_000)))   // 80 to 330 ms
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            guard let agent = try SQLiteStore(path: db, owner: false).loadAgent("Poller") else { continue }
            let n = Int(agent.state["round"] ?? "0")!
            XCTAssertEqual(agent.state["log"], "[" + (0..<n).map { String($0 + 1) }.joined(separator: ",") + "]", "round \(round)")
            XCTAssertGreaterThanOrEqual(n, last, "round \(round): a committed poll was lost")
            last = n
            if n >= 60 { break }
        }
        let end = try keel(["run", "--store", db, file], environment: ["KEEL_ONESHOT": "1"])
        XCTAssertEqual(end.status, 0, end.err)
        let agent = try XCTUnwrap(try SQLiteStore(path: db, owner: false).loadAgent("Poller"))
        XCTAssertEqual(agent.state["round"], "60")
        XCTAssertEqual(agent.state["log"], "[" + (1...60).map(String.init).joined(separator: ",") + "]")
        let fires = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM fires WHERE schedule = 'poll-next'") }
        XCTAssertEqual(fires, 60)
    }

    static let reminders = """
    use std/io
    use std/time
    use std/schedule

    agent Reminder {
      @durable
      @idle 10.minutes
      @tools [io]
      state {
        notes: list[str] = []
        fired: int = 0
      }
      @on_start { io.show("{self.key}: up at {time.now().slice(11, 16)}") }
      on add(note: str) {
        self.notes = self.notes.push(note)
        schedule.every(1.hour, self.remind, name: "remind")
      }
      task remind() {
        self.fired += 1
        io.show("{self.key}: remind #{self.fired} at {time.now().slice(11, 16)}: {self.notes}")
      }
    }

    if time.now().slice(11, 16) == "00:00" {
      send(Reminder["alice"], "water plants", event: "add")
      send(Reminder[7], "call mum", event: "add")
    }
    """

    /// Keyed durable instances leave memory when idle and come back when their schedule is due,
    /// on time (not counted as missed); after a restart the missed occurrence runs once; the tools
    /// name them A/KEY; `keel send` reaches one that is not in memory (and makes a new one).
    func testIdleDurableInstancesComeBackWhenDueAndByMessage() throws {
        let (_, file, db) = try write(InstanceTests.reminders)
        let a = try keel(["run", "--virtual-time", "--start", "2026-01-01T00:00:00Z", "--until", "150.minutes", "--store", db, file])
        XCTAssertEqual(a.status, 0, a.err)
        XCTAssertEqual(a.out, """
              alice: up at 00:00
              7: up at 00:00
              alice: remind #1 at 00:00: [water plants]
              7: remind #1 at 00:00: [call mum]
              alice: up at 01:00
              7: up at 01:00
              alice: remind #2 at 01:00: [water plants]
              7: remind #2 at 01:00: [call mum]
              alice: up at 02:00
              7: up at 02:00
              alice: remind #3 at 02:00: [water plants]
              7: remind #3 at 02:00: [call mum]

            """)
        // Between the reminders nothing is in memory: the store knows when each is due next.
        let rows = try DatabaseQueue(path: db).read { db in
            try Row.fetchAll(db, sql: "SELECT name, base, key, wake, loaded FROM agents ORDER BY name")
        }
        XCTAssertEqual(rows.map { $0["name"] as String }, ["Reminder[\"alice\"]", "Reminder[7]"])
        XCTAssertEqual(rows.map { $0["key"] as String }, ["\"alice\"", "7"])
        XCTAssertEqual(rows.map { $0["loaded"] as Int }, [0, 0])
        XCTAssertEqual(rows.map { $0["wake"] as Int64 }, [1_767_236_400_000_000_000, 1_767_236_400_000_000_000])   // 03:00
        let schedules = try keel(["schedules", "--store", db]).out
        XCTAssertTrue(schedules.contains("Reminder[\"alice\"].remind"), schedules)
        // On time from dormancy: nothing missed.
        XCTAssertEqual(try keel(["schedules", "--store", db, "--json"]).out.components(separatedBy: "\"missed\":0").count, 3)
        XCTAssertEqual(try keel(["state", "Reminder/alice", "--store", db]).out, "Reminder[\"alice\"]:\n  fired = 3\n  notes = [\"water plants\"]\n")
        XCTAssertEqual(try keel(["state", "Reminder/7", "--store", db]).out, "Reminder[7]:\n  fired = 3\n  notes = [\"call mum\"]\n")
        let pause = try keel(["schedules", "pause", "Reminder/7.remind", "--store", db])
        XCTAssertEqual(pause.out, "Reminder/7.remind: paused\n", pause.err)
        let send1 = try keel(["send", "Reminder/carol", "add", "\"feed cat\"", "--store", db])
        XCTAssertEqual(send1.status, 0, send1.err)
        XCTAssertTrue(send1.out.contains("the next keel run on it delivers it"), send1.out)
        XCTAssertEqual(try keel(["send", "Reminder/alice", "add", "\"buy milk\"", "--store", db]).status, 0)
        // 05:30: the messages make carol and bring alice back; alice's missed 03:00-05:00 run once
        // (missed: "latest"); 7 is paused, so it stays in the store.
        let b = try keel(["run", "--virtual-time", "--start", "2026-01-01T05:30:00Z", "--until", "45.minutes", "--store", db, file])
        XCTAssertEqual(b.status, 0, b.err)
        XCTAssertEqual(b.out, """
              carol: up at 05:30
              alice: up at 05:30
              carol: remind #1 at 05:30: [feed cat]
              alice: remind #4 at 05:30: [water plants, buy milk]
              alice: up at 06:00
              alice: remind #5 at 06:00: [water plants, buy milk]

            """)
        XCTAssertFalse(b.out.contains("7:"))
        let messages = try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT count(*) FROM messages") }
        XCTAssertEqual(messages, 0, "messages leave the store with the turns that handled them")
    }

    /// `keel send` while a process runs: the process delivers it within a second (real clock).
    func testKeelSendReachesARunningProcess() throws {
        let program = """
        use std/io
        agent Echo {
          @durable
          @tools [io]
          state {
            got: list[str] = []
          }
          on say(text: str) {
            self.got = self.got.push(text)
            io.show("{self.key} got {text}")
            if text == "bye" { stop(self) }
          }
        }
        send(Echo["x"], "hello", event: "say")
        """
        let (_, file, db) = try write(program)
        let out = temporaryOutput()
        let process = try startKeel(["run", "--store", db, file], output: out)
        XCTAssertTrue(try eventually(10) { try String(contentsOfFile: out.path, encoding: .utf8).contains("x got hello") })
        let sent = try keel(["send", "Echo/x", "say", "\"bye\"", "--store", db])
        XCTAssertTrue(sent.out.contains("the running process (pid \(process.processIdentifier)) delivers it within a second"), sent.out + sent.err)
        XCTAssertTrue(try eventually(10) { try String(contentsOfFile: out.path, encoding: .utf8).contains("x got bye") })
        process.interrupt()
        process.waitUntilExit()
        let agent = try XCTUnwrap(try SQLiteStore(path: db, owner: false).loadAgent("Echo[\"x\"]"))
        XCTAssertEqual(agent.state["got"], "[\"hello\",\"bye\"]")
    }

    /// `keel schedules reschedule`: offline, the stored one-shot moves to the new time (the next run
    /// fires it then); online, the running process changes the cadence within a second, keeping
    /// the counters.
    func testRescheduleOfflineAndOnline() throws {
        let program = """
        use std/io
        use std/time
        use std/schedule
        agent Clock {
          @durable
          @tools [io]
          state {
            ticks: int = 0
          }
          task tick() { self.ticks += 1 }
          task ring() { io.show("ring at {time.now().slice(11, 16)}") }
          @on_start {
            schedule.every(200.ms, self.tick, name: "tick")
            schedule.after(10.hours, self.ring, name: "alarm")
          }
        }
        run(Clock)
        """
        let (_, file, db) = try write(program)
        _ = try keel(["run", "--virtual-time", "--start", "2026-01-01T00:00:00Z", "--until", "1.minute", "--store", db, file])
        let r = try keel(["schedules", "reschedule", "Clock.alarm", "2026-01-01T04:30:00Z", "--store", db])
        XCTAssertEqual(r.out, "Clock.alarm: rescheduled\n", r.err)
        XCTAssertEqual(try keel(["schedules", "reschedule", "Clock.alarm", "5.minutes", "--store", db]).status, 1, "a one-shot takes a time")
        XCTAssertEqual(try keel(["schedules", "reschedule", "Clock.alarm", "not a timing", "--store", db]).status, 2)
        let b = try keel(["run", "--virtual-time", "--start", "2026-01-01T04:00:00Z", "--until", "1.hour", "--store", db, file])
        XCTAssertEqual(b.out, "  ring at 04:30\n", b.err)
        // Online: every 200 ms, then every 20 ms.
        let process = try startKeel(["run", "--store", db, file])
        defer { if process.isRunning { process.interrupt(); process.waitUntilExit() } }
        func ticks() throws -> Int { Int(try SQLiteStore(path: db, owner: false).loadAgent("Clock")?.state["ticks"] ?? "0") ?? 0 }
        Thread.sleep(forTimeInterval: 1)
        let r2 = try keel(["schedules", "reschedule", "Clock.tick", "20.ms", "--store", db])
        XCTAssertTrue(r2.out.contains("reschedule requested"), r2.out + r2.err)
        Thread.sleep(forTimeInterval: 1.5)   // the request is applied within a second
        let before = try ticks()
        Thread.sleep(forTimeInterval: 1)
        let after = try ticks()
        XCTAssertGreaterThan(after - before, 20, "about 50 ticks a second after the reschedule (5 before)")
        let row = try XCTUnwrap(try SQLiteStore(path: db, owner: false).listSchedules().first { $0.name == "tick" })
        XCTAssertTrue(row.timing.hasPrefix("{\"every\":20000000,"), row.timing)
        XCTAssertGreaterThan(row.fired, after - before, "the counters go on")
    }

    /// Finished durable one-shots leave the store after the retention period, counted in their
    /// instance's `pruned`.
    func testFinishedOneShotsArePrunedAfterTheRetention() throws {
        let program = """
        use std/schedule
        agent Mailer {
          @durable
          state {
            n: int = 0
          }
          task send(k: int) { self.n += 1 }
          task plan() {
            schedule.after(1.minute, self.send, args: [self.n], name: "mail-{self.n}")
          }
          @on_start { schedule.every(1.hour, self.plan, name: "plan") }
        }
        run(Mailer)
        """
        let (_, file, db) = try write(program)
        let r = try keel(["run", "--virtual-time", "--start", "2026-01-01T00:00:00Z", "--until", "3.days", "--retention", "1.day", "--store", db, file])
        XCTAssertEqual(r.status, 0, r.err)
        let (kept, pruned) = try DatabaseQueue(path: db).read { db in
            (try Int.fetchOne(db, sql: "SELECT count(*) FROM schedules WHERE name LIKE 'mail-%'")!,
             try Int.fetchOne(db, sql: "SELECT pruned FROM agents WHERE name = 'Mailer'")!)
        }
        XCTAssertLessThanOrEqual(kept, 26, "at most a day and an hour of finished one-shots stay")
        XCTAssertEqual(kept + pruned, 73, "every one-shot made is either kept or counted as pruned")
        XCTAssertEqual(try keel(["run", "--retention", "5.seconds", "--store", db, file]).status, 2)
    }

    func temporaryOutput() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("keel-out-\(UUID().uuidString)")
        FileManager.default.createFile(atPath: url.path, contents: nil)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    func eventually(_ seconds: Double, _ condition: () throws -> Bool) throws -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if try condition() { return true }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try condition()
    }
}
