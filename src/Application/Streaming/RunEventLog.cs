using System.Text.Json;
using Agents.Application.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Streaming;

/// <summary>An event of a run's stream as stored and served: <see cref="Id"/> is the SSE id, monotonic per run.</summary>
public sealed record StoredEvent(long Id, string Type, JsonElement Data);

/// <summary>
/// The durable, ordered log of a run's events, in the run's partition of the <c>events</c> container. Events are
/// written in batches (one document per batch) whose ids are deterministic, so a re-executed step overwrites its own
/// batches instead of adding new ones. Ids are <c>(position &lt;&lt; 20) | index</c>: the position of the producing
/// call in the run, then the event's index within that call.
/// </summary>
public sealed class RunEventLog(CosmosDatabase cosmos, RunEventHub hub, StreamingOptions options)
{
    private const string Type = "events";
    private readonly DocumentContainer events = new(cosmos.Container(Containers.Events));

    public static long MakeId(int position, int index) => ((long)position << 20) | (uint)index;

    /// <summary>The index of an event within its call (0 for the call's first event).</summary>
    public static int IndexOf(long id) => (int)(id & ((1 << 20) - 1));

    /// <summary>
    /// The position of the events written when a run's end is durable (the final <c>done</c>, and the error of a run
    /// that failed on every delivery): after every position a run can reach, so they always come last.
    /// </summary>
    public const int FinalPosition = int.MaxValue >> 12;

    /// <summary>Appends a batch and, unless the writer already did, publishes it to in-process subscribers.</summary>
    public async Task AppendAsync(string ownerId, string runId, IReadOnlyList<StoredEvent> batch, DateTimeOffset now, CancellationToken ct, bool publish = true)
    {
        if (batch.Count == 0)
        {
            return;
        }
        var doc = new EventBatch(FormattableString.Invariant($"{runId}:{batch[0].Id:D20}"), runId, batch[0].Id, batch[^1].Id, batch, now, options.RetentionDays * 86_400);
        await events.UpsertAsync(PartitionKeys.RunEvents(ownerId, runId), Type, doc, ct).ConfigureAwait(false);
        if (publish)
        {
            hub.Publish(ownerId, runId, batch);
        }
    }

    /// <summary>Every stored event of the run after <paramref name="afterId"/>, in order.</summary>
    public async Task<IReadOnlyList<StoredEvent>> ReadAfterAsync(string ownerId, string runId, long afterId, CancellationToken ct)
    {
        var pk = PartitionKeys.RunEvents(ownerId, runId);
        var batches = await events.QueryAllAsync<EventBatch>(pk,
            new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk AND c.type = @type AND c.lastId > @after ORDER BY c.firstId")
                .WithParameter("@pk", pk).WithParameter("@type", Type).WithParameter("@after", afterId), ct).ConfigureAwait(false);
        return batches.SelectMany(b => b.Events).Where(e => e.Id > afterId).ToList();
    }

    /// <summary>Deletes a run's whole log (its thread was deleted).</summary>
    public async Task DeleteRunAsync(string ownerId, string runId, CancellationToken ct)
    {
        var pk = PartitionKeys.RunEvents(ownerId, runId);
        var all = await events.QueryAllAsync<OldBatch>(pk, new QueryDefinition("SELECT c.id, c.pk FROM c WHERE c.pk = @pk").WithParameter("@pk", pk), ct).ConfigureAwait(false);
        foreach (var batch in all)
        {
            await events.DeleteAsync(pk, batch.Id, ct).ConfigureAwait(false);
        }
    }

    /// <summary>A batch of events; <see cref="Ttl"/> (seconds) lets Cosmos DB expire it after the retention period.</summary>
    private sealed record EventBatch(string Id, string RunId, long FirstId, long LastId, IReadOnlyList<StoredEvent> Events, DateTimeOffset At, int Ttl);

    private sealed record OldBatch(string Id, string Pk);
}
