/// What the running turn is: the agent instance it runs for (`self`, `@tools`, schedules), how deep
/// its calls go, and the time limits in force. The interpreter holds one; it changes hands only
/// through `EventLoop.switchTurn` (a turn starts, parks, resumes or ends) and
/// `Interpreter.acting(as:)` (an agent's `@on_start`/`@on_stop` run inside another turn).
struct TurnContext {
    /// The agent instance the turn belongs to (a task's: the instance that spawned it). If the
    /// instance stops while the turn is parked, the turn is unwound instead of resumed.
    var instance: AgentInstance?
    var callDepth = 0
    /// `control.with_timeout`/`with_deadline` limits, innermost last.
    var deadlines: [Deadline] = []
    /// The schedule whose callback this turn runs (registering its name again from inside makes
    /// a new occurrence).
    var runningSchedule: Schedule?

    /// The agent the turn runs for.
    var agent: AgentInfo? { instance?.info }

    /// No turn: the loop itself, between turns.
    static let idle = TurnContext()
}

/// A `control.with_timeout`/`with_deadline` in force for the running turn.
struct Deadline {
    let at: Int64
    let kind: String
    let message: String
}

/// Unwinds the code of an agent instance that stopped: a parked turn of it when it is resumed, or
/// its running turn after `stop(self)`. Not a Keel error: `try`/`catch` cannot catch it. It is
/// caught where the instance's code was entered (its turn, or the `run` that ran its `@on_start`),
/// and the turn ends silently.
struct TurnEnded: Error {
    let instance: AgentInstance
}
