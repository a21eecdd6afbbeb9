// A Swift program that embeds Keel: it registers a native sensor module, loads thermostat.keel,
// starts its agent, runs a simulated day on a virtual clock while sending it messages, and stops.
import Foundation
import KeelKit

let here = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
var options = KeelInterpreter.Options(clock: .virtual())
options.output = { print("keel |", $0.trimmingCharacters(in: .whitespaces)) }
let keel = try KeelInterpreter(options: options)

// A deterministic "sensor": 18.0, 18.5, 19.0, ... wrapping every ten samples.
var samples = 0
keel.register(module: "sensors", effectful: true, functions: [
    "temperature": { _ in
        defer { samples += 1 }
        return 18.0 + Double(samples % 10) * 0.5
    },
])

do {
    try keel.load(file: here.appendingPathComponent("thermostat.keel").path)
    try keel.start(agent: "Thermostat")
    keel.advance(by: .seconds(6 * 3600))           // six hours: readings at 0, 10, ..., 360 min
    try keel.send(to: "Thermostat", "morning", handler: "report")
    try keel.send(to: "Thermostat", 21.5)
    keel.runUntilIdle()
    keel.advance(by: .seconds(18 * 3600))          // the rest of the day
    try keel.send(to: "Thermostat", "evening", handler: "report")
    keel.runUntilIdle()
    for agent in keel.liveAgents {
        let next = agent.schedules.compactMap(\.nextFire).min().map { Double($0) / 1e9 } ?? 0
        print("host | \(agent.name) is live; next reading at +\(Int(next - 1_767_225_600) / 60) min")
    }
    print("host | the sensor was read \(samples) times")
} catch {
    print("host | error: \(error)")
}
keel.stop()
