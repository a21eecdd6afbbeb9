/// The live agent instances in the order they started. Adding and removing one costs O(1) (a removed
/// agent leaves a hole, filled in when holes outnumber agents), so starting and stopping a
/// hundred thousand agents costs time in proportion to their number.
struct LiveAgents {
    private var slots: [AgentInstance?] = []
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func add(_ agent: AgentInstance) {
        guard agent.liveSlot == nil else { return }
        agent.liveSlot = slots.count
        slots.append(agent)
        count += 1
    }

    mutating func remove(_ agent: AgentInstance) {
        guard let i = agent.liveSlot, i < slots.count, slots[i] === agent else { return }
        slots[i] = nil
        agent.liveSlot = nil
        count -= 1
        if slots.count > 64 && count < slots.count / 2 { compact() }
    }

    private mutating func compact() {
        let live: [AgentInstance] = slots.compactMap { $0 }
        for (i, a) in live.enumerated() { a.liveSlot = i }
        slots = live
    }

    /// A snapshot, in start order.
    var all: [AgentInstance] { slots.compactMap { $0 } }
}
