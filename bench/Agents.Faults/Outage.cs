using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;

namespace Agents.Faults;

/// <summary>
/// A dependency down under load: the runs of <see cref="ToolRunLoad"/> start, and once each is under way the app loses
/// the Cosmos DB emulator, or its storage account (Azurite's blob, queue and table services: the app's queues and the
/// Durable task hub), for some seconds. The dependency sits behind a <see cref="FaultProxy"/>, which resets every open
/// connection and refuses new ones, as a network partition or a failed-over service does; the dependency itself keeps
/// what it acknowledged. While it is down more runs are started, by clients that send a refused request again after 1 s
/// (sooner than its Retry-After, to press harder). Checked: /api/health/ready answers 503 within 5 s and 200 again after; every refused request is a 503
/// ProblemDetails with Retry-After, none a 500; afterwards every promise of <see cref="ToolRunLoad.VerifyAsync"/>.
/// </summary>
public static class Outage
{
    public enum Dependency
    {
        Cosmos,
        Storage,
    }

    public sealed record Options(int Runs, int Seconds);

    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(20);

    private static readonly TimeSpan ReadyPromise = TimeSpan.FromSeconds(5);

    public static async Task<ScenarioReport> RunAsync(string repo, string work, Dependency dependency, Options options, CancellationToken ct)
    {
        var name = dependency == Dependency.Cosmos ? "cosmos" : "storage";
        Directory.CreateDirectory(work);
        var loadBefore = MachineInfo.LoadAverage();
        await using var standIns = await LocalStandIns.StartAsync(repo, work, null, null, ct);
        var proxies = new List<FaultProxy>();
        // The production defaults of Durable's queues (an outage is not sped up); limits off, the runs are the load.
        var settings = new Dictionary<string, string>(FunctionsHost.NoLimits, StringComparer.Ordinal)
        {
            ["Runs__ApprovalTimeoutSeconds"] = "3600",
            ["Runs__MaxRunSeconds"] = "3600",
        };
        if (dependency == Dependency.Cosmos)
        {
            var cosmos = new Uri(standIns.Env["AGENTS_COSMOS_ENDPOINT"]);
            proxies.Add(FaultProxy.Start(cosmos.Port));
            settings["Cosmos__Endpoint"] = proxies[0].Route(cosmos).ToString();
        }
        try
        {
            await using var host = await FunctionsHost.StartAsync(new FunctionsHostOptions
            {
                Repo = repo, WorkDirectory = work, Name = name, Stack = standIns.Env, ModelEndpoint = standIns.ModelEndpoint, Settings = settings,
                RouteStorage = dependency == Dependency.Storage ? port => Interpose(proxies, port) : null,
            }, ct);
            using var tokens = new TokenCache(c => standIns.TokenAsync("alice", c));
            using var http = new HttpClient { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
            var api = new ResilientApi(http, tokens);
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
            deadline.CancelAfter(Deadline);
            var load = await ToolRunLoad.CreateAsync(api, ct);

            Console.Error.WriteLine($"{name}: {options.Runs} runs, then {options.Seconds} s without {name}");
            var drivers = Enumerable.Range(0, options.Runs).Select(i => load.DriveAsync(i, deadline.Token)).ToList();
            await load.UnderWayAsync(options.Runs, deadline.Token);
            var beforeOutage = (api.Refusals, api.OtherUnavailable, api.ServerErrors);

            using var watching = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token);
            var clock = Stopwatch.StartNew();
            var readiness = WatchReadinessAsync(host.BaseAddress, clock, watching.Token);
            var unfinishedAtOutage = load.Unfinished(options.Runs);
            foreach (var proxy in proxies)
            {
                proxy.Down();
            }
            // Runs started while it is down: their clients send each refused request again after 1 s (ResilientApi).
            var startedDuring = Math.Max(1, options.Runs / 5);
            for (var i = 0; i < startedDuring; i++)
            {
                drivers.Add(load.DriveAsync(options.Runs + i, deadline.Token));
                await Task.Delay(TimeSpan.FromSeconds((double)options.Seconds / (startedDuring + 1)), deadline.Token);
            }
            await Task.Delay(TimeSpan.FromSeconds(options.Seconds) - clock.Elapsed, deadline.Token);
            var outage = clock.Elapsed;
            foreach (var proxy in proxies)
            {
                proxy.Up();
            }
            var outcomes = await Task.WhenAll(drivers);
            var settled = clock.Elapsed - outage;
            await watching.CancelAsync();
            var states = await readiness;
            var verdict = await load.VerifyAsync(outcomes, standIns.Env, host.AppSettings["Cosmos__Database"], ct);

            var notReady = states.FirstOrDefault(s => s.Status == HttpStatusCode.ServiceUnavailable);
            var readyAgain = states.FirstOrDefault(s => s.At > outage && s.Status == HttpStatusCode.OK);
            var refusals = api.Refusals - beforeOutage.Refusals;
            var other = api.OtherUnavailable - beforeOutage.OtherUnavailable;
            var passed = verdict.Holds && notReady.At is { } n && n <= ReadyPromise && readyAgain.At > TimeSpan.Zero
                && refusals > 0 && other == 0 && api.ServerErrors == 0;

            var what = dependency == Dependency.Cosmos ? "the Cosmos DB emulator" : "Azurite (blob, queue and table)";
            var text = ScenarioReport.Begin(repo, loadBefore, $"./dev faults {name}");
            ScenarioReport.Row(text, "runs accepted before the outage (3 tool steps each; 1 in 3 with an approval per step)", options.Runs, "");
            ScenarioReport.Row(text, "of them unfinished when it began", unfinishedAtOutage, "> 0");
            ScenarioReport.Row(text, $"outage: {what} unreachable, open connections reset (s)", Math.Round(outage.TotalSeconds, 1), Text(options.Seconds));
            ScenarioReport.Row(text, "runs started during the outage (each refused request sent again 1 s later, sooner than its Retry-After)", startedDuring, "");
            ScenarioReport.Row(text, "`/api/health/ready` 503 after the outage began (s)", notReady.At is { } down ? Seconds(down) : "never", $"<= {ReadyPromise.TotalSeconds:0}");
            ScenarioReport.Row(text, "`/api/health/ready` 200 again after it ended (s)", readyAgain.At > TimeSpan.Zero ? Seconds(readyAgain.At - outage) : "never", "");
            ScenarioReport.Row(text, "requests refused with a 503 ProblemDetails and Retry-After", refusals, "> 0");
            ScenarioReport.Row(text, "other 502-504 answers", other, "0");
            ScenarioReport.Row(text, "answers of 500", api.ServerErrors, "0");
            verdict.AddRows(text);
            ScenarioReport.Row(text, "every run ended after the outage (s)", Math.Round(settled.TotalSeconds), "");
            verdict.AddFindings(text);
            return new ScenarioReport(name, passed, text.ToString());
        }
        finally
        {
            foreach (var proxy in proxies)
            {
                await proxy.DisposeAsync();
            }
        }
    }

    private static int Interpose(List<FaultProxy> proxies, int port)
    {
        var proxy = FaultProxy.Start(port);
        proxies.Add(proxy);
        return proxy.Port;
    }

    private readonly record struct ReadyState(TimeSpan At, HttpStatusCode? Status);

    /// <summary>Asks /api/health/ready every 250 ms (each answer's time is when it came back) until cancelled.</summary>
    private static async Task<List<ReadyState>> WatchReadinessAsync(Uri host, Stopwatch clock, CancellationToken ct)
    {
        using var http = new HttpClient { BaseAddress = host, Timeout = TimeSpan.FromSeconds(10) };
        var states = new ConcurrentQueue<ReadyState>();
        while (!ct.IsCancellationRequested)
        {
            try
            {
                using var response = await http.GetAsync(new Uri("api/health/ready", UriKind.Relative), ct);
                states.Enqueue(new ReadyState(clock.Elapsed, response.StatusCode));
                await Task.Delay(250, ct);
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                states.Enqueue(new ReadyState(clock.Elapsed, null));
            }
        }
        return [.. states];
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture);

    private static string Text(int n) => n.ToString(CultureInfo.InvariantCulture);
}
