using Agents.Domain.Conversations;
using Agents.Domain.Errors;
using Agents.Domain.Usage;

namespace Agents.Domain.Runs;

/// <summary>
/// What the loop has produced so far (steps, messages, usage) and how it is checkpointed: every save sends what changed
/// since the previous save (new messages, added or changed steps, events), so a run's checkpoints add up to O(steps),
/// not O(steps²); the last one also names every usage record of the run.
/// </summary>
internal sealed class LoopState(RunInput input, IAgentRunContext context)
{
    private readonly List<RunStep> steps = [];
    private readonly SortedSet<int> changedSteps = [];
    private readonly List<ChatMessage> unsaved = [];
    private readonly List<RunEvent> events = [];
    private readonly List<string> usageRecordIds = [];
    private TokenUsage usage = TokenUsage.Zero;
    private long version;
    private int position;
    private DateTimeOffset? startedAt;

    public string RunId => input.Run.Id;

    public int NextPosition() => position++;

    public Task SaveAsync(RunStatus status, bool started = false)
    {
        if (started)
        {
            startedAt = context.UtcNow;
        }
        events.Add(RunEvent.Of(RunEventTypes.Status, new { status = StatusName(status) }));
        return FlushAsync(status, [], null);
    }

    public ChatMessage? RecordModelTurn(ModelTurn turn)
    {
        var now = context.UtcNow;
        usage = usage.Add(turn.Usage);
        if (turn.UsageRecordId is not null)
        {
            usageRecordIds.Add(turn.UsageRecordId);
        }
        AddStep(new RunStep
        {
            Index = steps.Count,
            Kind = StepKind.ModelCall,
            Status = turn.Finish switch { ModelFinish.Cancelled => "cancelled", ModelFinish.Interrupted => "failed", _ => "completed" },
            Model = turn.Model,
            Usage = turn.Usage,
            StartedAt = now,
            CompletedAt = now,
        });
        events.Add(RunEvent.Of(RunEventTypes.Usage, new { step = steps.Count - 1, inputTokens = turn.Usage.InputTokens, outputTokens = turn.Usage.OutputTokens, total = usage }));

        if (turn.Content.Length == 0 && turn.ToolCalls.Count == 0)
        {
            return null;
        }
        var message = NewMessage(MessageRole.Assistant, turn.Content) with
        {
            ToolCalls = turn.ToolCalls.Count > 0 ? turn.ToolCalls : null,
            Incomplete = turn.Finish is ModelFinish.Cancelled or ModelFinish.Interrupted,
        };
        unsaved.Add(message);
        events.Add(RunEvent.Of(RunEventTypes.MessageCompleted, message));
        foreach (var call in turn.ToolCalls)
        {
            events.Add(RunEvent.Of(RunEventTypes.ToolCallCreated, new { toolCallId = call.Id, name = call.Name, arguments = call.Arguments }));
        }
        return message;
    }

    public Task ParkAsync(IReadOnlyList<PendingToolCall> pending)
    {
        foreach (var call in pending)
        {
            events.Add(RunEvent.Of(RunEventTypes.ToolCallApprovalRequired, call));
        }
        events.Add(RunEvent.Of(RunEventTypes.Status, new { status = StatusName(RunStatus.RequiresAction) }));
        return FlushAsync(RunStatus.RequiresAction, pending, null);
    }

    public Task StartToolsAsync(IReadOnlyList<ToolInvocation> invocations, IReadOnlyList<ToolReview> reviews, IReadOnlyDictionary<string, ApprovalDecision> decisions)
    {
        var now = context.UtcNow;
        for (var i = 0; i < invocations.Count; i++)
        {
            var invocation = invocations[i];
            decisions.TryGetValue(invocation.ToolCallId, out var d);
            var status = reviews[i].Verdict == ToolReviewVerdict.Block ? "blocked"
                : d is not null && d.Outcome != ApprovalOutcome.Approved
                    ? (d.Outcome == ApprovalOutcome.TimedOut ? "timed_out" : "denied")
                    : "in_progress";
            AddStep(new RunStep
            {
                Index = steps.Count,
                Kind = StepKind.ToolCall,
                Status = status,
                ToolCallId = invocation.ToolCallId,
                ToolName = invocation.Name,
                Arguments = invocation.Arguments,
                ResultSummary = status == "in_progress" ? null : reviews[i].Reason ?? d?.Reason,
                StartedAt = now,
            });
        }
        if (decisions.Count > 0)
        {
            events.Add(RunEvent.Of(RunEventTypes.Status, new { status = StatusName(RunStatus.InProgress) }));
        }
        return FlushAsync(RunStatus.InProgress, [], null);
    }

