using Agents.Domain.Agents;
using Agents.Domain.Errors;
using Agents.Domain.Usage;

namespace Agents.Domain.Runs;

public enum RunStatus
{
    Queued,
    InProgress,
    RequiresAction,
    Completed,
    Failed,
    Cancelled,
    Expired,
}

public static class RunStatusExtensions
{
    public static bool IsTerminal(this RunStatus status) =>
        status is RunStatus.Completed or RunStatus.Failed or RunStatus.Cancelled or RunStatus.Expired;
}

public enum StepKind
{
    ModelCall,
    ToolCall,
}

/// <summary>One step of a run: a model call or a tool call, with its outcome.</summary>
public sealed record RunStep
{
    public required int Index { get; init; }
    public required StepKind Kind { get; init; }
    /// <summary>in_progress, completed, failed, denied, blocked, cancelled, timed_out.</summary>
    public required string Status { get; init; }
    public string? Model { get; init; }
    public string? ToolCallId { get; init; }
    public string? ToolName { get; init; }
    public string? Arguments { get; init; }
    /// <summary>A bounded summary of a tool's result (the full result is the tool message).</summary>
    public string? ResultSummary { get; init; }
    public TokenUsage? Usage { get; init; }
    public DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
}

/// <summary>A tool call waiting for a person's decision.</summary>
public sealed record PendingToolCall(string ToolCallId, string Name, string Arguments, string Reason, DateTimeOffset ExpiresAt);

/// <summary>The state of a run as clients see it.</summary>
public sealed record Run
{
    public required string Id { get; init; }
    public required string ThreadId { get; init; }
    public required string OwnerId { get; init; }
    public required string TenantId { get; init; }
    public required string AgentId { get; init; }
    public RunStatus Status { get; init; } = RunStatus.Queued;
    public ModelParameters Parameters { get; init; } = new();
    public string? UserMessageId { get; init; }
    public IReadOnlyList<RunStep> Steps { get; init; } = [];
    public IReadOnlyList<PendingToolCall> PendingToolCalls { get; init; } = [];
    public TokenUsage Usage { get; init; } = TokenUsage.Zero;
    public ApiProblem? Error { get; init; }
    public bool CancelRequested { get; init; }
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    /// <summary>Monotonic version of the state written by the engine; an older update never overwrites a newer one.</summary>
    public long Version { get; init; }
}
