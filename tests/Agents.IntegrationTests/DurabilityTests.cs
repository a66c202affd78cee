using System.Text.RegularExpressions;
using Agents.Application.Storage.Cosmos;
using Microsoft.Azure.Cosmos;

namespace Agents.IntegrationTests;

/// <summary>
/// Runs are Durable Functions orchestrations: they survive SIGKILL of the Functions host (and its worker) at any moment,
/// and two hosts on the same storage share the work, a run started on one being streamed and finished by either.
/// </summary>
public sealed partial class DurabilityTests
{
    private const int StepsPerRun = 3;

    /// <summary>Three save_note steps and a final answer: 4 model calls, 3 tool calls (side effects), 8 messages.</summary>
    private static string MultiStepMessage(int i, int tps = 60) =>
        $"run {i} [[sim steps={StepsPerRun} tool=save_note args='{{\"title\":\"n{i}\",\"text\":\"x\"}}' tokens=8 tps={tps}]]";

    [Fact]
    public async Task Crash_KillingTheHostMidRun_EveryRunStillCompletes_WithNoStepRepeatedInEffect()
    {
        await using var settings = HostSettings.Isolated();
        var token = await LocalTokens.AccessTokenAsync("alice");
        var host = await HostProcess.StartAsync(settings);
        var runs = new List<(string Thread, string Run)>();
        string userId;
        using (var api = new Api(host.CreateClient(token)))
        {
            userId = (await api.GetAsync("/api/v1/me")).Text("userId");
            for (var i = 0; i < 6; i++)
            {
                var thread = await api.CreateThreadAsync($"crash {i}");
                runs.Add((thread, await api.StartRunAsync(thread, MultiStepMessage(i, tps: 8)))); // about 4 s a run
            }
        }

        var interrupted = 0;
        var random = new Random(42);
        for (var kill = 0; kill < 2; kill++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(1200 + random.Next(1200)));
            using (var api = new Api(host.CreateClient(token)))
            {
                foreach (var (thread, run) in runs)
                {
                    var state = await api.GetAsync($"/api/v1/threads/{thread}/runs/{run}");
                    interrupted += state.Text("status") is "in_progress" or "queued" ? 1 : 0;
                }
            }
            host.Kill();
            await host.DisposeAsync();
            host = await HostProcess.StartAsync(settings);
        }
        interrupted.ShouldBeGreaterThan(0, "the kills must hit runs in progress");

        await using (host)
        {
            using var api = new Api(host.CreateClient(token));
            foreach (var (thread, run) in runs)
            {
                var done = await api.WaitRunAsync(thread, run, timeoutSeconds: 240);
                done["status"]!.GetValue<string>().ShouldBe("completed", done.ToJsonString());
                var messages = await api.MessagesAsync(thread);
                messages.Select(m => m!["role"]!.GetValue<string>())
                    .ShouldBe(["user", "assistant", "tool", "assistant", "tool", "assistant", "tool", "assistant"], $"run {run}");
                messages.Select(m => m!["id"]!.GetValue<string>()).Distinct().Count().ShouldBe(8);
                done["steps"]!.AsArray().Count.ShouldBe((StepsPerRun * 2) + 1);
            }
            var usage = await api.GetAsync("/api/v1/usage?groupBy=agent");
            usage.Body!["total"]!["calls"]!.GetValue<int>().ShouldBe(runs.Count * (StepsPerRun + 1));
        }

        // The side effect of every tool call exists exactly once, whatever was re-executed after a kill.
        var stack = StackEnvironment.Current;
        using var cosmos = new CosmosDatabase(new CosmosOptions { Endpoint = stack.CosmosEndpoint, Key = stack.CosmosKey, Emulator = true, Database = settings.Database }, null);
        var notes = await new DocumentContainer(cosmos.Container(Containers.Threads)).QueryAllAsync<Note>(PartitionKeys.Owner(userId),
            new QueryDefinition("SELECT c.id, c.title FROM c WHERE c.pk = @pk AND c.type = 'note'").WithParameter("@pk", PartitionKeys.Owner(userId)), CancellationToken.None);
        notes.Count.ShouldBe(runs.Count * StepsPerRun);
        notes.GroupBy(n => n.Title).ShouldAllBe(g => g.Count() == StepsPerRun);
    }

    [Fact]
    public async Task TwoHosts_OnOneTaskHub_ShareTheRuns_AndEitherStreamsARunTheOtherStarted()
    {
        await using var settings = HostSettings.Isolated();
        var token = await LocalTokens.AccessTokenAsync("alice");
        await using var first = await HostProcess.StartAsync(settings);
        await using var second = await HostProcess.StartAsync(settings);
        first.WorkerId.ShouldNotBe(second.WorkerId);
        using var api = new Api(first.CreateClient(token));
        using var other = new Api(second.CreateClient(token));

        var runs = new List<(string Thread, string Run)>();
        for (var i = 0; i < 10; i++)
        {
            var thread = await api.CreateThreadAsync($"two hosts {i}");
            runs.Add((thread, await api.StartRunAsync(thread, MultiStepMessage(i))));
        }

        // A run started on the first host, streamed from the second: every event, in order, through done.
        using (var stream = await Sse.OpenAsync(other.Http, runs[0].Thread, runs[0].Run))
        {
            var events = new List<SseEvent>();
            await foreach (var e in Sse.ReadAsync(await stream.Content.ReadAsStreamAsync()))
            {
                if (e.Comment is null)
                {
                    events.Add(e);
                }
            }
            events[^1].Type.ShouldBe("done");
            events.Select(e => e.Id!.Value).ShouldBeInOrder(SortDirection.Ascending);
            events.Count(e => e.Type == "tool_call.completed").ShouldBe(StepsPerRun);
        }

        foreach (var (thread, run) in runs)
        {
            (await other.WaitRunAsync(thread, run, timeoutSeconds: 120))["status"]!.GetValue<string>().ShouldBe("completed");
        }

        var logs = new[] { first.Output, second.Output };
        foreach (var (_, run) in runs)
        {
            logs.Sum(log => ToolRanLine().Matches(log).Count(m => m.Groups[1].Value == run)).ShouldBe(StepsPerRun, $"tool executions of {run}");
            logs.Sum(log => ModelCallLine().Matches(log).Count(m => m.Groups[1].Value == run)).ShouldBe(StepsPerRun + 1, $"model calls of {run}");
        }
        logs.ShouldAllBe(log => ToolRanLine().IsMatch(log), "both hosts executed activities");
    }

    private sealed record Note(string Id, string Title);

    [GeneratedRegex("Tool save_note ran for run (run_[0-9a-f]+)")]
    private static partial Regex ToolRanLine();

    [GeneratedRegex("Model call \\d+ of run (run_[0-9a-f]+) finished")]
    private static partial Regex ModelCallLine();
}
