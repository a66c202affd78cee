using System.Text.Json;
using Agents.Domain.Conversations;
using Agents.Domain.Errors;
using Agents.Domain.Usage;

namespace Agents.Domain.Runs;

/// <summary>
/// A checkpoint of a run's visible state, as a change to the previous one: the new messages, the steps added or changed
/// (by <see cref="RunStep.Index"/>), and the events to append to the run's stream. Updates apply in
/// <see cref="Version"/> order, which increases with every update of a run. <see cref="UsageRecordIds"/> is set on the
/// final update only: every usage record of the run, which must be stored before the run may show as finished.
/// </summary>
public sealed record RunUpdate(
    string RunId,
    long Version,
    RunStatus Status,
    IReadOnlyList<ChatMessage> NewMessages,
    IReadOnlyList<RunStep> Steps,
    IReadOnlyList<PendingToolCall> PendingToolCalls,
    TokenUsage Usage,
    IReadOnlyList<string> UsageRecordIds,
    IReadOnlyList<RunEvent> Events,
    ApiProblem? Error = null,
    DateTimeOffset? StartedAt = null,
    DateTimeOffset? CompletedAt = null);

/// <summary>Applies an update's steps (added or changed, by index) to the steps stored before it.</summary>
public static class RunSteps
{
    public static IReadOnlyList<RunStep> Merge(IReadOnlyList<RunStep> stored, IReadOnlyList<RunStep> changed)
    {
        var merged = stored.ToList();
        foreach (var step in changed)
        {
            if (step.Index > merged.Count)
            {
                throw new InvalidOperationException($"Step {step.Index} arrived before step {merged.Count}: updates must apply in version order.");
            }
            if (step.Index == merged.Count)
            {
                merged.Add(step);
            }
            else
            {
                merged[step.Index] = step;
            }
        }
        return merged;
    }
}

/// <summary>An event of a run's stream. <see cref="Type"/> is one of <see cref="RunEventTypes"/>.</summary>
public sealed record RunEvent(string Type, JsonElement Data)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public static RunEvent Of<T>(string type, T data) => new(type, JsonSerializer.SerializeToElement(data, Json));
}

/// <summary>The event types of a run's stream (the SSE <c>event:</c> field).</summary>
public static class RunEventTypes
{
    public const string Status = "run.status";
    public const string MessageDelta = "message.delta";
    public const string MessageCompleted = "message.completed";
    public const string ToolCallCreated = "tool_call.created";
    public const string ToolCallApprovalRequired = "tool_call.approval_required";
    public const string ToolCallCompleted = "tool_call.completed";
    public const string Usage = "usage";
    public const string Error = "error";
    /// <summary>The last event of every run: the stream closes after it.</summary>
    public const string Done = "done";
}
