using System.Net;
using System.Text.Json;
using Agents.Application.Storage.Cosmos;
using Agents.Domain.Runs;
using Microsoft.Azure.Cosmos;

namespace Agents.Application.Runs;

/// <summary>
/// Runs and what the engine keeps beside them, all in the thread's partition of the <c>runs</c> container:
/// the run document, its journal (one entry per completed context call), its lease, and approval decisions.
/// </summary>
public sealed class RunStore(CosmosDatabase cosmos)
{
    private const string RunType = "run";
    private const string JournalType = "journal";
    private const string LeaseType = "lease";
    private const string ApprovalType = "approval";

    private readonly DocumentContainer runs = new(cosmos.Container(Containers.Runs));

    public Task CreateAsync(Run run, CancellationToken ct) =>
        runs.CreateAsync(PartitionKeys.Thread(run.OwnerId, run.ThreadId), RunType, run, ct);

    public Task<Stored<Run>?> GetAsync(string ownerId, string threadId, string runId, CancellationToken ct) =>
        runs.ReadAsync<Run>(PartitionKeys.Thread(ownerId, threadId), runId, ct);

    public Task<string> ReplaceAsync(Run run, string etag, CancellationToken ct) =>
        runs.ReplaceAsync(PartitionKeys.Thread(run.OwnerId, run.ThreadId), RunType, run.Id, run, etag, ct);

    /// <summary>Applies <paramref name="change"/> with optimistic concurrency, retrying on a concurrent write.</summary>
    public async Task<Run?> UpdateAsync(string ownerId, string threadId, string runId, Func<Run, Run?> change, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var stored = await GetAsync(ownerId, threadId, runId, ct).ConfigureAwait(false);
            if (stored is null)
            {
                return null;
            }
            var changed = change(stored.Value);
            if (changed is null)
            {
                return stored.Value;
            }
            try
            {
                await ReplaceAsync(changed, stored.ETag, ct).ConfigureAwait(false);
                return changed;
            }
            catch (CosmosException e) when (e.StatusCode == HttpStatusCode.PreconditionFailed && attempt < 10)
            {
            }
        }
    }

    // ---- journal ----

    public Task<List<JournalEntry>> ReadJournalAsync(string ownerId, string threadId, string runId, CancellationToken ct)
    {
        var pk = PartitionKeys.Thread(ownerId, threadId);
        return runs.QueryAllAsync<JournalEntry>(pk,
            new QueryDefinition("SELECT * FROM c WHERE c.pk = @pk AND c.type = @type AND c.runId = @run ORDER BY c.seq")
                .WithParameter("@pk", pk).WithParameter("@type", JournalType).WithParameter("@run", runId), ct);
    }

    /// <summary>Records a journal entry; if another executor recorded this position first, returns theirs.</summary>
    public async Task<JournalEntry> RecordAsync(string ownerId, string threadId, JournalEntry entry, CancellationToken ct)
    {
        var pk = PartitionKeys.Thread(ownerId, threadId);
        if (await runs.TryCreateAsync(pk, JournalType, entry, ct).ConfigureAwait(false))
        {
            return entry;
        }
        return (await runs.ReadAsync<JournalEntry>(pk, entry.Id, ct).ConfigureAwait(false))!.Value;
    }

    // ---- lease ----

    public Task<Stored<RunLease>?> GetLeaseAsync(string ownerId, string threadId, string runId, CancellationToken ct) =>
        runs.ReadAsync<RunLease>(PartitionKeys.Thread(ownerId, threadId), RunLease.IdFor(runId), ct);

    /// <summary>Takes or renews the lease; null when someone else holds it or won the race.</summary>
    public async Task<string?> TryWriteLeaseAsync(string ownerId, string threadId, RunLease lease, string? etag, CancellationToken ct)
    {
        var pk = PartitionKeys.Thread(ownerId, threadId);
        try
        {
            if (etag is null)
            {
                return await runs.CreateAsync(pk, LeaseType, lease, ct).ConfigureAwait(false);
            }
            return await runs.ReplaceAsync(pk, LeaseType, lease.Id, lease, etag, ct).ConfigureAwait(false);
        }
        catch (CosmosException e) when (e.StatusCode is HttpStatusCode.PreconditionFailed or HttpStatusCode.Conflict)
        {
            return null;
        }
    }

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

/// <summary>One completed call of the run context, replayed instead of repeated after a restart.</summary>
public sealed record JournalEntry(string Id, string RunId, int Seq, string Kind, DateTimeOffset At, JsonElement Result)
{
    public static string IdFor(string runId, int seq) => FormattableString.Invariant($"{runId}:j:{seq:D5}");
}

/// <summary>Which worker executes a run, until when. Renewed while it works; taken over when it expires.</summary>
public sealed record RunLease(string Id, string RunId, string Holder, DateTimeOffset Until)
{
    public static string IdFor(string runId) => $"{runId}:lease";
}

/// <summary>A person's decision on a parked tool call (the local engine's external event).</summary>
public sealed record ApprovalRecord(string Id, string RunId, string ToolCallId, bool Approved, string? Reason, string DecidedBy, DateTimeOffset At)
{
    public static string IdFor(string runId, string toolCallId) => $"{runId}:approval:{toolCallId}";
}
