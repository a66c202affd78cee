using Agents.Application.Runs;
using Agents.Domain.Errors;
using Agents.Domain.Runs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Runs;

/// <summary>
/// A run on Durable Functions: the one <see cref="AgentLoop"/> over a <see cref="DurableRunContext"/> (the local engine
/// runs it over a journal instead). Instance id = run id, input = <see cref="RunRef"/>. A run that cannot be executed
/// is recorded as failed, like the local engine's poisoned runs, so it never stays in progress.
/// </summary>
public sealed partial class AgentOrchestrator(RunEngineOptions options)
{
    [Function(nameof(AgentOrchestrator))]
    public async Task<RunStatus> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var run = context.GetInput<RunRef>() ?? throw new InvalidOperationException("The orchestration has no RunRef input.");
        var logger = context.CreateReplaySafeLogger<AgentOrchestrator>();
        try
        {
            var status = await new AgentLoop(new DurableRunContext(context, run)).RunAsync(TimeSpan.FromSeconds(options.ApprovalTimeoutSeconds));
            LogRunEnded(logger, run.RunId, status);
            return status;
        }
        catch (RunFailedException e) // its input could not be loaded (the agent or the message is gone)
        {
            return await FailAsync(context, run, e.Problem, logger);
        }
        catch (TaskFailedException e) // a step failed for good: not transient, or transient on every attempt
        {
            LogStepFailed(logger, e, run.RunId, e.FailureDetails.ErrorType);
            return await FailAsync(context, run, RunActivities.FailedRepeatedly(TransientFailures.MaxAttempts), logger);
        }
    }

    private static async Task<RunStatus> FailAsync(TaskOrchestrationContext context, RunRef run, ApiProblem problem, ILogger logger)
    {
        await context.CallActivityAsync(nameof(RunActivityFunctions.FailRun), new FailStep(run, problem), TransientFailures.Retry);
        LogRunEnded(logger, run.RunId, RunStatus.Failed);
        return RunStatus.Failed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Run {RunId} ended {Status}")]
    private static partial void LogRunEnded(ILogger logger, string runId, RunStatus status);

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} stopped: a step failed with {ErrorType}")]
    private static partial void LogStepFailed(ILogger logger, Exception e, string runId, string errorType);
}
