using Agents.Application.Runs;
using Agents.Domain.Agents;
using Agents.Domain.Runs;

namespace Agents.Application.Policies;

/// <summary>Reviews a tool call proposed by the model, for tools whose approval mode is <see cref="ApprovalMode.Policy"/>.</summary>
public interface IToolReviewer
{
    Task<ToolReview> ReviewAsync(RunRef run, AgentDefinition agent, ToolInvocation invocation, CancellationToken ct);
}

/// <summary>Allows every call: the reviewer used when no policy chain is configured.</summary>
public sealed class AllowAllReviewer : IToolReviewer
{
    public Task<ToolReview> ReviewAsync(RunRef run, AgentDefinition agent, ToolInvocation invocation, CancellationToken ct) =>
        Task.FromResult(ToolReview.Allowed);
}
