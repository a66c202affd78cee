using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Agents.Domain.Runs;
using Azure.Storage.Queues;

namespace Agents.Application.Runs.Persistence;

/// <summary>Sends writes to the persistence queue.</summary>
public sealed class PersistenceSender(QueueServiceClient queues, CosmosDatabase cosmos)
{
    /// <summary>Kept in the queue until the trigger takes them (the service's default is seven days).</summary>
    private static readonly TimeSpan NeverExpires = TimeSpan.FromSeconds(-1);

    /// <summary>A queue message holds 64 KiB of base64, i.e. 48 KiB of text; keep a margin.</summary>
    private const int MaxInlineBytes = 40_000;

    private readonly DocumentContainer runs = new(cosmos.Container(Containers.Runs));

    private readonly QueueClient queue = queues.GetQueueClient(QueueNames.Persist);

    /// <summary>Sends a write; a run update too large for a queue message is stored first and referenced.</summary>
    public async Task SendAsync(PersistenceMessage message, CancellationToken ct)
    {
        message = message with { TraceParent = message.TraceParent ?? Activity.Current?.Id };
        var json = JsonSerializer.Serialize(message, CosmosDatabase.Json);
        if (message is { Run: { } run, Update: { } update } && Encoding.UTF8.GetByteCount(json) > MaxInlineBytes)
        {
            await runs.UpsertAsync(PartitionKeys.Thread(run.UserId, run.ThreadId), "update",
                new StoredUpdate(StoredUpdate.IdFor(run.RunId, update.Version), update), ct).ConfigureAwait(false);
            json = JsonSerializer.Serialize(message with { Update = null, UpdateRef = update.Version }, CosmosDatabase.Json);
        }
        await queue.SendMessageAsync(json, visibilityTimeout: null, NeverExpires, ct).ConfigureAwait(false);
    }

    /// <summary>Puts a write back as a new message, visible in a second, because it waits for a predecessor (waiting is not failing).</summary>
    public Task DeferAsync(PersistenceMessage message, CancellationToken ct) =>
        queue.SendMessageAsync(JsonSerializer.Serialize(message with { Deferrals = message.Deferrals + 1 }, CosmosDatabase.Json), TimeSpan.FromSeconds(1), NeverExpires, ct);

    public Task SendThreadDeletedAsync(string userId, string threadId, string? activeRunId, CancellationToken ct) =>
        SendAsync(new PersistenceMessage { ThreadDeleted = new ThreadDeletion(userId, threadId, activeRunId) }, ct);
}

/// <summary>A run update stored aside because it was too large for a queue message.</summary>
public sealed record StoredUpdate(string Id, RunUpdate Update)
{
    public static string IdFor(string runId, long version) => FormattableString.Invariant($"{runId}:update:{version:D6}");
}
