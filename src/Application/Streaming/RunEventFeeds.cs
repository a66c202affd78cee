using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Agents.Application.Streaming;

/// <summary>
/// One poll of the log per run, however many streams watch it: the first subscriber of a run starts a loop that reads
/// the run's log after the last id it saw and publishes what it finds to the in-process hub; the last one to leave
/// stops it. Events produced in this process reach subscribers through the hub at once; the loop brings those
/// produced by other instances, polling every <see cref="StreamingOptions.PollMinMilliseconds"/> and backing off to
/// <see cref="StreamingOptions.PollMaxMilliseconds"/> while nothing new arrives.
/// </summary>
public sealed partial class RunEventFeeds(RunEventLog log, RunEventHub hub, StreamingOptions options, ILogger<RunEventFeeds> logger)
{
    private readonly ConcurrentDictionary<string, Feed> feeds = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    /// <summary>Keeps the run's feed running until the returned handle is disposed.</summary>
    public IDisposable Attach(string ownerId, string runId, long afterId)
    {
        var key = $"{ownerId}|{runId}";
        lock (gate)
        {
            var feed = feeds.GetOrAdd(key, _ => new Feed(this, ownerId, runId, afterId));
            feed.References++;
            return new Handle(() => Detach(key, feed));
        }
    }

    private void Detach(string key, Feed feed)
    {
        lock (gate)
        {
            if (--feed.References == 0)
            {
                feeds.TryRemove(new KeyValuePair<string, Feed>(key, feed));
                feed.Dispose();
            }
        }
    }

    private sealed class Feed : IDisposable
    {
        private readonly CancellationTokenSource stop = new();

        public Feed(RunEventFeeds owner, string ownerId, string runId, long afterId) =>
            _ = Task.Run(() => owner.PollAsync(ownerId, runId, afterId, stop.Token));

        public int References { get; set; }

        public void Dispose()
        {
            stop.Cancel();
            stop.Dispose();
        }
    }

    private async Task PollAsync(string ownerId, string runId, long afterId, CancellationToken ct)
    {
        var last = afterId;
        var interval = TimeSpan.FromMilliseconds(options.PollMinMilliseconds);
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(interval, ct).ConfigureAwait(false);
                var found = await log.ReadAfterAsync(ownerId, runId, last, ct).ConfigureAwait(false);
                if (found.Count > 0)
                {
                    last = found[^1].Id;
                    hub.Publish(ownerId, runId, found);
                    interval = TimeSpan.FromMilliseconds(options.PollMinMilliseconds);
                }
                else
                {
                    interval = TimeSpan.FromMilliseconds(Math.Min(interval.TotalMilliseconds * 2, options.PollMaxMilliseconds));
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogPollFailed(logger, e, runId);
            }
        }
    }

    private sealed class Handle(Action dispose) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
            {
                dispose();
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Polling the event log of run {RunId} failed")]
    private static partial void LogPollFailed(ILogger logger, Exception e, string runId);
}
