/// What the running turn is: the agent it runs for (`self`, `@tools`, schedules), how deep its
/// calls go, and the time limits in force. The interpreter holds one; it changes hands only
/// through `EventLoop.switchTurn` (a turn starts, parks, resumes or ends) and
/// `Interpreter.acting(as:)` (an agent's `@on_start`/`@on_stop` run inside another turn).
struct TurnContext {
    var agent: AgentInfo?
    /// The agent instance the turn belongs to (a task's: the instance that spawned it). If the
    /// instance stops while the turn is parked, the turn is unwound instead of resumed.
    var instance: AgentInstance?
    var callDepth = 0
    /// `control.with_timeout`/`with_deadline` limits, innermost last.
    var deadlines: [Deadline] = []

    /// No turn: the loop itself, between turns.
    static let idle = TurnContext()
}

/// A `control.with_timeout`/`with_deadline` in force for the running turn.
struct Deadline {
    let at: Int64
    let kind: String
    let message: String
}

/// Unwinds a parked turn whose agent instance was stopped or replaced meanwhile. Not a Keel error:
/// `try`/`catch` cannot catch it; the turn ends silently.
struct TurnEnded: Error {}
