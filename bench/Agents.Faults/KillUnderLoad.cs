using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.Azure.Cosmos;
using Newtonsoft.Json.Linq;

namespace Agents.Faults;

/// <summary>
/// Kill -9 under load. Runs of three tool steps each start together: two in three call save_note and calculator in
/// parallel at every step, one in three calls send_email, which needs an approval at every step (the driver approves
/// what it sees parked). While they run, the Functions host and its worker are killed with SIGKILL at random moments
/// and started again on the same storage, task hub and database. Then, for every run: it completed; its thread holds
/// exactly the messages it should; each tool's side effect (a note, an outbox mail) exists exactly once, however often
/// its activity ran; the usage ledger has one record per model call; and the day's token budget equals the ledger.
/// </summary>
public static class KillUnderLoad
{
    public sealed record Options(int Runs, int Kills, int Seed);

    private const int Steps = 3;

    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(40);

    /// <summary>
    /// The recovery settings of the integration tests: a message a killed host held comes back after 2 s (app queues),
    /// 10 s (Durable work items) or 1 min (Durable control queues, the least the extension accepts) instead of
    /// 30 s / 5 min / 5 min by default, so ten kills take minutes, not an hour. Limits are off: the runs are the load.
    /// </summary>
    private static readonly Dictionary<string, string> Recovery = new(StringComparer.Ordinal)
    {
        ["AzureFunctionsJobHost__extensions__queues__visibilityTimeout"] = "00:00:02",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__workItemQueueVisibilityTimeout"] = "00:00:10",
        ["AzureFunctionsJobHost__extensions__durableTask__storageProvider__controlQueueVisibilityTimeout"] = "00:01:00",
        ["Runs__SweepSchedule"] = "*/10 * * * * *",
        ["Runs__ApprovalTimeoutSeconds"] = "3600",
        ["Runs__MaxRunSeconds"] = "3600",
    };

    private static bool NeedsApproval(int run) => run % 3 == 0;

    private static string Message(int run) => NeedsApproval(run)
        ? $"fault {run} [[sim steps={Steps} tool=send_email args='{{\"to\":\"ops@example.com\",\"subject\":\"s{run}\",\"body\":\"b\"}}' tokens=8 tps=20]]"
        : $"fault {run} [[sim steps={Steps} parallel=2 tool=save_note args='{{\"title\":\"n{run}\",\"text\":\"x\"}}' tool=calculator args='{{\"expression\":\"6*7\"}}' tokens=8 tps=20]]";

    /// <summary>user, then per step the assistant's tool calls and one tool message per call, then the answer.</summary>
    private static string[] ExpectedRoles(int run)
    {
        var roles = new List<string> { "user" };
        for (var step = 0; step < Steps; step++)
        {
            roles.Add("assistant");
            roles.AddRange(Enumerable.Repeat("tool", NeedsApproval(run) ? 1 : 2));
        }
        roles.Add("assistant");
        return [.. roles];
    }

    public static async Task<ScenarioReport> RunAsync(string repo, string work, Options options, CancellationToken ct)
    {
        Directory.CreateDirectory(work);
        var loadBefore = MachineInfo.LoadAverage();
        await using var standIns = await LocalStandIns.StartAsync(repo, work, null, null, ct);
        var settings = new Dictionary<string, string>(FunctionsHost.NoLimits, StringComparer.Ordinal);
        foreach (var (key, value) in Recovery)
        {
            settings[key] = value;
        }
        await using var host = await FunctionsHost.StartAsync(new FunctionsHostOptions
        {
            Repo = repo, WorkDirectory = work, Name = "faults", Stack = standIns.Env, ModelEndpoint = standIns.ModelEndpoint, Settings = settings,
        }, ct);
        using var tokens = new TokenCache(c => standIns.TokenAsync("alice", c));
        using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        var api = new ResilientApi(http, tokens);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Deadline);

        var agent = await api.PostAsync("/api/v1/agents", new
        {
            name = "faults",
            instructions = "Use the tools you are asked to use.",
            tools = new object[] { new { name = "save_note" }, new { name = "calculator" }, new { name = "send_email", approval = "always" } },
        }, ct);
        var agentId = agent.Body?["id"]?.GetValue<string>() ?? throw new InvalidOperationException($"creating the agent answered {agent.Status}: {agent.Body}");
        var userId = (await api.GetAsync("/api/v1/me", ct)).Body!["userId"]!.GetValue<string>();

