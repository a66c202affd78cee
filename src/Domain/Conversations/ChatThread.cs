namespace Agents.Domain.Conversations;

/// <summary>A conversation owned by one user. Messages are separate, append-only documents.</summary>
public sealed record ChatThread
{
    public required string Id { get; init; }
    public required string OwnerId { get; init; }
    public string Title { get; init; } = "New chat";
    public IReadOnlyDictionary<string, string> Metadata { get; init; } = new Dictionary<string, string>();
    public DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset UpdatedAt { get; init; }
    /// <summary>The run in progress, if any: at most one per thread.</summary>
    public string? ActiveRunId { get; init; }
}
