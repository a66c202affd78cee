using Agents.Application.Runs;
using Agents.Domain.Runs;
using Grpc.Core;
using Microsoft.DurableTask;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Runs;

/// <summary>
/// <see cref="IRunScheduler"/> on Durable Functions, over the <see cref="DurableTaskClient"/> of the HTTP function that
/// asks (the client exists only as a function binding). A run starts as its orchestration's start message on the task
/// hub's control queue (one queue hop, no run-requests queue in front of it: see docs/architecture.md); the settings the
/// orchestrator needs travel in its input, read here once rather than from configuration during replays.
/// </summary>
public sealed partial class DurableRunScheduler(DurableTaskClient client, RunEngineOptions options, ILogger logger) : IRunScheduler
{
    /// <summary>
    /// Schedules the run's orchestration. Idempotent: the instance id is the run id, so a second start of the same run
    /// (a retry after a lost answer, a race) finds the first one and changes nothing.
    /// </summary>
    public async Task StartAsync(RunRef run, CancellationToken ct)
    {
        var input = new RunOrchestrationInput(run, new RunSettings(options.ApprovalTimeoutSeconds, options.MaxSteps));
        try
        {
            // An instance of that id in any state refuses the start: running ones by default, ended ones by these
            // dedupe statuses (without them an ended instance would be replaced, and the run executed again).
            var start = new StartOrchestrationOptions(run.RunId).WithDedupeStatuses(
                OrchestrationRuntimeStatus.Completed, OrchestrationRuntimeStatus.Failed, OrchestrationRuntimeStatus.Terminated);
            await client.ScheduleNewOrchestrationInstanceAsync(nameof(AgentOrchestrator), input, start, ct).ConfigureAwait(false);
            LogStarted(logger, run.RunId);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Already scheduled (OrchestrationAlreadyExistsException), or scheduled before the answer was lost: done.
            if (!await ExistsAsync(run.RunId).ConfigureAwait(false))
            {
                throw;
            }
            LogAlreadyStarted(logger, run.RunId, e);
        }
    }

    private async Task<bool> ExistsAsync(string runId)
    {
        try
        {
            return await client.GetInstanceAsync(runId, CancellationToken.None).ConfigureAwait(false) is not null;
        }
        catch (RpcException)
        {
            return false; // the client cannot reach the host either: the start failed
        }
    }

    public Task RaiseApprovalAsync(RunRef run, string toolCallId, ApprovalDecision decision, CancellationToken ct) =>
        RaiseAsync(run, DurableRunContext.ApprovalEvent(toolCallId), decision, ct);

    public Task RaiseCancelAsync(RunRef run, CancellationToken ct) => RaiseAsync(run, DurableRunContext.CancelEvent, null, ct);

    /// <summary>Raises an event; one for an orchestration that already ended (a late cancel or approval) is dropped.</summary>
    private async Task RaiseAsync(RunRef run, string name, object? payload, CancellationToken ct)
    {
        try
        {
            await client.RaiseEventAsync(run.RunId, name, payload, ct).ConfigureAwait(false);
        }
        catch (RpcException e) when (e.StatusCode is StatusCode.FailedPrecondition or StatusCode.NotFound)
        {
            LogEventDropped(logger, name, run.RunId, e.Status.Detail);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} scheduled as an orchestration")]
    private static partial void LogStarted(ILogger logger, string runId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} was scheduled already (a repeated start failed)")]
    private static partial void LogAlreadyStarted(ILogger logger, string runId, Exception error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Event {EventName} for run {RunId} dropped: the orchestration is not running ({Detail})")]
    private static partial void LogEventDropped(ILogger logger, string eventName, string runId, string detail);
}