        Console.Error.WriteLine($"kill: {options.Runs} runs, {options.Kills} kills (seed {options.Seed})");
        var clock = Stopwatch.StartNew();
        var latest = new ConcurrentDictionary<int, string>();
        var drivers = Enumerable.Range(0, options.Runs).Select(i => DriveAsync(api, agentId, i, latest, deadline.Token)).ToList();
        var all = Task.WhenAll(drivers);

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
            var unfinished = latest.Count(p => !IsTerminal(p.Value)) + (options.Runs - latest.Count);
            var restart = Stopwatch.StartNew();
            await host.CrashAndRestartAsync(deadline.Token);
            kills.Add((at, unfinished, restart.Elapsed));
            Console.Error.WriteLine($"kill {kills.Count} at {at.TotalSeconds:F0} s: {unfinished} runs unfinished; host ready again after {restart.Elapsed.TotalSeconds:F1} s");
        }
        var outcomes = await all;
        var elapsed = clock.Elapsed;

        // What the runs left behind, read back through the API, and the side effects from the documents themselves.
        var wrongThreads = new List<string>();
        foreach (var outcome in outcomes)
        {
            var messages = (await api.GetAsync($"/api/v1/threads/{outcome.Thread}/messages?limit=100", ct)).Body!["data"]!.AsArray();
            var roles = messages.Select(m => m!["role"]!.GetValue<string>()).ToArray();
            var ids = messages.Select(m => m!["id"]!.GetValue<string>()).Distinct().Count();
            if (!roles.SequenceEqual(ExpectedRoles(outcome.Index)) || ids != roles.Length)
            {
                wrongThreads.Add($"run {outcome.Index}: {string.Join(',', roles)} ({ids} distinct ids)");
            }
        }
        var (notes, mails) = await SideEffectsAsync(standIns.Env, host.AppSettings["Cosmos__Database"], userId, ct);
        var expectedEffects = Enumerable.Range(0, options.Runs).ToDictionary(i => NeedsApproval(i) ? $"s{i}" : $"n{i}", _ => Steps);
        var effects = notes.Concat(mails).GroupBy(k => k).ToDictionary(g => g.Key, g => g.Count());
        var duplicates = effects.Sum(e => Math.Max(0, e.Value - expectedEffects.GetValueOrDefault(e.Key)));
        var missing = expectedEffects.Sum(e => Math.Max(0, e.Value - effects.GetValueOrDefault(e.Key)));
        var toolCalls = Enumerable.Range(0, options.Runs).Sum(i => Steps * (NeedsApproval(i) ? 1 : 2));
        var toolActivities = host.LogPaths.Sum(path => CountLines(path, "Executing 'Functions.CallTool'"));

        var usage = (await api.GetAsync("/api/v1/usage?groupBy=agent", ct)).Body!;
        var group = usage["groups"]!.AsArray().FirstOrDefault(g => g!["key"]!.GetValue<string>() == agentId);
        var ledgerCalls = group?["calls"]?.GetValue<int>() ?? 0;
        var ledgerTokens = usage["total"]!["totalTokens"]!.GetValue<long>();
        var day = (await api.GetAsync("/api/v1/me", ct)).Body!["limits"]!["day"]!;
        var budgetUsed = day["used"]!.GetValue<long>();
        var reserved = day["reserved"]!.GetValue<long>();
        var modelCalls = options.Runs * (Steps + 1);

        var completed = outcomes.Count(o => o.Status == "completed");
        var passed = completed == options.Runs && wrongThreads.Count == 0 && duplicates == 0 && missing == 0
            && ledgerCalls == modelCalls && budgetUsed == ledgerTokens && reserved == 0 && kills.Count == options.Kills;

        var text = ScenarioReport.Begin(repo, loadBefore, "./dev faults kill", $" (seed {options.Seed})");
        Row(text, "runs started (3 tool steps each; 1 in 3 with an approval per step)", options.Runs, "");
        Row(text, "host kills (SIGKILL to the host and its worker, then a restart)", kills.Count, options.Kills.ToString(CultureInfo.InvariantCulture));
        Row(text, "runs unfinished at each kill (mean)", kills.Count == 0 ? 0 : Math.Round(kills.Average(k => k.Unfinished), 1), "> 0");
        Row(text, "host ready again after a kill (mean s)", kills.Count == 0 ? 0 : Math.Round(kills.Average(k => k.Restart.TotalSeconds), 1), "");
        Row(text, "runs completed", completed, options.Runs.ToString(CultureInfo.InvariantCulture));
        Row(text, "runs lost (not completed)", options.Runs - completed, "0");
        Row(text, "threads with a wrong or repeated message", wrongThreads.Count, "0");
        Row(text, "tool calls made by the runs", toolCalls, "");
        Row(text, "tool activity executions (re-executed after a kill: the difference)", toolActivities, $">= {toolCalls}");
        Row(text, "side effects missing", missing, "0");
        Row(text, "side effects duplicated", duplicates, "0");
        Row(text, "usage ledger records (one per model call)", ledgerCalls, modelCalls.ToString(CultureInfo.InvariantCulture));
        Row(text, "day's budget used vs ledger tokens", $"{budgetUsed} vs {ledgerTokens}", "equal");
        Row(text, "tokens still reserved", reserved, "0");
        Row(text, "client requests retried while the host was down", api.Retries, "");
        Row(text, "wall time (s)", Math.Round(elapsed.TotalSeconds), "");
        foreach (var wrong in wrongThreads.Take(5))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"\nWrong: {wrong}");
        }
        foreach (var outcome in outcomes.Where(o => o.Status != "completed").Take(5))
        {
            text.AppendLine(CultureInfo.InvariantCulture, $"\nNot completed: run {outcome.Index} ({outcome.RunId}) is {outcome.Status}");
        }
        return new ScenarioReport("kill", passed, text.ToString());
    }

    private sealed record RunOutcome(int Index, string Thread, string RunId, string Status);

    /// <summary>Starts one run and follows it to its end, approving every tool call it parks.</summary>
    private static async Task<RunOutcome> DriveAsync(ResilientApi api, string agentId, int index, ConcurrentDictionary<int, string> latest, CancellationToken ct)
    {
        var thread = (await api.PostAsync("/api/v1/threads", new { title = $"fault {index}" }, ct)).Body!["id"]!.GetValue<string>();
        var started = await api.PostAsync($"/api/v1/threads/{thread}/runs", new { message = Message(index), agentId }, ct);
        // A start whose answer was lost to a kill is sent again and finds its run active.
        var runId = started.Status == HttpStatusCode.Conflict && started.Code == "run_active"
            ? started.Body!["activeRunId"]!.GetValue<string>()
            : started.Body?["id"]?.GetValue<string>() ?? throw new InvalidOperationException($"run {index}: {started.Status} {started.Body}");
        while (true)
        {
            var run = (await api.GetAsync($"/api/v1/threads/{thread}/runs/{runId}", ct)).Body!;
            var status = run["status"]!.GetValue<string>();
            latest[index] = status;
            if (IsTerminal(status))
            {
                return new RunOutcome(index, thread, runId, status);
            }
            foreach (var pending in run["pendingToolCalls"]?.AsArray() ?? [])
            {
                // 409: decided already (an approval sent again after a kill took its answer).
                await api.PostAsync($"/api/v1/threads/{thread}/runs/{runId}/approvals",
                    new { toolCallId = pending!["toolCallId"]!.GetValue<string>(), approve = true }, ct);
            }
            await Task.Delay(1000, ct);
        }
    }

    private static bool IsTerminal(string status) => status is "completed" or "failed" or "cancelled" or "expired";

    /// <summary>The notes' titles and the outbox mails' subjects in the user's partition, one entry per document.</summary>
    private static async Task<(List<string> Notes, List<string> Mails)> SideEffectsAsync(IReadOnlyDictionary<string, string> stack, string database, string userId, CancellationToken ct)
    {
        using var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator };
        using var cosmos = new CosmosClient(stack["AGENTS_COSMOS_ENDPOINT"], stack["AGENTS_COSMOS_KEY"], new CosmosClientOptions
        {
            ConnectionMode = ConnectionMode.Gateway,
            LimitToEndpoint = true,
            HttpClientFactory = () => new HttpClient(handler, disposeHandler: false),
        });
        var threads = cosmos.GetContainer(database, "threads");
        async Task<List<string>> KeysAsync(string type, string field)
        {
            var query = new QueryDefinition($"SELECT c.{field} AS k FROM c WHERE c.pk = @pk AND c.type = @type").WithParameter("@pk", userId).WithParameter("@type", type);
            var keys = new List<string>();
            using var iterator = threads.GetItemQueryIterator<JObject>(query, requestOptions: new QueryRequestOptions { PartitionKey = new PartitionKey(userId) });
            while (iterator.HasMoreResults)
            {
                keys.AddRange((await iterator.ReadNextAsync(ct)).Select(d => d["k"]!.ToString()));
            }
            return keys;
        }
        return (await KeysAsync("note", "title"), await KeysAsync("outbox", "subject"));
    }

    private static int CountLines(string path, string text)
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

    private static void Row(StringBuilder text, string what, object measured, string promised) =>
        text.AppendLine(CultureInfo.InvariantCulture, $"| {what} | {measured} | {promised} |");
}
