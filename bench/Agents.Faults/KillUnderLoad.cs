using System.Diagnostics;
using System.Globalization;

namespace Agents.Faults;

/// <summary>
/// Kill -9 under load: the runs of <see cref="ToolRunLoad"/> start together, and while they run the Functions host and
/// its worker are killed with SIGKILL at random moments and started again on the same storage, task hub and database.
/// Then every promise <see cref="ToolRunLoad.VerifyAsync"/> checks must hold.
/// </summary>
public static class KillUnderLoad
{
    public sealed record Options(int Runs, int Kills, int Seed);

    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(40);

    /// <summary>
    /// The recovery settings of the integration tests: a message a killed host held comes back after 2 s (app queues),
    /// 10 s (Durable work items) or 1 min (Durable control queues, the least the extension accepts) instead of
    /// 30 s / 5 min / 5 min by default, so ten kills take minutes, not an hour. Limits are off: the runs are the load.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> Recovery = new Dictionary<string, string>(FunctionsHost.NoLimits, StringComparer.Ordinal)
    {
        ["AzureFunctionsJobHost__extensions__queues__visibilityTimeout"] = "00:00:02",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = "00:00:10",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = "00:01:00",
        ["Runs__SweepSchedule"] = "*/10 * * * * *",
        ["Runs__ApprovalTimeoutSeconds"] = "3600",
        ["Runs__MaxRunSeconds"] = "3600",
    };

    public static async Task<ScenarioReport> RunAsync(string repo, string work, Options options, CancellationToken ct)
    {
        Directory.CreateDirectory(work);
        var loadBefore = MachineInfo.LoadAverage();
        await using var standIns = await LocalStandIns.StartAsync(repo, work, null, null, ct);
        await using var host = await FunctionsHost.StartAsync(new FunctionsHostOptions
        {
            Repo = repo, WorkDirectory = work, Name = "faults", Stack = standIns.Env, ModelEndpoint = standIns.ModelEndpoint, Settings = Recovery,
        }, ct);
        using var tokens = new TokenCache(c => standIns.TokenAsync("alice", c));
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var api = new ResilientApi(http, tokens);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Deadline);
        var load = await ToolRunLoad.CreateAsync(api, ct);

        Console.Error.WriteLine($"kill: {options.Runs} runs, {options.Kills} kills (seed {options.Seed})");
        var clock = Stopwatch.StartNew();
        var all = Task.WhenAll(Enumerable.Range(0, options.Runs).Select(i => load.DriveAsync(i, deadline.Token)));

        var random = new Random(options.Seed);
        var kills = new List<(TimeSpan At, int Unfinished, TimeSpan Restart)>();
        while (kills.Count < options.Kills && !all.IsCompleted)
        {
            await Task.WhenAny(all, Task.Delay(TimeSpan.FromMilliseconds(2000 + random.Next(10_000)), deadline.Token));
            if (all.IsCompleted)
            {
                break;
            }
            var at = clock.Elapsed;
            var unfinished = load.Unfinished(options.Runs);
            var restart = Stopwatch.StartNew();
            await host.CrashAndRestartAsync(deadline.Token);
            kills.Add((at, unfinished, restart.Elapsed));
            Console.Error.WriteLine($"kill {kills.Count} at {at.TotalSeconds:F0} s: {unfinished} runs unfinished; host ready again after {restart.Elapsed.TotalSeconds:F1} s");
        }
        var outcomes = await all;
        var elapsed = clock.Elapsed;
        var verdict = await load.VerifyAsync(outcomes, standIns.Env, host.AppSettings["Cosmos__Database"], ct);
        var toolActivities = host.LogPaths.Sum(path => CountLines(path, "Executing 'Functions.CallTool'"));

        var text = ScenarioReport.Begin(repo, loadBefore, "./dev faults kill", $" (seed {options.Seed})");
        ScenarioReport.Row(text, "runs started (3 tool steps each; 1 in 3 with an approval per step)", options.Runs, "");
        ScenarioReport.Row(text, "host kills (SIGKILL to the host and its worker, then a restart)", kills.Count, Text(options.Kills));
        ScenarioReport.Row(text, "runs unfinished at each kill (mean)", kills.Count == 0 ? 0 : Math.Round(kills.Average(k => k.Unfinished), 1), "> 0");
        ScenarioReport.Row(text, "host ready again after a kill (mean s)", kills.Count == 0 ? 0 : Math.Round(kills.Average(k => k.Restart.TotalSeconds), 1), "");
        verdict.AddRows(text, () => ScenarioReport.Row(text, "tool activity executions (re-executed after a kill: the difference)", toolActivities, $">= {verdict.ToolCalls}"));
        ScenarioReport.Row(text, "answers of 500 (sent again, as a client would)", api.ServerErrors, "0");
        ScenarioReport.Row(text, "client requests retried while the host was down", api.Retries, "");
        ScenarioReport.Row(text, "wall time (s)", Math.Round(elapsed.TotalSeconds), "");
        verdict.AddFindings(text);
        return new ScenarioReport("kill", verdict.Holds && api.ServerErrors == 0 && kills.Count == options.Kills, text.ToString());
    }

    /// <summary>Lines of a log that contain <paramref name="text"/>, read while the log may still be written.</summary>
    public static int CountLines(string path, string text)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        using var reader = new StreamReader(stream);
        var count = 0;
        while (reader.ReadLine() is { } line)
        {
            count += line.Contains(text, StringComparison.Ordinal) ? 1 : 0;
        }
        return count;
    }

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);
}
