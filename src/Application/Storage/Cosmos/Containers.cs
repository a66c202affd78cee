namespace Agents.Application.Storage.Cosmos;

/// <summary>
/// The containers of the data model. Every container is partitioned on <c>/pk</c>, a synthetic key that starts with
/// the owner's user id, so a query can only ever reach the caller's own partition (see docs/data-model.md).
/// infra/bicep creates the same list.
/// </summary>
public static class Containers
{
    public const string PartitionKeyPath = "/pk";

    public const string Agents = "agents";
    public const string Threads = "threads";
    public const string Messages = "messages";
    public const string Runs = "runs";
    public const string Events = "events";
    public const string Usage = "usage";
    public const string ApiKeys = "apikeys";
    public const string Limits = "limits";
    public const string Policies = "policies";
    public const string Activity = "activity";

    public static readonly IReadOnlyList<string> All =
        [Agents, Threads, Messages, Runs, Events, Usage, ApiKeys, Limits, Policies, Activity];

    /// <summary>
    /// Containers whose documents may expire: their TTL is on without a default (-1), and each document that should
    /// expire carries its own <c>ttl</c> (run events, activity events, stored prompts). infra/bicep sets the same.
    /// </summary>
    public static readonly IReadOnlyList<string> WithTimeToLive = [Runs, Events, Activity];
}
