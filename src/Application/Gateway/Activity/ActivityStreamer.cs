using System.Text;
using System.Text.Json;
using Agents.Application.Http;
using Agents.Application.Streaming;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Agents.Application.Gateway.Activity;

/// <summary>
/// Serves live activity as Server-Sent Events: this process's events as they are published, other instances' by
/// polling the store (<see cref="ActivityOptions.PollSeconds"/>), heartbeats as SSE comments. Written by hand like
/// <see cref="RunEventStreamer"/> for the heartbeats. Each event: <c>id</c>, <c>event</c> (its type), <c>data</c> (JSON).
/// </summary>
public sealed class ActivityStreamer(ActivityFeed feed, ActivityStore store, ActivityOptions options, StreamingOptions streaming, TimeProvider clock)
{
    public async Task StreamAsync(HttpContext http, ActivityFilter filter)
    {
        var ct = http.RequestAborted;
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        using var live = feed.Subscribe();
        var seen = new Dictionary<string, DateTimeOffset>(StringComparer.Ordinal);
        var polledUpTo = clock.GetUtcNow();
        try
        {
            await WriteAsync(response, $"retry: {streaming.RetryMilliseconds}\n\n", ct).ConfigureAwait(false);
            var nextPoll = clock.GetUtcNow() + TimeSpan.FromSeconds(options.PollSeconds);
            var nextHeartbeat = clock.GetUtcNow() + TimeSpan.FromSeconds(streaming.HeartbeatSeconds);
            while (!ct.IsCancellationRequested)
            {
                var wakeAt = nextPoll < nextHeartbeat ? nextPoll : nextHeartbeat;
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(Max(wakeAt - clock.GetUtcNow(), TimeSpan.Zero));
                var text = new StringBuilder();
                try
                {
                    if (await live.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                    {
                        while (live.Reader.TryRead(out var e))
                        {
                            Append(text, e, filter);
                        }
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                }

                var now = clock.GetUtcNow();
                if (now >= nextPoll)
                {
                    // Other instances store events in batches: look back a little, and skip what was already sent.
                    var found = await PollAsync(polledUpTo - TimeSpan.FromSeconds(10), ct).ConfigureAwait(false);
                    foreach (var e in found.OrderBy(e => e.At).Where(e => seen.TryAdd(e.Id, e.At)))
                    {
                        Append(text, e, filter);
                    }
                    foreach (var old in seen.Where(p => p.Value < now - TimeSpan.FromMinutes(1)).Select(p => p.Key).ToList())
                    {
                        seen.Remove(old);
                    }
                    polledUpTo = now;
                    nextPoll = now + TimeSpan.FromSeconds(options.PollSeconds);
                }
                if (now >= nextHeartbeat)
                {
                    text.Append(": keep-alive\n\n");
                    nextHeartbeat = now + TimeSpan.FromSeconds(streaming.HeartbeatSeconds);
                }
                if (text.Length > 0)
                {
                    await WriteAsync(response, text.ToString(), ct).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The admin closed the page.
        }
    }

    /// <summary>A failed poll (the database briefly away) skips a round instead of ending the stream.</summary>
    private async Task<List<ActivityEvent>> PollAsync(DateTimeOffset since, CancellationToken ct)
    {
        try
        {
            return await store.OthersSinceAsync(since, feed.Instance, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is Microsoft.Azure.Cosmos.CosmosException or HttpRequestException or TimeoutException)
        {
            return [];
        }
    }

    private static void Append(StringBuilder text, ActivityEvent e, ActivityFilter filter)
    {
        if (!filter.Matches(e))
        {
            return;
        }
        text.Append("id: ").Append(e.Id).Append('\n')
            .Append("event: ").Append(e.Type).Append('\n')
            .Append("data: ").Append(JsonSerializer.Serialize(e, RequestJson.Options)).Append("\n\n");
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken ct)
    {
        await response.WriteAsync(text, ct).ConfigureAwait(false);
        await response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;
}
