namespace Agents.Domain.Conversations;

public enum MessageRole
{
    System,
    User,
    Assistant,
    Tool,
}

/// <summary>A tool call the model proposed. <see cref="Arguments"/> is the JSON text the model produced.</summary>
public sealed record ToolCall(string Id, string Name, string Arguments);

/// <summary>
/// One message of a thread. Stored append-only; <see cref="SortKey"/> orders a thread's messages
/// (creation time, then run and position), so paging is stable.
/// </summary>
public sealed record ChatMessage
{
    public required string Id { get; init; }
    public required string ThreadId { get; init; }
    public required MessageRole Role { get; init; }
    public string Content { get; init; } = "";
    public IReadOnlyList<ToolCall>? ToolCalls { get; init; }
    /// <summary>For a tool message: the call it answers.</summary>
    public string? ToolCallId { get; init; }
    /// <summary>For a tool message: the tool's name.</summary>
    public string? Name { get; init; }
    public string? RunId { get; init; }
    public string? AgentId { get; init; }
    /// <summary>True when the run was cancelled while this message was being produced.</summary>
    public bool Incomplete { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public string SortKey { get; init; } = "";

    public static string MakeSortKey(DateTimeOffset createdAt, string runId, int position) =>
        FormattableString.Invariant($"{createdAt.UtcDateTime:yyyyMMddHHmmssfffffff}|{runId}|{position:D5}");
}
