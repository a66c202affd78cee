using System.Globalization;
using System.Text;

namespace Agents.Benchmarks.Streaming;

/// <summary>Where and how the figures were taken.</summary>
public sealed record RunContext(
    DateTimeOffset Date, string Machine, string Commit, string GcMode, IReadOnlyDictionary<string, string> HostSettings,
    string Command, int Requests, int Warmup, string LoadBefore, string LoadAfter, TimeSpan? HostStartup);

/// <summary>The results as markdown, for the console and for the Streaming section of docs/benchmarks.md.</summary>
public static class Report
{
    public static string Markdown(RunContext context, IReadOnlyList<TtftResult> ttft, MemoryResult? memory)
    {
        var md = new StringBuilder();
        var settings = context.HostSettings.Count == 0
            ? "default settings"
            : "default settings except " + string.Join(", ", context.HostSettings.Select(s => $"`{s.Key}={s.Value}`"));
        var startup = context.HostStartup is { } t ? FormattableString.Invariant($", ready {t.TotalSeconds:F1} s after start") : "";
        Line(md, $"Measured {context.Date:yyyy-MM-dd HH:mm} UTC at commit `{context.Commit}` on {context.Machine}; " +
            $"the Functions app (Release build) on func-host with a private Azurite{startup}, worker {context.GcMode}, {settings}.");
        Line(md, $"Command: `{context.Command}`. Load average (1, 5, 15 min) before: {context.LoadBefore}; after: {context.LoadAfter} " +
            "(anything else running on the machine shows up in these figures).");
        Line(md);
        if (ttft.Count > 0)
        {
            Line(md, "### Time to first token");
            Line(md);
            Line(md, $"{context.Requests} sequential requests per path and directive, alternating simulator / our API, after {context.Warmup} warm-up requests each; " +
                "milliseconds from sending the request. Our figure includes creating the run (Cosmos DB writes, scheduling its orchestration), the " +
                "orchestration starting from its control queue, the LoadRunInput activity before the model call (a work-item queue hop and a " +
                "control-queue hop back) and the CallModel activity (the run's \"in progress\" update, then the model call); the overhead row is the difference of the percentiles.");
            Line(md);
            Line(md, "| directive | measured | p50 | p90 | p99 | mean |");
            Line(md, "|---|---|---:|---:|---:|---:|");
            foreach (var r in ttft)
            {
                var direct = Stats.Summary(r.Direct.Select(s => s.FirstToken));
                var ours = Stats.Summary(r.Ours.Select(s => s.FirstToken));
                Row(md, $"`{r.Directive}`", "simulator directly: first content chunk", direct);
                Row(md, "", "our stream (`POST .../runs`, `stream: true`): first `message.delta`", ours);
                Row(md, "", "**our overhead**", (ours.P50 - direct.P50, ours.P90 - direct.P90, ours.P99 - direct.P99, ours.Mean - direct.Mean), bold: true);
                Row(md, "", "our stream: first event (`run.created`)", Stats.Summary(r.Ours.Select(s => s.FirstEvent)));
                Row(md, "", "simulator / our stream: whole answer", Stats.Summary(r.Direct.Select(s => s.Total)), Stats.Summary(r.Ours.Select(s => s.Total)));
            }
            Line(md);
        }
        if (memory is not null)
        {
            WriteMemory(md, memory);
        }
        return md.ToString();
    }

    /// <summary>Rewrites the Streaming section of the docs file (between its markers), keeping every other section.</summary>
    public static void WriteDocs(string path, string section) =>
        DocsSection.Write(path, "streaming", "bench/Agents.Benchmarks.Streaming", "Streaming", section);

