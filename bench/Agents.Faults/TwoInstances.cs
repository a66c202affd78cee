using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;

namespace Agents.Faults;

/// <summary>
/// Two instances of the app (two Functions hosts on one storage account, task hub and database, as two instances of
/// one app in Azure) behind a client-side <see cref="Failover"/>: the runs of <see cref="ToolRunLoad"/> are started on
/// one instance and their event streams followed on the other, half each way. Once every run is under way, instance A
/// is killed with SIGKILL and not started again: its clients fail over to B, its streams resume on B with
/// Last-Event-ID, and B must take over A's share of the task hub and finish every run. Checked: each followed stream
/// holds every event of the run's durable log exactly once and in order, and every promise of
/// <see cref="ToolRunLoad.VerifyAsync"/>.
/// </summary>
public static class TwoInstances
{
    public sealed record Options(int Runs);

    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(20);

    private sealed record Followed(List<string> Ids, int Connections);

    public static async Task<ScenarioReport> RunAsync(string repo, string work, Options options, CancellationToken ct)
    {
        Directory.CreateDirectory(work);
        var loadBefore = MachineInfo.LoadAverage();
        await using var standIns = await LocalStandIns.StartAsync(repo, work, null, null, ct);
        FunctionsHostOptions Host(string name, FunctionsHost? beside) => new()
        {
            Repo = repo, WorkDirectory = work, Name = name, Stack = standIns.Env, ModelEndpoint = standIns.ModelEndpoint,
            Settings = KillUnderLoad.Recovery, Beside = beside,
        };
        await using var a = await FunctionsHost.StartAsync(Host("a", null), ct);
        await using var b = await FunctionsHost.StartAsync(Host("b", a), ct);
        var instances = new[] { a.BaseAddress, b.BaseAddress };
        using var tokens = new TokenCache(c => standIns.TokenAsync("alice", c));
        var toA = new Failover(instances, 0);
        var toB = new Failover(instances, 1);
        using var httpA = new HttpClient(toA) { BaseAddress = a.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var httpB = new HttpClient(toB) { BaseAddress = a.BaseAddress, Timeout = TimeSpan.FromSeconds(30) };
        using var streamsA = new HttpClient(new Failover(instances, 0)) { BaseAddress = a.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        using var streamsB = new HttpClient(new Failover(instances, 1)) { BaseAddress = a.BaseAddress, Timeout = Timeout.InfiniteTimeSpan };
        var apiA = new ResilientApi(httpA, tokens);
        var apiB = new ResilientApi(httpB, tokens);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(Deadline);
        var load = await ToolRunLoad.CreateAsync(apiA, ct);

        Console.Error.WriteLine($"instances: {options.Runs} runs over two hosts, then host a killed");
        var clock = Stopwatch.StartNew();
        var follows = new Task<Followed>?[options.Runs];
        var drivers = Enumerable.Range(0, options.Runs).Select(i => load.DriveAsync(i, deadline.Token,
            via: i % 2 == 0 ? apiA : apiB,
            started: (thread, run) => follows[i] = FollowAsync(i % 2 == 0 ? streamsB : streamsA, tokens, thread, run, deadline.Token))).ToList();
        await load.UnderWayAsync(options.Runs, deadline.Token);
        var unfinishedAtKill = load.Unfinished(options.Runs);
        var killedAt = clock.Elapsed;
        await a.KillAsync();
        var outcomes = await Task.WhenAll(drivers);
        var settled = clock.Elapsed - killedAt;
        var followed = await Task.WhenAll(follows.Select(f => f!));

        // Each run's whole log, read after its end from the instance that is left, against what its follower got.
        var missing = 0;
        var repeated = 0;
        var outOfOrder = 0;
        var resumed = 0;
        for (var i = 0; i < options.Runs; i++)
        {
            var log = await FollowAsync(streamsB, tokens, outcomes[i].Thread, outcomes[i].RunId, deadline.Token);
            var got = followed[i].Ids;
            missing += log.Ids.Except(got).Count();
            repeated += got.Count - got.Distinct().Count();
            outOfOrder += got.Zip(got.Skip(1)).Count(p => long.Parse(p.First, CultureInfo.InvariantCulture) >= long.Parse(p.Second, CultureInfo.InvariantCulture));
            resumed += followed[i].Connections > 1 ? 1 : 0;
        }
        var events = followed.Sum(f => f.Ids.Count);
        var verdict = await load.VerifyAsync(outcomes, standIns.Env, a.AppSettings["Cosmos__Database"], ct);
        var serverErrors = apiA.ServerErrors + apiB.ServerErrors;
        var passed = verdict.Holds && missing == 0 && repeated == 0 && outOfOrder == 0 && serverErrors == 0 && unfinishedAtKill > 0;

        var text = ScenarioReport.Begin(repo, loadBefore, "./dev faults instances");
        ScenarioReport.Row(text, "runs (3 tool steps each; 1 in 3 with an approval per step), started on one instance and streamed from the other", options.Runs, "");
        ScenarioReport.Row(text, "of them unfinished when instance a was killed (SIGKILL, not restarted)", unfinishedAtKill, "> 0");
        ScenarioReport.Row(text, "requests that failed over from a to b", toA.FailedOver + toB.FailedOver, "");
        ScenarioReport.Row(text, "streams that lost their instance and resumed on b with Last-Event-ID", resumed, "");
        ScenarioReport.Row(text, "stream events received", events, "");
        ScenarioReport.Row(text, "events of the durable log missing from a stream", missing, "0");
        ScenarioReport.Row(text, "events repeated in a stream", repeated, "0");
        ScenarioReport.Row(text, "events out of order in a stream", outOfOrder, "0");
        verdict.AddRows(text);
        ScenarioReport.Row(text, "answers of 500", serverErrors, "0");
        ScenarioReport.Row(text, "every run ended after the kill (s)", Math.Round(settled.TotalSeconds), "");
        verdict.AddFindings(text);
        return new ScenarioReport("instances", passed, text.ToString());
    }

    /// <summary>
    /// Reads a run's event stream to its <c>done</c> event as a client does: when the connection breaks (its instance is
    /// gone), it connects again, through the failover, with the last id it got as Last-Event-ID.
    /// </summary>
    private static async Task<Followed> FollowAsync(HttpClient http, TokenCache tokens, string thread, string run, CancellationToken ct)
    {
        var ids = new List<string>();
        var connections = 0;
        while (true)
        {
            connections++;
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/v1/threads/{thread}/runs/{run}/events");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetAsync(ct));
            if (ids.Count > 0)
            {
                request.Headers.Add("Last-Event-ID", ids[^1]);
            }
            try
            {
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
                if (response.IsSuccessStatusCode)
                {
                    using var reader = new SseReader(await response.Content.ReadAsStreamAsync(ct));
                    while (await reader.NextAsync(ct) is { } e)
                    {
                        if (e.Id is not null)
                        {
                            ids.Add(e.Id);
                        }
                        if (e.Type == "done")
                        {
                            return new Followed(ids, connections);
                        }
                    }
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested && e is HttpRequestException or IOException)
            {
                // the instance went away mid-stream: connect again
            }
            await Task.Delay(250, ct);
        }
    }
}
