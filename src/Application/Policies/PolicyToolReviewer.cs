using Agents.Application.Runs;
using Agents.Domain.Agents;
using Agents.Domain.Runs;

namespace Agents.Application.Policies;

/// <summary>
/// The agent runs' reviewer for tools in <see cref="ApprovalMode.Policy"/>: the same chain as the gateway, with the
/// agent's override, where a tool call can also be parked for a person. It runs in an activity (ReviewToolCall),
/// whose answer Durable keeps in the orchestration's history, so a replayed run does not ask again.
/// </summary>
public sealed class PolicyToolReviewer(PolicyEngine engine) : IToolReviewer
{
    public async Task<ToolReview> ReviewAsync(RunRef run, AgentDefinition agent, ToolInvocation invocation, CancellationToken ct)
    {
        var scope = new PolicyScope(PolicyScope.Run, run.UserId, run.TenantId, invocation.IdempotencyKey, agent.Model) { AgentId = agent.Id, RunId = run.RunId };
        var chain = await engine.ChainForAsync(scope, agent, ct).ConfigureAwait(false);
        var result = await chain.OnToolCallAsync(new ProposedToolCall(invocation.ToolCallId, invocation.Name, invocation.Arguments), ct).ConfigureAwait(false);
        return result.Action switch
        {
            PolicyAction.Block => new ToolReview(ToolReviewVerdict.Block, result.Reason, result.Policy),
            PolicyAction.RequireApproval => new ToolReview(ToolReviewVerdict.RequireApproval, result.Reason, result.Policy),
            _ => ToolReview.Allowed,
        };
    }
}
