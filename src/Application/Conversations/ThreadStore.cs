using Agents.Application.Storage.Cosmos;
using Agents.Domain.Conversations;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Conversations;

/// <summary>Threads, one document each in the owner's partition of the <c>threads</c> container.</summary>
public sealed class ThreadStore(CosmosDatabase cosmos, OptimisticUpdates updates)
{
    private const string Type = "thread";
    private readonly DocumentContainer threads = new(cosmos.Container(Containers.Threads));

    public Task CreateAsync(ChatThread thread, CancellationToken ct) =>
        threads.CreateAsync(PartitionKeys.Owner(thread.OwnerId), Type, thread, ct);

    public async Task<Stored<ChatThread>?> GetAsync(string ownerId, string threadId, CancellationToken ct) =>
        await threads.ReadAsync<ChatThread>(PartitionKeys.Owner(ownerId), threadId, ct).ConfigureAwait(false);

    /// <summary>The owner's threads, newest first.</summary>
    public Task<Page<ChatThread>> ListAsync(string ownerId, int limit, string? cursor, CancellationToken ct) =>
        threads.QueryPageAsync<ChatThread>(
            PartitionKeys.Owner(ownerId),
            new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk AND c.type = @type ORDER BY c.createdAt DESC")
                .WithParameter("@pk", PartitionKeys.Owner(ownerId)).WithParameter("@type", Type),
            limit, cursor, ct);

    public Task<string> ReplaceAsync(ChatThread thread, string etag, CancellationToken ct) =>
        threads.ReplaceAsync(PartitionKeys.Owner(thread.OwnerId), Type, thread.Id, thread, etag, ct);

    public Task<bool> DeleteAsync(string ownerId, string threadId, CancellationToken ct) =>
        threads.DeleteAsync(PartitionKeys.Owner(ownerId), threadId, ct);

    /// <summary>
    /// Claims the thread for a new run. Succeeds only if no other run holds it (or the holder is finished, per
    /// <paramref name="isHolderFinished"/>); the ETag makes two concurrent claims race safely: one wins.
    /// </summary>
    public Task<ClaimResult> TryClaimForRunAsync(
        string ownerId, string threadId, string runId, DateTimeOffset now, Func<string, Task<bool>> isHolderFinished, CancellationToken ct) =>
        // Someone changing the thread meanwhile (another claim, a rename) makes the write lose: read again and decide again.
        updates.RunAsync($"thread {threadId}", async token =>
        {
            var stored = await GetAsync(ownerId, threadId, token).ConfigureAwait(false);
            if (stored is null)
            {
                return ClaimResult.ThreadNotFound;
            }
            if (stored.Value.ActiveRunId is { } holder && holder != runId && !await isHolderFinished(holder).ConfigureAwait(false))
            {
                return ClaimResult.Busy(holder);
            }
            await ReplaceAsync(stored.Value with { ActiveRunId = runId, UpdatedAt = now }, stored.ETag, token).ConfigureAwait(false);
            return ClaimResult.Claimed;
        }, ct);

    /// <summary>Releases the thread if <paramref name="runId"/> still holds it.</summary>
    public Task ReleaseAsync(string ownerId, string threadId, string runId, CancellationToken ct) =>
        updates.RunAsync($"thread {threadId}", async token =>
        {
            var stored = await GetAsync(ownerId, threadId, token).ConfigureAwait(false);
            if (stored is not null && stored.Value.ActiveRunId == runId)
            {
                await ReplaceAsync(stored.Value with { ActiveRunId = null }, stored.ETag, token).ConfigureAwait(false);
            }
            return true;
        }, ct);
}

public sealed record ClaimResult(bool Success, bool NotFound, string? ActiveRunId)
{
    public static readonly ClaimResult Claimed = new(true, false, null);
    public static readonly ClaimResult ThreadNotFound = new(false, true, null);

    public static ClaimResult Busy(string? activeRunId) => new(false, false, activeRunId);
}
