using Agents.Application.Runs;
using Agents.Application.Telemetry;
using Agents.Domain.Errors;
using Agents.Domain.Runs;
using Microsoft.Azure.Functions.Worker;
using Microsoft.DurableTask;
using Microsoft.Extensions.Logging;

namespace Agents.Functions.Runs;

/// <summary>
/// A run: the one <see cref="AgentLoop"/> over a <see cref="DurableRunContext"/>. Instance id = run id, input =
/// <see cref="RunOrchestrationInput"/>. However the loop stops short (its input cannot load, a step fails for good, an
/// unexpected exception), the run is recorded as failed with a problem and its thread released, so it never stays in
/// progress; what cannot run code at all (a terminated or lost instance) is caught by <see cref="RunSweep"/>.
/// </summary>
public static partial class AgentOrchestrator
{
    [Function(nameof(AgentOrchestrator))]
    public static async Task<RunStatus> RunAsync([OrchestrationTrigger] TaskOrchestrationContext context)
    {
        var input = context.GetInput<RunOrchestrationInput>() ?? throw new InvalidOperationException("The orchestration has no input.");
        var run = input.Run;
        var logger = context.CreateReplaySafeLogger(typeof(AgentOrchestrator));
        var runContext = new DurableRunContext(context, run);
        var started = runContext.UtcNow; // the first episode's time: the same on every replay
        RunStatus status;
        try
        {
            var loop = new AgentLoop(runContext);
            status = await loop.RunAsync(TimeSpan.FromSeconds(input.Settings.ApprovalTimeoutSeconds), input.Settings.MaxSteps);
            LogRunEnded(logger, run.RunId, status);
        }
        catch (RunFailedException e) // its input could not be loaded (the agent or the message is gone)
        {
            status = await FailAsync(context, run, e.Problem, logger);
        }
        catch (TaskFailedException e) // a step failed for good: not transient, or transient on every attempt
        {
            LogStepFailed(logger, e, run.RunId, e.FailureDetails.ErrorType);
            status = await FailAsync(context, run, StepFailed, logger);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogUnexpected(logger, e, run.RunId);
            status = await FailAsync(context, run, Unexpected, logger);
        }
        if (!context.IsReplaying) // the episode that ends the run; its spans are recorded once it ended
        {
            AgentsTelemetry.RecordRun(run, runContext.AgentId, runContext.AgentName, runContext.Model, started, runContext.UtcNow, LoopStateNames.Of(status));
        }
        return status;
    }

    /// <summary>The problem of a run one of whose steps failed for good (at once, or transiently on every attempt).</summary>
    public static ApiProblem StepFailed { get; } = new(500, "run_step_failed", "A step of the run failed",
        FormattableString.Invariant($"A step failed for good (a passing failure is tried {TransientFailures.MaxAttempts} times); the run was stopped."));

    /// <summary>The problem of a run whose orchestration stopped on an error of ours (a bug, not the model or a tool).</summary>
    public static ApiProblem Unexpected { get; } =
        new(500, "run_failed_unexpectedly", "The run stopped on an internal error", "The error was logged; starting the run again may help.");

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

    [LoggerMessage(Level = LogLevel.Error, Message = "Run {RunId} stopped on an unexpected error")]
    private static partial void LogUnexpected(ILogger logger, Exception e, string runId);
}
