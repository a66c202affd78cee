using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Runs;
using Agents.Functions.Runs;
using Agents.Functions.Tests.Infrastructure;
using Microsoft.DurableTask.Client;
using static Agents.Functions.Tests.Infrastructure.Script;

namespace Agents.Functions.Tests;

/// <summary>
/// Tool calls that wait for a person: the orchestration parks (an update with status requires_action and the pending
/// calls), then the approval event, the cancel event or the durable timer decides. The events are raised through the
/// production <see cref="DurableRunScheduler"/>, so they carry the names the orchestrator waits for.
/// </summary>
public class ApprovalTests(OrchestrationHost host) : IClassFixture<OrchestrationHost>
{
    private static readonly ToolGrant PayAlways = new("pay", ApprovalMode.Always);

    [Fact]
    public async Task Approved_ParksThenRunsTheTool_AndCompletes()
    {
        var run = PayThenAnswer();
        var before = DateTimeOffset.UtcNow;
        await host.StartAsync(run);

        var parked = await ParkedAsync(run);
        var pending = parked.PendingToolCalls.ShouldHaveSingleItem();
        pending.ToolCallId.ShouldBe("call_1");
        pending.Name.ShouldBe("pay");
        pending.Arguments.ShouldBe("""{"q":"call_1"}""");
        pending.ExpiresAt.ShouldBeInRange(before.AddSeconds(1800 - 1), DateTimeOffset.UtcNow.AddSeconds(1800 + 1));
        parked.Events.Select(e => e.Type).ShouldContain(RunEventTypes.ToolCallApprovalRequired);
        run.ToolStarts.ShouldBeEmpty();
        run.ModelSteps.Count.ShouldBe(1);
        (await host.Client.GetInstanceAsync(run.Ref.RunId)).ShouldNotBeNull().RuntimeStatus.ShouldBe(OrchestrationRuntimeStatus.Running);

        await host.RaiseApprovalAsync(run, "call_1", new ApprovalDecision(ApprovalOutcome.Approved, DecidedBy: "bob"));
        var status = (await host.WaitAsync(run)).ReadOutputAs<RunStatus>();

        // Completing long before the 30-minute deadline also shows the durable timer was cancelled.
        status.ShouldBe(RunStatus.Completed);
        run.ToolExecutions.ShouldHaveSingleItem().ToolCallId.ShouldBe("call_1");
        ToolResultFedBack(run).Content.ShouldBe("pay says ok for call_1");
        var updates = run.Updates;
        updates.Select(u => u.Status).ShouldBe([RunStatus.InProgress, RunStatus.RequiresAction, RunStatus.InProgress, RunStatus.InProgress, RunStatus.Completed]);
        updates[^1].PendingToolCalls.ShouldBeEmpty();
        updates.MergedSteps()[1].Status.ShouldBe("completed");
    }

    [Fact]
    public async Task Denied_DoesNotRunTheTool_AndTellsTheModel()
    {
        var run = PayThenAnswer();
        await host.StartAsync(run);
        await ParkedAsync(run);

        await host.RaiseApprovalAsync(run, "call_1", new ApprovalDecision(ApprovalOutcome.Denied, "too risky", "bob"));
        var status = (await host.WaitAsync(run)).ReadOutputAs<RunStatus>();

        status.ShouldBe(RunStatus.Completed);
        run.ToolStarts.ShouldBeEmpty();
        var result = ToolResultFedBack(run);
        result.ToolCallId.ShouldBe("call_1");
        result.Content.ShouldContain("denied: too risky");
        run.Updates.MergedSteps()[1].Status.ShouldBe("denied");
    }

    [Fact]
    public async Task NoDecisionBeforeTheDeadline_TimesOut_WithoutRunningTheTool()
    {
        var run = PayThenAnswer();

        var status = await host.RunToEndAsync(run, new RunSettings(ApprovalTimeoutSeconds: 1, MaxSteps: 100));

        status.ShouldBe(RunStatus.Completed);
        run.ToolStarts.ShouldBeEmpty();
        run.Updates.Single(u => u.Status == RunStatus.RequiresAction).PendingToolCalls.ShouldHaveSingleItem().ToolCallId.ShouldBe("call_1");
        ToolResultFedBack(run).Content.ShouldContain("no one approved it in time");
        run.Updates.MergedSteps()[1].Status.ShouldBe("timed_out");
    }

