using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace Agents.IntegrationTests.Limits;

/// <summary>A host where bob's tier (the default) is "tiny": 3000 tokens a day, and no request limit worth mentioning.</summary>
public sealed class TinyBudgetFixture : HostFixture
{
    public const long DailyTokens = 3_000;

    protected override IReadOnlyDictionary<string, string> Settings => new Dictionary<string, string>
    {
        ["Limits__DefaultTier"] = "tiny",
        ["Limits__Tiers__tiny__CostlyRequestsPerMinute"] = "1000",
        ["Limits__Tiers__tiny__RequestsPerMinute"] = "100000",
        ["Limits__Tiers__tiny__TokensPerDay"] = DailyTokens.ToString(CultureInfo.InvariantCulture),
        ["Limits__Tiers__tiny__TokensPerMonth"] = "1000000",
    };
}

/// <summary>Token budgets: reserved before each model call, settled with the real usage after, and exact against the ledger.</summary>
public sealed class TokenBudgetTests(TinyBudgetFixture host) : IClassFixture<TinyBudgetFixture>
{
    private const int OutputTokens = 400;
    private const int MaxTokens = 500;

    [Fact]
    public async Task Budget_StopsTheUserAtTheLimit_UnderConcurrentRuns_OvershootingByLessThanOneReservation()
    {
        // An agent without tools, so the reservation is exactly predictable: the simulator counts the prompt the way
        // PromptBuilder estimates it, and the reservation is that estimate plus max_tokens.
        var agent = await host.Bob.PostAsync("/api/v1/agents", new { name = "budget", instructions = "Be brief.", tools = Array.Empty<object>() });
        agent.Status.ShouldBe(HttpStatusCode.Created, agent.Body?.ToJsonString());
        var agentId = agent.Text("id");
        var message = $"go [[sim tokens={OutputTokens} tps=100]]"; // about 4 s a call, so the 12 runs' calls overlap
        var request = new { agentId, parameters = new { maxTokens = MaxTokens } };

        var runs = new List<(string Thread, string Run)>();
        foreach (var thread in await Task.WhenAll(Enumerable.Range(0, 12).Select(i => host.Bob.CreateThreadAsync($"budget {i}"))))
        {
            runs.Add((thread, await host.Bob.StartRunAsync(thread, message, request)));
        }
        var finished = new List<JsonNode>();
        foreach (var (thread, run) in runs)
        {
            finished.Add(await host.Bob.WaitRunAsync(thread, run));
        }
        finished.Count(r => r["status"]!.GetValue<string>() == "failed").ShouldBeGreaterThan(0, "some concurrent runs were refused");
        // Then one at a time until the budget refuses a run that nothing else competes with.
        for (var i = 0; i < 12; i++)
        {
            var thread = await host.Bob.CreateThreadAsync($"after {i}");
            finished.Add(await host.Bob.WaitRunAsync(thread, await host.Bob.StartRunAsync(thread, message, request)));
            if (finished[^1]["status"]!.GetValue<string>() == "failed")
            {
                break;
            }
        }
        finished[^1]["status"]!.GetValue<string>().ShouldBe("failed");

        var completed = finished.Where(r => r["status"]!.GetValue<string>() == "completed").ToList();
        var failed = finished.Where(r => r["status"]!.GetValue<string>() == "failed").ToList();
        (completed.Count + failed.Count).ShouldBe(finished.Count);
        failed.ShouldNotBeEmpty();
        foreach (var run in failed)
        {
            run["error"]!["code"]!.GetValue<string>().ShouldBe("token_budget_exceeded", run.ToJsonString());
            run["error"]!["status"]!.GetValue<int>().ShouldBe(429);
            run["error"]!["detail"]!.GetValue<string>().ShouldContain("daily token budget");
        }
        var input = completed[0]["usage"]!["inputTokens"]!.GetValue<long>();
        completed.ShouldAllBe(r => r["usage"]!["inputTokens"]!.GetValue<long>() == input && r["usage"]!["outputTokens"]!.GetValue<long>() == OutputTokens);
        var reservation = input + MaxTokens;

        var ledger = (await host.Bob.GetAsync("/api/v1/usage")).Body!["total"]!;
        var used = ledger["totalTokens"]!.GetValue<long>();
        ledger["calls"]!.GetValue<int>().ShouldBe(completed.Count);
        used.ShouldBeGreaterThanOrEqualTo(TinyBudgetFixture.DailyTokens, "the last run was refused only once the budget was used up");
        used.ShouldBeLessThanOrEqualTo(TinyBudgetFixture.DailyTokens - 1 + reservation, "overshoot of at most one reservation");

        var day = (await host.Bob.GetAsync("/api/v1/me")).Body!["limits"]!["day"]!;
        day["used"]!.GetValue<long>().ShouldBe(used);
        day["reserved"]!.GetValue<long>().ShouldBe(0);
        day["remaining"]!.GetValue<long>().ShouldBe(Math.Max(0, TinyBudgetFixture.DailyTokens - used));
    }