    public async Task<List<ChatMessage>> RecordToolResultsAsync(IReadOnlyList<ToolInvocation> invocations, IReadOnlyList<ToolResult> results)
    {
        var now = context.UtcNow;
        var messages = new List<ChatMessage>(results.Count);
        for (var i = 0; i < results.Count; i++)
        {
            var result = results[i];
            var message = NewMessage(MessageRole.Tool, result.Content) with { ToolCallId = result.ToolCallId, Name = invocations[i].Name };
            messages.Add(message);
            unsaved.Add(message);
            var stepIndex = steps.FindLastIndex(s => s.ToolCallId == result.ToolCallId);
            var step = steps[stepIndex];
            var summary = Summarize(result.Content);
            changedSteps.Add(stepIndex);
            // The tool's own times where it ran; the batch's otherwise (a call refused without running).
            var started = result.StartedAt ?? step.StartedAt;
            var completed = result.CompletedAt ?? now;
            steps[stepIndex] = step with
            {
                Status = step.Status == "in_progress" ? (result.IsError ? "failed" : "completed") : step.Status,
                ResultSummary = summary,
                StartedAt = started,
                CompletedAt = completed,
            };
            events.Add(RunEvent.Of(RunEventTypes.ToolCallCompleted, new
            {
                toolCallId = result.ToolCallId,
                name = invocations[i].Name,
                arguments = invocations[i].Arguments,
                status = steps[stepIndex].Status,
                isError = result.IsError,
                result = summary,
                durationMs = (int)(completed - started).TotalMilliseconds,
            }));
        }
        await FlushAsync(RunStatus.InProgress, [], null);
        return messages;
    }

    public async Task<RunStatus> FinishAsync(RunStatus status, ApiProblem? error = null)
    {
        events.Add(RunEvent.Of(RunEventTypes.Status, new { status = StatusName(status) }));
        if (error is not null)
        {
            events.Add(RunEvent.Of(RunEventTypes.Error, error));
        }
        events.Add(RunEvent.Of(RunEventTypes.Done, new { status = StatusName(status), usage }));
        await FlushAsync(status, [], error, completed: true);
        return status;
    }

    public static string StatusName(RunStatus status) => status switch
    {
        RunStatus.InProgress => "in_progress",
        RunStatus.RequiresAction => "requires_action",
        _ => status.ToString().ToLowerInvariant(),
    };

    private ChatMessage NewMessage(MessageRole role, string content)
    {
        var now = context.UtcNow;
        var index = NextPosition();
        return new ChatMessage
        {
            Id = FormattableString.Invariant($"{RunId}-{index:D3}"),
            ThreadId = input.Run.ThreadId,
            Role = role,
            Content = content,
            RunId = RunId,
            AgentId = input.Agent.Id,
            CreatedAt = now,
            SortKey = ChatMessage.MakeSortKey(input.UserMessage.CreatedAt, RunId, index + 1),
        };
    }

    private void AddStep(RunStep step)
    {
        changedSteps.Add(steps.Count);
        steps.Add(step);
    }

    private async Task FlushAsync(RunStatus status, IReadOnlyList<PendingToolCall> pending, ApiProblem? error, bool completed = false)
    {
        var update = new RunUpdate(
            RunId, ++version, status, unsaved.ToList(), changedSteps.Select(i => steps[i]).ToList(), pending, usage,
            completed ? usageRecordIds.ToList() : [], events.ToList(), error, startedAt, completed ? context.UtcNow : null);
        unsaved.Clear();
        changedSteps.Clear();
        events.Clear();
        await context.SaveAsync(update);
    }

    private static string Summarize(string content) =>
        content.Length <= AgentLoop.ResultSummaryLength ? content : content[..AgentLoop.ResultSummaryLength] + "…";
}
