using System.Globalization;
using System.Text;

namespace Agents.Benchmarks.Runs;

/// <summary>Where and how the figures were taken.</summary>
public sealed record ReportContext(
    DateTimeOffset Date, string Machine, string Commit, string Command, string LoadBefore, string LoadAfter, string LoadDuring, RunsOptions Options);

/// <summary>The results as markdown, for the console and for the "Runs on the Functions host" section of docs/benchmarks.md.</summary>
public static class RunsReport
{
    private const double OneStepTarget = 400;
    private const double FirstTokenTarget = 1000;
    private const string ActivityMarker = ": scheduled → done";

    public static string Markdown(ReportContext context, IReadOnlyList<ConfigurationResult> results)
    {
        var o = context.Options;
        var md = new StringBuilder();
        Line(md, $"Measured {context.Date:yyyy-MM-dd HH:mm} UTC at commit `{context.Commit}` on {context.Machine}. " +
            $"Load average (1, 5, 15 min) before: {context.LoadBefore}; after: {context.LoadAfter}; the 1-minute load average during the run " +
            $"(every 5 s): {context.LoadDuring} (other work on the machine shows up in these figures).");
        Line(md);
        Line(md, $"Command: `{context.Command}`.");
        Line(md);
        var gc = string.Join(", ", results.Select(r => r.WorkerGc).Distinct(StringComparer.Ordinal));
        Line(md, $"The Functions app (`src/Functions`, {o.Configuration} build, worker {gc}) on func-host (the Azure Functions host built from source), " +
            "a fresh host with a private Azurite per configuration (its storage account: AzureWebJobsStorage, the Durable task hub, the persist queues), " +
            "the local stack's Cosmos DB emulator and OIDC provider, the model simulator. User alice, every run in a new thread (created before the clock " +
            $"starts), message `{o.Message}`. Rate limits and token budgets are lifted (`Limits__Tiers__*`); nothing else differs from the repository's " +
            "host.json and the app's defaults unless the configuration says so." +
            (results.Count > 1
                ? " The configurations ran side by side: all hosts were started first (each timed, then its first run), then every measurement " +
                  "went to each host in turn, in blocks of 10 one-step runs (all busy samples as one block), each turn starting with the next host; " +
                  "the idle samples of all hosts shared each idle wait. So a change in the machine's load falls on every configuration alike."
                : ""));
        Line(md);
        Line(md, "| configuration | settings beyond the required ones | host start → ready | first run after the start | CPU while idle (host + worker + its Azurite), % of one core |");
        Line(md, "|---|---|---:|---:|---:|");
        foreach (var r in results)
        {
            var first = r.FirstRun is { } f ? $"{Ms(f.Milliseconds)} ms" : "failed";
            var idleCpu = r.IdleCpuPercent is { } c ? FormattableString.Invariant($"{c:F1} %") : "–";
            Line(md, FormattableString.Invariant($"| {r.Configuration.Name} | {r.Configuration.Describe()} | {r.Startup.TotalSeconds:F1} s | {first} | {idleCpu} |"));
        }
        Line(md);

        if (o.Poll || o.Wait)
        {
            Line(md, "### One-step run: POST to `completed`");
            Line(md);
            Line(md, $"{o.Runs} sequential runs per way after {o.Warmup} warm-up runs. **poll**: `POST .../runs` (202), then `GET .../runs/{{id}}` every " +
                $"{o.PollMilliseconds} ms (from the start of one GET to the next) until the status is `completed`, timed to the answer that said so; " +
                "**wait**: `POST .../runs?wait=true`, timed to its 201 (the API looks at the run every 150 ms). Milliseconds from sending the POST. " +
                $"Target: p50 ≤ {OneStepTarget:0} ms.");
            Line(md);
            Line(md, $"| configuration | how | runs | p50 | p95 | max | mean | p50 ≤ {OneStepTarget:0} ms |");
            Line(md, "|---|---|---:|---:|---:|---:|---:|---|");
            foreach (var r in results)
            {
                if (o.Poll)
                {
                    var get = Stats.Median(r.Polled.Select(s => s.MedianPollMilliseconds));
                    OneStepRow(md, r.Configuration.Name, $"poll (a GET took {Ms(get)} ms at p50)", r.Polled);
                }
                if (o.Wait)
                {
                    OneStepRow(md, r.Configuration.Name, "wait", r.Waited);
                }
            }
            Line(md);
        }

        if (o.BusySamples > 0 || o.IdleSamples > 0)
        {
            Line(md, "### Time to first token: POST `stream: true` to the first `message.delta`");
            Line(md);
            Line(md, $"**busy**: {o.BusySamples} samples back to back (each read to `done` before the next) after 2 warm-up runs, after the one-step runs; " +
                $"**after idle**: each sample after {o.IdleSeconds} s without any request to the app (its thread was created before the wait). " +
                $"Milliseconds from sending the POST. Target: ≤ {FirstTokenTarget:N0} ms after idle.");
            Line(md);
            Line(md, $"| configuration | when | samples | p50 | p95 | max | every sample | first event (`run.created`) p50 | whole answer p50 | ≤ {FirstTokenTarget:N0} ms |");
            Line(md, "|---|---|---:|---:|---:|---:|---|---:|---:|---|");
            foreach (var r in results)
            {
                if (o.BusySamples > 0)
                {
                    FirstTokenRow(md, r.Configuration.Name, "busy", r.Busy, all: false);
                }
                if (o.IdleSamples > 0)
                {
                    FirstTokenRow(md, r.Configuration.Name, $"after {o.IdleSeconds} s idle", r.Idle, all: true);
                }
            }
            Line(md);
        }

        WriteSegments(md, results, o);
        WriteDurations(md, results);

        foreach (var r in results.Where(r => r.Failures.Count > 0))
        {
            Line(md, $"Failures in {r.Configuration.Name} ({r.Failures.Count}): " + string.Join("; ", r.Failures.GroupBy(x => x).Select(g => $"{g.Count()} × {g.Key}")));
            Line(md);
        }
        return md.ToString();
    }

