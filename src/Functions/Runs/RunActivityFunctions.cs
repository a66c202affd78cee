using Agents.Application.Runs;
using Agents.Domain.Runs;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Runs;

/// <summary>The orchestration's activities: one per <see cref="IAgentRunContext"/> step, each a call into <see cref="RunActivities"/>.</summary>
public sealed class RunActivityFunctions(RunActivities activities)
{
    [Function(nameof(LoadRunInput))]
    public Task<Outcome<RunInput>> LoadRunInput([ActivityTrigger] RunRef run, CancellationToken ct) =>
        TransientFailures.OutcomeAsync(() => activities.LoadInputAsync(run, ct));

    [Function(nameof(CallModel))]
    public Task<Outcome<ModelTurn>> CallModel([ActivityTrigger] ModelStep step, CancellationToken ct) =>
        TransientFailures.OutcomeAsync(async () =>
        {
            if (step.Before is { } save)
            {
                await activities.SaveAsync(save.Run, save.Update, save.Position, ct);
            }
            var prompt = await activities.ExpandPromptAsync(step.Run, step.PromptOffset, step.Call.Messages, ct);
            return await activities.CallModelAsync(step.Run, step.Input, step.Call with { Messages = prompt }, step.Position, ct);
        });

    [Function(nameof(ReviewToolCall))]
    public Task<ToolReview> ReviewToolCall([ActivityTrigger] ReviewStep step, CancellationToken ct) =>
        TransientFailures.GuardAsync(() => activities.ReviewToolCallAsync(step.Run, step.Input, step.Invocation, ct));

    [Function(nameof(CallTool))]
    public Task<ToolResult> CallTool([ActivityTrigger] ToolStep step, CancellationToken ct) =>
        TransientFailures.GuardAsync(() => activities.CallToolAsync(step.Run, step.Invocation, ct));

    [Function(nameof(SaveRun))]
    public Task SaveRun([ActivityTrigger] SaveStep step, CancellationToken ct) =>
        TransientFailures.GuardAsync(() => activities.SaveAsync(step.Run, step.Update, step.Position, ct));

    [Function(nameof(FailRun))]
    public Task FailRun([ActivityTrigger] FailStep step, CancellationToken ct) =>
        TransientFailures.GuardAsync(() => activities.MarkFailedAsync(step.Run, step.Problem, ct));
}
