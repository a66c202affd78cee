using Agents.Application.Conversations;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Streaming;
using Agents.Application.Usage;
using Agents.Domain.Runs;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Runs.Persistence;

/// <summary>
/// Writes a run's messages, state and usage to Cosmos DB. The run's activities store their writes themselves
/// (<see cref="StoreOrQueueAsync"/>), so what a step produced is readable when
/// the step ends; a write that cannot be stored then goes to the persist queue, whose trigger applies it
/// (<see cref="ApplyOrDeferAsync"/>) and retries it. Every write is idempotent, and a run's updates apply strictly in
/// version order, so the state a client reads is always one the run actually passed through; a terminal status is
/// written only after the run's messages and usage records are stored (read-your-writes).
/// </summary>
public sealed partial class RunPersistence(
    RunStore runs, ThreadStore threads, MessageStore messages, UsageLedger ledger, RunEventLog events,
    CosmosDatabase cosmos, PersistenceSender sender, TimeProvider clock, ILogger<RunPersistence> logger)
{
    /// <summary>About two minutes of waiting for a predecessor before the write counts as failing.</summary>
    public const int MaxDeferrals = 240;

    private readonly DocumentContainer runDocuments = new(cosmos.Container(Containers.Runs));

    /// <summary>
    /// Stores a write (a run update, a usage record) now. When it cannot be stored now (a run update's predecessor
    /// took the queue, Cosmos DB does not answer, anything else), it is handed to the persist queue, which applies a
    /// run's updates in order and retries them; a failure to queue it is thrown, so the activity is retried.
    /// </summary>
    public async Task StoreOrQueueAsync(PersistenceMessage message, CancellationToken ct)
    {
        try
        {
            await ApplyAsync(message, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            LogQueued(logger, e, Describe(message), e.Message);
            await sender.SendAsync(message, ct).ConfigureAwait(false);
        }
    }

    /// <summary>What a write is about, for the logs.</summary>
    private static string Describe(PersistenceMessage message) => message switch
    {
        { Run: { } run, Update: { } update } => $"run {run.RunId} update {update.Version}",
        { Run: { } run, UpdateRef: { } version } => $"run {run.RunId} update {version}",
        { Usage: { } usage } => $"usage record {usage.Id}",
        { ThreadDeleted: { } deleted } => $"the deletion of thread {deleted.ThreadId}",
        _ => "an empty write",
    };

    /// <summary>
    /// What the queue trigger calls: applies the write, or puts it back when
    /// its predecessor is still queued. Any other failure is thrown, so the message is retried and ends up poisoned.
    /// </summary>
    public async Task ApplyOrDeferAsync(PersistenceMessage message, CancellationToken ct)
    {
        try
        {
            await ApplyAsync(message, ct).ConfigureAwait(false);
        }
        catch (PersistenceNotReadyException) when (message.Deferrals < MaxDeferrals)
        {
            await sender.DeferAsync(message, ct).ConfigureAwait(false);
        }
    }

    public async Task ApplyAsync(PersistenceMessage message, CancellationToken ct)
    {
        if (message.Usage is { } usage)
        {
            await ledger.RecordAsync(usage, ct).ConfigureAwait(false);
        }
        else if (message.ThreadDeleted is { } deleted)
        {
            await DeleteThreadAsync(deleted, message.Deferrals, ct).ConfigureAwait(false);
        }
        else if (message.Run is { } run)
        {
            var update = message.Update ?? await LoadStoredUpdateAsync(run, message.UpdateRef, ct).ConfigureAwait(false);
            if (update is not null)
            {
                await ApplyUpdateAsync(run, update, message.EventPosition, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Whether an update's events wait until the update is stored: those of a run that parks (the approval card must
    /// not appear before the approval can be accepted) or ends (<c>done</c> must not come before the messages).
    /// </summary>
    public static bool IsHeldUntilDurable(RunUpdate update) => update.Status == RunStatus.RequiresAction || update.Status.IsTerminal();

    private async Task ApplyUpdateAsync(RunRef runRef, RunUpdate update, int? eventPosition, CancellationToken ct)
    {
        var stored = await runs.GetAsync(runRef.UserId, runRef.ThreadId, runRef.RunId, ct).ConfigureAwait(false);
        if (stored is null)
        {
            return; // The thread was deleted: nothing to write.
        }
        if (stored.Value.Version >= update.Version)
        {
            if (update.Status.IsTerminal())
            {
                // Finish what a crash may have interrupted.
                await threads.ReleaseAsync(runRef.UserId, runRef.ThreadId, runRef.RunId, ct).ConfigureAwait(false);
                await AfterAppliedAsync(runRef, update, eventPosition, ct).ConfigureAwait(false);
            }
            return; // Already applied (a redelivery, or a replayed step).
        }
        if (stored.Value.Version < update.Version - 1)
        {
            throw new PersistenceNotReadyException($"Run {runRef.RunId} is at version {stored.Value.Version}; update {update.Version} waits for its predecessor.");
        }

        foreach (var message in update.NewMessages)
        {
            await messages.AppendAsync(runRef.UserId, message, ct).ConfigureAwait(false);
        }
        if (update.Status.IsTerminal() && update.UsageRecordIds.Count > 0)
        {
            var recorded = await ledger.ExistingAsync(runRef.UserId, update.UsageRecordIds, ct).ConfigureAwait(false);
            if (recorded.Count < update.UsageRecordIds.Distinct().Count())
            {
                throw new PersistenceNotReadyException($"Run {runRef.RunId} finished but {update.UsageRecordIds.Count - recorded.Count} usage records are not stored yet.");
            }
        }

        if (update.Status.IsTerminal())
        {
            // The thread first: whoever sees the run finished finds its thread free (a redelivery releases it again).
            await threads.ReleaseAsync(runRef.UserId, runRef.ThreadId, runRef.RunId, ct).ConfigureAwait(false);
        }
        var applied = await runs.UpdateAsync(runRef.UserId, runRef.ThreadId, runRef.RunId, current => current.Version >= update.Version ? null : current with
        {
            Status = current.Status.IsTerminal() ? current.Status : update.Status,
            Steps = RunSteps.Merge(current.Steps, update.Steps),
            PendingToolCalls = update.PendingToolCalls,
            Usage = update.Usage,
            Error = update.Error ?? current.Error,
            StartedAt = current.StartedAt ?? update.StartedAt,
            CompletedAt = update.CompletedAt ?? current.CompletedAt,
            Version = update.Version,
        }, ct).ConfigureAwait(false);

        await AfterAppliedAsync(runRef, update, eventPosition, ct).ConfigureAwait(false);
        if (update.Status.IsTerminal())
        {
            var status = applied?.Status.ToString() ?? "deleted";
            LogFinished(logger, runRef.RunId, status);
        }
    }

    /// <summary>Appends the events held back until the update was stored.</summary>
    private async Task AfterAppliedAsync(RunRef runRef, RunUpdate update, int? eventPosition, CancellationToken ct)
    {
        if (eventPosition is { } position && update.Events.Count > 0)
        {
            // The same ids RunEventWriter would have given them at that position: a redelivery rewrites, never adds.
            var held = update.Events.Select((e, i) => new StoredEvent(RunEventLog.MakeId(position, i), e.Type, e.Data)).ToList();
            await events.AppendAsync(runRef.UserId, runRef.RunId, held, clock.GetUtcNow(), ct).ConfigureAwait(false);
        }
    }

    private async Task<RunUpdate?> LoadStoredUpdateAsync(RunRef run, long? version, CancellationToken ct)
    {
        if (version is null)
        {
            return null;
        }
        var stored = await runDocuments.ReadAsync<StoredUpdate>(PartitionKeys.Thread(run.UserId, run.ThreadId), StoredUpdate.IdFor(run.RunId, version.Value), ct).ConfigureAwait(false);
        return stored?.Value.Update;
    }

    private async Task DeleteThreadAsync(ThreadDeletion deleted, int deferrals, CancellationToken ct)
    {
        // The run that was active is cancelled; wait for it to end (within the deferrals: a run that does not end is
        // the sweep's, and its documents go now).
        if (deleted.ActiveRunId is { } active && deferrals < MaxDeferrals
            && await runs.GetAsync(deleted.UserId, deleted.ThreadId, active, ct).ConfigureAwait(false) is { Value.Status: var status } && !status.IsTerminal())
        {
            throw new PersistenceNotReadyException($"Thread {deleted.ThreadId} waits for its run {active} to end.");
        }
        var count = await messages.DeleteThreadAsync(deleted.UserId, deleted.ThreadId, ct).ConfigureAwait(false);
        var runIds = await runs.DeleteThreadAsync(deleted.UserId, deleted.ThreadId, ct).ConfigureAwait(false);
        foreach (var runId in runIds)
        {
            await events.DeleteRunAsync(deleted.UserId, runId, ct).ConfigureAwait(false);
        }
        LogThreadDeleted(logger, deleted.ThreadId, count, runIds.Count);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A write for {Subject} goes to the persist queue, it could not be stored now: {Reason}")]
    private static partial void LogQueued(ILogger logger, Exception e, string subject, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} is {Status} and durable")]
    private static partial void LogFinished(ILogger logger, string runId, string status);

    [LoggerMessage(Level = LogLevel.Information, Message = "Thread {ThreadId} cleaned up: {Messages} messages, {Runs} runs")]
    private static partial void LogThreadDeleted(ILogger logger, string threadId, int messages, int runs);
}

/// <summary>The write depends on another that has not been applied yet; the message is retried shortly.</summary>
public sealed class PersistenceNotReadyException(string message) : Exception(message);
