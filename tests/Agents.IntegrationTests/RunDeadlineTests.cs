using System.Net;

namespace Agents.IntegrationTests;

/// <summary>
/// No run stays unfinished past its deadline: a run parked on an approval that nobody gives, past
/// <c>Runs:MaxRunSeconds</c>, is terminated by the sweep and ends failed with a problem, its thread free.
/// </summary>
public sealed class RunDeadlineTests(RunDeadlineTests.Fixture fixture) : IClassFixture<RunDeadlineTests.Fixture>
{
    public sealed class Fixture : HostFixture
    {
        protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
        {
            ["Runs__MaxRunSeconds"] = "8",
            ["Runs__SweepGraceSeconds"] = "2",
        };
    }

    private Api Alice => fixture.Alice;

    [Fact]
    public async Task RunPastItsDeadline_IsTerminated_AndEndsFailed_WithItsThreadFree()
    {
        var thread = await Alice.CreateThreadAsync();
        var run = await Alice.StartRunAsync(thread,
            "mail [[sim steps=1 tool=send_email args='{\"to\":\"bob@example.com\",\"subject\":\"hi\",\"body\":\"hello\"}' reply=\"sent\"]]");
        await Alice.WaitRunAsync(thread, run, r => r["status"]!.GetValue<string>() == "requires_action");

        // Nobody decides; the approval would wait 30 minutes, the deployment allows the run 8 s.
        var failed = await Alice.WaitRunAsync(thread, run, timeoutSeconds: 90);
        failed["status"]!.GetValue<string>().ShouldBe("failed");
        failed["error"]!["code"]!.GetValue<string>().ShouldBe("run_deadline_exceeded");
        failed["error"]!["detail"]!.GetValue<string>().ShouldContain("8 s");
        (await Alice.GetAsync($"/api/v1/threads/{thread}")).Body!["activeRunId"].ShouldBeNull();
        fixture.Host.Output.ShouldContain($"Run {run} failed by the sweep with run_deadline_exceeded");

        // The stream ends too: error, then done.
        using var stream = await Sse.OpenAsync(Alice.Http, thread, run);
        var types = new List<string>();
        await foreach (var e in Sse.ReadAsync(await stream.Content.ReadAsStreamAsync()))
        {
            types.Add(e.Type ?? "");
        }
        types.TakeLast(2).ShouldBe(["error", "done"]);

        var next = await Alice.StartRunAsync(thread, "again");
        (await Alice.WaitRunAsync(thread, next))["status"]!.GetValue<string>().ShouldBe("completed");
        (await Alice.GetAsync($"/api/v1/threads/{thread}/runs/{run}")).Status.ShouldBe(HttpStatusCode.OK);
    }
}
