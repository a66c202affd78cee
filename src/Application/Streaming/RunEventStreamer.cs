using System.Text;
using System.Text.Json;
using Agents.Application.Http;
using Agents.Application.Storage.Cosmos;
using Agents.Domain.Errors;
using Agents.Domain.Runs;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Agents.Application.Streaming;

/// <summary>
/// Serves a run's events as Server-Sent Events from the durable log: everything after the client's last event id,
/// then live events as they come (in-process at once, otherwise from the run's shared feed, see
/// <see cref="RunEventFeeds"/>), heartbeats as
/// SSE comments, and the end of the stream after the <c>done</c> event. Written by hand rather than with
/// <c>TypedResults.ServerSentEvents</c>, whose items cannot express comments (the heartbeats).
/// A client that disconnects stops only its stream, never the run.
/// </summary>
public sealed class RunEventStreamer(RunEventLog log, RunEventHub hub, RunEventFeeds feeds, StreamingOptions options)
{
    public async Task StreamAsync(HttpContext http, string ownerId, string runId, long afterId)
    {
        var ct = http.RequestAborted;
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache, no-transform";
        response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        using var live = hub.Subscribe(ownerId, runId);
        var last = afterId;
        // Live events not written yet because one before them has not reached this stream (see EmitAsync).
        var pending = new SortedDictionary<long, StoredEvent>();
        try
        {
            await WriteAsync(response, $"retry: {options.RetryMilliseconds}\n\n", ct).ConfigureAwait(false);
            var backlog = await log.ReadAfterAsync(ownerId, runId, last, ct).ConfigureAwait(false);
            if (await WriteDurableAsync(backlog).ConfigureAwait(false))
            {
                return;
            }
            // From here on, events come through the hub: at once from this process, and from the run's shared feed
            // (one poll of the log per run, whoever produces it).
            using var feed = feeds.Attach(ownerId, runId, last);
            var heartbeat = TimeSpan.FromSeconds(options.HeartbeatSeconds);
            while (!ct.IsCancellationRequested)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(ct);
                wait.CancelAfter(heartbeat);
                try
                {
                    if (await live.Reader.WaitToReadAsync(wait.Token).ConfigureAwait(false))
                    {
                        while (live.Reader.TryRead(out var e))
                        {
                            if (e.Id > last)
                            {
                                pending[e.Id] = e;
                            }
                        }
                    }
                }
                catch (OperationCanceledException) when (!ct.IsCancellationRequested)
                {
                    await WriteAsync(response, ": keep-alive\n\n", ct).ConfigureAwait(false);
                    continue;
                }
                if (await EmitAsync().ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; the run goes on.
        }

        // Live events are published before they are durable, so one may arrive while an earlier one (published before
        // this stream subscribed, durable only after its backlog was read) has not reached this stream yet. An event
        // is written only when nothing can be missing before it: it follows the last one written within the same
        // call, or it starts a call, and then (a run's calls write their events one after the other, each durable
        // before the next call starts) a read of the log brings whatever of the earlier calls this stream has not
        // seen. An event behind a gap waits for the gap to fill: the run's feed publishes every event as it becomes
        // durable. True after the final event.
        async Task<bool> EmitAsync()
        {
            var text = new StringBuilder();
            var done = false;
            while (!done && pending.Count > 0)
            {
                var (id, e) = pending.First();
                if (id <= last)
                {
                    pending.Remove(id);
                    continue;
                }
                if (RunEventLog.IndexOf(id) == 0)
                {
                    foreach (var earlier in await log.ReadAfterAsync(ownerId, runId, last, ct).ConfigureAwait(false))
                    {
                        if (earlier.Id > last && earlier.Id < id)
                        {
                            done = Append(text, earlier);
                            if (done)
                            {
                                break;
                            }
                        }
                    }
                    if (done)
                    {
                        break;
                    }
                }
                else if (id != last + 1)
                {
                    break; // a gap in this call's events: wait for the feed to bring them
                }
                pending.Remove(id);
                done = Append(text, e);
            }
            if (text.Length > 0)
            {
                await WriteAsync(response, text.ToString(), ct).ConfigureAwait(false);
            }
            return done;
        }

        // Writes durable events the client has not seen yet, in order (they have no gaps); true after the final event.
        async Task<bool> WriteDurableAsync(IReadOnlyList<StoredEvent> events)
        {
            var text = new StringBuilder();
            var done = false;
            foreach (var e in events.Where(e => e.Id > last).OrderBy(e => e.Id))
            {
                done = Append(text, e);
                if (done)
                {
                    break;
                }
            }
            if (text.Length > 0)
            {
                await WriteAsync(response, text.ToString(), ct).ConfigureAwait(false);
            }
            return done;
        }

        bool Append(StringBuilder text, StoredEvent e)
        {
            Format(text, e, http);
            last = e.Id;
            return e.Type == RunEventTypes.Done;
        }
    }

    /// <summary>Where a stream resumes: the Last-Event-ID header, else the <c>lastEventId</c> query value; -1 for the start.</summary>
    public static long ResumePoint(HttpRequest request)
    {
        var value = request.Headers["Last-Event-ID"].FirstOrDefault() ?? request.Query["lastEventId"].FirstOrDefault();
        if (string.IsNullOrEmpty(value))
        {
            return -1;
        }
        return long.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id)
            ? id
            : throw new ApiProblemException(Problems.Field("Last-Event-ID", "must be an event id received from this stream"));
    }

    private static void Format(StringBuilder text, StoredEvent e, HttpContext http)
    {
        var data = e.Type == RunEventTypes.Error && e.Data.Deserialize<ApiProblem>(CosmosDatabase.Json) is { } problem
            ? JsonSerializer.Serialize(ProblemWriter.ToProblemDetails(problem, http), RequestJson.Options)
            : JsonSerializer.Serialize(e.Data); // compact: one data line per event
        text.Append("id: ").Append(e.Id).Append('\n')
            .Append("event: ").Append(e.Type).Append('\n')
            .Append("data: ").Append(data).Append("\n\n");
    }

    private static async Task WriteAsync(HttpResponse response, string text, CancellationToken ct)
    {
        await response.WriteAsync(text, ct).ConfigureAwait(false);
        await response.Body.FlushAsync(ct).ConfigureAwait(false);
    }

}
