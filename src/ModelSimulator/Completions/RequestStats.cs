using System.Collections.Concurrent;

namespace Agents.ModelSimulator.Completions;

/// <summary>
/// How the simulator answered each model's chat completion requests since it started (<c>GET /stats</c>), so a test
/// or a fault scenario counts the calls each deployment got and how they ended, and sees whether clients waited out
/// the Retry-After they were given. In memory only, like the <c>times=</c> counters.
/// </summary>
internal sealed class RequestStats(TimeProvider time)
{
    /// <summary>How much sooner than its Retry-After a request may come back without counting as early: timers and clocks tick in milliseconds.</summary>
    public static readonly TimeSpan RetryAfterGrace = TimeSpan.FromMilliseconds(10);

    private readonly ConcurrentDictionary<string, ModelCounters> _models = new(StringComparer.Ordinal);

    // Per exact request (see ChatCompletionHandler.RequestKey): when the Retry-After of its last scripted error ends,
    // as a timestamp of the monotonic clock (a wall clock may be slewed meanwhile).
    private readonly ConcurrentDictionary<string, long> _retryNotBefore = new(StringComparer.Ordinal);

    /// <summary>Counts a request for <paramref name="model"/> on <paramref name="route"/> (its route pattern), whatever becomes of it.</summary>
    public void Received(string model, string route)
    {
        var counters = For(model);
        Interlocked.Increment(ref counters.Requests);
        counters.Routes.AddOrUpdate(route, 1, static (_, n) => n + 1);
    }

    /// <summary>
    /// Counts an early retry when this exact request comes back before the Retry-After it was last answered with
    /// ended, by more than <see cref="RetryAfterGrace"/>.
    /// </summary>
    public void CheckRetryAfter(string model, string requestKey)
    {
        var grace = (long)(RetryAfterGrace.TotalSeconds * time.TimestampFrequency);
        if (_retryNotBefore.TryGetValue(requestKey, out var notBefore) && time.GetTimestamp() < notBefore - grace)
        {
            Interlocked.Increment(ref For(model).EarlyRetries);
        }
    }

    /// <summary>
    /// Counts a scripted error answer, once sent, and remembers until when its Retry-After asks the client to wait:
    /// from now, the earliest the client can have read it.
    /// </summary>
    public void Errored(string model, int status, string? requestKey, int? retryAfterSeconds)
    {
        For(model).Errors.AddOrUpdate(status, 1, static (_, n) => n + 1);
        if (requestKey is not null && retryAfterSeconds is { } seconds)
        {
            _retryNotBefore[requestKey] = time.GetTimestamp() + (seconds * time.TimestampFrequency);
        }
    }

    public void Hung(string model) => Interlocked.Increment(ref For(model).Hangs);

    public void Dropped(string model) => Interlocked.Increment(ref For(model).Drops);

    public void Completed(string model) => Interlocked.Increment(ref For(model).Completed);

    public SimulatorStats Snapshot() => new(_models.ToDictionary(
        m => m.Key,
        m => new ModelStats(
            Interlocked.Read(ref m.Value.Requests),
            Interlocked.Read(ref m.Value.Completed),
            new SortedDictionary<int, long>(m.Value.Errors),
            Interlocked.Read(ref m.Value.Hangs),
            Interlocked.Read(ref m.Value.Drops),
            Interlocked.Read(ref m.Value.EarlyRetries),
            new SortedDictionary<string, long>(m.Value.Routes, StringComparer.Ordinal)),
        StringComparer.Ordinal));

    private ModelCounters For(string model) => _models.GetOrAdd(model, static _ => new ModelCounters());

    private sealed class ModelCounters
    {
        public long Requests;
        public long Completed;
        public long Hangs;
        public long Drops;
        public long EarlyRetries;
        public ConcurrentDictionary<int, long> Errors { get; } = new();
        public ConcurrentDictionary<string, long> Routes { get; } = new(StringComparer.Ordinal);
    }
}

/// <summary>The body of <c>GET /stats</c>: per model as the requests named it.</summary>
internal sealed record SimulatorStats(IReadOnlyDictionary<string, ModelStats> Models);

/// <summary>
/// One model's requests and how they ended: answered in full, a scripted error (by status), hung, dropped. The rest
/// of <see cref="Requests"/> were refused (an invalid directive, 400) or abandoned by their client mid-answer.
/// <see cref="Routes"/> counts the requests by the route they came on (OpenAI's, Azure's v1, Azure's deployment route).
/// </summary>
internal sealed record ModelStats(long Requests, long Completed, IReadOnlyDictionary<int, long> Errors, long Hangs, long Drops, long EarlyRetries, IReadOnlyDictionary<string, long> Routes);
