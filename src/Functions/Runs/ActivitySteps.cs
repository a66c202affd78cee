using Agents.Application.Runs;
using Agents.Domain.Errors;
using Agents.Domain.Runs;

namespace Agents.Functions.Runs;

// Activity inputs: what each RunActivities method needs, as records the orchestration history can hold. The review and
// model steps get the run input without its history: those activities read only the run and the agent. A model step
// carries only the messages the loop added to the prompt since the previous call (from PromptOffset on); the activity
// reads the rest from Cosmos DB (RunActivities.ExpandPromptAsync), so the history grows with the steps, not their square.

// A model step may also carry the loop's preceding save (Before), executed first: the run's "in progress" update then
// costs no activity of its own (two queue hops fewer before the first token).
public sealed record ModelStep(RunRef Run, RunInput Input, ModelCall Call, int PromptOffset, int Position, SaveStep? Before = null);

public sealed record ReviewStep(RunRef Run, RunInput Input, ToolInvocation Invocation);

public sealed record ToolStep(RunRef Run, ToolInvocation Invocation);

public sealed record SaveStep(RunRef Run, RunUpdate Update, int Position);

public sealed record FailStep(RunRef Run, ApiProblem Problem);

/// <summary>
/// A step's result, or the problem of the <see cref="RunFailedException"/> it ended with: an exception reaches the
/// orchestrator as a type name and a message only, so the problem crosses the activity boundary as data.
/// </summary>
public sealed record Outcome<T>(T? Value, ApiProblem? Problem = null)
{
    public T Unwrap() => Problem is null ? Value! : throw new RunFailedException(Problem);
}
