using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Runs;
using Agents.Domain.Usage;
using Agents.Functions.Tests.Infrastructure;
using static Agents.Functions.Tests.Infrastructure.Script;

namespace Agents.Functions.Tests;

/// <summary>Runs that end on the model's answer: what the orchestrator saves, how tool calls fan out, how often it executes each step.</summary>
public class RunCompletionTests(OrchestrationHost host) : IClassFixture<OrchestrationHost>
{
    private static readonly ToolGrant Weather = new("weather");
    private static readonly ToolGrant Time = new("time");
    private static readonly ToolGrant News = new("news");

    [Fact]
    public async Task OneStep_AnswerWithoutTools_Completes_WithVersionedDeltaUpdates()
    {
        var run = host.NewRun(Agent());
        run.Model = Turns(Answer("Sunny."));

        var status = await host.RunToEndAsync(run);

        status.ShouldBe(RunStatus.Completed);
        run.Loads.ShouldBe(1);
        var model = run.ModelSteps.ShouldHaveSingleItem();
        model.Call.Position.ShouldBe(0);
        // The "in progress" save rides with the model call (executed first, in its activity); the final one goes alone.
        model.Before.ShouldNotBeNull().Update.Status.ShouldBe(RunStatus.InProgress);
        run.ToolStarts.ShouldBeEmpty();
        run.Reviews.ShouldBeEmpty();
        run.Fails.ShouldBeEmpty();

        var updates = run.Updates;
        updates.Select(u => u.Version).ShouldBe([1L, 2L]);
        updates.Select(u => u.Status).ShouldBe([RunStatus.InProgress, RunStatus.Completed]);
        updates.ShouldAllBe(u => u.RunId == run.Ref.RunId);

        var started = updates[0];
        started.Steps.ShouldBeEmpty();
        started.NewMessages.ShouldBeEmpty();
        started.UsageRecordIds.ShouldBeEmpty();
        started.StartedAt.ShouldNotBeNull();
        started.CompletedAt.ShouldBeNull();

        var final = updates[1];
        var step = final.Steps.ShouldHaveSingleItem();
        step.Index.ShouldBe(0);
        step.Kind.ShouldBe(StepKind.ModelCall);
        step.Status.ShouldBe("completed");
        step.Model.ShouldBe(ModelName);
        final.UsageRecordIds.ShouldBe([$"{run.Ref.RunId}:0"]);
        final.Usage.ShouldBe(new TokenUsage(10, 5));
        var answer = final.NewMessages.ShouldHaveSingleItem();
        answer.Role.ShouldBe(MessageRole.Assistant);
        answer.Content.ShouldBe("Sunny.");
        final.PendingToolCalls.ShouldBeEmpty();
        final.Error.ShouldBeNull();
        final.CompletedAt.ShouldNotBeNull();
        final.Events[^1].Type.ShouldBe(RunEventTypes.Done);
        final.Events[^1].StatusOf().ShouldBe("completed");

        // Each save has its own position in the run, after the load's and the model call's.
        run.Saves.Select(s => s.Position).ShouldBe(run.Saves.Select(s => s.Position).Order().Distinct());
        run.Saves[0].Position.ShouldBeLessThan(model.Position);
        run.Saves[1].Position.ShouldBeGreaterThan(model.Position);
    }

    [Fact]
    public async Task Payloads_UseTheAppsJsonConventions_CamelCaseAndSnakeCaseEnums()
    {
        var run = host.NewRun(Agent());
        run.Model = Turns(Answer("Sunny."));

        await host.StartAsync(run);
        var metadata = await host.WaitAsync(run);

        // The orchestrator's output is written by the worker's converter, its input by the client's.
        metadata.SerializedOutput.ShouldBe("\"completed\"");
        metadata.SerializedInput.ShouldNotBeNull();
        metadata.SerializedInput.ShouldContain($$"""
            "run":{"userId":"user-a","tenantId":"tenant-a","threadId":"thread-1","runId":"{{run.Ref.RunId}}"}
            """.Trim());
        metadata.SerializedInput.ShouldContain("""
            "settings":{"approvalTimeoutSeconds":1800,"maxSteps":100}
            """.Trim());
    }

