using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Agents.Application.Streaming;

/// <summary>
/// In-process delivery of run events: when the run executes in this process, subscribers get each event at once
/// instead of waiting for the next poll of the log. Subscribers still read the log first, so nothing depends on it.
/// </summary>
public sealed class RunEventHub
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<Channel<StoredEvent>, byte>> subscribers = new(StringComparer.Ordinal);

    public Subscription Subscribe(string ownerId, string runId)
    {
        var channel = Channel.CreateBounded<StoredEvent>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        var key = Key(ownerId, runId);
        subscribers.GetOrAdd(key, _ => new()).TryAdd(channel, 0);
        return new Subscription(channel.Reader, () =>
        {
            if (subscribers.TryGetValue(key, out var set))
            {
                set.TryRemove(channel, out _);
                if (set.IsEmpty)
                {
                    subscribers.TryRemove(new KeyValuePair<string, ConcurrentDictionary<Channel<StoredEvent>, byte>>(key, set));
                }
            }
        });
    }

    public void Publish(string ownerId, string runId, IReadOnlyList<StoredEvent> events)
    {
        if (!subscribers.TryGetValue(Key(ownerId, runId), out var set))
        {
            return;
        }
        foreach (var channel in set.Keys)
        {
            foreach (var e in events)
            {
                channel.Writer.TryWrite(e);
            }
        }
    }

    private static string Key(string ownerId, string runId) => $"{ownerId}|{runId}";

    /// <summary>A live feed of one run's events; dispose to stop.</summary>
    public sealed class Subscription(ChannelReader<StoredEvent> reader, Action unsubscribe) : IDisposable
    {
        public ChannelReader<StoredEvent> Reader { get; } = reader;

        public void Dispose() => unsubscribe();
    }
}
