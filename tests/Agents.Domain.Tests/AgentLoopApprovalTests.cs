using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Runs;
using static Agents.Domain.Tests.TestData;

namespace Agents.Domain.Tests;

public class AgentLoopApprovalTests
{
    private static readonly ToolGrant PayAlways = new("pay", ApprovalMode.Always);
    private static readonly ToolGrant PayByPolicy = new("pay", ApprovalMode.Policy);

    private static FakeRunContext PayThenAnswer(ToolGrant grant) =>
        Context(grant).Model(CallTools(("call_1", "pay")), Answer("Done."));

    [Fact]
    public async Task AlwaysApproval_ParksTheRunWithThePendingCall_BeforeWaiting()
    {
        var fake = PayThenAnswer(PayAlways);

        await new AgentLoop(fake).RunAsync();

        var parked = fake.Updates.Single(u => u.Status == RunStatus.RequiresAction);
        var pending = parked.PendingToolCalls.ShouldHaveSingleItem();
        pending.ToolCallId.ShouldBe("call_1");
        pending.Name.ShouldBe("pay");
        pending.Arguments.ShouldBe("""{"q":"call_1"}""");
        pending.ExpiresAt.ShouldBeGreaterThan(Start + AgentLoop.ApprovalTimeout);
        parked.Events.Select(e => e.Type).TakeLast(2).ShouldBe([RunEventTypes.ToolCallApprovalRequired, RunEventTypes.Status]);
        parked.Events[^2].Data.GetProperty("toolCallId").GetString().ShouldBe("call_1");
        parked.Events[^1].Data.GetProperty("status").GetString().ShouldBe("requires_action");

        var parkedAt = fake.Log.IndexOf($"save {parked.Version} {RunStatus.RequiresAction}");
        parkedAt.ShouldBeLessThan(fake.Log.IndexOf("approval call_1"));
        fake.ApprovalWaits.ShouldHaveSingleItem().Timeout.ShouldBe(AgentLoop.ApprovalTimeout);
    }

