using Agents.Application.Runs;
using Agents.Application.Runs.Persistence;
using Agents.Application.Telemetry;
using Agents.Domain.Runs;
using Microsoft.DurableTask;

namespace Agents.Functions.Runs;

/// <summary>
/// The agent loop's <see cref="IAgentRunContext"/> in an orchestration: each call becomes an activity over
/// <see cref="RunActivities"/> (retried on transient failures only), an approval an external event raced with a durable
/// timer and the cancel event. Positions advance one per call (two per approval wait) and give the events and usage
/// records their ids. A model call passes the prompt by reference: only what the loop appended since the previous call
/// travels in the activity input. A save that announces no parked or final state waits for the next call: a model call
/// carries it (executed first, in the same activity), anything else saves it first. This is orchestrator code:
/// deterministic, no I/O, no clock but the orchestration's.
/// </summary>
internal sealed class DurableRunContext(TaskOrchestrationContext context, RunRef run) : IAgentRunContext
{
    /// <summary>Raised (without payload) by <see cref="DurableRunScheduler"/> when the run's cancel was requested.</summary>
    public const string CancelEvent = "cancel";

    private RunInput? input;
    private Task<object?>? cancelled;
    private int next;
    private IReadOnlyList<Agents.Domain.Conversations.ChatMessage> sentPrompt = [];
    private SaveStep? deferredSave;
    private Task saved = Task.CompletedTask;

    /// <summary>Raised by <see cref="DurableRunScheduler"/> with the <see cref="ApprovalDecision"/> on a parked tool call.</summary>
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
        // The loop's prompt only grows: send what it appended since the last call, after the part already stored.
        var offset = IsExtensionOf(modelCall.Messages, sentPrompt) ? sentPrompt.Count : 0;
        var added = modelCall.Messages.Skip(offset).ToList();
        sentPrompt = modelCall.Messages;
        var step = new ModelStep(run, StepInput, modelCall with { Messages = added }, offset, next++, deferredSave);
        deferredSave = null;
        await saved;
        var turn = await context.CallActivityAsync<Outcome<ModelTurn>>(nameof(RunActivityFunctions.CallModel), step, TransientFailures.Retry);
        return turn.Unwrap();
    }

    public async Task<ToolReview> ReviewToolCallAsync(ToolInvocation invocation)
    {
        var step = new ReviewStep(run, StepInput, invocation);
        next++;
        await SaveDeferredAsync();
        return await context.CallActivityAsync<ToolReview>(nameof(RunActivityFunctions.ReviewToolCall), step, TransientFailures.Retry);
    }

    public async Task<ToolResult> CallToolAsync(ToolInvocation invocation)
    {
        next++;
        await SaveDeferredAsync();
        var scheduled = UtcNow;
        var result = await context.CallActivityAsync<ToolResult>(nameof(RunActivityFunctions.CallTool), new ToolStep(run, invocation), TransientFailures.Retry);
        if (!context.IsReplaying) // once, when the result is new: a replay passes here again
        {
            AgentsTelemetry.RecordToolCall(run, AgentId, invocation.Name, invocation.ToolCallId, result.IsError, result.StartedAt ?? scheduled, result.CompletedAt ?? UtcNow);
        }
        return result;
    }

    public async Task SaveAsync(RunUpdate update)
    {
        var step = new SaveStep(run, update, next++);
        await SaveDeferredAsync();
        if (RunPersistence.IsHeldUntilDurable(update))
        {
            await context.CallActivityAsync(nameof(RunActivityFunctions.SaveRun), step, TransientFailures.Retry);
        }
        else
        {
            deferredSave = step;
        }
    }

    /// <summary>Saves the deferred update, once, however many calls (parallel reviews, tool calls) wait for it.</summary>
    private Task SaveDeferredAsync()
    {
        if (deferredSave is { } step)
        {
            deferredSave = null;
            saved = context.CallActivityAsync(nameof(RunActivityFunctions.SaveRun), step, TransientFailures.Retry);
        }
        return saved;
    }

    public async Task<ApprovalDecision> WaitForApprovalAsync(ToolInvocation invocation, TimeSpan timeout)
    {
        next += 2; // the deadline's and the decision's positions
        await SaveDeferredAsync();
        using var stop = new CancellationTokenSource();
        var decision = context.WaitForExternalEvent<ApprovalDecision>(ApprovalEvent(invocation.ToolCallId), stop.Token);
        var deadline = context.CreateTimer(timeout, stop.Token);
        // One wait for the cancel event serves every parked call: an event completes a single waiter.
        var cancel = cancelled ??= context.WaitForExternalEvent<object?>(CancelEvent);

        var waited = UtcNow;
        var first = await Task.WhenAny(decision, deadline, cancel);
        stop.Cancel(); // a pending durable timer would keep the orchestration running until it fires
        var outcome = first == decision ? await decision
            : first == cancel ? new ApprovalDecision(ApprovalOutcome.Cancelled, "The run was cancelled.")
            : new ApprovalDecision(ApprovalOutcome.TimedOut, "No decision before the deadline.");
        if (!context.IsReplaying)
        {
            AgentsTelemetry.RecordApprovalWait(run, AgentId, invocation.Name, invocation.ToolCallId, OutcomeName(outcome.Outcome), waited, UtcNow);
        }
        return outcome;
    }

    /// <summary>The run's agent, once its input is loaded (the run's agent id until then is unknown).</summary>
    public string AgentId => input?.Agent.Id ?? "unknown";

    public string? AgentName => input?.Agent.Name;

    public string? Model => input?.Agent.Model;

    private static string OutcomeName(ApprovalOutcome outcome) => outcome switch
    {
        ApprovalOutcome.TimedOut => "timed_out",
        _ => outcome.ToString().ToLowerInvariant(),
    };

    private static bool IsExtensionOf(IReadOnlyList<Agents.Domain.Conversations.ChatMessage> prompt, IReadOnlyList<Agents.Domain.Conversations.ChatMessage> prefix) =>
        prompt.Count >= prefix.Count && prefix.Select((m, i) => ReferenceEquals(m, prompt[i]) || m.Id == prompt[i].Id).All(same => same);
}