    private static void WriteSegments(StringBuilder md, IReadOnlyList<ConfigurationResult> results, RunsOptions o)
    {
        var oneStep = results.FirstOrDefault(r => r.PolledSegments.Count > 0)?.PolledSegments;
        var firstToken = results.FirstOrDefault(r => r.BusySegments.Count > 0 || r.IdleSegments.Count > 0) is { } ft
            ? (ft.BusySegments.Count > 0 ? ft.BusySegments : ft.IdleSegments)
            : null;
        if (oneStep is null && firstToken is null)
        {
            return;
        }
        Line(md, "### Where the time goes");
        Line(md);
        Line(md, "Medians per segment, from each run's orchestration history (the Durable extension's HTTP API on the host): when the API " +
            "scheduled the orchestration, when the orchestrator scheduled each activity and when the activity completed, when the orchestration " +
            "completed; the start and the end are the client's clock (same machine). Between an activity's scheduling and its end lie its " +
            "work-item queue message and its execution (see the execution times below); between its end and the next scheduling, its result's " +
            "control-queue message back to the orchestrator, the history load and the replay. Medians do not add up to the median total.");
        Line(md);
        if (oneStep is not null)
        {
            var activities = oneStep.Where(s => s.Name.Contains(ActivityMarker, StringComparison.Ordinal)).Select(s => s.Name[..s.Name.IndexOf(':', StringComparison.Ordinal)]).ToList();
            Line(md, $"A one-step run is one orchestration of {activities.Count} activities ({string.Join(", ", activities)}), so " +
                $"{activities.Count + 1} control-queue messages (the start and each activity's result) and {activities.Count} work-item queue messages; " +
                "the last activity stores the final update itself (the persist queue only takes an update that could not be stored at once), so the " +
                "run is `completed` for the API when that activity ends.");
            Line(md);
            Line(md, "| one-step run (poll), ms | " + string.Join(" | ", results.Select(r => r.Configuration.Name)) + " |");
            Line(md, "|---|" + string.Concat(results.Select(_ => "---:|")));
            foreach (var segment in oneStep)
            {
                Line(md, $"| {segment.Name} | " + string.Join(" | ", results.Select(r => Ms(Find(r.PolledSegments, segment.Name)))) + " |");
            }
            Line(md, "| **total (p50 of the runs)** | " + string.Join(" | ", results.Select(r => $"**{Ms(Distribution.Of(r.Polled.Select(s => s.Milliseconds)).P50)}**")) + " |");
            Line(md);
        }
        if (firstToken is not null)
        {
            var columns = results.SelectMany(r => new[]
            {
                (Title: $"{r.Configuration.Name} busy", Segments: r.BusySegments, Total: Distribution.Of(r.Busy.Select(s => s.FirstToken)).P50, Show: o.BusySamples > 0),
                (Title: $"{r.Configuration.Name} after idle", Segments: r.IdleSegments, Total: Distribution.Of(r.Idle.Select(s => s.FirstToken)).P50, Show: o.IdleSamples > 0),
            }).Where(c => c.Show).ToList();
            Line(md, "| first token, ms | " + string.Join(" | ", columns.Select(c => c.Title)) + " |");
            Line(md, "|---|" + string.Concat(columns.Select(_ => "---:|")));
            foreach (var segment in firstToken)
            {
                Line(md, $"| {segment.Name} | " + string.Join(" | ", columns.Select(c => Ms(Find(c.Segments, segment.Name)))) + " |");
            }
            Line(md, "| **first token (p50 of the samples)** | " + string.Join(" | ", columns.Select(c => $"**{Ms(c.Total)}**")) + " |");
            Line(md);
        }
    }