    [Fact]
    public async Task AlwaysApproval_Approved_RunsTheToolAndResumes()
    {
        var fake = PayThenAnswer(PayAlways);

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Completed);
        fake.Log.IndexOf("approval call_1").ShouldBeLessThan(fake.Log.IndexOf("tool call_1"));
        fake.ToolCalls.ShouldHaveSingleItem().ToolCallId.ShouldBe("call_1");
        fake.Final.Steps[1].Status.ShouldBe("completed");
        fake.Final.PendingToolCalls.ShouldBeEmpty();
        fake.Events.Where(e => e.Type == RunEventTypes.Status).Select(e => e.Data.GetProperty("status").GetString())
            .ShouldBe(["in_progress", "requires_action", "in_progress", "completed"]);
    }

    [Fact]
    public async Task AlwaysApproval_Denied_DoesNotRunTheTool_AndTellsTheModel()
    {
        var fake = PayThenAnswer(PayAlways);
        fake.Approval = _ => new ApprovalDecision(ApprovalOutcome.Denied, "too expensive", "bob");

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Completed);
        fake.ToolCalls.ShouldBeEmpty();
        var result = fake.ModelCalls[1].Messages[^1];
        result.Role.ShouldBe(MessageRole.Tool);
        result.ToolCallId.ShouldBe("call_1");
        result.Content.ShouldContain("denied");
        result.Content.ShouldContain("too expensive");
        fake.Final.Steps[1].Status.ShouldBe("denied");
    }

    [Fact]
    public async Task AlwaysApproval_TimedOut_DoesNotRunTheTool()
    {
        var fake = PayThenAnswer(PayAlways);
        fake.Approval = _ => new ApprovalDecision(ApprovalOutcome.TimedOut);

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Completed);
        fake.ToolCalls.ShouldBeEmpty();
        fake.ModelCalls[1].Messages[^1].Content.ShouldContain("in time");
        fake.Final.Steps[1].Status.ShouldBe("timed_out");
    }

    [Fact]
    public async Task AlwaysApproval_Cancelled_EndsTheRunWithoutRunningTheTool()
    {
        var fake = PayThenAnswer(PayAlways);
        fake.Approval = _ => new ApprovalDecision(ApprovalOutcome.Cancelled);

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Cancelled);
        fake.ToolCalls.ShouldBeEmpty();
        fake.ModelCalls.Count.ShouldBe(1);
        fake.Final.Status.ShouldBe(RunStatus.Cancelled);
        fake.Final.PendingToolCalls.ShouldBeEmpty();
        fake.Events.Last().Type.ShouldBe(RunEventTypes.Done);
    }

    [Fact]
    public async Task AlwaysApproval_Cancelled_LeavesAHistoryTheNextRunCanSend()
    {
        var cancelled = PayThenAnswer(PayAlways);
        cancelled.Approval = _ => new ApprovalDecision(ApprovalOutcome.Cancelled);
        await new AgentLoop(cancelled).RunAsync();
        var history = cancelled.Updates.SelectMany(u => u.NewMessages).Prepend(Input(Agent()).UserMessage).ToList();
        var next = new FakeRunContext(Input(Agent(PayAlways), runId: "run-2", history: history)).Model(Answer("Hello again."));

        await new AgentLoop(next).RunAsync();

        PromptBuilderTests.ShouldHaveWholeToolExchanges(next.ModelCalls[0].Messages);
    }

    [Fact]
    public async Task ApprovalTimeout_GivenToTheRun_IsTheWaitAndTheExpiry()
    {
        var fake = PayThenAnswer(PayAlways);
        var timeout = TimeSpan.FromMinutes(5);

        await new AgentLoop(fake).RunAsync(timeout);

        fake.ApprovalWaits.ShouldHaveSingleItem().Timeout.ShouldBe(timeout);
        var pending = fake.Updates.Single(u => u.Status == RunStatus.RequiresAction).PendingToolCalls.ShouldHaveSingleItem();
        pending.ExpiresAt.ShouldBeLessThan(Start + AgentLoop.ApprovalTimeout);
    }

    [Fact]
    public async Task OnlyCallsThatNeedApproval_ArePending()
    {
        var fake = Context(new ToolGrant("weather"), PayAlways)
            .Model(CallTools(("call_1", "weather"), ("call_2", "pay")), Answer("Done."));

        await new AgentLoop(fake).RunAsync();

        var parked = fake.Updates.Single(u => u.Status == RunStatus.RequiresAction);
        parked.PendingToolCalls.Select(p => p.ToolCallId).ShouldBe(["call_2"]);
        fake.ApprovalWaits.Select(w => w.Invocation.ToolCallId).ShouldBe(["call_2"]);
        fake.ToolCalls.Select(i => i.ToolCallId).ShouldBe(["call_1", "call_2"]);
    }

    [Fact]
    public async Task PolicyApproval_Block_ConsultsTheReview_AndDoesNotRunTheTool()
    {
        var fake = PayThenAnswer(PayByPolicy);
        fake.Review = _ => new ToolReview(ToolReviewVerdict.Block, "no payments on Sundays", "calendar");

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Completed);
        fake.Reviews.ShouldHaveSingleItem().ToolCallId.ShouldBe("call_1");
        fake.ToolCalls.ShouldBeEmpty();
        fake.ApprovalWaits.ShouldBeEmpty();
        fake.ModelCalls[1].Messages[^1].Content.ShouldContain("no payments on Sundays");
        fake.Final.Steps[1].Status.ShouldBe("blocked");
        fake.Updates.ShouldNotContain(u => u.Status == RunStatus.RequiresAction);
    }

    [Fact]
    public async Task PolicyApproval_RequireApproval_ParksWithTheReviewsReason()
    {
        var fake = PayThenAnswer(PayByPolicy);
        fake.Review = _ => new ToolReview(ToolReviewVerdict.RequireApproval, "over 100 EUR", "spend-limit");

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Completed);
        fake.Log.IndexOf("review call_1").ShouldBeLessThan(fake.Log.IndexOf("approval call_1"));
        fake.Updates.Single(u => u.Status == RunStatus.RequiresAction).PendingToolCalls.ShouldHaveSingleItem().Reason.ShouldBe("over 100 EUR");
        fake.ToolCalls.ShouldHaveSingleItem();
    }

    [Fact]
    public async Task PolicyApproval_Allow_RunsTheToolWithoutAskingAnyone()
    {
        var fake = PayThenAnswer(PayByPolicy);

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Completed);
        fake.Reviews.ShouldHaveSingleItem();
        fake.ApprovalWaits.ShouldBeEmpty();
        fake.ToolCalls.ShouldHaveSingleItem();
        fake.Updates.ShouldNotContain(u => u.Status == RunStatus.RequiresAction);
        fake.Final.Steps[1].Status.ShouldBe("completed");
    }

    [Fact]
    public async Task NeverApproval_DoesNotConsultThePolicy()
    {
        var fake = PayThenAnswer(new ToolGrant("pay"));

        await new AgentLoop(fake).RunAsync();

        fake.Reviews.ShouldBeEmpty();
        fake.ApprovalWaits.ShouldBeEmpty();
        fake.ToolCalls.ShouldHaveSingleItem();
    }
}
