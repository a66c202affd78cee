using System.Text.Json;
using Agents.Domain.Conversations;
using Agents.Domain.Errors;
using Agents.Domain.Usage;

namespace Agents.Domain.Runs;

/// <summary>
/// A checkpoint of a run's visible state: the new messages since the last update, the whole step list, and the
/// events to append to the run's stream. <see cref="Version"/> increases with every update of a run.
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
