using Agents.Application.Storage.Cosmos;
using Agents.Domain.Conversations;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Conversations;

/// <summary>
/// Messages, append-only: one document each in the thread's partition of the <c>messages</c> container.
/// Writes are idempotent (deterministic ids), so a redelivered persistence message changes nothing.
/// </summary>
public sealed class MessageStore(CosmosDatabase cosmos)
{
    private const string Type = "message";

    /// <summary>How much history a run reads; the prompt builder trims it further by tokens.</summary>
    public const int HistoryLimit = 200;

    private readonly DocumentContainer messages = new(cosmos.Container(Containers.Messages));

    public Task AppendAsync(string ownerId, ChatMessage message, CancellationToken ct) =>
        messages.UpsertAsync(PartitionKeys.Thread(ownerId, message.ThreadId), Type, message, ct);

    public async Task<ChatMessage?> GetAsync(string ownerId, string threadId, string messageId, CancellationToken ct) =>
        (await messages.ReadAsync<ChatMessage>(PartitionKeys.Thread(ownerId, threadId), messageId, ct).ConfigureAwait(false))?.Value;

    public Task<Page<ChatMessage>> ListAsync(string ownerId, string threadId, int limit, string? cursor, bool ascending, CancellationToken ct)
    {
        var pk = PartitionKeys.Thread(ownerId, threadId);
        var order = ascending ? "ASC" : "DESC";
        return messages.QueryPageAsync<ChatMessage>(
            pk,
            new QueryDefinition($"SELECT * FROM c WHERE c.pk = @pk AND c.type = @type ORDER BY c.sortKey {order}")
                .WithParameter("@pk", pk).WithParameter("@type", Type),
            limit, cursor, ct);
    }

    /// <summary>The latest messages before <paramref name="beforeSortKey"/>, oldest first.</summary>
    public async Task<IReadOnlyList<ChatMessage>> GetHistoryAsync(string ownerId, string threadId, string beforeSortKey, CancellationToken ct)
    {
        var pk = PartitionKeys.Thread(ownerId, threadId);
        var latest = await messages.QueryAllAsync<ChatMessage>(pk,
            new QueryDefinition($"SELECT TOP {HistoryLimit} * FROM c WHERE c.pk = @pk AND c.type = @type AND c.sortKey < @before ORDER BY c.sortKey DESC")
                .WithParameter("@pk", pk).WithParameter("@type", Type).WithParameter("@before", beforeSortKey), ct).ConfigureAwait(false);
        latest.Reverse();
        return latest;
    }

    /// <summary>Which of <paramref name="ids"/> are stored (read-your-writes check before a run is reported finished).</summary>
    public async Task<IReadOnlySet<string>> ExistingAsync(string ownerId, string threadId, IReadOnlyCollection<string> ids, CancellationToken ct)
    {
        if (ids.Count == 0)
        {
            return new HashSet<string>();
        }
        var pk = PartitionKeys.Thread(ownerId, threadId);
        var found = await messages.QueryAllAsync<IdOnly>(pk,
            new QueryDefinition("SELECT c.id FROM c WHERE c.pk = @pk AND ARRAY_CONTAINS(@ids, c.id)")
                .WithParameter("@pk", pk).WithParameter("@ids", ids), ct).ConfigureAwait(false);
        return found.Select(f => f.Id).ToHashSet(StringComparer.Ordinal);
    }

    /// <summary>Takes back the user message of a run the engine refused, so the client's retry does not post it twice.</summary>
    public Task<bool> RemoveAsync(string ownerId, string threadId, string messageId, CancellationToken ct) =>
        messages.DeleteAsync(PartitionKeys.Thread(ownerId, threadId), messageId, ct);

    /// <summary>Deletes every message of a deleted thread (deferred cleanup).</summary>
    public async Task<int> DeleteThreadAsync(string ownerId, string threadId, CancellationToken ct)
    {
        var pk = PartitionKeys.Thread(ownerId, threadId);
        var all = await messages.QueryAllAsync<IdOnly>(pk, new QueryDefinition("SELECT c.id FROM c WHERE c.pk = @pk").WithParameter("@pk", pk), ct).ConfigureAwait(false);
        foreach (var item in all)
        {
            await messages.DeleteAsync(pk, item.Id, ct).ConfigureAwait(false);
        }
        return all.Count;
    }
}

/// <summary>A projection of just the id.</summary>
public sealed record IdOnly(string Id);
