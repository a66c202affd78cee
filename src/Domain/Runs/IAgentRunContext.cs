using Agents.Domain.Agents;
using Agents.Domain.Conversations;

namespace Agents.Domain.Runs;

/// <summary>
/// Everything the agent loop may do besides computing. The Durable orchestrator implements it (DurableRunContext in
/// src/Functions), mapping each call onto an activity, an external event or a timer; tests implement it with fakes.
/// The loop must only await these methods (and Task.WhenAll over them), so that it replays deterministically.
/// </summary>
public interface IAgentRunContext
{
    /// <summary>Deterministic current time (the orchestration's clock, not the machine's).</summary>
    DateTimeOffset UtcNow { get; }

    /// <summary>Loads the run's input once: agent, history and the new user message.</summary>
    Task<RunInput> LoadInputAsync();

    /// <summary>Calls the model (streaming deltas to the run's event log) and records its usage in the ledger.</summary>
    /// <exception cref="RunFailedException">The call failed for good (after retries, or not retryable).</exception>
    Task<ModelTurn> CallModelAsync(ModelCall modelCall);

    /// <summary>Asks the policy chain about a proposed tool call (only for tools whose approval mode is Policy).</summary>
    Task<ToolReview> ReviewToolCallAsync(ToolInvocation invocation);

    /// <summary>Runs a tool. Failures come back as an error result for the model, not as an exception.</summary>
    Task<ToolResult> CallToolAsync(ToolInvocation invocation);

    /// <summary>Waits durably for a person to approve or deny the call, for at most <paramref name="timeout"/>.</summary>
    Task<ApprovalDecision> WaitForApprovalAsync(ToolInvocation invocation, TimeSpan timeout);

    /// <summary>Persists the run's progress (through the persistence queue) and appends its events to the run's log.</summary>
    Task SaveAsync(RunUpdate update);
}

/// <summary>What a run starts from. Loaded once by an activity; replays read it from the orchestration's history.</summary>
public sealed record RunInput(
    Run Run,
    AgentDefinition Agent,
    IReadOnlyList<ChatMessage> History,
    ChatMessage UserMessage,
    IReadOnlyList<ToolSpec> Tools);

/// <summary>A run failed for a reason the client should see.</summary>
public sealed class RunFailedException(Errors.ApiProblem problem) : Exception(problem.Detail ?? problem.Title)
{
    public Errors.ApiProblem Problem { get; } = problem;
}
