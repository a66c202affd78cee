namespace Agents.Domain.Runs;

/// <summary>
/// A tool call to execute. <see cref="IdempotencyKey"/> (run id + tool call id) is the same on every retry and replay,
/// so a tool with side effects can recognise a repeat.
/// </summary>
public sealed record ToolInvocation(string RunId, string ToolCallId, string Name, string Arguments, int TimeoutSeconds)
{
    public string IdempotencyKey => $"{RunId}:{ToolCallId}";
}

/// <summary>
/// A tool's result as it goes back to the model. <see cref="StartedAt"/> and <see cref="CompletedAt"/> are when this
/// tool ran (set where it executed), so each of a batch of parallel calls has its own duration; null for a call that
/// did not run (blocked, denied).
/// </summary>
public sealed record ToolResult(string ToolCallId, string Content, bool IsError = false)
{
    public DateTimeOffset? StartedAt { get; init; }

    public DateTimeOffset? CompletedAt { get; init; }
}

public enum ApprovalOutcome
{
    Approved,
    Denied,
    TimedOut,
    Cancelled,
}

/// <summary>A person's answer to a parked tool call, or what happened instead.</summary>
public sealed record ApprovalDecision(ApprovalOutcome Outcome, string? Reason = null, string? DecidedBy = null);

public enum ToolReviewVerdict
{
    Allow,
    Block,
    RequireApproval,
}

/// <summary>What the policy chain says of a proposed tool call.</summary>
public sealed record ToolReview(ToolReviewVerdict Verdict, string? Reason = null, string? Policy = null)
{
    public static readonly ToolReview Allowed = new(ToolReviewVerdict.Allow);
}
