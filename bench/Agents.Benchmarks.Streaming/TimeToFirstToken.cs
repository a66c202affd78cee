using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace Agents.Benchmarks.Streaming;

/// <summary>Milliseconds from sending the request to: the first SSE event, the first text token, the end of the stream.</summary>
public sealed record LatencySample(double FirstEvent, double FirstToken, double Total);

/// <summary>The samples of one directive, both ways.</summary>
public sealed record TtftResult(string Directive, IReadOnlyList<LatencySample> Direct, IReadOnlyList<LatencySample> Ours);

/// <summary>
/// Time to first token, side by side: (a) a streamed chat completion straight from the model simulator, to the first
/// chunk with content; (b) POST /api/v1/threads/{id}/runs with stream=true through the host, to the first
/// <c>message.delta</c> event. The same directive both ways; requests alternate (a, b, a, b, ...) and are sequential,
/// each run in a new thread so the conversation does not grow. Thread creation is not timed.
/// </summary>
public sealed class TimeToFirstToken(HttpClient simulator, Uri modelEndpoint, AgentsApi api)
{
    public async Task<TtftResult> MeasureAsync(int ttftMs, int tokens, int requests, int warmup, CancellationToken ct)
    {
        var directive = $"[[sim tokens={tokens} ttft={ttftMs}]]";
        for (var i = 0; i < warmup; i++)
        {
            await DirectAsync($"warm-up {i} {directive}", ct);
            await OursAsync($"warm-up {i} {directive}", ct);
        }
        var direct = new List<LatencySample>();
        var ours = new List<LatencySample>();
        for (var i = 0; i < requests; i++)
        {
            direct.Add(await DirectAsync($"bench {i} {directive}", ct));
            ours.Add(await OursAsync($"bench {i} {directive}", ct));
        }
        return new TtftResult(directive, direct, ours);
    }

    private async Task<LatencySample> DirectAsync(string message, CancellationToken ct)
    {
        var body = new { model = "sim-small", stream = true, messages = new[] { new { role = "user", content = message } } };
        var start = Stopwatch.GetTimestamp();
        using var response = await simulator.PostAsJsonAsync(new Uri(modelEndpoint, "chat/completions"), body, ct);
        response.EnsureSuccessStatusCode();
        using var sse = new SseReader(await response.Content.ReadAsStreamAsync(ct));
        double? firstEvent = null, firstToken = null;
        while (await sse.NextAsync(ct) is { } e)
        {
            firstEvent ??= Elapsed(start);
            if (e.Data == "[DONE]")
            {
                break;
            }
            if (firstToken is null && JsonNode.Parse(e.Data)?["choices"]?[0]?["delta"]?["content"]?.GetValue<string>() is { Length: > 0 })
            {
                firstToken = Elapsed(start);
            }
        }
        return new LatencySample(firstEvent ?? double.NaN, firstToken ?? throw new InvalidOperationException("the simulator streamed no content"), Elapsed(start));
    }

    private async Task<LatencySample> OursAsync(string message, CancellationToken ct)
    {
        var thread = await api.CreateThreadAsync(ct);
        var start = Stopwatch.GetTimestamp();
        using var response = await api.StreamRunAsync(thread, message, ct);
        using var sse = new SseReader(await response.Content.ReadAsStreamAsync(ct));
        double? firstEvent = null, firstToken = null;
        while (await sse.NextAsync(ct) is { } e)
        {
            firstEvent ??= Elapsed(start);
            if (e.Type == "message.delta")
            {
                firstToken ??= Elapsed(start);
            }
            else if (e.Type is "error")
            {
                throw new InvalidOperationException($"the run failed: {e.Data}");
            }
        }
        return new LatencySample(firstEvent ?? double.NaN, firstToken ?? throw new InvalidOperationException("the run streamed no message.delta"), Elapsed(start));
    }

    private static double Elapsed(long start) => Stopwatch.GetElapsedTime(start).TotalMilliseconds;
}
