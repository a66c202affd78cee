using System.Text.Json;
using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Errors;
using Agents.Domain.Runs;
using Agents.Domain.Usage;
using static Agents.Domain.Tests.TestData;

namespace Agents.Domain.Tests;

public class AgentLoopTests
{
    private static readonly ToolGrant Weather = new("weather");
    private static readonly ToolGrant Time = new("time");

    [Fact]
    public async Task PlainAnswer_CompletesInOneModelCall()
    {
        var fake = Context().Model(Answer("Sunny."));

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Completed);
        fake.ModelCalls.Count.ShouldBe(1);
        fake.ToolCalls.ShouldBeEmpty();
        fake.Updates[0].Status.ShouldBe(RunStatus.InProgress);
        fake.Updates[0].StartedAt.ShouldNotBeNull();
        fake.Final.Status.ShouldBe(RunStatus.Completed);
        fake.Final.CompletedAt.ShouldNotBeNull();
        fake.Final.Error.ShouldBeNull();
    }

    [Fact]
    public async Task PlainAnswer_StatusEventsGoFromInProgressToCompleted_AndEndWithDone()
    {
        var fake = Context().Model(Answer("Sunny."));

        await new AgentLoop(fake).RunAsync();

        var statuses = fake.Events.Where(e => e.Type == RunEventTypes.Status).Select(e => e.Data.GetProperty("status").GetString());
        statuses.ShouldBe(["in_progress", "completed"]);
        var last = fake.Events.Last();
        last.Type.ShouldBe(RunEventTypes.Done);
        last.Data.GetProperty("status").GetString().ShouldBe("completed");
        fake.Updates.Take(fake.Updates.Count - 1).ShouldAllBe(u => u.Events.All(e => e.Type != RunEventTypes.Done));
    }

    [Fact]
    public async Task PlainAnswer_SavesTheAssistantMessageExactlyOnce()
    {
        var fake = Context().Model(Answer("Sunny."));

        await new AgentLoop(fake).RunAsync();

        var saved = fake.Updates.SelectMany(u => u.NewMessages).ShouldHaveSingleItem();
        saved.Role.ShouldBe(MessageRole.Assistant);
        saved.Content.ShouldBe("Sunny.");
        saved.RunId.ShouldBe("run-1");
        saved.ThreadId.ShouldBe("thread-1");
        saved.AgentId.ShouldBe("helper");
        saved.Incomplete.ShouldBeFalse();
        fake.Events.Count(e => e.Type == RunEventTypes.MessageCompleted).ShouldBe(1);
    }

    [Fact]
    public async Task Usage_AddsUpOverModelCalls_AndEveryUsageRecordIsListed()
    {
        var fake = Context(Weather).Model(CallTools(("call_1", "weather")), Answer("Sunny.", inputTokens: 40, outputTokens: 6));

        await new AgentLoop(fake).RunAsync();

        fake.Final.Usage.ShouldBe(new TokenUsage(20 + 40, 8 + 6));
        fake.Final.Steps.Where(s => s.Kind == StepKind.ModelCall).Select(s => s.Usage)
            .ShouldBe([new TokenUsage(20, 8), new TokenUsage(40, 6)]);
        fake.Final.UsageRecordIds.ShouldBe(fake.ModelCalls.Select(c => $"usage-{c.Position}").ToList());
        fake.Final.UsageRecordIds.Distinct().Count().ShouldBe(2);
        fake.Events.Last().Data.GetProperty("usage").GetProperty("outputTokens").GetInt32().ShouldBe(14);
    }

    [Fact]
    public async Task TwoToolCalls_BothRunBeforeTheNextModelCall()
    {
        var fake = Context(Weather, Time).Model(CallTools(("call_1", "weather"), ("call_2", "time")), Answer("Sunny at noon."));

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Completed);
        fake.Log.Where(l => l.StartsWith("model", StringComparison.Ordinal) || l.StartsWith("tool", StringComparison.Ordinal))
            .ShouldBe(["model 0", "tool call_1", "tool call_2", $"model {fake.ModelCalls[1].Position}"]);
        fake.ToolCalls.Select(i => i.IdempotencyKey).ShouldBe(["run-1:call_1", "run-1:call_2"]);
        fake.ToolCalls[0].Arguments.ShouldBe("""{"q":"call_1"}""");
    }

    [Fact]
    public async Task ParallelToolCalls_EachGetTheirOwnDuration_NotTheBatchs()
    {
        var fake = Context(Weather, Time).Model(CallTools(("call_1", "weather"), ("call_2", "time")), Answer("Sunny at noon."));
        // Where the tools ran: weather took 200 ms, time 3 s, both started 50 ms after the batch.
        fake.Tool = i => new ToolResult(i.ToolCallId, "ok")
        {
            StartedAt = Start.AddMilliseconds(50),
            CompletedAt = Start.AddMilliseconds(i.Name == "weather" ? 250 : 3050),
        };

        await new AgentLoop(fake).RunAsync();

        var steps = fake.Updates.SelectMany(u => u.Steps).Where(s => s.Kind == StepKind.ToolCall && s.CompletedAt is not null)
            .GroupBy(s => s.ToolName!).ToDictionary(g => g.Key, g => g.Last()); // the step as last sent
        (steps["weather"].CompletedAt!.Value - steps["weather"].StartedAt).ShouldBe(TimeSpan.FromMilliseconds(200));
        (steps["time"].CompletedAt!.Value - steps["time"].StartedAt).ShouldBe(TimeSpan.FromSeconds(3));
        var durations = fake.Events.Where(e => e.Type == RunEventTypes.ToolCallCompleted)
            .ToDictionary(e => e.Data.GetProperty("name").GetString()!, e => e.Data.GetProperty("durationMs").GetInt32());
        durations.ShouldBe(new Dictionary<string, int> { ["weather"] = 200, ["time"] = 3000 });
    }

    [Fact]
    public async Task ToolResults_AreFedBackRightAfterTheAssistantMessageThatAskedForThem()
    {
        var fake = Context(Weather, Time).Model(CallTools(("call_1", "weather"), ("call_2", "time")), Answer("Sunny at noon."));

        await new AgentLoop(fake).RunAsync();

        fake.ModelCalls[0].Messages.Select(m => m.Role).ShouldBe([MessageRole.System, MessageRole.User]);
        var second = fake.ModelCalls[1].Messages;
        second.Select(m => m.Role).ShouldBe([MessageRole.System, MessageRole.User, MessageRole.Assistant, MessageRole.Tool, MessageRole.Tool]);
        second[2].ToolCalls.ShouldNotBeNull().Select(c => c.Id).ShouldBe(["call_1", "call_2"]);
        second[3].ToolCallId.ShouldBe("call_1");
        second[3].Name.ShouldBe("weather");
        second[3].Content.ShouldBe("weather says ok");
        second[4].ToolCallId.ShouldBe("call_2");
        second[4].Content.ShouldBe("time says ok");
    }

    [Fact]
    public async Task ToolRun_RecordsModelAndToolStepsWithTheirOutcomes()
    {
        var fake = Context(Weather, Time).Model(CallTools(("call_1", "weather"), ("call_2", "time")), Answer("Sunny."));
        fake.Tool = i => i.Name == "time" ? new ToolResult(i.ToolCallId, "clock is broken", IsError: true) : new ToolResult(i.ToolCallId, "sunny");

        await new AgentLoop(fake).RunAsync();

        var steps = fake.Final.Steps;
        steps.Select(s => s.Index).ShouldBe([0, 1, 2, 3]);
        steps.Select(s => (s.Kind, s.Status, s.ToolCallId)).ShouldBe([
            (StepKind.ModelCall, "completed", null),
            (StepKind.ToolCall, "completed", "call_1"),
            (StepKind.ToolCall, "failed", "call_2"),
            (StepKind.ModelCall, "completed", null),
        ]);
        steps[1].ResultSummary.ShouldBe("sunny");
        steps[2].ResultSummary.ShouldBe("clock is broken");
        steps[1].CompletedAt.ShouldNotBeNull();
        var completed = fake.Events.Where(e => e.Type == RunEventTypes.ToolCallCompleted).ToList();
        completed.Select(e => e.Data.GetProperty("status").GetString()).ShouldBe(["completed", "failed"]);
        fake.Events.Count(e => e.Type == RunEventTypes.ToolCallCreated).ShouldBe(2);
    }

    [Fact]
    public async Task ToolResultSummary_IsCutToTheLimit_WhileTheModelGetsTheWholeResult()
    {
        var longResult = new string('x', AgentLoop.ResultSummaryLength + 100);
        var fake = Context(Weather).Model(CallTools(("call_1", "weather")), Answer("Done."));
        fake.Tool = i => new ToolResult(i.ToolCallId, longResult);

        await new AgentLoop(fake).RunAsync();

        fake.Final.Steps[1].ResultSummary.ShouldNotBeNull().Length.ShouldBe(AgentLoop.ResultSummaryLength + 1);
        fake.ModelCalls[1].Messages[^1].Content.ShouldBe(longResult);
    }

    [Fact]
    public async Task ToolOutsideTheAllowlist_IsBlockedAndTheModelIsTold()
    {
        var fake = Context(Weather).Model(CallTools(("call_1", "delete_everything")), Answer("I may not do that."));

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Completed);
        fake.ToolCalls.ShouldBeEmpty();
        fake.Reviews.ShouldBeEmpty();
        var result = fake.ModelCalls[1].Messages[^1];
        result.Role.ShouldBe(MessageRole.Tool);
        result.ToolCallId.ShouldBe("call_1");
        result.Content.ShouldContain("Blocked");
        result.Content.ShouldContain("delete_everything");
        fake.Final.Steps[1].Status.ShouldBe("blocked");
    }

    [Fact]
    public async Task ModelThatKeepsCallingTools_FailsAfterMaxSteps()
    {
        var agent = Agent(Weather) with { MaxSteps = 3 };
        var fake = new FakeRunContext(Input(agent)).ModelAlways(call => CallTools(($"call_{call.Position}", "weather"))(call));

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Failed);
        fake.ModelCalls.Count.ShouldBe(3);
        fake.Final.Status.ShouldBe(RunStatus.Failed);
        fake.Final.Error.ShouldNotBeNull().Code.ShouldBe("max_steps_exceeded");
        fake.Events.ShouldContain(e => e.Type == RunEventTypes.Error && e.Data.GetProperty("code").GetString() == "max_steps_exceeded");
        fake.Events.Last().Type.ShouldBe(RunEventTypes.Done);
    }

    [Fact]
    public async Task ModelFailure_FailsTheRunWithItsProblem()
    {
        var problem = new ApiProblem(502, "model_unavailable", "The model is unavailable", "Gave up after 3 tries.");
        var fake = Context(Weather).Model(CallTools(("call_1", "weather")), _ => throw new RunFailedException(problem));

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Failed);
        fake.Final.Status.ShouldBe(RunStatus.Failed);
        fake.Final.Error.ShouldBe(problem);
        fake.Final.CompletedAt.ShouldNotBeNull();
        var error = fake.Events.Single(e => e.Type == RunEventTypes.Error);
        error.Data.GetProperty("code").GetString().ShouldBe("model_unavailable");
        error.Data.GetProperty("status").GetInt32().ShouldBe(502);
        fake.Events.Last().Type.ShouldBe(RunEventTypes.Done);
        fake.Final.Steps.Count.ShouldBe(2);
    }

    [Fact]
    public async Task CancelledWhileTheModelStreams_EndsCancelled_AndKeepsThePartialAnswerAsIncomplete()
    {
        var fake = Context().Model(call => new ModelTurn("Partly sun", [], new TokenUsage(10, 3), ModelFinish.Cancelled, call.Model, "usage-0"));

        var status = await new AgentLoop(fake).RunAsync();

        status.ShouldBe(RunStatus.Cancelled);
        fake.Final.Status.ShouldBe(RunStatus.Cancelled);
        var saved = fake.Updates.SelectMany(u => u.NewMessages).ShouldHaveSingleItem();
        saved.Content.ShouldBe("Partly sun");
        saved.Incomplete.ShouldBeTrue();
        fake.Final.Steps.ShouldHaveSingleItem().Status.ShouldBe("cancelled");
        fake.Final.Usage.ShouldBe(new TokenUsage(10, 3));
        fake.Events.Last().Data.GetProperty("status").GetString().ShouldBe("cancelled");
    }

    [Fact]
    public async Task SameScript_RunTwice_MakesIdenticalCallsAndUpdates()
    {
        static FakeRunContext Scripted() => Context(Weather, new ToolGrant("pay", ApprovalMode.Always))
            .Model(CallTools(("call_1", "weather"), ("call_2", "pay")), CallTools(("call_3", "weather")), Answer("Paid, and sunny."));

        var first = Scripted();
        var second = Scripted();
        await new AgentLoop(first).RunAsync();
        await new AgentLoop(second).RunAsync();

        first.Log.Count.ShouldBeGreaterThan(8);
        second.Journal.ShouldBe(first.Journal);
        JsonSerializer.Serialize(second.Updates).ShouldBe(JsonSerializer.Serialize(first.Updates));
    }

    [Fact]
    public async Task MessageIds_DeriveOnlyFromTheRunId()
    {
        var first = new FakeRunContext(Input(Agent(Weather), runId: "run-a"))
            .Model(CallTools(("call_1", "weather")), Answer("Sunny."));
        var later = new FakeRunContext(Input(Agent(Weather), runId: "run-b"))
            .Model(CallTools(("call_9", "weather")), Answer("Rainy."));
        later.UtcNow = Start.AddDays(3);
        await new AgentLoop(first).RunAsync();
        await new AgentLoop(later).RunAsync();

        var idsA = first.Updates.SelectMany(u => u.NewMessages).Select(m => m.Id).ToList();
        var idsB = later.Updates.SelectMany(u => u.NewMessages).Select(m => m.Id).ToList();
        idsA.Count.ShouldBe(3);
        idsA.ShouldAllBe(id => id.StartsWith("run-a-", StringComparison.Ordinal));
        idsA.Distinct().Count().ShouldBe(idsA.Count);
        idsB.ShouldBe(idsA.Select(id => id.Replace("run-a", "run-b", StringComparison.Ordinal)).ToList());
    }

    [Fact]
    public async Task SuccessiveUpdates_HaveStrictlyIncreasingVersions()
    {
        var fake = Context(Weather, new ToolGrant("pay", ApprovalMode.Always))
            .Model(CallTools(("call_1", "weather"), ("call_2", "pay")), Answer("Done."));

        await new AgentLoop(fake).RunAsync();

        fake.Updates.Count.ShouldBeGreaterThan(4);
        fake.Updates.ShouldAllBe(u => u.RunId == "run-1");
        var versions = fake.Updates.Select(u => u.Version).ToList();
        versions[0].ShouldBeGreaterThan(0);
        versions.Zip(versions.Skip(1)).ShouldAllBe(pair => pair.Second > pair.First);
    }

    [Fact]
    public async Task Checkpoints_CarryOnlyWhatChanged_SoTheyAddUpLinearly()
    {
        var fake = Context(Weather)
            .Model(CallTools(("c1", "weather")))
            .Model(CallTools(("c2", "weather")))
            .Model(Answer("done"));

        (await new AgentLoop(fake).RunAsync()).ShouldBe(RunStatus.Completed);

        // Every step is sent when it is added and again only when it changes (a tool step: started, then finished).
        var sentSteps = fake.SentUpdates.SelectMany(u => u.Steps).ToList();
        fake.Final.Steps.Count.ShouldBe(5); // 3 model calls, 2 tool calls
        sentSteps.Count.ShouldBe(5 + 2);
        sentSteps.Count(s => s.Kind == StepKind.ToolCall).ShouldBe(4);
        // Only the final update lists the usage records (all of them).
        fake.SentUpdates.Take(fake.SentUpdates.Count - 1).ShouldAllBe(u => u.UsageRecordIds.Count == 0);
        fake.SentUpdates[^1].UsageRecordIds.Count.ShouldBe(3);
    }
}
