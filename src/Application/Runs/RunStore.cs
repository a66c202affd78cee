using Agents.Application.Storage.Cosmos;
using Agents.Domain.Conversations;
using Agents.Domain.Runs;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Runs;

/// <summary>
/// Runs and what the engine keeps beside them, all in the thread's partition of the <c>runs</c> container:
/// the run document, its prompt (stored by the model calls, so that the orchestration passes it by reference) and
/// approval decisions.
/// </summary>
public sealed class RunStore(CosmosDatabase cosmos, OptimisticUpdates updates)
{
    private const string RunType = "run";
    private const string PromptType = "prompt";
    private const string ApprovalType = "approval";

    private readonly DocumentContainer runs = new(cosmos.Container(Containers.Runs));

    public Task CreateAsync(Run run, CancellationToken ct) =>
        runs.CreateAsync(PartitionKeys.Thread(run.OwnerId, run.ThreadId), RunType, run, ct);

    public Task<Stored<Run>?> GetAsync(string ownerId, string threadId, string runId, CancellationToken ct) =>
        runs.ReadAsync<Run>(PartitionKeys.Thread(ownerId, threadId), runId, ct);

    public Task<string> ReplaceAsync(Run run, string etag, CancellationToken ct) =>
        runs.ReplaceAsync(PartitionKeys.Thread(run.OwnerId, run.ThreadId), RunType, run.Id, run, etag, ct);

    /// <summary>Applies <paramref name="change"/> (null: nothing to write) with optimistic concurrency, again on a concurrent write.</summary>
    public Task<Run?> UpdateAsync(string ownerId, string threadId, string runId, Func<Run, Run?> change, CancellationToken ct) =>
        updates.RunAsync($"run {runId}", async token =>
        {
            var stored = await GetAsync(ownerId, threadId, runId, token).ConfigureAwait(false);
            if (stored is null)
            {
                return null;
            }
            var changed = change(stored.Value);
            if (changed is null)
            {
                return stored.Value;
            }
            await ReplaceAsync(changed, stored.ETag, token).ConfigureAwait(false);
            return changed;
        }, ct);

    // ---- prompt ----

    /// <summary>
    /// Stores the messages a model call added to the run's prompt, at the chunk's offset. Idempotent: a
    /// retried or replayed call writes the same chunk under the same id.
    /// </summary>
    public Task AppendPromptAsync(string ownerId, string threadId, PromptChunk chunk, CancellationToken ct) =>
        runs.UpsertAsync(PartitionKeys.Thread(ownerId, threadId), PromptType, chunk, ct);

    /// <summary>The run's prompt chunks stored before <paramref name="offset"/>, in order.</summary>
    public async Task<List<PromptChunk>> ReadPromptAsync(string ownerId, string threadId, string runId, int offset, CancellationToken ct)
    {
        var pk = PartitionKeys.Thread(ownerId, threadId);
        return await runs.QueryAllAsync<PromptChunk>(pk,
            new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk AND c.type = @type AND c.runId = @run AND c.offset < @offset ORDER BY c.offset")
                .WithParameter("@pk", pk).WithParameter("@type", PromptType).WithParameter("@run", runId).WithParameter("@offset", offset), ct).ConfigureAwait(false);
    }

    // ---- the sweep ----

    /// <summary>Runs of every user that are not terminal and were created before <paramref name="createdBefore"/>.</summary>
    public Task<List<Run>> ListUnfinishedAsync(DateTimeOffset createdBefore, CancellationToken ct) =>
        runs.QueryAllAsync<Run>(null,
            new QueryDefinition("SELECT * FROM c WHERE c.type = @type AND c.createdAt < @before AND c.status IN ('queued', 'in_progress', 'requires_action')")
                .WithParameter("@type", RunType).WithParameter("@before", createdBefore), ct);

    // ---- approvals ----

    /// <summary>Stores a person's decision; false if the call was already decided.</summary>
    public Task<bool> TryRecordApprovalAsync(string ownerId, string threadId, ApprovalRecord approval, CancellationToken ct) =>
        runs.TryCreateAsync(PartitionKeys.Thread(ownerId, threadId), ApprovalType, approval, ct);

    public async Task<ApprovalRecord?> GetApprovalAsync(string ownerId, string threadId, string runId, string toolCallId, CancellationToken ct) =>
        (await runs.ReadAsync<ApprovalRecord>(PartitionKeys.Thread(ownerId, threadId), ApprovalRecord.IdFor(runId, toolCallId), ct).ConfigureAwait(false))?.Value;

    /// <summary>Deletes every document of a deleted thread's runs (deferred cleanup).</summary>
    public async Task<IReadOnlyList<string>> DeleteThreadAsync(string ownerId, string threadId, CancellationToken ct)
    {
        var pk = PartitionKeys.Thread(ownerId, threadId);
        var all = await runs.QueryAllAsync<TypedId>(pk, new QueryDefinition("SELECT c.id, c.type FROM c WHERE c.pk = @pk").WithParameter("@pk", pk), ct).ConfigureAwait(false);
        foreach (var item in all)
        {
            await runs.DeleteAsync(pk, item.Id, ct).ConfigureAwait(false);
        }
        return all.Where(i => i.Type == RunType).Select(i => i.Id).ToList();
    }

    private sealed record TypedId(string Id, string Type);
}

/// <summary>
/// Messages a run added to its prompt at <see cref="Offset"/>: the first call stores the instructions, history and
/// user message, each later call what the loop appended since (the assistant turn and the tool results).
/// </summary>
public sealed record PromptChunk(string Id, string RunId, int Offset, IReadOnlyList<ChatMessage> Messages)
{
    /// <summary>A week (seconds): a prompt is needed only while its run executes.</summary>
    public int Ttl { get; init; } = 7 * 86_400;

    public static string IdFor(string runId, int offset) => FormattableString.Invariant($"{runId}:prompt:{offset:D5}");
}

/// <summary>A person's decision on a parked tool call (raised to the orchestration as an external event).</summary>
public sealed record ApprovalRecord(string Id, string RunId, string ToolCallId, bool Approved, string? Reason, string DecidedBy, DateTimeOffset At)
{
    public static string IdFor(string runId, string toolCallId) => $"{runId}:approval:{toolCallId}";
}