    [Fact]
    public async Task ParallelTools_RunConcurrently_AndTheirResultsGoBackInCallOrder()
    {
        var run = host.NewRun(Agent(Weather, Time, News));
        run.Model = Turns(CallTools(("call_a", "weather"), ("call_b", "time"), ("call_c", "news")), Answer("All done."));
        // The in-memory host runs at most ProcessorCount activities at once: every tool waits until that many have
        // started (they could not if the orchestrator awaited one call before scheduling the next), and call_a also
        // waits until call_b has finished, so the results complete out of call order.
        var together = Math.Min(3, Environment.ProcessorCount);
        var rendezvous = new List<bool>();
        run.Tool = async (step, _) =>
        {
            var met = await run.WaitUntilAsync(r => r.ToolStarts.Count >= together, TimeSpan.FromSeconds(10));
            lock (rendezvous)
            {
                rendezvous.Add(met);
            }
            if (step.Invocation.ToolCallId == "call_a")
            {
                await run.WaitUntilAsync(r => r.ToolExecutions.Any(e => e.ToolCallId == "call_b"), TimeSpan.FromSeconds(10));
            }
            return ToolOk(step);
        };

        var status = await host.RunToEndAsync(run);

        status.ShouldBe(RunStatus.Completed);
        var executions = run.ToolExecutions;
        executions.Select(e => e.ToolCallId).Order().ShouldBe(["call_a", "call_b", "call_c"]);
        executions.ShouldAllBe(e => e.Attempt == 1 && e.Succeeded);
        rendezvous.ShouldAllBe(met => met, $"{together} tool calls should have run at the same time");
        run.MaxToolsInFlight.ShouldBeGreaterThanOrEqualTo(together);
        executions.Single(e => e.ToolCallId == "call_a").EndedAt.ShouldBeGreaterThan(executions.Single(e => e.ToolCallId == "call_b").EndedAt);
        run.Reviews.ShouldBeEmpty(); // approval mode Never: no policy review

        // The second model call gets the assistant turn and the three results, in the order the model asked for them.
        var models = run.ModelSteps;
        models.Count.ShouldBe(2);
        var added = models[1].Call.Messages;
        added.Select(m => m.Role).ShouldBe([MessageRole.Assistant, MessageRole.Tool, MessageRole.Tool, MessageRole.Tool]);
        added[0].ToolCalls.ShouldNotBeNull().Select(c => c.Id).ShouldBe(["call_a", "call_b", "call_c"]);
        added.Skip(1).Select(m => m.ToolCallId).ShouldBe(["call_a", "call_b", "call_c"]);
        added.Skip(1).Select(m => m.Name).ShouldBe(["weather", "time", "news"]);
        added.Skip(1).Select(m => m.Content).ShouldBe(["weather says ok for call_a", "time says ok for call_b", "news says ok for call_c"]);

        // Each update carries only the steps it added or changed.
        var updates = run.Updates;
        updates.Select(u => u.Version).ShouldBe([1L, 2L, 3L, 4L]);
        updates.StepIndexes().ShouldBe(["", "0,1,2,3", "1,2,3", "4"]);
        updates[1].Steps.Skip(1).ShouldAllBe(s => s.Kind == StepKind.ToolCall && s.Status == "in_progress");
        var steps = updates.MergedSteps();
        steps.Select(s => s.Kind).ShouldBe([StepKind.ModelCall, StepKind.ToolCall, StepKind.ToolCall, StepKind.ToolCall, StepKind.ModelCall]);
        steps.ShouldAllBe(s => s.Status == "completed");
        steps.Skip(1).Take(3).Select(s => s.ResultSummary).ShouldBe(["weather says ok for call_a", "time says ok for call_b", "news says ok for call_c"]);
        updates[^1].UsageRecordIds.ShouldBe(models.Select(UsageId));
    }

    [Fact]
    public async Task Replays_ExecuteEachActivityOnce_ThoughTheOrchestratorRunsManyTimes()
    {
        var run = host.NewRun(Agent(Weather, Time));
        run.Model = Turns(CallTools(("call_1", "weather"), ("call_2", "time")), CallTools(("call_3", "weather")), Answer("Done."));

        var status = await host.RunToEndAsync(run);

        status.ShouldBe(RunStatus.Completed);
        run.Loads.ShouldBe(1);
        var models = run.ModelSteps;
        models.Select(m => m.Call.Position).Distinct().Count().ShouldBe(3);
        run.ToolExecutions.Select(e => e.ToolCallId).Order().ShouldBe(["call_1", "call_2", "call_3"]);
        run.ToolExecutions.ShouldAllBe(e => e.Attempt == 1);
        // Start, then per tool step the tools' start and their results, then the end.
        run.Updates.Select(u => u.Version).ShouldBe([1L, 2L, 3L, 4L, 5L, 6L]);
        run.Fails.ShouldBeEmpty();
        run.ActivityExecutions.ShouldBe(1 + 3 + 3 + 6);

        // Every step has its own position, in the order the steps ran.
        var positions = models.Select(m => m.Position).Concat(run.Saves.Select(s => s.Position)).ToList();
        positions.Distinct().Count().ShouldBe(positions.Count);
        models.Select(m => m.Position).ShouldBe(models.Select(m => m.Position).Order());

        // The orchestrator ran once per awaited step (at least), every time but the first replaying its history.
        run.Episodes.ShouldBeGreaterThanOrEqualTo(10);
        run.ReplayingEpisodes.ShouldBe(run.Episodes - 1);
    }

    [Fact]
    public async Task ModelCancelledWhileStreaming_EndsTheRunCancelled_KeepingThePartialAnswer()
    {
        var run = host.NewRun(Agent(Weather));
        run.Model = Turns(step => new ModelTurn("Partly", [], new TokenUsage(10, 1), ModelFinish.Cancelled, step.Call.Model, UsageId(step)));

        var status = await host.RunToEndAsync(run);

        status.ShouldBe(RunStatus.Cancelled);
        run.ToolStarts.ShouldBeEmpty();
        var final = run.Updates[^1];
        final.Status.ShouldBe(RunStatus.Cancelled);
        var partial = final.NewMessages.ShouldHaveSingleItem();
        partial.Content.ShouldBe("Partly");
        partial.Incomplete.ShouldBeTrue();
        final.Steps.ShouldHaveSingleItem().Status.ShouldBe("cancelled");
        final.UsageRecordIds.ShouldBe([UsageId(run.ModelSteps[0])]);
    }
}
