using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Errors;

namespace Agents.Domain.Runs;

/// <summary>
/// The agent loop: build the prompt, call the model, run the proposed tool calls
/// (in parallel, after review and approval where the agent asks for it), feed the results back, and repeat until the
/// model answers without tools or the agent's step limit is reached.
/// Deterministic: it awaits only the context, takes time from it, and derives every id from the run id and a position.
/// </summary>
public sealed class AgentLoop(IAgentRunContext context)
{
    /// <summary>Longest tool result summary in a step and an event; the full result is in the tool message.</summary>
    public const int ResultSummaryLength = 500;

    /// <summary>How long a parked tool call waits for a person before it counts as denied.</summary>
    public static readonly TimeSpan ApprovalTimeout = TimeSpan.FromMinutes(30);

    /// <param name="approvalTimeout">How long a parked tool call waits (default <see cref="ApprovalTimeout"/>).</param>
    /// <param name="maxSteps">A cap on the agent's own step limit, set by the deployment.</param>
    public async Task<RunStatus> RunAsync(TimeSpan? approvalTimeout = null, int? maxSteps = null)
    {
        var input = await context.LoadInputAsync();
        var run = new LoopState(input, context);
        var agent = input.Agent;
        var stepLimit = Math.Min(agent.MaxSteps, maxSteps ?? int.MaxValue);
        var parameters = agent.Defaults.OverriddenBy(input.Run.Parameters);
        var prompt = PromptBuilder.Build(agent, input.History, input.UserMessage);

        await run.SaveAsync(RunStatus.InProgress, started: true);
        try
        {
            for (var step = 0; step < stepLimit; step++)
            {
                // A copy: the prompt grows after the call, and the call the context received (or journaled) must not change.
                var turn = await context.CallModelAsync(new ModelCall(
                    run.NextPosition(), agent.Model, [.. prompt], input.Tools, parameters, agent.StepTimeoutSeconds));
                var assistant = run.RecordModelTurn(turn);
                if (assistant is not null)
                {
                    prompt.Add(assistant);
                }

                if (turn.Finish == ModelFinish.Cancelled)
                {
                    return await run.FinishAsync(RunStatus.Cancelled);
                }
                if (turn.Finish == ModelFinish.Interrupted)
                {
                    // The partial answer is kept (recorded above, marked incomplete); the run cannot go on from it.
                    return await run.FinishAsync(RunStatus.Failed, turn.Problem ?? ModelProblems.Interrupted);
                }
                if (turn.ToolCalls.Count == 0)
                {
                    return await run.FinishAsync(RunStatus.Completed);
                }

                var results = await ExecuteToolCallsAsync(run, agent, turn.ToolCalls, approvalTimeout ?? ApprovalTimeout);
                if (results is null)
                {
                    return await run.FinishAsync(RunStatus.Cancelled);
                }
                prompt.AddRange(results);
            }
            return await run.FinishAsync(RunStatus.Failed, new ApiProblem(
                422, "max_steps_exceeded", "The agent reached its step limit",
                $"The run stopped after {stepLimit} model calls without a final answer."));
        }
        catch (RunFailedException failure)
        {
            return await run.FinishAsync(RunStatus.Failed, failure.Problem);
        }
    }

    /// <summary>Reviews, approves and runs one turn's tool calls; null when the run was cancelled meanwhile.</summary>
    private async Task<List<ChatMessage>?> ExecuteToolCallsAsync(
        LoopState run, AgentDefinition agent, IReadOnlyList<ToolCall> calls, TimeSpan approvalTimeout)
    {
        var invocations = calls.Select(c => new ToolInvocation(run.RunId, c.Id, c.Name, c.Arguments, agent.StepTimeoutSeconds)).ToList();
        var reviews = await Task.WhenAll(invocations.Select(i => ReviewAsync(agent, i)));

        var parked = invocations.Zip(reviews).Where(p => p.Second.Verdict == ToolReviewVerdict.RequireApproval).ToList();
        var decisions = new Dictionary<string, ApprovalDecision>(StringComparer.Ordinal);
        if (parked.Count > 0)
        {
            await run.ParkAsync(parked.Select(p => new PendingToolCall(
                p.First.ToolCallId, p.First.Name, p.First.Arguments, p.Second.Reason ?? "approval required", context.UtcNow + approvalTimeout)).ToList());
            var answers = await Task.WhenAll(parked.Select(p => context.WaitForApprovalAsync(p.First, approvalTimeout)));
            if (answers.Any(a => a.Outcome == ApprovalOutcome.Cancelled))
            {
                return null;
            }
            for (var i = 0; i < parked.Count; i++)
            {
                decisions[parked[i].First.ToolCallId] = answers[i];
            }
        }

        await run.StartToolsAsync(invocations, reviews, decisions);
        var results = await Task.WhenAll(invocations.Select((invocation, i) => RunOrRefuseAsync(invocation, reviews[i], decisions)));
        return await run.RecordToolResultsAsync(invocations, results);
    }

    private async Task<ToolReview> ReviewAsync(AgentDefinition agent, ToolInvocation invocation)
    {
        var grant = agent.Grant(invocation.Name);
        return grant?.Approval switch
        {
            null => new ToolReview(ToolReviewVerdict.Block, $"The agent may not use the tool '{invocation.Name}'.", "allowlist"),
            ApprovalMode.Never => ToolReview.Allowed,
            ApprovalMode.Always => new ToolReview(ToolReviewVerdict.RequireApproval, "This tool always needs approval.", "agent"),
            _ => await context.ReviewToolCallAsync(invocation),
        };
    }

    private Task<ToolResult> RunOrRefuseAsync(ToolInvocation invocation, ToolReview review, Dictionary<string, ApprovalDecision> decisions)
    {
        if (review.Verdict == ToolReviewVerdict.Block)
        {
            return Task.FromResult(new ToolResult(invocation.ToolCallId, $"Blocked by policy: {review.Reason}", IsError: true));
        }
        if (decisions.TryGetValue(invocation.ToolCallId, out var decision) && decision.Outcome != ApprovalOutcome.Approved)
        {
            var why = decision.Outcome == ApprovalOutcome.TimedOut ? "no one approved it in time" : $"denied: {decision.Reason ?? "no reason given"}";
            return Task.FromResult(new ToolResult(invocation.ToolCallId, $"The tool call was not run ({why}).", IsError: true));
        }
        return context.CallToolAsync(invocation);
    }
}
