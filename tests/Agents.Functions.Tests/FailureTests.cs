using System.Diagnostics;
using Agents.Domain.Agents;
using Agents.Domain.Errors;
using Agents.Domain.Runs;
using Agents.Functions.Runs;
using Agents.Functions.Tests.Infrastructure;
using static Agents.Functions.Tests.Infrastructure.Script;

namespace Agents.Functions.Tests;

/// <summary>How a run ends when it cannot finish: the step limit, a failed step (retried only when transient), a missing input.</summary>
public class FailureTests(OrchestrationHost host) : IClassFixture<OrchestrationHost>
{
    private static readonly ToolGrant Weather = new("weather");

    [Theory]
    [InlineData(10, 3, 3)] // the deployment's cap is lower than the agent's limit
    [InlineData(2, 60, 2)] // the agent's limit is lower than the cap
    public async Task StepLimit_TheLowerOfAgentAndSettings_FailsTheRunWithMaxStepsExceeded(int agentMaxSteps, int settingsMaxSteps, int expected)
    {
        var run = host.NewRun(Agent(Weather) with { MaxSteps = agentMaxSteps });
        run.Model = (i, step) => CallTools(($"call_{i}", "weather"))(step);

        var status = await host.RunToEndAsync(run, new RunSettings(ApprovalTimeoutSeconds: 1800, MaxSteps: settingsMaxSteps));

        status.ShouldBe(RunStatus.Failed);
        run.ModelSteps.Count.ShouldBe(expected);
        run.ToolExecutions.Count.ShouldBe(expected);
        var final = run.Updates[^1];
        final.Status.ShouldBe(RunStatus.Failed);
        var error = final.Error.ShouldNotBeNull();
        error.Code.ShouldBe("max_steps_exceeded");
        error.Status.ShouldBe(422);
        error.Detail.ShouldNotBeNull().ShouldContain($"after {expected} model calls");
        final.UsageRecordIds.Count.ShouldBe(expected);
        run.Fails.ShouldBeEmpty(); // the loop recorded the failure itself
    }

    [Fact]
    public async Task TransientToolFailure_IsRetriedAfterTheRetryInterval_AndTheRunCompletes()
    {
        var run = host.NewRun(Agent(Weather));
        run.Model = Turns(CallTools(("call_1", "weather")), Answer("Sunny."));
        // Through TransientFailures.GuardAsync (as in RunActivityFunctions) an HttpRequestException is rethrown as a
        // TransientActivityException, the only failure the orchestrator's retry policy handles.
        run.Tool = (step, attempt) => attempt == 1
            ? Task.FromException<ToolResult>(new HttpRequestException("connection reset"))
            : Task.FromResult(ToolOk(step, " (attempt 2)"));

        var status = await host.RunToEndAsync(run);

        status.ShouldBe(RunStatus.Completed);
        var executions = run.ToolExecutions;
        executions.Select(e => (e.ToolCallId, e.Attempt, e.Succeeded)).ShouldBe([("call_1", 1, false), ("call_1", 2, true)]);
        executions[1].Step.ShouldBe(executions[0].Step); // the same input, hence the same idempotency key
        Stopwatch.GetElapsedTime(executions[0].EndedAt, executions[1].StartedAt).ShouldBeGreaterThan(TimeSpan.FromSeconds(1.5));
        run.ModelSteps.Count.ShouldBe(2);
        run.ModelSteps[1].Call.Messages[^1].Content.ShouldBe("weather says ok for call_1 (attempt 2)");
        run.Updates.Select(u => u.Version).ShouldBe([1L, 2L, 3L, 4L]);
        run.Updates.MergedSteps()[1].Status.ShouldBe("completed");
        run.Fails.ShouldBeEmpty();
    }

    [Fact]
    public async Task PermanentModelFailure_IsNotRetried_AndFailsTheRunThroughFailRun()
    {
        var run = host.NewRun(Agent(Weather));
        run.Model = (_, _) => throw new InvalidOperationException("the model client has a bug");

        var status = await host.RunToEndAsync(run);

        status.ShouldBe(RunStatus.Failed);
        run.ModelSteps.Count.ShouldBe(1);
        var fail = run.Fails.ShouldHaveSingleItem();
        fail.Run.ShouldBe(run.Ref);
        fail.Problem.Code.ShouldBe("run_step_failed");
        fail.Problem.Status.ShouldBe(500);
        // The loop never finished the run: only its start was saved, the failure is FailRun's.
        run.Updates.Select(u => u.Status).ShouldBe([RunStatus.InProgress]);
    }

    [Fact]
    public async Task InputThatCannotLoad_FailsTheRunWithItsProblem()
    {
        var run = host.NewRun(Agent());
        var problem = new ApiProblem(422, "agent_not_found", "The run's agent no longer exists", "Agent 'helper' was deleted.");
        run.LoadProblem = problem;

        var status = await host.RunToEndAsync(run);

        status.ShouldBe(RunStatus.Failed);
        run.Loads.ShouldBe(1);
        var fail = run.Fails.ShouldHaveSingleItem();
        fail.Run.ShouldBe(run.Ref);
        fail.Problem.ShouldBe(problem);
        run.ModelSteps.ShouldBeEmpty();
        run.Saves.ShouldBeEmpty();
    }

    [Fact]
    public async Task ModelStepWithAProblem_FailsTheRunFromTheLoop_WithThatProblem()
    {
        var run = host.NewRun(Agent());
        var problem = new ApiProblem(429, "token_budget_exceeded", "The token budget is spent");
        run.Model = (_, _) => throw new RunFailedException(problem);

        var status = await host.RunToEndAsync(run);

        status.ShouldBe(RunStatus.Failed);
        run.ModelSteps.Count.ShouldBe(1); // an outcome's problem is an answer, not a failure to retry
        var final = run.Updates[^1];
        final.Status.ShouldBe(RunStatus.Failed);
        final.Error.ShouldBe(problem);
        final.Events.Select(e => e.Type).ShouldContain(RunEventTypes.Error);
        run.Fails.ShouldBeEmpty();
    }
    [Fact]
    public async Task AnErrorInTheOrchestratorItself_FailsTheRunThroughFailRun_AndReleasesItsThread()
    {
        var run = host.NewRun(Agent());
        // An activity result the loop cannot use (a bug of ours, not a failed step): the orchestrator code throws.
        run.Model = (_, _) => null!;

        var status = await host.RunToEndAsync(run);

        status.ShouldBe(RunStatus.Failed);
        var fail = run.Fails.ShouldHaveSingleItem(); // MarkFailedAsync: the run failed with a problem, its thread released
        fail.Run.ShouldBe(run.Ref);
        fail.Problem.Code.ShouldBe("run_failed_unexpectedly");
        fail.Problem.Detail.ShouldNotBeNull().ShouldNotContain("Exception");
    }
}