    [Fact]
    public async Task Remaining_IsTheLimitMinusTheLedger_AfterCompletedToolUsingCancelledAndFailedRuns()
    {
        var api = host.Alice; // tier admin (by role): a budget large enough to count, not to refuse
        var plain = await api.CreateThreadAsync("plain");
        var plainRun = await api.StartRunAsync(plain, "hello [[sim tokens=37]]");
        var tools = await api.CreateThreadAsync("tools");
        var toolRun = await api.StartRunAsync(tools, "add [[sim steps=1 tool=calculator args='{\"expression\":\"2+2\"}' tokens=21]]");
        var failing = await api.CreateThreadAsync("failing");
        var failingRun = await api.StartRunAsync(failing, "break [[sim error=400]]");
        var cancelled = await api.CreateThreadAsync("cancelled");
        var cancelledRun = await api.StartRunAsync(cancelled, "long [[sim tokens=3000 tps=40]]");
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        using (var events = await Sse.OpenAsync(api.Http, cancelled, cancelledRun))
        {
            // Cancel only once the model streams, so that the cancelled call has partial output to count.
            await foreach (var e in Sse.ReadAsync(await events.Content.ReadAsStreamAsync(timeout.Token), timeout.Token))
            {
                if (e.Type == "message.delta")
                {
                    break;
                }
            }
        }
        (await api.PostAsync($"/api/v1/threads/{cancelled}/runs/{cancelledRun}/cancel")).Status.ShouldBe(HttpStatusCode.Accepted);

        (await api.WaitRunAsync(plain, plainRun))["status"]!.GetValue<string>().ShouldBe("completed");
        (await api.WaitRunAsync(tools, toolRun))["status"]!.GetValue<string>().ShouldBe("completed");
        (await api.WaitRunAsync(failing, failingRun))["error"]!["code"]!.GetValue<string>().ShouldBe("model_rejected_request");
        var stopped = await api.WaitRunAsync(cancelled, cancelledRun);
        stopped["status"]!.GetValue<string>().ShouldBe("cancelled");
        stopped["usage"]!["outputTokens"]!.GetValue<long>().ShouldBeInRange(1, 2999); // partial output, counted

        var ledger = (await api.GetAsync("/api/v1/usage")).Body!["total"]!;
        ledger["calls"]!.GetValue<int>().ShouldBe(4); // 1 + 2 model calls + the cancelled one; the failed call recorded nothing
        var recorded = ledger["totalTokens"]!.GetValue<long>();
        var limits = (await api.GetAsync("/api/v1/me")).Body!["limits"]!;
        foreach (var period in new[] { "day", "month" })
        {
            var budget = limits[period]!;
            budget["used"]!.GetValue<long>().ShouldBe(recorded, period);
            budget["reserved"]!.GetValue<long>().ShouldBe(0, period); // the failed call's reservation was released
            budget["remaining"]!.GetValue<long>().ShouldBe(budget["limit"]!.GetValue<long>() - recorded, period);
        }
    }
}

/// <summary>A model call interrupted by a crash is executed again on resume, with the same usage id: counted once.</summary>
public sealed class TokenBudgetReplayTests
{
    [Fact]
    public async Task Crash_DuringAModelCall_ResumedElsewhere_CountsTheCallOnce_AndLeavesNothingReserved()
    {
        var settings = HostSettings.Isolated();
        var token = await LocalTokens.AccessTokenAsync("alice");
        var host = await HostProcess.StartAsync(settings);
        string thread, run;
        using (var api = new Api(host.CreateClient(token)))
        {
            thread = await api.CreateThreadAsync("crash");
            run = await api.StartRunAsync(thread, "stream [[sim tokens=240 tps=40]]"); // about 6 s
            await api.WaitRunAsync(thread, run, r => r["status"]!.GetValue<string>() == "in_progress");
            await Task.Delay(1500);
            var during = (await api.GetAsync("/api/v1/me")).Body!["limits"]!["day"]!;
            during["reserved"]!.GetValue<long>().ShouldBeGreaterThan(240, "the call holds its reservation while it streams");
            during["used"]!.GetValue<long>().ShouldBe(0);
        }
        host.Kill();
        await host.DisposeAsync();

        await using var resumed = await HostProcess.StartAsync(settings);
        using var again = new Api(resumed.CreateClient(token));
        var done = await again.WaitRunAsync(thread, run, timeoutSeconds: 90);
        done["status"]!.GetValue<string>().ShouldBe("completed", done.ToJsonString());
        var ledger = (await again.GetAsync("/api/v1/usage")).Body!["total"]!;
        ledger["calls"]!.GetValue<int>().ShouldBe(1);
        var day = (await again.GetAsync("/api/v1/me")).Body!["limits"]!["day"]!;
        day["used"]!.GetValue<long>().ShouldBe(ledger["totalTokens"]!.GetValue<long>());
        day["reserved"]!.GetValue<long>().ShouldBe(0, "the repeated call reused the interrupted call's reservation");
    }
}
