namespace Agents.Domain.Usage;

/// <summary>Tokens of one or more model calls.</summary>
public sealed record TokenUsage(int InputTokens, int OutputTokens, int CachedTokens = 0)
{
    public static readonly TokenUsage Zero = new(0, 0);

    public int TotalTokens => InputTokens + OutputTokens;

    public TokenUsage Add(TokenUsage other) =>
        new(InputTokens + other.InputTokens, OutputTokens + other.OutputTokens, CachedTokens + other.CachedTokens);
}

/// <summary>
/// One ledger entry: exactly one per model call. The id is deterministic (the run and the call's position, or the
/// gateway request id), so a replay or a redelivered message cannot count the same call twice.
/// </summary>
public sealed record UsageRecord
{
    public required string Id { get; init; }
    public required string UserId { get; init; }
    public required string TenantId { get; init; }
    public required string Model { get; init; }
    public string? AgentId { get; init; }
    public string? RunId { get; init; }
    public string? ThreadId { get; init; }
    /// <summary>"run" or "gateway".</summary>
    public string Source { get; init; } = "run";
    public required TokenUsage Usage { get; init; }
    /// <summary>True when the call did not finish (cancelled, dropped) and the output was counted from what arrived.</summary>
    public bool Partial { get; init; }
    public DateTimeOffset At { get; init; }
}
