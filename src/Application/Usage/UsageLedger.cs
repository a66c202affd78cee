using Agents.Application.Storage.Cosmos;
using Agents.Domain.Usage;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Usage;

/// <summary>
/// The usage ledger: one document per model call in the user's partition of the <c>usage</c> container. Records are
/// created, never upserted, with deterministic ids: the first write wins and a replay cannot count a call twice.
/// </summary>
public sealed class UsageLedger(CosmosDatabase cosmos)
{
    private const string Type = "usage";
    private readonly DocumentContainer usage = new(cosmos.Container(Containers.Usage));

    /// <summary>Records a call; false if it was already recorded.</summary>
    public Task<bool> RecordAsync(UsageRecord record, CancellationToken ct) =>
        usage.TryCreateAsync(PartitionKeys.Owner(record.UserId), Type, record, ct);

    public async Task<IReadOnlySet<string>> ExistingAsync(string userId, IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return new HashSet<string>();
        }
        var pk = PartitionKeys.Owner(userId);
        var found = await usage.QueryAllAsync<Conversations.IdOnly>(pk,
            new QueryDefinition("SELECT c.id FROM c WHERE c.pk = @pk AND ARRAY_CONTAINS(@ids, c.id)")
                .WithParameter("@pk", pk).WithParameter("@ids", ids), ct).ConfigureAwait(false);
        return found.Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>A user's records in [from, to).</summary>
    public Task<List<UsageRecord>> ListAsync(string userId, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var pk = PartitionKeys.Owner(userId);
        return usage.QueryAllAsync<UsageRecord>(pk,
            new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk AND c.type = @type AND c.at >= @from AND c.at < @to")
                .WithParameter("@pk", pk).WithParameter("@type", Type)
                .WithParameter("@from", from.UtcDateTime.ToString("O")).WithParameter("@to", to.UtcDateTime.ToString("O")), ct);
    }

    /// <summary>Everyone's records in [from, to) (admin only: crosses partitions).</summary>
    public Task<List<UsageRecord>> ListAllAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct) =>
        usage.QueryAllAsync<UsageRecord>(null,
            new QueryDefinition("SELECT * FROM c WHERE c.type = @type AND c.at >= @from AND c.at < @to")
                .WithParameter("@type", Type)
                .WithParameter("@from", from.UtcDateTime.ToString("O")).WithParameter("@to", to.UtcDateTime.ToString("O")), ct);
}
