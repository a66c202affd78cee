using System.Text.Json;
using Agents.Application.Agents;
using Agents.Application.Conversations;
using Agents.Application.Limits;
using Agents.Application.Models;
using Agents.Application.Policies;
using Agents.Application.Runs.Persistence;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Streaming;
using Agents.Application.Telemetry;
using Agents.Application.Tools;
using Agents.Domain.Conversations;
using Agents.Domain.Errors;
using Agents.Domain.Runs;
using Agents.Domain.Usage;

namespace Agents.Application.Runs;

/// <summary>
/// The side effects of a run: what the Durable orchestrator's activities do. <c>position</c> is the step's position in
/// the run (the orchestration's call counter): event ids derive from it, so a repeated step (a retry, or an activity
/// re-executed after a crash) rewrites its events instead of adding more.
/// </summary>
public sealed partial class RunActivities(
    RunStore runs, MessageStore messages, AgentStore agents, ToolCatalog tools, ModelClient model,
    RunEventLog log, RunEventHub hub, RunPersistence persistence, RunSignals signals, IToolReviewer reviewer, TimeProvider clock,
    ThreadStore threads, Microsoft.Extensions.Logging.ILogger<RunActivities> logger, TokenBudgets budgets, RunEngineOptions engine)
{
    /// <summary>The problem code of a run that waited in the queue longer than <see cref="RunEngineOptions.QueuedExpirySeconds"/>.</summary>
    public const string ExpiredCode = "run_expired";

    public async Task<RunInput> LoadInputAsync(RunRef run, CancellationToken ct)
    {
        var stored = await runs.GetAsync(run.UserId, run.ThreadId, run.RunId, ct).ConfigureAwait(false)
            ?? throw new RunFailedException(new ApiProblem(404, "run_not_found", "The run no longer exists"));
        if (stored.Value.Status == RunStatus.Queued && clock.GetUtcNow() - stored.Value.CreatedAt > TimeSpan.FromSeconds(engine.QueuedExpirySeconds))
        {
            // A backlog answered too late is worse than no answer: the run expires instead of starting.
            throw new RunFailedException(new ApiProblem(408, ExpiredCode, "The run expired before it started",
                FormattableString.Invariant($"It waited more than {engine.QueuedExpirySeconds} s in the queue.")));
        }
        var agent = (await agents.GetVisibleAsync(run.UserId, stored.Value.AgentId, ct).ConfigureAwait(false))?.Value
            ?? throw new RunFailedException(new ApiProblem(422, "agent_not_found", "The run's agent no longer exists", $"Agent '{stored.Value.AgentId}' was deleted."));
        var userMessage = await messages.GetAsync(run.UserId, run.ThreadId, stored.Value.UserMessageId!, ct).ConfigureAwait(false)
            ?? throw new RunFailedException(new ApiProblem(422, "message_not_found", "The run's message no longer exists"));
        var history = await messages.GetHistoryAsync(run.UserId, run.ThreadId, userMessage.SortKey, ct).ConfigureAwait(false);
        return new RunInput(stored.Value, agent, history, userMessage, tools.Specs(agent.Tools.Select(t => t.Name)));
    }

    /// <summary>Streams a model call into the run's event log and records its usage exactly once (deterministic id).</summary>
    public async Task<ModelTurn> CallModelAsync(RunRef run, RunInput input, ModelCall call, int position, CancellationToken ct)
    {
        var writer = new RunEventWriter(log, hub, run.UserId, run.RunId, position, clock);
        await using var watch = CancellationWatch.Start(signals, runs, run, ct);
        if (await IsCancelRequestedAsync(run, ct).ConfigureAwait(false))
        {
            return new ModelTurn("", [], TokenUsage.Zero, ModelFinish.Cancelled, call.Model);
        }
        var usageId = FormattableString.Invariant($"{run.RunId}:{call.Position}");
        var reservation = await budgets.ReserveAsync(run.UserId, input.Agent.Id, usageId, budgets.Estimate(call), ct).ConfigureAwait(false);
        if (reservation.Refusal is { } refused)
        {
            throw new RunFailedException(refused); // the run fails here; the output of earlier steps is kept
        }

        ModelTurn turn;
        try
        {
            turn = await model.StreamAsync(call, text => writer.DeltaAsync(text, ct), watch.Token).ConfigureAwait(false);
        }
        catch (ModelCallException e)
        {
            LogModelCallFailed(logger, call.Position, run.RunId, e.Problem.Code, ModelResilience.Reason(e));
            await budgets.ReleaseAsync(reservation, ct).ConfigureAwait(false);
            await writer.FlushAsync(ct).ConfigureAwait(false);
            throw new RunFailedException(e.Problem);
        }
        await writer.FlushAsync(ct).ConfigureAwait(false);
        if (ct.IsCancellationRequested)
        {
            ct.ThrowIfCancellationRequested(); // the host is stopping: the step is repeated on resume, not recorded
        }

        var record = new UsageRecord
        {
            Id = usageId,
            UserId = run.UserId,
            TenantId = run.TenantId,
            Model = turn.Model,
            AgentId = input.Agent.Id,
            RunId = run.RunId,
            ThreadId = run.ThreadId,
            Usage = turn.Usage,
            Partial = turn.Finish is ModelFinish.Cancelled or ModelFinish.Interrupted,
            At = clock.GetUtcNow(),
        };
        record = await budgets.SettleAsync(reservation, record, ct).ConfigureAwait(false); // a replay gets the usage counted first
        await persistence.StoreOrQueueAsync(new PersistenceMessage { Usage = record }, ct).ConfigureAwait(false);
        AgentsTelemetry.TokensUsed(input.Agent.Id, turn.Model, turn.Usage);
        LogModelCall(logger, call.Position, run.RunId, turn.Usage.InputTokens, turn.Usage.OutputTokens);
        return turn with { UsageRecordId = record.Id };
    }

    public Task<ToolReview> ReviewToolCallAsync(RunRef run, RunInput input, ToolInvocation invocation, CancellationToken ct) =>
        reviewer.ReviewAsync(run, input.Agent, invocation, ct);

    public async Task<ToolResult> CallToolAsync(RunRef run, ToolInvocation invocation, CancellationToken ct)
    {
        await using var watch = CancellationWatch.Start(signals, runs, run, ct);
        var started = clock.GetUtcNow();
        ToolResult result;
        try
        {
            result = await tools.InvokeAsync(invocation, new ToolCallScope(run.UserId, run.TenantId, run.ThreadId, run.RunId, invocation.ToolCallId), watch.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (watch.Token.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            result = new ToolResult(invocation.ToolCallId, "The run was cancelled while the tool ran.", IsError: true);
        }
        return result with { StartedAt = started, CompletedAt = clock.GetUtcNow() };
    }

    /// <summary>Appends the update's events to the run's log, then stores the update (or queues it, see <see cref="RunPersistence.StoreOrQueueAsync"/>).</summary>
    public async Task SaveAsync(RunRef run, RunUpdate update, int position, CancellationToken ct)
    {
        // The events of a parked or finished run are held back: the persistence worker appends them once the state
        // they announce is stored, so a client acting on them (approving, reading the messages) finds that state.
        if (!RunPersistence.IsHeldUntilDurable(update))
        {
            var writer = new RunEventWriter(log, hub, run.UserId, run.RunId, position, clock);
            await writer.AppendAsync(update.Events, ct).ConfigureAwait(false);
        }
        await persistence.StoreOrQueueAsync(PersistenceMessage.ForUpdate(run, update, position), ct).ConfigureAwait(false);
    }

    public async Task<bool> IsCancelRequestedAsync(RunRef run, CancellationToken ct) =>
        (await runs.GetAsync(run.UserId, run.ThreadId, run.RunId, ct).ConfigureAwait(false))?.Value.CancelRequested ?? true;

    /// <summary>
    /// Records a run that could not be executed as failed with <paramref name="problem"/>, so it is not lost: its stream
    /// ends with an error and done event, and its thread is released. Later updates of the broken execution are ignored.
    /// </summary>
    public async Task MarkFailedAsync(RunRef run, ApiProblem problem, CancellationToken ct)
    {
        var status = problem.Code == ExpiredCode ? RunStatus.Expired : RunStatus.Failed;
        // The thread first: whoever sees the run failed or expired finds its thread free.
        await threads.ReleaseAsync(run.UserId, run.ThreadId, run.RunId, ct).ConfigureAwait(false);
        var failed = await runs.UpdateAsync(run.UserId, run.ThreadId, run.RunId, current => current.Status.IsTerminal() ? null : current with
        {
            Status = status,
            Error = problem,
            CompletedAt = clock.GetUtcNow(),
            Version = long.MaxValue / 2, // later updates of the broken execution must not revive it
        }, ct).ConfigureAwait(false);
        if (failed?.Status == status)
        {
            await log.AppendAsync(run.UserId, run.RunId,
            [
                new StoredEvent(RunEventLog.MakeId(RunEventLog.FinalPosition, 0), RunEventTypes.Error, JsonSerializer.SerializeToElement(problem, CosmosDatabase.Json)),
                new StoredEvent(RunEventLog.MakeId(RunEventLog.FinalPosition, 1), RunEventTypes.Done, JsonSerializer.SerializeToElement(new { status = LoopStateNames.Of(status) })),
            ], clock.GetUtcNow(), ct).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// The whole prompt of a model call whose orchestration passed only what the loop <paramref name="added"/> since
    /// the previous call, at <paramref name="offset"/>: the earlier part is read from the chunks the previous calls
    /// stored, and this call's part is stored for the next ones. So the prompt never travels through the
    /// orchestration's history more than once.
    /// </summary>
    public async Task<IReadOnlyList<ChatMessage>> ExpandPromptAsync(RunRef run, int offset, IReadOnlyList<ChatMessage> added, CancellationToken ct)
    {
        var prompt = new List<ChatMessage>(offset + added.Count);
        if (offset > 0)
        {
            foreach (var chunk in await runs.ReadPromptAsync(run.UserId, run.ThreadId, run.RunId, offset, ct).ConfigureAwait(false))
            {
                if (chunk.Offset != prompt.Count)
                {
                    break; // a gap: reported below
                }
                prompt.AddRange(chunk.Messages);
            }
            if (prompt.Count != offset)
            {
                throw new InvalidOperationException(FormattableString.Invariant(
                    $"Run {run.RunId}: the stored prompt has {prompt.Count} messages where the model call expects {offset}."));
            }
        }
        await runs.AppendPromptAsync(run.UserId, run.ThreadId, new PromptChunk(PromptChunk.IdFor(run.RunId, offset), run.RunId, offset, added), ct).ConfigureAwait(false);
        prompt.AddRange(added);
        return prompt;
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning,
        Message = "Model call {Position} of run {RunId} failed with {Code}: {Reason}")]
    private static partial void LogModelCallFailed(Microsoft.Extensions.Logging.ILogger logger, int position, string runId, string code, string? reason);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information,
        Message = "Model call {Position} of run {RunId} finished: {InputTokens} in, {OutputTokens} out")]
    private static partial void LogModelCall(Microsoft.Extensions.Logging.ILogger logger, int position, string runId, int inputTokens, int outputTokens);
}
