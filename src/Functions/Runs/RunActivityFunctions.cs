using Agents.Application.Runs;
using Agents.Application.Telemetry;
using Agents.Domain.Runs;
using Microsoft.Azure.Functions.Worker;

namespace Agents.Functions.Runs;

/// <summary>
/// The orchestration's activities: one per <see cref="IAgentRunContext"/> step, each a call into <see cref="RunActivities"/>,
/// inside a span of the run's trace (<see cref="AgentsTelemetry.StartRunWork"/>), so what a step calls is traced under
/// the request that started the run.
/// </summary>
public sealed class RunActivityFunctions(RunActivities activities)
{
    [Function(nameof(LoadRunInput))]
    public Task<Outcome<RunInput>> LoadRunInput([ActivityTrigger] RunRef run, CancellationToken ct) =>
        Traced(run, nameof(LoadRunInput), () => TransientFailures.OutcomeAsync(() => activities.LoadInputAsync(run, ct)));

    [Function(nameof(CallModel))]
    public Task<Outcome<ModelTurn>> CallModel([ActivityTrigger] ModelStep step, CancellationToken ct) =>
        Traced(step.Run, nameof(CallModel), () => TransientFailures.OutcomeAsync(async () =>
        {
            if (step.Before is { } save)
            {
                await activities.SaveAsync(save.Run, save.Update, save.Position, ct);
            }
            var prompt = await activities.ExpandPromptAsync(step.Run, step.PromptOffset, step.Call.Messages, ct);
            return await activities.CallModelAsync(step.Run, step.Input, step.Call with { Messages = prompt }, step.Position, ct);
        }));

    [Function(nameof(ReviewToolCall))]
    public Task<ToolReview> ReviewToolCall([ActivityTrigger] ReviewStep step, CancellationToken ct) =>
        Traced(step.Run, nameof(ReviewToolCall), () => TransientFailures.GuardAsync(() => activities.ReviewToolCallAsync(step.Run, step.Input, step.Invocation, ct)));

    [Function(nameof(CallTool))]
    public Task<ToolResult> CallTool([ActivityTrigger] ToolStep step, CancellationToken ct) =>
        Traced(step.Run, nameof(CallTool), () => TransientFailures.GuardAsync(() => activities.CallToolAsync(step.Run, step.Invocation, ct)));

    [Function(nameof(SaveRun))]
    public Task SaveRun([ActivityTrigger] SaveStep step, CancellationToken ct) =>
        Traced(step.Run, nameof(SaveRun), () => TransientFailures.GuardAsync(() => activities.SaveAsync(step.Run, step.Update, step.Position, ct)));

    [Function(nameof(FailRun))]
    public Task FailRun([ActivityTrigger] FailStep step, CancellationToken ct) =>
        Traced(step.Run, nameof(FailRun), () => TransientFailures.GuardAsync(() => activities.MarkFailedAsync(step.Run, step.Problem, ct)));

    private static async Task<T> Traced<T>(RunRef run, string step, Func<Task<T>> work)
    {
        using var span = AgentsTelemetry.StartRunWork(run, "agents.run.step " + step);
        return await work();
    }

    private static async Task Traced(RunRef run, string step, Func<Task> work)
    {
        using var span = AgentsTelemetry.StartRunWork(run, "agents.run.step " + step);
        await work();
    }
}
