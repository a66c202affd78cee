using System.Text.Json;
using Agents.Application.Runs;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Storage.Queues;
using Agents.Domain.Runs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Runs;

/// <summary>
/// The run-requests queue in Azure (the local engine reads it in the portable host). A message for a run without an
/// orchestration starts one (instance id = run id); for a running one it is a wake-up: each decided parked tool call
/// becomes an "approval:{toolCallId}" event and a requested cancel a "cancel" event. Redelivery is harmless: starting
/// is skipped once the instance exists, and surplus events stay unread.
/// </summary>
public sealed partial class RunStarter(RunStore runs, RunActivities activities, QueueOptions queues, ILogger<RunStarter> logger)
{
    private const string Connection = "AzureWebJobsStorage";

    [Function(nameof(RunStarter))]
    public async Task RunAsync(
        [QueueTrigger(QueueNames.RunRequests, Connection = Connection)] string message, [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        var run = JsonSerializer.Deserialize<RunRef>(message, CosmosDatabase.Json);
        var stored = run is null ? null : await runs.GetAsync(run.UserId, run.ThreadId, run.RunId, ct);
        if (run is null || stored is null || stored.Value.Status.IsTerminal())
        {
            return;
        }

        if (await client.GetInstanceAsync(run.RunId, ct) is null)
        {
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(AgentOrchestrator), run, new StartOrchestrationOptions(run.RunId), ct);
            LogStarted(logger, run.RunId);
            return;
        }
        foreach (var pending in stored.Value.PendingToolCalls)
        {
            if (await activities.GetApprovalAsync(run, pending.ToolCallId, ct) is { } decision)
            {
                await client.RaiseEventAsync(run.RunId, DurableRunContext.ApprovalEvent(pending.ToolCallId), decision, ct);
            }
        }
        if (stored.Value.CancelRequested)
        {
            await client.RaiseEventAsync(run.RunId, DurableRunContext.CancelEvent, null, ct); // no payload (ct alone would be taken for one)
        }
    }

    /// <summary>A run request that failed on every delivery: the run is recorded as failed and its orchestration stopped.</summary>
    [Function(nameof(RunRequestPoisoned))]
    public async Task RunRequestPoisoned(
        [QueueTrigger(QueueNames.RunRequests + "-poison", Connection = Connection)] string message, [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        if (JsonSerializer.Deserialize<RunRef>(message, CosmosDatabase.Json) is not { } run)
        {
            return;
        }
        await activities.MarkFailedAsync(run, RunActivities.FailedRepeatedly(queues.MaxDequeueCount), ct);
        await client.TerminateInstanceAsync(run.RunId, "The run's request was poisoned.", ct);
        LogPoisoned(logger, run.RunId);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} started as an orchestration")]
    private static partial void LogStarted(ILogger logger, string runId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} failed: its request was poisoned")]
    private static partial void LogPoisoned(ILogger logger, string runId);
}
