using System.Diagnostics;
using System.Text.Json;
using Agents.Application.Runs;
using Agents.Application.Runs.Persistence;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Agents.Application.Telemetry;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Persistence;

/// <summary>
/// The persist queue: the queue-triggered worker that writes messages, run state and usage to Cosmos DB
/// (<see cref="RunPersistence.ApplyOrDeferAsync"/>). A write waiting for its predecessor is put back as a new message;
/// any other failure is thrown, so the host retries it (host.json queues) and finally moves it to persist-poison.
/// </summary>
public sealed partial class PersistenceFunction(RunPersistence persistence, RunActivities activities, ILogger<PersistenceFunction> logger)
{
    private const string Connection = "AzureWebJobsStorage";

    [Function(nameof(Persist))]
    public async Task Persist([QueueTrigger(QueueNames.Persist, Connection = Connection)] string message, CancellationToken ct)
    {
        if (JsonSerializer.Deserialize<PersistenceMessage>(message, CosmosDatabase.Json) is { } write)
        {
            // The queue hop loses the trace: the span that applies the write continues the sender's.
            var parent = ActivityContext.TryParse(write.TraceParent, null, isRemote: true, out var sent) ? sent : default;
            using var span = AgentsTelemetry.Source.StartActivity("agents.persist", ActivityKind.Consumer, parent,
                write.Run is { } run ? new ActivityTagsCollection { [AgentsTelemetry.RunId] = run.RunId, [AgentsTelemetry.ConversationId] = run.ThreadId } : null);
            await persistence.ApplyOrDeferAsync(write, ct);
        }
    }

    /// <summary>
    /// A write that failed on every delivery. A run update that cannot be stored would leave its run in progress for
    /// good, so the run is failed with a problem (its thread released); a lost usage record or cleanup is logged.
    /// </summary>
    [Function(nameof(PersistPoisoned))]
    public async Task PersistPoisoned([QueueTrigger(QueueNames.Persist + "-poison", Connection = Connection)] string message, CancellationToken ct)
    {
        var write = JsonSerializer.Deserialize<PersistenceMessage>(message, CosmosDatabase.Json);
        if (write?.Run is { } run)
        {
            await activities.MarkFailedAsync(run, NotStored, ct);
            LogRunFailed(logger, run.RunId);
            return;
        }
        LogWriteLost(logger, write?.Usage?.Id ?? write?.ThreadDeleted?.ThreadId ?? "unreadable message");
    }

    private static readonly Agents.Domain.Errors.ApiProblem NotStored = new(500, "run_not_stored", "The run's progress could not be stored",
        "An update of the run failed on every attempt to store it, so the run was stopped.");

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} failed: one of its updates could not be stored")]
    private static partial void LogRunFailed(ILogger logger, string runId);

    [LoggerMessage(Level = LogLevel.Error, Message = "A write could not be stored and was dropped: {What}")]
    private static partial void LogWriteLost(ILogger logger, string what);
}
