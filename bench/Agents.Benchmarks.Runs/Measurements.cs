using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Agents.Benchmarks.Runs;

/// <summary>A one-step run: from sending the POST to seeing it <c>completed</c> (client clock, UTC, for the history).</summary>
public sealed record OneStepSample(string RunId, DateTime SentUtc, DateTime SeenUtc, double Milliseconds, string Status, int Polls, double MedianPollMilliseconds);

/// <summary>A streamed run: milliseconds from sending the POST to the first event, the first <c>message.delta</c> and <c>done</c>.</summary>
public sealed record FirstTokenSample(string RunId, DateTime SentUtc, DateTime FirstTokenUtc, double FirstEvent, double FirstToken, double Done);

/// <summary>
/// The two measurements, as user alice, each run in a new thread (created before the clock starts, so that only the run
/// is timed and the conversation does not grow). The access token is fetched before the clock starts too.
/// </summary>
public sealed class Measurements(AgentsApi api, Func<CancellationToken, Task> freshToken, string message, int pollMilliseconds)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    /// <summary>POST .../runs (202), then GET .../runs/{id} every <c>pollMilliseconds</c> (from the start of one GET to the next) until it ends.</summary>
    public async Task<OneStepSample> PolledAsync(CancellationToken ct)
    {
        var thread = await api.CreateThreadAsync(ct);
        await freshToken(ct);
        var sentUtc = DateTime.UtcNow;
        var start = Stopwatch.GetTimestamp();
        var run = await api.StartRunAsync(thread, message, ct);
        var polls = new List<double>();
        var interval = TimeSpan.FromMilliseconds(pollMilliseconds);
        var last = Stopwatch.GetTimestamp();
        while (true)
        {
            var wait = interval - Stopwatch.GetElapsedTime(last);
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, ct);
            }
            last = Stopwatch.GetTimestamp();
            var state = await api.GetRunAsync(thread, run, ct);
            polls.Add(Stopwatch.GetElapsedTime(last).TotalMilliseconds);
            var status = state["status"]?.GetValue<string>() ?? "unknown";
            if (IsTerminal(status))
            {
                return new OneStepSample(run, sentUtc, DateTime.UtcNow, Stopwatch.GetElapsedTime(start).TotalMilliseconds, status, polls.Count, Stats.Median(polls));
            }
            if (Stopwatch.GetElapsedTime(start) > RunTimeout)
            {
                throw new TimeoutException($"run {run} still {status} after {RunTimeout.TotalSeconds} s");
            }
        }
    }

    /// <summary>POST .../runs?wait=true: the API answers when the run ended (it looks every 150 ms).</summary>
    public async Task<OneStepSample> WaitedAsync(CancellationToken ct)
    {
        var thread = await api.CreateThreadAsync(ct);
        await freshToken(ct);
        var sentUtc = DateTime.UtcNow;
        var start = Stopwatch.GetTimestamp();
        var run = await api.StartRunAndWaitAsync(thread, message, ct);
        var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        return new OneStepSample(run["id"]!.GetValue<string>(), sentUtc, DateTime.UtcNow, ms, run["status"]?.GetValue<string>() ?? "unknown", 0, double.NaN);
    }

    /// <summary>Creates the thread a streamed sample will use (before an idle wait, so that the wait ends with the run's POST).</summary>
    public Task<string> NewThreadAsync(CancellationToken ct) => api.CreateThreadAsync(ct);

    /// <summary>POST .../runs with stream=true, read to <c>done</c>; the run id comes from the Location header.</summary>
    public async Task<FirstTokenSample> StreamedAsync(string thread, CancellationToken ct)
    {
        await freshToken(ct);
        var sentUtc = DateTime.UtcNow;
        var start = Stopwatch.GetTimestamp();
        using var response = await api.StreamRunAsync(thread, message, ct);
        var run = response.Headers.Location?.ToString().Split('/')[^1];
        using var sse = new SseReader(await response.Content.ReadAsStreamAsync(ct));
        double? firstEvent = null, firstToken = null;
        var firstTokenUtc = DateTime.MinValue;
        while (await sse.NextAsync(ct) is { } e)
        {
            firstEvent ??= Elapsed(start);
            if (e.Type == "run.created" && run is null)
            {
                run = JsonNode.Parse(e.Data)?["id"]?.GetValue<string>();
            }
            else if (e.Type == "message.delta" && firstToken is null)
            {
                firstToken = Elapsed(start);
                firstTokenUtc = DateTime.UtcNow;
            }
            else if (e.Type == "error")
            {
                throw new InvalidOperationException($"the run failed: {e.Data}");
            }
            else if (e.Type == "done")
            {
                break;
            }
        }
        return new FirstTokenSample(run ?? "unknown", sentUtc, firstTokenUtc, firstEvent ?? double.NaN,
            firstToken ?? throw new InvalidOperationException("the run streamed no message.delta"), Elapsed(start));
    }

    private static bool IsTerminal(string status) => status is "completed" or "failed" or "cancelled" or "expired";

    private static double Elapsed(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}
