using System.Collections.Concurrent;
using System.Threading.Channels;

namespace Agents.Application.Gateway.Activity;

/// <summary>
/// Where activity events are published: delivered at once to the live streams of this process, and queued (bounded,
/// oldest dropped first) for <see cref="ActivityWriter"/> to store. Publishing never waits and never fails the
/// request that publishes.
/// </summary>
public sealed class ActivityFeed(TimeProvider clock, ActivityOptions options)
{
    private readonly ConcurrentDictionary<Channel<ActivityEvent>, byte> subscribers = new();
    private readonly Channel<ActivityEvent> pending = Channel.CreateBounded<ActivityEvent>(
        new BoundedChannelOptions(options.QueueCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    /// <summary>This process, as the <see cref="ActivityEvent.Instance"/> of what it publishes.</summary>
    public string Instance { get; } = Guid.NewGuid().ToString("N")[..12];

    internal ChannelReader<ActivityEvent> Pending => pending.Reader;

    public void Publish(ActivityEvent e)
    {
        var stamped = e with
        {
            Id = e.Id.Length > 0 ? e.Id : $"act_{Guid.CreateVersion7():N}",
            At = e.At == default ? clock.GetUtcNow() : e.At,
            Instance = Instance,
        };
        pending.Writer.TryWrite(stamped);
        foreach (var channel in subscribers.Keys)
        {
            channel.Writer.TryWrite(stamped);
        }
    }

    /// <summary>A live feed of this process's events from now on; dispose to stop.</summary>
    public Subscription Subscribe()
    {
        var channel = Channel.CreateBounded<ActivityEvent>(new BoundedChannelOptions(4096) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
        subscribers.TryAdd(channel, 0);
        return new Subscription(channel.Reader, () => subscribers.TryRemove(channel, out _));
    }

    public sealed class Subscription(ChannelReader<ActivityEvent> reader, Action unsubscribe) : IDisposable
    {
        public ChannelReader<ActivityEvent> Reader { get; } = reader;

        public void Dispose() => unsubscribe();
    }
}
