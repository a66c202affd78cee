using System.Diagnostics;
using System.Text.Json;
using Agents.Domain.Runs;

namespace Agents.Application.Streaming;

/// <summary>
/// Writes the events of one context call (one position) to the log. Text deltas are buffered and written when the
/// buffer holds <see cref="MaxBatchChars"/> characters or is <see cref="MaxBatchAge"/> old, so a long answer costs a
/// bounded number of writes; they are published in-process at once.
/// </summary>
public sealed class RunEventWriter(RunEventLog log, RunEventHub hub, string ownerId, string runId, int position, TimeProvider clock)
{
    public const int MaxBatchChars = 2048;
    public static readonly TimeSpan MaxBatchAge = TimeSpan.FromMilliseconds(250);

    private readonly List<StoredEvent> pending = [];
    private int nextIndex;
    private int pendingChars;
    private long pendingSince;

    public async ValueTask DeltaAsync(string text, CancellationToken ct)
    {
        var e = Next(RunEventTypes.MessageDelta, JsonSerializer.SerializeToElement(new { text }));
        hub.Publish(ownerId, runId, [e]);
        if (pending.Count == 0)
        {
            pendingSince = Stopwatch.GetTimestamp();
        }
        pending.Add(e);
        pendingChars += text.Length;
        if (pendingChars >= MaxBatchChars || Stopwatch.GetElapsedTime(pendingSince) >= MaxBatchAge)
        {
            await FlushAsync(ct, publish: false).ConfigureAwait(false);
        }
    }

    /// <summary>Appends events (written at once, together with any buffered deltas).</summary>
    public Task AppendAsync(IEnumerable<RunEvent> events, CancellationToken ct)
    {
        var added = events.Select(e => Next(e.Type, e.Data)).ToList();
        hub.Publish(ownerId, runId, added);
        pending.AddRange(added);
        return FlushAsync(ct, publish: false);
    }

    public async Task FlushAsync(CancellationToken ct, bool publish = false)
    {
        if (pending.Count == 0)
        {
            return;
        }
        var batch = pending.ToList();
        pending.Clear();
        pendingChars = 0;
        await log.AppendAsync(ownerId, runId, batch, clock.GetUtcNow(), ct, publish).ConfigureAwait(false);
    }

    private StoredEvent Next(string type, JsonElement data) => new(RunEventLog.MakeId(position, nextIndex++), type, data);
}
