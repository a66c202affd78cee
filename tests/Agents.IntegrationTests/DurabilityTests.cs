using System.Text.RegularExpressions;

namespace Agents.IntegrationTests;

/// <summary>
/// The local run engine is durable: runs survive SIGKILL of their host at any moment, and two hosts on the same stores
/// never execute a step twice.
/// </summary>
public sealed partial class DurabilityTests
{
    private const int StepsPerRun = 3;

    /// <summary>Three tool steps and a final answer: 4 model calls, 3 tool calls, 8 messages.</summary>
    private static string MultiStepMessage(int i, int tps = 60) =>
        $"run {i} [[sim steps={StepsPerRun} tool=calculator args='{{\"expression\":\"{i}+1\"}}' tokens=8 tps={tps}]]";

    [Fact]
    public async Task Crash_KillingTheHostRepeatedly_EveryRunStillCompletes_WithExactlyTheExpectedMessagesAndUsage()
    {
        var settings = HostSettings.Isolated(new Dictionary<string, string> { ["Runs__MaxConcurrentRuns"] = "16" });
        var token = await LocalTokens.AccessTokenAsync("alice");
        var host = await HostProcess.StartAsync(settings);
        var runs = new List<(string Thread, string Run)>();
        using (var api = new Api(host.CreateClient(token)))
        {
            for (var i = 0; i < 10; i++)
            {
                var thread = await api.CreateThreadAsync($"crash {i}");
                runs.Add((thread, await api.StartRunAsync(thread, MultiStepMessage(i, tps: 8)))); // about 4 s a run
            }
        }

        var outputs = new List<string>();
        var random = new Random(42);
        for (var kill = 0; kill < 4; kill++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(700 + random.Next(1200)));
            host.Kill();
            outputs.Add(host.Output);
            await host.DisposeAsync();
            host = await HostProcess.StartAsync(settings);
        }

        await using (host)
        {
            using var api = new Api(host.CreateClient(token));
            foreach (var (thread, run) in runs)
            {
                var done = await api.WaitRunAsync(thread, run, timeoutSeconds: 120);
                done["status"]!.GetValue<string>().ShouldBe("completed", done.ToJsonString());
                var messages = await api.MessagesAsync(thread);
                messages.Select(m => m!["role"]!.GetValue<string>())
                    .ShouldBe(["user", "assistant", "tool", "assistant", "tool", "assistant", "tool", "assistant"], $"run {run}");
                messages.Select(m => m!["id"]!.GetValue<string>()).Distinct().Count().ShouldBe(8);
                done["steps"]!.AsArray().Count.ShouldBe((StepsPerRun * 2) + 1);
            }
            var usage = await api.GetAsync("/api/v1/usage?groupBy=agent");
            usage.Body!["total"]!["calls"]!.GetValue<int>().ShouldBe(runs.Count * (StepsPerRun + 1));
            outputs.Add(host.Output);
        }
        // Runs really were interrupted and resumed from their journal, not merely restarted or finished before a kill.
        outputs.Sum(o => ResumedLine().Count(o)).ShouldBeGreaterThan(0);
    }

    [Fact]
    public async Task TwoHosts_SharingTheStores_ProcessRunsConcurrently_WithoutExecutingAStepTwice()
    {
        var settings = HostSettings.Isolated(new Dictionary<string, string> { ["Runs__MaxConcurrentRuns"] = "3" });
        var token = await LocalTokens.AccessTokenAsync("alice");
        await using var first = await HostProcess.StartAsync(settings);
        await using var second = await HostProcess.StartAsync(settings);
        using var api = new Api(first.CreateClient(token));

        var runs = new List<(string Thread, string Run)>();
        for (var i = 0; i < 12; i++)
        {
            var thread = await api.CreateThreadAsync($"two hosts {i}");
            runs.Add((thread, await api.StartRunAsync(thread, MultiStepMessage(i))));
        }
        foreach (var (thread, run) in runs)
        {
            (await api.WaitRunAsync(thread, run, timeoutSeconds: 120))["status"]!.GetValue<string>().ShouldBe("completed");
        }
        await Task.Delay(500); // let the last log lines flush

        var logs = new[] { first.Output, second.Output };
        foreach (var (_, run) in runs)
        {
            var toolRuns = logs.Sum(log => ToolRanLine().Matches(log).Count(m => m.Groups[1].Value == run));
            toolRuns.ShouldBe(StepsPerRun, $"tool executions of {run}");
            var modelCalls = logs.Sum(log => ModelCallLine().Matches(log).Count(m => m.Groups[1].Value == run));
            modelCalls.ShouldBe(StepsPerRun + 1, $"model calls of {run}");
        }
        logs.ShouldAllBe(log => ToolRanLine().IsMatch(log), "both hosts executed runs");
    }

    [GeneratedRegex("ended Completed \\(replayed [1-9][0-9]* journal entries\\)")]
    private static partial Regex ResumedLine();

    [GeneratedRegex("Tool calculator ran for run (run_[0-9a-f]+)")]
    private static partial Regex ToolRanLine();

    [GeneratedRegex("Model call \\d+ of run (run_[0-9a-f]+) finished")]
    private static partial Regex ModelCallLine();
}