    [Fact]
    public async Task CancelWhileParked_EndsTheRunCancelled_WithoutRunningTheTool()
    {
        var run = PayThenAnswer();
        await host.StartAsync(run);
        await ParkedAsync(run);

        await host.RaiseCancelAsync(run);
        var status = (await host.WaitAsync(run)).ReadOutputAs<RunStatus>();

        status.ShouldBe(RunStatus.Cancelled);
        run.ToolStarts.ShouldBeEmpty();
        run.ModelSteps.Count.ShouldBe(1);
        var final = run.Updates[^1];
        final.Status.ShouldBe(RunStatus.Cancelled);
        final.CompletedAt.ShouldNotBeNull();
        final.Events[^1].Type.ShouldBe(RunEventTypes.Done);
        final.Events[^1].StatusOf().ShouldBe("cancelled");
        run.Fails.ShouldBeEmpty();
    }

    [Fact]
    public async Task TwoParkedCalls_AreDecidedOneByOne()
    {
        var run = host.NewRun(Agent(PayAlways));
        run.Model = Turns(CallTools(("call_1", "pay"), ("call_2", "pay")), Answer("One paid."));
        await host.StartAsync(run);

        var parked = await ParkedAsync(run);
        parked.PendingToolCalls.Select(p => p.ToolCallId).ShouldBe(["call_1", "call_2"]);
        await host.RaiseApprovalAsync(run, "call_2", new ApprovalDecision(ApprovalOutcome.Denied, "once is enough"));
        await host.RaiseApprovalAsync(run, "call_1", new ApprovalDecision(ApprovalOutcome.Approved));
        var status = (await host.WaitAsync(run)).ReadOutputAs<RunStatus>();

        status.ShouldBe(RunStatus.Completed);
        run.ToolExecutions.ShouldHaveSingleItem().ToolCallId.ShouldBe("call_1");
        var results = run.ModelSteps[1].Call.Messages.Where(m => m.Role == MessageRole.Tool).ToList();
        results.Select(m => m.ToolCallId).ShouldBe(["call_1", "call_2"]);
        results[0].Content.ShouldBe("pay says ok for call_1");
        results[1].Content.ShouldContain("denied: once is enough");
        run.Updates.MergedSteps().Select(s => s.Status).ShouldBe(["completed", "completed", "denied", "completed"]);
    }

    [Fact]
    public async Task PolicyTool_IsReviewedByTheActivity_AndABlockedCallDoesNotRun()
    {
        var run = host.NewRun(Agent(new ToolGrant("search", ApprovalMode.Policy)));
        run.Model = Turns(CallTools(("call_1", "search")), Answer("Could not search."));
        run.Review = _ => new ToolReview(ToolReviewVerdict.Block, "not on weekends", "calendar");

        var status = await host.RunToEndAsync(run);

        status.ShouldBe(RunStatus.Completed);
        var review = run.Reviews.ShouldHaveSingleItem();
        review.Invocation.ToolCallId.ShouldBe("call_1");
        review.Invocation.IdempotencyKey.ShouldBe($"{run.Ref.RunId}:call_1");
        review.Input.History.ShouldBeEmpty();
        run.ToolStarts.ShouldBeEmpty();
        ToolResultFedBack(run).Content.ShouldBe("Blocked by policy: not on weekends");
        run.Updates.MergedSteps()[1].Status.ShouldBe("blocked");
    }

    private RunScenario PayThenAnswer()
    {
        var run = host.NewRun(Agent(PayAlways));
        run.Model = Turns(CallTools(("call_1", "pay")), Answer("Done."));
        return run;
    }

    private static async Task<RunUpdate> ParkedAsync(RunScenario run)
    {
        (await run.WaitUntilAsync(r => r.Updates.Any(u => u.Status == RunStatus.RequiresAction), OrchestrationHost.Timeout))
            .ShouldBeTrue("the run never parked");
        return run.Updates.Single(u => u.Status == RunStatus.RequiresAction);
    }

    /// <summary>The tool message the second model call received.</summary>
    private static ChatMessage ToolResultFedBack(RunScenario run)
    {
        var models = run.ModelSteps;
        models.Count.ShouldBe(2);
        var result = models[1].Call.Messages[^1];
        result.Role.ShouldBe(MessageRole.Tool);
        return result;
    }
}
