using System.Diagnostics;
using System.Text.Json;
using Agents.Application.Agents;
using Agents.Application.Conversations;
using Agents.Application.Http;
using Agents.Application.Storage.Cosmos;
using Agents.Application.Streaming;
using Agents.Application.Telemetry;
using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Errors;
using Agents.Domain.Identity;
using Agents.Domain.Runs;

namespace Agents.Application.Runs;

/// <summary>What a client asks for when it starts a run.</summary>
public sealed record CreateRunRequest(string? Message, string? AgentId = null, ModelParameters? Parameters = null, bool? Stream = null);

/// <summary>A person's decision on a parked tool call.</summary>
public sealed record ApprovalRequest(string? ToolCallId, bool? Approve, string? Reason = null);

/// <summary>
/// The API side of runs: accept (validate, claim the thread, store the user's message and the queued run, schedule its
/// orchestration), cancel, approve, wait. The orchestration does the rest; <see cref="IRunScheduler"/> reaches it.
/// </summary>
public sealed class RunService(
    ThreadStore threads, MessageStore messages, RunStore runs, AgentStore agents,
    RunSignals signals, RunEventLog log, RequestLimits limits, TimeProvider clock)
{
    public async Task<Run> StartAsync(Caller caller, string threadId, CreateRunRequest request, IRunScheduler scheduler, CancellationToken ct)
    {
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(request.Message))
        {
            errors.Add(new FieldError("message", "is required"));
        }
        else if (request.Message.Length > limits.MaxMessageChars)
        {
            errors.Add(new FieldError("message", $"must be at most {limits.MaxMessageChars} characters"));
        }
        errors.AddRange(request.Parameters?.Validate("parameters") ?? []);
        if (errors.Count > 0)
        {
            throw new ApiProblemException(Problems.Validation(errors));
        }

        var agentId = request.AgentId ?? AgentDefinition.DefaultAgentId;
        var agent = await agents.GetVisibleAsync(caller.UserId, agentId, ct).ConfigureAwait(false)
            ?? throw new ApiProblemException(Problems.Field("agentId", $"names no agent you can use ('{agentId}')"));

        var now = clock.GetUtcNow();
        var runId = Ids.New("run");
        var claim = await threads.TryClaimForRunAsync(caller.UserId, threadId, runId, now,
            async holder => (await runs.GetAsync(caller.UserId, threadId, holder, ct).ConfigureAwait(false))?.Value.Status.IsTerminal() ?? true, ct).ConfigureAwait(false);
        if (claim.NotFound)
        {
            throw new ApiProblemException(Problems.NotFound("thread", threadId));
        }
        if (!claim.Success)
        {
            throw new ApiProblemException(new ApiProblem(409, "run_active", "The thread already has an active run",
                "Wait for it to finish or cancel it before starting another.",
                new Dictionary<string, object?> { ["activeRunId"] = claim.ActiveRunId }));
        }

        var userMessage = new ChatMessage
        {
            Id = Ids.New("msg"),
            ThreadId = threadId,
            Role = MessageRole.User,
            Content = request.Message!,
            RunId = runId,
            AgentId = agent.Value.Id,
            CreatedAt = now,
            SortKey = ChatMessage.MakeSortKey(now, runId, 0),
        };
        var run = new Run
        {
            Id = runId,
            ThreadId = threadId,
            OwnerId = caller.UserId,
            TenantId = caller.TenantId,
            AgentId = agent.Value.Id,
            Parameters = request.Parameters ?? new ModelParameters(),
            UserMessageId = userMessage.Id,
            CreatedAt = now,
        };
        await messages.AppendAsync(caller.UserId, userMessage, ct).ConfigureAwait(false);
        await runs.CreateAsync(run, ct).ConfigureAwait(false);
        await log.AppendAsync(caller.UserId, runId,
            [new StoredEvent(RunEventLog.MakeId(0, 0), "run.created", JsonSerializer.SerializeToElement(run, CosmosDatabase.Json))], now, ct).ConfigureAwait(false);
        try
        {
            await scheduler.StartAsync(Ref(caller, run), ct).ConfigureAwait(false);
            AgentsTelemetry.RunStarted(agent.Value.Id);
        }
        catch (Exception e) when (e is not ApiProblemException)
        {
            // Nothing will execute the run: fail it at once and free the thread rather than leave it queued, and take
            // the user message back, since the client is told to send it again.
            var problem = new ApiProblem(503, "engine_unavailable", "The run could not be started",
                "The run engine did not accept it; send the message again in a few seconds.",
                new Dictionary<string, object?> { [Problems.RetryAfterMember] = Problems.UnavailableRetryAfterSeconds, ["runId"] = runId });
            await runs.UpdateAsync(caller.UserId, threadId, runId, current => current with { Status = RunStatus.Failed, Error = problem, CompletedAt = clock.GetUtcNow() }, CancellationToken.None).ConfigureAwait(false);
            await messages.RemoveAsync(caller.UserId, threadId, userMessage.Id, CancellationToken.None).ConfigureAwait(false);
            await threads.ReleaseAsync(caller.UserId, threadId, runId, CancellationToken.None).ConfigureAwait(false);
            throw new ApiProblemException(problem, e);
        }
        return run;
    }

    public async Task<Run> GetAsync(Caller caller, string threadId, string runId, CancellationToken ct) =>
        (await runs.GetAsync(caller.UserId, threadId, runId, ct).ConfigureAwait(false))?.Value
        ?? throw new ApiProblemException(Problems.NotFound("run", runId));

    /// <summary>Polls until the run ends or <paramref name="maxWait"/> passes; returns the latest state.</summary>
    public async Task<Run> WaitAsync(Caller caller, Run run, TimeSpan maxWait, CancellationToken ct)
    {
        var deadline = clock.GetUtcNow() + maxWait;
        while (!run.Status.IsTerminal() && clock.GetUtcNow() < deadline && !ct.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(150), ct).ConfigureAwait(false);
            run = await GetAsync(caller, run.ThreadId, run.Id, ct).ConfigureAwait(false);
        }
        return run;
    }

    public async Task<Run> CancelAsync(Caller caller, string threadId, string runId, IRunScheduler scheduler, CancellationToken ct)
    {
        var run = await runs.UpdateAsync(caller.UserId, threadId, runId,
            current => current.Status.IsTerminal() || current.CancelRequested ? null : current with { CancelRequested = true }, ct).ConfigureAwait(false)
            ?? throw new ApiProblemException(Problems.NotFound("run", runId));
        if (!run.Status.IsTerminal())
        {
            signals.TryCancel(runId); // stops a model stream or tool running in this process at once
            await scheduler.RaiseCancelAsync(Ref(caller, run), ct).ConfigureAwait(false); // wakes a run parked on an approval
        }
        return run;
    }

    public async Task<Run> ApproveAsync(Caller caller, string threadId, string runId, ApprovalRequest request, IRunScheduler scheduler, CancellationToken ct)
    {
        var errors = new List<FieldError>();
        if (string.IsNullOrWhiteSpace(request.ToolCallId))
        {
            errors.Add(new FieldError("toolCallId", "is required"));
        }
        if (request.Approve is null)
        {
            errors.Add(new FieldError("approve", "is required (true or false)"));
        }
        if (request.Reason is { Length: > 1000 })
        {
            errors.Add(new FieldError("reason", "must be at most 1000 characters"));
        }
        if (errors.Count > 0)
        {
            throw new ApiProblemException(Problems.Validation(errors));
        }
        var run = await GetAsync(caller, threadId, runId, ct).ConfigureAwait(false);
        if (run.Status != RunStatus.RequiresAction || run.PendingToolCalls.All(p => p.ToolCallId != request.ToolCallId))
        {
            throw new ApiProblemException(Problems.Conflict("approval_not_pending", "No such tool call is waiting for approval",
                $"Tool call '{request.ToolCallId}' of run '{runId}' is not waiting for a decision (the run is {LoopStateNames.Of(run.Status)})."));
        }
        // The record makes the decision once: another decision is refused. The same decision again (a client resending
        // a request whose answer it did not get) raises the event again: the first raise may have been lost with the
        // process that recorded it, and the run would wait for it until the approval timed out. The orchestration
        // takes the first event of that name and ignores the others.
        var record = new ApprovalRecord(
            ApprovalRecord.IdFor(runId, request.ToolCallId!), runId, request.ToolCallId!, request.Approve!.Value, request.Reason, caller.UserId, clock.GetUtcNow());
        if (!await runs.TryRecordApprovalAsync(caller.UserId, threadId, record, ct).ConfigureAwait(false))
        {
            var first = await runs.GetApprovalAsync(caller.UserId, threadId, runId, request.ToolCallId!, ct).ConfigureAwait(false);
            record = first is not null && first.Approved == request.Approve
                ? first
                : throw new ApiProblemException(Problems.Conflict("approval_already_decided", "The tool call was already decided", $"Tool call '{request.ToolCallId}' has another decision."));
        }
        var decision = new ApprovalDecision(record.Approved ? ApprovalOutcome.Approved : ApprovalOutcome.Denied, record.Reason, record.DecidedBy);
        await scheduler.RaiseApprovalAsync(Ref(caller, run), request.ToolCallId!, decision, ct).ConfigureAwait(false);
        return run;
    }

    /// <summary>The run's address, with the trace context and correlation id of the request at hand.</summary>
    private static RunRef Ref(Caller caller, Run run) => new(caller.UserId, run.TenantId, run.ThreadId, run.Id)
    {
        TraceParent = Activity.Current?.Id,
        CorrelationId = AgentsTelemetry.CurrentCorrelationId,
    };
}

/// <summary>Status names as the API spells them.</summary>
public static class LoopStateNames
{
    public static string Of(RunStatus status) => JsonNamingPolicy.SnakeCaseLower.ConvertName(status.ToString());
}
