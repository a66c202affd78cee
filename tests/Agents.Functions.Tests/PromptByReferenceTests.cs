using System.Diagnostics;
using Agents.Domain.Agents;
using Agents.Domain.Conversations;
using Agents.Domain.Runs;
using Agents.Functions.Runs;
using Agents.Functions.Tests.Infrastructure;
using Xunit.Abstractions;
using static Agents.Functions.Tests.Infrastructure.Script;

namespace Agents.Functions.Tests;

/// <summary>
/// A model call's input holds only the messages the loop added since the previous call (after the stored prefix,
/// <see cref="ModelStep.PromptOffset"/>), so the orchestration's history grows with the steps, not their square.
/// </summary>
public class PromptByReferenceTests(OrchestrationHost host, ITestOutputHelper output) : IClassFixture<OrchestrationHost>
{
    private static readonly ToolGrant Weather = new("weather");
    // The 50-step run is about 200 activities, each followed by a replay of the whole history (the in-memory host
    // sends all of it on every episode): some 5 s on an idle machine but over a minute on a busy one, so each run
    // gets a longer wait than the usual 30 s.
    private static readonly TimeSpan LongRunTimeout = TimeSpan.FromSeconds(180);

    [Fact]
    public async Task ModelCalls_CarryTheOffsetAndOnlyTheMessagesAddedSinceThePreviousCall()
    {
        IReadOnlyList<ChatMessage> history = [Message("h-user", MessageRole.User, "Hello"), Message("h-assistant", MessageRole.Assistant, "Hi")];
        var run = host.NewRun(Agent(Weather), history);
        run.Model = Turns(CallTools(("call_1", "weather")), CallTools(("call_2", "weather")), Answer("Sunny."));

        var status = await host.RunToEndAsync(run);

        status.ShouldBe(RunStatus.Completed);
        var steps = run.ModelSteps;
        steps.Count.ShouldBe(3);
        steps.Select(s => s.PromptOffset).ShouldBe([0, 4, 6]);
        steps.Select(s => s.Call.Messages.Count).ShouldBe([4, 2, 2]);
        for (var i = 1; i < steps.Count; i++)
        {
            steps[i].PromptOffset.ShouldBe(steps[i - 1].PromptOffset + steps[i - 1].Call.Messages.Count);
        }

        // First call: the instructions, the history and the user's message.
        steps[0].Call.Messages.Select(m => m.Id).ShouldBe(["system", "h-user", "h-assistant", "user-1"]);
        steps[0].Call.Messages[0].Role.ShouldBe(MessageRole.System);
        steps[0].Call.Messages[0].Content.ShouldBe("Be brief.");
        // Later calls: the assistant's tool call and the tool's result.
        for (var i = 1; i < steps.Count; i++)
        {
            var added = steps[i].Call.Messages;
            var callId = $"call_{i}";
            added[0].Role.ShouldBe(MessageRole.Assistant);
            added[0].ToolCalls.ShouldNotBeNull().ShouldHaveSingleItem().Id.ShouldBe(callId);
            added[1].Role.ShouldBe(MessageRole.Tool);
            added[1].ToolCallId.ShouldBe(callId);
            added[1].Content.ShouldBe($"weather says ok for {callId}");
        }

        // The history is loaded once; no step input repeats it.
        steps.ShouldAllBe(s => s.Input.History.Count == 0 && s.Input.UserMessage.Id == "user-1" && s.Input.Agent.Id == "helper");

        // The prompt rebuilt from the pieces (as the activity does from the stored chunks) is the loop's whole prompt,
        // and the messages after the user's are the ones the run saved.
        var prompt = run.Prompts[^1];
        prompt.Select(m => m.Role).ShouldBe([
            MessageRole.System, MessageRole.User, MessageRole.Assistant, MessageRole.User,
            MessageRole.Assistant, MessageRole.Tool, MessageRole.Assistant, MessageRole.Tool]);
        run.Prompts[1].Select(m => m.Id).ShouldBe(prompt.Take(6).Select(m => m.Id));
        var saved = run.Updates.SelectMany(u => u.NewMessages).Select(m => m.Id).ToList();
        saved.Take(4).ShouldBe(prompt.Skip(4).Select(m => m.Id));
        saved.Count.ShouldBe(5); // and the final answer
    }

    [Fact]
    public async Task ActivityInputs_GrowLinearly_WithTheNumberOfSteps()
    {
        var short10 = LongRun(10);
        var long50 = LongRun(50);

        // One after the other: two orchestrations at once on the in-memory host slow each other down several times over.
        RunStatus[] statuses = [await TimedAsync(short10), await TimedAsync(long50)];
        output.WriteLine($"{long50.Episodes} episodes of the 50-step orchestration");

        statuses.ShouldBe([RunStatus.Completed, RunStatus.Completed]);
        long50.ModelSteps.Count.ShouldBe(50);
        long50.ToolExecutions.Count.ShouldBe(49);
        short10.ModelSteps.Count.ShouldBe(10);

        var ratio = (double)long50.InputBytes / short10.InputBytes;
        var largestModelInput10 = short10.Inputs.Where(i => i.Activity == nameof(RunActivityFunctions.CallModel)).Max(i => i.Bytes);
        var largestModelInput50 = long50.Inputs.Where(i => i.Activity == nameof(RunActivityFunctions.CallModel)).Max(i => i.Bytes);
        output.WriteLine($"10 steps: {short10.InputBytes} B in {short10.Inputs.Count} activity inputs, largest model input {largestModelInput10} B");
        output.WriteLine($"50 steps: {long50.InputBytes} B in {long50.Inputs.Count} activity inputs, largest model input {largestModelInput50} B");
        output.WriteLine($"ratio {ratio:F2} (linear ~5, quadratic ~25)");

        ratio.ShouldBeLessThan(7);
        ratio.ShouldBeGreaterThan(3); // it does grow with the steps: the measurement sees them
        // No single model input grows with the run: each holds a fixed number of messages.
        ((double)largestModelInput50 / largestModelInput10).ShouldBeLessThan(1.5);
    }

    private async Task<RunStatus> TimedAsync(RunScenario run)
    {
        var clock = Stopwatch.StartNew();
        var status = await host.RunToEndAsync(run, new RunSettings(ApprovalTimeoutSeconds: 1800, MaxSteps: 60), LongRunTimeout);
        output.WriteLine($"{run.ModelSteps.Count} steps took {clock.Elapsed.TotalSeconds:F1} s");
        return status;
    }

    /// <summary>A run whose model asks for one tool per step until the last step, which answers.</summary>
    private RunScenario LongRun(int steps)
    {
        var run = host.NewRun(Agent(Weather) with { MaxSteps = 60 });
        run.Model = (i, step) => i < steps - 1 ? CallTools(($"call_{i}", "weather"))(step) : Answer("Finally.")(step);
        return run;
    }
}
