using Agents.Application.Gateway.Activity;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Policies;

/// <summary>What the chain decided at one stage: the strongest action of its policies, who decided, and why.</summary>
public sealed record ChainResult(PolicyAction Action, string? Reason = null, string? Policy = null)
{
    public static readonly ChainResult Passed = new(PolicyAction.Pass);

    /// <summary>The response text after every policy (changed when a policy modified it).</summary>
    public string? Text { get; init; }
}

/// <summary>
/// Runs the effective chain for one exchange (a gateway request or a run's tool call): the policies that take part
/// in a stage, in order, each within its time budget. A policy that times out or throws passes (fail-open) or blocks
/// (fail-closed) as its entry says. The first block ends a stage; approvals are kept unless a later policy blocks.
/// Decisions other than passes on response text are published to the activity feed.
/// </summary>
public sealed partial class PolicyChain(EffectiveChain chain, PolicyScope scope, ActivityFeed activity, ILogger logger)
{
    public EffectiveChain Effective => chain;

    public PolicyScope Scope => scope;

    public bool Reviews(PolicyStage stage) => chain.Has(stage);

    public async Task<ChainResult> OnRequestAsync(PolicyRequest request, CancellationToken ct)
    {
        var modified = false;
        foreach (var entry in chain.For(PolicyStage.Request))
        {
            var decision = await InvokeAsync(entry, PolicyStage.Request, token => entry.Policy.OnRequestAsync(scope, request, entry.Settings, token), ct).ConfigureAwait(false);
            Publish(entry, PolicyStage.Request, decision, null);
            if (decision.Action == PolicyAction.Block)
            {
                return new ChainResult(PolicyAction.Block, decision.Reason, entry.Id);
            }
            modified |= decision.Action == PolicyAction.Modify;
        }
        return modified ? new ChainResult(PolicyAction.Modify) : ChainResult.Passed;
    }

    /// <summary>Checks response text (a delta or a whole answer); each policy sees the text as the previous one left it.</summary>
    public async Task<ChainResult> OnResponseAsync(ResponseText text, CancellationToken ct)
    {
        var current = text;
        var modified = false;
        foreach (var entry in chain.For(PolicyStage.Response))
        {
            var decision = await InvokeAsync(entry, PolicyStage.Response, token => entry.Policy.OnResponseAsync(scope, current, entry.Settings, token), ct).ConfigureAwait(false);
            if (decision.Action != PolicyAction.Pass)
            {
                Publish(entry, PolicyStage.Response, decision, null);
            }
            switch (decision.Action)
            {
                case PolicyAction.Block or PolicyAction.RequireApproval:
                    return new ChainResult(PolicyAction.Block, decision.Reason, entry.Id);
                case PolicyAction.Modify when decision.Text is not null:
                    current = current with { Text = decision.Text };
                    modified = true;
                    break;
            }
        }
        return (modified ? new ChainResult(PolicyAction.Modify) : ChainResult.Passed) with { Text = current.Text };
    }

    public async Task<ChainResult> OnToolCallAsync(ProposedToolCall call, CancellationToken ct)
    {
        ChainResult? approval = null;
        foreach (var entry in chain.For(PolicyStage.ToolCall))
        {
            var decision = await InvokeAsync(entry, PolicyStage.ToolCall, token => entry.Policy.OnToolCallAsync(scope, call, entry.Settings, token), ct).ConfigureAwait(false);
            Publish(entry, PolicyStage.ToolCall, decision, call.Name);
            switch (decision.Action)
            {
                case PolicyAction.Block:
                    return new ChainResult(PolicyAction.Block, decision.Reason, entry.Id);
                case PolicyAction.RequireApproval:
                    approval ??= new ChainResult(PolicyAction.RequireApproval, decision.Reason, entry.Id);
                    break;
            }
        }
        return approval ?? ChainResult.Passed;
    }

    private async Task<PolicyDecision> InvokeAsync(EffectivePolicy entry, PolicyStage stage, Func<CancellationToken, ValueTask<PolicyDecision>> hook, CancellationToken ct)
    {
        using var budget = entry.Policy.IsAsynchronous ? CancellationTokenSource.CreateLinkedTokenSource(ct) : null;
        budget?.CancelAfter(entry.TimeoutMs);
        try
        {
            var pending = hook(budget?.Token ?? ct);
            return pending.IsCompletedSuccessfully
                ? pending.Result
                : await pending.AsTask().WaitAsync(TimeSpan.FromMilliseconds(entry.TimeoutMs), ct).ConfigureAwait(false);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is TimeoutException or OperationCanceledException)
        {
            return Failed(entry, stage, $"timed out after {entry.TimeoutMs} ms");
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is not OperationCanceledException)
        {
            LogPolicyFailed(logger, e, entry.Id, stage);
            return Failed(entry, stage, $"failed ({e.Message})");
        }
    }

    private PolicyDecision Failed(EffectivePolicy entry, PolicyStage stage, string what)
    {
        LogFailMode(logger, entry.Id, stage, what, entry.FailOpen ? "open" : "closed");
        return entry.FailOpen
            ? new PolicyDecision(PolicyAction.Pass, $"Policy '{entry.Id}' {what}; it fails open, so the call passed.")
            : PolicyDecision.Block($"Policy '{entry.Id}' {what}; it fails closed, so the call was blocked.");
    }

    private void Publish(EffectivePolicy entry, PolicyStage stage, PolicyDecision decision, string? tool)
    {
        if (decision.Action == PolicyAction.Pass && decision.Reason is null && stage != PolicyStage.ToolCall)
        {
            return;
        }
        activity.Publish(new ActivityEvent
        {
            Type = decision.Action switch
            {
                PolicyAction.Block => ActivityTypes.Block,
                PolicyAction.RequireApproval => ActivityTypes.Approval,
                _ => ActivityTypes.Decision,
            },
            Surface = scope.Surface,
            UserId = scope.UserId,
            RequestId = scope.RequestId,
            Model = scope.Model,
            AgentId = scope.AgentId,
            RunId = scope.RunId,
            Policy = entry.Id,
            Stage = ActivityTypes.StageName(stage),
            Action = ActivityTypes.ActionName(decision.Action),
            Reason = decision.Reason,
            Score = decision.Score,
            Tool = tool,
        });
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Policy {PolicyId} failed at stage {Stage}")]
    private static partial void LogPolicyFailed(ILogger logger, Exception e, string policyId, PolicyStage stage);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Policy {PolicyId} {What} at stage {Stage}; failing {Mode}")]
    private static partial void LogFailMode(ILogger logger, string policyId, PolicyStage stage, string what, string mode);
}
