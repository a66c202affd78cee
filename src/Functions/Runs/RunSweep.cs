using Agents.Application.Runs;
using Agents.Domain.Errors;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask.Client;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Runs;

/// <summary>
/// The backstop that keeps runs from staying unfinished: on a timer (<c>Runs:SweepSchedule</c>, a CRON expression),
/// every run that is not terminal is compared with its orchestration. An orchestration that ended without finishing the
/// run (terminated, failed before it could record the failure, or its last update lost) or that does not exist fails
/// the run with a problem; one still running past <see cref="RunEngineOptions.MaxRunSeconds"/> is terminated first.
/// Runs younger than <see cref="RunEngineOptions.SweepGraceSeconds"/> are left alone: their last update may be queued.
/// </summary>
public sealed partial class RunSweep(RunStore runs, RunActivities activities, RunEngineOptions options, TimeProvider clock, ILogger<RunSweep> logger)
{
    [Function(nameof(RunSweep))]
    public async Task RunAsync([TimerTrigger("%Runs:SweepSchedule%")] TimerInfo timer, [DurableClient] DurableTaskClient client, CancellationToken ct)
    {
        var now = clock.GetUtcNow();
        var grace = TimeSpan.FromSeconds(options.SweepGraceSeconds);
        foreach (var run in await runs.ListUnfinishedAsync(now - grace, ct))
        {
            var reference = new RunRef(run.OwnerId, run.TenantId, run.ThreadId, run.Id);
            var instance = await client.GetInstanceAsync(run.Id, ct);
            var problem = instance switch
            {
                // No instance: the HTTP request that stored the run died before it scheduled it (it fails the run
                // itself when scheduling fails). Give that request the Functions front end's 230 s first.
                null when now - run.CreatedAt > MaxRequestTime + grace => Lost,
                { IsCompleted: true } when now - instance.LastUpdatedAt > grace => instance.RuntimeStatus switch
                {
                    OrchestrationRuntimeStatus.Terminated => Terminated,
                    OrchestrationRuntimeStatus.Failed => AgentOrchestrator.Unexpected,
                    _ => Lost,
                },
                { IsCompleted: false } when now - run.CreatedAt > TimeSpan.FromSeconds(options.MaxRunSeconds) => DeadlineExceeded,
                _ => null,
            };
            if (problem is null)
            {
                continue;
            }
            if (instance is { IsCompleted: false })
            {
                await client.TerminateInstanceAsync(run.Id, problem.Title, ct);
            }
            await activities.MarkFailedAsync(reference, problem, ct);
            LogSwept(logger, run.Id, problem.Code, instance?.RuntimeStatus.ToString() ?? "missing");
        }
    }

    /// <summary>The longest an HTTP request runs on Azure Functions (its front end's limit).</summary>
    private static readonly TimeSpan MaxRequestTime = TimeSpan.FromSeconds(230);

    private static readonly ApiProblem Lost = new(500, "run_lost", "The run stopped without finishing",
        "Its orchestration ended or disappeared before the run's outcome was stored.");

    private static readonly ApiProblem Terminated = new(500, "run_terminated", "The run was terminated", "Its orchestration was terminated from outside.");

    private ApiProblem DeadlineExceeded => new(500, "run_deadline_exceeded", "The run took too long",
        FormattableString.Invariant($"It did not finish within {options.MaxRunSeconds} s and was stopped."));

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} failed by the sweep with {Code} (orchestration {Instance})")]
    private static partial void LogSwept(ILogger logger, string runId, string code, string instance);
}