    private static void WriteMemory(StringBuilder md, MemoryResult m)
    {
        Line(md, "### Memory per open stream");
        Line(md);
        Line(md, $"One run parked on a tool approval (it stays open and sends nothing); {m.Subscribers} concurrent `GET .../events` subscribers, " +
            "opened 64 at a time after a warm-up of 50; a subscriber counts once it received `run.created`. Every request reaches the Functions " +
            "host, which forwards it to the app's worker process, so both hold every open stream: both are measured. Memory is read right after " +
            "a full blocking GC of each (induced over its diagnostics port), from `/proc/PID/status` (VmRSS) and the GC's own heap statistics.");
        Line(md);
        Line(md, "| | before | with subscribers | per open stream |");
        Line(md, "|---|---:|---:|---:|");
        Line(md, $"| subscribers connected (received `run.created`) | | {m.Connected} of {m.Subscribers} in {m.OpenSeconds:F1} s | |");
        Line(md, FormattableString.Invariant($"| time to `run.created` per subscriber, 64 opening at once | | p50 {m.OpenLatency.P50:F0} ms, p99 {m.OpenLatency.P99:F0} ms | |"));
        foreach (var p in m.Processes)
        {
            Line(md, $"| {p.Name}: resident memory (VmRSS) | {MiB(p.Before.RssBytes)} | {MiB(p.After.RssBytes)} | **{PerStream(p.After.RssBytes - p.Before.RssBytes, m.Connected)}** |");
            if (p.GcBefore is { } gb && p.GcAfter is { } ga)
            {
                Line(md, $"| {p.Name}: GC heap after a full GC | {MiB(gb.LiveBytes)} | {MiB(ga.LiveBytes)} | **{PerStream(ga.LiveBytes - gb.LiveBytes, m.Connected)}** |");
            }
            Line(md, $"| {p.Name}: threads | {p.Before.Threads} | {p.After.Threads} | |");
            Line(md, $"| {p.Name}: open file descriptors | {p.Before.OpenFiles} | {p.After.OpenFiles} | |");
            Line(md, FormattableString.Invariant($"| {p.Name}: CPU over {m.CpuWindowSeconds:F0} s, % of one core | {p.IdleCpuPercent:F1} % | {p.SubscribedCpuPercent:F1} % | |"));
        }
        if (m.Processes.Count > 1)
        {
            var rssBefore = m.Processes.Sum(p => p.Before.RssBytes);
            var rssAfter = m.Processes.Sum(p => p.After.RssBytes);
            Line(md, $"| **together**: resident memory | {MiB(rssBefore)} | {MiB(rssAfter)} | **{PerStream(rssAfter - rssBefore, m.Connected)}** |");
        }
        if (m.StackIdleCpuPercent is { } isp && m.StackSubscribedCpuPercent is { } ssp)
        {
            Line(md, FormattableString.Invariant($"| local stack CPU (Cosmos DB emulator, Azurite, OIDC) | {isp:F1} % | {ssp:F1} % | |"));
        }
        Line(md);
        if (m.FanOut is { Received: > 0 } f)
        {
            Line(md, FormattableString.Invariant($"After the approval, {f.Received} of {m.Connected} subscribers received `done` within {f.WaitedSeconds:F0} s: the first after {f.First:F0} ms, ") +
                FormattableString.Invariant($"p50 {f.P50:F0} ms, p99 {f.P99:F0} ms, the last after {f.Last:F0} ms (this includes raising the approval event to the orchestration, ") +
                $"the tool activity, a second model call, saving the run and the persist queue); the run was then `{f.RunStatus}`.");
        }
        else if (m.FanOut is { } none)
        {
            Line(md, FormattableString.Invariant($"After the approval, **no subscriber received `done` within {none.WaitedSeconds:F0} s**; the run was then `{none.RunStatus}`."));
        }
        if (m.Processes.Any(p => p.Counters.Count > 0))
        {
            Line(md);
            Line(md, "Runtime counters (System.Runtime event counters, sampled every second), peaks per phase:");
            Line(md);
            Line(md, "| process | phase | thread-pool threads | thread-pool queue length | CPU % (of the machine) | lock contentions / s |");
            Line(md, "|---|---|---:|---:|---:|---:|");
            foreach (var p in m.Processes)
            {
                foreach (var (phase, c) in p.Counters)
                {
                    Line(md, FormattableString.Invariant($"| {p.Name} | {phase} | {c.ThreadPoolThreads:F0} | {c.ThreadPoolQueueLength:F0} | {c.CpuPercent:F0} | {c.LockContentionsPerSecond:F0} |"));
                }
            }
            Line(md);
        }
        foreach (var p in m.Processes)
        {
            Line(md, $"Once all were closed, {p.Name}: RSS {MiB(p.AfterClose.RssBytes)}" + (p.GcAfterClose is { } gc ? $", GC heap {MiB(gc.LiveBytes)}" : "") +
                $", {p.AfterClose.Threads} threads, {p.AfterClose.OpenFiles} descriptors.");
            Line(md);
        }
        if (m.Failures.Count > 0)
        {
            Line(md, $"Failures ({m.Failures.Count}): " + string.Join("; ", m.Failures.GroupBy(x => x).Select(g => $"{g.Count()} × {g.Key}")));
        }
        Line(md);
    }

    private static void Row(StringBuilder md, string first, string what, (double P50, double P90, double P99, double Mean) s, bool bold = false)
    {
        string F(double v) => bold ? $"**{v:F1}**" : v.ToString("F1", CultureInfo.InvariantCulture);
        Line(md, $"| {first} | {what} | {F(s.P50)} | {F(s.P90)} | {F(s.P99)} | {F(s.Mean)} |");
    }

    private static void Row(StringBuilder md, string first, string what, (double P50, double P90, double P99, double Mean) a, (double P50, double P90, double P99, double Mean) b) =>
        Line(md, FormattableString.Invariant($"| {first} | {what} | {a.P50:F0} / {b.P50:F0} | {a.P90:F0} / {b.P90:F0} | {a.P99:F0} / {b.P99:F0} | {a.Mean:F0} / {b.Mean:F0} |"));

    private static string MiB(long bytes) => FormattableString.Invariant($"{bytes / 1048576.0:F1} MiB");

    private static string PerStream(long bytes, int streams) => streams == 0 ? "n/a" : FormattableString.Invariant($"{bytes / 1024.0 / streams:F1} KiB");

    private static void Line(StringBuilder md, string text = "") => md.Append(text).Append('\n');
}
