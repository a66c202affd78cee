using System.Text.Json;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Agents.Domain.Runs;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Runs.Local;

/// <summary>
/// The portable host's durable run engine: reads the run-requests queue and executes each run's agent loop through a
/// <see cref="JournalRunContext"/>. A lease on the run (renewed with the queue message's invisibility) keeps two
/// workers from executing it at once; if this process dies, both lapse and another worker replays the run from its
/// journal. A suspended run (waiting for an approval) frees its worker and is re-queued to wake at its deadline.
/// </summary>
public sealed partial class LocalRunEngine(
    RunRequests requests, QueueOptions queueOptions, RunEngineOptions options, RunStore runs,
    RunActivities activities, TimeProvider clock, ILogger<LocalRunEngine> logger)
    : QueueWorker(requests.Client, queueOptions, logger)
{
    private readonly string holder = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    protected override string QueueName => QueueNames.RunRequests;

    protected override int MaxConcurrency => options.MaxConcurrentRuns;

    protected override async Task<QueueOutcome> HandleAsync(MessageHold hold, CancellationToken ct)
    {
        var run = JsonSerializer.Deserialize<RunRef>(hold.Message.Body, CosmosDatabase.Json);
        if (run is null)
        {
            return QueueOutcome.Done;
        }
        var stored = await runs.GetAsync(run.UserId, run.ThreadId, run.RunId, ct).ConfigureAwait(false);
        if (stored is null || stored.Value.Status.IsTerminal())
        {
            return QueueOutcome.Done;
        }

        var lease = await RunLeaseHolder.TryAcquireAsync(runs, run, holder, Visibility, clock, ct).ConfigureAwait(false);
        if (lease is null)
        {
            // Another worker executes it; look again when its lease would lapse, in case that worker died. A fresh
            // message rather than this one again: waiting for a lease is not a failed delivery and must not count
            // towards the poison threshold (after a crash, the dead worker's lease is waited out this way).
            await requests.SendAsync(run, Visibility, ct).ConfigureAwait(false);
            return QueueOutcome.Done;
        }

        await using (lease.ConfigureAwait(false))
        {
            using var execution = CancellationTokenSource.CreateLinkedTokenSource(ct);
            lease.KeepAlive(hold, execution);
            try
            {
                var journal = await runs.ReadJournalAsync(run.UserId, run.ThreadId, run.RunId, ct).ConfigureAwait(false);
                var context = new JournalRunContext(run, activities, runs, journal, lease.EnsureHeldAsync, clock, execution.Token);
                var status = await new AgentLoop(context).RunAsync(TimeSpan.FromSeconds(options.ApprovalTimeoutSeconds)).ConfigureAwait(false);
                var statusName = status.ToString();
                LogRunEnded(logger, run.RunId, statusName, journal.Count);
                return QueueOutcome.Done;
            }
            catch (RunSuspendedException suspended)
            {
                await requests.SendAsync(run, suspended.WakeAt - clock.GetUtcNow(), ct).ConfigureAwait(false);
                LogRunSuspended(logger, run.RunId, suspended.WakeAt);
                return QueueOutcome.Done;
            }
            catch (RunFailedException failure)
            {
                // Only loading the input can fail this way before the loop takes over (e.g. the agent was deleted):
                // retrying cannot help, so the run fails now with that problem, as it does in the Durable engine.
                await activities.MarkFailedAsync(run, failure.Problem, ct).ConfigureAwait(false);
                return QueueOutcome.Done;
            }
            catch (OperationCanceledException) when (lease.Lost && !ct.IsCancellationRequested)
            {
                return QueueOutcome.RetryAfter(Visibility);
            }
        }
    }

    /// <summary>The run failed on every delivery: record it as failed with a problem, so it is not lost.</summary>
    protected override async Task OnPoisonAsync(QueueMessage message, CancellationToken ct)
    {
        var run = JsonSerializer.Deserialize<RunRef>(message.Body, CosmosDatabase.Json);
        if (run is not null)
        {
            await activities.MarkFailedAsync(run, RunActivities.FailedRepeatedly(message.DequeueCount - 1), ct).ConfigureAwait(false);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} ended {Status} (replayed {Replayed} journal entries)")]
    private static partial void LogRunEnded(ILogger logger, string runId, string status, int replayed);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} suspended until {WakeAt}")]
    private static partial void LogRunSuspended(ILogger logger, string runId, DateTimeOffset wakeAt);
}
