using Agents.Application.Runs;
using Agents.Domain.Runs;
using Microsoft.DurableTask;

namespace Agents.Functions.Runs;

/// <summary>
/// The Durable engine's <see cref="IAgentRunContext"/>: each call of the agent loop becomes an activity over the shared
/// <see cref="RunActivities"/> (retried on transient failures only), an approval an external event raced with a durable
/// timer and a cancel event. Positions advance exactly as in the local engine's JournalRunContext (one per call, two
/// per approval wait), so a run gets the same event ids on either engine. This is orchestrator code: deterministic,
/// no I/O, no clock but the orchestration's.
/// </summary>
internal sealed class DurableRunContext(TaskOrchestrationContext context, RunRef run) : IAgentRunContext
{
    /// <summary>Raised (without payload) by <see cref="RunStarter"/> when the run's cancel was requested.</summary>
    public const string CancelEvent = "cancel";

    private RunInput? input;
    private Task<object?>? cancelled;
    private int next;

    /// <summary>Raised by <see cref="RunStarter"/> with the <see cref="ApprovalDecision"/> on a parked tool call.</summary>
    public static string ApprovalEvent(string toolCallId) => $"approval:{toolCallId}";

    public DateTimeOffset UtcNow => new(context.CurrentUtcDateTime, TimeSpan.Zero);

    /// <summary>What the review and model activities need of the input: the run and the agent, not the history.</summary>
    private RunInput StepInput => input! with { History = [] };

    public async Task<RunInput> LoadInputAsync()
    {
        next++;
        var loaded = await context.CallActivityAsync<Outcome<RunInput>>(nameof(RunActivityFunctions.LoadRunInput), run, TransientFailures.Retry);
        return input = loaded.Unwrap();
    }

    public async Task<ModelTurn> CallModelAsync(ModelCall modelCall)
    {
        var step = new ModelStep(run, StepInput, modelCall, next++);
        var turn = await context.CallActivityAsync<Outcome<ModelTurn>>(nameof(RunActivityFunctions.CallModel), step, TransientFailures.Retry);
        return turn.Unwrap();
    }

    public Task<ToolReview> ReviewToolCallAsync(ToolInvocation invocation)
    {
        next++;
        return context.CallActivityAsync<ToolReview>(nameof(RunActivityFunctions.ReviewToolCall), new ReviewStep(run, StepInput, invocation), TransientFailures.Retry);
    }

    public Task<ToolResult> CallToolAsync(ToolInvocation invocation)
    {
        next++;
        return context.CallActivityAsync<ToolResult>(nameof(RunActivityFunctions.CallTool), new ToolStep(run, invocation), TransientFailures.Retry);
    }

    public Task SaveAsync(RunUpdate update) =>
        context.CallActivityAsync(nameof(RunActivityFunctions.SaveRun), new SaveStep(run, update, next++), TransientFailures.Retry);

    public async Task<ApprovalDecision> WaitForApprovalAsync(ToolInvocation invocation, TimeSpan timeout)
    {
        next += 2; // the journal's deadline and decision positions
        using var stop = new CancellationTokenSource();
        var decision = context.WaitForExternalEvent<ApprovalDecision>(ApprovalEvent(invocation.ToolCallId), stop.Token);
        var deadline = context.CreateTimer(timeout, stop.Token);
        // One wait for the cancel event serves every parked call: an event completes a single waiter.
        var cancel = cancelled ??= context.WaitForExternalEvent<object?>(CancelEvent);

        var first = await Task.WhenAny(decision, deadline, cancel);
        stop.Cancel(); // a pending durable timer would keep the orchestration running until it fires
        return first == decision ? await decision
            : first == cancel ? new ApprovalDecision(ApprovalOutcome.Cancelled, "The run was cancelled.")
            : new ApprovalDecision(ApprovalOutcome.TimedOut, "No decision before the deadline.");
    }
}
