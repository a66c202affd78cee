using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Agents.Benchmarks.Runs;

/// <summary>One stretch of a run's time, in milliseconds, named the same way in every run of a kind.</summary>
public sealed record Segment(string Name, double Milliseconds);

/// <summary>
/// Where a run's time goes, from its orchestration's history (the Durable extension's HTTP API): ExecutionStarted is
/// written when the API schedules the orchestration; each activity shows when the orchestrator scheduled it (the
/// episode's time) and when it completed (the activity's end); ExecutionCompleted when the last episode ended. Between
/// an activity's scheduling and its end lie the work-item queue hop and its execution; between its end and the next
/// scheduling, the control-queue hop back to the orchestrator (with the history load and replay). The client's clock
/// (same machine) marks the start and what the client saw last.
/// </summary>
public static partial class Breakdown
{
    /// <summary>The segments of a one-step run, ending with the client's poll that saw <c>completed</c>.</summary>
    public static IReadOnlyList<Segment>? OneStep(JsonNode? orchestration, OneStepSample sample) =>
        Segments(orchestration, sample.SentUtc, events =>
        {
            var last = events.Activities[^1];
            return [new Segment($"{last.Name} done → client saw `completed` (the poll)", Ms(sample.SeenUtc - last.Completed))];
        });

    /// <summary>The segments of a streamed run up to its first token (the activities before the model call, then the model call's first delta).</summary>
    public static IReadOnlyList<Segment>? FirstToken(JsonNode? orchestration, FirstTokenSample sample)
    {
        var all = Segments(orchestration, sample.SentUtc, events =>
        {
            var model = events.Activities.FirstOrDefault(a => a.Name == "CallModel");
            return model is null ? [] : [new Segment("CallModel scheduled → first delta at the client (work-item queue, activity start, model)", Ms(sample.FirstTokenUtc - model.Scheduled))];
        });
        if (all is null)
        {
            return null;
        }
        // Keep what happens before the first token: the segments up to CallModel's scheduling, then the final one.
        var cut = all.FindIndex(s => s.Name.StartsWith("CallModel: scheduled", StringComparison.Ordinal));
        return cut < 0 ? all : [.. all.Take(cut), all[^1]];
    }

    /// <summary>Median of each segment over the runs, in the order of the first run; null values are runs without a history.</summary>
    public static IReadOnlyList<Segment> Medians(IEnumerable<IReadOnlyList<Segment>?> runs)
    {
        var known = runs.OfType<IReadOnlyList<Segment>>().ToList();
        if (known.Count == 0)
        {
            return [];
        }
        return known[0].Select(s => s.Name)
            .Select(name => new Segment(name, Stats.Median(known.SelectMany(r => r.Where(x => x.Name == name).Select(x => x.Milliseconds)))))
            .ToList();
    }

    /// <summary>Median execution time per function from the host's log lines "Executed 'Functions.X' (Succeeded, Id=..., Duration=NNms)".</summary>
    public static IReadOnlyDictionary<string, double> FunctionDurations(IEnumerable<string> log)
    {
        var durations = new Dictionary<string, List<double>>(StringComparer.Ordinal);
        foreach (var line in log)
        {
            var match = ExecutedLine().Match(line);
            if (match.Success)
            {
                var name = match.Groups["name"].Value;
                (durations.TryGetValue(name, out var list) ? list : durations[name] = []).Add(double.Parse(match.Groups["ms"].Value, CultureInfo.InvariantCulture));
            }
        }
        return durations.ToDictionary(p => p.Key, p => Stats.Median(p.Value), StringComparer.Ordinal);
    }

    private sealed record Activity(string Name, DateTime Scheduled, DateTime Completed);

    private sealed record Events(DateTime Started, IReadOnlyList<Activity> Activities, DateTime? Completed);

    private static List<Segment>? Segments(JsonNode? orchestration, DateTime sentUtc, Func<Events, IEnumerable<Segment>> tail)
    {
        if (Parse(orchestration) is not { Activities.Count: > 0 } events)
        {
            return null;
        }
        var segments = new List<Segment>
        {
            new("POST → orchestration scheduled (auth, Cosmos DB writes, start message)", Ms(events.Started - sentUtc)),
            new($"→ {events.Activities[0].Name} scheduled (control queue: the orchestration starts)", Ms(events.Activities[0].Scheduled - events.Started)),
        };
        for (var i = 0; i < events.Activities.Count; i++)
        {
            var a = events.Activities[i];
            if (i > 0)
            {
                var previous = events.Activities[i - 1];
                segments.Add(new Segment($"{previous.Name} done → {a.Name} scheduled (control queue back, replay)", Ms(a.Scheduled - previous.Completed)));
            }
            segments.Add(new Segment($"{a.Name}: scheduled → done (work-item queue + activity)", Ms(a.Completed - a.Scheduled)));
        }
        if (events.Completed is { } completed)
        {
            segments.Add(new Segment($"{events.Activities[^1].Name} done → orchestration completed (control queue)", Ms(completed - events.Activities[^1].Completed)));
        }
        segments.AddRange(tail(events));
        // The same activity can appear twice (SaveRun): number the repeated names so that every run has the same keys.
        return segments.Select((s, i) => s with { Name = segments.Take(i).Count(p => p.Name == s.Name) is var n and > 0 ? $"{s.Name} #{n + 1}" : s.Name }).ToList();
    }

    private static Events? Parse(JsonNode? orchestration)
    {
        if (orchestration?["historyEvents"] is not JsonArray history)
        {
            return null;
        }
        DateTime? started = null, completed = null;
        var activities = new List<Activity>();
        foreach (var e in history.OfType<JsonObject>())
        {
            var type = Text(e, "EventType");
            var at = Time(e, "Timestamp");
            switch (type)
            {
                case "ExecutionStarted":
                    started = at;
                    break;
                case "TaskCompleted" when at is { } done && Time(e, "ScheduledTime") is { } scheduled:
                    activities.Add(new Activity(Text(e, "FunctionName") ?? "activity", scheduled, done));
                    break;
                case "ExecutionCompleted":
                    completed = at;
                    break;
            }
        }
        return started is { } s ? new Events(s, activities, completed) : null;
    }

    private static string? Text(JsonObject e, string name) =>
        e.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value?.GetValue<string>();

    private static DateTime? Time(JsonObject e, string name) =>
        Text(e, name) is { } text ? DateTimeOffset.Parse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal).UtcDateTime : null;

    private static double Ms(TimeSpan t) => t.TotalMilliseconds;

    [GeneratedRegex(@"Executed 'Functions\.(?<name>[A-Za-z0-9_]+)' \(Succeeded, Id=[^,]+, Duration=(?<ms>\d+)ms\)")]
    private static partial Regex ExecutedLine();
}