    private static void WriteDurations(StringBuilder md, IReadOnlyList<ConfigurationResult> results)
    {
        string[] functions = ["CreateRun", "GetRun", "AgentOrchestrator", "LoadRunInput", "SaveRun", "CallModel", "Persist", "CreateThread"];
        var shown = functions.Where(f => results.Any(r => r.FunctionDurations.ContainsKey(f))).ToList();
        if (shown.Count == 0)
        {
            return;
        }
        Line(md, "Median execution time per function (the host's `Executed 'Functions.X' (Succeeded, ..., Duration=N ms)` log lines over the " +
            "whole configuration, warm-up included; an orchestrator's is one episode, a replay included; a streamed CreateRun lasts until `done`):");
        Line(md);
        Line(md, "| function, ms | " + string.Join(" | ", results.Select(r => r.Configuration.Name)) + " |");
        Line(md, "|---|" + string.Concat(results.Select(_ => "---:|")));
        foreach (var f in shown)
        {
            Line(md, $"| {f} | " + string.Join(" | ", results.Select(r => r.FunctionDurations.TryGetValue(f, out var ms) ? Ms(ms) : "–")) + " |");
        }
        Line(md);
    }

    private static void OneStepRow(StringBuilder md, string configuration, string how, IReadOnlyList<OneStepSample> samples)
    {
        var d = Distribution.Of(samples.Select(s => s.Milliseconds));
        var met = d.Count == 0 ? "–" : d.P50 <= OneStepTarget ? "yes" : "**no**";
        Line(md, $"| {configuration} | {how} | {d.Count} | {Ms(d.P50)} | {Ms(d.P95)} | {Ms(d.Max)} | {Ms(d.Mean)} | {met} |");
    }

    private static void FirstTokenRow(StringBuilder md, string configuration, string when, IReadOnlyList<FirstTokenSample> samples, bool all)
    {
        var d = Distribution.Of(samples.Select(s => s.FirstToken));
        var values = all ? string.Join(", ", samples.Select(s => Ms(s.FirstToken))) : "";
        var met = !all || d.Count == 0 ? "" : d.Max <= FirstTokenTarget ? "yes" : "**no**";
        Line(md, $"| {configuration} | {when} | {d.Count} | {Ms(d.P50)} | {Ms(d.P95)} | {Ms(d.Max)} | {values} | " +
            $"{Ms(Stats.Median(samples.Select(s => s.FirstEvent)))} | {Ms(Stats.Median(samples.Select(s => s.Done)))} | {met} |");
    }

    private static double Find(IReadOnlyList<Segment> segments, string name) => segments.FirstOrDefault(s => s.Name == name)?.Milliseconds ?? double.NaN;

    private static string Ms(double ms) => double.IsNaN(ms) ? "–" : ms.ToString("N0", CultureInfo.InvariantCulture);

    private static void Line(StringBuilder md, string text = "") => md.Append(text).Append('\n');
}
